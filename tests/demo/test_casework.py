"""The demo's cases: needs loaded in bulk become cases moved along the closed loop by the demo date, through the
services, with nothing dated on or after the start of that day (a few needs, not the whole demo district)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from exportwatch.cases.defaults import DEFAULT_ROUTING
from exportwatch.cases.models import Case, CaseEvent
from exportwatch.cases.selectors import routing_rules
from exportwatch.cases.services import routing_defaults_ensure
from exportwatch.common.models import AuditEvent
from exportwatch.demo.casework import demo_cases_play
from exportwatch.reporting.models import Need, Source
from tests.api.conftest import reference_for_module  # noqa: F401
from tests.cases.conftest import CST, handler_of
from tests.conftest import World

CUTOFF = dt.datetime(2020, 4, 15, tzinfo=CST)  # the demo date (tests/settings.py), at its start


@pytest.fixture(autouse=True)
def _reference(reference_for_module: None) -> None:  # noqa: F811
    """The reference data, loaded once per module."""


@pytest.fixture
def desk(world: World) -> World:
    """The shipped routing table (co-handlers too: other modules may have removed the departments), and a handler
    for every department it sends cases to."""
    routing_defaults_ensure()
    for rule in routing_rules():
        rule.co_departments.set(DEFAULT_ROUTING[rule.category].co)
    codes = {d.code for rule in routing_rules() for d in (rule.lead_department, *rule.co_departments.all()) if d}
    for code in sorted(codes):
        handler_of(code, f"handler-{code}")
    return world


def bulk_need(enterprise: Any, category: str, day: dt.date, serial: int) -> Need:
    Need.objects.bulk_create(
        [
            Need(
                enterprise=enterprise,
                date=day,
                category=category,
                urgency="normal",
                description=f"演示需求{serial}",
                source=Source.DEMO,
                created_at=dt.datetime.combine(day, dt.time(10), tzinfo=CST),
                fingerprint=f"demo-casework-{serial:04d}",
            )
        ]
    )
    return Need.objects.get(fingerprint=f"demo-casework-{serial:04d}")


@pytest.fixture
def needs(desk: World) -> dict[str, Need]:
    w = desk
    return {
        "old": bulk_need(w.ent_b, "financing", dt.date(2020, 2, 10), 1),
        "old_customs": bulk_need(w.ent_b, "customs_clearance", dt.date(2020, 3, 2), 2),
        "reporters": bulk_need(w.ent_a, "logistics", dt.date(2020, 2, 11), 3),
        "recent": bulk_need(w.ent_b, "labour", dt.date(2020, 4, 10), 4),
        "newest": bulk_need(w.ent_b, "policy_consultation", dt.date(2020, 4, 14), 5),
    }


def test_every_need_becomes_a_case_and_nothing_is_dated_on_the_demo_day_or_later(
    desk: World, needs: dict[str, Need]
) -> None:
    summary = demo_cases_play(analyst=desk.analyst)

    assert summary.cases == 5 and sum(summary.by_state.values()) == 5
    assert Case.objects.filter(need__in=needs.values()).count() == 5
    assert not CaseEvent.objects.filter(at__gt=CUTOFF).exists()
    assert not AuditEvent.objects.filter(action__startswith="case.", at__gt=CUTOFF).exists()


def test_an_old_need_went_round_the_loop_to_its_routed_department_and_was_rated(
    desk: World, needs: dict[str, Need]
) -> None:
    demo_cases_play(analyst=desk.analyst)

    case = Case.objects.get(need=needs["old"])
    assert case.state == "closed" and case.rating in (2, 3, 4, 5)
    assert case.lead_department_id == "pboc" and list(case.co_departments.values_list("code", flat=True)) == ["finance"]
    states = list(CaseEvent.objects.filter(case=case, kind="transition").values_list("to_state", flat=True))
    assert states[:5] == ["submitted", "triaged", "assigned", "accepted", "in_progress"]
    assert states[-3:] == ["replied", "confirmed", "closed"]
    moves = CaseEvent.objects.filter(case=case, kind="transition").exclude(from_state="").count()
    assert AuditEvent.objects.filter(action="case.transition", object_key=str(case.pk)).count() == moves
    assert Case.objects.get(need=needs["old_customs"]).lead_department_id == "customs"


def test_the_case_of_an_enterprise_with_a_reporter_login_waits_for_its_rating(
    desk: World, needs: dict[str, Need]
) -> None:
    demo_cases_play(analyst=desk.analyst)

    case = Case.objects.get(need=needs["reporters"])
    assert (case.state, case.rating, case.lead_department_id) == ("replied", None, "transport")


def test_open_cases_are_on_time_from_the_demo_date_unless_breached(desk: World, needs: dict[str, Need]) -> None:
    demo_cases_play(analyst=desk.analyst)

    recent, newest = Case.objects.get(need=needs["recent"]), Case.objects.get(need=needs["newest"])
    assert recent.state in ("accepted", "in_progress", "waiting_enterprise", "replied")
    assert newest.state == "submitted"  # came on the eve of the demo date: the bureau takes it in on the day
    for case in Case.objects.exclude(state__in=["closed", "declined", "withdrawn", "merged"]):
        due = case.first_response_due if case.first_response_at is None else case.resolution_due
        assert case.clock_state == "breached" or due is None or due > CUTOFF, case


def test_playing_it_again_changes_nothing(desk: World, needs: dict[str, Need]) -> None:
    demo_cases_play(analyst=desk.analyst)
    events, audit = CaseEvent.objects.count(), AuditEvent.objects.count()

    again = demo_cases_play(analyst=desk.analyst)

    assert again.cases == 0
    assert (CaseEvent.objects.count(), AuditEvent.objects.count()) == (events, audit)
