"""The white-list services: the refresh from data, the analyst's decision, referrals and outcomes, all audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from exportwatch.common.models import AuditEvent
from exportwatch.directory.models import Department, Enterprise
from exportwatch.finance import services
from exportwatch.finance.models import WhitelistEntry
from exportwatch.finance.services import (
    WhitelistRefused,
    entry_decide,
    referral_create,
    referral_record_outcome,
    whitelist_refresh,
)
from exportwatch.warnings.models import Warning
from tests.conftest import World
from tests.finance.conftest import entry_of, file_need

pytestmark = pytest.mark.django_db


def audits(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_the_refresh_lists_the_qualifying_enterprises_with_their_reasons(world: World) -> None:
    result = whitelist_refresh()
    listed = set(WhitelistEntry.objects.values_list("enterprise__uscc", flat=True))
    assert listed == {world.ent_a.uscc, world.ent_b.uscc, world.ent_far.uscc}  # ent_c trades 0.4 M: not
    assert result.added == 3 and result.eligible == 3
    b = entry_of(world.ent_b)
    assert b.eligible and b.approval == "pending"
    assert b.reason == "上年进出口额110万美元（出口80万美元，进口30万美元），达到白名单标准100万美元"
    assert b.figures["trade_usd"] == "1100000.00" and b.figures["threshold_usd"] == "1000000"
    assert {e.object_key for e in audits("whitelist.add")} == listed


def test_the_refresh_is_idempotent(world: World) -> None:
    whitelist_refresh()
    before = list(WhitelistEntry.objects.order_by("pk").values("pk", "reason", "priority", "eligible", "figures"))
    n_audits = AuditEvent.objects.count()
    result = whitelist_refresh()
    assert (result.added, result.updated, result.unchanged) == (0, 0, 3)
    assert AuditEvent.objects.count() == n_audits
    assert list(WhitelistEntry.objects.order_by("pk").values("pk", "reason", "priority", "eligible", "figures")) == (
        before
    )


def test_the_refresh_keeps_the_approval_and_marks_an_enterprise_that_stops_qualifying(world: World) -> None:
    whitelist_refresh()
    entry_decide(entry=entry_of(world.ent_b), decision="approved", actor=world.analyst)
    Enterprise.objects.filter(pk=world.ent_b.pk).update(imports_last_year_usd=Decimal(0))
    result = whitelist_refresh()
    b = entry_of(world.ent_b)
    assert result.no_longer_eligible == 1 and result.eligible == 2
    assert not b.eligible and b.ineligible_since is not None and b.approval == "approved"
    assert "低于白名单标准" in b.reason
    change = audits("whitelist.refresh")[-1]
    assert change.object_key == world.ent_b.uscc
    assert change.old["eligible"] is True and change.new["eligible"] is False
    Enterprise.objects.filter(pk=world.ent_b.pk).update(imports_last_year_usd=Decimal(300_000))
    whitelist_refresh()
    b = entry_of(world.ent_b)
    assert b.eligible and b.ineligible_since is None and b.approval == "approved"


def test_an_urgent_financing_need_raises_the_priority_and_matches_loans(world: World) -> None:
    whitelist_refresh()
    assert entry_of(world.ent_b).priority == "normal"
    file_need(world.ent_b, by=world.town_officer, urgency="urgent")
    whitelist_refresh()
    b = entry_of(world.ent_b)
    assert b.priority == "high" and b.money_needs_usd == Decimal(300_000)
    assert sorted(b.matches.values_list("product", flat=True)) == ["credit_insurance_loan", "guaranteed_loan"]
    assert any("融资1项" in r["zh"] for r in b.priority_reasons)
    change = audits("whitelist.refresh")[-1]
    assert change.old["priority"] == "normal" and change.new["priority"] == "high"


def test_a_need_whose_case_is_closed_no_longer_counts(world: World) -> None:
    from exportwatch.cases.models import Case

    need = file_need(world.ent_b, by=world.town_officer, urgency="urgent")
    whitelist_refresh()
    assert entry_of(world.ent_b).priority == "high"
    Case.objects.filter(need=need).update(state="closed")
    whitelist_refresh()
    assert entry_of(world.ent_b).priority == "normal"


def test_the_worst_open_warning_sets_the_priority(world: World) -> None:
    Warning.objects.create(
        period="2020-03", scope="enterprise", key=world.ent_a.uscc, name="甲", rule="exports_yoy", level="red",
        value=-0.6, threshold=-0.5, first_period="2020-03", evaluated_at="2020-04-10T10:00:00+08:00",
        details={"facts": {"main_market_in_warning": True}},
    )  # fmt: skip
    whitelist_refresh()
    a = entry_of(world.ent_a)
    assert a.priority == "high" and a.figures["worst_warning"] == "red"
    products = set(a.matches.values_list("product", flat=True))
    assert "export_credit_insurance" in products and "credit_loan" not in products  # red rules out credit
    Warning.objects.filter(key=world.ent_a.uscc).update(status="resolved")
    whitelist_refresh()
    assert entry_of(world.ent_a).priority == "normal"


def test_a_rejection_needs_a_reason_and_is_audited(world: World) -> None:
    whitelist_refresh()
    entry = entry_of(world.ent_a)
    with pytest.raises(WhitelistRefused) as refused:
        entry_decide(entry=entry, decision="rejected", actor=world.analyst, note=" ")
    assert refused.value.code == "reason_required"
    entry_decide(entry=entry, decision="rejected", actor=world.analyst, note="已获足额授信")
    entry.refresh_from_db()
    assert entry.approval == "rejected" and entry.decided_by == world.analyst and entry.decided_at is not None
    event = audits("whitelist.reject")[-1]
    assert event.actor == world.analyst and event.old == {"approval": "pending", "note": ""}
    assert event.note == "已获足额授信"


def test_an_enterprise_that_no_longer_qualifies_cannot_be_approved(world: World) -> None:
    whitelist_refresh()
    Enterprise.objects.filter(pk=world.ent_b.pk).update(imports_last_year_usd=Decimal(0))
    whitelist_refresh()
    with pytest.raises(WhitelistRefused) as refused:
        entry_decide(entry=entry_of(world.ent_b), decision="approved", actor=world.analyst)
    assert refused.value.code == "not_eligible"


def test_only_an_approved_entry_is_referred_to_an_institution_offering_the_product(world: World) -> None:
    whitelist_refresh()
    entry = entry_of(world.ent_a)
    abc, sinosure, tax = (Department.objects.get(code=c) for c in ("abc", "sinosure", "tax"))
    with pytest.raises(WhitelistRefused) as refused:
        referral_create(entry=entry, product="credit_loan", institution=abc, actor=world.analyst)
    assert refused.value.code == "not_approved"
    entry_decide(entry=entry, decision="approved", actor=world.analyst)
    for product, institution, code in (
        ("credit_loan", tax, "not_institution"),
        ("credit_loan", sinosure, "wrong_institution"),
        ("export_credit_insurance", abc, "wrong_institution"),
        ("mortgage", abc, "bad_product"),
    ):
        with pytest.raises(WhitelistRefused) as refused:
            referral_create(entry=entry, product=product, institution=institution, actor=world.analyst)
        assert refused.value.code == code
    referral = referral_create(entry=entry, product="credit_loan", institution=abc, actor=world.analyst, note="急")
    assert referral.outcome == "pending" and referral.referred_by == world.analyst
    event = audits("whitelist.refer")[-1]
    assert event.new == {"uscc": world.ent_a.uscc, "product": "credit_loan", "institution": "abc"}
    with pytest.raises(WhitelistRefused) as refused:
        referral_create(entry=entry, product="credit_loan", institution=abc, actor=world.analyst)
    assert refused.value.code == "already_referred"


@pytest.fixture
def referral(world: World) -> Any:
    whitelist_refresh()
    entry = entry_decide(entry=entry_of(world.ent_a), decision="approved", actor=world.analyst)
    return referral_create(
        entry=entry, product="credit_loan", institution=Department.objects.get(code="abc"), actor=world.analyst
    )


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"outcome": "granted", "granted_usd": None, "granted_on": dt.date(2020, 4, 15)}, "amount_required"),
        ({"outcome": "granted", "granted_usd": "0", "granted_on": dt.date(2020, 4, 15)}, "amount_required"),
        ({"outcome": "granted", "granted_usd": "5000", "granted_on": None}, "date_required"),
        ({"outcome": "granted", "granted_usd": "5000", "granted_on": dt.date(2020, 4, 16)}, "date_in_future"),
        ({"outcome": "granted", "granted_usd": "5000", "granted_on": dt.date(2020, 4, 1)}, "date_before_referral"),
        ({"outcome": "refused", "reason": ""}, "refusal_reason_required"),
        ({"outcome": "maybe"}, "bad_outcome"),
    ],
)
def test_an_outcome_is_refused_without_what_it_needs(world: World, referral: Any, kw: Any, code: str) -> None:
    with pytest.raises(WhitelistRefused) as refused:
        referral_record_outcome(referral=referral, actor=world.handler, **kw)
    assert refused.value.code == code


def test_a_grant_is_recorded_with_amount_and_date_and_can_be_corrected(world: World, referral: Any) -> None:
    done = referral_record_outcome(
        referral=referral, outcome="granted", granted_usd="800000", granted_on=dt.date(2020, 4, 15), actor=world.handler
    )
    assert done.outcome == "granted" and done.granted_usd == Decimal("800000.00") and done.outcome_by == world.handler
    fixed = referral_record_outcome(referral=done, outcome="refused", reason="抵押不足", actor=world.analyst)
    assert fixed.granted_usd is None and fixed.refusal_reason == "抵押不足"
    first, second = audits("whitelist.outcome")
    assert first.new["granted_usd"] == "800000.00" and first.old["outcome"] == "pending"
    assert second.old["outcome"] == "granted" and second.new["outcome"] == "refused"


def test_the_background_step_refreshes_only_after_the_data_changed(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "_last_check", 0.0)
    assert services.handle_one_refresh() is False  # never keeps the worker busy...
    assert WhitelistEntry.objects.count() == 3  # ...but refreshed the list, never refreshed before
    assert services.whitelist_refresh_if_stale() is False  # nothing changed since
    file_need(world.ent_b, by=world.town_officer)
    services.handle_one_refresh()  # looked a moment ago: waits a minute
    assert entry_of(world.ent_b).priority == "normal"
    monkeypatch.setattr(services, "_last_check", 0.0)
    services.handle_one_refresh()
    assert entry_of(world.ent_b).priority == "medium"
    assert services.whitelist_refresh_if_stale() is False


def test_the_step_is_registered_with_the_worker() -> None:
    from exportwatch.exchange.jobs import EXTRA_STEPS

    assert services.handle_one_refresh in EXTRA_STEPS


def test_the_command_refreshes_the_list(world: World) -> None:
    from io import StringIO

    out = StringIO()
    call_command("whitelist", "refresh", stdout=out)
    assert "3 eligible; 3 added" in out.getvalue()


def test_the_institution_s_handlers_hear_of_a_referral_and_the_analyst_of_its_outcome(
    world: World, referral: Any
) -> None:
    from exportwatch.notifications.models import Notification

    told = Notification.objects.filter(kind="referral")
    assert list(told.values_list("user__username", "url")) == [("handler", f"/bureau/finance/referrals/{referral.pk}/")]
    assert world.ent_a.name in told.get().subject and "信用贷款" in told.get().subject  # in the default language
    referral_record_outcome(
        referral=referral, outcome="granted", granted_usd="800000", granted_on=dt.date(2020, 4, 15), actor=world.handler
    )
    answer = told.get(user=world.analyst)
    assert "800,000" in answer.subject and answer.url == f"/bureau/finance/referrals/{referral.pk}/"
    referral_record_outcome(referral=referral, outcome="refused", reason="抵押不足", actor=world.handler)
    assert told.filter(user=world.analyst).count() == 2  # a correction is news too
