"""Who sees which case, the desks (a handler's work list, the bureau's triage queue) and the performance figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.http import Http404

from exportwatch.cases.models import Case
from exportwatch.cases.selectors import case_get, case_performance, case_triage_queue, case_work_list, cases_visible
from exportwatch.cases.services import case_assign, case_merge, case_transition, clocks_refresh
from tests.cases.conftest import CST, accepted, dispatched, handler_of, new_case
from tests.conftest import World


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


@pytest.fixture
def cases(routed: World) -> dict[str, Case]:
    """One case per enterprise: ent_a's led by the handler's department, ent_b's co-handled by it, ent_c's led by
    another department, ent_far's (outside the district) not dispatched."""
    w = routed
    made = {
        "a": new_case(w, enterprise=w.ent_a, by=w.reporter, description="甲"),
        "b": new_case(w, enterprise=w.ent_b, by=w.town_officer, description="乙"),
        "c": new_case(w, enterprise=w.ent_c, by=w.other_reporter, description="丙"),
        "far": new_case(w, enterprise=w.ent_far, by=w.admin, description="远"),
    }
    dispatched(w, made["a"])
    case_transition(made["b"], "triaged", actor=w.analyst)
    case_assign(made["b"], lead="pboc", co=[w.handler.department_id], actor=w.analyst)
    case_transition(made["c"], "triaged", actor=w.analyst)
    case_assign(made["c"], lead="boc", actor=w.analyst)
    return made


SEES = {
    "reporter": {"a"},
    "other_reporter": {"c"},
    "town_officer": {"a", "b"},
    "analyst": {"a", "b", "c"},
    "leader": {"a", "b", "c"},
    "handler": {"a", "b"},
    "outsider": {"far"},
    "admin": {"a", "b", "c", "far"},
}


@pytest.mark.parametrize("persona", sorted(SEES))
def test_each_persona_sees_exactly_its_cases(routed: World, cases: dict[str, Case], persona: str) -> None:
    user = getattr(routed, persona)
    names = {pk: name for name, case in cases.items() for pk in [case.pk]}
    assert {names[pk] for pk in cases_visible(user).values_list("pk", flat=True)} == SEES[persona]
    for name, case in cases.items():
        if name in SEES[persona]:
            assert case_get(user, case.pk) == case
        else:
            with pytest.raises(Http404):
                case_get(user, case.pk)


def test_a_handler_of_another_department_sees_only_its_own(routed: World, cases: dict[str, Case]) -> None:
    boc = handler_of("boc", "boc_handler")
    assert list(cases_visible(boc)) == [cases["c"]]


def test_an_inactive_or_anonymous_user_sees_nothing(routed: World, cases: dict[str, Case]) -> None:
    from django.contrib.auth.models import AnonymousUser

    routed.analyst.is_active = False
    assert not cases_visible(routed.analyst).exists()
    assert not cases_visible(AnonymousUser()).exists()


def test_a_handler_loses_a_case_dispatched_elsewhere(routed: World, cases: dict[str, Case]) -> None:
    case = cases["a"]
    case_transition(case, "returned", actor=routed.handler, note="非本行业务")
    case_assign(case, lead="boc", actor=routed.analyst)
    assert not cases_visible(routed.handler).filter(pk=case.pk).exists()


def test_the_work_list_puts_breached_cases_first_then_the_soonest_due(
    routed: World, settings: Any, time_machine: Any
) -> None:
    w = routed
    settings.EXPORTWATCH_TODAY = None
    time_machine.move_to(at(2020, 4, 13, 10), tick=False)
    old = dispatched(w, new_case(w, description="旧"))
    time_machine.move_to(at(2020, 4, 15, 10), tick=False)
    soon = dispatched(w, new_case(w, description="近"))
    time_machine.move_to(at(2020, 4, 16, 10), tick=False)
    later = dispatched(w, new_case(w, description="远"))
    working = accepted(w, new_case(w, description="办理中"))
    done = accepted(w, new_case(w, description="已答复"))
    case_transition(done, "replied", actor=w.handler, note="已答复")
    time_machine.move_to(at(2020, 4, 16, 11), tick=False)
    clocks_refresh()
    assert Case.objects.get(pk=old.pk).clock_state == "breached"  # 2 working days from Monday 10:00
    assert list(case_work_list(w.handler)) == [old, soon, later, working]  # accepted: due in 10 days
    assert not case_work_list(w.analyst).exists()


