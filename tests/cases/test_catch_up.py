"""Catching up: a case for every need written past the receiver (a bulk load, needs older than the cases app)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.management import call_command

from exportwatch.cases.models import Case, CaseEvent
from exportwatch.cases.services import cases_catch_up
from exportwatch.common.models import AuditEvent
from exportwatch.reporting.models import Need, Source
from tests.cases.conftest import CST, file_need
from tests.conftest import World


def bulk_need(enterprise: Any, category: str, *, by: Any = None, day: int = 1, serial: int = 0) -> Need:
    """A need written as the demo loader writes them: in bulk, so no receiver files its case."""
    (need,) = Need.objects.bulk_create(
        [
            Need(
                enterprise=enterprise,
                date=dt.date(2020, 4, day),
                category=category,
                urgency="normal",
                description=f"需求{serial}",
                source=Source.DEMO,
                created_at=dt.datetime(2020, 4, day, 10, tzinfo=CST),
                created_by=by,
                fingerprint=f"catch-up-test-{serial:04d}",
            )
        ]
    )
    return Need.objects.get(fingerprint=need.fingerprint)


def test_every_need_without_a_case_gets_one_routed_by_its_category(routed: World) -> None:
    w = routed
    needs = {
        "financing": bulk_need(w.ent_a, "financing", serial=1),
        "logistics": bulk_need(w.ent_b, "logistics", serial=2),
        "customs_clearance": bulk_need(w.ent_c, "customs_clearance", serial=3),
        "labour": bulk_need(w.ent_far, "labour", serial=4),
    }
    assert not Case.objects.exists()

    made = cases_catch_up()

    assert len(made) == 4
    routes = {
        c.category: (c.routed_department_id, c.first_response_days, c.resolution_days, c.state)
        for c in Case.objects.all()
    }
    assert routes == {
        "financing": ("pboc", 2, 10, "submitted"),
        "logistics": ("transport", 2, 10, "submitted"),
        "customs_clearance": ("customs", 1, 5, "submitted"),
        "labour": ("hrss", 2, 10, "submitted"),
    }
    for category, need in needs.items():
        case = Case.objects.get(need=need)
        assert case.category == category and case.enterprise_id == need.enterprise_id
        assert case.created_at == need.created_at and case.lead_department_id is None  # the bureau dispatches


def test_running_it_again_files_nothing(routed: World) -> None:
    bulk_need(routed.ent_a, "financing", serial=1)
    file_need(routed.ent_b, by=routed.town_officer)  # filed through the service: the receiver made its case
    cases_catch_up()
    events = CaseEvent.objects.count()

    assert cases_catch_up() == []
    assert Case.objects.count() == Need.objects.count() == 2
    assert CaseEvent.objects.count() == events


def test_a_case_is_filed_as_the_needs_filer_while_they_may_still_file(routed: World) -> None:
    w = routed
    by_reporter = bulk_need(w.ent_a, "financing", by=w.reporter, serial=1)
    by_officer = bulk_need(w.ent_b, "financing", by=w.town_officer, serial=2)
    by_nobody = bulk_need(w.ent_c, "financing", serial=3)
    w.town_officer.is_active = False
    w.town_officer.save()

    cases_catch_up()

    assert (Case.objects.get(need=by_reporter).filed_as, Case.objects.get(need=by_reporter).filed_by) == (
        "reporter",
        w.reporter,
    )
    for need in (by_officer, by_nobody):
        case = Case.objects.get(need=need)
        assert (case.filed_as, case.filed_by) == ("admin", None)


def test_clocks_are_read_as_of_now_so_an_old_need_is_escalated_at_once(routed: World) -> None:
    need = bulk_need(routed.ent_a, "financing", day=1, serial=1)  # 1 April: past its 2-day limit by 15 April

    (case,) = cases_catch_up()

    assert case.clock_state == "breached" and case.escalated_at is not None
    assert CaseEvent.objects.filter(case=case, kind="clock_breach").exists()
    assert case.created_at == need.created_at


def test_as_filed_files_each_case_at_its_needs_time(routed: World) -> None:
    need = bulk_need(routed.ent_a, "financing", day=14, serial=1)

    (case,) = cases_catch_up(as_filed=True)

    filing = CaseEvent.objects.get(case=case)
    assert filing.at == need.created_at and filing.to_state == "submitted"
    audit = AuditEvent.objects.get(action="case.file", object_key=str(case.pk))
    assert audit.at == need.created_at
    assert case.clock_state == "ok" and case.clock_check_at is not None


def test_the_command_says_what_it_filed(routed: World) -> None:
    bulk_need(routed.ent_a, "financing", serial=1)
    bulk_need(routed.ent_b, "logistics", day=14, serial=2)
    out = io.StringIO()

    call_command("cases", "catch-up", stdout=out)
    call_command("cases", "catch-up", stdout=out)

    first, second = out.getvalue().splitlines()
    assert first == "2 cases filed (pboc 1, transport 1); 1 already past a limit"
    assert second == "every need has its case: none filed"
