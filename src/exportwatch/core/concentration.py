"""Concentration of an enterprise's or the district's trade by market or product (DESIGN §6).

The Herfindahl–Hirschman index of shares ``s_i`` (fractions summing to 1) is ``HHI = Σ s_i²``: 1 when
everything goes to one market, ``1/n`` when it is spread evenly over ``n``. Competition authorities write it
in points, with shares in percent: ``Σ (100·s_i)² = 10,000·HHI``, 0..10,000 (the US merger guidelines call a
market above 1,800 highly concentrated); pass ``points=True`` for that scale.

The normalised index ``HHI* = (HHI − 1/n) / (1 − 1/n)`` rescales ``[1/n, 1]`` to ``[0, 1]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar, overload

from exportwatch.core.indicators import Number, getter, to_float

HHI_POINTS = 10_000  # HHI on the 0..10,000 scale = HHI on the 0..1 scale × HHI_POINTS

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")

# Shares computed as amount / total may add up to 1 plus a rounding step or two.
_SHARE_TOLERANCE = 1e-9


def exposure(amounts: Mapping[K, Number | None]) -> dict[K, float] | None:
    """Each key's share of the total: ``share_k = amount_k / Σ amounts``, a fraction 0..1 (e.g. the district's
    exposure to each market, given its exports or backlog by market).

    Args:
        amounts: Non-negative amounts by key (USD); a ``None`` amount is left out.

    Returns:
        The shares, in the input's order, summing to 1; ``None`` when the total is 0 or there are no amounts.

    Raises:
        ValueError: when an amount is negative.
    """
    known = {k: to_float(a) for k, a in amounts.items() if a is not None}
    if any(a < 0 for a in known.values()):
        raise ValueError("amounts must not be negative")
    whole = math.fsum(known.values())
    if whole == 0:
        return None
    return {k: a / whole for k, a in known.items()}


def hhi(shares: Iterable[Number], *, points: bool = False) -> float | None:
    """Herfindahl–Hirschman index ``Σ s_i²`` of shares given as fractions.

    The shares are not rescaled: a partial list (say the top five markets) gives their contribution only.

    Args:
        shares: Fractions 0..1, normally summing to 1.
        points: ``True`` for the 0..10,000 scale (``× HHI_POINTS``), ``False`` for 0..1.

    Returns:
        The index; ``None`` for no shares.

    Raises:
        ValueError: when a share is outside 0..1 (shares in percent must be divided by 100 first).
    """
    values = [to_float(s) for s in shares]
    if not values:
        return None
    if any(not 0 <= s <= 1 + _SHARE_TOLERANCE for s in values):
        raise ValueError("shares must be fractions between 0 and 1")
    index = math.fsum(s * s for s in values)
    return index * HHI_POINTS if points else index


def hhi_of_amounts(amounts: Iterable[Number | None], *, points: bool = False) -> float | None:
    """Herfindahl–Hirschman index of amounts: ``Σ (a_i / Σ a)²`` (0..1, or 0..10,000 with ``points``).

    Args:
        amounts: Non-negative amounts (USD) by market or product; a ``None`` amount is left out.
        points: As for :func:`hhi`.

    Returns:
        The index; ``None`` when the total is 0 or there are no amounts.

    Raises:
        ValueError: when an amount is negative.
    """
    shares = exposure(dict(enumerate(amounts)))
    return None if shares is None else hhi(shares.values(), points=points)


def normalized_hhi(shares: Iterable[Number]) -> float | None:
    """Normalised index ``(HHI − 1/n) / (1 − 1/n)``, 0..1: 0 for an even spread, 1 for a single market.

    ``n`` is the number of shares given, zeros included, so pass every market considered.

    Returns:
        The index; ``None`` for fewer than two shares (``1 − 1/n`` is 0).

    Raises:
        ValueError: when a share is outside 0..1.
    """
    values = list(shares)
    n = len(values)
    index = hhi(values)
    if index is None or n < 2:
        return None
    return min(max((index - 1 / n) / (1 - 1 / n), 0.0), 1.0)


@overload
def hhi_by(
    rows: Iterable[R],
    *,
    group: Callable[[R], K],
    item: str | Callable[[R], Any],
    value: str | Callable[[R], Any],
    points: bool = False,
) -> dict[K, float | None]: ...


@overload
def hhi_by(
    rows: Iterable[Any],
    *,
    group: str,
    item: str | Callable[[Any], Any],
    value: str | Callable[[Any], Any],
    points: bool = False,
) -> dict[Any, float | None]: ...


def hhi_by(
    rows: Iterable[Any],
    *,
    group: str | Callable[[Any], Any],
    item: str | Callable[[Any], Any],
    value: str | Callable[[Any], Any],
    points: bool = False,
) -> dict[Any, float | None]:
    """Herfindahl–Hirschman index per group, e.g. per enterprise of its amounts by market or by HS chapter.

    For each group, the amounts of its rows are summed by item, then :func:`hhi_of_amounts` is taken. For
    example ``hhi_by(lines, group="uscc", item="market", value="exports_usd")`` on report lines. For the whole
    district, take ``hhi_of_amounts(sum_by(lines, key="market", value="exports_usd").values())``.

    Args:
        rows: Any rows (dataclasses, mappings, ORM rows).
        group: Who the index is of, as a field name or a callable.
        item: What the amounts are spread over (market, product), as a field name or a callable.
        value: The amount (non-negative ``Number`` or ``None``), as a field name or a callable.
        points: As for :func:`hhi`.

    Returns:
        The index per group, in order of first appearance; ``None`` for a group whose amounts total 0.

    Raises:
        ValueError: when an amount is negative.
    """
    group_of, item_of, value_of = getter(group), getter(item), getter(value)
    amounts: dict[Any, dict[Any, list[float]]] = {}
    for row in rows:
        by_item = amounts.setdefault(group_of(row), {})
        amount = value_of(row)
        if amount is not None:
            number = to_float(amount)
            if number < 0:
                raise ValueError(f"amounts must not be negative: {amount!r}")
            by_item.setdefault(item_of(row), []).append(number)
    return {
        g: hhi_of_amounts([math.fsum(parts) for parts in by_item.values()], points=points)
        for g, by_item in amounts.items()
    }


def market_mix(amounts: Iterable[tuple[str, Number | None]]) -> tuple[float | None, str | None]:
    """An order book's spread over markets: its Herfindahl index and its main market.

    Amounts are summed per market first (a report has one line per market and HS code). The index is
    ``Σ a_i² / (Σ a)²`` (0..1, as :func:`hhi_of_amounts`); the main market is the one with the largest sum, a tie
    going to the higher code, so the answer never depends on the order of the lines.

    Args:
        amounts: ``(market, amount)`` pairs; a ``None`` amount counts as 0.

    Returns:
        ``(index, main market)``; ``(None, None)`` when the amounts total 0 (nothing itemised).

    Raises:
        ValueError: when an amount is negative.
    """
    sums: dict[str, float] = {}
    for market, amount in amounts:
        number = 0.0 if amount is None else to_float(amount)
        if number < 0:
            raise ValueError(f"amounts must not be negative: {amount!r}")
        sums[market] = sums.get(market, 0.0) + number
    total = math.fsum(sums.values())
    if total <= 0:
        return None, None
    main = max(sums, key=lambda m: (sums[m], m))
    return math.fsum(a * a for a in sums.values()) / (total * total), main
