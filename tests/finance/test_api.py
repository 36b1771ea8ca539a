"""/api/whitelist: the white list in the REST API, scoped like the pages, with the outsider refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from exportwatch.finance.models import Referral
from tests.api.test_api import Api
from tests.conftest import World
from tests.finance.conftest import entry_of, handler_of

pytestmark = pytest.mark.django_db

ENTRIES = "/api/whitelist/entries"
REFERRALS = "/api/whitelist/referrals"


def usccs(world: World, persona: str, **params: Any) -> set[str]:
    response = Api(getattr(world, persona)).get(ENTRIES, **params)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["items"])
    return {i["uscc"] for i in body["items"]}


def test_each_persona_lists_the_entries_of_their_scope(listed: World) -> None:
    w = listed
    assert usccs(w, "analyst") == {w.ent_a.uscc, w.ent_b.uscc, w.ent_c.uscc}
    assert usccs(w, "leader") == {w.ent_a.uscc, w.ent_b.uscc, w.ent_c.uscc}
    assert usccs(w, "town_officer") == {w.ent_a.uscc, w.ent_b.uscc}
    assert usccs(w, "outsider") == {w.ent_far.uscc}
    assert usccs(w, "admin") == {w.ent_a.uscc, w.ent_b.uscc, w.ent_c.uscc, w.ent_far.uscc}


def test_an_entry_carries_its_reason_priority_and_products(listed: World) -> None:
    body = Api(listed.analyst).get(f"{ENTRIES}/{listed.ent_a.uscc}").json()
    assert body["eligible"] is True and body["approval"] == "pending"
    assert "达到白名单标准" in body["reason"] and body["priority"] == "normal"
    assert [p["product"] for p in body["products"]] == ["credit_loan"]
    assert body["figures"]["trade_usd"] == "12500000.00"
    assert usccs(listed, "analyst", product="credit_loan") == {listed.ent_a.uscc}


@pytest.mark.parametrize("persona", ["reporter", "handler"])
def test_reporters_and_handlers_may_not_read_the_list(listed: World, persona: str) -> None:
    api = Api(getattr(listed, persona))
    assert api.get(ENTRIES).status_code == 403
    assert api.get(f"{ENTRIES}/{listed.ent_a.uscc}").status_code == 403


def test_the_outsider_gets_404_for_our_entry_and_cannot_approve_it(listed: World) -> None:
    api = Api(listed.outsider)
    assert api.get(f"{ENTRIES}/{listed.ent_a.uscc}").status_code == 404
    assert api.post(f"{ENTRIES}/{listed.ent_a.uscc}/decision", {"decision": "approved"}).status_code == 404
    assert entry_of(listed.ent_a).approval == "pending"


def test_an_analyst_approves_refers_and_the_bank_records_the_grant(listed: World) -> None:
    w = listed
    analyst = Api(w.analyst)
    r = analyst.post(f"{ENTRIES}/{w.ent_a.uscc}/decision", {"decision": "approved", "note": "核实无误"})
    assert r.status_code == 200 and r.json()["approval"] == "approved" and r.json()["decided_by"] == "analyst"
    r = analyst.post(f"{ENTRIES}/{w.ent_a.uscc}/referrals", {"product": "credit_loan", "institution": "abc"})
    assert r.status_code == 201
    referral = r.json()
    assert referral["institution"] == "abc" and referral["outcome"] == "pending"
    bank = Api(w.handler)
    assert [i["id"] for i in bank.get(REFERRALS).json()["items"]] == [referral["id"]]
    r = bank.post(
        f"{REFERRALS}/{referral['id']}/outcome",
        {"outcome": "granted", "granted_usd": "450000", "granted_on": "2020-04-15"},
    )
    assert r.status_code == 200 and r.json()["granted_usd"] == "450000.00"


def test_a_refused_change_is_a_422_with_the_problem(listed: World) -> None:
    api = Api(listed.analyst)
    r = api.post(f"{ENTRIES}/{listed.ent_a.uscc}/decision", {"decision": "rejected"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["code"] == "reason_required" and r.json()["detail"][0]["field"] == "note"
    r = api.post(f"{ENTRIES}/{listed.ent_a.uscc}/referrals", {"product": "credit_loan", "institution": "abc"})
    assert r.status_code == 422 and r.json()["detail"][0]["code"] == "not_approved"
    r = api.post(f"{ENTRIES}/{listed.ent_a.uscc}/referrals", {"product": "credit_loan", "institution": "tax"})
    assert r.status_code == 422 and r.json()["detail"][0]["code"] == "not_institution"


@pytest.mark.parametrize("persona", ["leader", "town_officer"])
def test_leaders_and_town_officers_may_not_decide(listed: World, persona: str) -> None:
    api = Api(getattr(listed, persona))
    assert api.post(f"{ENTRIES}/{listed.ent_a.uscc}/decision", {"decision": "approved"}).status_code == 403


def test_referrals_are_scoped_to_the_institution_and_the_bureau(referred: Any) -> None:
    w, to_abc, to_boc = referred
    assert {i["id"] for i in Api(w.analyst).get(REFERRALS).json()["items"]} == {to_abc.pk, to_boc.pk}
    assert {i["id"] for i in Api(w.handler).get(REFERRALS).json()["items"]} == {to_abc.pk}
    assert Api(w.outsider).get(REFERRALS).json()["items"] == []
    assert Api(w.reporter).get(REFERRALS).status_code == 403
    assert Api(handler_of("finance", "finance_clerk", w)).get(REFERRALS).status_code == 403
    other_bank = Api(handler_of("boc", "boc_clerk", w))
    r = other_bank.post(f"{REFERRALS}/{to_abc.pk}/outcome", {"outcome": "refused", "reason": "x"})
    assert r.status_code == 404
    r = Api(w.outsider).post(f"{REFERRALS}/{to_abc.pk}/outcome", {"outcome": "refused", "reason": "x"})
    assert r.status_code == 404
    r = Api(w.leader).post(f"{REFERRALS}/{to_abc.pk}/outcome", {"outcome": "refused", "reason": "x"})
    assert r.status_code == 403
    assert Referral.objects.get(pk=to_abc.pk).outcome == "pending"


def test_no_credentials_no_white_list(listed: World) -> None:
    assert Client().get(ENTRIES).status_code == 401
    assert Client().get(REFERRALS).status_code == 401
