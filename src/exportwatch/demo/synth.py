"""Synthetic populations for benchmarks: a district, a city or a province of export enterprises (DESIGN.md §3).

``synth_run(tier=..., ...)`` adds to the database a region tree of its own, the enterprises of the tier and one
order-book report a month for each of them with its market x product lines, and returns what it wrote. It is for
measuring the monitoring dashboards at scale, not for the demo: the figures are plausible, not a story.

Region codes. Every synthetic node lives under one of three roots whose codes no real division uses, so nothing
can collide with the reference regions or with real enterprises (the USCC carries the district code):

* ``district`` -> district ``330299`` (模拟区) below 宁波市 330200, with 12 towns ``330299001``...;
* ``city`` -> city ``339900`` (模拟市) below 浙江省 330000, ~10 districts ``3399dd``, ~150 towns ``3399ddttt``;
* ``province`` -> province ``990000`` (模拟省, a root: no real province code starts with 99), 11 cities ``99cc00``,
  ~90 districts ``99ccdd``, ~1,300 towns ``99ccddttt``.

Town codes follow the NBS habit: streets ``001``-``099`` first, then towns from ``100``.

The model, per line (market x HS code) and month ``t``, in whole USD:

* demand ``D(t) = base * level(t) * season(t) * common(t) * noise(t)``: ``level`` is the enterprise's growth,
  ``season`` has the Chinese New Year dip (the festival's month and the next ship 30-40 % less), the pre-festival
  rush, a Q4 peak for Christmas goods and an August lull; ``common`` is the enterprise's monthly noise;
* a line signs its orders ``lag`` (2-5) months ahead: ``new_orders(t) = D(t + lag)`` (a little less in the festival
  months); in the last three months, new orders from the US and the EU fall 20-40 % (others 0-8 %) and some
  enterprises see part of their US/EU backlog cancelled;
* shipments follow the order book: ``exports(t) = D(t) * available / normal`` where ``available = backlog(t-1) +
  new_orders(t)`` and ``normal`` is what a full book holds (``D(t) + ... + D(t + lag)``), never more than available;
* ``backlog(t) = backlog(t-1) + new_orders(t) - exports(t) - cancelled(t)`` holds exactly on every line;
* the report adds an unitemised rest (0 or 3-11 %) for a third of the enterprises, so the lines never exceed the
  totals; ``backlog_due_3m`` is the part of each line's backlog due in the next 3 months (from its lead and
  demand), a little less, so it never exceeds the backlog;
* ``new_orders_trend`` compares new orders with the previous month, ``outlook_3m`` compares ``backlog_due_3m +
  new_orders`` with the same quantity a year earlier, both with a +/- 5 % band for ``same``; the model runs 12 months
  before the first reported one so both always have their comparison;
* ``exports_last_year_usd`` is log-normal (median ~1.4 M USD; ~10 % head enterprises at >= 10 M USD); the flows
  are calibrated so that the last calendar year before ``end`` ships about that much;
* 1-3 % of the reports are missing (an enterprise that did not report that month); the others were submitted on
  time: between the first day of the next month and the reporting deadline.

Randomness is counter-based (SplitMix64 evaluated as polars expressions on ids and month numbers), so every
figure is a pure function of the seed and its position: the same seed gives the same data, whatever the chunking.
The work is vectorised over lines with polars; only the registry's text (names, USCCs) is built in Python.
Memory: one month of lines at a time (the province: ~2 M lines, a few hundred MB).

Writes (``common.bulk``): PostgreSQL ``COPY`` (CSV text in chunks), SQLite INSERTs of many rows each; the registry
is written in one transaction and each month in its own, so a run can be followed and memory stays bounded. No
audit events are written. Reports use the file-import source (``csv``), as a city's bulk loads would.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from exportwatch.accounts.models import User
from exportwatch.common import clock
from exportwatch.common.bulk import insert_frame
from exportwatch.core.codes import USCC_ALPHABET, uscc_check_char
from exportwatch.core.periods import month_number, period_end, period_of_month_number, report_deadline
from exportwatch.customs.models import CustomsExport
from exportwatch.demo.generator import CNY_DATES, org_code_check_char
from exportwatch.directory.models import Enterprise, HSCode, Industry, Market, Region, Segment
from exportwatch.reporting.models import Disruption, Need, Report, ReportDraft, ReportLine, Source

__all__ = [
    "SYNTH_ROOTS",
    "TIERS",
    "SynthRefused",
    "SynthSummary",
    "Tier",
    "synth_clear",
    "synth_run",
]

# --- Tiers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    """One population size of DESIGN.md §3 and the region tree it gets."""

    name: str
    enterprises: int
    root: str  # code of the tier's own top node
    root_level: str
    root_name: str
    parent: str | None  # an existing reference region it hangs below (None: a root itself)
    cities: int  # city nodes below a province root (0 otherwise)
    districts: int
    towns: int


TIERS: dict[str, Tier] = {
    "district": Tier("district", 472, "330299", Region.Level.DISTRICT, "模拟区", "330200", 0, 1, 12),
    "city": Tier("city", 20_000, "339900", Region.Level.CITY, "模拟市", "330000", 0, 10, 150),
    "province": Tier("province", 100_000, "990000", Region.Level.PROVINCE, "模拟省", None, 11, 90, 1_300),
}
SYNTH_ROOTS = tuple(t.root for t in TIERS.values())

HEAD_EXPORTS_USD = 10_000_000
_SIZE_MU = 14.13  # log-normal exports last year: P(>= 10 M USD) ~ 10 %, P(>= 1 M) ~ 58 %
_SIZE_SIGMA = 1.55
_SIZE_RANGE = (20_000, 3_000_000_000)
_BURN_IN = 12  # months simulated before the first reported one (year-ago values for the outlook)
_SHOCK_MONTHS = 3
_BAND = 5  # percent: inside +/- 5 % is "same"

EU_MARKETS = ("DE", "FR", "IT", "NL", "ES", "PL", "BE", "SE", "CZ", "AT", "DK", "IE", "PT", "HU", "FI", "GR", "RO")
SHOCKED_MARKETS = frozenset(("US", *EU_MARKETS))
# Where a Zhejiang exporter sells, before its industry's tilt: US, EU, Japan and ASEAN first.
_MARKET_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("US", 25.0),
    ("DE", 6.0),
    ("FR", 3.0),
    ("IT", 3.0),
    ("NL", 2.5),
    ("ES", 2.5),
    ("PL", 1.5),
    ("BE", 1.2),
    ("SE", 1.0),
    ("CZ", 0.8),
    ("AT", 0.7),
    ("DK", 0.6),
    ("GB", 4.0),
    ("JP", 6.5),
    ("KR", 3.0),
    ("VN", 3.0),
    ("TH", 2.2),
    ("MY", 2.2),
    ("ID", 2.2),
    ("PH", 1.4),
    ("SG", 1.4),
    ("IN", 2.5),
    ("AU", 3.0),
    ("CA", 2.5),
    ("MX", 2.0),
    ("BR", 2.0),
    ("CL", 1.0),
    ("AE", 2.0),
    ("SA", 1.5),
    ("RU", 2.5),
    ("ZA", 1.0),
    ("NG", 0.8),
    ("TR", 1.5),
)


@dataclass(frozen=True)
class _Industry:
    code: str  # GB/T 4754-2017 division
    weight: float
    headings: tuple[str, ...]  # HS headings (4 digits; the chapter is in the reference data)
    words: tuple[str, ...]  # words for company names
    q4_peak: bool
    tilt: tuple[tuple[str, float], ...] = ()


_INDUSTRIES: tuple[_Industry, ...] = (
    _Industry(
        "34", 90, ("8481", "8412", "8414", "8483", "8413"), ("气动", "机械", "液压"), False, (("DE", 1.4), ("IN", 2.0))
    ),
    _Industry(
        "18", 80, ("6110", "6109", "6203", "6204", "6104"), ("服饰", "制衣", "针织"), True, (("JP", 2.5), ("KR", 1.5))
    ),
    _Industry("36", 70, ("8708", "8714", "8512", "4011", "8409"), ("汽配", "车业"), False, (("MX", 2.0), ("RU", 1.3))),
    _Industry("38", 70, ("8516", "8509", "8501", "8536", "8504"), ("电器", "电机"), True, (("RU", 1.5), ("SA", 1.5))),
    _Industry("24", 45, ("9608", "9609", "9503", "9506", "9505"), ("文具", "玩具", "体育用品"), True, (("GB", 1.3),)),
    _Industry("21", 35, ("9403", "9401", "9404", "9405"), ("家具", "家居"), True, (("AU", 2.0), ("CA", 1.5))),
    _Industry("29", 30, ("3926", "3924", "4016", "3923"), ("塑业", "橡塑"), False, (("VN", 1.3),)),
    _Industry("33", 30, ("7326", "7318", "7615", "8205"), ("五金", "金属制品"), False, (("AU", 1.3),)),
    _Industry("17", 25, ("6302", "5208", "5515", "6303"), ("纺织", "家纺"), True, (("JP", 1.5), ("AE", 1.3))),
    _Industry("39", 25, ("8544", "8471", "8517", "8504"), ("电子", "光电"), False, (("KR", 1.5),)),
    _Industry("35", 15, ("8479", "8477", "8422", "8474"), ("机电", "设备"), False, (("IN", 1.8), ("VN", 1.5))),
    _Industry("26", 12, ("2902", "3901", "3907", "2917"), ("化工", "新材料"), False, (("IN", 1.6), ("TR", 1.4))),
    _Industry("40", 8, ("9026", "9031", "9032", "9028"), ("仪表", "仪器"), False, (("DE", 1.3),)),
    _Industry("19", 8, ("6403", "6404", "4202", "6402"), ("鞋业", "皮具"), True, (("US", 1.2),)),
    _Industry("51", 20, ("6110", "8516", "8481", "9403", "9608", "3926", "7326", "6302"), ("进出口", "贸易"), False),
)
_CONSUMER = frozenset(("18", "24", "21", "38", "19", "17"))

# Markets per enterprise (1-8) and HS codes (1-4): weighted so that a report has ~20 lines (DESIGN.md §3).
_MARKET_COUNTS = (0.02, 0.03, 0.04, 0.07, 0.11, 0.16, 0.25, 0.32)
_HS_COUNTS = (0.05, 0.11, 0.27, 0.57)

# Chinese New Year for the years the demo generator does not list.
_MORE_CNY: dict[int, dt.date] = {
    2005: dt.date(2005, 2, 9),
    2006: dt.date(2006, 1, 29),
    2007: dt.date(2007, 2, 18),
    2008: dt.date(2008, 2, 7),
    2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
}
_CNY = {**_MORE_CNY, **CNY_DATES}

# Place names of synthetic towns: no first character of a real town of the demo district, so no name can be
# mistaken for one of them.
_PLACE_FIRST = "东南北青白云金银玉石龙凤鹤桃梅兰竹柳枫杨清安宁和平永长新乐丰富盛兴茂华明光泰瑞嘉祥"
_PLACE_SECOND = "山湖河港桥塘浦溪岙湾岭洲林园庄坞泉滨峰岩田圩坪埠头门亭堰池泾渡沙浜阳城"
_BRAND_FIRST = "华亚星力恒达宏盛泰鑫丰瑞德普佳永金天海新东明利龙凯欧美博信诚嘉益宇隆源昌富荣兴威锦伟立正通日万汇"
_BRAND_SECOND = "达力杰华盛泰宇通成诚翔峰科发顺丰隆昌源辉腾跃驰洋祥鑫邦帆特尔和安"
_SURNAMES = "王陈张李周林徐孙胡朱应邬竺毛蒋俞汪楼鲍江舒袁何吴赵沈杨黄裘方董"
_GIVEN = "建国海军伟明华波杰丽萍燕红霞芳静敏勇斌峰磊涛亚晓丹雪琴英春立东新志宏文佳颖婷飞超鹏辉莉慧"

# --- Counter-based random numbers ------------------------------------------------------------

_U64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_C1 = 0xBF58476D1CE4E5B9
_C2 = 0x94D049BB133111EB
_K_MONTH = 0xD1B54A32D192ED03
_K_STREAM = 0x8CB92BA72F3D8DD7

# Streams: one per kind of draw, so adding a draw never shifts another.
(
    _S_SIZE,
    _S_IMPORTS,
    _S_IMPORT_RATIO,
    _S_INDUSTRY,
    _S_TOWN,
    _S_MARKETS_N,
    _S_HS_N,
    _S_MARKET_KEY,
    _S_MARKET_SHARE,
    _S_HS_KEY,
    _S_HS_SHARE,
    _S_LAG,
    _S_LINE_LAG,
    _S_GROWTH,
    _S_AMP,
    _S_Q4,
    _S_CAP,
    _S_REST,
    _S_REST_SHARE,
    _S_DUE,
    _S_HIT,
    _S_SEGMENT,
    _S_COMMON,
    _S_NOISE,
    _S_SHOCK,
    _S_CANCEL,
    _S_CAP_NOISE,
    _S_MISSING,
    _S_DAY,
    _S_HOUR,
) = range(1, 31)


def _splitmix(x: int) -> int:
    """SplitMix64 of a Python integer (the same function as :func:`_mix`)."""
    x = (x + _GOLDEN) & _U64
    x = ((x ^ (x >> 30)) * _C1) & _U64
    x = ((x ^ (x >> 27)) * _C2) & _U64
    return x ^ (x >> 31)


def _lit(value: int) -> pl.Expr:
    return pl.lit(value & _U64, dtype=pl.UInt64)


def _mix(x: pl.Expr) -> pl.Expr:
    """SplitMix64 on a UInt64 expression (multiplication wraps, as in the reference implementation)."""
    x = x + _lit(_GOLDEN)
    x = (x ^ (x // _lit(1 << 30))) * _lit(_C1)
    x = (x ^ (x // _lit(1 << 27))) * _lit(_C2)
    return x ^ (x // _lit(1 << 31))


def _hash_ids(seed: int, salt: int, ids: pl.Expr) -> pl.Expr:
    """A 64-bit hash per id: the root every draw of that id starts from."""
    return _mix(ids.cast(pl.UInt64) * _lit(_GOLDEN) ^ _lit(_splitmix(seed * 1_000_003 + salt)))


def _bits(h: pl.Expr, stream: int, t: int = 0, key: pl.Expr | None = None) -> pl.Expr:
    x = h ^ _lit(t * _K_MONTH + stream * _K_STREAM)
    if key is not None:
        x = x ^ (key.cast(pl.UInt64) * _lit(_GOLDEN))
    return _mix(x)


def _uniform(h: pl.Expr, stream: int, t: int = 0, key: pl.Expr | None = None) -> pl.Expr:
    """Uniform in (0, 1) for each row: a pure function of its hash, the stream, the month and a key."""
    return ((_bits(h, stream, t, key) // _lit(1 << 11)).cast(pl.Float64) + 0.5) * 2.0**-53


def _normal(h: pl.Expr, stream: int, t: int = 0, key: pl.Expr | None = None) -> pl.Expr:
    """Standard normal for each row (Box-Muller on two 26-bit halves of one draw)."""
    x = _bits(h, stream, t, key)
    u1 = ((x // _lit(1 << 38)).cast(pl.Float64) + 0.5) / 2.0**26
    u2 = ((x & _lit((1 << 26) - 1)).cast(pl.Float64) + 0.5) / 2.0**26
    return (u1.log() * -2.0).sqrt() * (u2 * (2 * math.pi)).cos()


def _pick(u: pl.Series, weights: Sequence[float]) -> pl.Series:
    """Index of the weighted choice that each uniform ``u`` falls on."""
    total = sum(weights)
    cumulative, acc = [], 0.0
    for w in weights:
        acc += w / total
        cumulative.append(acc)
    return pl.Series(cumulative).search_sorted(u, side="right").clip(0, len(weights) - 1).cast(pl.Int64)


# --- Months ----------------------------------------------------------------------------------


def _month(period: str) -> int:
    try:
        return month_number(period)
    except ValueError as exc:
        raise SynthRefused(str(exc)) from exc


def _season(m: int) -> tuple[float, float]:
    """(factor of month ``m`` for every enterprise, weight of the Q4 peak of Christmas goods)."""
    year, month = m // 12, m % 12 + 1
    cny = _CNY.get(year, dt.date(year, 2, 1))
    if cny.day <= 10:
        dip, after, rush = 0.60, 0.70, 1.15
    elif cny.day <= 19:
        dip, after, rush = 0.62, 0.68, 1.12
    else:
        dip, after, rush = 0.70, 0.62, 1.10
    f = 1.0
    if month == cny.month:
        f *= dip
    elif month == cny.month + 1:
        f *= after
    elif month == cny.month - 1:
        f *= rush
    if month == 12:
        if _CNY.get(year + 1, dt.date(year + 1, 2, 1)).month == 1:
            f *= 1.10
        f *= 1.04  # year-end push
    if month == 8:
        f *= 0.96  # European summer holidays
    q4 = {10: 0.8, 11: 1.0, 12: 0.9}.get(month, 0.0)
    return f, q4


def _order_factor(m: int) -> float:
    """New orders signed in the festival month and the next are a little lower (offices close)."""
    year, month = m // 12, m % 12 + 1
    cny = _CNY.get(year, dt.date(year, 2, 1))
    return 0.88 if month == cny.month else 0.95 if month == cny.month + 1 else 1.0


# --- Regions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SynthRegion:
    code: str
    name: str
    name_en: str
    level: str
    parent: str | None


def _split(total: int, parts: int, rng: random.Random, *, least: int) -> list[int]:
    """``total`` split into ``parts`` uneven integers of at least ``least`` (largest remainders)."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    spare = total - least * parts
    raw = [spare * w / sum(weights) for w in weights]
    out = [least + int(r) for r in raw]
    by_remainder = sorted(range(parts), key=lambda i: (-(raw[i] - int(raw[i])), i))
    for i in by_remainder[: total - sum(out)]:
        out[i] += 1
    return out


