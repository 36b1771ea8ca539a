"""Change detectors as warnings (DESIGN §7, source (b)): the control charts and peer scores of
:mod:`~exportwatch.core.change_detection` turned into signals with a level, like the threshold rules.

Three detectors ship (:data:`DETECTORS`):

* ``ewma_new_orders``: an EWMA chart on the seasonal changes (log ratio to the same month a year before) of a
  group's new orders — a market, market group, HS chapter, industry, town or the whole jurisdiction. It signals
  when the smoothed change falls below its lower control limit: a slide the group's own history says is not
  noise, even when no fixed threshold is crossed yet.
* ``cusum_new_orders``: a two-sided CUSUM on the same series; it accumulates small shortfalls and signals a
  lasting shift of about one standard deviation within a few months.
* ``peer_new_orders``: an enterprise's year-on-year change of new orders against its peers (the same industry
  and the same market group of its main market): a robust z-score of −3 or below means it is falling far more
  than enterprises in the same trade, i.e. its own trouble rather than the market's.

Control charts run on groups, not on single enterprises: one small exporter's monthly orders are lumpy (an order
more or less is ±50 %), so its chart would be all false alarms; the enterprise is judged against its peers
instead. A detector's signal is ``yellow`` (a statistical anomaly to watch); the threshold rules say how bad
things are.

The values a signal carries: EWMA — the smoothed change as a fraction (``exp(z) − 1``, e.g. −0.25 is 25 %
below a year before) and the lower limit likewise; CUSUM — the downward sum in standard deviations (negative)
and ``−h``; peer — the robust z-score and −3.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from exportwatch.core.change_detection import (
    DOWN,
    MAD_SCALE,
    ChartPoint,
    cusum_chart,
    ewma_chart,
    seasonal_changes,
)
from exportwatch.core.indicators import to_float
from exportwatch.core.warning_rules import AGGREGATE_SCOPES, LEVELS, SCOPES, Signal

EWMA, CUSUM, PEER = METHODS = ("ewma", "cusum", "peer")

PEER_BOUND = -3.0
"""Robust z-score at or below which an enterprise signals against its peers."""

MIN_PEERS = 5
"""Fewest enterprises in a peer group (the enterprise included beyond these) for a score."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Detector:
    """One change detector.

    Attributes:
        key: Stable identifier, stored as the warning's rule.
        method: ``"ewma"``, ``"cusum"`` (on a series) or ``"peer"`` (one value against its peers').
        indicator: ``"new_orders"`` (the monthly series, USD) for the charts; ``"new_orders_yoy"`` (a fraction)
            for the peer score.
        level: The level of its signal (``LEVELS``).
        scopes: The scope kinds it judges.
        params: The method's parameters (EWMA ``lam``, ``width``, ``warmup``; CUSUM ``k``, ``h``, ``warmup``;
            peer ``bound``, ``min_peers``).
        reason: Why it is set so, in English.
        reason_zh: The same in Chinese.
    """

    key: str
    method: str
    indicator: str
    level: str
    scopes: tuple[str, ...]
    params: Mapping[str, float]
    reason: str
    reason_zh: str

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"detector {self.key!r}: unknown method {self.method!r}")
        if self.level not in LEVELS:
            raise ValueError(f"detector {self.key!r}: unknown level {self.level!r}")
        unknown = set(self.scopes) - set(SCOPES)
        if unknown or not self.scopes:
            raise ValueError(f"detector {self.key!r}: bad scopes {sorted(unknown) or self.scopes}")


def chart(detector: Detector, values: Sequence[float | None]) -> list[ChartPoint]:
    """The control chart of a series detector on ``values`` (oldest first; e.g. monthly new orders, USD): one
    point per value, on the seasonal changes of the values (see :mod:`~exportwatch.core.change_detection`).

    Raises:
        ValueError: for a peer detector, or a value that is NaN or infinite.
    """
    changes = seasonal_changes(values)
    p = dict(detector.params)
    warmup = int(p.get("warmup", 12))
    if detector.method == EWMA:
        return ewma_chart(changes, lam=p.get("lam", 0.3), width=p.get("width", 3.0), warmup=warmup)
    if detector.method == CUSUM:
        return cusum_chart(changes, k=p.get("k", 0.5), h=p.get("h", 4.0), warmup=warmup)
    raise ValueError(f"detector {detector.key!r} does not chart a series")


def series_signal(detector: Detector, values: Sequence[float | None], *, scope: str, key: str) -> Signal | None:
    """The detector's signal for the last value of ``values`` (the month judged), or ``None``: only a signal
    downwards counts (a surge of orders is not a warning)."""
    if scope not in detector.scopes or not values:
        return None
    last = chart(detector, values)[-1]
    if last.signal != DOWN or last.statistic is None or last.lower is None:
        return None
    if detector.method == EWMA:  # log ratios shown as the fractions they stand for
        value, threshold = math.expm1(last.statistic), math.expm1(last.lower)
    else:
        value, threshold = last.statistic, last.lower
    return Signal(scope=scope, key=key, rule=detector.key, level=detector.level, value=value, threshold=threshold)


