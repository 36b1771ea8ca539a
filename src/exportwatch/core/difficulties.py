"""The four difficulties enterprises reported in 2020 (DESIGN §1), as amounts and counts of enterprises.

1. in-hand orders blocked: :func:`blocked_orders` over disruption events, per kind;
2. new orders falling sharply: :func:`falling_new_orders` over each enterprise's new orders and a year earlier;
3. external risk: :func:`external_risk`, the amount in markets flagged as "in warning";
4. financial risk: :func:`financial_risk` over open needs in financing-related categories.

The inputs are small frozen records that an adapter fills from the database; amounts are USD (see
``exportwatch.core.indicators`` for the number conventions). An enterprise is counted once however many of its
rows match.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from exportwatch.core.indicators import Number, growth, ratio, to_float
from exportwatch.core.records import DISRUPTION_KINDS, NEED_CATEGORIES

FALLING_THRESHOLD = -0.2  # new orders down by 20 % or more year on year
FINANCIAL_NEED_CATEGORIES = ("financing", "credit_insurance", "payment_collection", "exchange_rate")


# --- Inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DisruptionFact:
    """One disruption event: ``kind`` is one of ``DISRUPTION_KINDS``; ``amount`` (USD) is optional."""

    uscc: str
    kind: str
    amount: Number | None = None


@dataclass(frozen=True, slots=True)
class NewOrdersFact:
    """One enterprise's new orders in a period and in the same period a year earlier (USD).

    ``weight`` is what the enterprise counts for in the weighted share, e.g. its exports last year (USD).
    """

    uscc: str
    current: Number | None
    year_ago: Number | None
    weight: Number


@dataclass(frozen=True, slots=True)
class MarketFact:
    """An amount of one enterprise in one market (ISO 3166-1 alpha-2), e.g. its backlog there (USD)."""

    uscc: str
    market: str
    amount: Number | None


@dataclass(frozen=True, slots=True)
class NeedFact:
    """One open need (清单 item): ``category`` is one of ``NEED_CATEGORIES``; ``amount`` (USD) is optional."""

    uscc: str
    category: str
    amount: Number | None = None


# --- Outputs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    """Rows of one kind: their amount (USD; rows without an amount add 0), distinct enterprises, and rows."""

    amount: float
    enterprises: int
    rows: int


@dataclass(frozen=True, slots=True)
class BlockedOrders:
    """Difficulty 1. ``by_kind`` has every disruption kind, in ``DISRUPTION_KINDS`` order (zeros included);
    ``amount``, ``enterprises`` and ``rows`` are over all kinds (an enterprise with two kinds counts once)."""

    by_kind: Mapping[str, Tally]
    amount: float
    enterprises: int
    rows: int


@dataclass(frozen=True, slots=True)
class FallingOrders:
    """Difficulty 2.

    Attributes:
        enterprises: Enterprises whose new orders fell by the threshold or more year on year.
        assessed: Enterprises with a year-on-year change (last year's new orders known and not 0).
        share: ``enterprises / assessed``, a fraction; ``None`` when none was assessed.
        weighted_share: ``Σ weight of the falling / Σ weight of the assessed``, a fraction; ``None`` when the
            assessed weigh 0.
        shortfall: ``Σ (year_ago − current)`` over the falling enterprises (USD; ≥ 0 when the threshold is).
        usccs: The falling enterprises, in input order.
    """

    enterprises: int
    assessed: int
    share: float | None
    weighted_share: float | None
    shortfall: float
    usccs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExternalRisk:
    """Difficulty 3.

    Attributes:
        amount: Σ amount in the markets in warning (USD).
        total: Σ amount in all markets (USD).
        share: ``amount / total``, a fraction; ``None`` when the total is 0.
        enterprises: Enterprises with a positive amount in a market in warning.
        by_market: Amount per market in warning that appears in the rows (USD), sorted by market code.
    """

    amount: float
    total: float
    share: float | None
    enterprises: int
    by_market: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class FinancialRisk:
    """Difficulty 4. ``by_category`` has every category asked for, in the order given (zeros included);
    ``amount``, ``enterprises`` and ``rows`` are over them all (an enterprise counts once)."""

    by_category: Mapping[str, Tally]
    amount: float
    enterprises: int
    rows: int


# --- Indicators ------------------------------------------------------------------------------


def blocked_orders(facts: Iterable[DisruptionFact]) -> BlockedOrders:
    """Difficulty 1, in-hand orders blocked: per disruption kind, ``Σ amount`` (USD), the number of distinct
    enterprises and of events; and the same over all kinds.

    Returns:
        The summary; all zeros for no events.

    Raises:
        ValueError: when a fact's kind is not one of ``DISRUPTION_KINDS``.
    """
    facts = list(facts)
    for fact in facts:
        if fact.kind not in DISRUPTION_KINDS:
            raise ValueError(f"unknown disruption kind: {fact.kind!r}")
    by_kind = {kind: _tally([(f.uscc, f.amount) for f in facts if f.kind == kind]) for kind in DISRUPTION_KINDS}
    overall = _tally([(f.uscc, f.amount) for f in facts])
    return BlockedOrders(by_kind=by_kind, amount=overall.amount, enterprises=overall.enterprises, rows=overall.rows)


def falling_new_orders(facts: Iterable[NewOrdersFact], *, threshold: float = FALLING_THRESHOLD) -> FallingOrders:
    """Difficulty 2, new orders falling sharply: enterprises whose year-on-year growth of new orders
    ``(current − year_ago) / year_ago`` is ``<= threshold`` (a fraction; the default −0.2 means down 20 % or
    more), counted, as a share of the enterprises assessed, and weighted.

    An enterprise without a year-on-year change (either figure missing, or nothing a year earlier) is not
    assessed: it is neither falling nor in the denominators.

    Args:
        facts: One fact per enterprise.
        threshold: The growth (fraction) at or below which new orders count as falling sharply.

    Returns:
        The summary; counts 0 and shares ``None`` for no facts.

    Raises:
        ValueError: when an enterprise appears twice or a weight is negative.
    """
    seen: set[str] = set()
    falling: list[str] = []
    assessed = 0
    weights_assessed: list[float] = []
    weights_falling: list[float] = []
    shortfalls: list[float] = []
    for fact in facts:
        if fact.uscc in seen:
            raise ValueError(f"enterprise given twice: {fact.uscc}")
        seen.add(fact.uscc)
        weight = to_float(fact.weight)
        if weight < 0:
            raise ValueError(f"negative weight for {fact.uscc}: {fact.weight}")
        change = growth(fact.current, fact.year_ago)
        if change is None or fact.current is None or fact.year_ago is None:
            continue
        assessed += 1
        weights_assessed.append(weight)
        if change <= threshold:
            falling.append(fact.uscc)
            weights_falling.append(weight)
            shortfalls.append(to_float(fact.year_ago) - to_float(fact.current))
    return FallingOrders(
        enterprises=len(falling),
        assessed=assessed,
        share=ratio(len(falling), assessed),
        weighted_share=ratio(math.fsum(weights_falling), math.fsum(weights_assessed)),
        shortfall=math.fsum(shortfalls),
        usccs=tuple(falling),
    )


def external_risk(facts: Iterable[MarketFact], *, warning_markets: Collection[str]) -> ExternalRisk:
    """Difficulty 3, external risk: the exposure to markets in warning (lockdown, trade friction...).

    ``amount = Σ amount in warning markets``, ``share = amount / Σ amount in all markets`` (a fraction). Which
    amount (backlog, new orders, exports by market) is the caller's choice.

    Args:
        facts: Amounts by enterprise and market; a ``None`` amount adds nothing.
        warning_markets: Market codes currently in warning.

    Returns:
        The summary; zeros and ``share=None`` for no facts.
    """
    exposed: dict[str, list[float]] = {}
    everything: list[float] = []
    enterprises: set[str] = set()
    for fact in facts:
        if fact.amount is None:
            continue
        amount = to_float(fact.amount)
        everything.append(amount)
        if fact.market in warning_markets:
            exposed.setdefault(fact.market, []).append(amount)
            if amount > 0:
                enterprises.add(fact.uscc)
    by_market = {market: math.fsum(amounts) for market, amounts in sorted(exposed.items())}
    amount = math.fsum(a for amounts in exposed.values() for a in amounts)
    grand_total = math.fsum(everything)
    return ExternalRisk(
        amount=amount,
        total=grand_total,
        share=ratio(amount, grand_total),
        enterprises=len(enterprises),
        by_market=by_market,
    )


def financial_risk(
    needs: Iterable[NeedFact], *, categories: Collection[str] = FINANCIAL_NEED_CATEGORIES
) -> FinancialRisk:
    """Difficulty 4, financial risk: open needs in financing-related categories, per category and overall, as
    ``Σ amount`` (USD), distinct enterprises and number of needs. Needs in other categories are left out.

    Args:
        needs: The open needs (the caller leaves out the closed ones).
        categories: The category codes that count as financial (default ``FINANCIAL_NEED_CATEGORIES``).

    Returns:
        The summary; zeros for no matching needs.

    Raises:
        ValueError: when a category asked for or of a need is not one of ``NEED_CATEGORIES``.
    """
    for category in categories:
        if category not in NEED_CATEGORIES:
            raise ValueError(f"unknown need category: {category!r}")
    wanted = list(dict.fromkeys(categories))
    matching: list[NeedFact] = []
    for need in needs:
        if need.category not in NEED_CATEGORIES:
            raise ValueError(f"unknown need category: {need.category!r}")
        if need.category in wanted:
            matching.append(need)
    by_category = {c: _tally([(n.uscc, n.amount) for n in matching if n.category == c]) for c in wanted}
    overall = _tally([(n.uscc, n.amount) for n in matching])
    return FinancialRisk(
        by_category=by_category, amount=overall.amount, enterprises=overall.enterprises, rows=overall.rows
    )


def _tally(rows: list[tuple[str, Number | None]]) -> Tally:
    return Tally(
        amount=math.fsum(to_float(a) for _, a in rows if a is not None),
        enterprises=len({uscc for uscc, _ in rows}),
        rows=len(rows),
    )
