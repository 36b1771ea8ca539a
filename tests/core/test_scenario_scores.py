"""The scoring helpers of the early-warning scenarios (exportwatch.core.scenario_scores), on hand-made signals."""

import pytest

from exportwatch.core.scenario_scores import (
    AT_LEAST,
    AT_MOST,
    BELOW_LEVEL,
    EARLY,
    SILENT,
    Target,
    count_by,
    false_alarm_starts,
    first_at_or_after,
    miss_cause,
    missed_onsets,
)
from exportwatch.core.warning_record import rule_record

# The example of tests/core/test_warning_record.py: onsets 5, 12, 20; signals 3-7 (one alarm, hits 5), 9 (hits
# 12), 15-16 and 21 (false alarms); onset 20 missed.
ONSETS = [5, 12, 20]
FIRED = [3, 4, 5, 6, 7, 9, 15, 16, 21]


def test_false_alarm_starts_are_the_alarms_the_track_record_counts() -> None:
    assert false_alarm_starts(FIRED, ONSETS) == [15, 21]
    assert len(false_alarm_starts(FIRED, ONSETS)) == rule_record(FIRED, ONSETS).false_alarms


def test_missed_onsets_are_the_misses_the_track_record_counts() -> None:
    assert missed_onsets(FIRED, ONSETS) == [20]
    assert len(missed_onsets(FIRED, ONSETS)) == rule_record(FIRED, ONSETS).missed


def test_a_wider_window_turns_a_false_alarm_into_a_hit() -> None:
    assert false_alarm_starts([15], [20], window=3) == [15]
    assert false_alarm_starts([15], [20], window=5) == []
    assert missed_onsets([15], [20], window=5) == []


def test_repeated_signals_count_once() -> None:
    assert false_alarm_starts([2, 2, 3], []) == [2]
    assert missed_onsets([8, 8], [4, 4]) == [4]


def test_a_miss_with_a_signal_before_the_horizon_came_early() -> None:
    # Onset 10, window 3: the horizon is 7..10; 3..6 is "early".
    assert miss_cause(10, fired=[4, 5], lower=[]) == EARLY
    assert miss_cause(10, fired=[3], lower=[]) == EARLY


def test_a_miss_with_only_a_lower_warning_in_the_horizon_was_below_the_level() -> None:
    assert miss_cause(10, fired=[], lower=[8]) == BELOW_LEVEL
    assert miss_cause(10, fired=[1], lower=[9]) == BELOW_LEVEL  # 1 is too early to count as early


def test_a_miss_without_any_warning_was_silent() -> None:
    assert miss_cause(10, fired=[2, 11], lower=[5, 12]) == SILENT


def test_an_onset_that_was_hit_has_no_miss_cause() -> None:
    with pytest.raises(ValueError, match="not missed"):
        miss_cause(10, fired=[8], lower=[])


@pytest.mark.parametrize("helper", [false_alarm_starts, missed_onsets])
def test_a_negative_window_is_refused(helper: object) -> None:
    with pytest.raises(ValueError, match="window"):
        helper([1], [2], window=-1)  # type: ignore[operator]


def test_first_at_or_after_finds_the_first_signal_from_a_start() -> None:
    assert first_at_or_after([9, 3, 7], 4) == 7
    assert first_at_or_after([9, 3, 7], 7) == 7
    assert first_at_or_after([1, 2], 3) is None
    assert first_at_or_after([], 0) is None


@pytest.mark.parametrize(
    ("measured", "bound", "direction", "met"),
    [
        (0.9, 0.9, AT_LEAST, True),
        (0.89, 0.9, AT_LEAST, False),
        (1.0, 1.0, AT_MOST, True),
        (2.0, 1.0, AT_MOST, False),
        (0.0, 0.0, AT_MOST, True),
        (None, 1.0, AT_MOST, False),
        (None, 0.9, AT_LEAST, False),
    ],
)
def test_a_target_is_met_only_by_a_measured_figure_within_its_bound(
    measured: float | None, bound: float, direction: str, met: bool
) -> None:
    assert Target("x", measured, bound, direction).met is met


def test_a_target_refuses_an_unknown_direction() -> None:
    with pytest.raises(ValueError, match="direction"):
        Target("x", 1.0, 1.0, "around")


def test_count_by_puts_the_most_frequent_first_then_the_name() -> None:
    assert list(count_by(["b", "a", "b", "c", "a", "b"]).items()) == [("b", 3), ("a", 2), ("c", 1)]
    assert count_by([]) == {}
