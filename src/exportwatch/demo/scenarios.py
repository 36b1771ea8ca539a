"""Labelled scenarios for the early-warning evaluation harness: a small district whose order book goes through one
known shock, written as the CSV files a clerk or a town officer uploads (DESIGN §5), with the truth beside them.

:func:`scenario_generate` builds one scenario from a seed. Everything here is pure: no Django, no files, no clock;
the only source of chance is ``random.Random(seed)``, consumed in a fixed order, so equal arguments give equal
files and labels.

**Calm noise, for everyone** (per enterprise, per line = market x HS code, whole USD, month ``m``):

* expected shipments ``mu(m) = scale * share * level(m) * demand_season(m)``: ``level`` is the enterprise's trend
  (yearly growth ``g``, head enterprises about N(6 %, 5 %), the others N(5 %, 7 %)) times a slow AR(1) business
  swing (``rho`` 0.85, sigma 0.02-0.03 a month); ``demand_season`` has the Christmas peak of Q4 goods, the August
  lull of European buyers and a small year-end push;
* new orders signed in ``m`` are for delivery ``lag`` months ahead: ``N(m) = mu(m + lag) * noise``, with a
  monthly log-normal noise of the enterprise (sigma 0.04 head, 0.06 mid-sized, 0.09 small), of the line (0.06,
  0.08, 0.11) and of the whole district (0.02). Measured on calm scenarios (seeds 1-3) outside January-March,
  the year-on-year change of an enterprise's new orders spreads by ±11 % (standard deviation) for head
  enterprises, ±17 % for mid-sized and ±22 % for small exporters, its exports by ±10 %, ±14 % and ±17 %;
* an order ships ``lag`` (2-4) months after signing, the rest of it one month later (2-5 months in all), as
  production allows: ordinary months can ship 20 % above normal (overtime) to work off a backlog; a few percent
  of a month's shipments slip to the next;
* the Chinese New Year, on its real dates (so it moves between January and February): half the output is lost
  over the 21 days from the festival, the week before it ships 60 % extra of the next month's orders (the rush),
  both scaled by the enterprise's seasonal amplitude (0.75-1.25), what the closure held back is rescheduled over
  the next four months, and half the orders of the holiday week are signed in the week after. These constants are
  fitted to China's monthly exports year on year around the festivals of 2012-2019 (January 2012, festival on the
  23rd, -0.5 % against a January with the rush; February 2015 +48 %; February 2019 -21 %); the district's exports
  here go -18 % in February 2019 and -3 % in January 2020 year on year. (The demo generator's factors would make
  January 2020 -39 %, which the customs figures of late-January festivals do not show.)
* ``backlog(m) = backlog(m-1) + new_orders(m) - exports(m) - cancelled(m)`` holds exactly on every line and so
  on every report; ``backlog_due_3m`` is the part due within three months (overdue included), a little less;
* rare small events: a cancellation of 3-10 % of a line's book (about one line-month in 250, half of them filed
  as a disruption), a delayed shipment or goods held at port (about 1 % of enterprise-months, filed), a need
  filed on the problem list (about 1 % of enterprise-months);
* 1-4 % of reports are missing (the enterprise did not report that month).

**The labelled shock** of each kind (:data:`KINDS`), from the ``onset`` month on:

* ``market_collapse``: new orders of every line to one market (``market``, default the US, the largest) fall
  60 %; exports follow after the lag;
* ``product_collapse``: the same for every line of one HS chapter (``hs``, default 85, electrical goods);
* ``distress``: about 10 % of the enterprises (``distress_share``) each slide from their own month (between 12
  months after the first period and 6 months before the last): new orders fall to 25-55 % of normal over 1-3
  months, and some of them see part of their book cancelled (55 %, 10-35 % of it, mostly filed as a disruption),
  shipments delayed (35 %, filed) and file a need for money (50 %); the rest stay calm;
* ``systemic``: new orders of most markets (each with probability 0.8) fall 30-50 %;
* ``calm``: noise only.

**Labels** (:class:`ScenarioLabels`): the shock's onset and the shocked market or chapter; per enterprise the
periods where its *reported* exports begin to fall by a third year on year (``core.warning_record.drop_onsets``,
the scorer's definition, with unreported months unknown), and for the distressed enterprises the month their slide
began and the first such fall at or after it.
"""

from __future__ import annotations

import calendar
import csv
import functools
import io
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from exportwatch.core.codes import uscc_check_char
from exportwatch.core.periods import month_number, period_of_month_number
from exportwatch.core.records import (
    DISRUPTION_COLUMNS,
    ENTERPRISE_COLUMNS,
    LINE_COLUMNS,
    NEED_COLUMNS,
    REPORT_COLUMNS,
)
from exportwatch.core.warning_record import drop_onsets
from exportwatch.demo.generator import CNY_DATES, MARKET_NAMES, MARKET_WEIGHTS, weighted_pick

__all__ = [
    "KINDS",
    "MARKETS",
    "Batch",
    "Book",
    "Scenario",
    "ScenarioLabels",
    "scenario_generate",
]

KINDS = ("market_collapse", "product_collapse", "distress", "systemic", "calm")
"""The scenario kinds, each with its labelled shock (see the module docstring)."""