def regions_plan(tier: Tier, *, seed: int) -> list[SynthRegion]:
    """The tier's region tree, parents before children (pure; the same seed gives the same tree)."""
    rng = random.Random(f"regions-{seed}-{tier.name}")
    places = [a + b for a in _PLACE_FIRST for b in _PLACE_SECOND]
    rng.shuffle(places)
    take = iter(places)
    root = SynthRegion(tier.root, tier.root_name, f"Synthetic {tier.root_level}", tier.root_level, tier.parent)
    out = [root]
    if tier.root_level == Region.Level.PROVINCE:
        cities = []
        for c in range(1, tier.cities + 1):
            code = f"{tier.root[:2]}{c:02d}00"
            cities.append(code)
            out.append(SynthRegion(code, f"{next(take)}市", f"Synthetic city {code}", Region.Level.CITY, tier.root))
        per_city = _split(tier.districts, len(cities), rng, least=4)
        districts = [
            (f"{city[:4]}{d:02d}", city) for city, n in zip(cities, per_city, strict=True) for d in range(1, n + 1)
        ]
    elif tier.root_level == Region.Level.CITY:
        districts = [(f"{tier.root[:4]}{d:02d}", tier.root) for d in range(1, tier.districts + 1)]
    else:
        districts = []
    for code, parent in districts:
        out.append(SynthRegion(code, f"{next(take)}区", f"Synthetic district {code}", Region.Level.DISTRICT, parent))
    district_codes = [code for code, _ in districts] or [tier.root]
    per_district = _split(tier.towns, len(district_codes), rng, least=5)
    for district, n in zip(district_codes, per_district, strict=True):
        streets = round(n * 0.45)
        for i in range(n):
            street = i < streets
            code = f"{district}{i + 1:03d}" if street else f"{district}{100 + i - streets:03d}"
            name = f"{next(take)}{'街道' if street else '镇'}"
            out.append(SynthRegion(code, name, f"Synthetic town {code}", Region.Level.TOWN, district))
    return out


