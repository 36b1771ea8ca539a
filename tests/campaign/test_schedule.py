"""The schedule's pure rules: which deadline is current and which point has come."""

from __future__ import annotations

import datetime as dt

from exportwatch.campaign.schedule import current_deadline, point_due

OFFSETS = {-3, 0, 1, 3}
DEADLINES = [("2020-02", dt.date(2020, 3, 5)), ("2020-03", dt.date(2020, 4, 5)), ("2020-04", dt.date(2020, 5, 5))]


def test_no_deadline_is_current_before_the_first_point() -> None:
    assert current_deadline(today=dt.date(2020, 4, 1), deadlines=DEADLINES, offsets=OFFSETS) is None


def test_the_deadline_is_current_from_its_first_to_its_last_point() -> None:
    for day in (2, 5, 8):
        found = current_deadline(today=dt.date(2020, 4, day), deadlines=DEADLINES, offsets=OFFSETS)
        assert found == ("2020-03", dt.date(2020, 4, 5))
    assert current_deadline(today=dt.date(2020, 4, 9), deadlines=DEADLINES, offsets=OFFSETS) is None


def test_no_offset_means_no_current_deadline() -> None:
    assert current_deadline(today=dt.date(2020, 4, 5), deadlines=DEADLINES, offsets=set()) is None


def test_the_latest_point_that_has_come_is_due() -> None:
    deadline = dt.date(2020, 4, 5)
    assert point_due(today=dt.date(2020, 4, 1), deadline=deadline, offsets=OFFSETS) is None
    assert point_due(today=dt.date(2020, 4, 2), deadline=deadline, offsets=OFFSETS) == -3
    assert point_due(today=dt.date(2020, 4, 4), deadline=deadline, offsets=OFFSETS) == -3
    assert point_due(today=dt.date(2020, 4, 5), deadline=deadline, offsets=OFFSETS) == 0
    assert point_due(today=dt.date(2020, 4, 7), deadline=deadline, offsets=OFFSETS) == 1
    assert point_due(today=dt.date(2020, 4, 8), deadline=deadline, offsets=OFFSETS) == 3
