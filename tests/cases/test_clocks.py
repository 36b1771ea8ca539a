"""The clocks: due dates in working days, the warning at a share of the limit, the escalation on breach (once), the
pause while waiting for the enterprise, and the local calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from exportwatch.cases.models import CalendarDay, Case, CaseEvent
from exportwatch.cases.selectors import work_calendar
from exportwatch.cases.services import (
    CaseError,
    calendar_day_remove,
    calendar_day_set,
    case_transition,
    clocks_refresh,
)
from exportwatch.common.models import AuditEvent
from exportwatch.notifications.models import Notification
from tests.cases.conftest import CST, accepted, new_case
from tests.conftest import World


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


@pytest.fixture
def clock_at(settings: Any, time_machine: Any) -> Any:
    """Travel to an instant (China time) with the clock standing still there."""
    settings.EXPORTWATCH_TODAY = None

    def travel(moment: dt.datetime) -> dt.datetime:
        time_machine.move_to(moment, tick=False)
        return moment

    return travel


def clock_events(case: Case) -> list[tuple[str, str]]:
    return list(case.events.exclude(kind="transition").order_by("at", "id").values_list("kind", "clock"))


def told(user: Any) -> list[str]:
    return list(Notification.objects.filter(user=user, kind="case").values_list("subject", flat=True))


def test_due_dates_count_working_days_with_the_make_up_days_and_holidays(routed: World, clock_at: Any) -> None:
    clock_at(at(2020, 4, 24, 15))  # a Friday; Sunday 26 April is a make-up working day, 1-5 May a holiday
    case = new_case(routed)  # financing: 2 working days to respond, 10 to resolve
    assert case.first_response_due == at(2020, 4, 27, 15)
    assert case.resolution_due == at(2020, 5, 11, 15)  # 6 May on, with Saturday 9 May a make-up day
    assert (case.clock_state, case.clock_check_at) == ("ok", at(2020, 4, 27, 5, 24))  # 80 % of 2 days: 1.6


def test_a_case_warns_at_80_percent_and_escalates_once_on_breach(routed: World, clock_at: Any) -> None:
    w = routed
    clock_at(at(2020, 4, 15, 10))  # Wednesday
    case = new_case(w)
    clock_at(at(2020, 4, 16, 12))
    assert clocks_refresh() is False  # nothing falls due yet

    clock_at(at(2020, 4, 17, 1))  # 1.625 working days: past 80 % of the 2-day first response limit
    assert clocks_refresh() is True
    assert clocks_refresh() is False
    case.refresh_from_db()
    assert (case.clock_state, clock_events(case)) == ("warning", [("clock_warning", "response")])
    assert case.response_warned_at == at(2020, 4, 17, 1)
    assert told(w.analyst) and not told(w.outsider) and not told(w.handler)  # not dispatched: the bureau acts

    clock_at(at(2020, 4, 17, 11))  # the limit ran out at 10:00
    assert clocks_refresh() is True
    assert clocks_refresh() is False
    case.refresh_from_db()
    assert case.clock_state == "breached" and case.escalated_at == at(2020, 4, 17, 11)
    assert clock_events(case) == [("clock_warning", "response"), ("clock_breach", "response")]
    breach = case.events.get(kind="clock_breach")
    assert breach.actor is None and breach.details["due"] == at(2020, 4, 17, 10).isoformat()
    assert len(told(w.analyst)) == 2 and not told(w.leader) and not told(w.outsider)

    # The step run again, even on a case put back in the queue (a second worker, a restart): nothing repeats.
    Case.objects.filter(pk=case.pk).update(clock_check_at=at(2020, 4, 17, 11))
    assert clocks_refresh() is True
    assert clocks_refresh(at(2020, 4, 17, 12)) is False
    assert clock_events(case) == [("clock_warning", "response"), ("clock_breach", "response")]
    assert len(told(w.analyst)) == 2


def test_a_clock_event_cannot_be_stored_twice(routed: World) -> None:
    case = new_case(routed)
    fields = {
        "case": case,
        "at": case.created_at,
        "kind": "clock_breach",
        "clock": "resolution",
        "to_state": "submitted",
    }
    CaseEvent.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.create(**fields)


def test_the_warning_share_is_a_setting(routed: World, clock_at: Any, settings: Any) -> None:
    settings.EXPORTWATCH_CASE_WARN_SHARE = 0.5
    clock_at(at(2020, 4, 15, 10))
    case = new_case(routed)
    assert case.clock_check_at == at(2020, 4, 16, 10)  # half of 2 working days
    clock_at(at(2020, 4, 16, 10, 30))
    assert clocks_refresh() is True
    assert clock_events(Case.objects.get(pk=case.pk)) == [("clock_warning", "response")]


def test_a_late_first_response_stays_late_but_the_case_then_runs_on_its_resolution_clock(
    routed: World, clock_at: Any
) -> None:
    clock_at(at(2020, 4, 15, 10))
    case = new_case(routed)
    clock_at(at(2020, 4, 20, 10))  # Monday: past the first response limit
    clocks_refresh()
    accepted(routed, case)
    case.refresh_from_db()
    assert case.first_response_at == at(2020, 4, 20, 10)
    assert case.clock_state == "ok"  # 3 of the 10 resolution days used
    assert clock_events(case) == [("clock_breach", "response")]  # straight past the warning: only the breach


def test_waiting_for_the_enterprise_pauses_the_resolution_clock(routed: World, clock_at: Any) -> None:
    w = routed
    clock_at(at(2020, 4, 15, 10))
    case = new_case(w)
    clock_at(at(2020, 4, 15, 11))
    accepted(w, case)
    clock_at(at(2020, 4, 16, 10))  # one working day used
    case_transition(case, "waiting_enterprise", actor=w.handler, note="请补充近三个月出口合同")
    case.refresh_from_db()
    assert case.resolution_due is None and case.clock_check_at is None  # stands still: nothing can fall due
    assert told(w.reporter)

    clock_at(at(2020, 5, 20, 10))  # five weeks later, still waiting
    assert clocks_refresh() is False
    case.refresh_from_db()
    assert case.clock_state == "ok" and clock_events(case) == []

    case_transition(case, "in_progress", actor=w.reporter)  # the enterprise supplied the contracts
    case.refresh_from_db()
    # 9 working days left from Wednesday 20 May 10:00: Tuesday 2 June 10:00.
    assert case.resolution_due == at(2020, 6, 2, 10)
    assert case.clock_check_at == at(2020, 5, 29, 10)  # 8 of 10 days: 7 more from 20 May 10:00


def test_a_replied_case_s_clock_stops(routed: World, clock_at: Any) -> None:
    clock_at(at(2020, 4, 15, 10))
    case = accepted(routed, new_case(routed))
    case_transition(case, "replied", actor=routed.handler, note="已答复")
    case.refresh_from_db()
    assert case.clock_check_at is None
    clock_at(at(2020, 7, 1, 10))
    assert clocks_refresh() is False
    assert clock_events(case) == []


# --- The local calendar ----------------------------------------------------------------------------------------


def test_the_calendar_is_the_shipped_one_without_local_days(db: None) -> None:
    calendar = work_calendar()
    assert not calendar.is_working_day(dt.date(2020, 10, 1))  # National Day
    assert calendar.is_working_day(dt.date(2020, 4, 26))  # a make-up Sunday


def test_a_day_entered_locally_overrides_that_date_only(routed: World) -> None:
    calendar_day_set(date=dt.date(2030, 10, 1), kind="holiday", note="国庆节", actor=routed.admin)
    calendar_day_set(date=dt.date(2030, 9, 29), kind="makeup_workday", note="国庆节调休", actor=routed.admin)
    calendar = work_calendar()
    assert not calendar.is_working_day(dt.date(2030, 10, 1))  # a Tuesday
    assert calendar.is_working_day(dt.date(2030, 9, 29))  # a Sunday
    calendar_day_set(date=dt.date(2020, 12, 31), kind="holiday", actor=routed.admin)
    assert not work_calendar().is_working_day(dt.date(2020, 12, 31))  # a Thursday
    assert not work_calendar().is_working_day(dt.date(2020, 10, 1))  # the rest of 2020 stays shipped
    calendar_day_set(date=dt.date(2020, 10, 8), kind="ordinary", actor=routed.admin)  # a shipped holiday cancelled
    calendar_day_set(date=dt.date(2020, 9, 27), kind="ordinary", actor=routed.admin)  # a shipped make-up Sunday
    assert work_calendar().is_working_day(dt.date(2020, 10, 8))
    assert not work_calendar().is_working_day(dt.date(2020, 9, 27))
    assert calendar_day_remove(date=dt.date(2020, 10, 8), actor=routed.admin) is True
    assert not work_calendar().is_working_day(dt.date(2020, 10, 8))
    actions = list(AuditEvent.objects.filter(object_type="calendar_day").values_list("action", flat=True))
    assert sorted(actions) == ["calendar.remove", *["calendar.set"] * 5]


def test_a_make_up_working_day_is_a_weekend_day(routed: World) -> None:
    with pytest.raises(CaseError) as refused:
        calendar_day_set(date=dt.date(2030, 10, 2), kind="makeup_workday", actor=routed.admin)
    assert refused.value.code == "bad_calendar_day"
    assert not CalendarDay.objects.exists()


@pytest.mark.parametrize("persona", ["reporter", "town_officer", "handler", "leader", "outsider"])
def test_only_the_bureau_keeps_the_calendar(routed: World, persona: str) -> None:
    with pytest.raises(CaseError):
        calendar_day_set(date=dt.date(2030, 10, 1), kind="holiday", actor=getattr(routed, persona))


def test_changing_the_calendar_puts_the_open_cases_back_to_the_clock_step(routed: World, clock_at: Any) -> None:
    clock_at(at(2020, 4, 15, 10))
    case = new_case(routed)
    calendar_day_set(date=dt.date(2020, 4, 16), kind="holiday", note="临时放假", actor=routed.analyst)
    assert Case.objects.get(pk=case.pk).clock_check_at == at(2020, 4, 15, 10)
    assert clocks_refresh() is True
    case.refresh_from_db()
    # 2020 is now the local rows alone: 16 April off, 1 May a plain Friday.
    assert case.first_response_due == at(2020, 4, 20, 10)
