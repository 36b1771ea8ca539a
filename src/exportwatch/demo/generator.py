"""Deterministic demo data: the monitored export enterprises of Fenghua District, Ningbo, spring 2020.

:func:`generate` builds the whole demo district in memory from one seed: the registry of 472
enterprises (52 head enterprises, 292 on the financing white list), their monthly order-book
reports with market x product lines from ``first_period`` to ``last_period``, and the disruptions
and needs they filed between the Chinese New Year of 2020 (2020-01-25) and 2020-04-14.

Everything here is pure: no Django, no files, no clock; the only source of chance is
``random.Random(seed)``, consumed in a fixed order, so the same arguments always give equal data.

How the order book is simulated (per enterprise, per line = market x HS code, in whole USD):

* Desired shipments ``D(m) = k * share * growth(m) * season(m) * noise``; ``k`` is chosen so the
  2019 total is within about 2 % of ``exports_last_year_usd``. ``season`` has the Chinese New Year
  dip (the month holding the festival and the one after ship 30-40 % less), the pre-festival rush
  in the month before, a Q4 peak for Christmas and winter goods, a small December year-end push.
* A line signs its orders ``lag`` (2-5) months ahead: ``new_orders(m) = D(m + lag)``, so in
  normal times the backlog covers ``lag`` months of shipments and shipments are ``D(m)``.
* ``backlog(m) = backlog(m-1) + new_orders(m) - exports(m) - cancellations(m)`` holds exactly on
  every line and so on every report (the hidden "other markets" line of some enterprises makes the
  itemised lines sum to slightly less than the totals).
* 2020: late-January stop; February production halt (exports about 55 % below February 2019,
  capacity 20-40 %); March recovery of production while Europe and the US lock down: their new
  orders fall 40-70 %, buyers ask to delay shipments and cancel part of the backlog.
* ``new_orders_trend`` compares new orders with the previous month; ``outlook_3m`` compares the
  orders due in the next three months plus this month's new orders with the same quantity a year
  earlier. Both use a +/- 5 % band for ``same``.
* Disruptions and needs are always drawn for the 2020 window, whatever periods are reported.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from exportwatch.core.codes import USCC_ALPHABET, uscc_check_char
from exportwatch.core.periods import month_number, period_of_month_number

__all__ = [
    "ENTERPRISE_COUNT",
    "EU_MARKETS",
    "HEAD_COUNT",
    "HEAD_THRESHOLD_USD",
    "MARKET_WEIGHTS",
    "SEGMENTS",
    "WESTERN_MARKETS",
    "WHITE_LIST_COUNT",
    "WHITE_LIST_THRESHOLD_USD",
    "DemoData",
    "DemoDisruption",
    "DemoEnterprise",
    "DemoLine",
    "DemoNeed",
    "DemoReport",
    "generate",
    "org_code_check_char",
    "weighted_pick",
]

# --- Public records --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoEnterprise:
    """One monitored enterprise as the bureau's registry holds it (see DESIGN.md section 5)."""

    uscc: str
    name: str
    customs_code: str
    town: str
    industry: str
    exports_last_year_usd: int
    imports_last_year_usd: int
    contact_name: str
    contact_phone: str
    segments: tuple[str, ...]


@dataclass(frozen=True)
class DemoLine:
    """One market x product line of a monthly report (USD)."""

    market: str
    hs: str
    backlog_usd: int
    new_orders_usd: int
    exports_usd: int


@dataclass(frozen=True)
class DemoReport:
    """One enterprise's order-book report for one period (USD, capacity in percent)."""

    uscc: str
    period: str
    exports_usd: int
    new_orders_usd: int
    backlog_usd: int
    backlog_due_3m_usd: int
    capacity_utilization_pct: int
    new_orders_trend: str
    outlook_3m: str
    lines: tuple[DemoLine, ...]
    submitted_on: date


@dataclass(frozen=True)
class DemoDisruption:
    """An event that blocked orders in hand, with a Chinese note."""

    uscc: str
    date: date
    kind: str
    amount_usd: int
    market: str
    hs: str
    note: str


@dataclass(frozen=True)
class DemoNeed:
    """A problem-list (清单) item filed by an enterprise, with a Chinese description."""

    uscc: str
    date: date
    category: str
    amount_usd: int | None
    urgency: str
    description: str


@dataclass(frozen=True)
class DemoData:
    """The whole demo district."""

    enterprises: tuple[DemoEnterprise, ...]
    reports: tuple[DemoReport, ...]
    disruptions: tuple[DemoDisruption, ...]
    needs: tuple[DemoNeed, ...]


# --- District figures ------------------------------------------------------------------------

ENTERPRISE_COUNT = 472
HEAD_COUNT = 52
WHITE_LIST_COUNT = 292
HEAD_THRESHOLD_USD = 10_000_000  # exports last year, head enterprise (头部企业)
WHITE_LIST_THRESHOLD_USD = 1_000_000  # exports + imports last year, financing white list

FENGHUA_ADMIN_CODE = "330213"
LAST_DEMO_PERIOD = "2020-03"  # the demo is "spring 2020": nothing is reported after March
EVENT_WINDOW = (date(2020, 1, 25), date(2020, 4, 14))

SEGMENTS = (
    "canton_fair",
    "us_exporter",
    "key_enterprise",
    "subsidised",
    "cross_border_ecommerce",
    "domestic_pivot",
)
US_EXPORTER_SHARE = 0.30  # share of 2019 exports going to the US that makes a "US exporter"

EU_MARKETS = ("DE", "FR", "IT", "NL", "ES", "PL", "BE")
# Markets whose demand collapsed in March 2020.
WESTERN_MARKETS = ("US", "GB", *EU_MARKETS)

# Chinese New Year (day 1 of the lunar year).
CNY_DATES: dict[int, date] = {
    2009: date(2009, 1, 26),
    2010: date(2010, 2, 14),
    2011: date(2011, 2, 3),
    2012: date(2012, 1, 23),
    2013: date(2013, 2, 10),
    2014: date(2014, 1, 31),
    2015: date(2015, 2, 19),
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
}

MARKET_NAMES: dict[str, str] = {
    "US": "美国",
    "DE": "德国",
    "FR": "法国",
    "IT": "意大利",
    "NL": "荷兰",
    "ES": "西班牙",
    "PL": "波兰",
    "BE": "比利时",
    "GB": "英国",
    "JP": "日本",
    "KR": "韩国",
    "VN": "越南",
    "TH": "泰国",
    "MY": "马来西亚",
    "ID": "印度尼西亚",
    "PH": "菲律宾",
    "SG": "新加坡",
    "IN": "印度",
    "AU": "澳大利亚",
    "CA": "加拿大",
    "MX": "墨西哥",
    "BR": "巴西",
    "CL": "智利",
    "AE": "阿联酋",
    "SA": "沙特阿拉伯",
    "RU": "俄罗斯",
    "ZA": "南非",
    "NG": "尼日利亚",
    "TR": "土耳其",
}

