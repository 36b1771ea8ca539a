"""The counted reporting statuses equal the per-enterprise ones."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import time_machine

from exportwatch.core.records import ReportIn
from exportwatch.directory.models import Enterprise
from exportwatch.reporting.models import Source
from exportwatch.reporting.selectors import reporting_status_counts, reporting_status_rows
from exportwatch.reporting.services import report_submit
from tests.conftest import World


def _submit(ent: Enterprise) -> None:
    d = Decimal(100)
    report_submit(
        enterprise=ent,
        data=ReportIn(ent.uscc, "2020-03", d, d, d, d, None, "same", "same"),
        lines=[],
        submitted_by=None,
        source=Source.WEB,
    )


def test_counts_match_rows_before_and_after_the_deadline(world: World, settings: Any) -> None:
    settings.EXPORTWATCH_TODAY = None  # the real (travelling) clock
    qs = Enterprise.objects.all()
    with time_machine.travel("2020-04-03 10:00 +0800", tick=False):
        _submit(world.ent_a)  # on time
        assert reporting_status_counts(enterprises=qs, period="2020-03") == Counter(
            r.status for r in reporting_status_rows(enterprises=qs, period="2020-03")
        )
    with time_machine.travel("2020-04-05 23:30 +0800", tick=False):
        _submit(world.ent_b)  # on the deadline day, local time: on time
    with time_machine.travel("2020-04-06 00:10 +0800", tick=False):
        _submit(world.ent_c)  # late
        counts = reporting_status_counts(enterprises=qs, period="2020-03")
        assert counts == Counter(r.status for r in reporting_status_rows(enterprises=qs, period="2020-03"))
        assert counts["on_time"] == 2 and counts["late"] == 1 and counts["missing"] == 1
