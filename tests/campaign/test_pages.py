"""The campaign pages per persona: each town against its quota, the segments, the late and never-reporting lists,
the quota and schedule edits (audited) and the e-mail failures; an outsider gets nothing of ours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from exportwatch.campaign.models import ReminderPoint, TownQuota
from exportwatch.campaign.services import town_quota_set
from exportwatch.common.models import AuditEvent
from exportwatch.directory.models import Region, Segment
from exportwatch.notifications.models import EmailState, Kind, Notification
from tests.conftest import World
from tests.reporting.factories import submit

Login = Callable[[Any], Client]
PAGE = reverse("campaign:page")
TOWN_A, TOWN_B = "330213001", "330213100"


@pytest.fixture
def march(world: World, settings: Any) -> World:
    """March 2020 as of 2020-04-15: ent_a on time, ent_b late, ent_c and ent_far missing (ent_c reported in
    February, ent_far never); quotas: town A 2, town B 1."""
    settings.EXPORTWATCH_TODAY = dt.date(2020, 4, 15)
    submit(world.ent_c, "2020-02", on=dt.date(2020, 3, 3))
    submit(world.ent_a, "2020-03", on=dt.date(2020, 4, 3))
    submit(world.ent_b, "2020-03", on=dt.date(2020, 4, 9))
    world.ent_a.segments.add(Segment.objects.get(code="us_exporter"))
    town_quota_set(town=Region.objects.get(code=TOWN_A), expected=2, actor=world.analyst)
    town_quota_set(town=Region.objects.get(code=TOWN_B), expected=1, actor=world.analyst)
    return world


def towns(response: Any) -> dict[str, Any]:
    return {t.code: t for t in response.context["campaign"].towns}


def test_the_analyst_sees_each_town_against_its_quota(march: World, client_for: Login) -> None:
    response = client_for(march.analyst).get(PAGE, {"period": "2020-03"})
    assert response.status_code == 200
    rows = towns(response)
    a, b = rows[TOWN_A], rows[TOWN_B]
    assert (a.quota.expected, a.rates.expected, a.rates.reported, a.rates.on_time) == (2, 2, 2, 1)
    assert a.quota_attainment == 1.0 and a.quota_gap == 0
    assert a.rates.reporting_rate == 1.0 and a.rates.on_time_rate == 0.5
    assert (b.quota.expected, b.rates.reported, b.rates.missing, b.quota_gap) == (1, 0, 1, 1)
    assert b.quota_attainment == 0.0
    assert response.context["campaign"].quota_total == 3
    assert march.ent_far.name not in response.content.decode()


def test_the_segments_are_broken_down_with_the_same_rates(march: World, client_for: Login) -> None:
    response = client_for(march.analyst).get(PAGE, {"period": "2020-03"})
    segments = {s.code: s.rates for s in response.context["campaign"].segments}
    assert (segments["us_exporter"].expected, segments["us_exporter"].on_time) == (1, 1)
    assert (segments["head"].expected, segments["head"].reported) == (1, 1)  # ent_a exports 12 million
    assert segments["canton_fair"].expected == 0


def test_the_late_missing_and_never_reporting_lists(march: World, client_for: Login) -> None:
    campaign = client_for(march.analyst).get(PAGE, {"period": "2020-03"}).context["campaign"]
    assert [r.enterprise for r in campaign.late] == [march.ent_b]
    assert [r.enterprise for r in campaign.missing] == [march.ent_c]
    assert campaign.never == []  # ent_c reported in February


def test_the_lists_download_as_csv_and_excel(march: World, client_for: Login) -> None:
    client = client_for(march.analyst)
    response = client.get(PAGE, {"period": "2020-03", "list": "late", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="campaign-late-2020-03.csv"'
    text = b"".join(response.streaming_content).decode()
    assert march.ent_b.uscc in text and march.ent_a.uscc not in text
    response = client.get(PAGE, {"period": "2020-03", "list": "missing", "format": "xlsx"})
    assert response.status_code == 200
    assert client.get(PAGE, {"period": "2020-03", "list": "all", "format": "csv"}).status_code == 404
    assert client.get(PAGE, {"period": "March"}).status_code == 404


def test_the_town_officer_sees_their_town_only(march: World, client_for: Login) -> None:
    response = client_for(march.town_officer).get(PAGE, {"period": "2020-03"})
    assert response.status_code == 200
    assert set(towns(response)) == {TOWN_A}
    assert response.context["campaign"].missing == []
    assert march.ent_c.name not in response.content.decode()
    assert response.context["may_edit"] is False


def test_the_leader_reads_the_campaign(march: World, client_for: Login) -> None:
    response = client_for(march.leader).get(PAGE, {"period": "2020-03"})
    assert response.status_code == 200 and set(towns(response)) == {TOWN_A, TOWN_B}


def test_the_outsider_sees_nothing_of_ours(march: World, client_for: Login) -> None:
    client = client_for(march.outsider)
    response = client.get(PAGE, {"period": "2020-03"})
    assert response.status_code == 200
    assert not {TOWN_A, TOWN_B} & set(towns(response))
    body = response.content.decode()
    assert march.ent_b.name not in body and march.ent_c.name not in body
    text = b"".join(client.get(PAGE, {"period": "2020-03", "list": "late", "format": "csv"}).streaming_content)
    assert march.ent_b.uscc not in text.decode()
    assert client.get(reverse("campaign:quota_edit", args=[TOWN_A])).status_code == 404


@pytest.mark.parametrize("persona", ["reporter", "handler"])
def test_enterprise_reporters_and_department_handlers_are_refused(
    march: World, client_for: Login, persona: str
) -> None:
    client = client_for(getattr(march, persona))
    for url in (PAGE, reverse("campaign:schedule"), reverse("campaign:failures")):
        assert client.get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(march: World) -> None:
    response = Client().get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_analyst_changes_a_quota_and_it_is_audited(march: World, client_for: Login) -> None:
    url = reverse("campaign:quota_edit", args=[TOWN_B])
    client = client_for(march.analyst)
    assert client.get(url).status_code == 200
    response = client.post(url, {"expected": 5, "note": "new firms online"})
    assert response.status_code == 302
    assert TownQuota.objects.get(town_id=TOWN_B).expected == 5
    event = AuditEvent.objects.filter(action="quota.set", object_key=TOWN_B).latest("id")
    assert (event.actor, event.old, event.new) == (march.analyst, {"expected": 1, "frequency": "monthly"},
                                                   {"expected": 5, "frequency": "monthly"})  # fmt: skip
    assert event.note == "new firms online"
    assert client.post(url, {"expected": -1}).status_code == 200  # refused by the form
    assert TownQuota.objects.get(town_id=TOWN_B).expected == 5


def test_town_officers_and_leaders_may_not_change_quotas(march: World, client_for: Login) -> None:
    url = reverse("campaign:quota_edit", args=[TOWN_A])
    for persona in (march.town_officer, march.leader):
        assert client_for(persona).post(url, {"expected": 9}).status_code == 403
    assert TownQuota.objects.get(town_id=TOWN_A).expected == 2


def test_a_quota_change_without_a_csrf_token_is_refused(march: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(march.analyst)
    response = client.post(reverse("campaign:quota_edit", args=[TOWN_A]), {"expected": 9})
    assert response.status_code == 403
    assert TownQuota.objects.get(town_id=TOWN_A).expected == 2


def test_the_analyst_edits_the_schedule_as_data(march: World, client_for: Login) -> None:
    client = client_for(march.analyst)
    url = reverse("campaign:schedule")
    assert client.get(url).status_code == 200
    response = client.post(url, {"offset_days": 7, "town": TOWN_B, "segment": "canton_fair"})
    assert response.status_code == 302
    point = ReminderPoint.objects.get(offset_days=7)
    assert (point.town_id, point.segment, point.created_by) == (TOWN_B, "canton_fair", march.analyst)
    assert AuditEvent.objects.filter(action="reminder_point.create", object_key=str(point.pk)).exists()
    response = client.post(reverse("campaign:schedule_active", args=[point.pk]), {"active": "0"})
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.active is False
    assert AuditEvent.objects.filter(action="reminder_point.deactivate", object_key=str(point.pk)).exists()
    assert client.post(url, {"offset_days": 99}).status_code == 200  # out of range: the form says so
    assert not ReminderPoint.objects.filter(offset_days=99).exists()


def test_the_town_officer_reads_the_schedule_but_may_not_change_it(march: World, client_for: Login) -> None:
    client = client_for(march.town_officer)
    assert client.get(reverse("campaign:schedule")).status_code == 200
    assert client.post(reverse("campaign:schedule"), {"offset_days": 7}).status_code == 403
    point = ReminderPoint.objects.first()
    assert client.post(reverse("campaign:schedule_active", args=[point.pk]), {"active": "0"}).status_code == 403


def test_the_outsider_may_not_switch_off_a_point_of_our_town(march: World, client_for: Login) -> None:
    point = ReminderPoint.objects.create(offset_days=2, town_id=TOWN_A, created_at=dt.datetime.now(dt.UTC))
    response = client_for(march.outsider).post(reverse("campaign:schedule_active", args=[point.pk]), {"active": "0"})
    assert response.status_code == 404


def failed(user: Any, key: str) -> Notification:
    return Notification.objects.create(
        user=user,
        kind=Kind.REMINDER,
        dedupe_key=key,
        subject=f"subject {key}",
        created_at=dt.datetime(2020, 4, 5, tzinfo=dt.UTC),
        emailed_at=dt.datetime(2020, 4, 5, 1, tzinfo=dt.UTC),
        email_state=EmailState.FAILED,
        email_error="SMTPRecipientsRefused: 550 no such user",
    )


def test_the_analyst_sees_the_email_failures_of_their_scope(march: World, client_for: Login) -> None:
    ours = failed(march.reporter, "ours")
    failed(march.outsider, "theirs")
    response = client_for(march.analyst).get(reverse("campaign:failures"))
    assert response.status_code == 200
    assert [n.pk for n in response.context["paged"]] == [ours.pk]
    assert "550 no such user" in response.content.decode()
    # Some failures are out of their sight: retrying them all is for those who see every user.
    assert response.context["may_retry"] is False
    assert client_for(march.analyst).post(reverse("campaign:failures_retry")).status_code == 403


def test_the_outsider_does_not_see_our_email_failures(march: World, client_for: Login) -> None:
    failed(march.reporter, "ours")
    response = client_for(march.outsider).get(reverse("campaign:failures"))
    assert response.status_code == 200 and list(response.context["paged"]) == []


def test_town_officers_and_leaders_do_not_see_the_email_failures(march: World, client_for: Login) -> None:
    for persona in (march.town_officer, march.leader):
        assert client_for(persona).get(reverse("campaign:failures")).status_code == 403


def test_the_administrator_retries_the_failed_emails_and_it_is_audited(march: World, client_for: Login) -> None:
    notice = failed(march.reporter, "ours")
    client = client_for(march.admin)
    assert client.get(reverse("campaign:failures")).context["may_retry"] is True
    response = client.post(reverse("campaign:failures_retry"))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.email_state == EmailState.PENDING
    assert AuditEvent.objects.get(action="notification_email.retry").new == {"queued": 1}
    assert client.get(reverse("campaign:failures_retry")).status_code == 405


def test_the_navigation_links_the_campaign_for_bureau_users(march: World, client_for: Login) -> None:
    assert f'href="{PAGE}"' in client_for(march.town_officer).get(PAGE).content.decode()
    assert f'href="{PAGE}"' not in client_for(march.reporter).get(reverse("reporting:mine")).content.decode()