# How attractive each market is to a Fenghua exporter, before the industry tilt.
MARKET_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("US", 25.0),
    ("DE", 6.0),
    ("FR", 3.0),
    ("IT", 3.5),
    ("NL", 2.5),
    ("ES", 2.5),
    ("PL", 1.5),
    ("BE", 1.2),
    ("GB", 4.5),
    ("JP", 5.5),
    ("KR", 3.0),
    ("VN", 2.0),
    ("TH", 1.5),
    ("MY", 1.5),
    ("ID", 1.5),
    ("PH", 1.0),
    ("SG", 1.0),
    ("IN", 2.5),
    ("AU", 3.0),
    ("CA", 2.5),
    ("MX", 2.0),
    ("BR", 2.0),
    ("CL", 1.0),
    ("AE", 2.0),
    ("SA", 1.5),
    ("RU", 3.0),
    ("ZA", 1.0),
    ("NG", 0.8),
    ("TR", 1.5),
)

# The day from which buyers in a market started delaying and cancelling (national lockdowns).
_LOCKDOWN: dict[str, date] = {
    "IT": date(2020, 3, 9),
    "PL": date(2020, 3, 13),
    "ES": date(2020, 3, 14),
    "NL": date(2020, 3, 15),
    "FR": date(2020, 3, 17),
    "BE": date(2020, 3, 18),
    "US": date(2020, 3, 19),
    "DE": date(2020, 3, 22),
    "GB": date(2020, 3, 23),
    "IN": date(2020, 3, 24),
}
_DEFAULT_LOCKDOWN = date(2020, 3, 20)

# How many of the district's exporters sit in each town or street, by its code (NBS 2020 edition:
# 8 streets, then 4 towns). 江口 and 西坞 hold the big industrial parks (pneumatics, garments); the
# mountain towns have few exporters. Codes not listed here get weights by position, cyclically.
_TOWN_WEIGHTS: dict[str, float] = {
    "330213001": 10.0,  # 锦屏街道
    "330213002": 9.0,  # 岳林街道
    "330213003": 17.0,  # 江口街道
    "330213004": 15.0,  # 西坞街道
    "330213005": 8.0,  # 萧王庙街道
    "330213006": 9.0,  # 方桥街道
    "330213007": 4.0,  # 尚田街道
    "330213008": 7.0,  # 莼湖街道
    "330213100": 8.0,  # 溪口镇
    "330213106": 3.0,  # 裘村镇
    "330213107": 1.5,  # 大堰镇
    "330213108": 3.0,  # 松岙镇
}
_FALLBACK_TOWN_WEIGHTS = tuple(_TOWN_WEIGHTS.values())
# The place word a company of that town may carry in its name (宁波<place>...).
_TOWN_PLACES: dict[str, str] = {
    "330213003": "江口",
    "330213004": "西坞",
    "330213005": "萧王庙",
    "330213006": "方桥",
    "330213007": "尚田",
    "330213008": "莼湖",
    "330213100": "溪口",
    "330213106": "裘村",
    "330213107": "大堰",
    "330213108": "松岙",
}
# Place words for towns whose code is not known here.
_PLACES: tuple[tuple[str, float], ...] = (
    ("奉化", 60.0),
    ("溪口", 6.0),
    ("江口", 8.0),
    ("西坞", 7.0),
    ("莼湖", 5.0),
    ("萧王庙", 4.0),
    ("方桥", 4.0),
    ("松岙", 2.0),
    ("裘村", 2.0),
    ("尚田", 2.0),
)
_BRAND_FIRST = "华亚星力恒达宏盛泰鑫丰瑞德普佳永金天海新东明利龙凯欧美博信诚嘉益宇隆源昌富荣兴威锦伟立正通日万汇"
_BRAND_SECOND = "达力杰华盛泰宇通成诚翔峰科发顺丰隆昌源辉腾跃驰洋祥鑫邦帆特尔和安"
_SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 10.0),
    ("陈", 8.0),
    ("张", 5.0),
    ("李", 5.0),
    ("周", 6.0),
    ("林", 3.0),
    ("徐", 4.0),
    ("孙", 4.0),
    ("胡", 3.0),
    ("朱", 3.0),
    ("应", 4.0),
    ("邬", 5.0),
    ("竺", 3.0),
    ("毛", 4.0),
    ("蒋", 4.0),
    ("俞", 3.0),
    ("汪", 2.0),
    ("楼", 2.0),
    ("鲍", 2.0),
    ("江", 2.0),
    ("舒", 2.0),
    ("袁", 2.0),
    ("何", 2.0),
    ("吴", 4.0),
    ("赵", 2.0),
    ("沈", 3.0),
    ("杨", 3.0),
    ("黄", 3.0),
    ("裘", 1.0),
    ("方", 2.0),
    ("董", 2.0),
)
_GIVEN = "建国海军伟明华波杰丽萍燕红霞芳静敏勇斌峰磊涛亚晓丹雪琴英春立东新志宏文佳颖婷飞超鹏辉莉慧"
_MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "198",
)


@dataclass(frozen=True)
class _Industry:
    """A GB/T 4754-2017 division as the demo uses it."""

    code: str
    count_weight: float  # share of the district's enterprises
    head_weight: float  # multiplier of that share among head enterprises
    words: tuple[str, ...]  # industry words for company names
    chapters: tuple[str, ...]  # HS chapters
    headings: tuple[str, ...]  # HS headings inside those chapters
    tilt: tuple[tuple[str, float], ...]  # market preference multipliers
    q4_peak: bool  # Christmas / winter goods
    lags: tuple[float, float, float]  # weights of a 2-, 3- or 4-month order lead
    materials: str  # the raw material that runs short