DEFAULT_ONSET = "2019-06"
"""Default onset of the market, product and systemic shocks: well after the first comparable year, and clear of
the Chinese New Year months, so that a warning at the onset is the shock's and not the festival's."""

COLLAPSE = 0.4  # new orders of a collapsed market or chapter: 60 % fewer
SYSTEMIC_SHARE = 0.8  # probability that a market falls in the systemic shock
SYSTEMIC_FALL = (0.5, 0.7)  # new orders of a fallen market: 30-50 % fewer

_BURN_IN = 18  # months simulated before the first reported one: the book fills, and "last year" exists
_SLACK = 1.2  # production can ship this much above a normal month (overtime) to work off a backlog
_RESCHEDULED = 4  # months over which the shipments held back by the festival's closure are rescheduled
# The Chinese New Year, fitted to China's monthly exports year on year around the festivals of 2012-2019 (e.g.
# January 2012, festival on the 23rd, -0.5 % against a January 2011 with the rush; February 2015 +48 %; February
# 2019 -21 %): half the output is lost over the 21 days from the festival, the week before ships 60 % extra.
_CLOSURE_DAYS, _CLOSURE_LOSS = 21, 0.5
_RUSH_DAYS, _RUSH_GAIN = 7, 0.6
_ORDER_DEFERRED = 0.5  # of the orders of the holiday week, signed the week after: the sales desks are closed
_AR_RHO = 0.85  # month-to-month persistence of an enterprise's business swing
_DISTRICT_NOISE = 0.02  # sigma of the district-wide monthly factor of new orders

# --- Reference codes ---------------------------------------------------------------------------

# Markets and how much a Ningbo exporter sells to each, before the industry tilt: the demo district's weights.
_MARKETS = MARKET_WEIGHTS


MARKETS = tuple(code for code, _weight in _MARKETS)
"""The district's markets (ISO 3166-1 alpha-2)."""


@dataclass(frozen=True)
class _Industry:
    """A GB/T 4754-2017 division of the district and what it ships."""

    code: str
    weight: float  # share of the district's enterprises
    words: tuple[str, ...]  # for company names
    products: tuple[str, ...]  # HS chapters or headings
    tilt: tuple[tuple[str, float], ...]  # market preference multipliers
    q4_peak: bool  # Christmas and winter goods


_INDUSTRIES: tuple[_Industry, ...] = (
    _Industry(
        "34", 90, ("气动元件", "液压", "机械"), ("84", "8481", "8412"), (("DE", 1.4), ("IN", 2.0), ("TR", 2.0)), False
    ),
    _Industry("36", 70, ("汽车部件", "汽配", "车业"), ("87", "8708"), (("US", 1.3), ("MX", 2.0), ("DE", 1.5)), False),
    _Industry("18", 80, ("服饰", "制衣", "针织"), ("61", "62"), (("JP", 2.5), ("KR", 1.5), ("GB", 1.3)), True),
    _Industry(
        "38", 65, ("电器", "电机", "小家电"), ("85", "8516", "8509"), (("US", 1.2), ("RU", 1.5), ("SA", 1.5)), True
    ),
    _Industry("24", 40, ("文具", "工艺品", "玩具"), ("96", "95"), (("US", 1.4), ("GB", 1.3), ("AE", 1.5)), True),
    _Industry("21", 35, ("家具", "家居用品"), ("94", "9403"), (("US", 1.6), ("AU", 2.0), ("CA", 1.5)), True),
    _Industry("29", 25, ("塑业", "橡塑制品"), ("39", "40"), (("VN", 1.3), ("DE", 1.2)), False),
    _Industry("33", 15, ("五金", "金属制品"), ("73", "76"), (("US", 1.3), ("AU", 1.3)), False),
    _Industry("39", 10, ("电子", "光电"), ("85", "8544"), (("KR", 1.5), ("DE", 1.2)), False),
    _Industry("51", 12, ("进出口", "国际贸易"), ("61", "85", "84", "94", "96"), (("AE", 1.5), ("NG", 1.5)), False),
)

_CLASSES = (("head", 0.11), ("mid", 0.51), ("small", 0.38))  # the demo district's mix
_BRAND = "华亚星力恒达宏盛泰鑫丰瑞德普佳永金天海新东明利龙凯欧美博信诚嘉益宇隆源昌富荣兴威锦伟立正通日万汇"
_SURNAMES = "王陈张李周林徐孙胡朱应邬竺毛蒋俞汪楼"
_GIVEN = "建国海军伟明华波杰丽萍燕红霞芳静敏勇斌峰磊涛亚晓丹"