def peer_scores(values: Mapping[str, float], *, min_peers: int = MIN_PEERS) -> dict[str, float | None]:
    """Robust z-scores of each member of one peer group: ``(x − median) / (1.4826·MAD)`` over the whole group.

    The group's median and MAD are computed once, with every member in (a leave-one-out score would cost a
    median per member; with at least ``min_peers + 1`` members one value moves the median by at most one rank).

    Returns:
        key -> score; every score ``None`` when the group has at most ``min_peers`` members or a MAD of 0
        (more than half the group shares one value: there is no spread to measure against).

    Raises:
        ValueError: when a value is NaN or infinite.
    """
    numbers = {k: to_float(v) for k, v in values.items()}
    if len(numbers) <= min_peers:
        return dict.fromkeys(numbers)
    centre = statistics.median(numbers.values())
    mad = statistics.median(abs(v - centre) for v in numbers.values())
    if mad == 0:
        return dict.fromkeys(numbers)
    return {k: (v - centre) / (MAD_SCALE * mad) for k, v in numbers.items()}


def peer_signals(detector: Detector, groups: Mapping[str, Mapping[str, float]]) -> list[Signal]:
    """The enterprise signals of a peer detector: ``groups`` maps a peer group to its members' values (the
    detector's indicator, a year-on-year fraction, compared as ``ln(1 + x)`` so a halving and a doubling weigh
    alike; a value of −100 % or less counts as −99.99 %)."""
    if detector.method != PEER:
        raise ValueError(f"detector {detector.key!r} is not a peer detector")
    bound = float(detector.params.get("bound", PEER_BOUND))
    least = int(detector.params.get("min_peers", MIN_PEERS))
    out = []
    for members in groups.values():
        logs = {k: math.log1p(max(to_float(v), -0.9999)) for k, v in members.items()}
        for key, z in peer_scores(logs, min_peers=least).items():
            if z is not None and z <= bound:
                out.append(
                    Signal(
                        scope="enterprise", key=key, rule=detector.key, level=detector.level, value=z, threshold=bound
                    )
                )
    return out


DETECTORS: tuple[Detector, ...] = (
    Detector(
        key="ewma_new_orders",
        method=EWMA,
        indicator="new_orders",
        level="yellow",
        scopes=AGGREGATE_SCOPES,
        params={"lam": 0.3, "width": 3.0, "warmup": 12},
        reason=(
            "EWMA chart (λ = 0.3, limits at 3 standard deviations) of the group's new orders against the same month "
            "a year before, the limits learnt from its first 12 comparable months. It signals when the smoothed "
            "change leaves the band that the group's own history calls normal: a slide too steady to be noise, "
            "often before a fixed threshold is crossed. Yellow: an anomaly to look into."
        ),
        reason_zh=(
            "对该群体新订单同比（与上年同月的对数比）作 EWMA 控制图（λ = 0.3，控制限 3 倍标准差），控制限由其最初 12 个"
            "可比月份估计。平滑后的变化跌出该群体自身历史所界定的正常区间即发出信号：持续下滑不属于正常波动，往往早于"
            "固定阈值被突破。黄色：需要调查的异常。"
        ),
    ),
    Detector(
        key="cusum_new_orders",
        method=CUSUM,
        indicator="new_orders",
        level="yellow",
        scopes=AGGREGATE_SCOPES,
        params={"k": 0.5, "h": 5.0, "warmup": 12},
        reason=(
            "Two-sided CUSUM (k = 0.5, h = 5 standard deviations) of the group's new orders against the same month "
            "a year before. It adds up the shortfalls beyond half a standard deviation and signals when they "
            "exceed five: a lasting fall of about one standard deviation is caught within about six months. The "
            "textbook h = 4 (a chance signal once in about 170 months) assumes the mean and spread are known; "
            "learnt from only 12 months they are not, and h = 4 cried wolf on noise, so h = 5 (once in about 460 "
            "months with known parameters). Yellow: an anomaly to look into."
        ),
        reason_zh=(
            "对该群体新订单同比作双侧 CUSUM 累积和控制图（k = 0.5，h = 5 倍标准差）。累计超出半个标准差的缺口，超过 5 倍"
            "即发出信号：约一个标准差的持续下降约六个月内即可发现。教科书取 h = 4（随机误报约 170 个月一次），前提是均值和"
            "标准差已知；仅由 12 个月估计时并非如此，h = 4 在纯噪声上频繁误报，故取 h = 5（参数已知时约 460 个月一次）。"
            "黄色：需要调查的异常。"
        ),
    ),
    Detector(
        key="peer_new_orders",
        method=PEER,
        indicator="new_orders_yoy",
        level="yellow",
        scopes=("enterprise",),
        params={"bound": PEER_BOUND, "min_peers": MIN_PEERS},
        reason=(
            "Robust z-score (median and MAD) of the enterprise's new orders year on year among its peers: the "
            "enterprises of its industry selling mainly to the same market group (the industry alone when that "
            "group is smaller than 6). At -3 or below it is falling far more than its trade: its own trouble "
            "(a lost buyer, a dispute, a cash problem) rather than the market's. Only enterprises with 500,000 USD "
            "of exports last year or more."
        ),
        reason_zh=(
            "企业新订单同比在同行中的稳健 z 分数（中位数与 MAD）。同行指同一行业、主要市场属于同一市场组的企业（该组不足 "
            "6 家时为同一行业）。低于 -3 表示其降幅远超同行：问题在企业自身（失去客户、纠纷、资金困难），而非市场。"
            "仅评估上年出口 50 万美元以上的企业。"
        ),
    ),
)
"""The shipped detectors; their parameters are code, not data (the threshold rules are the analysts' to tune)."""

DETECTOR_KEYS = frozenset(d.key for d in DETECTORS)