# --- Enterprises and their lines (pure, vectorised) --------------------------------------------


@dataclass
class Population:
    """What the month-by-month model starts from: one row per enterprise, one row per line."""

    ents: pl.DataFrame
    lines: pl.DataFrame


def population_plan(*, n: int, towns: Sequence[str], markets: Sequence[str], seed: int, end_month: int) -> Population:
    """Draw ``n`` enterprises over ``towns`` and their market x HS lines (only ``markets`` that exist are used).

    ``ents`` (sorted by ``ent``, 0..n-1) holds the registry figures (town, industry, exports, imports) and the
    behaviour drawn for each enterprise (lead, growth, seasonality, noise, rest share...); ``lines`` (sorted by
    ``ent``) holds each line's market, HS code, lead and monthly base demand in USD.
    """
    known = set(markets)
    market_table = pl.DataFrame(
        [(code, w) for code, w in _MARKET_WEIGHTS if code in known], schema=["market", "w"], orient="row"
    ).with_row_index("mi")
    if market_table.height == 0:
        raise SynthRefused("none of the synthetic markets is in the Market table: run `exportwatch init` first")
    ent_h = _hash_ids(seed, 1, pl.col("ent"))
    ents = pl.DataFrame({"ent": pl.int_range(0, n, eager=True, dtype=pl.Int64)}).with_columns(h=ent_h)
    h = pl.col("h")

    town_rng = random.Random(f"towns-{seed}")
    town_weights = [math.exp(town_rng.gauss(0.0, 0.7)) for _ in towns]
    u = ents.select(
        _uniform(h, _S_INDUSTRY).alias("ind"),
        _uniform(h, _S_TOWN).alias("town"),
        _uniform(h, _S_MARKETS_N).alias("km"),
        _uniform(h, _S_HS_N).alias("kh"),
        _uniform(h, _S_LAG).alias("lag"),
    )
    ind_idx = _pick(u["ind"], [i.weight for i in _INDUSTRIES])
    ents = ents.with_columns(
        industry=pl.Series([i.code for i in _INDUSTRIES]).gather(ind_idx),
        q4_peak=pl.Series([i.q4_peak for i in _INDUSTRIES]).gather(ind_idx),
        town=pl.Series(list(towns)).gather(_pick(u["town"], town_weights)),
        km=_pick(u["km"], _MARKET_COUNTS) + 1,
        kh=_pick(u["kh"], _HS_COUNTS) + 1,
        lag=_pick(u["lag"], (0.30, 0.45, 0.25)) + 2,
    )
    size = (_SIZE_MU + _SIZE_SIGMA * _normal(h, _S_SIZE)).exp().clip(*_SIZE_RANGE).round()
    has_imports = _uniform(h, _S_IMPORTS) < 0.25
    ratio = (
        pl.when(has_imports)
        .then(0.15 + 0.45 * _uniform(h, _S_IMPORT_RATIO))
        .otherwise(0.1 * _uniform(h, _S_IMPORT_RATIO))
    )
    ents = ents.with_columns(exports=size.cast(pl.Int64)).with_columns(
        imports=(pl.col("exports") * ratio).floor().cast(pl.Int64),
        growth=(0.05 + 0.09 * _normal(h, _S_GROWTH)).clip(-0.25, 0.3),
        amp=0.75 + 0.5 * _uniform(h, _S_AMP),
        q4=pl.when(pl.col("q4_peak")).then(0.08 + 0.12 * _uniform(h, _S_Q4)).otherwise(0.0),
        sigma=pl.when(pl.col("exports") >= HEAD_EXPORTS_USD).then(0.05).otherwise(0.08),
        cap_base=60.0 + 30.0 * _uniform(h, _S_CAP),
        rest=pl.when(_uniform(h, _S_REST) < 0.35).then(0.03 + 0.08 * _uniform(h, _S_REST_SHARE)).otherwise(0.0),
        due_factor=0.86 + 0.12 * _uniform(h, _S_DUE),
        hit=_uniform(h, _S_HIT) < 0.35,
        miss_rate=pl.when(pl.col("exports") >= HEAD_EXPORTS_USD).then(0.01).otherwise(0.03),
    )
    # Exports of the last calendar year before `end`, per unit of base: calibrates base to `exports`.
    last_year = (end_month // 12 - 1) * 12
    t_ref = last_year + 5.5
    calib = pl.lit(0.0)
    for m in range(last_year, last_year + 12):
        f0, q4m = _season(m)
        calib = calib + _level(m, t_ref) * _season_expr(f0, q4m)
    ents = ents.with_columns(calib=calib)

    # Markets: weighted sampling without replacement (the smallest -ln(u)/w win), tilted by industry.
    tilts = pl.DataFrame(
        [(i.code, code, t) for i in _INDUSTRIES for code, t in i.tilt],
        schema=["industry", "market", "tilt"],
        orient="row",
    )
    chosen_m = (
        ents.select("ent", "h", "industry", "km")
        .join(market_table, how="cross")
        .join(tilts, on=["industry", "market"], how="left")
        .with_columns(w=pl.col("w") * pl.col("tilt").fill_null(1.0))
        .with_columns(
            key=-_uniform(h, _S_MARKET_KEY, key=pl.col("mi")).log() / pl.col("w"),
            wm=pl.col("w").sqrt() * (0.8 * _normal(h, _S_MARKET_SHARE, key=pl.col("mi"))).exp(),
        )
        .with_columns(rank=pl.col("key").rank("ordinal").over("ent"))
        .filter(pl.col("rank") <= pl.col("km"))
        .with_columns(sm=pl.col("wm") / pl.col("wm").sum().over("ent"))
        .select("ent", "market", "rank", "sm")
    )
    headings = pl.DataFrame(
        [(i.code, hs, k) for i in _INDUSTRIES for k, hs in enumerate(i.headings)],
        schema=["industry", "hs", "hi"],
        orient="row",
    )
    chosen_h = (
        ents.select("ent", "h", "industry", "kh")
        .join(headings, on="industry")
        .with_columns(
            key=-_uniform(h, _S_HS_KEY, key=pl.col("hi")).log() / pl.when(pl.col("hi") == 0).then(2.0).otherwise(1.0),
            wh=(0.6 * _normal(h, _S_HS_SHARE, key=pl.col("hi"))).exp(),
        )
        .with_columns(hrank=pl.col("key").rank("ordinal").over("ent"))
        .filter(pl.col("hrank") <= pl.col("kh"))
        .with_columns(sh=pl.col("wh") / pl.col("wh").sum().over("ent"))
        .select("ent", "hs", "hrank", "sh")
    )
    lines = (
        chosen_m.join(chosen_h, on="ent")
        .sort("ent", "rank", "hrank")
        .with_row_index("line")
        .with_columns(line=pl.col("line").cast(pl.Int64), share=pl.col("sm") * pl.col("sh"))
    )
    us_share = lines.filter(pl.col("market") == "US").group_by("ent").agg(us_share=pl.col("share").sum())
    ents = ents.join(us_share, on="ent", how="left").with_columns(pl.col("us_share").fill_null(0.0)).sort("ent")
    per_ent = ents.select("lag", "exports", "rest", "calib", "hit", "due_factor")
    idx = lines["ent"]
    lines = lines.with_columns(
        h=_hash_ids(seed, 2, pl.col("line")),
        ent_lag=per_ent["lag"].gather(idx),
        ent_base=(per_ent["exports"].cast(pl.Float64) / (per_ent["calib"] * (1.0 + per_ent["rest"]))).gather(idx),
        hit=per_ent["hit"].gather(idx),
        due_factor=per_ent["due_factor"].gather(idx),
    )
    lines = lines.with_columns(
        lag=(pl.col("ent_lag") + (_uniform(pl.col("h"), _S_LINE_LAG) < 0.2).cast(pl.Int64)).clip(2, 5),
        base=pl.col("share") * pl.col("ent_base"),
        shocked=pl.col("market").is_in(list(SHOCKED_MARKETS)),
    ).select("ent", "line", "h", "market", "hs", "lag", "base", "shocked", "hit", "due_factor")
    base_total = lines.group_by("ent").agg(base_total=pl.col("base").sum())
    ents = ents.join(base_total, on="ent", how="left").sort("ent")
    return Population(ents=ents, lines=lines)


def _level(m: int, t_ref: float) -> pl.Expr:
    return (pl.col("growth") * ((m - t_ref) / 12)).exp()


def _season_expr(f0: float, q4m: float) -> pl.Expr:
    return 1.0 + pl.col("amp") * (f0 * (1.0 + pl.col("q4") * q4m) - 1.0)


# --- The order book, month by month --------------------------------------------------------------


@dataclass
class MonthOut:
    """One month of the model: a row per enterprise (its report figures) and, if asked, its lines."""

    month: int
    reports: pl.DataFrame  # ent, exports, new_orders, backlog, due, capacity, trend, outlook, missing
    lines: pl.DataFrame | None  # ent, market, hs, backlog, new_orders, exports


class OrderBook:
    """The state of every line (demand window, backlog) and enterprise (rest, last figures), stepped a month at a time."""

    def __init__(self, pop: Population, *, seed: int, start: int, end: int) -> None:
        self.ents, self.lines = pop.ents, pop.lines
        self.seed, self.end = seed, end
        self.t = start
        self.t_ref = (end // 12 - 1) * 12 + 5.5
        self.ent_idx = self.lines["ent"]
        self.window = [self._demand(start + k) for k in range(5)]  # D(t) .. D(t + 4)
        frame = pl.DataFrame([self.lines["lag"], *[w.alias(f"d{k}") for k, w in enumerate(self.window)]])
        book = sum(
            (pl.when(pl.col("lag") > k).then(pl.col(f"d{k}")).otherwise(0.0) for k in range(5)),
            start=pl.lit(0.0),
        )
        self.backlog = frame.select(book.round().cast(pl.Int64)).to_series()
        opening = pl.DataFrame({"ent": self.ent_idx, "b": self.backlog}).group_by("ent").agg(pl.col("b").sum())
        opening = self.ents.select("ent", "rest").join(opening, on="ent", how="left").sort("ent")
        self.rest_backlog = opening.select(
            (pl.col("b").fill_null(0) * pl.col("rest")).floor().cast(pl.Int64)
        ).to_series()
        self.prev_new: pl.Series | None = None
        self.quantity: dict[int, pl.Series] = {}

    def _demand(self, m: int) -> pl.Series:
        """Demand of every line for shipment in month ``m`` (USD, float)."""
        f0, q4m = _season(m)
        per_ent = self.ents.select(
            _level(m, self.t_ref) * _season_expr(f0, q4m) * (pl.col("sigma") * _normal(pl.col("h"), _S_COMMON, m)).exp()
        ).to_series()
        return self.lines.select(
            pl.col("base") * pl.lit(per_ent.gather(self.ent_idx)) * (0.1 * _normal(pl.col("h"), _S_NOISE, m)).exp()
        ).to_series()

    def step(self, *, with_lines: bool) -> MonthOut:
        t = self.t
        shock = t > self.end - _SHOCK_MONTHS
        d = [*self.window, self._demand(t + 5)]
        frame = pl.concat(
            [
                self.lines.select("ent", "h", "market", "hs", "lag", "shocked", "hit", "due_factor"),
                pl.DataFrame([self.backlog.alias("b"), *[s.alias(f"d{k}") for k, s in enumerate(d)]]),
            ],
            how="horizontal",
        )
        lag, hh = pl.col("lag"), pl.col("h")
        dk = [pl.col(f"d{k}") for k in range(6)]
        due_at_lead = (
            pl.when(lag == 2).then(dk[2]).when(lag == 3).then(dk[3]).when(lag == 4).then(dk[4]).otherwise(dk[5])
        )
        factor = pl.lit(_order_factor(t))
        if shock:
            factor = factor * pl.when(pl.col("shocked")).then(0.6 + 0.2 * _uniform(hh, _S_SHOCK, t)).otherwise(
                0.92 + 0.08 * _uniform(hh, _S_SHOCK, t)
            )
        full = dk[0] + dk[1] + dk[2]
        for k in (3, 4, 5):
            full = full + pl.when(lag >= k).then(dk[k]).otherwise(0.0)
        near = dk[1] + dk[2] + pl.when(lag >= 3).then(dk[3]).otherwise(0.0)
        far = near + pl.when(lag >= 4).then(dk[4]).otherwise(0.0) + pl.when(lag >= 5).then(dk[5]).otherwise(0.0)
        frame = frame.with_columns(n=(due_at_lead * factor).round().cast(pl.Int64), full=full, near=near, far=far)
        frame = frame.with_columns(avail=pl.col("b") + pl.col("n"))
        shipped = pl.when(pl.col("full") > 0).then(dk[0] * pl.col("avail") / pl.col("full")).otherwise(0.0)
        frame = frame.with_columns(x=pl.min_horizontal(shipped.round().cast(pl.Int64), pl.col("avail")))
        if shock:
            cancel_share = pl.when(pl.col("shocked") & pl.col("hit")).then(0.02 + 0.08 * _uniform(hh, _S_CANCEL, t))
            frame = frame.with_columns(
                c=((pl.col("avail") - pl.col("x")) * cancel_share.otherwise(0.0)).floor().cast(pl.Int64)
            )
        else:
            frame = frame.with_columns(c=pl.lit(0, dtype=pl.Int64))
        frame = frame.with_columns(b_new=pl.col("avail") - pl.col("x") - pl.col("c"))
        due_share = pl.when(pl.col("far") > 0).then(pl.col("near") / pl.col("far")).otherwise(1.0).clip(0.0, 1.0)
        frame = frame.with_columns(due=pl.col("b_new").cast(pl.Float64) * due_share * pl.col("due_factor"))

        sums = frame.group_by("ent", maintain_order=True).agg(
            pl.col("n").sum(), pl.col("x").sum(), pl.col("b_new").sum(), pl.col("due").sum()
        )
        ents = pl.concat(
            [
                self.ents.select("ent", "h", "rest", "due_factor", "cap_base", "base_total", "growth", "miss_rate"),
                sums.drop("ent"),
                pl.DataFrame({"rb": self.rest_backlog}),
            ],
            how="horizontal",
        )
        eh = pl.col("h")
        rest_n = (pl.col("n").cast(pl.Float64) * pl.col("rest")).floor().cast(pl.Int64)
        ents = ents.with_columns(rest_n=rest_n).with_columns(
            rest_x=pl.min_horizontal(
                (pl.col("x").cast(pl.Float64) * pl.col("rest")).floor().cast(pl.Int64), pl.col("rb") + pl.col("rest_n")
            )
        )
        ents = ents.with_columns(rb_new=pl.col("rb") + pl.col("rest_n") - pl.col("rest_x"))
        level = (pl.col("growth") * ((t - self.t_ref) / 12)).exp()
        capacity = (
            pl.col("cap_base")
            * pl.col("x").cast(pl.Float64)
            / (pl.col("base_total") * level)
            * (0.03 * _normal(eh, _S_CAP_NOISE, t)).exp()
        )
        rep = ents.select(
            "ent",
            "h",
            exports=pl.col("x") + pl.col("rest_x"),
            new_orders=pl.col("n") + pl.col("rest_n"),
            backlog=pl.col("b_new") + pl.col("rb_new"),
            due=pl.col("due").floor().cast(pl.Int64)
            + (pl.col("rb_new").cast(pl.Float64) * pl.col("due_factor") * 0.9).floor().cast(pl.Int64),
            capacity=capacity.clip(3.0, 100.0).round(1),
            missing=_uniform(eh, _S_MISSING, t) < pl.col("miss_rate"),
        )
        quantity = rep.select(pl.col("due") + pl.col("new_orders")).to_series()
        rep = rep.with_columns(
            trend=_compare(rep["new_orders"], self.prev_new), outlook=_compare(quantity, self.quantity.get(t - 12))
        )
        lines_out = None
        if with_lines:
            reported = pl.lit(~rep["missing"].gather(self.ent_idx))
            lines_out = frame.filter(reported & ((pl.col("n") > 0) | (pl.col("x") > 0) | (pl.col("b_new") > 0))).select(
                "ent", "market", "hs", backlog="b_new", new_orders="n", exports="x"
            )

        self.window = d[1:]
        self.backlog = frame["b_new"]
        self.rest_backlog = ents["rb_new"]
        self.prev_new = rep["new_orders"]
        self.quantity[t] = quantity
        self.quantity.pop(t - 12, None)
        self.t += 1
        return MonthOut(t, rep, lines_out)


def _compare(now: pl.Series, before: pl.Series | None) -> pl.Series:
    """``up``/``same``/``down`` of ``now`` against ``before`` with a +/- 5 % band (no ``before``: ``same``)."""
    if before is None:
        return pl.Series(["same"] * now.len(), dtype=pl.String)
    frame = pl.DataFrame({"a": now, "b": before})
    return frame.select(
        pl.when(pl.col("a") * 100 > pl.col("b") * (100 + _BAND))
        .then(pl.lit("up"))
        .when(pl.col("a") * 100 < pl.col("b") * (100 - _BAND))
        .then(pl.lit("down"))
        .otherwise(pl.lit("same"))
    ).to_series()


# --- Registry text (Python: names, codes) ------------------------------------------------------


def _org_body(serial: int, seed: int) -> str:
    """8 characters ``MA`` + 6 of the USCC alphabet: a bijection of ``serial`` (so codes never repeat)."""
    value = (serial * 550_188_443 + seed) % 887_503_681  # 31**6; the factor is prime to 31
    chars = []
    for _ in range(6):
        value, r = divmod(value, 31)
        chars.append(USCC_ALPHABET[r])
    return "MA" + "".join(reversed(chars))


def synth_uscc(district: str, serial: int, seed: int) -> str:
    """A valid USCC: ``91`` + the district's code + organisation code (with its GB 11714 check) + check."""
    body = _org_body(serial, seed)
    first17 = "91" + district + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)


def _registry_text(ents: pl.DataFrame, towns: dict[str, SynthRegion], *, seed: int) -> pl.DataFrame:
    """uscc, name, customs_code, contact_name, contact_phone for each enterprise (Python: a few µs each)."""
    rng = random.Random(f"registry-{seed}")
    words = {i.code: i.words for i in _INDUSTRIES}
    used: set[str] = set()
    rows = []
    for ent, town, industry, exports in ents.select("ent", "town", "industry", "exports").iter_rows():
        district = town[:6]
        place = towns[town].name.removesuffix("街道").removesuffix("镇")
        while True:
            brand = rng.choice(_BRAND_FIRST) + rng.choice(_BRAND_SECOND)
            kind = "股份有限公司" if exports >= HEAD_EXPORTS_USD and rng.random() < 0.35 else "有限公司"
            name = f"{place}{brand}{rng.choice(words[industry])}{kind}"
            if name not in used:
                used.add(name)
                break
        customs = f"{district[:4]}{(ent * 7_919 + seed) % 1_000_000:06d}" if rng.random() < 0.9 else ""
        contact = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
        phone = rng.choice(("139", "138", "137", "135", "158", "186", "188")) + f"{rng.randrange(10**8):08d}"
        rows.append((synth_uscc(district, ent, seed), name, customs, contact, phone))
    return pl.DataFrame(rows, schema=["uscc", "name", "customs_code", "contact_name", "contact_phone"], orient="row")


def _segments(ents: pl.DataFrame, codes: set[str]) -> pl.DataFrame:
    """(ent, segment) pairs: the reminder segments each enterprise belongs to."""
    h = pl.col("h")
    head = pl.col("exports") >= HEAD_EXPORTS_USD
    consumer = pl.col("industry").is_in(list(_CONSUMER))
    rules = {
        "canton_fair": _uniform(h, _S_SEGMENT, key=pl.lit(1)) < pl.when(head).then(0.35).otherwise(0.2),
        "us_exporter": pl.col("us_share") >= 0.30,
        "key_enterprise": head | (_uniform(h, _S_SEGMENT, key=pl.lit(2)) < 0.03),
        "subsidised": _uniform(h, _S_SEGMENT, key=pl.lit(3)) < 0.15,
        "cross_border_ecommerce": _uniform(h, _S_SEGMENT, key=pl.lit(4)) < pl.when(consumer).then(0.1).otherwise(0.03),
        "domestic_pivot": _uniform(h, _S_SEGMENT, key=pl.lit(5)) < 0.04,
    }
    parts = [ents.filter(rule).select("ent", segment=pl.lit(code)) for code, rule in rules.items() if code in codes]
    if not parts:
        return pl.DataFrame(schema={"ent": pl.Int64, "segment": pl.String})
    return pl.concat(parts).sort("ent", "segment")


# --- Database --------------------------------------------------------------------------------


class SynthRefused(Exception):
    """The run would mix with existing data, or its arguments make no sense; nothing was written."""


@dataclass
class SynthSummary:
    tier: str
    first_period: str
    last_period: str
    regions: int = 0
    enterprises: int = 0
    head: int = 0
    whitelist: int = 0
    reports: int = 0
    lines: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


_CHUNK = 500_000  # rows per COPY / executemany


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _insert(table: str, frame: pl.DataFrame) -> None:
    """Rows of ``frame`` (its columns named as the table's) in chunks (``common.bulk``)."""
    for start in range(0, frame.height, _CHUNK):
        insert_frame(table, frame.slice(start, _CHUNK))


def _timestamp(value: pl.Expr) -> pl.Expr:
    """A UTC datetime as the database takes it as text (SQLite: Django's naive UTC; PostgreSQL: with offset)."""
    suffix = "+00" if connection.vendor == "postgresql" else ""
    return value.dt.strftime("%Y-%m-%d %H:%M:%S") + pl.lit(suffix)


def _synthetic_regions_sql() -> tuple[str, list[str]]:
    paths = list(Region.objects.filter(code__in=SYNTH_ROOTS).values_list("path", flat=True))
    if not paths:
        return "", []
    where = " OR ".join([f"{_quote('path')} LIKE %s"] * len(paths))
    return f"SELECT {_quote('code')} FROM {_quote(Region._meta.db_table)} WHERE {where}", [p + "%" for p in paths]


def synth_clear() -> dict[str, int]:
    """Delete every synthetic row (all tiers): lines, reports, drafts, events, customs records, enterprises, regions.

    Other data (the demo district, real enterprises) is kept. Raises :class:`SynthRefused` when a user account is
    scoped to a synthetic region or enterprise (accounts are never deleted here).
    """
    regions_sql, params = _synthetic_regions_sql()
    if not regions_sql:
        return {}
    ent_table = _quote(Enterprise._meta.db_table)
    ents_sql = f"SELECT {_quote('id')} FROM {ent_table} WHERE {_quote('town_id')} IN ({regions_sql})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {_quote(User._meta.db_table)} "
            f"WHERE {_quote('region_id')} IN ({regions_sql}) OR {_quote('enterprise_id')} IN ({ents_sql})",
            params + params,
        )
        scoped = cursor.fetchone()[0]
    if scoped:
        raise SynthRefused(
            f"{scoped} user account(s) are scoped to synthetic regions or enterprises: remove them first"
        )
    deleted: dict[str, int] = {}
    report_table, line_table = _quote(Report._meta.db_table), _quote(ReportLine._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {report_table} WHERE {_quote('enterprise_id')} NOT IN ({ents_sql})", params
        )
        only_synthetic = cursor.fetchone()[0] == 0
        if only_synthetic:
            cursor.execute(f"SELECT COUNT(*) FROM {report_table}")
            deleted["reports"] = cursor.fetchone()[0]
            if connection.vendor == "postgresql":
                try:
                    with transaction.atomic():
                        cursor.execute(f"TRUNCATE {line_table}, {report_table}")
                except DatabaseError:  # another table refers to reports: delete row by row instead
                    only_synthetic = False
            else:
                cursor.execute(f"DELETE FROM {line_table}")
                cursor.execute(f"DELETE FROM {report_table}")
        if not only_synthetic:
            reports_sql = f"SELECT {_quote('id')} FROM {report_table} WHERE {_quote('enterprise_id')} IN ({ents_sql})"
            cursor.execute(f"DELETE FROM {line_table} WHERE {_quote('report_id')} IN ({reports_sql})", params)
            cursor.execute(f"DELETE FROM {report_table} WHERE {_quote('enterprise_id')} IN ({ents_sql})", params)
            deleted["reports"] = cursor.rowcount
        through = Enterprise.segments.through._meta.db_table
        for model_table in (
            ReportDraft._meta.db_table,
            Disruption._meta.db_table,
            Need._meta.db_table,
            CustomsExport._meta.db_table,
            through,
        ):
            cursor.execute(f"DELETE FROM {_quote(model_table)} WHERE {_quote('enterprise_id')} IN ({ents_sql})", params)
        cursor.execute(f"DELETE FROM {ent_table} WHERE {_quote('town_id')} IN ({regions_sql})", params)
        deleted["enterprises"] = cursor.rowcount
        region_table = _quote(Region._meta.db_table)
        where = " OR ".join([f"{_quote('path')} LIKE %s"] * len(params))
        cursor.execute(f"DELETE FROM {region_table} WHERE {where}", params)
        deleted["regions"] = cursor.rowcount
    return deleted


