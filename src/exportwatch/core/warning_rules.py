"""Threshold rules on indicators, with the four warning levels (DESIGN §7, source (a)).

Levels follow the Chinese four-colour convention, from most to least severe: red 红 > orange 橙 > yellow 黄 >
blue 蓝 (:data:`LEVELS`); no level (``None``) is green, nothing to report.

A :class:`ThresholdRule` reads one named fact (an indicator already computed for one scope, e.g. the enterprise's
year-on-year growth of new orders as a fraction) and compares it with up to four thresholds, one per level:

* ``direction="below"`` fires at a level when ``value <= threshold``; the thresholds rise from red to blue
  (red is the lowest bound);
* ``direction="above"`` fires at a level when ``value >= threshold``; the thresholds fall from red to blue
  (red is the highest bound).

The most severe level crossed wins. A rule may also require other facts to be truthy (``requires``), and may
skip scopes that are too small to judge (the fact ``base`` must be ``>= min_base``).

Facts are given per scope as a ``Mapping`` from fact name to a number, a ``bool`` or ``None`` (unknown); an
adapter fills it from the database. The units of each fact are those of the indicator module that computes it
(fractions for growths and shares, months for coverage, points 0..100 for the diffusion index, USD for
amounts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from types import MappingProxyType

from exportwatch.core.indicators import to_float

LEVELS = ("red", "orange", "yellow", "blue")
"""Warning levels from most to least severe; ``None`` (no level) is green."""

LEVEL_LABELS_ZH: Mapping[str, str] = MappingProxyType({"red": "红", "orange": "橙", "yellow": "黄", "blue": "蓝"})

SCOPES = ("enterprise", "market", "market_group", "hs", "industry", "town", "district")
"""The kinds of scope a rule can apply to (a market is an ISO 3166-1 code, ``hs`` an HS chapter or code)."""

AGGREGATE_SCOPES = SCOPES[1:]
"""Every scope made of several enterprises."""

BELOW, ABOVE = DIRECTIONS = ("below", "above")

Facts = Mapping[str, float | bool | None]
"""The facts of one scope, by name: a number, a flag, or ``None`` when unknown."""


# --- Levels ----------------------------------------------------------------------------------


def level_rank(level: str | None) -> int:
    """The severity of a level as a number: red 4, orange 3, yellow 2, blue 1, and ``None`` (green) 0.

    Raises:
        ValueError: when ``level`` is neither ``None`` nor one of ``LEVELS``.
    """
    if level is None:
        return 0
    if level not in LEVELS:
        raise ValueError(f"unknown warning level: {level!r}")
    return len(LEVELS) - LEVELS.index(level)


def level_of_rank(rank: int) -> str | None:
    """The level of a severity (:func:`level_rank`'s inverse): 4 red … 1 blue, 0 ``None`` (green).

    Raises:
        ValueError: for a rank outside 0..4.
    """
    if not 0 <= rank <= len(LEVELS):
        raise ValueError(f"unknown warning rank: {rank!r}")
    return None if rank == 0 else LEVELS[len(LEVELS) - rank]


def worst(levels: Iterable[str | None]) -> str | None:
    """The most severe of the levels; ``None`` (green) for no levels or only ``None``.

    Raises:
        ValueError: when a level is neither ``None`` nor one of ``LEVELS``.
    """
    found: str | None = None
    for level in levels:
        if level_rank(level) > level_rank(found):
            found = level
    return found


# --- Rules -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdRule:
    """One threshold rule, validated on creation.

    Attributes:
        key: Stable identifier of the rule, e.g. ``"new_orders_yoy"``.
        indicator: The name of the fact it reads, e.g. ``"new_orders_yoy"``.
        direction: ``"below"`` (fires when ``value <= threshold``) or ``"above"`` (when ``value >= threshold``).
        thresholds: Level -> threshold, for any non-empty subset of ``LEVELS``, in the indicator's unit; stored
            read-only in ``LEVELS`` order. Monotone: for ``"below"`` red's threshold <= orange's <= yellow's <=
            blue's, for ``"above"`` the reverse.
        scopes: The scope kinds (``SCOPES``) the rule applies to.
        reason: Why these thresholds, in English.
        reason_zh: The same in Chinese.
        requires: Facts that must all be truthy (``True`` or a non-zero number) for the rule to fire.
        base: A fact that must be known and ``>= min_base`` for the rule to be assessed at all (e.g. exports
            last year, USD).
        min_base: The smallest ``base`` assessed; given together with ``base``.

    Raises:
        ValueError: on an empty key, indicator or reason, an unknown direction, level or scope, no thresholds,
            thresholds that are not monotone, or ``base`` without ``min_base`` (or the reverse).
        TypeError: when a threshold or ``min_base`` is not a number.
    """

    key: str
    indicator: str
    direction: str
    thresholds: Mapping[str, float] = field(hash=False)
    scopes: tuple[str, ...]
    reason: str
    reason_zh: str
    requires: tuple[str, ...] = ()
    base: str | None = None
    min_base: float | None = None

    def __post_init__(self) -> None:
        for name in ("key", "indicator", "reason", "reason_zh"):
            if not str(getattr(self, name)).strip():
                raise ValueError(f"rule {self.key!r}: {name} must not be empty")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"rule {self.key!r}: direction must be 'below' or 'above', not {self.direction!r}")
        if not self.thresholds:
            raise ValueError(f"rule {self.key!r}: no thresholds")
        for level in self.thresholds:
            if level not in LEVELS:
                raise ValueError(f"rule {self.key!r}: unknown warning level {level!r}")
        ordered = {level: _number(self.thresholds[level]) for level in LEVELS if level in self.thresholds}
        bounds = list(ordered.values())  # from red to blue
        rising = all(a <= b for a, b in pairwise(bounds))
        falling = all(a >= b for a, b in pairwise(bounds))
        if self.direction == BELOW and not rising:
            raise ValueError(f"rule {self.key!r}: thresholds 'below' must not decrease from red to blue: {ordered}")
        if self.direction == ABOVE and not falling:
            raise ValueError(f"rule {self.key!r}: thresholds 'above' must not increase from red to blue: {ordered}")
        object.__setattr__(self, "thresholds", MappingProxyType(ordered))
        object.__setattr__(self, "scopes", tuple(self.scopes))
        object.__setattr__(self, "requires", tuple(self.requires))
        if not self.scopes:
            raise ValueError(f"rule {self.key!r}: no scopes")
        for scope in self.scopes:
            if scope not in SCOPES:
                raise ValueError(f"rule {self.key!r}: unknown scope {scope!r}")
        if (self.base is None) != (self.min_base is None):
            raise ValueError(f"rule {self.key!r}: base and min_base go together")
        if self.min_base is not None:
            object.__setattr__(self, "min_base", _number(self.min_base))


@dataclass(frozen=True, slots=True)
class Signal:
    """A rule that fired for one scope.

    Attributes:
        scope: The scope kind (``SCOPES``).
        key: The scope's identity within its kind (USCC, market code, town code...).
        rule: The rule's key.
        level: The most severe level crossed (``LEVELS``).
        value: The indicator's value, in its unit.
        threshold: The threshold of that level, which the value crossed.
    """

    scope: str
    key: str
    rule: str
    level: str
    value: float
    threshold: float


def threshold_crossed(rule: ThresholdRule, value: float) -> tuple[str, float] | None:
    """The most severe level whose threshold ``value`` crosses (``<=`` for ``"below"``, ``>=`` for
    ``"above"``), ignoring scopes, requirements and base.

    Returns:
        ``(level, threshold)``; ``None`` when no threshold is crossed.

    Raises:
        TypeError: when ``value`` is not a number (a ``bool`` is not one).
        ValueError: when ``value`` is NaN or infinite.
    """
    number = _number(value)
    for level, threshold in rule.thresholds.items():  # most severe first
        if (number <= threshold) if rule.direction == BELOW else (number >= threshold):
            return level, threshold
    return None


def rule_evaluate(rule: ThresholdRule, facts: Facts, *, scope: str, key: str) -> Signal | None:
    """Evaluate one rule on the facts of one scope.

    Args:
        rule: The rule.
        facts: The scope's facts by name.
        scope: The scope kind (``SCOPES``).
        key: The scope's identity, copied into the signal.

    Returns:
        The signal at the most severe level crossed; ``None`` when the rule does not apply to ``scope``, the
        indicator is missing or ``None``, ``base`` is missing or below ``min_base``, a required fact is missing
        or falsy, or no threshold is crossed.

    Raises:
        ValueError: when ``scope`` is not one of ``SCOPES``, or the indicator or base is NaN or infinite.
        TypeError: when the indicator or base is not a number.
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope: {scope!r}")
    if scope not in rule.scopes:
        return None
    if rule.base is not None and rule.min_base is not None:
        base = facts.get(rule.base)
        if base is None or _number(base) < rule.min_base:
            return None
    if not all(facts.get(name) for name in rule.requires):
        return None
    value = facts.get(rule.indicator)
    if value is None:
        return None
    crossed = threshold_crossed(rule, _number(value))
    if crossed is None:
        return None
    level, threshold = crossed
    return Signal(scope=scope, key=key, rule=rule.key, level=level, value=_number(value), threshold=threshold)


def rules_evaluate(rules: Iterable[ThresholdRule], facts: Facts, *, scope: str, key: str) -> list[Signal]:
    """Evaluate every rule that applies to ``scope`` on the facts of one scope (see :func:`rule_evaluate`).

    Returns:
        The signals, in the order of the rules; ``[]`` when none fires.

    Raises:
        ValueError: when two rules share a key, or as :func:`rule_evaluate`.
    """
    rules = list(rules)
    keys = [rule.key for rule in rules]
    if len(set(keys)) != len(keys):
        raise ValueError(f"rule keys must be unique: {sorted(k for k in set(keys) if keys.count(k) > 1)}")
    signals = (rule_evaluate(rule, facts, scope=scope, key=key) for rule in rules)
    return [signal for signal in signals if signal is not None]


def rules_evaluate_many(
    rules: Iterable[ThresholdRule], facts: Sequence[Facts], *, scope: str, keys: Sequence[str]
) -> list[tuple[int, Signal]]:
    """:func:`rule_evaluate` of every rule on many scopes of one kind (``facts[i]`` is the scope ``keys[i]``'s),
    one rule at a time over all of them: the same signals (a test holds them equal), without a call per scope and
    rule, since a province judges 100,000 enterprises on every rule.

    Returns:
        ``(i, signal)`` for every signal, in the order of ``i`` and then of the rules.

    Raises:
        ValueError: as :func:`rule_evaluate` and :func:`rules_evaluate`.
        TypeError: as :func:`rule_evaluate`.
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope: {scope!r}")
    if len(facts) != len(keys):
        raise ValueError("one key per scope's facts")
    rules = [rule for rule in rules if scope in rule.scopes]
    names = [rule.key for rule in rules]
    if len(set(names)) != len(names):
        raise ValueError(f"rule keys must be unique: {sorted(k for k in set(names) if names.count(k) > 1)}")
    found: list[tuple[int, int, Signal]] = []
    for order, rule in enumerate(rules):
        levels = list(rule.thresholds.items())  # most severe first
        below = rule.direction == BELOW
        gate = rule.base if rule.base is not None and rule.min_base is not None else None
        least = rule.min_base
        requires, indicator = rule.requires, rule.indicator
        for i, item in enumerate(facts):
            value = item.get(indicator)
            if value is None:
                continue
            if gate is not None:
                base = item.get(gate)
                if base is None or _fast_number(base) < least:  # type: ignore[operator]
                    continue
            if requires and not all(item.get(name) for name in requires):
                continue
            number = _fast_number(value)
            for level, threshold in levels:
                if (number <= threshold) if below else (number >= threshold):
                    signal = Signal(
                        scope=scope, key=keys[i], rule=rule.key, level=level, value=number, threshold=threshold
                    )
                    found.append((i, order, signal))
                    break
    found.sort(key=lambda f: (f[0], f[1]))
    return [(i, signal) for i, _order, signal in found]


def _fast_number(value: float | bool | None) -> float:
    """:func:`_number`, answering a finite float at once (``x - x`` is 0 only for a finite ``x``)."""
    if type(value) is float and value - value == 0.0:
        return value
    return _number(value)  # type: ignore[arg-type]


def _number(value: float | bool) -> float:
    # bool is an int to Python, but a flag given where a figure is expected is a caller's mistake.
    if isinstance(value, bool):
        raise TypeError(f"not a number: {value!r}")
    return to_float(value)


# --- Default rules ---------------------------------------------------------------------------

MIN_EXPORTS_FOR_YOY = 500_000.0
"""USD of exports last year below which year-on-year rules are not assessed (about 40,000 USD a month: one
order more or less moves the growth by tens of percent)."""

MIN_ANSWERS_FOR_DI = 5
"""Answers below which a diffusion index is not assessed (one answer moves the index of five by 10 points)."""

DEFAULT_RULES: tuple[ThresholdRule, ...] = (
    ThresholdRule(
        key="new_orders_yoy",
        indicator="new_orders_yoy",
        direction=BELOW,
        thresholds={"red": -0.5, "orange": -0.3, "yellow": -0.2},
        scopes=AGGREGATE_SCOPES,
        base="exports_last_year",
        min_base=MIN_EXPORTS_FOR_YOY,
        reason=(
            "New orders of the month year on year (fraction), for groups of enterprises: a market, a product, an "
            "industry, a town, the jurisdiction. Yellow at -20%: beyond the usual year-on-year swing of a group. "
            "Orange at -30%: in the 2020 shock the groups whose new orders fell 30% or more saw their exports fall "
            "by a third within 2-3 months. Red at -50%: half the usual orders means the order book empties within "
            "a quarter. One month is enough for a group, so a market's collapse is warned in its first month; an "
            "enterprise is judged on three months (the next rule). Not assessed below 500,000 USD of exports a "
            "year."
        ),
        reason_zh=(
            "当月新订单同比（小数），适用于企业群体：市场、商品、行业、镇街、全辖区。黄色 -20%：超出群体同比的正常波动。"
            "橙色 -30%：2020 年冲击中，新订单同比下降 30% 以上的群体，2-3 个月内出口下降三分之一。红色 -50%：新订单腰斩，"
            "在手订单一个季度内将消耗殆尽。群体看单月即可，市场崩塌当月即预警；单个企业看三个月（见下一条规则）。"
            "年出口不足 50 万美元的不评估。"
        ),
    ),
    ThresholdRule(
        key="new_orders_3m_yoy",
        indicator="new_orders_3m_yoy",
        direction=BELOW,
        thresholds={"red": -0.5, "orange": -0.3, "yellow": -0.2},
        scopes=("enterprise",),
        base="exports_last_year",
        min_base=100_000.0,
        reason=(
            "An enterprise's new orders of the month and the two before against the same three months a year "
            "before (fraction). One enterprise's single month swings by ±20% in calm times (an order signed a "
            "week earlier or later); three months together swing by about ±12%, and on the scenario suite the "
            "three-month rule raised about a fifth of the single month's false alarms. Yellow at -20%, orange at -30%: the "
            "enterprises whose quarter fell that far were the ones whose exports fell by a third 2-3 months later. "
            "Red at -50%: half the usual orders, the book empties within a quarter. Judged from 100,000 USD of "
            "exports last year (the single-month rules need 500,000): three months of a small exporter are steady "
            "enough, and on the scenario suite the distressed enterprises it would otherwise miss were all small."
        ),
        reason_zh=(
            "企业当月及前两个月新订单合计与上年同期三个月相比（小数）。单个企业单月平时就有 ±20% 的波动（订单早签或晚签一周），"
            "三个月合计的波动约 ±12%，情景测试中三个月规则的误报约为单月规则的五分之一。黄色 -20%，橙色 -30%：三个月新订单"
            "降到此程度的企业，正是 2-3 个月后出口下降三分之一的企业。红色 -50%：订单减半，在手订单一个季度内耗尽。"
            "上年出口 10 万美元以上即评估（单月规则需 50 万）：小企业三个月合计已足够稳定，情景测试中不如此即会漏报的困境企业均为小企业。"
        ),
    ),
    ThresholdRule(
        key="cancellation_rate",
        indicator="cancellation_rate",
        direction=ABOVE,
        thresholds={"red": 0.3, "orange": 0.2, "yellow": 0.1},
        scopes=SCOPES,
        reason=(
            "Cancelled amount / (previous backlog + new orders) (fraction). In normal months only a few percent of "
            "the orders that could ship are cancelled. Yellow at 10%: several times the usual rate. Orange at 20%: "
            "one order in five is lost, enough to turn a month's margin into a loss. Red at 30%: buyers are "
            "walking away, as in the lockdown months of 2020."
        ),
        reason_zh=(
            "取消金额 /（上期在手订单 + 新订单）（小数）。正常月份被取消的订单只占百分之几。黄色 10%：数倍于正常水平。"
            "橙色 20%：五分之一订单流失，足以使当月由盈转亏。红色 30%：买家大面积撤单，相当于 2020 年封城期间的情形。"
        ),
    ),
    ThresholdRule(
        key="coverage_months",
        indicator="coverage_months",
        direction=BELOW,
        thresholds={"red": 0.5, "orange": 1.0, "yellow": 1.5},
        scopes=SCOPES,
        reason=(
            "Backlog / mean exports of the last 3 months (months). Export manufacturers usually hold 2-3 months "
            "of orders, the lead time from order to shipment. Yellow below 1.5 months: production beyond next "
            "month is not covered. Orange below 1 month: without new orders the lines run out of work next "
            "month. Red below half a month: production stops within weeks."
        ),
        reason_zh=(
            "在手订单 / 近 3 个月平均出口（月）。出口制造企业通常持有 2-3 个月订单，即从接单到出运的周期。黄色低于 1.5 个月："
            "下月以后的生产没有订单支撑。橙色低于 1 个月：若无新订单，下月即面临停工待料。红色低于半个月：数周内停产。"
        ),
    ),
    ThresholdRule(
        key="short_order_share",
        indicator="short_order_share",
        direction=ABOVE,
        thresholds={"yellow": 0.95, "blue": 0.9},
        scopes=("enterprise", "industry", "town", "district"),
        reason=(
            "Backlog due within 3 months / backlog (fraction). When buyers stop committing beyond a quarter, the "
            "book turns into short orders. Small exporters run short books in normal times too: in the demo "
            "district about 60% of enterprises are above 80% in calm months, so 80% would cry wolf. Blue at 90%: "
            "almost no visibility beyond 3 months, watch. Yellow at 95%: the book is nearly all short orders and "
            "the next quarter depends on orders not yet placed. No orange or red: short orders alone do not mean "
            "a fall, only a blind horizon. The due date is reported per enterprise, so the rule applies to "
            "enterprises and their aggregates, not to markets or products."
        ),
        reason_zh=(
            "3 个月内交货的在手订单 / 在手订单（小数）。买家不愿下季度以后的订单时，订单结构趋于短单化。小企业平时订单也偏短："
            "示范区平稳月份约 60% 的企业超过 80%，以 80% 为界会频繁误报。蓝色 90%：3 个月以后几乎没有订单可见度，需关注。"
            "黄色 95%：几乎全是短单，下一季度取决于尚未下达的订单。不设橙色和红色：短单本身不等于下滑，只是前景不明。"
            "交货期按企业填报，故只适用于企业及其汇总，不适用于市场和商品。"
        ),
    ),
    ThresholdRule(
        key="disruption_share",
        indicator="disruption_share",
        direction=ABOVE,
        thresholds={"red": 0.5, "orange": 0.3, "yellow": 0.15},
        scopes=SCOPES,
        reason=(
            "Amount of orders disrupted (delayed, held at port, reduced, cancelled, transferred) / backlog "
            "(fraction). Yellow at 15%: about one dollar in seven of the book is at risk, more than a typical "
            "margin. Orange at 30%: the cash that pays wages and suppliers is in doubt. Red at 50%: half the "
            "book is stuck and the enterprise needs finance or insurance help now."
        ),
        reason_zh=(
            "受阻订单金额（延期、滞港、缩减、取消、转移）/ 在手订单（小数）。黄色 15%：约七分之一订单存在风险，超过一般利润率。"
            "橙色 30%：支付工资和货款的现金流存疑。红色 50%：一半订单受阻，企业急需融资或信保支持。"
        ),
    ),
    ThresholdRule(
        key="exports_yoy",
        indicator="exports_yoy",
        direction=BELOW,
        thresholds={"red": -0.5, "orange": -0.3, "yellow": -0.2},
        scopes=AGGREGATE_SCOPES,
        base="exports_last_year",
        min_base=MIN_EXPORTS_FOR_YOY,
        reason=(
            "Exports year on year (fraction). Exports follow new orders with a lag of 2-3 months, so this rule "
            "confirms the fall rather than foretells it. Yellow at -20%: beyond the usual ±20% noise of a small "
            "exporter. Orange at -30%: the depth of the 2020 falls, about a third. Red at -50%: half the business "
            "is gone. For groups of enterprises only: one enterprise's single month swings too much (on the scenario "
            "suite this rule was behind every false alarm among calm enterprises), its fall shows on its profile, "
            "and the forward-looking rules warn of it before. Not assessed below 500,000 USD of exports a year."
        ),
        reason_zh=(
            "出口同比（小数）。出口滞后新订单 2-3 个月，本规则用于确认下滑而非提前预警。黄色 -20%：超出小型出口企业 ±20% 的"
            "正常波动。橙色 -30%：相当于 2020 年约三分之一的降幅。红色 -50%：业务减半。仅适用于企业群体：单个企业单月波动过大"
            "（情景测试中平稳企业的误报全部来自本规则），其下滑在企业画像中可见，且前瞻性规则会提前预警。年出口不足 50 万美元的"
            "不评估。"
        ),
    ),
    ThresholdRule(
        key="market_concentration",
        indicator="market_hhi",
        direction=ABOVE,
        thresholds={"yellow": 0.5},
        scopes=("enterprise",),
        requires=("main_market_in_warning",),
        reason=(
            "Herfindahl index of the enterprise's markets (0..1) while its main market is in warning. An HHI above "
            "0.5 means more than half of its trade goes to one market (HHI never exceeds the largest share), so "
            "trouble there cannot be made up elsewhere. Yellow, not worse: this is exposure, not yet distress (its "
            "own orders raise orange or red when they fall); it calls for credit insurance and other markets. "
            "Concentration alone is a strategy, not a warning."
        ),
        reason_zh=(
            "企业市场集中度 HHI（0..1），且其主要市场处于预警。HHI 超过 0.5 意味着一半以上贸易集中于单一市场（HHI 不超过"
            "最大份额），该市场出现问题时无法从其他市场弥补。只设黄色：这是风险敞口，尚非困境（订单下滑时由其他规则给出橙色"
            "或红色），应推动信用保险和开拓其他市场。仅集中度高属于经营选择，不预警。"
        ),
    ),
    ThresholdRule(
        key="new_orders_di",
        indicator="new_orders_di",
        direction=BELOW,
        thresholds={"orange": 40.0, "yellow": 45.0, "blue": 50.0},
        scopes=("industry", "town", "district"),
        base="new_orders_answers",
        min_base=MIN_ANSWERS_FOR_DI,
        reason=(
            "Diffusion index of new orders, 100·(P + 0.5·E) (points). 50 separates expansion from contraction: "
            "below it more enterprises report falling orders than rising ones (blue, to watch). Yellow below 45: "
            "a clear contraction. Orange below 40: a broad contraction; readings this low were seen only in deep "
            "shocks such as late 2008 and early 2020. Only for groups of enterprises with at least 5 answers, and "
            "not for a market or a product: the answer is about the enterprise's whole order book, so giving it "
            "to every market it sells to would let one market's trouble colour all the others."
        ),
        reason_zh=(
            "新订单扩散指数 100·(P + 0.5·E)（点）。50 为荣枯线：低于 50 表示报告下降的企业多于报告上升的企业（蓝色，关注）。"
            "黄色低于 45：明显收缩。橙色低于 40：全面收缩，如此低的读数仅见于 2008 年底和 2020 年初等重大冲击。仅适用于至少"
            "5 家企业作答的企业群体；不用于市场和商品：企业回答的是全部订单的走势，计入其销往的每个市场会让一个市场的问题"
            "波及所有市场。"
        ),
    ),
)
"""The default rule set; analysts copy and adjust it. Fact names: ``new_orders_yoy``, ``exports_yoy`` (fractions),
``cancellation_rate``, ``short_order_share``, ``disruption_share`` (fractions), ``coverage_months`` (months),
``market_hhi`` (0..1) with the flag ``main_market_in_warning``, ``new_orders_di`` (points) with its count of
answers ``new_orders_answers``, and ``exports_last_year`` (USD)."""
