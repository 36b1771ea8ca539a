"""The reporting loop as its users live it, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from exportwatch.reporting.models import Report
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reporter_submits_and_the_analyst_sees_it_and_another_reporter_gets_404(
    live_server: Any, world_tx: Any, new_page: Any
) -> None:
    w = world_tx
    base = live_server.url
    page = new_page()
    login(page, base, w.reporter.username, w.password)
    page.goto(f"{base}/report/{w.ent_a.uscc}/2020-03/edit/")
    page.fill('input[name="exports_usd"]', "1,200,000")
    page.fill('input[name="new_orders_usd"]', "900000")
    page.fill('input[name="backlog_usd"]', "3000000")
    page.fill('input[name="backlog_due_3m_usd"]', "2000000")
    page.fill('input[name="capacity_utilization_pct"]', "75")
    page.check('input[name="new_orders_trend"][value="down"]')
    page.check('input[name="outlook_3m"][value="same"]')
    page.select_option('select[name="lines-0-market"]', "US")
    page.fill('input[name="lines-0-hs"]', "8481")
    page.fill('input[name="lines-0-backlog_usd"]', "1000000")
    page.fill('input[name="lines-0-new_orders_usd"]', "300000")
    page.fill('input[name="lines-0-exports_usd"]', "500000")
    page.select_option('select[name="lines-1-market"]', "DE")
    page.fill('input[name="lines-1-hs"]', "84")
    page.fill('input[name="lines-1-backlog_usd"]', "800000")
    page.fill('input[name="lines-1-new_orders_usd"]', "200000")
    page.fill('input[name="lines-1-exports_usd"]', "400000")
    page.click("#submit-report")
    page.wait_for_selector("#report-confirmed")
    assert "/report/" in page.url and page.url.rstrip("/").endswith("2020-03")
    report = Report.objects.get(enterprise=w.ent_a, period="2020-03", is_current=True)
    assert report.version == 1
    assert sorted(report.lines.values_list("market_id", flat=True)) == ["DE", "US"]

    analyst = new_page()
    login(analyst, base, w.analyst.username, w.password)
    analyst.goto(f"{base}/bureau/status/?period=2020-03")
    row = analyst.locator(f'[data-uscc="{w.ent_a.uscc}"]')
    # Submitted on the frozen day 2020-04-15, after the 2020-04-05 deadline.
    assert row.locator("[data-status]").get_attribute("data-status") == "late"
    assert analyst.locator(f'[data-uscc="{w.ent_c.uscc}"] [data-status]').get_attribute("data-status") == "missing"

    other = new_page()
    login(other, base, w.other_reporter.username, w.password)
    for url in (f"/report/{w.ent_a.uscc}/2020-03/", f"/report/{w.ent_a.uscc}/2020-03/edit/"):
        response = other.goto(base + url)
        assert response is not None and response.status == 404


def test_the_form_keeps_typed_input_and_shows_the_error_on_a_phone(
    live_server: Any, world_tx: Any, new_page: Any
) -> None:
    w = world_tx
    page = new_page(width=390, height=844)
    login(page, live_server.url, w.reporter.username, w.password)
    page.goto(f"{live_server.url}/report/{w.ent_a.uscc}/2020-03/edit/")
    page.fill('input[name="exports_usd"]', "1000")
    page.fill('input[name="new_orders_usd"]', "1000")
    page.fill('input[name="backlog_usd"]', "500")
    page.fill('input[name="backlog_due_3m_usd"]', "900")
    page.check('input[name="new_orders_trend"][value="up"]')
    page.check('input[name="outlook_3m"][value="up"]')
    # Keyboard only: Enter in a field submits the form with the primary button.
    page.press('input[name="backlog_due_3m_usd"]', "Enter")
    page.wait_for_load_state("networkidle")
    assert page.input_value('input[name="backlog_due_3m_usd"]') == "900"
    assert page.locator("[role=alert], .errorlist").count() > 0
    assert not Report.objects.filter(enterprise=w.ent_a).exists()
    # Nothing on the page is wider than the phone screen.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
