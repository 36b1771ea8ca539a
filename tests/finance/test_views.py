"""The white-list pages, persona by persona: who reads what, who may change what, and the outsider refused."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.test import Client

from exportwatch.directory.models import Enterprise
from exportwatch.finance.models import Referral
from tests.conftest import World
from tests.finance.conftest import entry_of, handler_of

pytestmark = pytest.mark.django_db

LIST = "/bureau/finance/"
PROGRESS = "/bureau/finance/progress/"
REFERRALS = "/bureau/finance/referrals/"


def client_of(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def listed_usccs(response: Any) -> set[str]:
    import re

    return set(re.findall(r'data-uscc="([0-9A-Z]{18})"', response.content.decode()))


def test_each_persona_lists_the_entries_of_their_scope(listed: World) -> None:
    w = listed
    assert listed_usccs(client_of(w.analyst).get(LIST)) == {w.ent_a.uscc, w.ent_b.uscc, w.ent_c.uscc}
    assert listed_usccs(client_of(w.leader).get(LIST)) == {w.ent_a.uscc, w.ent_b.uscc, w.ent_c.uscc}
    assert listed_usccs(client_of(w.town_officer).get(LIST)) == {w.ent_a.uscc, w.ent_b.uscc}
    assert listed_usccs(client_of(w.outsider).get(LIST)) == {w.ent_far.uscc}


def test_the_list_shows_the_reason_and_filters_by_town_priority_and_product(listed: World) -> None:
    w = listed
    page = client_of(w.analyst).get(LIST).content.decode()
    assert "达到白名单标准100万美元" in page or "at or above the white-list threshold" in page
    by_town = client_of(w.analyst).get(LIST, {"town": w.ent_c.town_id})
    assert listed_usccs(by_town) == {w.ent_c.uscc}
    credit = client_of(w.analyst).get(LIST, {"product": "credit_loan"})
    assert listed_usccs(credit) == {w.ent_a.uscc}  # the only one trading 5 M USD or more
    assert client_of(w.analyst).get(LIST, {"priority": "purple"}).status_code == 404
    assert client_of(w.town_officer).get(LIST, {"town": w.ent_c.town_id}).status_code == 404


@pytest.mark.parametrize("persona", ["reporter", "handler"])
def test_reporters_and_handlers_may_not_see_the_list(listed: World, persona: str) -> None:
    c = client_of(getattr(listed, persona))
    assert c.get(LIST).status_code == 403
    assert c.get(PROGRESS).status_code == 403
    assert c.get(f"{LIST}{listed.ent_a.uscc}/").status_code == 403


def test_an_outsider_gets_404_for_our_entry(listed: World) -> None:
    c = client_of(listed.outsider)
    assert c.get(f"{LIST}{listed.ent_a.uscc}/").status_code == 404
    r = c.post(f"{LIST}{listed.ent_a.uscc}/decide/", {"decision": "approved"})
    assert r.status_code == 404
    assert entry_of(listed.ent_a).approval == "pending"


def test_an_analyst_approves_and_refers_from_the_entry_page(listed: World) -> None:
    w = listed
    c = client_of(w.analyst)
    page = c.get(f"{LIST}{w.ent_a.uscc}/")
    assert page.status_code == 200 and "credit_loan" in page.context["matched"]
    r = c.post(f"{LIST}{w.ent_a.uscc}/decide/", {"decision": "approved", "note": ""})
    assert r.status_code == 302 and entry_of(w.ent_a).approval == "approved"
    r = c.post(f"{LIST}{w.ent_a.uscc}/refer/", {"product": "credit_loan", "institution": "abc", "note": "急需"})
    assert r.status_code == 302
    assert Referral.objects.get().institution_id == "abc"
    again = c.post(f"{LIST}{w.ent_a.uscc}/refer/", {"product": "credit_loan", "institution": "abc"})
    assert again.status_code == 422


def test_a_rejection_without_a_reason_is_shown_back_to_the_analyst(listed: World) -> None:
    r = client_of(listed.analyst).post(f"{LIST}{listed.ent_b.uscc}/decide/", {"decision": "rejected", "note": ""})
    assert r.status_code == 422 and entry_of(listed.ent_b).approval == "pending"


@pytest.mark.parametrize("persona", ["leader", "town_officer"])
def test_leaders_and_town_officers_read_but_may_not_decide(listed: World, persona: str) -> None:
    c = client_of(getattr(listed, persona))
    assert c.get(f"{LIST}{listed.ent_a.uscc}/").status_code == 200
    assert c.post(f"{LIST}{listed.ent_a.uscc}/decide/", {"decision": "approved"}).status_code == 403
    assert (
        c.post(f"{LIST}{listed.ent_a.uscc}/refer/", {"product": "credit_loan", "institution": "abc"}).status_code == 403
    )
    assert c.post(f"{LIST}refresh/").status_code == 403
    assert entry_of(listed.ent_a).approval == "pending"


def test_a_form_without_its_csrf_token_is_refused(listed: World) -> None:
    c = Client(enforce_csrf_checks=True)
    c.force_login(listed.analyst)
    assert c.post(f"{LIST}{listed.ent_a.uscc}/decide/", {"decision": "approved"}).status_code == 403


def test_a_bank_handler_sees_only_the_referrals_to_their_bank_and_records_the_outcome(referred: Any) -> None:
    w, to_abc, to_boc = referred
    c = client_of(w.handler)
    page = c.get(REFERRALS).content.decode()
    assert w.ent_a.uscc in page and w.ent_b.uscc not in page
    assert c.get(f"{REFERRALS}{to_boc.pk}/").status_code == 404
    assert c.get(f"{REFERRALS}?institution=boc").status_code == 404
    r = c.post(f"{REFERRALS}{to_abc.pk}/", {"outcome": "granted", "granted_usd": "500000", "granted_on": "2020-04-15"})
    assert r.status_code == 302
    to_abc.refresh_from_db()
    assert to_abc.outcome == "granted" and to_abc.outcome_by == w.handler


def test_the_other_bank_cannot_record_our_outcome_and_a_finance_clerk_sees_no_referral(referred: Any) -> None:
    w, to_abc, _to_boc = referred
    other = client_of(handler_of("boc", "boc_clerk", w))
    assert other.post(f"{REFERRALS}{to_abc.pk}/", {"outcome": "refused", "reason": "x"}).status_code == 404
    clerk = client_of(handler_of("finance", "finance_clerk", w))
    assert clerk.get(REFERRALS).status_code == 403
    assert client_of(w.reporter).get(REFERRALS).status_code == 403
    assert client_of(w.outsider).get(f"{REFERRALS}{to_abc.pk}/").status_code == 404


def test_a_leader_reads_a_referral_but_may_not_record_its_outcome(referred: Any) -> None:
    w, to_abc, _to_boc = referred
    c = client_of(w.leader)
    assert c.get(f"{REFERRALS}{to_abc.pk}/").status_code == 200
    assert c.post(f"{REFERRALS}{to_abc.pk}/", {"outcome": "refused", "reason": "x"}).status_code == 403


def test_the_referral_list_of_a_bank_opens_as_xlsx_with_the_referred_enterprises(referred: Any) -> None:
    w, _to_abc, _to_boc = referred
    Enterprise.objects.filter(pk=w.ent_a.pk).update(contact_name='=HYPERLINK("http://x")')
    r = client_of(w.analyst).get(REFERRALS, {"institution": "abc", "format": "xlsx"})
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    keys = rows[1]
    assert "uscc" in keys and "granted_usd" in keys
    data = [dict(zip(keys, row, strict=False)) for row in rows[2:]]
    assert [d["uscc"] for d in data] == [w.ent_a.uscc]  # abc's only; ent_b went to boc
    assert data[0]["contact_name"] == '\'=HYPERLINK("http://x")'  # never run as a formula


def test_the_handler_downloads_their_bank_list(referred: Any) -> None:
    w, _to_abc, _to_boc = referred
    r = client_of(w.handler).get(REFERRALS, {"format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    usccs = [row[3] for row in book.worksheets[0].iter_rows(min_row=3, values_only=True)]
    assert usccs == [w.ent_a.uscc]


def test_the_progress_page_counts_and_sums(referred: Any) -> None:
    from exportwatch.finance.services import referral_record_outcome

    w, to_abc, to_boc = referred
    import datetime as dt

    referral_record_outcome(
        referral=to_abc, outcome="granted", granted_usd="700000", granted_on=dt.date(2020, 4, 15), actor=w.handler
    )
    referral_record_outcome(referral=to_boc, outcome="refused", reason="资料不全", actor=w.analyst)
    page = client_of(w.analyst).get(PROGRESS)
    assert page.status_code == 200
    p = page.context["p"]
    assert (p.eligible, p.approved, p.referred_entries, p.granted, p.refused) == (3, 2, 2, 1, 1)
    assert p.granted_usd == 700_000
    assert {t.key: t.granted_usd for t in p.by_institution} == {"abc": 700_000, "boc": 0}
    assert {t.key: (t.granted, t.refused) for t in p.by_product} == {"credit_loan": (1, 0), "guaranteed_loan": (0, 1)}
    officer = client_of(w.town_officer).get(PROGRESS).context["p"]
    assert officer.eligible == 2  # town A's
    outsider = client_of(w.outsider).get(PROGRESS).context["p"]
    assert (outsider.eligible, outsider.referrals) == (1, 0)


def test_the_list_downloads_as_xlsx(listed: World) -> None:
    r = client_of(listed.analyst).get(LIST, {"format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    usccs = {row[0] for row in book.worksheets[0].iter_rows(min_row=3, values_only=True)}
    assert usccs == {listed.ent_a.uscc, listed.ent_b.uscc, listed.ent_c.uscc}


def test_the_navigation_links_the_list_for_analysts_and_the_referrals_for_bank_handlers(listed: World) -> None:
    assert 'href="/bureau/finance/"' in client_of(listed.analyst).get(LIST).content.decode()
    home = client_of(listed.handler).get("/", follow=True).content.decode()
    assert 'href="/bureau/finance/referrals/"' in home


def test_the_analyst_approves_from_the_list_and_comes_back_to_it(listed: World) -> None:
    c = client_of(listed.analyst)
    page = c.get(LIST, {"priority": "normal"}).content.decode()
    assert f'action="/bureau/finance/{listed.ent_b.uscc}/decide/"' in page
    r = c.post(f"{LIST}{listed.ent_b.uscc}/decide/", {"decision": "approved", "back": "list?priority=normal"})
    assert r.status_code == 302 and r["Location"] == f"{LIST}?priority=normal"
    assert entry_of(listed.ent_b).approval == "approved"
    assert "/decide/" not in client_of(listed.leader).get(LIST).content.decode()


def test_the_administrator_reads_the_list_in_the_admin_but_cannot_change_it(listed: World) -> None:
    c = client_of(listed.admin)
    assert c.get("/admin/finance/whitelistentry/").status_code == 200
    assert c.get("/admin/finance/referral/").status_code == 200
    assert c.get("/admin/finance/whitelistentry/add/").status_code == 403