# --- Results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """Files uploaded together: the registry (``label`` ``"registry"``), or one month's reports, lines and the
    events filed in it (``label`` the period)."""

    label: str
    files: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class Book:
    """One enterprise's simulated order book, totals over its lines, one value per period of the scenario
    (``Scenario.periods``), reported or not; USD.

    Attributes:
        new_orders: Signed in the month.
        exports: Shipped in the month.
        backlog: In hand at the month's end.
        backlog_due_3m: The part of the backlog due within three months, as the report states it.
        cancelled: Taken off the book in the month (cancelled or reduced orders).
        backlog_start: In hand at the end of the month before the first period.
        reported: Whether the enterprise reported the month.
    """

    new_orders: tuple[int, ...]
    exports: tuple[int, ...]
    backlog: tuple[int, ...]
    backlog_due_3m: tuple[int, ...]
    cancelled: tuple[int, ...]
    backlog_start: int
    reported: tuple[bool, ...]

    def reported_exports(self) -> list[float | None]:
        """Exports as the files report them: ``None`` for a month not reported."""
        return [float(e) if ok else None for e, ok in zip(self.exports, self.reported, strict=True)]


@dataclass(frozen=True)
class ScenarioLabels:
    """The truth of a scenario, for scoring the warnings.

    Attributes:
        kind: One of ``KINDS``.
        onset: The period the shock began (``None`` for ``calm``, and for ``distress``, whose enterprises each
            have their own).
        market: The collapsed market (ISO code), for ``market_collapse``.
        hs: The collapsed HS chapter, for ``product_collapse``.
        markets: The fallen markets, for ``systemic``.
        falls: By USCC, the periods where its reported exports begin to fall by a third year on year
            (``drop_onsets``), oldest first; every enterprise is a key.
        distressed: By USCC of a distressed enterprise, the period its slide began.
        distress_falls: By USCC of a distressed enterprise, its first fall at or after the slide's start;
            ``None`` when its exports did not fall by a third before the scenario's end.
    """

    kind: str
    onset: str | None
    market: str | None = None
    hs: str | None = None
    markets: tuple[str, ...] = ()
    falls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    distressed: Mapping[str, str] = field(default_factory=dict)
    distress_falls: Mapping[str, str | None] = field(default_factory=dict)

    def first_fall(self, uscc: str) -> str | None:
        """The first period the enterprise's exports fall by a third; ``None`` when they never do."""
        found = self.falls.get(uscc, ())
        return found[0] if found else None


@dataclass(frozen=True)
class Scenario:
    """One generated scenario: what is uploaded, what is true, and the simulated books behind the files."""

    kind: str
    seed: int
    periods: tuple[str, ...]
    batches: tuple[Batch, ...]
    labels: ScenarioLabels
    books: Mapping[str, Book]
    exports_last_year: Mapping[str, int]  # USD, as the registry states it

    @property
    def files(self) -> list[tuple[str, bytes]]:
        """Every file of every batch, the registry first."""
        return [f for batch in self.batches for f in batch.files]


# --- Profiles ----------------------------------------------------------------------------------


@dataclass
class _Line:
    market: str
    hs: str
    share: float
    lag: int  # months from signing to the first shipment
    first_part: float  # share of an order shipped after ``lag`` months; the rest a month later


@dataclass
class _Profile:
    uscc: str
    name: str
    klass: str
    target_exports: float  # USD in the year before the first period (the registry's "last year")
    industry: _Industry
    town: str
    lines: list[_Line]
    growth: float
    noise: float
    line_noise: float
    ar_sigma: float
    season_amp: float
    q4_strength: float
    cap_base: float
    due_factor: float
    missing_rate: float
    customs_code: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    imports: int = 0
    # distress: the month number the slide begins, the level new orders fall to, over how many months, and
    # what else it brings (months after the start; None: not this enterprise)
    slide: int | None = None
    slide_floor: float = 1.0
    slide_months: int = 1
    cancel_after: int | None = None
    cancel_share: float = 0.0
    delay_after: int | None = None
    need_after: int | None = None

    def slide_month(self, m: int, after: int | None) -> bool:
        """Whether ``m`` is ``after`` months into the slide."""
        return self.slide is not None and after is not None and m == self.slide + after


_weighted = weighted_pick


def _size(rng: random.Random, klass: str) -> float:
    """Exports last year in USD, by class (the demo district's ranges)."""
    if klass == "head":
        return float(11_000_000 * (1 - 0.95 * rng.random()) ** (-1 / 1.6))
    if klass == "mid":
        return math.exp(rng.uniform(math.log(950_000), math.log(9_200_000)))
    return math.exp(rng.uniform(math.log(60_000), math.log(850_000)))


