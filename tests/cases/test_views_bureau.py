"""The bureau's case pages: the performance figures, the routing table and the working calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from exportwatch.cases.models import CalendarDay, RoutingRule
from exportwatch.cases.services import case_transition
from exportwatch.common.models import AuditEvent
from tests.cases.conftest import accepted, new_case
from tests.conftest import World


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return str(response.content.decode())


# --- Performance -------------------------------------------------------------------------------------------------


@pytest.fixture
def rated(routed: World) -> World:
    """One case answered and rated 4 by the enterprise, one still waiting for the bureau, both filed on the
    frozen day 2020-04-15."""
    w = routed
    case = accepted(w, new_case(w, description="贷款"))
    case_transition(case, "replied", actor=w.handler, note="已办")
    case_transition(case, "confirmed", actor=w.reporter, rating=4, note="满意")
    new_case(w, enterprise=w.ent_c, by=w.other_reporter, description="物流")
    return w


@pytest.mark.parametrize(
    ("persona", "status"),
    [("analyst", 200), ("leader", 200), ("admin", 200), ("outsider", 200)]
    + [(p, 403) for p in ("reporter", "town_officer", "handler")],
)
def test_the_performance_page_is_the_bureau_s(rated: World, persona: str, status: int) -> None:
    assert login(getattr(rated, persona)).get(reverse("cases:performance")).status_code == status


def test_the_performance_page_counts_the_stored_cases_of_the_year_so_far(rated: World) -> None:
    w = rated
    response = login(w.analyst).get(reverse("cases:performance"))
    total = response.context["total"]
    assert (total["filed"], total["resolved"], total["rated"], total["rating"]) == (2, 1, 1, "4.00")
    assert total["resolution_rate"] == "50.0 %"
    departments = {row["key"]: row for row in response.context["tables"]["department"]}
    ours = departments[w.handler.department_id]
    assert (ours["filed"], ours["resolved"], ours["resolution_rate"], ours["rating"]) == (1, 1, "100.0 %", "4.00")
    assert departments[""]["filed"] == 1  # the one the bureau has not dispatched
    categories = {row["key"]: row for row in response.context["tables"]["category"]}
    assert categories["financing"]["filed"] == 2
    page = text(response)
    assert 'id="by-department"' in page and 'id="by-category"' in page


def test_the_performance_page_takes_any_period(rated: World) -> None:
    w = rated
    response = login(w.analyst).get(reverse("cases:performance"), {"start": "2020-05-01", "end": "2020-05-31"})
    assert response.status_code == 200
    assert response.context["total"] is None and response.context["tables"]["department"] == []


def test_a_period_that_ends_before_it_starts_keeps_the_dates_and_says_why(rated: World) -> None:
    response = login(rated.analyst).get(reverse("cases:performance"), {"start": "2020-04-30", "end": "2020-04-01"})
    assert response.status_code == 400
    page = text(response)
    assert 'value="2020-04-30"' in page and 'value="2020-04-01"' in page
    assert response.context["form"].non_field_errors()


def test_the_outsider_s_figures_hold_none_of_ours(rated: World) -> None:
    response = login(rated.outsider).get(reverse("cases:performance"))
    assert response.context["total"] is None


# --- Routing table -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("analyst", 200), ("leader", 200), ("admin", 200)] + [(p, 403) for p in ("reporter", "town_officer", "handler")],
)
def test_the_routing_table_is_read_by_the_bureau(routed: World, persona: str, status: int) -> None:
    assert login(getattr(routed, persona)).get(reverse("cases:routing")).status_code == status


def test_the_routing_table_shows_each_category_s_route(routed: World) -> None:
    response = login(routed.analyst).get(reverse("cases:routing"))
    page = text(response)
    assert 'data-category="financing"' in page and 'data-lead="pboc"' in page
    assert response.context["may_edit"]


def test_an_analyst_changes_a_route_with_a_reason_and_the_change_is_shown(routed: World) -> None:
    w = routed
    client = login(w.analyst)
    url = reverse("cases:routing_edit", args=["financing"])
    form = client.get(url)
    assert form.status_code == 200 and form.context["form"].initial["lead"] == "pboc"
    response = client.post(
        url,
        {
            "lead": "boc",
            "co": ["finance"],
            "first_response_days": "1",
            "resolution_days": "7",
            "note": "甬贸贷由中行牵头",
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(category="financing")
    assert (rule.lead_department_id, rule.first_response_days, rule.resolution_days) == ("boc", 1, 7)
    assert AuditEvent.objects.filter(action="routing.change", actor=w.analyst, note="甬贸贷由中行牵头").exists()
    page = text(client.get(reverse("cases:routing")))
    assert "甬贸贷由中行牵头" in page and 'id="routing-changes"' in page


def test_a_route_change_without_a_reason_or_with_a_bad_limit_keeps_the_input(routed: World) -> None:
    url = reverse("cases:routing_edit", args=["logistics"])
    response = login(routed.analyst).post(
        url, {"lead": "port", "first_response_days": "0", "resolution_days": "12", "note": ""}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form["resolution_days"].value() == "12" and form["lead"].value() == "port"
    assert form.errors["first_response_days"] and form.errors["note"]
    assert RoutingRule.objects.get(category="logistics").lead_department_id == "transport"


@pytest.mark.parametrize("persona", ["leader", "town_officer", "handler", "reporter", "outsider"])
def test_only_the_bureau_s_analysts_change_a_route(routed: World, persona: str) -> None:
    url = reverse("cases:routing_edit", args=["financing"])
    data = {"lead": "boc", "first_response_days": "1", "resolution_days": "7", "note": "试试"}
    client = login(getattr(routed, persona))
    assert client.get(url).status_code == 403
    assert client.post(url, data).status_code == 403
    assert RoutingRule.objects.get(category="financing").lead_department_id == "pboc"


def test_an_unknown_category_has_no_route_page(routed: World) -> None:
    assert login(routed.analyst).get(reverse("cases:routing_edit", args=["nothing"])).status_code == 404


# --- Working calendar --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("analyst", 200), ("leader", 200), ("admin", 200)] + [(p, 403) for p in ("reporter", "town_officer", "handler")],
)
def test_the_calendar_is_read_by_the_bureau(routed: World, persona: str, status: int) -> None:
    assert login(getattr(routed, persona)).get(reverse("cases:calendar")).status_code == status


def test_the_calendar_shows_the_shipped_year(routed: World) -> None:
    response = login(routed.analyst).get(reverse("cases:calendar"), {"year": "2020"})
    calendar = response.context["calendar"]
    assert dt.date(2020, 1, 25) in calendar["holidays"]  # 春节
    assert dt.date(2020, 1, 19) in calendar["makeup_days"]  # a make-up Sunday
    assert calendar["published"] and not calendar["local"]


def test_an_analyst_enters_and_removes_a_day_and_both_are_audited(routed: World) -> None:
    w = routed
    client = login(w.analyst)
    url = reverse("cases:calendar")
    response = client.post(url, {"year": "2027", "date": "2027-02-05", "kind": "holiday", "note": "春节"})
    assert response.status_code == 302 and response["Location"].endswith("?year=2027")
    page = client.get(url, {"year": "2027"})
    assert dt.date(2027, 2, 5) in page.context["calendar"]["holidays"]
    assert 'data-date="2027-02-05"' in text(page)
    response = client.post(url, {"year": "2027", "date": "2027-02-05", "remove": "1"})
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "calendar.set",
        "calendar.remove",
    ]
    assert "calendar-changes" in text(client.get(url, {"year": "2027"}))


def test_a_make_up_day_on_a_weekday_is_refused_with_the_input_kept(routed: World) -> None:
    response = login(routed.analyst).post(
        reverse("cases:calendar"), {"year": "2027", "date": "2027-02-03", "kind": "makeup_workday", "note": "调休"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form["date"].value() == "2027-02-03" and form["note"].value() == "调休"
    assert form.errors["date"]
    assert not CalendarDay.objects.exists()


@pytest.mark.parametrize("persona", ["leader", "handler", "reporter", "outsider"])
def test_only_the_bureau_s_analysts_change_the_calendar(routed: World, persona: str) -> None:
    response = login(getattr(routed, persona)).post(
        reverse("cases:calendar"), {"date": "2027-02-05", "kind": "holiday"}
    )
    assert response.status_code == 403
    assert not CalendarDay.objects.exists()


def test_a_year_out_of_range_is_a_404(routed: World) -> None:
    assert login(routed.analyst).get(reverse("cases:calendar"), {"year": "20x"}).status_code == 404