def synth_run(
    *,
    tier: str,
    months: int = 36,
    end: str = "2020-03",
    seed: int = 20200415,
    enterprises: int | None = None,
    force: bool = False,
    progress: Callable[[str], None] = lambda _line: None,
) -> SynthSummary:
    """Fill the database with the synthetic population of ``tier`` (see the module docstring).

    Args:
        tier: ``district``, ``city`` or ``province``.
        months: Reported months, ending with ``end``.
        end: Last reported period, ``YYYY-MM``; before the current month.
        seed: The only source of chance: the same arguments give the same rows.
        enterprises: Instead of the tier's count (the region tree stays the tier's).
        force: Run even though the database holds reports: synthetic rows of earlier runs (every tier) are deleted
            first, the rest is kept.
        progress: Called with one line of text per step.

    Raises:
        SynthRefused: for bad arguments, or reports already in the database without ``force``; nothing written.
    """
    started = time.perf_counter()
    spec = TIERS.get(tier)
    if spec is None:
        raise SynthRefused(f"unknown tier {tier!r}: choose one of {', '.join(TIERS)}")
    n = spec.enterprises if enterprises is None else enterprises
    if n < 1 or months < 1:
        raise SynthRefused("--enterprises and --months must be at least 1")
    end_m = _month(end)
    today = clock.today()
    if end_m >= today.year * 12 + today.month - 1:
        raise SynthRefused(f"--end {end} is not before the current month: its reports could not be submitted yet")
    first_m = end_m - months + 1
    summary = SynthSummary(tier=tier, first_period=period_of_month_number(first_m), last_period=end)

    if Report.objects.exists() or Region.objects.filter(code__in=SYNTH_ROOTS).exists():
        if not force:
            raise SynthRefused(
                "the database already holds reports (or synthetic regions): use --force to delete earlier synthetic "
                "rows and add this population next to the other data"
            )
        summary.deleted = synth_clear()
        progress(f"deleted earlier synthetic rows: {summary.deleted or 'none'}")

    plan = regions_plan(spec, seed=seed)
    if spec.parent is not None and not Region.objects.filter(code=spec.parent).exists():
        plan[0] = SynthRegion(plan[0].code, plan[0].name, plan[0].name_en, plan[0].level, None)
    towns = {r.code: r for r in plan if r.level == Region.Level.TOWN}
    markets = list(Market.objects.values_list("code", flat=True))
    industries = set(Industry.objects.values_list("code", flat=True))
    chapters = set(HSCode.objects.values_list("code", flat=True))
    missing = [i.code for i in _INDUSTRIES if i.code not in industries] + [
        hs for i in _INDUSTRIES for hs in i.headings if hs[:2] not in chapters
    ]
    if missing:
        raise SynthRefused(f"reference data missing ({', '.join(sorted(set(missing)))}): run `exportwatch init` first")

    pop = population_plan(n=n, towns=list(towns), markets=markets, seed=seed, end_month=end_m)
    progress(
        f"planned {n:,} enterprises, {pop.lines.height:,} market x HS lines ({time.perf_counter() - started:.1f} s)"
    )
    ents = pop.ents.hstack(_registry_text(pop.ents, towns, seed=seed))
    segment_codes = set(Segment.objects.values_list("code", flat=True))
    with transaction.atomic():
        _write_regions(plan)
        ent_ids = _write_enterprises(ents, segment_codes, seed=seed)
    summary.regions = len(plan)
    summary.enterprises = n
    summary.head = ents.filter(pl.col("exports") >= settings.EXPORTWATCH_HEAD_EXPORTS_USD).height
    summary.whitelist = ents.filter(
        pl.col("exports") + pl.col("imports") >= settings.EXPORTWATCH_WHITELIST_TRADE_USD
    ).height
    progress(
        f"registry: {len(plan):,} regions, {n:,} enterprises ({summary.head:,} head, {summary.whitelist:,} "
        f"white-list eligible) ({time.perf_counter() - started:.1f} s)"
    )

    book = OrderBook(pop, seed=seed, start=first_m - _BURN_IN, end=end_m)
    for _ in range(_BURN_IN):
        book.step(with_lines=False)
    for m in range(first_m, end_m + 1):
        t0 = time.perf_counter()
        out = book.step(with_lines=True)
        t1 = time.perf_counter()
        with transaction.atomic():
            n_reports, n_lines = _write_month(out, ent_ids, today=today)
            t2 = time.perf_counter()
        summary.reports += n_reports
        summary.lines += n_lines
        now = time.perf_counter()
        # The commit is where PostgreSQL checks the deferred foreign keys of every row written.
        progress(
            f"{period_of_month_number(m)}: {n_reports:,} reports, {n_lines:,} lines (model {t1 - t0:.1f} s, write {t2 - t1:.1f} s, "
            f"commit {now - t2:.1f} s; total {summary.lines:,} lines, {now - started:.0f} s)"
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Enterprise, Report, ReportLine):
                cursor.execute(f"ANALYZE {_quote(model._meta.db_table)}")
    summary.seconds = time.perf_counter() - started
    return summary


