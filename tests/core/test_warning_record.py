"""The track record of a rule in exportwatch.core.warning_record (DESIGN §7), on hand-made series."""

import pytest

from exportwatch.core.change_detection import ewma_chart, seasonal_changes
from exportwatch.core.warning_record import RecordSummary, RuleRecord, drop_onsets, records_combine, rule_record

# --- Real drops ------------------------------------------------------------------------------


def test_a_drop_begins_where_the_value_falls_by_a_third_against_a_season_earlier() -> None:
    series: list[float | None] = [100, 100, 100, 100, 100, 60, 50, 100, 60, None, 60, 100]
    # season 4: t=5 60 vs 100 starts a drop; t=6 50 vs 100 continues it; t=7 recovers; t=8 60 vs 100 starts
    # another; t=9 is unknown; t=10 60 vs 50 is no drop; t=11 100 vs 100.
    assert drop_onsets(series, season=4) == [5, 8]


def test_a_fall_of_exactly_a_third_is_a_drop() -> None:
    assert drop_onsets([300.0, 200.0], season=1) == [1]
    assert drop_onsets([300.0, 200.5], season=1) == []


def test_a_gap_inside_a_drop_does_not_start_another_one() -> None:
    # season 2: t=2 60 vs 100 starts a drop; t=3 is missing; t=4 30 vs 60 is still the same drop.
    assert drop_onsets([100.0, 100.0, 60.0, None, 30.0, 60.0], season=2) == [2]


def test_a_drop_from_nothing_is_not_a_drop() -> None:
    assert drop_onsets([0.0, 0.0], season=1) == []


@pytest.mark.parametrize("series", [[], [None] * 30, [100.0] * 12])
def test_no_drop_is_found_without_a_comparable_year(series: list[float | None]) -> None:
    assert drop_onsets(series) == []


def test_the_default_drop_is_a_third_year_on_year() -> None:
    series = [100.0] * 12 + [100.0, 70.0, 66.0, 60.0]
    assert drop_onsets(series) == [14]
    assert drop_onsets(series, fall=0.25) == [13]


@pytest.mark.parametrize(("fall", "season"), [(0.0, 12), (1.5, 12), (0.3, 0)])
def test_drop_onsets_reject_parameters_out_of_range(fall: float, season: int) -> None:
    with pytest.raises(ValueError, match=r"fall|season"):
        drop_onsets([1.0], fall=fall, season=season)


# --- One series ------------------------------------------------------------------------------


def test_a_rule_record_counts_hits_false_alarms_misses_and_leads() -> None:
    onsets = [5, 12, 20]
    fired = [3, 4, 5, 6, 7, 9, 15, 16, 21]
    # Onset 5: signals 3, 4, 5 within [2, 5] count once, lead 5 − 3 = 2; 6 and 7 continue that alarm.
    # Onset 12: signal 9 within [9, 12], lead 3.
    # Onset 20: no signal within [17, 20]: missed.
    # Signals 15 (16 continues it) and 21 (after the onset, no onset ahead): two false alarms.
    assert rule_record(fired, onsets) == RuleRecord(hits=2, false_alarms=2, missed=1, leads=(2, 3))


def test_an_alarm_raised_too_early_is_a_false_alarm_and_its_later_signals_a_hit() -> None:
    # Fired 1..8, onset 8: signal 1 has no onset within [1, 4]; 5..8 precede the onset within 3 periods.
    assert rule_record(range(1, 9), [8]) == RuleRecord(hits=1, false_alarms=1, missed=0, leads=(3,))


def test_a_signal_in_the_period_of_the_onset_is_a_hit_with_no_lead() -> None:
    assert rule_record([10], [10]) == RuleRecord(hits=1, false_alarms=0, missed=0, leads=(0,))


def test_a_signal_one_period_beyond_the_window_is_a_false_alarm_and_the_drop_is_missed() -> None:
    assert rule_record([6], [10]) == RuleRecord(hits=0, false_alarms=1, missed=1, leads=())
    assert rule_record([6], [10], window=4) == RuleRecord(hits=1, false_alarms=0, missed=0, leads=(4,))


