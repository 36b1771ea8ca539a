"""The track record of a warning rule on history (DESIGN §7: "how often it fired before a real drop, its false
alarms, its lead time").

A **real drop** begins at the first period whose value is at most ``(1 − fall)`` times the value ``season``
periods earlier (by default a fall of a third year on year, the depth of the 2020 falls): :func:`drop_onsets`.

Against those onsets, the periods where a rule fired are scored per series (:func:`rule_record`), with a
horizon of ``window`` periods:

* an onset ``o`` is **hit** when the rule fired at some ``i`` in ``[o − window, o]``; its **lead** is
  ``o − i`` for the earliest such ``i`` (0 means on time, not early). Several signals before one onset count
  once;
* an onset with no signal in ``[o − window, o]`` is **missed** (so ``hits + missed`` is the number of onsets);
* a signal with no onset in ``[i, i + window]`` is a **false alarm**, unless the rule also fired at ``i − 1``:
  a run of consecutive signals is one alarm that stays on, not a new alarm each period. A signal after the fall
  has begun, with no new onset ahead, warned of nothing and is a false alarm too.

:func:`records_combine` adds up the records of many series (one rule over many enterprises) into recall,
precision and the noise-to-signal ratio.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from exportwatch.core.indicators import to_float

REAL_DROP = 1 / 3  # a fall of a third year on year
LEAD_WINDOW = 3  # periods: the horizon within which a signal must precede the drop


@dataclass(frozen=True, slots=True)
class RuleRecord:
    """A rule's record on one series.

    Attributes:
        hits: Onsets with a signal at most ``window`` periods before (or at) them.
        false_alarms: Alarms (runs of consecutive signals) with no onset within ``window`` periods after.
        missed: Onsets without a signal in that horizon.
        leads: The lead of each hit in periods, in the onsets' order.
    """

    hits: int
    false_alarms: int
    missed: int
    leads: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """The records of many series, added up.

    Attributes:
        hits: Σ hits.
        false_alarms: Σ false alarms.
        missed: Σ missed onsets.
        recall: ``hits / (hits + missed)``, a fraction: the share of real drops warned of; ``None`` with no drop.
        precision: ``hits / (hits + false_alarms)``, a fraction; ``None`` with neither a hit nor a false
            alarm.
        noise_to_signal: ``false_alarms / hits``, false alarms per hit; ``None`` with no hit.
        median_lead: The median lead of all hits, in periods; ``None`` with no hit.
    """

    hits: int
    false_alarms: int
    missed: int
    recall: float | None
    precision: float | None
    noise_to_signal: float | None
    median_lead: float | None


def drop_onsets(series: Sequence[float | None], *, fall: float = REAL_DROP, season: int = 12) -> list[int]:
    """Indices where a real drop begins: ``x_t <= (1 − fall)·x_{t−season}``, the previous period not already
    in a drop.

    Whether period ``t`` is in a drop is unknown when ``x_t`` or ``x_{t−season}`` is missing or the earlier
    value is not positive; an unknown period keeps the state of the last known one, so a gap in the middle of
    a drop does not start a second one.

    Args:
        series: Amounts by period, oldest first (e.g. monthly exports, USD); ``None`` where missing.
        fall: The fall that makes a drop, a fraction ``0 < fall <= 1`` (1/3 = down by a third or more).
        season: Periods between the values compared (12 for year on year on monthly data).

    Returns:
        The onset indices, ascending; ``[]`` for a series shorter than ``season + 1``.

    Raises:
        ValueError: when ``fall`` or ``season`` is out of range, or a value is NaN or infinite.
    """
    if not 0 < fall <= 1:
        raise ValueError(f"fall must be in (0, 1]: {fall}")
    if season < 1:
        raise ValueError(f"season must be at least 1: {season}")
    known = [None if v is None else to_float(v) for v in series]
    onsets: list[int] = []
    in_drop = False
    for t in range(season, len(known)):
        current, earlier = known[t], known[t - season]
        if current is None or earlier is None or earlier <= 0:
            continue
        dropping = current <= (1 - fall) * earlier
        if dropping and not in_drop:
            onsets.append(t)
        in_drop = dropping
    return onsets


def rule_record(fired: Sequence[int], onsets: Sequence[int], *, window: int = LEAD_WINDOW) -> RuleRecord:
    """Score the periods where a rule fired against the real drops of one series (see the module docstring).

    Args:
        fired: Indices where the rule signalled (any order; repeats count once).
        onsets: Indices where real drops begin (:func:`drop_onsets`).
        window: The horizon in periods (0 accepts only a signal in the very period of the onset).

    Returns:
        The record.

    Raises:
        ValueError: when ``window`` is negative.
    """
    if window < 0:
        raise ValueError(f"window must not be negative: {window}")
    signals = sorted(set(fired))
    starts = sorted(set(onsets))
    hits = missed = 0
    leads: list[int] = []
    for onset in starts:
        before = [i for i in signals if onset - window <= i <= onset]
        if before:
            hits += 1
            leads.append(onset - before[0])
        else:
            missed += 1
    raised = set(signals)
    false_alarms = sum(
        1 for i in signals if i - 1 not in raised and not any(i <= onset <= i + window for onset in starts)
    )
    return RuleRecord(hits=hits, false_alarms=false_alarms, missed=missed, leads=tuple(leads))


def records_combine(records: Iterable[RuleRecord]) -> RecordSummary:
    """Add up the records of one rule over many series.

    Returns:
        The totals and ratios (see :class:`RecordSummary`); zeros and ``None`` ratios for no records.
    """
    hits = false_alarms = missed = 0
    leads: list[int] = []
    for record in records:
        hits += record.hits
        false_alarms += record.false_alarms
        missed += record.missed
        leads.extend(record.leads)
    return RecordSummary(
        hits=hits,
        false_alarms=false_alarms,
        missed=missed,
        recall=hits / (hits + missed) if hits + missed else None,
        precision=hits / (hits + false_alarms) if hits + false_alarms else None,
        noise_to_signal=false_alarms / hits if hits else None,
        median_lead=float(statistics.median(leads)) if leads else None,
    )
