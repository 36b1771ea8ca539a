"""Monitoring pages: who may open them, what each persona's figures include, drill links, downloads, freshness."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import World
from tests.monitoring.conftest import submit

PERIOD = "2020-03"


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pages(world: World) -> list[str]:
    return [
        reverse("monitoring:overview"),
        *(
            reverse("monitoring:structure", args=[d])
            for d in ("market", "group", "hs", "industry", "town", "tier", "segment")
        ),
        reverse("monitoring:enterprises"),
        reverse("monitoring:head"),
        reverse("monitoring:market", args=["US"]),
        reverse("monitoring:product", args=["84"]),
    ]


def body(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def test_the_bureau_opens_every_page(book: World) -> None:
    for persona in ("analyst", "leader", "town_officer", "admin"):
        client = login(getattr(book, persona))
        for url in pages(book):
            response = client.get(url, {"period": PERIOD})
            assert response.status_code == 200, (persona, url)


def test_others_are_refused_every_page(book: World) -> None:
    for persona in ("reporter", "handler"):
        client = login(getattr(book, persona))
        for url in pages(book):
            assert client.get(url, {"period": PERIOD}).status_code == 404, (persona, url)
    assert Client().get(reverse("monitoring:overview")).status_code == 302  # to the login page


def test_a_town_officer_sees_their_town_only(book: World) -> None:
    client = login(book.town_officer)
    text = body(client.get(reverse("monitoring:enterprises"), {"period": PERIOD}))
    assert book.ent_a.uscc in text and book.ent_b.uscc in text
    assert book.ent_c.uscc not in text
    csv = body(client.get(reverse("monitoring:structure", args=["market"]), {"period": PERIOD, "format": "csv"}))
    us = next(line for line in csv.splitlines() if line.startswith("US,"))
    assert us.split(",")[3] == "600"  # ent_a's US exports only; ent_c (town B) has 500 more
    # Another town's enterprise profile is not there at all.
    assert client.get(reverse("monitoring:enterprise", args=[book.ent_c.uscc])).status_code == 404


def test_an_outsider_sees_no_figure_of_ours(book: World) -> None:
    client = login(book.outsider)
    text = body(client.get(reverse("monitoring:enterprises"), {"period": PERIOD}))
    assert book.ent_a.uscc not in text
    assert client.get(reverse("monitoring:enterprise", args=[book.ent_a.uscc])).status_code == 404
    csv = body(client.get(reverse("monitoring:structure", args=["market"]), {"period": PERIOD, "format": "csv"}))
    assert len(csv.strip().splitlines()) == 1  # the header alone


def test_a_reporter_sees_their_own_profile_only(book: World) -> None:
    client = login(book.reporter)
    assert client.get(reverse("monitoring:enterprise", args=[book.ent_a.uscc]), {"period": PERIOD}).status_code == 200
    assert client.get(reverse("monitoring:enterprise", args=[book.ent_c.uscc])).status_code == 404


def test_a_crafted_code_or_month_is_404(book: World) -> None:
    client = login(book.analyst)
    assert client.get(reverse("monitoring:market", args=["XX"])).status_code == 404
    assert client.get(reverse("monitoring:product", args=["8401"])).status_code == 404
    assert client.get(reverse("monitoring:structure", args=["colour"])).status_code == 404
    assert client.get(reverse("monitoring:overview"), {"period": "2020-13"}).status_code == 404
    assert client.get(reverse("monitoring:overview"), {"period": PERIOD, "group": "NOPE"}).status_code == 404
    assert client.get(reverse("monitoring:overview"), {"period": PERIOD, "format": "pdf"}).status_code == 404


def test_drill_links_lead_to_profiles_and_enterprises(book: World) -> None:
    client = login(book.analyst)
    one = client.get(
        reverse("monitoring:structure", args=["market"]), {"period": PERIOD, "market": "US", "town": "330213001"}
    )
    assert one.status_code == 302
    assert one["Location"] == reverse("monitoring:market", args=["US"]) + "?period=2020-03&town=330213001"
    markets = body(client.get(reverse("monitoring:structure", args=["market"]), {"period": PERIOD}))
    assert reverse("monitoring:market", args=["US"]) + "?period=2020-03" in markets
    towns = body(client.get(reverse("monitoring:structure", args=["town"]), {"period": PERIOD}))
    assert reverse("monitoring:enterprises") + "?period=2020-03&amp;town=330213001" in towns
    groups = body(client.get(reverse("monitoring:structure", args=["group"]), {"period": PERIOD}))
    assert reverse("monitoring:structure", args=["market"]) + "?period=2020-03&amp;group=EU" in groups
    profile = body(client.get(reverse("monitoring:market", args=["US"]), {"period": PERIOD}))
    assert book.ent_a.name in profile and book.ent_c.name in profile and book.ent_b.name not in profile


def test_every_table_downloads_as_excel(book: World) -> None:
    client = login(book.analyst)
    response = client.get(reverse("monitoring:structure", args=["town"]), {"period": PERIOD, "format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert {r[0]: r[3] for r in rows[2:] if r[0]} == {"330213001": 1000, "330213100": 500}
    for url in pages(book):
        response = client.get(url, {"period": PERIOD, "format": "csv"})
        assert response.status_code == 200, url
        assert response["Content-Disposition"].startswith("attachment"), url


def test_a_submitted_report_shows_at_once(book: World) -> None:
    client = login(book.analyst)

    def us_exports() -> str:
        csv = body(client.get(reverse("monitoring:structure", args=["market"]), {"period": PERIOD, "format": "csv"}))
        return next(line for line in csv.splitlines() if line.startswith("US,")).split(",")[3]

    assert us_exports() == "1100"
    submit(book.ent_b, PERIOD, 400, 300, 200, 100, [("US", "61", 200, 300, 300)], "up")
    assert us_exports() == "1400"


def test_the_overview_states_the_headline_figures(book: World) -> None:
    text = body(login(book.analyst).get(reverse("monitoring:overview"), {"period": PERIOD}))

    def card(kpi: str) -> str:
        start = text.index(f'data-kpi="{kpi}"')
        return text[start : text.index("</div>", start)]

    exports, new_orders = card("exports"), card("new_orders")
    assert '<span class="stat-value">0.2</span>' in exports  # 1,500 USD = 0.15 (10k USD), one decimal
    assert "−41.7%" in new_orders  # new orders 1,400 against 2,400 a year before
    assert '<span class="stat-value">5.6</span>' in card("coverage")  # 5,600 / mean(900, 600, 1,500)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_speak_both_languages(book: World, language: str) -> None:
    client = login(book.analyst)
    client.cookies["django_language"] = language
    text = body(client.get(reverse("monitoring:overview"), {"period": PERIOD}))
    assert ("新订单" in text) == (language == "zh-hans")
    assert ("New orders" in text) == (language == "en")


def test_the_enterprises_behind_a_difficulty(book: World) -> None:
    from exportwatch.reporting.models import Disruption, Source

    Disruption.objects.create(
        enterprise=book.ent_c,
        date="2020-03-09",
        kind="held_at_port",
        amount_usd=100,
        source=Source.WEB,
        created_at="2020-03-09T00:00:00Z",
        fingerprint="held-1",
    )
    client = login(book.analyst)
    held = body(client.get(reverse("monitoring:enterprises"), {"period": PERIOD, "kind": "held_at_port"}))
    assert book.ent_c.uscc in held and book.ent_a.uscc not in held
    assert client.get(reverse("monitoring:enterprises"), {"period": PERIOD, "kind": "stolen"}).status_code == 404
    steepest = body(client.get(reverse("monitoring:enterprises"), {"period": PERIOD, "sort": "new_orders_yoy"}))
    # ent_c −75 % before ent_a −50 %; ent_b (no year before) last
    assert steepest.index(book.ent_c.uscc) < steepest.index(book.ent_a.uscc) < steepest.index(book.ent_b.uscc)
    overview = body(client.get(reverse("monitoring:overview"), {"period": PERIOD}))
    assert "kind=held_at_port" in overview
