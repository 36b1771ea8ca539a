"""``GET /api/audit``: the audit trail for the same readers and in the same scope as the page, filtered, paged."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from exportwatch.accounts.models import ApiToken
from tests.common.test_audit_page import trail  # noqa: F401  (the fixture)
from tests.conftest import World

URL = "/api/audit"


def get(user: Any, **params: Any) -> Any:
    _token, raw = ApiToken.objects.issue(user=user, name="test")
    return Client().get(URL, params, HTTP_AUTHORIZATION=f"Bearer {raw}")


def keys(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["object_key"] for item in response.json()["items"]}


def test_an_analyst_and_a_leader_read_the_events_of_their_district_only(trail: World) -> None:  # noqa: F811
    ours = {f"{trail.ent_a.uscc}/2020-03", f"{trail.ent_c.uscc}/2020-03", "financing"}
    for user in (trail.analyst, trail.leader):
        assert keys(get(user)) == ours
    assert keys(get(trail.outsider)) == {f"{trail.ent_far.uscc}/2020-03"}
    assert keys(get(trail.outsider, uscc=trail.ent_a.uscc)) == set()  # another district's enterprise: nothing
    assert len(keys(get(trail.admin))) == 4


@pytest.mark.parametrize("persona", ["reporter", "town_officer", "handler"])
def test_other_roles_are_refused(trail: World, persona: str) -> None:  # noqa: F811
    assert get(getattr(trail, persona)).status_code == 403


def test_without_a_token_the_answer_is_401(trail: World) -> None:  # noqa: F811
    assert Client().get(URL).status_code == 401


def test_an_event_carries_who_what_and_the_values_before_and_after(trail: World) -> None:  # noqa: F811
    items = get(trail.analyst, uscc=trail.ent_a.uscc).json()["items"]
    assert [i["action"] for i in items] == ["report.resubmit", "report.submit"]  # newest first
    newest, first = items
    assert newest["actor"] == trail.town_officer.username
    assert first["old"] is None and first["new"]["version"] == 1
    assert newest["old"]["exports_usd"] != newest["new"]["exports_usd"] == "1200000.00"
    assert newest["region_path"].startswith(trail.analyst.region.path)


def test_the_filters_and_the_pages(trail: World) -> None:  # noqa: F811
    assert keys(get(trail.analyst, object_type="routing_rule")) == {"financing"}
    assert keys(get(trail.analyst, action="report.resubmit")) == {f"{trail.ent_a.uscc}/2020-03"}
    assert keys(get(trail.analyst, date_from="2020-04-08", date_to="2020-04-08")) == {
        f"{trail.ent_a.uscc}/2020-03",
        f"{trail.ent_c.uscc}/2020-03",
        "financing",
    }
    assert keys(get(trail.analyst, date_to="2020-04-07")) == {f"{trail.ent_a.uscc}/2020-03"}
    first, second = get(trail.analyst, limit=2).json(), get(trail.analyst, limit=2, offset=2).json()
    assert (first["more"], len(first["items"]), second["more"], len(second["items"])) == (True, 2, False, 2)
    every = [i["object_key"] for i in get(trail.analyst).json()["items"]]
    assert [i["object_key"] for i in first["items"] + second["items"]] == every
    assert get(trail.analyst, date_from="April").status_code == 422