_INDUSTRIES: tuple[_Industry, ...] = (
    _Industry(
        "36",
        70,
        1.8,
        ("汽车部件", "汽车零部件", "汽配", "汽车配件", "车业"),
        ("87",),
        ("8708", "8714"),
        (("US", 1.3), ("MX", 2.0), ("DE", 1.5), ("JP", 1.5), ("RU", 1.3), ("BR", 1.3)),
        False,
        (2.0, 4.0, 3.0),
        "钢材",
    ),
    _Industry(
        "34",
        90,
        1.3,
        ("气动元件", "气动科技", "气动成套", "液压", "气动机械", "流体控制", "机械"),
        ("84",),
        ("8481", "8412", "8414", "8483"),
        (("DE", 1.4), ("IN", 2.0), ("TR", 2.0), ("RU", 1.8), ("US", 0.8), ("VN", 1.5), ("BR", 1.3)),
        False,
        (2.0, 4.0, 3.0),
        "铝材",
    ),
    _Industry(
        "18",
        80,
        1.2,
        ("服饰", "服装", "制衣", "针织", "时装"),
        ("61", "62"),
        ("6110", "6109", "6203", "6204"),
        (("JP", 2.5), ("US", 1.2), ("KR", 1.5), ("GB", 1.3), ("DE", 1.2), ("AU", 1.2)),
        True,
        (2.0, 4.0, 3.0),
        "面料",
    ),
    _Industry(
        "24",
        40,
        0.8,
        ("文具", "文化用品", "体育用品", "工艺品", "玩具"),
        ("96", "95"),
        ("9608", "9609", "9503", "9506"),
        (("US", 1.4), ("DE", 1.2), ("GB", 1.3), ("FR", 1.2), ("AE", 1.5)),
        True,
        (3.0, 4.0, 2.0),
        "塑料粒子",
    ),
    _Industry(
        "21",
        35,
        1.0,
        ("家具", "家居用品", "家居"),
        ("94",),
        ("9403", "9401", "9404"),
        (("US", 1.6), ("AU", 2.0), ("GB", 1.5), ("CA", 1.5)),
        True,
        (3.0, 4.0, 2.0),
        "板材",
    ),
    _Industry(
        "38",
        65,
        1.5,
        ("电器", "电器科技", "电机", "小家电", "电器制造"),
        ("85",),
        ("8516", "8509", "8501", "8536"),
        (("US", 1.2), ("RU", 1.5), ("DE", 1.2), ("SA", 1.5), ("AE", 1.3), ("NG", 2.0)),
        True,
        (3.0, 4.0, 2.0),
        "电子元器件",
    ),
    _Industry(
        "17",
        20,
        0.6,
        ("纺织", "家纺", "织造"),
        ("63", "52", "55"),
        ("6302", "5208", "5515"),
        (("US", 1.2), ("JP", 1.5), ("AE", 1.3)),
        True,
        (3.0, 4.0, 2.0),
        "棉纱",
    ),
    _Industry(
        "29",
        25,
        0.7,
        ("塑业", "橡塑制品", "塑胶", "橡胶制品"),
        ("39", "40"),
        ("3926", "3924", "4016"),
        (("US", 1.0), ("VN", 1.3), ("DE", 1.2)),
        False,
        (3.0, 4.0, 2.0),
        "塑料粒子",
    ),
    _Industry(
        "33",
        15,
        0.6,
        ("五金", "金属制品", "五金工具"),
        ("73", "76"),
        ("7326", "7318", "7615"),
        (("US", 1.3), ("DE", 1.2), ("AU", 1.3)),
        False,
        (3.0, 4.0, 2.0),
        "钢材",
    ),
    _Industry(
        "35",
        12,
        0.8,
        ("机电设备", "机械设备", "专用设备"),
        ("84",),
        ("8479", "8477", "8422"),
        (("IN", 1.8), ("RU", 1.5), ("VN", 1.5), ("TR", 1.3)),
        False,
        (1.0, 4.0, 4.0),
        "钢材",
    ),
    _Industry(
        "39",
        8,
        1.0,
        ("电子", "电子科技", "光电"),
        ("85",),
        ("8544", "8536", "8504"),
        (("US", 1.2), ("KR", 1.5), ("DE", 1.2)),
        False,
        (3.0, 4.0, 2.0),
        "电子元器件",
    ),
    _Industry(
        "51",
        12,
        1.2,
        ("进出口", "国际贸易", "贸易", "实业"),
        ("61", "62", "85", "84", "94", "96", "39", "73", "63"),
        ("6110", "8516", "8481", "9403", "9608", "3926", "7326", "6302"),
        (("US", 1.2), ("AE", 1.5), ("NG", 1.5), ("CL", 1.5)),
        False,
        (5.0, 4.0, 1.0),
        "货源",
    ),
)

_CLASS_HEAD = "head"
_CLASS_ELIGIBLE = "eligible"
_CLASS_SMALL = "small"

_BURN_IN = 12  # months simulated before first_period (year-ago values for the outlook)
_LEAD_MAX = 5  # longest order lead in months


# --- Months ----------------------------------------------------------------------------------


_JAN_2019 = month_number("2019-01")
_DEC_2019 = month_number("2019-12")
_JAN_2020 = month_number("2020-01")
_FEB_2020 = month_number("2020-02")
_MAR_2020 = month_number("2020-03")
_MID_2019 = month_number("2019-06") + 0.5


# --- Identifiers -----------------------------------------------------------------------------