def test_separate_signals_before_one_onset_count_as_one_hit() -> None:
    assert rule_record([7, 9], [10]) == RuleRecord(hits=1, false_alarms=0, missed=0, leads=(3,))


def test_the_order_and_repeats_of_the_signals_do_not_matter() -> None:
    assert rule_record([9, 3, 3, 15], [12, 5]) == rule_record([3, 9, 15], [5, 12])


@pytest.mark.parametrize(
    ("fired", "onsets", "expected"),
    [
        ([], [], RuleRecord(0, 0, 0, ())),
        ([], [4, 9], RuleRecord(hits=0, false_alarms=0, missed=2, leads=())),
        ([1, 2, 3, 8], [], RuleRecord(hits=0, false_alarms=2, missed=0, leads=())),
    ],
)
def test_rule_records_without_signals_or_without_drops(
    fired: list[int], onsets: list[int], expected: RuleRecord
) -> None:
    assert rule_record(fired, onsets) == expected


def test_a_rule_record_rejects_a_negative_window() -> None:
    with pytest.raises(ValueError, match="window"):
        rule_record([1], [1], window=-1)


# --- Many series -----------------------------------------------------------------------------


def test_records_combine_adds_up_and_derives_the_ratios() -> None:
    summary = records_combine(
        [
            RuleRecord(hits=2, false_alarms=2, missed=1, leads=(2, 3)),
            RuleRecord(hits=1, false_alarms=0, missed=0, leads=(0,)),
            RuleRecord(hits=0, false_alarms=1, missed=1, leads=()),
        ]
    )
    assert summary == RecordSummary(
        hits=3,
        false_alarms=3,
        missed=2,
        recall=0.6,  # 3 / (3 + 2)
        precision=0.5,  # 3 / (3 + 3)
        noise_to_signal=1.0,  # 3 / 3
        median_lead=2.0,  # of 2, 3, 0
    )


def test_the_median_lead_of_an_even_number_of_hits_is_the_mean_of_the_middle_two() -> None:
    assert records_combine([RuleRecord(4, 0, 0, (0, 1, 2, 3))]).median_lead == 1.5


@pytest.mark.parametrize(
    "records",
    [[], [RuleRecord(0, 0, 0, ())]],
)
def test_records_combine_without_anything_has_no_ratios(records: list[RuleRecord]) -> None:
    assert records_combine(records) == RecordSummary(0, 0, 0, None, None, None, None)


def test_a_rule_that_only_cries_wolf_has_no_recall_and_no_noise_to_signal() -> None:
    summary = records_combine([RuleRecord(hits=0, false_alarms=3, missed=0, leads=())])
    assert (summary.recall, summary.precision, summary.noise_to_signal, summary.median_lead) == (
        None,
        0.0,
        None,
        None,
    )


# --- With a chart ----------------------------------------------------------------------------


def test_an_ewma_chart_of_seasonal_changes_warns_of_a_drop_before_it_is_real() -> None:
    # Two calm years growing 5 % a year with some noise, then exports slide by 15 % a month from month 36.
    year_1 = [100.0, 90.0, 110.0, 105.0, 95.0, 100.0, 108.0, 92.0, 101.0, 99.0, 104.0, 96.0]
    year_2 = [v * (1.05 if i % 2 else 1.03) for i, v in enumerate(year_1)]
    year_3 = [v * (1.06 if i % 3 else 1.04) for i, v in enumerate(year_2)]
    slide = [year_3[i] * 0.85 ** (i + 1) for i in range(6)]
    series: list[float | None] = [*year_1, *year_2, *year_3, *slide]
    onsets = drop_onsets(series)
    assert onsets == [38]  # 0.85³ ≈ 0.61 of a year earlier
    fired = [p.index for p in ewma_chart(seasonal_changes(series)) if p.signal == "down"]
    record = rule_record(fired, onsets)
    assert (record.hits, record.missed, record.false_alarms) == (1, 0, 0)
    assert record.leads[0] >= 1