def _write_regions(plan: Iterable[SynthRegion]) -> None:
    paths: dict[str, str] = {}
    rows = []
    for r in plan:
        parent_path = paths.get(r.parent or "") or (
            Region.objects.get(code=r.parent).path if r.parent is not None else ""
        )
        paths[r.code] = parent_path + r.code + "/"
        rows.append(
            Region(code=r.code, name=r.name, name_en=r.name_en, level=r.level, parent_id=r.parent, path=paths[r.code])
        )
    Region.objects.bulk_create(rows, batch_size=1000)


def _write_enterprises(ents: pl.DataFrame, segment_codes: set[str], *, seed: int) -> pl.Series:
    """Enterprises and their segments; returns the database id of each ``ent`` (in ``ent`` order)."""
    now = _timestamp(pl.lit(clock.now().astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)))
    rows = ents.select(
        "uscc",
        "name",
        "customs_code",
        town_id="town",
        industry_id="industry",
        exports_last_year_usd="exports",
        imports_last_year_usd="imports",
        contact_name="contact_name",
        contact_phone="contact_phone",
        created_at=now,
        updated_at=now,
    )
    _insert(Enterprise._meta.db_table, rows)
    stored = pl.DataFrame(
        list(Enterprise.objects.filter(town_id__in=ents["town"].unique().to_list()).values_list("uscc", "id")),
        schema={"uscc": pl.String, "id": pl.Int64},
        orient="row",
    )
    ids = ents.select("ent", "uscc").join(stored, on="uscc", how="left").sort("ent")["id"]
    segments = _segments(ents, segment_codes)
    _insert(
        Enterprise.segments.through._meta.db_table,
        segments.select(enterprise_id=ids.gather(segments["ent"]), segment_id="segment"),
    )
    return ids