_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation code body.

    ``C9 = 11 - (sum(value_i * w_i) mod 11)`` with weights ``3, 7, 9, 10, 5, 8, 4, 2``, digits
    worth 0-9 and letters ``A``-``Z`` worth 10-35; 10 is written ``X`` and 11 is written ``0``.

    Raises:
        ValueError: when ``body8`` is not 8 digits or capital letters.
    """
    if len(body8) != 8 or not all(ch.isdigit() or "A" <= ch <= "Z" for ch in body8):
        raise ValueError("expected 8 digits or capital letters")
    total = sum(int(ch, 36) * w for ch, w in zip(body8, _GB11714_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def _org_code(rng: random.Random, *, recent: bool) -> str:
    """A 9-character organisation code: old numeric style, or ``MA2...`` for registrations after 2015."""
    if recent:
        body = "MA2" + "".join(rng.choice(USCC_ALPHABET) for _ in range(5))
    else:
        first = weighted_pick(rng, (("7", 35.0), ("6", 20.0), ("5", 20.0), ("1", 10.0), ("0", 10.0), ("3", 5.0)))
        body = first + "".join(rng.choice("0123456789") for _ in range(7))
    return body + org_code_check_char(body)


def _uscc(rng: random.Random, *, recent: bool) -> str:
    """An 18-character USCC of a Fenghua company: ``91`` + ``330213`` + org code + check char."""
    first17 = "91" + FENGHUA_ADMIN_CODE + _org_code(rng, recent=recent)
    return first17 + uscc_check_char(first17)


# --- Small helpers ---------------------------------------------------------------------------

_T = TypeVar("_T")


def weighted_pick(rng: random.Random, options: Sequence[tuple[_T, float]]) -> _T:
    """Pick one value of ``(value, weight)`` pairs (fixed iteration order keeps it deterministic)."""
    total = sum(w for _, w in options)
    x = rng.random() * total
    for value, w in options:
        x -= w
        if x < 0:
            return value
    return options[-1][0]


def _sampleweighted_pick(rng: random.Random, options: Sequence[tuple[_T, float]], k: int) -> list[_T]:
    """``k`` distinct values drawn without replacement, heavier weights first more often."""
    pool = list(options)
    chosen: list[_T] = []
    while pool and len(chosen) < k:
        value = weighted_pick(rng, pool)
        chosen.append(value)
        pool = [(v, w) for v, w in pool if v != value]
    return chosen


def _random_date(rng: random.Random, start: date, end: date) -> date:
    """A day between ``start`` and ``end`` inclusive."""
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _cn(template: str) -> str:
    """Chinese text: templates separate clauses with ``|``, written as a full-width comma."""
    return template.replace("|", "\uff0c")


def _wan(amount: int) -> str:
    """USD amount in 万美元 (10,000 USD) for Chinese text, e.g. 1_250_000 -> ``'125'``."""
    value = amount / 10_000
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


# --- Enterprise profiles ---------------------------------------------------------------------


@dataclass
class _LineSpec:
    """A market x HS line of one enterprise; ``market == ''`` is the hidden "other markets" rest."""

    market: str
    hs: str
    share: float
    lag: int


@dataclass
class _Profile:
    """Everything drawn for one enterprise before and during the simulation."""

    klass: str
    exports: int
    imports: int = 0
    industry: _Industry = _INDUSTRIES[0]
    town: str = ""
    uscc: str = ""
    name: str = ""
    customs_code: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    lines: list[_LineSpec] = field(default_factory=list)
    growth: float = 0.0
    season_amp: float = 1.0
    q4_strength: float = 0.0
    noise: float = 0.07
    line_noise: float = 0.1
    cap_base: float = 80.0
    due_factor: float = 0.9
    missing_rate: float = 0.03
    silent_march: bool = False
    gap: tuple[int, int] = (0, 0)  # (first month count, length) of a reporting gap
    # 2020 shock parameters
    jan_stop: float = 0.9
    feb_level: float = 0.4
    feb_orders: float = 0.75
    mar_recovery: float = 0.8
    catch_up: float = 0.1
    hit: bool = False  # western buyers delay and cancel in March
    transfer_line: int = -1  # line whose buyer moves orders away in February
    # results
    western_share: float = 0.0
    us_share_2019: float = 0.0


def _draw_sizes(rng: random.Random) -> list[_Profile]:
    """Exports last year by class, spread by stratified quantiles so the tail is stable across seeds."""
    profiles: list[_Profile] = []
    for j in range(HEAD_COUNT):
        u = (j + rng.random()) / HEAD_COUNT
        exports = int(11_000_000 * (1 - 0.985 * u) ** (-1 / 1.6))
        profiles.append(_Profile(_CLASS_HEAD, exports))
    n_eligible = WHITE_LIST_COUNT - HEAD_COUNT
    for j in range(n_eligible):
        q = (j + rng.random()) / n_eligible
        exports = int(math.exp(math.log(950_000) + q**1.5 * math.log(9_200_000 / 950_000)))
        profiles.append(_Profile(_CLASS_ELIGIBLE, exports))
    n_small = ENTERPRISE_COUNT - WHITE_LIST_COUNT
    for j in range(n_small):
        q = (j + rng.random()) / n_small
        exports = int(math.exp(math.log(60_000) + q**0.7 * math.log(850_000 / 60_000)))
        profiles.append(_Profile(_CLASS_SMALL, exports))
    rng.shuffle(profiles)
    return profiles


def _draw_imports(rng: random.Random, p: _Profile) -> int:
    """Imports last year, kept clear of the 1 M USD white-list threshold on the right side."""
    high_share = {"29": 0.4, "51": 0.4, "36": 0.3, "38": 0.3}.get(p.industry.code, 0.15)
    ratio = rng.uniform(0.15, 0.6) if rng.random() < high_share else rng.uniform(0.0, 0.1)
    imports = int(p.exports * ratio)
    if p.klass == _CLASS_SMALL and p.exports + imports > 880_000:
        imports = max(0, 880_000 - p.exports - rng.randint(0, 40_000))
    elif p.klass != _CLASS_SMALL and p.exports + imports < 1_120_000:
        imports = 1_120_000 - p.exports + rng.randint(0, 200_000)
    return imports


def _draw_lines(rng: random.Random, p: _Profile) -> list[_LineSpec]:
    """Markets (one dominant), products and order leads of one enterprise."""
    ind = p.industry
    tilt = dict(ind.tilt)
    weights = [(code, w * tilt.get(code, 1.0)) for code, w in MARKET_WEIGHTS]
    n_options = {
        _CLASS_SMALL: ((1, 20.0), (2, 35.0), (3, 30.0), (4, 15.0)),
        _CLASS_ELIGIBLE: ((1, 6.0), (2, 18.0), (3, 30.0), (4, 26.0), (5, 14.0), (6, 6.0)),
        _CLASS_HEAD: ((3, 15.0), (4, 30.0), (5, 30.0), (6, 25.0)),
    }[p.klass]
    n = weighted_pick(rng, n_options)
    # The dominant market favours the big markets more than the secondary ones do.
    dominant = weighted_pick(rng, [(c, w**1.15) for c, w in weights])
    others = _sampleweighted_pick(rng, [(c, w) for c, w in weights if c != dominant], n - 1)
    markets = [dominant, *others]
    if n == 1:
        shares = [1.0]
    else:
        top = max(rng.uniform(0.35, 0.85), 1.3 / n)
        rest = [rng.random() ** 1.5 + 0.05 for _ in range(n - 1)]
        total = sum(rest)
        shares = sorted([top] + [(1 - top) * r / total for r in rest], reverse=True)

    # Products: chapter-level or heading-level codes, never both for one enterprise.
    codes = ind.headings if rng.random() < 0.4 else ind.chapters
    if ind.code == "51":
        products = _sampleweighted_pick(rng, [(c, 1.0) for c in codes], rng.choice((2, 3)))
    else:
        products = _sampleweighted_pick(rng, [(c, 1.0) for c in codes], 2 if rng.random() < 0.55 else 1)

    base_lag = weighted_pick(rng, tuple(zip((2, 3, 4), ind.lags, strict=True)))
    lines: list[_LineSpec] = []
    for market, share in zip(markets, shares, strict=True):
        lag = min(_LEAD_MAX, base_lag + (1 if rng.random() < 0.25 else 0))
        if len(products) > 1 and (share >= 0.2 or market == dominant):
            primary = rng.uniform(0.55, 0.85)
            lines.append(_LineSpec(market, products[0], share * primary, lag))
            second = products[1] if len(products) == 2 else rng.choice(products[1:])
            lines.append(_LineSpec(market, second, share * (1 - primary), lag))
        else:
            hs = (
                products[0]
                if len(products) == 1
                else weighted_pick(rng, [(products[0], 3.0)] + [(c, 1.0) for c in products[1:]])
            )
            lines.append(_LineSpec(market, hs, share, lag))
    if rng.random() < 0.35:
        rest_share = rng.uniform(0.03, 0.10)
        for line in lines:
            line.share *= 1 - rest_share
        lines.append(_LineSpec("", "", rest_share, base_lag))
    return lines


def _draw_profiles(rng: random.Random, towns: Sequence[str]) -> list[_Profile]:
    """Registry attributes and behaviour parameters of all enterprises."""
    profiles = _draw_sizes(rng)
    town_options = [
        (t, _TOWN_WEIGHTS.get(t, _FALLBACK_TOWN_WEIGHTS[i % len(_FALLBACK_TOWN_WEIGHTS)])) for i, t in enumerate(towns)
    ]
    used_uscc: set[str] = set()
    used_names: set[str] = set()
    used_customs: set[str] = set()
    used_phones: set[str] = set()
    for p in profiles:
        head = p.klass == _CLASS_HEAD
        p.industry = weighted_pick(
            rng, [(ind, ind.count_weight * (ind.head_weight if head else 1.0)) for ind in _INDUSTRIES]
        )
        p.imports = _draw_imports(rng, p)
        p.town = weighted_pick(rng, town_options)

        recent_share = {_CLASS_HEAD: 0.03, _CLASS_ELIGIBLE: 0.2, _CLASS_SMALL: 0.35}[p.klass]
        recent = rng.random() < recent_share + (0.25 if p.industry.code == "51" else 0.0)
        while True:
            p.uscc = _uscc(rng, recent=recent)
            if p.uscc not in used_uscc:
                used_uscc.add(p.uscc)
                break
        while True:
            if p.town in _TOWN_PLACES:
                place = _TOWN_PLACES[p.town] if rng.random() < 0.35 else "奉化"
            else:
                place = weighted_pick(rng, _PLACES)
            brand = rng.choice(_BRAND_FIRST) + rng.choice(_BRAND_SECOND)
            if brand[0] == brand[1]:
                continue
            kind = "股份有限公司" if head and rng.random() < 0.35 else "有限公司"
            p.name = f"宁波{place}{brand}{rng.choice(p.industry.words)}{kind}"
            if p.name not in used_names:
                used_names.add(p.name)
                break
        if rng.random() < 0.9:
            while True:
                fifth = weighted_pick(rng, (("9", 65.0), ("3", 15.0), ("6", 10.0), ("2", 5.0), ("4", 5.0)))
                p.customs_code = "3302" + fifth + "".join(rng.choice("0123456789") for _ in range(5))
                if p.customs_code not in used_customs:
                    used_customs.add(p.customs_code)
                    break
        given_len = 1 if rng.random() < 0.3 else 2
        p.contact_name = weighted_pick(rng, _SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(given_len))
        while True:
            p.contact_phone = rng.choice(_MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))
            if p.contact_phone not in used_phones:
                used_phones.add(p.contact_phone)
                break

        p.lines = _draw_lines(rng, p)
        p.western_share = sum(ln.share for ln in p.lines if ln.market in WESTERN_MARKETS)
        if head:
            p.growth = max(-0.3, min(0.4, rng.gauss(0.06, 0.07)))
            p.noise, p.line_noise = 0.05, 0.08
            p.cap_base = rng.uniform(70, 90)
            p.missing_rate = 0.01
            p.feb_level = rng.uniform(0.32, 0.58)
            p.mar_recovery = rng.uniform(0.55, 0.8)
        else:
            p.growth = max(-0.3, min(0.4, rng.gauss(0.05, 0.12)))
            small = p.klass == _CLASS_SMALL
            p.noise, p.line_noise = (0.10, 0.13) if small else (0.07, 0.10)
            p.cap_base = rng.uniform(60, 88)
            p.missing_rate = 0.07 if small else 0.03
            p.silent_march = rng.random() < (0.05 if small else 0.025)
            p.feb_level = rng.uniform(0.24, 0.55)
            p.mar_recovery = rng.uniform(0.46, 0.75)
        p.season_amp = rng.uniform(0.75, 1.25)
        p.q4_strength = rng.uniform(0.08, 0.2) if p.industry.q4_peak else 0.0
        p.due_factor = rng.uniform(0.86, 0.98)
        p.jan_stop = rng.uniform(0.85, 0.97)
        p.feb_orders = rng.uniform(0.6, 0.9)
        p.catch_up = rng.uniform(0.0, 0.15)
        p.hit = rng.random() < min(0.65, 0.65 * p.western_share)
        visible = [i for i, ln in enumerate(p.lines) if ln.market]
        if rng.random() < 0.08:
            p.transfer_line = max(visible, key=lambda i: p.lines[i].share)
        if rng.random() < 0.04:
            p.gap = (rng.randint(_JAN_2019 - 24, _DEC_2019), rng.randint(2, 5))
    return profiles


# --- Seasonality -----------------------------------------------------------------------------


def _season(m: int, p: _Profile) -> float:
    """Seasonal factor of month ``m`` for enterprise ``p`` (1.0 = an ordinary month)."""
    year, month = m // 12, m % 12 + 1
    f = 1.0
    cny = CNY_DATES.get(year, date(year, 2, 1))
    if cny.day <= 10:
        dip, after, rush = 0.60, 0.70, 1.15
    elif cny.day <= 19:
        dip, after, rush = 0.62, 0.68, 1.12
    else:
        dip, after, rush = 0.70, 0.62, 1.10
    if month == cny.month:
        f *= dip
    elif month == cny.month + 1:
        f *= after
    elif month == cny.month - 1:
        f *= rush
    if month == 12:
        next_cny = CNY_DATES.get(year + 1, date(year + 1, 2, 1))
        if next_cny.month == 1:
            f *= 1.10 if next_cny.day > 19 else 1.12
        f *= 1.04  # year-end push
    if p.q4_strength and month >= 10:
        f *= 1 + p.q4_strength * (0.8, 1.0, 0.9)[month - 10]
    elif month == 8:
        f *= 0.96  # European summer holidays
    return 1 + p.season_amp * (f - 1)


# --- Simulation ------------------------------------------------------------------------------


@dataclass
class _Sim:
    """Simulated month-by-month values of one enterprise, indexed by ``m - start``."""

    start: int
    new_orders: list[list[int]]  # [line][month]
    exports: list[list[int]]
    backlog: list[list[int]]
    cancelled: list[list[int]]
    delayed: list[int]  # per line: value held back at the buyer's request in March 2020
    due: list[int]  # [month] report total
    capacity: list[int]  # [month]


def _simulate(rng: random.Random, p: _Profile, start: int) -> _Sim:
    """Run the order book of ``p`` from ``start`` to March 2020 (see the module docstring)."""
    end = _MAR_2020
    horizon = end + _LEAD_MAX + 1
    months = range(start, horizon + 1)
    level = [math.exp(p.growth * (m - _MID_2019) / 12) for m in months]
    season = [_season(m, p) for m in months]
    common = [math.exp(rng.gauss(0.0, p.noise)) for _ in months]
    desired = [
        [
            ln.share * level[i] * season[i] * common[i] * math.exp(rng.gauss(0.0, p.line_noise))
            for i in range(len(level))
        ]
        for ln in p.lines
    ]
    in_2019 = [i for i, m in enumerate(months) if _JAN_2019 <= m <= _DEC_2019]
    scale = p.exports * rng.uniform(0.98, 1.02) / sum(row[i] for row in desired for i in in_2019)
    d_int = [[int(v * scale) for v in row] for row in desired]

    n_months = end - start + 1
    n_lines = len(p.lines)
    sim = _Sim(
        start=start,
        new_orders=[[0] * n_months for _ in range(n_lines)],
        exports=[[0] * n_months for _ in range(n_lines)],
        backlog=[[0] * n_months for _ in range(n_lines)],
        cancelled=[[0] * n_months for _ in range(n_lines)],
        delayed=[0] * n_lines,
        due=[0] * n_months,
        capacity=[0] * n_months,
    )
    # Per-line shock draws for March 2020.
    mar_orders: list[float] = []
    mar_delay: list[float] = []
    for ln in p.lines:
        if ln.market in WESTERN_MARKETS:
            mar_orders.append(rng.uniform(0.3, 0.6))
            mar_delay.append(rng.uniform(0.55, 0.85) if p.hit else rng.uniform(0.92, 1.0))
        elif ln.market in ("JP", "KR"):
            mar_orders.append(rng.uniform(0.6, 0.85))
            mar_delay.append(1.0)
        else:
            mar_orders.append(rng.uniform(0.65, 0.95))
            mar_delay.append(1.0)

    backlog = [sum(d_int[i][0 : ln.lag]) for i, ln in enumerate(p.lines)]
    unshipped = [0] * n_lines
    for t in range(n_months):
        m = start + t
        due_total = 0
        for i, ln in enumerate(p.lines):
            d = d_int[i][t]
            n = d_int[i][t + ln.lag]
            if m == _JAN_2020:
                n = int(n * rng.uniform(0.9, 1.0))
                target = int(d * p.jan_stop)
            elif m == _FEB_2020:
                n = int(n * p.feb_orders * rng.uniform(0.9, 1.1))
                target = int(d * p.feb_level * rng.uniform(0.92, 1.08))
            elif m == _MAR_2020:
                n = int(n * mar_orders[i])
                planned = d * p.mar_recovery
                target = int(planned * mar_delay[i] + p.catch_up * unshipped[i])
                sim.delayed[i] = int(planned * (1 - mar_delay[i]))
            else:
                target = d
            avail = backlog[i] + n
            e = min(target, avail)
            if m in (_JAN_2020, _FEB_2020):
                unshipped[i] += max(0, d - e)
            rest = avail - e
            cancel = 0
            if m == _FEB_2020 and i == p.transfer_line:
                cancel = int(rest * rng.uniform(0.05, 0.15))
            elif m == _MAR_2020 and ln.market in WESTERN_MARKETS and p.hit:
                if rng.random() < 0.75:
                    cancel = int(rest * rng.uniform(0.05, 0.25))
            elif m == _MAR_2020 and rng.random() < 0.02:
                cancel = int(rest * rng.uniform(0.02, 0.10))
            elif m < _JAN_2020 and rng.random() < 0.004:
                cancel = int(rest * rng.uniform(0.03, 0.10))
            backlog[i] = rest - cancel
            sim.new_orders[i][t] = n
            sim.exports[i][t] = e
            sim.cancelled[i][t] = cancel
            sim.backlog[i][t] = backlog[i]
            due_share = min(1.0, 3 / ln.lag) * p.due_factor
            if m == _MAR_2020 and p.hit and ln.market in WESTERN_MARKETS:
                due_share *= rng.uniform(0.5, 0.8)
            due_total += int(backlog[i] * due_share)
        sim.due[t] = due_total
        sim.capacity[t] = _capacity(rng, p, m, season[t])
    return sim


def _capacity(rng: random.Random, p: _Profile, m: int, season: float) -> int:
    """Capacity utilisation in percent, 0-100."""
    if m == _FEB_2020:
        value = p.feb_level * 68 + rng.gauss(0.0, 2.5)
    elif m == _MAR_2020:
        value = p.mar_recovery * 90 + rng.gauss(0.0, 3.0)
    else:
        value = p.cap_base * season**0.7 * math.exp(rng.gauss(0.0, 0.04))
        if m == _JAN_2020:
            value *= p.jan_stop
    return max(0, min(100, round(value)))


def _direction(now: int, before: int) -> str:
    """``up``/``same``/``down`` with a +/- 5 % band for ``same``."""
    if before <= 0:
        return "up" if now > 0 else "same"
    if now > before * 1.05:
        return "up"
    if now < before * 0.95:
        return "down"
    return "same"


def _submission_day(rng: random.Random, p: _Profile, m: int) -> date:
    """When the report for month ``m`` arrived: day 1-10 of the next month, mostly by the 5th."""
    weights = [8.0, 20.0, 22.0, 18.0, 12.0, 6.0, 5.0, 4.0, 3.0, 2.0]
    if p.klass == _CLASS_SMALL or m in (_JAN_2020, _FEB_2020):
        weights = [5.0, 14.0, 18.0, 16.0, 13.0, 9.0, 8.0, 7.0, 5.0, 5.0]
    day = weighted_pick(rng, list(zip(range(1, 11), weights, strict=True)))
    nxt = m + 1
    return date(nxt // 12, nxt % 12 + 1, day)


def _reports(rng: random.Random, p: _Profile, sim: _Sim, first: int, last: int) -> list[DemoReport]:
    """The reports ``p`` actually filed for ``first``..``last`` (some months are missing)."""
    n_lines = len(p.lines)
    totals_n = [sum(sim.new_orders[i][t] for i in range(n_lines)) for t in range(len(sim.due))]
    outlook_basis = [sim.due[t] + totals_n[t] for t in range(len(sim.due))]
    out: list[DemoReport] = []
    gap_start, gap_len = p.gap
    for m in range(first, last + 1):
        t = m - sim.start
        absent = rng.random() < p.missing_rate
        if gap_start <= m < gap_start + gap_len or (m == _MAR_2020 and p.silent_march) or absent:
            continue
        lines: list[DemoLine] = []
        for i, ln in enumerate(p.lines):
            b, n, e = sim.backlog[i][t], sim.new_orders[i][t], sim.exports[i][t]
            if ln.market and (b or n or e):
                lines.append(DemoLine(ln.market, ln.hs, b, n, e))
        out.append(
            DemoReport(
                uscc=p.uscc,
                period=period_of_month_number(m),
                exports_usd=sum(sim.exports[i][t] for i in range(n_lines)),
                new_orders_usd=totals_n[t],
                backlog_usd=sum(sim.backlog[i][t] for i in range(n_lines)),
                backlog_due_3m_usd=sim.due[t],
                capacity_utilization_pct=sim.capacity[t],
                new_orders_trend=_direction(totals_n[t], totals_n[t - 1]),
                outlook_3m=_direction(outlook_basis[t], outlook_basis[t - 12]),
                lines=tuple(lines),
                submitted_on=_submission_day(rng, p, m),
            )
        )
    return out


# --- Disruptions -----------------------------------------------------------------------------

_DELAY_NOTES = (
    "{c}客户因疫情要求延期发货至{month}月",
    "{c}客户仓库暂停收货|要求推迟交货至{month}月",
    "受{c}封城影响|客户通知暂缓出运已完工订单",
    "{c}门店停业|客户要求已生产货物暂缓发运",
)
_TERMS_NOTES = (
    "{c}客户要求付款期由{a}天延长至{b}天",
    "{c}客户资金周转困难|申请延期{a}天付款",
    "{c}客户要求将即期付款改为发货后{b}天付款",
)
_PORT_NOTES_FEB = (
    "春节后集卡司机返岗不足|{n}个货柜滞留宁波舟山港",
    "复工延迟导致报关单证不齐|发往{c}的货物滞港待出运",
)
_PORT_NOTES_MAR = (
    "{c}目的港清关停滞|货物滞留目的港无人提货",
    "{c}客户无法提货|{n}个集装箱滞留目的港产生滞箱费",
)
_REDUCED_NOTES = (
    "{c}客户将{season}订单削减{pct}%",
    "{c}客户下调采购计划|订单减少{pct}%",
)
_CANCELLED_NOTES = (
    "{c}客户因疫情取消订单",
    "{c}零售商门店关闭|取消{season}订单",
    "{c}客户以不可抗力为由取消尚未生产的订单",
)
_TRANSFER_NOTES = (
    "因复工推迟无法按期交货|{c}客户将部分订单转至{alt}",
    "{c}客户担心供货中断|将部分订单转移到{alt}供应商",
)
_ALT_COUNTRIES = ("越南", "印度", "孟加拉国", "柬埔寨", "土耳其", "墨西哥")
_ORDER_SEASONS = ("春夏季", "秋冬季", "二季度", "下半年")


def _event_day(rng: random.Random, market: str, latest: date) -> date:
    """A day after ``market`` locked down (or mid-March) and no later than ``latest``."""
    start = _LOCKDOWN.get(market, _DEFAULT_LOCKDOWN)
    return _random_date(rng, min(start, latest), latest)


def _disruptions(rng: random.Random, p: _Profile, sim: _Sim) -> list[DemoDisruption]:
    """Events of ``p`` in the 2020 window, tied to what its order book went through."""
    out: list[DemoDisruption] = []
    t_feb, t_mar = _FEB_2020 - sim.start, _MAR_2020 - sim.start
    end_march = date(2020, 3, 31)

    def add(day: date, kind: str, amount: int, line: _LineSpec, note: str) -> None:
        if amount > 0:
            out.append(DemoDisruption(p.uscc, day, kind, amount, line.market, line.hs, _cn(note)))

    visible = [i for i, ln in enumerate(p.lines) if ln.market]
    for i in visible:
        ln = p.lines[i]
        c = MARKET_NAMES[ln.market]
        if sim.cancelled[i][t_feb] and i == p.transfer_line:
            note = rng.choice(_TRANSFER_NOTES).format(c=c, alt=rng.choice(_ALT_COUNTRIES))
            add(
                _random_date(rng, date(2020, 2, 5), date(2020, 2, 29)),
                "order_transferred",
                sim.cancelled[i][t_feb],
                ln,
                note,
            )
        cancel = sim.cancelled[i][t_mar]
        if cancel and rng.random() < 0.9:
            before = sim.backlog[i][t_mar] + cancel
            season = rng.choice(_ORDER_SEASONS)
            if cancel >= 0.2 * before or rng.random() < 0.3:
                note = rng.choice(_CANCELLED_NOTES).format(c=c, season=season)
                kind = "order_cancelled"
            else:
                pct = max(1, round(100 * cancel / max(1, before)))
                note = rng.choice(_REDUCED_NOTES).format(c=c, season=season, pct=pct)
                kind = "order_reduced"
            add(_event_day(rng, ln.market, end_march), kind, cancel, ln, note)
        if sim.delayed[i] and p.hit and ln.market in WESTERN_MARKETS and rng.random() < 0.8:
            note = rng.choice(_DELAY_NOTES).format(c=c, month=rng.choice((5, 6, 7)))
            add(_event_day(rng, ln.market, end_march), "shipment_delayed", sim.delayed[i], ln, note)

    if not visible:
        return out
    main = max(visible, key=lambda i: p.lines[i].share)
    ln = p.lines[main]
    c = MARKET_NAMES[ln.market]
    monthly = max(1, sum(sim.exports[main][t_mar - 3 : t_mar]) // 3)
    if rng.random() < 0.08 + (0.06 if p.klass == _CLASS_HEAD else 0.0):
        note = rng.choice(_PORT_NOTES_FEB).format(c=c, n=rng.randint(2, 12))
        amount = int(sim.exports[main][t_feb - 1] * rng.uniform(0.2, 0.6))
        add(_random_date(rng, date(2020, 2, 3), date(2020, 2, 25)), "held_at_port", amount, ln, note)
    if ln.market in WESTERN_MARKETS and p.hit:
        if rng.random() < 0.3:
            a = rng.choice((30, 45, 60))
            note = rng.choice(_TERMS_NOTES).format(c=c, a=a, b=a + rng.choice((30, 60, 90)))
            add(
                _event_day(rng, ln.market, EVENT_WINDOW[1]),
                "terms_extended",
                int(monthly * rng.uniform(0.5, 1.5)),
                ln,
                note,
            )
        if rng.random() < 0.12:
            note = rng.choice(_PORT_NOTES_MAR).format(c=c, n=rng.randint(1, 6))
            add(
                _event_day(rng, ln.market, EVENT_WINDOW[1]),
                "held_at_port",
                int(monthly * rng.uniform(0.1, 0.4)),
                ln,
                note,
            )
        if rng.random() < 0.3:
            # Early April: further cancellations, not yet in any report.
            amount = int(sim.backlog[main][t_mar] * rng.uniform(0.05, 0.3))
            note = rng.choice(_CANCELLED_NOTES).format(c=c, season=rng.choice(_ORDER_SEASONS))
            add(_random_date(rng, date(2020, 4, 1), EVENT_WINDOW[1]), "order_cancelled", amount, ln, note)
    return out


# --- Needs -----------------------------------------------------------------------------------

_NEED_TEXTS: dict[str, tuple[str, ...]] = {
    "financing": (
        "受疫情影响回款放缓|流动资金缺口约{w}万美元|申请甬贸贷",
        "复工后原材料采购资金紧张|希望银行续贷不抽贷|需资金约{w}万美元",
        "出口订单回款延迟|申请出口信用保险保单融资约{w}万美元",
    ),
    "credit_insurance": (
        "{c}客户付款风险上升|希望投保出口信用保险|保额约{w}万美元",
        "申请将短期出口信用保险限额提高至{w}万美元",
    ),
    "payment_collection": (
        "{c}客户延迟付款|逾期应收账款约{w}万美元",
        "{c}客户经营困难|约{w}万美元货款回收困难",
    ),
    "logistics": (
        "海运舱位紧张|运价上涨|希望协调出口舱位",
        "国际航班大量取消|样品和急单无法寄出",
    ),
    "customs_clearance": (
        "希望海关加快出口通关|支持提前申报",
        "{c}要求补充检验检疫文件|货物清关受阻",
    ),
    "labour": (
        "外地员工返岗不足|缺工约{n}人",
        "湖北籍员工暂时无法返岗|生产线开工不足",
    ),
    "raw_materials": (
        "上游供应商尚未复工|{mat}供应短缺",
        "{mat}价格上涨|库存仅够维持两周生产",
    ),
    "market_expansion": (
        "广交会改为线上举办|希望组织参加网上展会",
        "希望开拓一带一路沿线市场|需要展会和客户对接支持",
        "希望参加跨境电商平台培训|拓展线上渠道",
    ),
    "domestic_sales": (
        "出口订单下滑|希望对接国内电商平台开拓内销",
        "希望参加出口转内销专场对接活动",
    ),
    "policy_consultation": (
        "咨询社保费减免和稳岗返还政策",
        "咨询出口退税加快办理和复工复产补助政策",
    ),
    "exchange_rate": ("人民币汇率波动较大|希望了解远期结汇等避险工具",),
    "contract_dispute": (
        "{c}客户以不可抗力为由拒收货物|需要法律援助",
        "{c}客户要求因延期交货赔偿|希望获得法律支持",
    ),
    "trade_friction": (
        "产品在美国加征关税清单内|申请关税排除",
        "美国客户要求分担加征的关税|利润被压缩",
    ),
}
# Before the March collapse of western demand the same categories read differently.
_EARLY_TEXTS: dict[str, tuple[str, ...]] = {
    "logistics": (
        "春节后集卡运力不足|出口货物无法按时进港",
        "复工初期物流停运|原材料和成品运输受阻",
    ),
    "contract_dispute": (
        "申请新冠肺炎疫情不可抗力事实性证明",
        "因复工推迟无法按期交货|担心被{c}客户索赔",
    ),
}
_EARLY_NEEDS: tuple[tuple[str, float], ...] = (
    ("labour", 20.0),
    ("raw_materials", 12.0),
    ("logistics", 16.0),
    ("financing", 16.0),
    ("customs_clearance", 6.0),
    ("policy_consultation", 12.0),
    ("credit_insurance", 4.0),
    ("payment_collection", 3.0),
    ("exchange_rate", 2.0),
    ("contract_dispute", 4.0),
    ("market_expansion", 2.0),
    ("trade_friction", 2.0),
)
_LATE_NEEDS: tuple[tuple[str, float], ...] = (
    ("financing", 18.0),
    ("credit_insurance", 12.0),
    ("payment_collection", 12.0),
    ("market_expansion", 8.0),
    ("domestic_sales", 8.0),
    ("contract_dispute", 6.0),
    ("exchange_rate", 4.0),
    ("trade_friction", 8.0),
    ("logistics", 7.0),
    ("policy_consultation", 6.0),
    ("labour", 3.0),
    ("raw_materials", 3.0),
    ("customs_clearance", 3.0),
)
_MONEY_NEEDS = {"financing": (0.03, 0.2), "credit_insurance": (0.1, 0.4), "payment_collection": (0.02, 0.12)}


def _needs(rng: random.Random, p: _Profile, *, disrupted: bool) -> list[DemoNeed]:
    """Problem-list items of ``p`` (about 30 % of enterprises file any)."""
    if rng.random() >= (0.55 if disrupted else 0.09):
        return []
    dominant = next((ln.market for ln in p.lines if ln.market), "US")
    out: list[DemoNeed] = []
    seen: list[str] = []
    for _ in range(weighted_pick(rng, ((1, 55.0), (2, 30.0), (3, 15.0)))):
        early = rng.random() < 0.35
        if early:
            day = _random_date(rng, date(2020, 1, 28), date(2020, 3, 5))
            options = _EARLY_NEEDS
        else:
            day = _random_date(rng, date(2020, 3, 6), EVENT_WINDOW[1])
            options = _LATE_NEEDS
        allowed = [(c, w) for c, w in options if c not in seen and (c != "trade_friction" or p.us_share_2019 >= 0.2)]
        category = weighted_pick(rng, allowed)
        seen.append(category)
        amount: int | None = None
        if category in _MONEY_NEEDS:
            lo, hi = _MONEY_NEEDS[category]
            amount = max(10_000, int(round(p.exports * rng.uniform(lo, hi), -4)))
            amount = min(amount, 20_000_000)
        money = category in ("financing", "payment_collection")
        if money and p.klass == _CLASS_SMALL:
            urgency = weighted_pick(rng, (("low", 5.0), ("normal", 25.0), ("high", 40.0), ("urgent", 30.0)))
        elif money or (early and category in ("labour", "raw_materials")):
            urgency = weighted_pick(rng, (("low", 8.0), ("normal", 35.0), ("high", 37.0), ("urgent", 20.0)))
        else:
            urgency = weighted_pick(rng, (("low", 20.0), ("normal", 50.0), ("high", 22.0), ("urgent", 8.0)))
        texts = _EARLY_TEXTS.get(category, _NEED_TEXTS[category]) if early else _NEED_TEXTS[category]
        text = rng.choice(texts).format(
            c=MARKET_NAMES[dominant],
            w=_wan(amount or 0),
            n=rng.randint(5, 60),
            mat=p.industry.materials,
        )
        out.append(DemoNeed(p.uscc, day, category, amount, urgency, _cn(text)))
    return out


# --- Segments --------------------------------------------------------------------------------


def _segments(rng: random.Random, p: _Profile, needs: Sequence[DemoNeed]) -> tuple[str, ...]:
    """Reminder segments of ``p``, in the order of :data:`SEGMENTS`."""
    head = p.klass == _CLASS_HEAD
    small = p.klass == _CLASS_SMALL
    tags: list[str] = []
    if rng.random() < (0.35 if head else 0.08 if small else 0.25):
        tags.append("canton_fair")
    if p.us_share_2019 >= US_EXPORTER_SHARE:
        tags.append("us_exporter")
    key_chance = 0.5 if p.exports >= 5_000_000 else 0.03
    if head or rng.random() < key_chance:
        tags.append("key_enterprise")
    if rng.random() < (0.1 if small else 0.18):
        tags.append("subsidised")
    ecommerce = 0.1 if p.industry.code in ("24", "18", "38", "21") else 0.03
    if rng.random() < ecommerce * (1.5 if small else 1.0):
        tags.append("cross_border_ecommerce")
    if any(n.category == "domestic_sales" for n in needs):
        tags.append("domestic_pivot")
    return tuple(tags)


# --- Entry point -----------------------------------------------------------------------------


def generate(
    *,
    towns: Sequence[str],
    seed: int = 20200415,
    first_period: str = "2017-01",
    last_period: str = "2020-03",
) -> DemoData:
    """Generate the demo district.

    Args:
        towns: Administrative codes (or names) of the district's towns and streets, in official
            order; enterprises are spread over them unevenly (industrial streets get more).
        seed: Seed of the only random stream; equal arguments give equal data.
        first_period: First reported month, ``'YYYY-MM'`` (2010 or later).
        last_period: Last reported month, no later than ``'2020-03'``.

    Returns:
        472 enterprises (52 with exports >= 10 M USD, 292 with exports + imports >= 1 M USD),
        their reports sorted by enterprise then period, and disruptions and needs dated
        2020-01-25..2020-04-14 sorted by date. Amounts are whole US dollars.

    Raises:
        ValueError: for no towns, a malformed period, ``first_period > last_period``,
            ``last_period`` after 2020-03 or ``first_period`` before 2010.
    """
    if not towns:
        raise ValueError("at least one town is needed")
    first = month_number(first_period)
    last = month_number(last_period)
    if first > last:
        raise ValueError("first_period is after last_period")
    if last > _MAR_2020:
        raise ValueError(f"the demo ends with {LAST_DEMO_PERIOD}")
    if first < month_number("2010-01"):
        raise ValueError("the demo starts in 2010 at the earliest")

    rng = random.Random(seed)
    profiles = _draw_profiles(rng, towns)
    start = min(first - _BURN_IN, _JAN_2019)
    reports: list[DemoReport] = []
    disruptions: list[DemoDisruption] = []
    needs: list[DemoNeed] = []
    enterprises: list[DemoEnterprise] = []
    for p in profiles:
        sim = _simulate(rng, p, start)
        t0, t1 = _JAN_2019 - start, _DEC_2019 - start + 1
        total_2019 = sum(sum(row[t0:t1]) for row in sim.exports)
        us_2019 = sum(sum(sim.exports[i][t0:t1]) for i, ln in enumerate(p.lines) if ln.market == "US")
        p.us_share_2019 = us_2019 / total_2019 if total_2019 else 0.0
        reports.extend(_reports(rng, p, sim, first, last))
        events = _disruptions(rng, p, sim)
        disruptions.extend(events)
        own_needs = _needs(rng, p, disrupted=bool(events))
        needs.extend(own_needs)
        enterprises.append(
            DemoEnterprise(
                uscc=p.uscc,
                name=p.name,
                customs_code=p.customs_code,
                town=p.town,
                industry=p.industry.code,
                exports_last_year_usd=p.exports,
                imports_last_year_usd=p.imports,
                contact_name=p.contact_name,
                contact_phone=p.contact_phone,
                segments=_segments(rng, p, own_needs),
            )
        )
    disruptions.sort(key=lambda d: (d.date, d.uscc, d.market, d.hs, d.kind))
    needs.sort(key=lambda n: (n.date, n.uscc, n.category))
    return DemoData(tuple(enterprises), tuple(reports), tuple(disruptions), tuple(needs))