def _lines(rng: random.Random, klass: str, industry: _Industry) -> list[_Line]:
    tilt = dict(industry.tilt)
    weights = [(code, w * tilt.get(code, 1.0)) for code, w in _MARKETS]
    n = _weighted(
        rng,
        {
            "small": ((1, 20.0), (2, 35.0), (3, 30.0), (4, 15.0)),
            "mid": ((1, 6.0), (2, 18.0), (3, 30.0), (4, 26.0), (5, 14.0), (6, 6.0)),
            "head": ((3, 15.0), (4, 30.0), (5, 30.0), (6, 25.0)),
        }[klass],
    )
    markets: list[str] = []
    pool = list(weights)
    while len(markets) < n:
        chosen = _weighted(rng, [(c, w**1.15 if not markets else w) for c, w in pool])
        markets.append(chosen)
        pool = [(c, w) for c, w in pool if c != chosen]
    if n == 1:
        shares = [1.0]
    else:
        top = max(rng.uniform(0.35, 0.85), 1.3 / n)
        rest = [rng.random() ** 1.5 + 0.05 for _ in range(n - 1)]
        shares = [top] + [(1 - top) * r / sum(rest) for r in rest]
    # Chapters or headings, never both for one enterprise.
    headings = [c for c in industry.products if len(c) == 4]
    codes = headings if headings and rng.random() < 0.4 else [c for c in industry.products if len(c) == 2]
    count = 3 if industry.code == "51" else (2 if rng.random() < 0.55 else 1)
    products = rng.sample(codes, min(count, len(codes)))
    base_lag = _weighted(rng, ((2, 3.0), (3, 4.0), (4, 2.0)))
    out: list[_Line] = []
    for market, share in zip(markets, shares, strict=True):
        lag = base_lag + (1 if rng.random() < 0.2 and base_lag < 4 else 0)
        first_part = rng.uniform(0.6, 0.9)
        if len(products) > 1 and share >= 0.2:
            primary = rng.uniform(0.55, 0.85)
            out.append(_Line(market, products[0], share * primary, lag, first_part))
            out.append(_Line(market, products[1], share * (1 - primary), lag, first_part))
        else:
            out.append(_Line(market, rng.choice(products), share, lag, first_part))
    merged: dict[tuple[str, str], _Line] = {}
    for line in out:  # a (market, hs) pair appears once per report
        key = (line.market, line.hs)
        if key in merged:
            merged[key].share += line.share
        else:
            merged[key] = line
    return list(merged.values())


def _profiles(rng: random.Random, n: int, towns: Sequence[str]) -> list[_Profile]:
    out: list[_Profile] = []
    names: set[str] = set()
    for serial in range(1, n + 1):
        klass = _weighted(rng, _CLASSES)
        industry = _weighted(rng, [(ind, ind.weight) for ind in _INDUSTRIES])
        body = f"91330213MA2{serial:06d}"
        while True:
            name = f"宁波奉化{rng.choice(_BRAND)}{rng.choice(_BRAND)}{rng.choice(industry.words)}有限公司"
            if name not in names:
                names.add(name)
                break
        head, small = klass == "head", klass == "small"
        p = _Profile(
            uscc=body + uscc_check_char(body),
            name=name,
            klass=klass,
            target_exports=_size(rng, klass),
            industry=industry,
            town=rng.choice(list(towns)),
            lines=_lines(rng, klass, industry),
            growth=max(-0.25, min(0.35, rng.gauss(0.06, 0.05) if head else rng.gauss(0.05, 0.07))),
            noise=0.04 if head else 0.09 if small else 0.06,
            line_noise=0.06 if head else 0.11 if small else 0.08,
            ar_sigma=0.02 if head else 0.03 if small else 0.025,
            season_amp=rng.uniform(0.75, 1.25),
            q4_strength=rng.uniform(0.08, 0.2) if industry.q4_peak else 0.0,
            cap_base=rng.uniform(60, 90),
            due_factor=rng.uniform(0.86, 0.98),
            missing_rate=0.01 if head else 0.04 if small else 0.02,
        )
        p.customs_code = f"3302{serial:06d}" if rng.random() < 0.9 else ""
        p.contact_name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.7 else "")
        p.contact_phone = f"13{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"
        p.imports = int(p.target_exports * (rng.uniform(0.1, 0.5) if rng.random() < 0.2 else rng.uniform(0, 0.1)))
        out.append(p)
    return out


# --- Seasons -----------------------------------------------------------------------------------


def _cny(year: int) -> date:
    return CNY_DATES.get(year, date(year, 2, 1))


def _demand_season(m: int, p: _Profile) -> float:
    """What buyers want delivered in month ``m``, relative to an ordinary month."""
    month = m % 12 + 1
    f = 1.0
    if p.q4_strength and month >= 10:
        f *= 1 + p.q4_strength * (0.8, 1.0, 0.9)[month - 10]
    elif month == 8:
        f *= 0.96  # European summer holidays
    if month == 12:
        f *= 1.04  # year-end push
    return 1 + p.season_amp * (f - 1)


def _days_in(m: int, first_day: date, length: int) -> int:
    """How many of the ``length`` days from ``first_day`` fall in month number ``m``."""
    year, month = m // 12, m % 12 + 1
    return sum(1 for k in range(length) if (d := first_day + timedelta(days=k)).year == year and d.month == month)


