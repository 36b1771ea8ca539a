"""Stress tests: shocks by market, market group or HS chapter applied to every enterprise's order book (DESIGN §8).

The book is read column-wise (:class:`Book`: one row per enterprise, arrays of equal length; the latest month's
lines, market × HS, as parallel arrays), so a province of 100,000 enterprises is a handful of numpy operations.

**The projection** (``HORIZON`` = 3 months after the origin month, the visibility of the reported book:
``backlog_due_3m``). For each enterprise, with ``D`` the backlog due within 3 months at the origin, ``N̄`` the mean
new orders of the origin month and the two before, and ``c`` its usual conversion:

* the due backlog ships evenly, ``D/3`` a month;
* it keeps signing new orders at ``N̄`` a month, of which the share ``c`` ships in the month it is signed (short
  orders); ``c`` is what the last twelve months show: ``Σ(exports_m − D_{m−1}/3) / Σ new_orders_m`` over the months
  ``m`` where the month and the one before were reported, held to ``[0, 1]`` (0 without new orders);
* baseline exports of every month ``E = D/3 + c·N̄``; the backlog at the end of month ``k`` is
  ``B_k = max(0, B_{k−1} + N_k − E_k − cancelled_k)``.

**A shock** (:class:`Shock`, e.g. US −30 % for three months) hits the lines of the affected markets or chapters in
the months it lasts (from the first projected month): their new orders fall by the change, and the same share of
their backlog due in those months is cancelled (leaves the book; a rise adds new orders but ships no more backlog
than is due). Shocks on the same line multiply ((1 − 0.3)·(1 − 0.1) for US −30 % and chapter 61 −10 %). An
enterprise's book is split over its lines by the lines' mix at the origin (backlog by the lines' backlog, new
orders by the lines' new orders, each falling back on the other and then on exports when a column is all zero);
the lines describe the mix, the report's totals the amounts. An enterprise without lines is not exposed.

**Thresholds** are the warning rules as given (``core.warning_rules``; the app passes the stored current
versions) evaluated on the projected facts of the last projected month, with and without the shocks. Facts
projected for an enterprise: ``new_orders_3m_yoy`` (the three projected months against the same three a year
before), ``coverage_months`` (the projected backlog over the mean projected exports), ``cancellation_rate`` (the
cancelled amount over the backlog before plus the new orders), with ``exports_last_year`` the registered figure.
For a town, an industry and the district (sums of their enterprises): ``exports_yoy``, ``new_orders_yoy`` (the
last projected month against the same month a year before), ``coverage_months``, with ``exports_last_year`` twelve
times the exports of that month a year before (as the warning facts size an aggregate). Rules on other facts
(disruptions, the diffusion index, concentration, short orders) are not projected: :attr:`StressResult.not_projected`.

All amounts are USD; changes are fractions (−0.3 = −30 %).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from exportwatch.core.periods import period_add
from exportwatch.core.warning_rules import BELOW, ThresholdRule, level_of_rank, level_rank

HORIZON = 3
"""Months projected after the origin month."""

WINDOW = 13
"""Months of history a :class:`Book` holds: the origin month and the twelve before it, oldest first."""

DIMENSIONS = ("market", "market_group", "hs")
"""What a shock can hit: a market (ISO 3166-1 code), a market group (its members), an HS chapter (2 digits)."""

ENTERPRISE_FACTS = ("new_orders_3m_yoy", "coverage_months", "cancellation_rate")
AGGREGATE_FACTS = ("exports_yoy", "new_orders_yoy", "coverage_months")
AGGREGATE_SCOPES = ("town", "industry", "district")


@dataclass(frozen=True, slots=True)
class Shock:
    """A change of the new orders and due backlog of the lines of one market, market group or HS chapter.

    Attributes:
        dimension: ``"market"``, ``"market_group"`` or ``"hs"`` (:data:`DIMENSIONS`).
        key: The market's ISO code, the group's code or the 2-digit chapter.
        change: Fraction, from −1 (everything lost) to +1 (doubled); −0.3 is −30 %.
        months: How many projected months it lasts, from the first (1 to :data:`HORIZON`).

    Raises:
        ValueError: on an unknown dimension, an empty key, a change outside [−1, 1] or months outside
            [1, HORIZON].
    """

    dimension: str
    key: str
    change: float
    months: int = HORIZON

    def __post_init__(self) -> None:
        if self.dimension not in DIMENSIONS:
            raise ValueError(f"unknown shock dimension: {self.dimension!r}")
        if not str(self.key).strip():
            raise ValueError("a shock needs a key")
        if not (-1.0 <= float(self.change) <= 1.0) or np.isnan(float(self.change)):
            raise ValueError(f"a shock's change must lie between -1 and 1, not {self.change!r}")
        if not (1 <= int(self.months) <= HORIZON):
            raise ValueError(f"a shock lasts 1 to {HORIZON} months, not {self.months!r}")


@dataclass(frozen=True, slots=True)
class Book:
    """Every enterprise's order book at the origin month, column-wise (``n`` enterprises, ``m`` lines).

    Attributes:
        origin: The origin month ``YYYY-MM`` (the latest with reports).
        keys: ``(n,)`` the enterprises' identities (credit codes), copied into the results.
        backlog: ``(n,)`` backlog at the end of the origin month.
        due: ``(n,)`` the part of it due within 3 months.
        exports_last_year: ``(n,)`` registered exports last year (the size gate of the year-on-year rules).
        exports: ``(n, WINDOW)`` monthly exports, the origin month last; NaN where not reported.
        new_orders: ``(n, WINDOW)`` monthly new orders, the same months.
        due_history: ``(n, WINDOW)`` monthly backlog due within 3 months, the same months.
        line_enterprise: ``(m,)`` each line's enterprise, an index into the arrays above.
        line_market: ``(m,)`` the line's market code.
        line_hs: ``(m,)`` the line's HS chapter (2 digits).
        line_backlog: ``(m,)`` the line's backlog.
        line_new_orders: ``(m,)`` the line's new orders of the origin month.
        line_exports: ``(m,)`` the line's exports of the origin month.
    """

    origin: str
    keys: np.ndarray
    backlog: np.ndarray
    due: np.ndarray
    exports_last_year: np.ndarray
    exports: np.ndarray
    new_orders: np.ndarray
    due_history: np.ndarray
    line_enterprise: np.ndarray
    line_market: np.ndarray
    line_hs: np.ndarray
    line_backlog: np.ndarray
    line_new_orders: np.ndarray
    line_exports: np.ndarray

    def __post_init__(self) -> None:
        n, m = len(self.keys), len(self.line_enterprise)
        for name in ("backlog", "due", "exports_last_year"):
            if np.shape(getattr(self, name)) != (n,):
                raise ValueError(f"book: {name} must have one value per enterprise")
        for name in ("exports", "new_orders", "due_history"):
            if np.shape(getattr(self, name)) != (n, WINDOW):
                raise ValueError(f"book: {name} must have {WINDOW} months per enterprise")
        for name in ("line_market", "line_hs", "line_backlog", "line_new_orders", "line_exports"):
            if np.shape(getattr(self, name)) != (m,):
                raise ValueError(f"book: {name} must have one value per line")
        if m and (np.min(self.line_enterprise) < 0 or np.max(self.line_enterprise) >= n):
            raise ValueError("book: a line points at no enterprise")

    @property
    def size(self) -> int:
        return len(self.keys)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A sum of enterprises (the district, a town, an industry): projected exports by month, with and without the
    shocks, and the worst warning level of the projected aggregate rules on the last projected month.

    Attributes:
        key: The town's or industry's code; ``""`` for the district.
        enterprises: How many enterprises it sums.
        baseline: Exports of each projected month without the shocks (USD).
        shocked: The same with the shocks.
        year_ago: Exports of the same months a year before (USD); ``None`` where nobody reported.
        level_before: The worst level of the projected rules without the shocks; ``None`` is green.
        level_after: The same with the shocks.
    """

    key: str
    enterprises: int
    baseline: tuple[float, ...]
    shocked: tuple[float, ...]
    year_ago: tuple[float | None, ...]
    level_before: str | None
    level_after: str | None

    @property
    def loss(self) -> float:
        """Exports lost over the projected months (USD; negative for a gain)."""
        return float(sum(self.baseline) - sum(self.shocked))

    @property
    def change(self) -> float | None:
        """The shocked exports of the projected months against the baseline's, a fraction; ``None`` for none."""
        base = sum(self.baseline)
        return None if base == 0 else float(sum(self.shocked) / base - 1)


