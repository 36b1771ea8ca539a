"""Bureau pages: the enterprise list, an enterprise's page and the reporting status, persona by persona."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from exportwatch.common.scoping import enterprises_visible
from exportwatch.directory.models import Enterprise
from exportwatch.reporting.models import Report
from exportwatch.reporting.selectors import reporting_status_by_town, reporting_status_rows
from tests.conftest import World, make_uscc
from tests.reporting.factories import submit

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL = ("ent_a", "ent_b", "ent_c", "ent_far")
VISIBLE = {
    "reporter": ("ent_a",),
    "other_reporter": ("ent_c",),
    "town_officer": ("ent_a", "ent_b"),
    "analyst": ("ent_a", "ent_b", "ent_c"),
    "leader": ("ent_a", "ent_b", "ent_c"),
    "handler": (),
    "outsider": ("ent_far",),
    "admin": ALL,
}


def as_(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def listed(response: Any) -> list[str]:
    return [e.uscc for e in response.context["page"].object_list]


def usccs(world: World, *keys: str) -> set[str]:
    return {getattr(world, k).uscc for k in keys}


# --- The enterprise list ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("analyst", ("ent_a", "ent_b", "ent_c")),
        ("leader", ("ent_a", "ent_b", "ent_c")),
        ("town_officer", ("ent_a", "ent_b")),
        ("outsider", ("ent_far",)),
        ("admin", ALL),
    ],
)
def test_the_enterprise_list_shows_each_bureau_persona_its_scope(
    client: Client, world: World, persona: str, expected: tuple[str, ...]
) -> None:
    response = as_(client, getattr(world, persona)).get("/bureau/enterprises/")
    assert response.status_code == 200
    assert set(listed(response)) == usccs(world, *expected)
    html = response.content.decode()
    for key in ALL:
        assert (getattr(world, key).uscc in html) == (key in expected)


@pytest.mark.parametrize("persona", ["reporter", "other_reporter", "handler"])
def test_the_enterprise_list_is_404_for_non_bureau_roles(client: Client, world: World, persona: str) -> None:
    assert as_(client, getattr(world, persona)).get("/bureau/enterprises/").status_code == 404


def test_the_enterprise_list_asks_anonymous_users_to_log_in(client: Client, world: World) -> None:
    response = client.get("/bureau/enterprises/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_the_enterprise_list_filters_by_town(client: Client, world: World) -> None:
    response = as_(client, world.analyst).get("/bureau/enterprises/", {"town": "330213100"})
    assert set(listed(response)) == usccs(world, "ent_c")


def test_a_town_filter_cannot_widen_a_town_officers_scope(client: Client, world: World) -> None:
    response = as_(client, world.town_officer).get("/bureau/enterprises/", {"town": "330213100"})
    assert listed(response) == []


def test_the_town_filter_offers_only_the_towns_in_scope(client: Client, world: World) -> None:
    officer = as_(client, world.town_officer).get("/bureau/enterprises/")
    assert [t.code for t in officer.context["towns"]] == ["330213001"]
    analyst = as_(client, world.analyst).get("/bureau/enterprises/")
    assert len(analyst.context["towns"]) == 12


def test_the_industry_filter_offers_only_the_industries_in_scope(client: Client, world: World) -> None:
    response = as_(client, world.analyst).get("/bureau/enterprises/")
    assert [i.code for i in response.context["industries"]] == ["34"]  # ent_far's "51" is outside


def test_the_enterprise_list_filters_by_industry(client: Client, world: World) -> None:
    Enterprise.objects.filter(pk=world.ent_b.pk).update(industry_id="18")
    response = as_(client, world.analyst).get("/bureau/enterprises/", {"industry": "18"})
    assert set(listed(response)) == usccs(world, "ent_b")


def test_the_enterprise_list_filters_by_segment(client: Client, world: World) -> None:
    world.ent_c.segments.add("us_exporter")
    world.ent_far.segments.add("us_exporter")
    response = as_(client, world.analyst).get("/bureau/enterprises/", {"segment": "us_exporter"})
    assert set(listed(response)) == usccs(world, "ent_c")


def test_an_enterprise_with_two_segments_is_listed_once(client: Client, world: World) -> None:
    world.ent_a.segments.add("us_exporter", "canton_fair")
    response = as_(client, world.analyst).get("/bureau/enterprises/")
    assert sorted(listed(response)) == sorted(usccs(world, "ent_a", "ent_b", "ent_c"))


@pytest.mark.parametrize(("tier", "expected"), [("head", "ent_a"), ("whitelist", "ent_b"), ("other", "ent_c")])
def test_the_enterprise_list_filters_by_tier(client: Client, world: World, tier: str, expected: str) -> None:
    response = as_(client, world.analyst).get("/bureau/enterprises/", {"tier": tier})
    assert set(listed(response)) == usccs(world, expected)


def test_an_unknown_tier_is_ignored(client: Client, world: World) -> None:
    response = as_(client, world.analyst).get("/bureau/enterprises/", {"tier": "vip"})
    assert len(listed(response)) == 3


@pytest.mark.parametrize(
    ("q", "expected"),
    [("乙服饰", "ent_b"), (make_uscc(3)[-6:].lower(), "ent_c"), ("3302000001", "ent_a")],
)
def test_the_enterprise_list_searches_name_credit_code_and_customs_code(
    client: Client, world: World, q: str, expected: str
) -> None:
    response = as_(client, world.analyst).get("/bureau/enterprises/", {"q": q})
    assert set(listed(response)) == usccs(world, expected)


def test_a_search_does_not_find_an_enterprise_outside_the_scope(client: Client, world: World) -> None:
    response = as_(client, world.analyst).get("/bureau/enterprises/", {"q": "海曙远方"})
    assert listed(response) == []


def test_the_enterprise_list_is_paginated_by_fifty(client: Client, world: World) -> None:
    Enterprise.objects.bulk_create(
        Enterprise(
            uscc=make_uscc(1000 + i),
            name=f"宁波测试{i:03d}有限公司",
            town=world.ent_a.town,
            industry_id="34",
            exports_last_year_usd=Decimal(100_000),
            imports_last_year_usd=Decimal(0),
        )
        for i in range(55)
    )
    first = as_(client, world.analyst).get("/bureau/enterprises/")
    second = client.get("/bureau/enterprises/", {"page": 2})
    beyond = client.get("/bureau/enterprises/", {"page": 99})
    assert first.context["page"].paginator.count == 58
    assert len(listed(first)) == 50
    assert len(listed(second)) == 8
    assert not set(listed(first)) & set(listed(second))
    assert listed(beyond) == listed(second)
    assert 'page=2"' in first.content.decode() or "page=2" in first.content.decode()


def test_the_pagination_links_keep_the_filters(client: Client, world: World) -> None:
    Enterprise.objects.bulk_create(
        Enterprise(
            uscc=make_uscc(2000 + i),
            name=f"宁波测试{i:03d}有限公司",
            town=world.ent_a.town,
            industry_id="34",
            exports_last_year_usd=Decimal(100_000),
            imports_last_year_usd=Decimal(0),
        )
        for i in range(55)
    )
    response = as_(client, world.analyst).get("/bureau/enterprises/", {"q": "测试", "page": 1})
    assert response.context["query"] == "q=%E6%B5%8B%E8%AF%95"
    assert "q=%E6%B5%8B%E8%AF%95&amp;page=2" in response.content.decode()


# --- An enterprise's page --------------------------------------------------------------------


@pytest.mark.parametrize("persona", VISIBLE.keys())
def test_an_enterprise_page_is_shown_in_scope_and_404_outside_it(client: Client, world: World, persona: str) -> None:
    as_(client, getattr(world, persona))
    for key in ALL:
        enterprise = getattr(world, key)
        response = client.get(f"/bureau/enterprises/{enterprise.uscc}/")
        expected = 200 if key in VISIBLE[persona] else 404
        assert response.status_code == expected, (persona, key)
        if expected == 404:
            assert enterprise.name not in response.content.decode()


def test_an_enterprise_page_shows_its_reports(client: Client, world: World) -> None:
    submit(world.ent_a, "2020-02", by=world.reporter)
    response = as_(client, world.analyst).get(f"/bureau/enterprises/{world.ent_a.uscc}/")
    assert response.status_code == 200
    assert [r.period for r in response.context["history"]] == ["2020-02"]
    assert world.ent_a.name in response.content.decode()


def test_an_enterprise_page_offers_reporting_only_to_those_who_may_report(client: Client, world: World) -> None:
    url = f"/bureau/enterprises/{world.ent_a.uscc}/"
    assert as_(client, world.town_officer).get(url).context["can_report"] is True
    assert as_(client, world.leader).get(url).context["can_report"] is False


def test_an_unknown_enterprise_page_is_404(client: Client, world: World) -> None:
    assert as_(client, world.admin).get(f"/bureau/enterprises/{make_uscc(999)}/").status_code == 404


# --- The reporting status --------------------------------------------------------------------


def _statuses(response: Any) -> dict[str, str]:
    return {row.enterprise.uscc: row.status for row in response.context["rows"]}


@pytest.fixture
def march(world: World) -> World:
    """ent_a reported March on time, ent_b late, ent_c not at all (deadline 2020-04-05, today 2020-04-15)."""
    submit(world.ent_a, "2020-03", by=world.reporter, on=dt.date(2020, 4, 3))
    submit(world.ent_b, "2020-03", by=world.town_officer, on=dt.date(2020, 4, 10))
    return world


def test_the_status_page_defaults_to_last_month(client: Client, march: World) -> None:
    response = as_(client, march.analyst).get("/bureau/status/")
    assert response.status_code == 200
    assert response.context["period"] == "2020-03"
    assert response.context["deadline"] == dt.date(2020, 4, 5)


def test_the_status_page_tells_on_time_late_and_missing_apart(client: Client, march: World) -> None:
    response = as_(client, march.analyst).get("/bureau/status/", {"period": "2020-03"})
    assert _statuses(response) == {march.ent_a.uscc: "on_time", march.ent_b.uscc: "late", march.ent_c.uscc: "missing"}
    assert response.context["totals"] == {"on_time": 1, "late": 1, "missing": 1, "pending": 0}
    assert response.context["expected"] == 3


def test_the_status_page_lists_the_missing_first(client: Client, march: World) -> None:
    response = as_(client, march.analyst).get("/bureau/status/", {"period": "2020-03"})
    assert [r.status for r in response.context["rows"]] == ["missing", "late", "on_time"]


def test_a_report_not_yet_due_is_pending_not_missing(client: Client, march: World) -> None:
    submit(march.ent_a, "2020-04", on=dt.date(2020, 4, 15))
    response = as_(client, march.analyst).get("/bureau/status/", {"period": "2020-04"})
    assert _statuses(response) == {
        march.ent_a.uscc: "on_time",
        march.ent_b.uscc: "pending",
        march.ent_c.uscc: "pending",
    }


def test_the_status_counts_by_town(march: World) -> None:
    rows = reporting_status_rows(enterprises=enterprises_visible(march.analyst), period="2020-03")
    towns = {t.code: t for t in reporting_status_by_town(rows)}
    assert set(towns) == {"330213001", "330213100"}
    town_a, town_b = towns["330213001"], towns["330213100"]
    assert (town_a.counts["on_time"], town_a.counts["late"], town_a.expected, town_a.submitted) == (1, 1, 2, 2)
    assert town_a.rate == 1.0
    assert (town_b.counts["missing"], town_b.expected, town_b.submitted, town_b.rate) == (1, 1, 0, 0.0)


def test_the_status_page_shows_the_counts_by_town(client: Client, march: World) -> None:
    html = as_(client, march.analyst).get("/bureau/status/", {"period": "2020-03"}).content.decode()
    rows = dict(re.findall(r'<tr data-town="(\d+)">(.*?)</tr>', html, flags=re.S))
    assert set(rows) == {"330213001", "330213100"}
    cells = re.findall(r'<td class="num">(\d+)</td>', rows["330213001"])
    assert cells[:2] == ["2", "2"]  # expected, submitted


def test_a_town_officer_sees_the_status_of_the_own_town_only(client: Client, march: World) -> None:
    response = as_(client, march.town_officer).get("/bureau/status/", {"period": "2020-03"})
    assert _statuses(response) == {march.ent_a.uscc: "on_time", march.ent_b.uscc: "late"}
    assert [t.code for t in response.context["towns"]] == ["330213001"]


def test_the_status_page_filters_by_status(client: Client, march: World) -> None:
    response = as_(client, march.analyst).get("/bureau/status/", {"period": "2020-03", "status": "missing"})
    assert [r.enterprise.uscc for r in response.context["rows"]] == [march.ent_c.uscc]
    assert response.context["totals"]["on_time"] == 1


def test_a_correction_after_the_deadline_does_not_make_an_on_time_report_late(client: Client, march: World) -> None:
    submit(march.ent_a, "2020-03", by=march.reporter, on=dt.date(2020, 4, 12), exports_usd=Decimal("1234.00"))
    assert Report.objects.filter(enterprise=march.ent_a, period="2020-03").count() == 2
    response = as_(client, march.analyst).get("/bureau/status/", {"period": "2020-03"})
    row = next(r for r in response.context["rows"] if r.enterprise == march.ent_a)
    assert row.status == "on_time"
    assert row.versions == 2


@pytest.mark.parametrize(
    ("local_time", "expected"),
    [(dt.datetime(2020, 4, 5, 23, 30), "on_time"), (dt.datetime(2020, 4, 6, 0, 10), "late")],
)
def test_the_deadline_is_judged_on_the_local_day(
    client: Client, world: World, local_time: dt.datetime, expected: str
) -> None:
    report = submit(world.ent_c, "2020-03").report
    Report.objects.filter(pk=report.pk).update(submitted_at=local_time.replace(tzinfo=SHANGHAI))
    response = as_(client, world.analyst).get("/bureau/status/", {"period": "2020-03"})
    assert _statuses(response)[world.ent_c.uscc] == expected


def test_the_status_page_shows_the_enterprises_and_counts(client: Client, march: World) -> None:
    html = as_(client, march.analyst).get("/bureau/status/", {"period": "2020-03"}).content.decode()
    for enterprise in (march.ent_a, march.ent_b, march.ent_c):
        assert enterprise.name in html
    assert march.ent_far.name not in html


def test_an_outsider_sees_no_status_of_our_district(client: Client, march: World) -> None:
    response = as_(client, march.outsider).get("/bureau/status/", {"period": "2020-03"})
    assert response.status_code == 200
    assert _statuses(response) == {march.ent_far.uscc: "missing"}
    assert march.ent_a.name not in response.content.decode()


@pytest.mark.parametrize("period", ["2020-13", "March", "2020-3x"])
def test_a_bad_status_period_is_404(client: Client, world: World, period: str) -> None:
    assert as_(client, world.analyst).get("/bureau/status/", {"period": period}).status_code == 404


@pytest.mark.parametrize("persona", ["reporter", "other_reporter", "handler"])
def test_the_status_page_is_404_for_non_bureau_roles(client: Client, world: World, persona: str) -> None:
    assert as_(client, getattr(world, persona)).get("/bureau/status/").status_code == 404


def test_the_status_page_asks_anonymous_users_to_log_in(client: Client, world: World) -> None:
    response = client.get("/bureau/status/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