@functools.cache
def _calendar(m: int) -> tuple[float, float, float]:
    """The Chinese New Year in month number ``m``: the share of output lost to the closure and the share of next
    month's orders shipped early in the rush (before any enterprise's seasonal amplitude), and the factor of the
    new orders signed (fewer in the holiday week, more in the week after, when the deferred ones are signed)."""
    days = calendar.monthrange(m // 12, m % 12 + 1)[1]
    loss = rush = deferred = taken_up = 0.0
    for year in (m // 12 - 1, m // 12, m // 12 + 1):
        cny = _cny(year)
        loss += _CLOSURE_LOSS * _days_in(m, cny, _CLOSURE_DAYS) / days
        rush += _RUSH_GAIN * _days_in(m, cny - timedelta(days=_RUSH_DAYS), _RUSH_DAYS) / days
        deferred += _ORDER_DEFERRED * _days_in(m, cny - timedelta(days=1), 7) / days
        taken_up += _ORDER_DEFERRED * _days_in(m, cny + timedelta(days=6), 7) / days
    return loss, rush, 1 - deferred + taken_up


def _production(m: int, p: _Profile) -> tuple[float, float]:
    """(capacity as a share of a normal month, share of next month's orders shipped early): output halves over
    the 21 days from the festival and the week before it ships extra, both scaled by the enterprise's seasonal
    amplitude; ordinary months have some slack to work off a backlog."""
    loss, rush, _signed = _calendar(m)
    return (1 - loss * p.season_amp if loss else _SLACK), rush * p.season_amp


# --- Simulation --------------------------------------------------------------------------------


@dataclass
class _Event:
    table: str  # "disruptions" | "needs"
    row: dict[str, object]
    period: str


@dataclass
class _Sim:
    new_orders: list[list[int]]  # [line][t]
    exports: list[list[int]]
    backlog: list[list[int]]
    cancelled: list[list[int]]
    due: list[int]  # [t], report total
    capacity: list[int]
    events: list[_Event]


def _day(rng: random.Random, m: int) -> date:
    return date(m // 12, m % 12 + 1, rng.randint(1, 28))


def _simulate(
    rng: random.Random,
    p: _Profile,
    *,
    start: int,
    first: int,
    last: int,
    shock: Mapping[tuple[str, str], float],
    onset: int | None,
    district: Sequence[float],
) -> _Sim:
    """Run the order book of ``p`` month by month from ``start`` to ``last`` (see the module docstring); ``shock``
    maps a line's (market, chapter) to its new-order factor from ``onset`` on (``("*", chapter)`` and
    ``(market, "*")`` match any chapter or market)."""
    horizon = last + 8
    months = list(range(start, horizon + 1))
    ar = 0.0
    level: list[float] = []
    for m in months:
        ar = _AR_RHO * ar + rng.gauss(0.0, p.ar_sigma)
        level.append(math.exp(p.growth * (m - first) / 12 + ar))
    # Scale: the year before the first reported month ships about the registry's figure.
    year_before = [i for i, m in enumerate(months) if first - 12 <= m < first]
    unit = sum(ln.share * level[i] * _demand_season(months[i], p) for ln in p.lines for i in year_before)
    scale = p.target_exports / unit

    def expected(i: int, line: _Line) -> float:
        return scale * line.share * level[i] * _demand_season(months[i], p)

    n_lines = len(p.lines)
    t_count = last - start + 1
    sim = _Sim(
        new_orders=[[0] * t_count for _ in range(n_lines)],
        exports=[[0] * t_count for _ in range(n_lines)],
        backlog=[[0] * t_count for _ in range(n_lines)],
        cancelled=[[0] * t_count for _ in range(n_lines)],
        due=[0] * t_count,
        capacity=[0] * t_count,
        events=[],
    )
    # Orders signed before the simulation: a normal book for the first months' deliveries.
    sched: list[dict[int, int]] = []
    for ln in p.lines:
        book: dict[int, int] = {}
        for k in range(ln.lag + 1):
            book[start + k] = int(expected(k, ln))
        sched.append(book)
    carry = [0] * n_lines
    line_shock = [
        shock.get((ln.market, ln.hs[:2]), shock.get((ln.market, "*"), shock.get(("*", ln.hs[:2]), 1.0)))
        for ln in p.lines
    ]
    main = max(range(n_lines), key=lambda i: p.lines[i].share)
    for t, m in enumerate(range(start, last + 1)):
        common = math.exp(rng.gauss(0.0, p.noise)) * district[t] * _calendar(m)[2]
        slide = 1.0
        if p.slide is not None and m >= p.slide:
            progress = min(1.0, (m - p.slide + 1) / p.slide_months)
            slide = 1 - (1 - p.slide_floor) * progress
        capacity, early = _production(m, p)
        distress = p.slide is not None and m >= p.slide
        cancel_now = p.slide_month(m, p.cancel_after)
        delay_now = p.slide_month(m, p.delay_after)
        shipped_total = 0
        normal_total = 0.0
        for i, ln in enumerate(p.lines):
            factor = line_shock[i] if onset is not None and m >= onset else 1.0
            n = int(expected(t + ln.lag, ln) * common * math.exp(rng.gauss(0.0, p.line_noise)) * factor * slide)
            first_part = int(n * ln.first_part)
            sched[i][m + ln.lag] = sched[i].get(m + ln.lag, 0) + first_part
            sched[i][m + ln.lag + 1] = sched[i].get(m + ln.lag + 1, 0) + n - first_part
            # A delayed shipment: the buyer asks to hold part of what is due now for two months.
            delayed = 0
            if delay_now or (not distress and i == main and rng.random() < 0.005):
                share = rng.uniform(0.2, 0.5) if delay_now else rng.uniform(0.05, 0.2)
                due_now = sched[i].get(m, 0)
                delayed = int(due_now * share)
                sched[i][m] = due_now - delayed
                sched[i][m + 2] = sched[i].get(m + 2, 0) + delayed
                if delayed and rng.random() < 0.8:
                    sim.events.append(_disruption(rng, p, m, "shipment_delayed", delayed, ln))
            owed = carry[i] + sched[i].pop(m, 0)
            pulled = int(sched[i].get(m + 1, 0) * early)
            if pulled:
                sched[i][m + 1] -= pulled
                owed += pulled
            normal = expected(t, ln)
            normal_total += normal
            e = min(owed, int(normal * capacity) + pulled)
            e = int(e * (1 - rng.uniform(0.0, 0.06)))  # a few shipments slip to next month
            carry[i] = owed - e
            if capacity < 1:
                # What the festival's closure held back is rescheduled with the buyers over the next months.
                part, rest = divmod(carry[i], _RESCHEDULED)
                for k in range(1, _RESCHEDULED + 1):
                    sched[i][m + k] = sched[i].get(m + k, 0) + part + (rest if k == 1 else 0)
                carry[i] = 0
            # Cancellations: rare small ones for anyone; a large one in a distressed enterprise's slide.
            cancel_share = 0.0
            if cancel_now:
                cancel_share = p.cancel_share
            elif rng.random() < 0.004:
                cancel_share = rng.uniform(0.03, 0.10)
            cut = 0
            if cancel_share:
                taken = int(carry[i] * cancel_share)
                carry[i] -= taken
                cut += taken
                for due_month in sorted(sched[i]):
                    taken = int(sched[i][due_month] * cancel_share)
                    sched[i][due_month] -= taken
                    cut += taken
                filed = rng.random() < (0.9 if cancel_now else 0.5)
                if cut and filed:
                    kind = "order_cancelled" if cancel_share >= 0.15 or rng.random() < 0.3 else "order_reduced"
                    sim.events.append(_disruption(rng, p, m, kind, cut, ln))
            sim.new_orders[i][t] = n
            sim.exports[i][t] = e
            sim.cancelled[i][t] = cut
            sim.backlog[i][t] = carry[i] + sum(a for due_month, a in sched[i].items() if due_month > m)
            shipped_total += e
        due = sum(carry[i] + sum(sched[i].get(m + k, 0) for k in (1, 2, 3)) for i in range(n_lines))
        sim.due[t] = int(due * p.due_factor)
        usage = p.cap_base * (shipped_total / normal_total if normal_total else 0.0) * math.exp(rng.gauss(0.0, 0.04))
        sim.capacity[t] = max(0, min(100, round(usage)))
        if not distress and rng.random() < 0.006:
            amount = int(sim.exports[main][t] * rng.uniform(0.1, 0.4))
            if amount:
                sim.events.append(_disruption(rng, p, m, "held_at_port", amount, p.lines[main]))
        if not distress and first <= m and rng.random() < 0.01:
            sim.events.append(_need(rng, p, m, distressed=False))
        if p.slide_month(m, p.need_after):
            sim.events.append(_need(rng, p, m, distressed=True))
    return sim


_DISRUPTION_NOTES = {
    "shipment_delayed": "{c}客户要求推迟交货两个月",
    "held_at_port": "{c}目的港清关延误|货物滞港",
    "order_cancelled": "{c}客户取消订单",
    "order_reduced": "{c}客户下调采购计划|订单减少",
}
_NEEDS_CALM = (
    ("logistics", None, "low", "海运舱位紧张|希望协调出口舱位"),
    ("policy_consultation", None, "normal", "咨询出口退税加快办理政策"),
    ("market_expansion", None, "low", "希望参加境外展会|开拓新市场"),
    ("exchange_rate", None, "normal", "人民币汇率波动|希望了解远期结汇"),
    ("financing", 0.03, "normal", "原材料备货资金周转|申请流动资金贷款"),
)
_NEEDS_DISTRESS = (
    ("financing", 0.08, "urgent", "订单大幅下滑|回款放缓|流动资金缺口约{w}万美元"),
    ("payment_collection", 0.05, "high", "{c}客户延迟付款|逾期应收账款约{w}万美元"),
    ("credit_insurance", 0.15, "high", "{c}客户付款风险上升|希望投保出口信用保险"),
)


def _disruption(rng: random.Random, p: _Profile, m: int, kind: str, amount: int, line: _Line) -> _Event:
    note = _DISRUPTION_NOTES[kind].format(c=MARKET_NAMES.get(line.market, line.market)).replace("|", "，")
    row: dict[str, object] = {
        "uscc": p.uscc,
        "date": _day(rng, m).isoformat(),
        "kind": kind,
        "amount_usd": amount,
        "market": line.market,
        "hs": line.hs,
        "note": note,
    }
    return _Event("disruptions", row, period_of_month_number(m))


def _need(rng: random.Random, p: _Profile, m: int, *, distressed: bool) -> _Event:
    category, share, urgency, text = rng.choice(_NEEDS_DISTRESS if distressed else _NEEDS_CALM)
    amount = None if share is None else max(10_000, int(round(p.target_exports * share * rng.uniform(0.5, 1.5), -4)))
    market = MARKET_NAMES.get(p.lines[0].market, p.lines[0].market)
    description = text.format(c=market, w=f"{(amount or 0) / 10_000:.0f}").replace("|", "，")
    row: dict[str, object] = {
        "uscc": p.uscc,
        "date": _day(rng, m).isoformat(),
        "category": category,
        "amount_usd": "" if amount is None else amount,
        "urgency": urgency,
        "description": description,
    }
    return _Event("needs", row, period_of_month_number(m))


def _direction(now: float, before: float) -> str:
    """``up``/``same``/``down`` with a ±5 % band for ``same``."""
    if before <= 0:
        return "up" if now > 0 else "same"
    return "up" if now > before * 1.05 else "down" if now < before * 0.95 else "same"


# --- Files -------------------------------------------------------------------------------------


def _csv(columns: Sequence[str], rows: Sequence[Mapping[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in columns})
    return out.getvalue().encode("utf-8")


# --- Entry point -------------------------------------------------------------------------------


def scenario_generate(
    kind: str,
    *,
    towns: Sequence[str],
    seed: int = 1,
    enterprises: int = 300,
    first_period: str = "2018-01",
    last_period: str = "2020-12",
    onset: str = DEFAULT_ONSET,
    market: str = "US",
    hs: str = "85",
    distress_share: float = 0.1,
) -> Scenario:
    """Generate one labelled scenario (see the module docstring).

    Args:
        kind: One of ``KINDS``.
        towns: Administrative codes of the district's towns (they must exist where the files are imported; the
            demo district's, for instance); enterprises are spread evenly over them.
        seed: Seed of the only random stream.
        enterprises: How many enterprises the district has.
        first_period: First reported month, ``YYYY-MM``.
        last_period: Last reported month; at least 24 months after the first.
        onset: The month the market, product or systemic shock begins (ignored by ``calm`` and ``distress``);
            at least 12 months after the first period and no later than the last.
        market: The market of ``market_collapse`` (ISO 3166-1 alpha-2; one of the district's markets).
        hs: The HS chapter of ``product_collapse`` (two digits).
        distress_share: The share of enterprises that slide in ``distress``.

    Returns:
        The scenario: its upload batches (the registry, then each month oldest first), labels and books.

    Raises:
        ValueError: on an unknown kind, no towns, a window shorter than 25 months, an onset out of range, an
            unknown market or chapter, or ``enterprises`` or ``distress_share`` out of range.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown scenario kind {kind!r}; one of {', '.join(KINDS)}")
    if not towns:
        raise ValueError("at least one town is needed")
    if not 1 <= enterprises <= 99_999:
        raise ValueError(f"enterprises must be 1..99999: {enterprises}")
    if not 0 < distress_share < 1:
        raise ValueError(f"distress_share must be in (0, 1): {distress_share}")
    first, last = month_number(first_period), month_number(last_period)
    if last - first < 24:
        raise ValueError("the scenario needs at least 25 months: a year to compare with, and a year after it")
    shocked = kind in ("market_collapse", "product_collapse", "systemic")
    start_shock = month_number(onset)
    if shocked and not first + 12 <= start_shock <= last:
        raise ValueError(f"onset {onset} must be 12 months after {first_period} and no later than {last_period}")
    if kind == "market_collapse" and market not in MARKETS:
        raise ValueError(f"market {market!r} is not one of the district's markets")
    if kind == "product_collapse" and not any(p.startswith(hs) for ind in _INDUSTRIES for p in ind.products):
        raise ValueError(f"HS chapter {hs!r} is not one the district ships")

    rng = random.Random(seed)
    profiles = _profiles(rng, enterprises, towns)
    shock: dict[tuple[str, str], float] = {}
    fallen: tuple[str, ...] = ()
    if kind == "market_collapse":
        shock[(market, "*")] = COLLAPSE
    elif kind == "product_collapse":
        shock[("*", hs[:2])] = COLLAPSE
    elif kind == "systemic":
        fallen = tuple(code for code, _w in _MARKETS if rng.random() < SYSTEMIC_SHARE)
        for code in fallen:
            shock[(code, "*")] = rng.uniform(*SYSTEMIC_FALL)
    distressed: dict[str, str] = {}
    if kind == "distress":
        count = max(1, round(distress_share * enterprises))
        for p in sorted(rng.sample(profiles, count), key=lambda q: q.uscc):
            p.slide = rng.randint(first + 12, last - 6)
            p.slide_floor = rng.uniform(0.25, 0.55)
            p.slide_months = rng.randint(1, 3)
            # What else the slide brings, drawn now so the months stay in the random stream's order.
            if rng.random() < 0.55:
                p.cancel_after, p.cancel_share = rng.randint(0, 2), rng.uniform(0.10, 0.35)
            if rng.random() < 0.35:
                p.delay_after = rng.randint(1, 3)
            if rng.random() < 0.5:
                p.need_after = rng.randint(0, 3)
            distressed[p.uscc] = period_of_month_number(p.slide)

    start = first - _BURN_IN
    district = [math.exp(rng.gauss(0.0, _DISTRICT_NOISE)) for _ in range(start, last + 1)]
    periods = tuple(period_of_month_number(m) for m in range(first, last + 1))
    reports: dict[str, list[dict[str, object]]] = {p: [] for p in periods}
    lines: dict[str, list[dict[str, object]]] = {p: [] for p in periods}
    events: dict[tuple[str, str], list[dict[str, object]]] = {}
    registry: list[dict[str, object]] = []
    books: dict[str, Book] = {}
    last_year: dict[str, int] = {}
    falls: dict[str, tuple[str, ...]] = {}
    distress_falls: dict[str, str | None] = {}
    for p in profiles:
        sim = _simulate(
            rng,
            p,
            start=start,
            first=first,
            last=last,
            shock=shock,
            onset=start_shock if shocked else None,
            district=district,
        )
        t0 = first - start
        totals = {
            "n": [sum(row[t] for row in sim.new_orders) for t in range(len(sim.due))],
            "e": [sum(row[t] for row in sim.exports) for t in range(len(sim.due))],
            "b": [sum(row[t] for row in sim.backlog) for t in range(len(sim.due))],
            "c": [sum(row[t] for row in sim.cancelled) for t in range(len(sim.due))],
        }
        exports_last_year = sum(totals["e"][t0 - 12 : t0])
        last_year[p.uscc] = exports_last_year
        us_share = sum(sum(sim.exports[i][t0 - 12 : t0]) for i, ln in enumerate(p.lines) if ln.market == "US") / max(
            1, exports_last_year
        )
        segments = ["us_exporter"] if us_share >= 0.3 else []
        if rng.random() < 0.2:
            segments.insert(0, "canton_fair")
        registry.append(
            {
                "uscc": p.uscc,
                "name": p.name,
                "customs_code": p.customs_code,
                "town": p.town,
                "industry": p.industry.code,
                "exports_last_year_usd": exports_last_year,
                "imports_last_year_usd": p.imports,
                "contact_name": p.contact_name,
                "contact_phone": p.contact_phone,
                "segments": ";".join(segments),
            }
        )
        reported: list[bool] = []
        for k, period in enumerate(periods):
            t = t0 + k
            if rng.random() < p.missing_rate:
                reported.append(False)
                continue
            reported.append(True)
            outlook_now = sim.due[t] + totals["n"][t]
            outlook_before = sim.due[t - 12] + totals["n"][t - 12]
            reports[period].append(
                {
                    "uscc": p.uscc,
                    "period": period,
                    "exports_usd": totals["e"][t],
                    "new_orders_usd": totals["n"][t],
                    "backlog_usd": totals["b"][t],
                    "backlog_due_3m_usd": sim.due[t],
                    "capacity_utilization_pct": sim.capacity[t],
                    "new_orders_trend": _direction(totals["n"][t], totals["n"][t - 1]),
                    "outlook_3m": _direction(outlook_now, outlook_before),
                }
            )
            for i, ln in enumerate(p.lines):
                b, n, e = sim.backlog[i][t], sim.new_orders[i][t], sim.exports[i][t]
                if b or n or e:
                    lines[period].append(
                        {
                            "uscc": p.uscc,
                            "period": period,
                            "market": ln.market,
                            "hs": ln.hs,
                            "backlog_usd": b,
                            "new_orders_usd": n,
                            "exports_usd": e,
                        }
                    )
        for event in sim.events:
            if event.period in reports:  # events of the burn-in months were never filed
                events.setdefault((event.table, event.period), []).append(event.row)
        book = Book(
            new_orders=tuple(totals["n"][t0:]),
            exports=tuple(totals["e"][t0:]),
            backlog=tuple(totals["b"][t0:]),
            backlog_due_3m=tuple(sim.due[t0:]),
            cancelled=tuple(totals["c"][t0:]),
            backlog_start=totals["b"][t0 - 1],
            reported=tuple(reported),
        )
        books[p.uscc] = book
        onsets = drop_onsets(book.reported_exports())
        falls[p.uscc] = tuple(periods[i] for i in onsets)
        if p.slide is not None:
            after = [periods[i] for i in onsets if first + i >= p.slide]
            distress_falls[p.uscc] = after[0] if after else None

    batches = [Batch("registry", (("enterprises.csv", _csv(ENTERPRISE_COLUMNS, registry)),))]
    for period in periods:
        files = [
            (f"reports-{period}.csv", _csv(REPORT_COLUMNS, reports[period])),
            (f"report_lines-{period}.csv", _csv(LINE_COLUMNS, lines[period])),
        ]
        for table, columns in (("disruptions", DISRUPTION_COLUMNS), ("needs", NEED_COLUMNS)):
            rows = sorted(events.get((table, period), []), key=lambda r: (str(r["date"]), str(r["uscc"])))
            if rows:
                files.append((f"{table}-{period}.csv", _csv(columns, rows)))
        batches.append(Batch(period, tuple(files)))
    labels = ScenarioLabels(
        kind=kind,
        onset=onset if shocked else None,
        market=market if kind == "market_collapse" else None,
        hs=hs[:2] if kind == "product_collapse" else None,
        markets=fallen,
        falls=falls,
        distressed=distressed,
        distress_falls=distress_falls,
    )
    return Scenario(
        kind=kind,
        seed=seed,
        periods=periods,
        batches=tuple(batches),
        labels=labels,
        books=books,
        exports_last_year=last_year,
    )
