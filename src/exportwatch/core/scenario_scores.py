"""Scoring helpers of the early-warning scenarios (the evaluation harness): what :mod:`warning_record` counts, taken
apart so that each false alarm and each miss can be traced to the rule, month or size behind it, and the targets
the scores are held to.

Indices are periods counted from the first period of a series (0, 1, ...), as in :mod:`warning_record`; the
definitions are its own:

* a **false alarm** starts at a signal ``i`` whose period before has no signal and which has no drop onset in
  ``[i, i + window]`` (:func:`false_alarm_starts`; their count is ``rule_record(...).false_alarms``);
* an onset ``o`` is **missed** when no signal lies in ``[o − window, o]`` (:func:`missed_onsets`; their count is
  ``rule_record(...).missed``).

A miss has a cause (:func:`miss_cause`): the signal came, but earlier than the horizon (``early``); only a warning
below the level scored was on (``below_level``); or nothing at all was raised (``silent``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from exportwatch.core.warning_record import LEAD_WINDOW

EARLY, BELOW_LEVEL, SILENT = MISS_CAUSES = ("early", "below_level", "silent")
AT_LEAST, AT_MOST = "at_least", "at_most"


def false_alarm_starts(fired: Iterable[int], onsets: Iterable[int], *, window: int = LEAD_WINDOW) -> list[int]:
    """The signals that start a false alarm: no signal the period before, no onset in ``[i, i + window]``.

    Args:
        fired: Indices where the rule (or any rule) signalled; repeats count once.
        onsets: Indices where real drops begin (``warning_record.drop_onsets``).
        window: The horizon in periods.

    Returns:
        The starts, ascending; as many as ``warning_record.rule_record(fired, onsets).false_alarms``.

    Raises:
        ValueError: when ``window`` is negative.
    """
    if window < 0:
        raise ValueError(f"window must not be negative: {window}")
    raised = set(fired)
    starts = sorted(set(onsets))
    return [i for i in sorted(raised) if i - 1 not in raised and not any(i <= o <= i + window for o in starts)]


def missed_onsets(fired: Iterable[int], onsets: Iterable[int], *, window: int = LEAD_WINDOW) -> list[int]:
    """The onsets with no signal in ``[o − window, o]``.

    Returns:
        The missed onsets, ascending; as many as ``warning_record.rule_record(fired, onsets).missed``.

    Raises:
        ValueError: when ``window`` is negative.
    """
    if window < 0:
        raise ValueError(f"window must not be negative: {window}")
    raised = set(fired)
    return [o for o in sorted(set(onsets)) if not any(o - window <= i <= o for i in raised)]


def miss_cause(onset: int, *, fired: Iterable[int], lower: Iterable[int], window: int = LEAD_WINDOW) -> str:
    """Why an onset was missed, one of ``MISS_CAUSES``, the first that applies:

    * ``early``: a signal at the level scored came in the ``window`` periods before the horizon,
      ``[o − 2·window − 1, o − window − 1]``, and stopped before it;
    * ``below_level``: a warning below the level scored was on in ``[o − window, o]``;
    * ``silent``: neither.

    Args:
        onset: The missed onset's index.
        fired: Indices of the signals at the level scored.
        lower: Indices of the warnings below that level (any rule).
        window: The horizon in periods.

    Raises:
        ValueError: when ``window`` is negative, or ``onset`` was not missed (a signal lies in its horizon).
    """
    if window < 0:
        raise ValueError(f"window must not be negative: {window}")
    raised = set(fired)
    if any(onset - window <= i <= onset for i in raised):
        raise ValueError(f"onset {onset} was not missed")
    if any(onset - 2 * window - 1 <= i <= onset - window - 1 for i in raised):
        return EARLY
    if any(onset - window <= i <= onset for i in lower):
        return BELOW_LEVEL
    return SILENT


def first_at_or_after(fired: Iterable[int], start: int) -> int | None:
    """The first signal at or after ``start``; ``None`` when there is none."""
    later = [i for i in fired if i >= start]
    return min(later) if later else None


@dataclass(frozen=True, slots=True)
class Target:
    """A target a score is held to.

    Attributes:
        key: Stable identifier, e.g. ``"distressed_recall"``.
        measured: The figure measured; ``None`` when it could not be (e.g. no warning came at all, or there was
            nothing to measure).
        bound: The bound, in the figure's unit.
        direction: ``"at_least"`` (met when ``measured >= bound``) or ``"at_most"`` (``measured <= bound``).
    """

    key: str
    measured: float | None
    bound: float
    direction: str

    def __post_init__(self) -> None:
        if self.direction not in (AT_LEAST, AT_MOST):
            raise ValueError(f"direction must be {AT_LEAST!r} or {AT_MOST!r}, not {self.direction!r}")

    @property
    def met(self) -> bool:
        """Whether the figure was measured and is within the bound; an unmeasured figure misses."""
        if self.measured is None:
            return False
        return self.measured >= self.bound if self.direction == AT_LEAST else self.measured <= self.bound


def count_by(items: Sequence[str]) -> dict[str, int]:
    """How often each item occurs, most frequent first (then by item)."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