@dataclass(frozen=True, slots=True)
class Crossing:
    """One enterprise pushed across one rule's threshold by the shocks.

    Attributes:
        enterprise: The enterprise's index in the book.
        rule: The rule's key.
        before: The projected fact without the shocks (its unit); ``None`` when unknown.
        after: The same with the shocks.
        level_before: The rule's level without the shocks; ``None`` is green.
        level_after: Its level with them (more severe than ``level_before``).
        threshold: The threshold of ``level_after``, which ``after`` crossed.
    """

    enterprise: int
    rule: str
    before: float | None
    after: float | None
    level_before: str | None
    level_after: str
    threshold: float


@dataclass(frozen=True, slots=True)
class StressResult:
    """What the shocks do (see the module docstring).

    Attributes:
        periods: The projected months ``YYYY-MM``.
        district: Every enterprise of the book together.
        groups: By dimension given to :func:`stress_run` (``"town"``, ``"industry"``), every group's outcome,
            the largest loss first.
        baseline: ``(n, HORIZON)`` each enterprise's projected exports without the shocks (USD).
        shocked: ``(n, HORIZON)`` the same with them.
        worst_before: ``(n,)`` the rank (``warning_rules.level_rank``) of the worst projected level without shocks.
        worst_after: ``(n,)`` the same with them.
        crossings: Every rule an enterprise was pushed across, the most severe level after first, then the
            largest loss.
        rules: The keys of the rules evaluated on projected facts.
        not_projected: The keys of the enabled rules whose facts are not projected.
    """

    periods: tuple[str, ...]
    district: Outcome
    groups: Mapping[str, tuple[Outcome, ...]]
    baseline: np.ndarray
    shocked: np.ndarray
    worst_before: np.ndarray
    worst_after: np.ndarray
    crossings: tuple[Crossing, ...]
    rules: tuple[str, ...]
    not_projected: tuple[str, ...]

    def pushed_to(self, level: str) -> np.ndarray:
        """Indexes of the enterprises at ``level`` or worse with the shocks but not without them."""
        rank = level_rank(level)
        return np.flatnonzero((self.worst_after >= rank) & (self.worst_before < rank))


