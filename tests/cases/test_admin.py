"""The administrator keeps the routing table and the local calendar in the admin, through the services (audited)."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from exportwatch.cases.models import CalendarDay, RoutingRule
from exportwatch.common.models import AuditEvent
from tests.conftest import World


def test_an_admin_edit_of_a_routing_rule_goes_through_the_service(client: Client, routed: World) -> None:
    client.force_login(routed.admin)
    rule = RoutingRule.objects.get(category="logistics")
    form = {
        "lead_department": "port",
        "co_departments": ["transport"],
        "first_response_days": "1",
        "resolution_days": "8",
    }
    response = client.post(f"/admin/cases/routingrule/{rule.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    rule.refresh_from_db()
    assert (rule.lead_department_id, rule.first_response_days, rule.resolution_days) == ("port", 1, 8)
    assert list(rule.co_departments.values_list("code", flat=True)) == ["transport"]
    audit = AuditEvent.objects.get(action="routing.change", object_key="logistics")
    assert (audit.actor, audit.old["lead"], audit.new["lead"]) == (routed.admin, "transport", "port")


def test_an_admin_enters_next_year_s_holidays(client: Client, routed: World) -> None:
    client.force_login(routed.admin)
    response = client.post("/admin/cases/calendarday/add/", {"date": "2030-10-01", "kind": "holiday", "note": "国庆节"})
    assert response.status_code == 302
    day = CalendarDay.objects.get()
    assert (day.date, day.kind, day.updated_by) == (dt.date(2030, 10, 1), "holiday", routed.admin)
    assert AuditEvent.objects.filter(action="calendar.set", object_key="2030-10-01").exists()
    refused = client.post("/admin/cases/calendarday/add/", {"date": "2030-10-02", "kind": "makeup_workday"})
    assert refused.status_code == 200 and CalendarDay.objects.count() == 1  # a Wednesday: the form says why
