"""Systemic signals for a whole jurisdiction, and the composite lamp (DESIGN §7, source (c)).

The components, each judged by a :class:`~exportwatch.core.warning_rules.ThresholdRule` of
:data:`DEFAULT_SYSTEMIC` (or the caller's):

* ``weighted_share``: the export-weighted share of enterprises at orange or worse,
  ``Σ w_i [level_i >= orange] / Σ w_i`` with ``w_i`` the enterprise's exports last year (a fraction,
  :func:`weighted_share_at_or_above`);
* ``di_run``: how many of the latest periods in a row the diffusion index of new orders stayed below 50
  (:func:`consecutive_below`);
* ``market_breadth`` and ``industry_breadth``: the share of markets, and of industries, in warning
  (fractions, :func:`breadth`);
* ``target_gap``: the forecast gap to the annual export target, ``(forecast − target) / target`` (a fraction;
  −0.05 is 5 % short), optional.

The lamp is the worst component's level, except that a single yellow component with nothing worse gives blue
(:func:`systemic_lamp`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from exportwatch.core.indicators import to_float
from exportwatch.core.warning_rules import ABOVE, BELOW, ThresholdRule, level_rank, threshold_crossed, worst

COMPONENTS = ("weighted_share", "di_run", "market_breadth", "industry_breadth", "target_gap")
"""The lamp's components, in the order of :attr:`SystemicLamp.components`."""

DI_BOUND = 50.0  # points: the diffusion index's line between expansion and contraction


@dataclass(frozen=True, slots=True)
class Component:
    """One systemic component.

    Attributes:
        name: One of ``COMPONENTS``.
        value: Its value (a fraction, or a number of periods for ``di_run``); ``None`` when unknown.
        level: The most severe level its thresholds give; ``None`` (green) when none is crossed or unknown.
        threshold: The threshold crossed at that level; ``None`` with no level.
    """

    name: str
    value: float | None
    level: str | None
    threshold: float | None


@dataclass(frozen=True, slots=True)
class SystemicLamp:
    """The composite lamp: ``level`` (``None`` is green) and one component per input, in ``COMPONENTS`` order."""

    level: str | None
    components: tuple[Component, ...]

    def component(self, name: str) -> Component:
        """The component called ``name``.

        Raises:
            KeyError: when there is no such component.
        """
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(name)


def _systemic(name: str, direction: str, thresholds: dict[str, float], reason: str, reason_zh: str) -> ThresholdRule:
    return ThresholdRule(
        key=f"systemic_{name}",
        indicator=name,
        direction=direction,
        thresholds=thresholds,
        scopes=("district",),
        reason=reason,
        reason_zh=reason_zh,
    )


_BREADTH_REASON = (
    "Share of the {what} in warning, at orange or worse this month and the month before (fraction): one month "
    "alone can be a shifted holiday. Yellow at 15%: more than one in seven, beyond the one or two that "
    "are in trouble in any month. Orange at 30%: the trouble is spreading across {what}. Red at 50%: most of them "
    "at once, a general shock rather than a local one."
)
_BREADTH_REASON_ZH = (
    "连续两个月处于橙色及以上预警的{what}占比（小数）：单月可能只是节假日错位。黄色 15%：超过七分之一，多于平常任何月份都会有的一两个。橙色 30%：风险在{what}之间扩散。"
    "红色 50%：多数同时预警，属于全局性冲击而非局部问题。"
)

DEFAULT_SYSTEMIC: Mapping[str, ThresholdRule] = MappingProxyType(
    {
        "weighted_share": _systemic(
            "weighted_share",
            ABOVE,
            {"red": 0.3, "orange": 0.2, "yellow": 0.1},
            reason=(
                "Export-weighted share of enterprises at orange or worse (fraction of last year's exports). Yellow "
                "at 10%: a tenth of the district's exports sits with enterprises in serious trouble. Orange at "
                "20%: enough to pull the district's exports down by several points on its own. Red at 30%: the "
                "district's export total is at stake."
            ),
            reason_zh=(
                "橙色及以上预警企业按上年出口额加权的占比（小数）。黄色 10%：全区十分之一的出口来自严重困难企业。橙色 20%："
                "仅此即可使全区出口下降数个百分点。红色 30%：全区出口总量面临风险。"
            ),
        ),
        "di_run": _systemic(
            "di_run",
            ABOVE,
            {"red": 3, "orange": 2, "yellow": 1},
            reason=(
                "Periods in a row with the diffusion index of new orders below 50 (periods). Yellow after 1: more "
                "enterprises report falling orders than rising ones. Orange after 2: not a one-month blip. Red "
                "after 3: a quarter of contraction, which shows in exports 2-3 months later."
            ),
            reason_zh=(
                "新订单扩散指数连续低于 50 的期数（期）。黄色 1 期：报告下降的企业多于上升的企业。橙色 2 期：并非单月波动。"
                "红色 3 期：连续一个季度收缩，将在 2-3 个月后体现为出口下滑。"
            ),
        ),
        "market_breadth": _systemic(
            "market_breadth",
            ABOVE,
            {"red": 0.5, "orange": 0.3, "yellow": 0.15},
            reason=_BREADTH_REASON.format(what="markets"),
            reason_zh=_BREADTH_REASON_ZH.format(what="市场"),
        ),
        "industry_breadth": _systemic(
            "industry_breadth",
            ABOVE,
            {"red": 0.5, "orange": 0.3, "yellow": 0.15},
            reason=_BREADTH_REASON.format(what="industries"),
            reason_zh=_BREADTH_REASON_ZH.format(what="行业"),
        ),
        "target_gap": _systemic(
            "target_gap",
            BELOW,
            {"red": -0.1, "orange": -0.05, "yellow": -0.02},
            reason=(
                "Forecast gap to the annual export target, (forecast − target) / target (fraction). Yellow at -2%: "
                "within forecast error, but the target is no longer safe. Orange at -5%: more than the rest of "
                "the year can make up by itself; measures are needed. Red at -10%: the target will be missed without new policy support."
            ),
            reason_zh=(
                "出口预测与年度目标的差距，（预测 − 目标）/ 目标（小数）。黄色 -2%：在预测误差范围内，但目标已无保障。橙色 "
                "-5%：仅靠全年剩余时间的自然增长难以弥补，需要采取措施。红色 -10%：若无新的政策支持，将无法完成目标。"
            ),
        ),
    }
)
"""The default thresholds of each component, by component name."""