# --- The projection ----------------------------------------------------------------------------------


def line_factors(
    book: Book, shocks: Sequence[Shock], *, groups: Mapping[str, Collection[str]] | None = None
) -> np.ndarray:
    """``(m, HORIZON)``: each line's multiplier of each projected month, the product of the shocks that hit it.

    Args:
        book: The book.
        shocks: The shocks.
        groups: Market group code -> its member markets (for ``market_group`` shocks).

    Raises:
        ValueError: for a market group not in ``groups``.
    """
    factors = np.ones((len(book.line_enterprise), HORIZON))
    for shock in shocks:
        if shock.dimension == "market":
            hit = book.line_market == shock.key
        elif shock.dimension == "market_group":
            if groups is None or shock.key not in groups:
                raise ValueError(f"unknown market group: {shock.key!r}")
            # A test on the few distinct markets, spread back over the lines: np.isin on millions of lines is slow.
            markets, where = np.unique(book.line_market, return_inverse=True)
            members = set(groups[shock.key])
            hit = np.array([m in members for m in markets.tolist()], dtype=bool)[where]
        else:
            hit = book.line_hs == shock.key
        factors[hit, : shock.months] *= 1.0 + float(shock.change)
    return factors


def _mix(book: Book, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Each line's share of its enterprise's book by ``first``, falling back on ``second`` and then on exports
    where the enterprise's lines sum to 0; 0 for an enterprise whose lines are all zero."""
    n, who = book.size, book.line_enterprise
    share = np.zeros(len(who))
    left = np.ones(len(who), dtype=bool)
    for column in (first, second, book.line_exports):
        total = np.bincount(who, weights=column, minlength=n)[who]
        use = left & (total > 0)
        share[use] = column[use] / total[use]
        left &= ~use
    return share


def _exposure(book: Book, share: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """``(n, HORIZON)``: the share-weighted cut of each enterprise's lines."""
    out = np.zeros((book.size, HORIZON))
    for k in range(HORIZON):
        out[:, k] = np.bincount(book.line_enterprise, weights=share * cut[:, k], minlength=book.size)
    return out


def conversion(book: Book) -> np.ndarray:
    """``(n,)``: each enterprise's usual conversion ``c`` (see the module docstring)."""
    x, n, d = book.exports[:, 1:], book.new_orders[:, 1:], book.due_history[:, :-1]
    valid = ~(np.isnan(x) | np.isnan(n) | np.isnan(d))
    shipped = np.where(valid, x - d / 3.0, 0.0).sum(axis=1)
    signed = np.where(valid, n, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(signed > 0, shipped / np.where(signed > 0, signed, 1.0), 0.0)
    return np.clip(c, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class _Path:
    exports: np.ndarray  # (n, H)
    new_orders: np.ndarray  # (n, H)
    cancelled: np.ndarray  # (n, H)
    backlog: np.ndarray  # (n, H + 1): at the origin, then at the end of each projected month


def _project(book: Book, rate: np.ndarray, c: np.ndarray, cut_backlog: np.ndarray, cut_new: np.ndarray) -> _Path:
    due_ship = np.nan_to_num(book.due) / 3.0
    new_orders = rate[:, None] * (1.0 - cut_new)
    cancelled = due_ship[:, None] * cut_backlog
    exports = due_ship[:, None] - cancelled + c[:, None] * new_orders
    backlog = np.empty((book.size, HORIZON + 1))
    backlog[:, 0] = np.nan_to_num(book.backlog)
    for k in range(HORIZON):
        backlog[:, k + 1] = np.maximum(0.0, backlog[:, k] + new_orders[:, k] - exports[:, k] - cancelled[:, k])
    return _Path(exports, new_orders, cancelled, backlog)


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, NaN where ``den`` is 0 or unknown."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((den != 0) & ~np.isnan(den), num / np.where(den != 0, den, 1.0), np.nan)


def _enterprise_facts(book: Book, path: _Path) -> dict[str, np.ndarray]:
    year_ago = book.new_orders[:, 1 : 1 + HORIZON]  # the projected months a year before
    known = ~np.isnan(year_ago).any(axis=1)
    now = path.new_orders.sum(axis=1)
    before = np.where(known, np.nan_to_num(year_ago).sum(axis=1), np.nan)
    return {
        "new_orders_3m_yoy": _divide(now - before, before),
        "coverage_months": _divide(path.backlog[:, HORIZON], path.exports.mean(axis=1)),
        "cancellation_rate": _divide(path.cancelled[:, -1], path.backlog[:, HORIZON - 1] + path.new_orders[:, -1]),
        "exports_last_year": np.asarray(book.exports_last_year, dtype=float),
    }


# --- Rules, column-wise ------------------------------------------------------------------------------


def rule_levels(rule: ThresholdRule, values: np.ndarray, base: np.ndarray | None = None) -> np.ndarray:
    """The rank (``level_rank``) of the most severe level of ``rule`` each value crosses, column-wise: the same
    as ``warning_rules.rule_evaluate`` on one scope's facts (NaN is an unknown fact, a base below ``min_base`` or
    unknown is not assessed), without its ``scopes`` and ``requires`` (the caller picks the rules).

    Args:
        rule: The rule.
        values: The rule's indicator, one value per scope.
        base: The rule's ``base`` fact, the same length; required when the rule has one.

    Returns:
        ``int8`` ranks, 0 where nothing is crossed.
    """
    values = np.asarray(values, dtype=float)
    known = ~np.isnan(values)
    if rule.base is not None and rule.min_base is not None:
        if base is None:
            raise ValueError(f"rule {rule.key!r} needs its base fact {rule.base!r}")
        b = np.asarray(base, dtype=float)
        known &= ~np.isnan(b) & (np.nan_to_num(b, nan=-np.inf) >= rule.min_base)
    out = np.zeros(len(values), dtype=np.int8)
    safe = np.nan_to_num(values)
    for level, threshold in rule.thresholds.items():  # the most severe first
        crossed = (safe <= threshold) if rule.direction == BELOW else (safe >= threshold)
        out[known & crossed & (out == 0)] = level_rank(level)
    return out


def _applicable(rules: Sequence[ThresholdRule], scope: str, facts: Collection[str]) -> list[ThresholdRule]:
    return [
        r
        for r in rules
        if scope in r.scopes and r.indicator in facts and not r.requires and (r.base is None or r.base in facts)
    ]


# --- Sums --------------------------------------------------------------------------------------------


def _group_sums(codes: np.ndarray, columns: Mapping[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    keys, index = np.unique(codes.astype(str), return_inverse=True)
    sums: dict[str, np.ndarray] = {}
    for name, column in columns.items():
        if column.ndim == 1:
            sums[name] = np.bincount(index, weights=column, minlength=len(keys))
        else:
            sums[name] = np.stack(
                [np.bincount(index, weights=column[:, k], minlength=len(keys)) for k in range(column.shape[1])],
                axis=1,
            )
    return keys, sums


def _aggregate_levels(
    rules: Sequence[ThresholdRule], scope: str, sums: Mapping[str, np.ndarray], exports_key: str, new_key: str
) -> np.ndarray:
    year_ago_x = np.where(sums["year_ago_known"][:, -1] > 0, sums["year_ago_exports"][:, -1], np.nan)
    year_ago_n = np.where(sums["year_ago_known"][:, -1] > 0, sums["year_ago_new_orders"][:, -1], np.nan)
    x, n = sums[exports_key], sums[new_key]
    facts = {
        "exports_yoy": _divide(x[:, -1] - year_ago_x, year_ago_x),
        "new_orders_yoy": _divide(n[:, -1] - year_ago_n, year_ago_n),
        "coverage_months": _divide(sums[exports_key.replace("exports", "backlog")], x.mean(axis=1)),
        "exports_last_year": year_ago_x * 12,
    }
    worst = np.zeros(len(x), dtype=np.int8)
    for rule in _applicable(rules, scope, facts):
        base = facts[rule.base] if rule.base else None
        worst = np.maximum(worst, rule_levels(rule, facts[rule.indicator], base))
    return worst


def _outcomes(
    scope: str, codes: np.ndarray, book: Book, before: _Path, after: _Path, rules: Sequence[ThresholdRule]
) -> list[Outcome]:
    year_ago_x = book.exports[:, 1 : 1 + HORIZON]
    year_ago_n = book.new_orders[:, 1 : 1 + HORIZON]
    keys, sums = _group_sums(
        codes,
        {
            "exports_before": before.exports,
            "exports_after": after.exports,
            "new_before": before.new_orders,
            "new_after": after.new_orders,
            "backlog_before": before.backlog[:, -1],
            "backlog_after": after.backlog[:, -1],
            "year_ago_exports": np.nan_to_num(year_ago_x),
            "year_ago_new_orders": np.nan_to_num(year_ago_n),
            "year_ago_known": (~np.isnan(year_ago_x)).astype(float),
            "count": np.ones(book.size),
        },
    )
    ranks_before = _aggregate_levels(rules, scope, sums, "exports_before", "new_before")
    ranks_after = _aggregate_levels(rules, scope, sums, "exports_after", "new_after")
    out = []
    for i, key in enumerate(keys):
        known = sums["year_ago_known"][i]
        out.append(
            Outcome(
                key="" if scope == "district" else str(key),
                enterprises=int(sums["count"][i]),
                baseline=tuple(float(v) for v in sums["exports_before"][i]),
                shocked=tuple(float(v) for v in sums["exports_after"][i]),
                year_ago=tuple(
                    float(v) if k > 0 else None for v, k in zip(sums["year_ago_exports"][i], known, strict=True)
                ),
                level_before=level_of_rank(int(ranks_before[i])),
                level_after=level_of_rank(int(ranks_after[i])),
            )
        )
    return out


# --- The entry point ---------------------------------------------------------------------------------


def stress_run(
    book: Book,
    shocks: Sequence[Shock],
    *,
    rules: Sequence[ThresholdRule],
    by: Mapping[str, np.ndarray] | None = None,
    groups: Mapping[str, Collection[str]] | None = None,
) -> StressResult:
    """Project every enterprise's exports for the :data:`HORIZON` months after ``book.origin`` without and with
    ``shocks``, sum them for the district and for each group of ``by``, and find who crosses which threshold.

    Args:
        book: Every enterprise's order book at the origin month.
        shocks: The shocks; none gives the baseline twice.
        rules: The warning rules to judge by (the enabled current versions); those whose facts are not projected
            are listed in ``not_projected``.
        by: Dimension (``"town"``, ``"industry"``) -> ``(n,)`` each enterprise's code in it.
        groups: Market group code -> member markets, for ``market_group`` shocks.

    Returns:
        The :class:`StressResult`.

    Raises:
        ValueError: for a market group not in ``groups``, or a ``by`` column of the wrong length.
    """
    factors = line_factors(book, shocks, groups=groups)
    share_backlog = _mix(book, book.line_backlog, book.line_new_orders)
    share_new = _mix(book, book.line_new_orders, book.line_backlog)
    cut_backlog = _exposure(book, share_backlog, 1.0 - np.minimum(factors, 1.0))
    cut_new = _exposure(book, share_new, 1.0 - factors)
    recent = book.new_orders[:, -3:]
    reported = (~np.isnan(recent)).sum(axis=1)
    rate = np.where(reported > 0, np.nan_to_num(recent).sum(axis=1) / np.maximum(reported, 1), 0.0)
    c = conversion(book)
    none = np.zeros((book.size, HORIZON))
    before = _project(book, rate, c, none, none)
    after = _project(book, rate, c, cut_backlog, cut_new)

    facts_before, facts_after = _enterprise_facts(book, before), _enterprise_facts(book, after)
    applied = _applicable(rules, "enterprise", facts_before)
    worst_before = np.zeros(book.size, dtype=np.int8)
    worst_after = np.zeros(book.size, dtype=np.int8)
    crossings: list[Crossing] = []
    loss = before.exports.sum(axis=1) - after.exports.sum(axis=1)
    for rule in applied:
        base_b = facts_before[rule.base] if rule.base else None
        rb = rule_levels(rule, facts_before[rule.indicator], base_b)
        ra = rule_levels(rule, facts_after[rule.indicator], facts_after[rule.base] if rule.base else None)
        worst_before, worst_after = np.maximum(worst_before, rb), np.maximum(worst_after, ra)
        vb, va = facts_before[rule.indicator], facts_after[rule.indicator]
        for i in np.flatnonzero(ra > rb):
            level_after = level_of_rank(int(ra[i]))
            assert level_after is not None
            crossings.append(
                Crossing(
                    enterprise=int(i),
                    rule=rule.key,
                    before=None if np.isnan(vb[i]) else float(vb[i]),
                    after=None if np.isnan(va[i]) else float(va[i]),
                    level_before=level_of_rank(int(rb[i])),
                    level_after=level_after,
                    threshold=float(rule.thresholds[level_after]),
                )
            )
    crossings.sort(key=lambda x: (-level_rank(x.level_after), -float(loss[x.enterprise]), x.enterprise, x.rule))

    aggregate_rules = [
        r for s in AGGREGATE_SCOPES for r in _applicable(rules, s, (*AGGREGATE_FACTS, "exports_last_year"))
    ]
    projected = {r.key for r in applied} | {r.key for r in aggregate_rules}
    district = _outcomes("district", np.zeros(book.size, dtype=int), book, before, after, rules)
    grouped: dict[str, tuple[Outcome, ...]] = {}
    for dimension, codes in (by or {}).items():
        if len(codes) != book.size:
            raise ValueError(f"by[{dimension!r}] must have one code per enterprise")
        found = _outcomes(dimension, np.asarray(codes), book, before, after, rules)
        grouped[dimension] = tuple(sorted(found, key=lambda o: (-o.loss, o.key)))
    empty = Outcome("", 0, (0.0,) * HORIZON, (0.0,) * HORIZON, (None,) * HORIZON, None, None)
    return StressResult(
        periods=tuple(period_add(book.origin, k + 1) for k in range(HORIZON)),
        district=district[0] if district else empty,
        groups=grouped,
        baseline=before.exports,
        shocked=after.exports,
        worst_before=worst_before,
        worst_after=worst_after,
        crossings=tuple(crossings),
        rules=tuple(sorted(projected)),
        not_projected=tuple(sorted({r.key for r in rules} - projected)),
    )
