"""The latest month whose reports are in, read from the all-cells' reporter counts (the rule itself:
``tests/core/test_periods.py``): its deadline passed, or 90 % as many enterprises as the month before have reported
it; the months after it that are coming in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from exportwatch.core.periods import ComingIn
from exportwatch.core.records import ReportIn
from exportwatch.directory.models import Enterprise
from exportwatch.monitoring.selectors import periods_coming_in, settled_period
from exportwatch.reporting.models import Source
from exportwatch.reporting.services import report_submit
from tests.conftest import World


def _submit(ent: Enterprise, period: str) -> None:
    d = Decimal(100)
    report_submit(
        enterprise=ent,
        data=ReportIn(ent.uscc, period, d, d, d, d, None, "same", "same"),
        lines=[],
        submitted_by=None,
        source=Source.WEB,
    )


def test_a_first_month_stands_as_soon_as_it_has_a_report(world: World) -> None:
    assert settled_period(today=dt.date(2020, 4, 1)) is None
    _submit(world.ent_a, "2020-03")  # no month before it: nothing to fall short of
    assert settled_period(today=dt.date(2020, 4, 1)) == "2020-03"


def test_a_month_coming_in_waits_for_nine_tenths_or_its_deadline(world: World) -> None:
    everyone = [world.ent_a, world.ent_b, world.ent_c, world.ent_far]
    for ent in everyone:
        _submit(ent, "2020-02")
    for ent in everyone[:3]:
        _submit(ent, "2020-03")  # 3 of 4: 75 %
    early = dt.date(2020, 4, 3)  # the deadline is the 5th
    assert settled_period(today=early) == "2020-02"
    assert periods_coming_in(today=early) == [
        ComingIn(period="2020-03", reported=3, before=4, deadline=dt.date(2020, 4, 5))
    ]
    assert settled_period(today=dt.date(2020, 4, 5)) == "2020-02"  # the deadline day itself is still open
    assert settled_period(today=dt.date(2020, 4, 6)) == "2020-03"
    _submit(world.ent_far, "2020-03")
    assert settled_period(today=early) == "2020-03"
    assert periods_coming_in(today=early) == []
    _submit(world.ent_a, "2020-04")  # a report of the month in progress: not yet a month to stand on
    assert settled_period(today=dt.date(2020, 4, 20)) == "2020-03"
    assert [c.period for c in periods_coming_in(today=dt.date(2020, 4, 20))] == ["2020-04"]