def test_the_triage_queue_holds_what_waits_for_the_bureau(routed: World, cases: dict[str, Case]) -> None:
    w = routed
    fresh = new_case(w, description="新")
    case_transition(cases["a"], "returned", actor=w.handler, note="请改派")
    assert set(case_triage_queue(w.analyst)) == {fresh, cases["a"]}
    assert not case_triage_queue(w.outsider).filter(pk=fresh.pk).exists()
    assert not case_triage_queue(w.handler).exists()


def test_performance_by_department_and_category_from_the_events(
    routed: World, settings: Any, time_machine: Any
) -> None:
    w = routed
    settings.EXPORTWATCH_TODAY = None
    time_machine.move_to(at(2020, 4, 15, 10), tick=False)  # Wednesday
    good = accepted(w, new_case(w, description="一"))
    time_machine.move_to(at(2020, 4, 17, 10), tick=False)  # 2 working days later
    case_transition(good, "replied", actor=w.handler, note="已办")
    case_transition(good, "confirmed", actor=w.reporter, rating=5)
    time_machine.move_to(at(2020, 4, 15, 12), tick=False)
    unhappy = accepted(w, new_case(w, description="二"))
    time_machine.move_to(at(2020, 4, 21, 12), tick=False)  # 4 working days
    case_transition(unhappy, "replied", actor=w.handler, note="已办")
    case_transition(unhappy, "confirmed", actor=w.reporter, rating=2)
    time_machine.move_to(at(2020, 4, 15, 14), tick=False)
    late = new_case(w, description="三", enterprise=w.ent_b, by=w.town_officer)  # never answered
    duplicate = new_case(w, description="四")
    case_merge(duplicate, late, actor=w.analyst)  # left out of every figure
    withdrawn = new_case(w, description="五", enterprise=w.ent_c, by=w.other_reporter)
    case_transition(withdrawn, "withdrawn", actor=w.other_reporter, note="已解决")

    now = at(2020, 4, 30, 10)
    rows = {r.key: r for r in case_performance(w.analyst, start=dt.date(2020, 4, 1), end=dt.date(2020, 4, 30), now=now)}
    abc = rows[w.handler.department_id]
    assert (abc.filed, abc.responded, abc.response_rate) == (2, 2, 1.0)
    assert (abc.resolved, abc.resolution_rate, abc.median_days_to_resolve) == (2, 1.0, 3.0)
    assert (abc.breached, abc.breach_rate, abc.rated, abc.mean_rating) == (0, 0.0, 2, 3.5)
    bureau = rows[""]
    assert bureau.label and bureau.filed == 2  # the unanswered case and the withdrawn one
    assert (bureau.responded, bureau.response_rate) == (0, 0.0)  # the withdrawn one is not counted
    assert (bureau.resolved, bureau.resolution_rate, bureau.median_days_to_resolve) == (0, 0.0, None)
    assert (bureau.breached, bureau.breach_rate, bureau.mean_rating) == (1, 0.5, None)

    (financing,) = case_performance(
        w.analyst, start=dt.date(2020, 4, 1), end=dt.date(2020, 4, 30), by="category", now=now
    )
    assert (financing.key, financing.filed, financing.breached) == ("financing", 4, 1)
    (everything,) = case_performance(w.analyst, start=dt.date(2020, 4, 1), end=dt.date(2020, 4, 30), by="all", now=now)
    assert everything.filed == 4
    assert case_performance(w.analyst, start=dt.date(2020, 5, 1), end=dt.date(2020, 5, 31), now=now) == []
    # A reporter's figures are their own enterprise's cases only.
    (own,) = case_performance(w.reporter, start=dt.date(2020, 4, 1), end=dt.date(2020, 4, 30), by="all", now=now)
    assert own.filed == 2
