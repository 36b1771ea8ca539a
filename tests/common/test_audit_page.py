"""The audit trail page: who may read it and which events, the filters, the field-by-field changes, the downloads,
and the links to it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from exportwatch.common.audit import audit_record
from exportwatch.common.audit_display import event_changes, field_label
from exportwatch.common.models import AuditEvent
from exportwatch.directory.models import Department
from exportwatch.reporting.models import NeedCategory
from tests.conftest import World
from tests.reporting.factories import submit

URL = "/bureau/audit/"


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(user: Any, query: str = "") -> str:
    response = login(user).get(URL + query)
    assert response.status_code == 200
    return response.content.decode()


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def trail(world: World) -> World:
    """A report of each of ent_a (town A), ent_c (town B) and ent_far (another district), ent_a's corrected; a change
    the bureau made for its whole jurisdiction (a routing rule)."""
    with override_settings(EXPORTWATCH_TODAY=dt.date(2020, 4, 3)):
        submit(world.ent_a, by=world.reporter)
    with override_settings(EXPORTWATCH_TODAY=dt.date(2020, 4, 8)):
        submit(world.ent_a, by=world.town_officer, exports_usd=Decimal("1200000.00"))
        submit(world.ent_c, by=world.other_reporter)
        submit(world.ent_far, by=world.admin)
        audit_record(
            actor=world.analyst,
            action="routing.change",
            object_type="routing_rule",
            object_key="financing",
            old={"first_response_days": 2},
            new={"first_response_days": 3},
        )
    return world


def shown(html: str) -> set[str]:
    """The object keys of the events a page lists."""
    return {
        key for event in AuditEvent.objects.all() for key in [event.object_key] if f'data-event="{event.pk}"' in html
    }


# --- Who reads what -----------------------------------------------------------------------------------------------


def test_an_analyst_and_a_leader_read_every_event_of_the_district_and_none_beyond(trail: World) -> None:
    ours = {f"{trail.ent_a.uscc}/2020-03", f"{trail.ent_c.uscc}/2020-03", "financing"}
    for user in (trail.analyst, trail.leader):
        assert shown(page(user)) == ours


def test_the_outsider_analyst_reads_their_own_district_only(trail: World) -> None:
    assert shown(page(trail.outsider)) == {f"{trail.ent_far.uscc}/2020-03"}
    assert shown(page(trail.outsider, f"?uscc={trail.ent_a.uscc}")) == set()


def test_an_administrator_reads_everything(trail: World) -> None:
    assert len(shown(page(trail.admin))) == 4


@pytest.mark.parametrize("persona", ["reporter", "town_officer", "handler"])
def test_other_roles_are_refused(trail: World, persona: str) -> None:
    response = login(getattr(trail, persona)).get(URL)
    assert response.status_code == 403
    assert login(getattr(trail, persona)).get(URL + "?format=csv").status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(trail: World) -> None:
    response = Client().get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_page_offers_no_way_to_change_an_event(trail: World) -> None:
    main = page(trail.analyst).split("<main", 1)[1].split("</main>", 1)[0]
    assert 'method="post"' not in main.lower()
    assert login(trail.analyst).post(URL, {"action": "x"}).status_code == 405


# --- Order, filters, pages ----------------------------------------------------------------------------------------


def test_events_are_listed_newest_first(trail: World) -> None:
    html = page(trail.analyst)
    positions = [html.index(f'data-event="{e.pk}"') for e in AuditEvent.objects.exclude(uscc=trail.ent_far.uscc)]
    assert positions == sorted(positions)  # the model's order is newest first


def test_the_filters_narrow_the_list(trail: World) -> None:
    a, c = f"{trail.ent_a.uscc}/2020-03", f"{trail.ent_c.uscc}/2020-03"
    assert shown(page(trail.analyst, "?object_type=routing_rule")) == {"financing"}
    assert shown(page(trail.analyst, "?action=report.resubmit")) == {a}
    assert shown(page(trail.analyst, "?actor=other_rep")) == {c}
    assert shown(page(trail.analyst, "?date_from=2020-04-01&date_to=2020-04-03")) == {a}
    assert shown(page(trail.analyst, f"?q={trail.ent_c.uscc[-6:]}")) == {c}
    assert shown(page(trail.analyst, f"?uscc={trail.ent_a.uscc}")) == {a}


def test_a_filter_that_does_not_parse_is_shown_and_left_out(trail: World) -> None:
    html = page(trail.analyst, "?date_from=yesterday&object_type=nonsense")
    assert len(shown(html)) == 3
    assert "field-error" in html


def test_the_list_is_paged_without_counting(world: World) -> None:
    for n in range(55):
        audit_record(actor=world.analyst, action="calendar.set", object_type="calendar_day", object_key=f"day-{n}")
    first, second = page(world.analyst), page(world.analyst, "?page=2")
    assert len(shown(first)) == 50 and 'rel="next"' in first and 'rel="prev"' not in first
    assert len(shown(second)) == 5 and 'rel="prev"' in second and 'rel="next"' not in second
    assert shown(first).isdisjoint(shown(second))


# --- What an event says -------------------------------------------------------------------------------------------


def test_a_correction_shows_only_the_fields_that_changed(trail: World) -> None:
    event = AuditEvent.objects.get(action="report.resubmit")
    changes = {c.key: (c.old, c.new) for c in event_changes(object_type="report", old=event.old, new=event.new)}
    assert changes["exports_usd"] == ("1,000,000.00", "1,200,000.00")
    assert changes["version"] == ("1", "2")
    assert "new_orders_usd" not in changes and "backlog_usd" not in changes

    html = page(trail.analyst, "?action=report.resubmit")
    assert 'data-field="exports_usd"' in html and 'data-field="new_orders_usd"' not in html
    assert "当月出口额（美元）" in html  # the field's label in the default language (Chinese)
    assert "<del>1,000,000.00</del> → <ins>1,200,000.00</ins>" in html


def test_a_creation_lists_every_field_and_codes_read_as_their_labels(world: World) -> None:
    with translation.override("en"):
        moved = event_changes(
            object_type="case",
            old={"state": "in_progress"},
            new={"state": "waiting_enterprise", "lead": "abc", "co": ["pboc"], "category": "exchange_rate"},
        )
        created = event_changes(object_type="report", old=None, new={"exports_usd": "5.00", "outlook_3m": "same"})
        abc, pboc = (Department.objects.get(code=code).label for code in ("abc", "pboc"))
        exchange_rate = str(NeedCategory("exchange_rate").label)
    assert abc and pboc and "abc" not in (abc, pboc) and exchange_rate != "exchange_rate"  # names, not codes
    assert [(c.key, c.old, c.new) for c in moved] == [
        ("state", "in progress", "waiting for the enterprise"),
        ("lead", "—", abc),
        ("co", "—", pboc),
        ("category", "—", exchange_rate),
    ]
    assert [(c.label, c.old, c.new) for c in created] == [
        ("Exports (USD)", "—", "5.00"),
        ("Outlook for the next 3 months", "—", "about the same"),
    ]


def test_a_mapping_is_compared_key_by_key(world: World) -> None:
    with translation.override("en"):
        changes = event_changes(
            object_type="whitelist_entry",
            old={"figures": {"trade_usd": "1000.00", "payment_terms_extended": False}, "products": []},
            new={"figures": {"trade_usd": "1000.00", "payment_terms_extended": True}, "products": ["credit_loan"]},
        )
    assert [(c.key, c.label, c.old, c.new) for c in changes] == [
        ("figures.payment_terms_extended", "Figures › Buyers asked for longer payment terms", "no", "yes"),
        ("products", "Products", "—", "credit loan"),
    ]


def test_a_record_inside_a_value_reads_field_by_field(world: World) -> None:
    need = {"category": "credit_insurance", "amount_usd": "1000000.00", "urgency": "high"}
    with translation.override("en"):
        changes = event_changes(
            object_type="whitelist_entry",
            old={"figures": {"money_needs": []}},
            new={"figures": {"money_needs": [need]}},
        )
        labels = [field_label(k, "whitelist_entry") for k in need]
    assert [(c.key, c.old) for c in changes] == [("figures.money_needs", "—")]
    assert changes[0].new == f"{labels[0]}: export credit insurance; {labels[1]}: 1,000,000.00; {labels[2]}: high"


# --- Downloads ----------------------------------------------------------------------------------------------------


def test_the_filtered_list_downloads_as_csv_with_formulas_escaped(trail: World) -> None:
    audit_record(
        actor=trail.analyst,
        action="rule.change",
        object_type="rule",
        object_key="new_orders_yoy/v9",
        note='=HYPERLINK("http://x")',
    )
    response = login(trail.analyst).get(URL + "?format=csv")
    assert response.status_code == 200 and response["Content-Disposition"].endswith('audit.csv"')
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert len(rows) == 1 + 5  # the header, our five events (not the one of the outsider's district)
    notes = {row[4]: row[7] for row in rows[1:]}
    assert notes["new_orders_yoy/v9"] == '\'=HYPERLINK("http://x")'
    corrected = next(row for row in rows[1:] if row[4] == f"{trail.ent_a.uscc}/2020-03" and "1,200,000.00" in row[6])
    assert corrected[5] == trail.ent_a.uscc and "1,000,000.00 → 1,200,000.00" in corrected[6]


def test_the_filtered_list_downloads_as_excel(trail: World) -> None:
    response = login(trail.analyst).get(URL + f"?uscc={trail.ent_a.uscc}&format=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:5] == ("at", "actor", "action", "object_type", "object_key")
    data = rows[2:]
    assert [r[4] for r in data] == [f"{trail.ent_a.uscc}/2020-03"] * 2
    assert isinstance(data[0][0], dt.datetime)


# --- Links --------------------------------------------------------------------------------------------------------


def test_the_nav_links_the_trail_for_its_readers_only(trail: World) -> None:
    home = reverse("directory:enterprises")
    assert f'href="{URL}"' in login(trail.analyst).get(home).content.decode()
    assert f'href="{URL}"' not in login(trail.town_officer).get(home).content.decode()


def test_the_enterprise_page_links_its_history(trail: World) -> None:
    url = reverse("directory:enterprise", args=[trail.ent_a.uscc])
    assert f'href="{URL}?uscc={trail.ent_a.uscc}"' in login(trail.analyst).get(url).content.decode()
    assert 'id="audit-history"' not in login(trail.town_officer).get(url).content.decode()