# --- Inputs ----------------------------------------------------------------------------------


def weighted_share_at_or_above(
    levels: Mapping[str, tuple[str | None, float]], *, level: str = "orange"
) -> float | None:
    """Export-weighted share of enterprises at ``level`` or worse: ``Σ w_i [level_i >= level] / Σ w_i``.

    Args:
        levels: By enterprise (USCC), its current level (``None`` is green) and its weight, normally its
            exports last year (USD).
        level: The least severe level counted.

    Returns:
        The share, a fraction 0..1; ``None`` when the weights sum to 0 (or there are no enterprises).

    Raises:
        ValueError: when a level is unknown, or a weight is negative, NaN or infinite.
    """
    floor = level_rank(level)
    if floor == 0:
        raise ValueError("level must be a warning level, not None")
    counted: list[float] = []
    weights: list[float] = []
    for uscc, (current, weight) in levels.items():
        w = to_float(weight)
        if w < 0:
            raise ValueError(f"negative weight for {uscc}: {weight}")
        weights.append(w)
        if level_rank(current) >= floor:
            counted.append(w)
    whole = math.fsum(weights)
    if whole == 0:
        return None
    return math.fsum(counted) / whole


def consecutive_below(series: Sequence[float | None], *, bound: float = DI_BOUND) -> int:
    """How many of the latest periods in a row are strictly below ``bound``.

    Args:
        series: The index by period, oldest first (e.g. the diffusion index of new orders, points 0..100).
        bound: The bound (50 for a diffusion index).

    Returns:
        The length of the run ending with the latest period; 0 when the latest is at or above the bound, or is
        ``None`` (a missing period ends the run: an unknown period is not counted as contraction).
    """
    run = 0
    for value in reversed(series):
        if value is None or to_float(value) >= bound:
            break
        run += 1
    return run


def breadth(in_warning: int, total: int) -> float | None:
    """Share of the units (markets, industries...) in warning: ``in_warning / total``, a fraction 0..1.

    Returns:
        The share; ``None`` when ``total`` is 0.

    Raises:
        ValueError: when a count is negative or ``in_warning > total``.
    """
    if in_warning < 0 or total < 0:
        raise ValueError(f"counts must not be negative: {in_warning}, {total}")
    if in_warning > total:
        raise ValueError(f"more units in warning than units: {in_warning} > {total}")
    if total == 0:
        return None
    return in_warning / total


# --- The lamp --------------------------------------------------------------------------------


def systemic_lamp(
    *,
    weighted_share: float | None,
    di_run: int,
    market_breadth: float | None,
    industry_breadth: float | None,
    target_gap: float | None = None,
    thresholds: Mapping[str, ThresholdRule] = DEFAULT_SYSTEMIC,
) -> SystemicLamp:
    """The composite lamp of the jurisdiction.

    Each component gets the most severe level its rule's thresholds give (:func:`threshold_crossed`; an
    unknown value gives none). The lamp is the worst of them, except that one yellow component with every
    other green gives blue: a single indicator at the edge of its usual range puts the jurisdiction on watch,
    and it takes a second yellow (or anything worse) to confirm a warning. A blue component beside the yellow
    one is such a second indicator, so the lamp stays yellow then.

    Args:
        weighted_share: See :func:`weighted_share_at_or_above` (fraction).
        di_run: See :func:`consecutive_below` (periods).
        market_breadth: Share of markets in warning, see :func:`breadth` (fraction).
        industry_breadth: Share of industries in warning (fraction).
        target_gap: ``(forecast − target) / target`` of the annual exports (fraction); ``None`` when there is
            no target or no forecast.
        thresholds: A rule per component name (``COMPONENTS``); only its direction and thresholds are used.

    Returns:
        The lamp, with all five components.

    Raises:
        ValueError: when ``thresholds`` lacks a component, or a value is NaN or infinite.
    """
    missing = [name for name in COMPONENTS if name not in thresholds]
    if missing:
        raise ValueError(f"no thresholds for: {', '.join(missing)}")
    values: dict[str, float | None] = {
        "weighted_share": weighted_share,
        "di_run": di_run,
        "market_breadth": market_breadth,
        "industry_breadth": industry_breadth,
        "target_gap": target_gap,
    }
    components = tuple(_component(name, values[name], thresholds[name]) for name in COMPONENTS)
    levels = [c.level for c in components]
    overall = worst(levels)
    if overall == "yellow" and levels.count("yellow") == 1 and "blue" not in levels:
        overall = "blue"
    return SystemicLamp(level=overall, components=components)


def _component(name: str, value: float | None, rule: ThresholdRule) -> Component:
    if value is None:
        return Component(name=name, value=None, level=None, threshold=None)
    crossed = threshold_crossed(rule, value)
    level, threshold = crossed if crossed is not None else (None, None)
    return Component(name=name, value=to_float(value), level=level, threshold=threshold)
