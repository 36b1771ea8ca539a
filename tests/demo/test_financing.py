"""The demo's white-list campaign: entries approved, rejected, referred and answered through the services, each step
audited and dated before the demo date (a dozen enterprises, not the whole demo district)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from exportwatch.common.models import AuditEvent
from exportwatch.demo.financing import LIST_DRAWN_UP, demo_financing_play, demo_whitelist_draw_up
from exportwatch.directory.models import Enterprise, Region
from exportwatch.finance.models import Referral, WhitelistEntry
from exportwatch.finance.services import entry_decide, whitelist_refresh
from exportwatch.reporting.models import Need, Source
from tests.api.conftest import reference_for_module  # noqa: F401
from tests.cases.conftest import CST
from tests.conftest import World, make_uscc

CUTOFF = dt.datetime(2020, 4, 15, tzinfo=CST)  # the demo date (tests/settings.py), at its start
PLAYED = ("whitelist.approve", "whitelist.reject", "whitelist.refer", "whitelist.outcome")


@pytest.fixture(autouse=True)
def _reference(reference_for_module: None) -> None:  # noqa: F811
    """The reference data, loaded once per module."""


def bulk_need(enterprise: Any, category: str, day: dt.date, serial: int, amount: int | None = None) -> Need:
    """A need loaded as the demo loads them (past the services, with no case)."""
    Need.objects.bulk_create(
        [
            Need(
                enterprise=enterprise,
                date=day,
                category=category,
                amount_usd=None if amount is None else Decimal(amount),
                urgency="normal",
                description=f"演示资金需求{serial}",
                source=Source.DEMO,
                created_at=dt.datetime.combine(day, dt.time(10), tzinfo=CST),
                fingerprint=f"demo-financing-{serial:04d}",
            )
        ]
    )
    return Need.objects.get(fingerprint=f"demo-financing-{serial:04d}")


@pytest.fixture
def campaign(world: World) -> World:
    """The personas' district with ten more exporters on the list, most of which asked for money this spring (one
    on the eve of the demo date), the list drawn up when the campaign began and judged again on the demo date."""
    w = world
    town = Region.objects.get(code="330213001")
    bulk_need(w.ent_b, "financing", dt.date(2020, 2, 10), 1, amount=300_000)
    for i in range(10):
        e = Enterprise.objects.create(
            uscc=make_uscc(900 + i),
            name=f"宁波演示{i}贸易有限公司",
            customs_code=f"3302{900 + i:06d}",
            town=town,
            industry_id="34",
            exports_last_year_usd=Decimal(1_500_000 + 400_000 * i),
            imports_last_year_usd=Decimal(200_000),
            contact_name="李会计",
            contact_phone="13900000000",
        )
        category = "credit_insurance" if i % 3 == 0 else "financing"
        if i < 8:
            bulk_need(e, category, dt.date(2020, 2, 20) + dt.timedelta(days=4 * i), 10 + i, amount=200_000 + 50_000 * i)
        elif i == 8:
            bulk_need(e, "financing", dt.date(2020, 4, 14), 18, amount=500_000)
    assert demo_whitelist_draw_up()
    whitelist_refresh()
    return w


def played() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__in=PLAYED))


def test_the_list_is_drawn_up_when_the_campaign_began_and_only_once(world: World) -> None:
    assert demo_whitelist_draw_up()

    drawn_up = dt.datetime.combine(LIST_DRAWN_UP, dt.time(9), tzinfo=CST)
    assert set(WhitelistEntry.objects.values_list("first_eligible_at", flat=True)) == {drawn_up}
    assert not demo_whitelist_draw_up()


def test_the_analyst_reviews_those_who_asked_for_money_and_refers_the_approved(campaign: World) -> None:
    summary = demo_financing_play(analyst=campaign.analyst)

    assert summary.approved >= 5 and summary.rejected >= 1 and summary.referrals >= 5
    assert summary.granted >= 1 and summary.refused >= 1 and summary.awaiting >= 1
    assert summary.granted_usd == sum(Referral.objects.filter(outcome="granted").values_list("granted_usd", flat=True))
    b = WhitelistEntry.objects.get(enterprise=campaign.ent_b)
    assert b.approval in ("approved", "rejected") and b.decided_by == campaign.analyst
    assert dt.date(2020, 2, 25) <= b.decided_at.astimezone(CST).date() <= dt.date(2020, 2, 27)
    # Nothing pressed for ent_a's review; the need of the demo date's eve is reviewed on the day.
    assert WhitelistEntry.objects.get(enterprise=campaign.ent_a).approval == "pending"
    assert WhitelistEntry.objects.get(enterprise__uscc=make_uscc(908)).approval == "pending"
    for r in Referral.objects.select_related("institution"):
        kinds = {"export_credit_insurance": "credit_insurer"}.get(r.product, "bank")
        assert r.institution.kind == kinds and r.referred_by == campaign.analyst
    assert set(Referral.objects.values_list("outcome", flat=True)) <= {"pending", "granted", "refused"}


def test_nothing_is_dated_on_the_demo_day_or_later(campaign: World) -> None:
    demo_financing_play(analyst=campaign.analyst)

    assert played() and all(a.at < CUTOFF for a in played())
    assert not WhitelistEntry.objects.filter(decided_at__gte=CUTOFF).exists()
    assert not Referral.objects.filter(referred_at__gte=CUTOFF).exists()
    assert not Referral.objects.filter(outcome_at__gte=CUTOFF).exists()
    assert not Referral.objects.filter(granted_on__gte=CUTOFF.date()).exists()
    for r in Referral.objects.exclude(outcome="pending"):
        assert r.referred_at < r.outcome_at
        assert r.granted_on is None or r.granted_on >= r.referred_at.astimezone(CST).date()


def test_every_decision_referral_and_outcome_has_its_audit_event(campaign: World) -> None:
    demo_financing_play(analyst=campaign.analyst)

    for entry in WhitelistEntry.objects.exclude(approval="pending").select_related("enterprise"):
        action = "whitelist.approve" if entry.approval == "approved" else "whitelist.reject"
        event = AuditEvent.objects.get(action=action, object_key=entry.enterprise.uscc)
        assert event.at == entry.decided_at and event.actor == campaign.analyst
    for r in Referral.objects.all():
        refer = AuditEvent.objects.get(action="whitelist.refer", object_key=str(r.pk))
        assert refer.at == r.referred_at
        outcomes = AuditEvent.objects.filter(action="whitelist.outcome", object_key=str(r.pk))
        if r.outcome == "pending":
            assert not outcomes.exists()
        else:
            assert outcomes.get().at == r.outcome_at
            # The bank's own handler answered where it has one (the world's handler is abc's), the analyst otherwise.
            assert r.outcome_by == (campaign.handler if r.institution_id == "abc" else campaign.analyst)
    assert len(played()) == (
        WhitelistEntry.objects.exclude(approval="pending").count()
        + Referral.objects.count()
        + Referral.objects.exclude(outcome="pending").count()
    )


def test_only_approved_entries_are_referred_and_answered(campaign: World) -> None:
    demo_financing_play(analyst=campaign.analyst)

    assert not Referral.objects.exclude(entry__approval="approved").exists()
    for entry in WhitelistEntry.objects.filter(approval="rejected"):
        assert entry.decision_note and not entry.referrals.exists()
    for r in Referral.objects.filter(outcome="granted"):
        assert r.granted_usd > 0 and r.granted_usd % 10_000 == 0
    assert all(r.refusal_reason for r in Referral.objects.filter(outcome="refused"))


def _state() -> list[tuple[Any, ...]]:
    entries = WhitelistEntry.objects.order_by("enterprise__uscc").values_list(
        "enterprise__uscc", "approval", "decided_at", "decision_note"
    )
    referrals = Referral.objects.order_by("entry__enterprise__uscc", "product").values_list(
        "entry__enterprise__uscc", "product", "institution_id", "referred_at", "outcome", "granted_usd", "granted_on"
    )
    return [*entries, *referrals]


def test_it_plays_the_same_campaign_every_time(campaign: World) -> None:
    with transaction.atomic():
        demo_financing_play(analyst=campaign.analyst)
        first = _state()
        transaction.set_rollback(True)
    assert not Referral.objects.exists()

    demo_financing_play(analyst=campaign.analyst)

    assert _state() == first


def test_playing_it_again_changes_nothing(campaign: World) -> None:
    demo_financing_play(analyst=campaign.analyst)
    before, audit = _state(), AuditEvent.objects.count()

    again = demo_financing_play(analyst=campaign.analyst)

    assert (again.approved, again.rejected, again.referrals, again.granted, again.refused) == (0, 0, 0, 0, 0)
    assert (_state(), AuditEvent.objects.count()) == (before, audit)


def test_an_entry_the_analyst_already_decided_is_left_alone(campaign: World) -> None:
    b = WhitelistEntry.objects.get(enterprise=campaign.ent_b)
    entry_decide(entry=b, decision="rejected", actor=campaign.analyst, note="企业已停产")

    demo_financing_play(analyst=campaign.analyst)

    b.refresh_from_db()
    assert (b.approval, b.decision_note) == ("rejected", "企业已停产") and not b.referrals.exists()