def _mixes(lines: pl.DataFrame) -> pl.DataFrame:
    """Per enterprise row: its month's ``core.concentration.market_mix`` (``hhi``, ``main``), in columns."""
    a = pl.col("a")
    return (
        lines.group_by("ent", "market")
        .agg(a=pl.col("exports").cast(pl.Float64).sum())
        .group_by("ent")
        .agg(
            total=a.sum(),
            squares=(a * a).sum(),
            top=a.max(),
            main=pl.col("market").sort_by(["a", "market"], descending=[True, True]).first(),
        )
        .select(
            "ent",
            hhi=pl.when(pl.col("total") > 0).then(pl.col("squares") / (pl.col("total") * pl.col("total"))),
            main=pl.when(pl.col("top") > 0).then(pl.col("main")),
        )
    )


def _write_month(out: MonthOut, ent_ids: pl.Series, *, today: dt.date) -> tuple[int, int]:
    """The reports of one month and their lines; returns how many of each."""
    period = period_of_month_number(out.month)
    first = period_end(period) + dt.timedelta(days=1)
    last = min(report_deadline(period, deadline_day=settings.EXPORTWATCH_REPORT_DEADLINE_DAY), today)
    days = (last - first).days + 1
    # 08:00-20:59 China time (UTC+8) on one of the days from the 1st of the next month to the deadline.
    start_utc = dt.datetime.combine(first, dt.time(8, 0)) - dt.timedelta(hours=8)
    h = pl.col("h")
    assert out.lines is not None
    reports = out.reports.filter(~pl.col("missing")).join(
        _mixes(out.lines), on="ent", how="left", maintain_order="left"
    )
    offsets = reports.select(
        (
            (_uniform(h, _S_DAY, out.month) * days).floor() * 86_400
            + (_uniform(h, _S_HOUR, out.month) * 46_800).floor()
        ).cast(pl.Int64)
    ).to_series()
    rows = reports.select(
        enterprise_id=ent_ids.gather(reports["ent"]),
        period=pl.lit(period),
        version=pl.lit(1),
        is_current=pl.lit(True),
        exports_usd="exports",
        new_orders_usd="new_orders",
        backlog_usd="backlog",
        backlog_due_3m_usd="due",
        capacity_utilization_pct="capacity",
        new_orders_trend="trend",
        outlook_3m="outlook",
        source=pl.lit(Source.CSV.value),
        submitted_at=_timestamp(pl.lit(start_utc) + pl.duration(seconds=offsets)),
        market_hhi="hhi",
        main_market=pl.col("main").fill_null(""),
    )
    _insert(Report._meta.db_table, rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_quote('enterprise_id')}, {_quote('id')} FROM {_quote(Report._meta.db_table)} "
            f"WHERE {_quote('period')} = %s AND {_quote('is_current')}",
            [period],
        )
        stored = pl.DataFrame(
            cursor.fetchall(), schema={"enterprise_id": pl.Int64, "report_id": pl.Int64}, orient="row"
        )
    report_ids = (
        pl.DataFrame({"ent": pl.int_range(0, ent_ids.len(), eager=True, dtype=pl.Int64), "enterprise_id": ent_ids})
        .join(stored, on="enterprise_id", how="left")
        .sort("ent")["report_id"]
    )
    lines = out.lines.select(
        report_id=report_ids.gather(out.lines["ent"]),
        market_id="market",
        hs="hs",
        backlog_usd="backlog",
        new_orders_usd="new_orders",
        exports_usd="exports",
    )
    _insert(ReportLine._meta.db_table, lines)
    return reports.height, lines.height
