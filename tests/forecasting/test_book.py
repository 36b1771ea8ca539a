"""The order book behind a forecast: kept with each series of a run, shown on the overview and every series page
(the flows' three-month changes, the backlog and its months of exports), and given by the API's detail."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from exportwatch.core.periods import period_range
from exportwatch.forecasting.models import SeriesForecast
from tests.conftest import World
from tests.forecasting.conftest import CHEAP_MODELS, FIRST, ORIGIN, exports_of
from tests.monitoring.conftest import submit


def login(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


@pytest.fixture
def halved(history: World) -> World:
    """ent_a's new orders of 2020-01..03 revised to half (its exports and book unchanged), then the run computed."""
    from exportwatch.forecasting.services import forecasts_compute

    for p in ("2020-01", "2020-02", "2020-03"):
        ea = exports_of(1000, p)
        submit(history.ent_a, p, ea, ea // 2, 3 * ea, 2 * ea, [("US", "8401", 3 * ea, ea // 2, ea)])
    forecasts_compute(period=ORIGIN, models=CHEAP_MODELS)
    return history


def test_a_run_keeps_each_series_order_book_for_the_months_of_its_actuals(computed: World) -> None:
    district = SeriesForecast.objects.get(scope="district")
    periods = period_range(FIRST, ORIGIN)
    assert len(district.actuals) == len(periods) == 30

    def each(p: str) -> tuple[int, int, int]:
        return exports_of(1000, p), exports_of(400, p), exports_of(100, p) if p >= "2019-01" else 0

    assert district.book["new_orders"] == [float(sum(each(p))) for p in periods]
    assert district.book["backlog"] == [float(3 * a + 2 * c + b) for a, c, b in map(each, periods)]
    assert district.book["due_3m"] == [float(2 * a + c + b) for a, c, b in map(each, periods)]
    us = SeriesForecast.objects.get(scope="market", key="US")  # from ent_a's line: backlog 3×, orders 1× exports
    assert us.book["new_orders"] == [float(exports_of(1000, p)) for p in periods]
    assert us.book["backlog"] == [float(3 * exports_of(1000, p)) for p in periods]
    assert "due_3m" not in us.book  # a line states no due date


def test_the_overview_states_the_order_book_at_the_origin_and_charts_its_changes(halved: World) -> None:
    html = login(halved.analyst, HTTP_ACCEPT_LANGUAGE="en").get(reverse("forecasting:overview")).content.decode()

    # New orders Jan–Mar: 2019 (900 + 600 + 800) + (360 + 240 + 320) + (90 + 60 + 80) = 3,450; 2020 ent_a's halved:
    # 1,150 + 920 + 230 = 2,300, so −33.3 %; exports unchanged (+0.0 %). Backlog at 2020-03: 3 × 800 + 2 × 320 + 80
    # = 3,120 over the exports' mean of Jan–Mar, 3,450 / 3 = 1,150: 2.7 months, as a year before.
    headline = re.search(r'<p class="pad" id="book-headline">(.*?)</p>', html, re.S)[1]
    assert "In the three months to 2020-03, new orders came in −33.3% and exports +0.0%" in headline
    assert "cover 2.7 months of exports (a year before: 2.7)" in headline
    spec = json.loads(re.search(r'<script id="book-chart" type="application/json">(.*?)</script>', html, re.S)[1])
    assert spec["categories"] == period_range("2019-04", "2020-03")
    orders = next(s for s in spec["series"] if s["name"].startswith("New orders"))["values"]
    # 2019-12: Oct–Dec 2019 (3,400 + 1,360 + 340) against 2018's, before ent_b reported (3,400 + 1,360): +7.1 %
    assert orders[-1] == -33.3 and orders[-4] == 7.1
    table = html[html.index('id="book-table"') :]
    row = re.search(r'<tr data-period="2020-03">(.*?)</tr>', table, re.S)[1]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    # exports, new orders, orders in hand, due (10k USD); then the changes and the months in hand
    assert cells[:4] == ["0.1", "0.1", "0.3", "0.2"]
    assert cells[4:] == ["+0.0%", "−33.3%", "+0.0%", "+0.0%", "2.7"]


def test_a_market_page_shows_the_book_without_a_due_column(halved: World) -> None:
    html = login(halved.analyst).get(reverse("forecasting:series", args=["market", "US"])).content.decode()
    assert 'id="book-table"' in html
    table = html[html.index('id="book-table"') : html.index("</table>", html.index('id="book-table"'))]
    assert table.count('<th scope="col"') == 8  # month, months in hand; three amounts, three changes: no due
    # US: ent_a's line alone; its orders of Jan–Mar halved.
    assert "−50.0%" in re.search(r'<tr data-period="2020-03">(.*?)</tr>', table, re.S)[1]


def test_the_headline_is_in_chinese_by_default(halved: World) -> None:
    html = login(halved.analyst, HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("forecasting:overview")).content.decode()
    headline = re.search(r'<p class="pad" id="book-headline">(.*?)</p>', html, re.S)[1]
    assert "2020-03" in headline and "−33.3%" in headline and "2.7" in headline
    assert "new orders" not in headline


def test_a_run_stored_before_the_book_was_kept_shows_no_order_book_card(computed: World) -> None:
    SeriesForecast.objects.update(book={})
    html = login(computed.analyst).get(reverse("forecasting:overview")).content.decode()
    assert 'id="district-fan"' in html and 'id="order-book"' not in html
    detail = login(computed.analyst).get("/api/forecasts/district/-").json()
    assert detail["history"]["new_orders"] is None and len(detail["history"]["exports"]) == 30


def test_the_api_detail_gives_the_history_the_models_read(halved: World) -> None:
    detail = login(halved.analyst).get("/api/forecasts/district/-").json()
    history = detail["history"]
    assert history["first_period"] == FIRST
    assert history["new_orders"][-3:] == [450 + 360 + 90, 300 + 240 + 60, 400 + 320 + 80]
    assert history["backlog_due_3m"][-1] == 2 * 800 + 320 + 80
    market = login(halved.analyst).get("/api/forecasts/market/US").json()
    assert market["history"]["backlog_due_3m"] is None and market["history"]["backlog"][-1] == 2400


def test_a_town_officer_reads_the_book_of_their_town_only(halved: World) -> None:
    client = login(halved.town_officer)
    assert 'id="order-book"' in client.get(reverse("forecasting:series", args=["town", "330213001"])).content.decode()
    assert client.get(reverse("forecasting:series", args=["town", "330213100"])).status_code == 404
    assert client.get("/api/forecasts/town/330213100").status_code == 404
    assert client.get("/api/forecasts/district/-").status_code == 404


def test_a_level_lists_each_series_new_orders_against_a_year_before_and_downloads_them(halved: World) -> None:
    client = login(halved.analyst)
    html = client.get(reverse("forecasting:level", args=["market"])).content.decode()
    changes = dict(re.findall(r'<tr data-key="([^"]+)">.*?data-orders>([^<]*)</td>', html, re.S))
    assert changes == {"US": "−50.0%", "DE": "+0.0%", "JP": "+0.0%"}  # only ent_a's US line was halved
    r = login(halved.analyst, HTTP_ACCEPT_LANGUAGE="en").get(
        reverse("forecasting:level", args=["market"]) + "?format=csv"
    )
    header, *rows = csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig")))
    at = header.index("New orders, last 3 months, against a year before")
    us = next(row for row in rows if row[0] == "US")
    assert float(us[at]) == pytest.approx(-0.5)
    stored = {f.key: f.order_lead for f in SeriesForecast.objects.filter(scope="market")}
    assert stored["US"] in (1, 2, 3, 4) and stored["JP"] is None  # JP: ent_b's line, 15 months, too short
    assert dict(re.findall(r'<tr data-key="([^"]+)">.*?data-lead>([^<]*)</td>', html, re.S)) == {
        k: "—" if v is None else str(v) for k, v in stored.items()
    }
    assert int(us[header.index("Orders' lead (months)")]) == stored["US"]


def test_the_monthly_brief_states_the_district_outlook_and_the_order_book_it_rests_on(halved: World) -> None:
    from exportwatch.briefs.selectors import brief_content
    from exportwatch.core.brief import outlook_sentence

    now = dt.datetime(2020, 4, 15, 10, 0, tzinfo=dt.UTC)
    content = brief_content(period="2020-03", kind="monthly", reader=halved.analyst, now=now)
    section = next(s for s in content.sections if s.heading.endswith("出口预测与目标缺口"))
    d = SeriesForecast.objects.get(scope="district")
    months = [(p, d.mean[i], d.lo80[i], d.hi80[i]) for i, p in enumerate(("2020-04", "2020-05", "2020-06"))]
    lead = d.order_lead  # the lead the run learned (checked against the core below)
    assert lead in (1, 2, 3, 4)
    # April–June 2019: the three enterprises' 1,000 + 400 + 100 a month (season 1.0).
    assert section.paragraphs == [
        outlook_sentence(months=months, expected=sum(d.mean[:3]), year_ago=4500.0),
        "截至2020年3月的三个月，新增订单同比下降33.3%，出口同比基本持平；3月末在手订单可支撑2.7个月出口（上年同期2.7个月）"
        f"；按历史规律，出口与此前{lead}至{lead + 2}个月签订的新订单最为吻合，已报告订单可预示至{3 + lead}月的出口。",
        "本年度未设定出口目标，无法测算目标缺口。",
    ]
    assert "预计2020年4月至6月全区出口" in section.paragraphs[0]


def test_an_outlook_needs_every_month_and_its_interval(computed: World) -> None:
    from exportwatch.forecasting.selectors import outlook_of

    d = SeriesForecast.objects.get(scope="district")
    outlook = outlook_of(d)
    assert outlook is not None and [m[0] for m in outlook.months] == ["2020-04", "2020-05", "2020-06"]
    assert outlook.year_ago == 4500.0 and outlook.expected == pytest.approx(sum(d.mean[:3]))
    d.hi80[1] = None  # a bound the run could not compute
    assert outlook_of(d) is None
    d.hi80[1] = 1.0
    d.actuals[-12] = None  # April 2019 not reported: the year before is not known
    assert outlook_of(d).year_ago is None and outlook_of(d).change is None
    assert outlook_of(d, months=len(d.mean) + 1) is None


def test_the_new_orders_change_needs_the_three_months_of_both_years() -> None:
    from exportwatch.forecasting.selectors import orders_change

    def row(orders: list[float | None]) -> SeriesForecast:
        return SeriesForecast(
            actual_first_period="2019-01", first_period="2020-04", actuals=[1.0] * 15, book={"new_orders": orders}
        )

    assert orders_change(row([2.0, 2.0, 4.0] + [9.0] * 9 + [1.0, 2.0, 3.0])) == pytest.approx(-0.25)  # 6 against 8
    assert orders_change(row([1.0, 1.0, 2.0] + [9.0] * 9 + [2.0, 2.0, 4.0])) == pytest.approx(1.0)  # 8 against 4
    assert orders_change(row([1.0, None, 2.0] + [9.0] * 9 + [2.0, 2.0, 4.0])) is None  # a month not reported
    assert orders_change(row([1.0, 2.0] + [9.0] * 9 + [2.0, 2.0, 4.0])) is None  # 14 months: no year before
    assert orders_change(row([0.0] * 12 + [2.0, 2.0, 4.0])) is None  # nothing a year before
    assert (
        orders_change(SeriesForecast(actual_first_period="2019-01", first_period="2020-04", actuals=[1.0], book={}))
        is None
    )


def test_a_run_keeps_the_lead_its_orders_lead_learned_and_the_pages_and_api_state_it(computed: World) -> None:
    from exportwatch.core.forecasting import order_leads
    from exportwatch.forecasting import selectors as sel
    from exportwatch.forecasting.services import _history

    learned = order_leads({(d.scope, d.key): _history(d) for d in sel.series_data(period=ORIGIN)})
    stored = {(f.scope, f.key): f.order_lead for f in SeriesForecast.objects.all()}
    assert stored == {k: learned.get(k) for k in stored}
    # Every series' orders move with its exports year on year (the same seasonal pattern): every lead scores the
    # same, and the shortest is kept.
    assert stored[("district", "")] == stored[("market", "US")] == 1
    client = login(computed.analyst, HTTP_ACCEPT_LANGUAGE="en")
    html = client.get(reverse("forecasting:series", args=["market", "US"])).content.decode()
    lead = re.search(r'<span id="book-lead" data-lead="1">(.*?)</span>', html, re.S)[1]
    assert "new orders signed 1 to 3 months before them" in lead and "exports up to 2020-04" in lead
    assert client.get("/api/forecasts/market/US").json()["history"]["order_lead_months"] == 1
    SeriesForecast.objects.update(order_lead=None)  # a run stored before the lead was kept
    assert 'id="book-lead"' not in client.get(reverse("forecasting:overview")).content.decode()
    assert client.get("/api/forecasts/district/-").json()["history"]["order_lead_months"] is None
