"""Sentiment indices over ``up``/``same``/``down`` answers, as PMI and business-tendency surveys compute them.

With ``P``, ``E`` and ``N`` the shares (fractions) of answers ``up``, ``same`` and ``down``:

* diffusion index ``DI = 100·(P + 0.5·E)``, 0..100, 50 meaning as many ups as downs (the PMI convention);
* balance ``B = 100·(P − N)``, −100..100, 0 meaning as many ups as downs (the EU business-survey convention).

Since ``P + E + N = 1``, ``DI = 50 + B/2``. Shares are of the number of answers, or of the total weight when
each answer carries a weight (e.g. the enterprise's exports last year). The same indices can be derived from
quantitative changes (new orders this period against the last), a change within a small band counting as
``same`` (:func:`classify_change`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from exportwatch.core.indicators import Number, growth, to_float
from exportwatch.core.records import TRENDS

UP, SAME, DOWN = TRENDS
SAME_BAND = 0.02  # a change within ±2 % counts as "same"


@dataclass(frozen=True, slots=True)
class Sentiment:
    """The shares of ``up``, ``same`` and ``down`` (fractions summing to 1) and what they were computed over.

    Attributes:
        up: ``P``.
        same: ``E``.
        down: ``N``.
        answers: How many answers were counted.
        weight: Their total weight (equal to ``answers`` when unweighted).
    """

    up: float
    same: float
    down: float
    answers: int
    weight: float

    @property
    def diffusion_index(self) -> float:
        """``DI = 100·(P + 0.5·E)``, in points 0..100."""
        # Clamped: the float shares of a weighted sum may overshoot the bounds by one rounding step.
        return min(max(100 * (self.up + 0.5 * self.same), 0.0), 100.0)

    @property
    def balance(self) -> float:
        """``B = 100·(P − N)``, in points −100..100."""
        return min(max(100 * (self.up - self.down), -100.0), 100.0)


def sentiment(answers: Iterable[str | None]) -> Sentiment | None:
    """Unweighted shares of ``up``/``same``/``down``: ``P = #up / #answers`` and so on.

    Args:
        answers: ``'up'``, ``'same'`` or ``'down'``; ``None`` (no answer) is left out.

    Returns:
        The sentiment; ``None`` when there is no answer.

    Raises:
        ValueError: when an answer is not one of ``TRENDS``.
    """
    return weighted_sentiment((answer, 1) for answer in answers)


def weighted_sentiment(answers: Iterable[tuple[str | None, Number]]) -> Sentiment | None:
    """Weighted shares: ``P = Σ weight of 'up' answers / Σ weight of all answers``, and so on.

    Args:
        answers: ``(answer, weight)`` pairs; a ``None`` answer is left out, weight and all.

    Returns:
        The sentiment; ``None`` when there is no answer or the answers weigh 0 in total.

    Raises:
        ValueError: when an answer is not one of ``TRENDS`` or a weight is negative.
    """
    weights: dict[str, list[float]] = {UP: [], SAME: [], DOWN: []}
    count = 0
    for answer, weight in answers:
        if answer is None:
            continue
        if answer not in weights:
            raise ValueError(f"not an up/same/down answer: {answer!r}")
        w = to_float(weight)
        if w < 0:
            raise ValueError(f"negative weight: {weight!r}")
        weights[answer].append(w)
        count += 1
    up, same, down = (math.fsum(weights[t]) for t in TRENDS)
    whole = math.fsum([up, same, down])
    if whole == 0:
        return None
    return Sentiment(up=up / whole, same=same / whole, down=down / whole, answers=count, weight=whole)


def diffusion_index(answers: Iterable[str | None]) -> float | None:
    """Unweighted ``DI = 100·(P + 0.5·E)`` in points 0..100 (see :func:`sentiment`); ``None`` without answers."""
    result = sentiment(answers)
    return None if result is None else result.diffusion_index


def balance(answers: Iterable[str | None]) -> float | None:
    """Unweighted ``B = 100·(P − N)`` in points −100..100 (see :func:`sentiment`); ``None`` without answers."""
    result = sentiment(answers)
    return None if result is None else result.balance


def weighted_diffusion_index(answers: Iterable[tuple[str | None, Number]]) -> float | None:
    """Weighted ``DI`` in points 0..100 (see :func:`weighted_sentiment`); ``None`` when the total weight is 0."""
    result = weighted_sentiment(answers)
    return None if result is None else result.diffusion_index


def weighted_balance(answers: Iterable[tuple[str | None, Number]]) -> float | None:
    """Weighted ``B`` in points −100..100 (see :func:`weighted_sentiment`); ``None`` when the total weight is 0."""
    result = weighted_sentiment(answers)
    return None if result is None else result.balance


def classify_change(current: Number | None, previous: Number | None, *, band: float = SAME_BAND) -> str | None:
    """Turn a quantitative change into an answer: with ``g = (current − previous) / previous``,
    ``'up'`` when ``g > band``, ``'down'`` when ``g < −band``, ``'same'`` when ``|g| <= band``.

    From a ``previous`` of 0, any positive ``current`` is ``'up'`` and 0 is ``'same'``.

    Args:
        current: This period's figure (e.g. new orders, USD).
        previous: The figure it is compared with (last period or a year earlier).
        band: Half-width of the ``same`` band, a fraction (0.02 = ±2 %).

    Returns:
        ``'up'``, ``'same'`` or ``'down'``; ``None`` when either figure is ``None``.

    Raises:
        ValueError: when ``band`` is negative.
    """
    if band < 0:
        raise ValueError(f"band must not be negative: {band}")
    if current is None or previous is None:
        return None
    change = growth(current, previous)
    if change is None:  # previous == 0
        cur = to_float(current)
        return UP if cur > 0 else DOWN if cur < 0 else SAME
    if change > band:
        return UP
    if change < -band:
        return DOWN
    return SAME


def sentiment_of_changes(
    changes: Iterable[tuple[Number | None, Number | None]], *, band: float = SAME_BAND
) -> Sentiment | None:
    """:func:`sentiment` of ``(current, previous)`` pairs classified by :func:`classify_change`.

    Returns:
        The sentiment; ``None`` when no pair can be classified.
    """
    return sentiment(classify_change(current, previous, band=band) for current, previous in changes)


def weighted_sentiment_of_changes(
    changes: Iterable[tuple[Number | None, Number | None, Number]], *, band: float = SAME_BAND
) -> Sentiment | None:
    """:func:`weighted_sentiment` of ``(current, previous, weight)`` triples classified by
    :func:`classify_change`.

    Returns:
        The sentiment; ``None`` when no triple can be classified or their weights sum to 0.
    """
    return weighted_sentiment(
        (classify_change(current, previous, band=band), weight) for current, previous, weight in changes
    )
