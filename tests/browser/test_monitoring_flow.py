"""The analyst's monitoring path in a real browser: overview -> a market (from the chart) -> its profile -> Excel."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from tests.browser.conftest import login
from tests.monitoring.conftest import submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_analyst_drills_from_the_overview_to_a_market_and_exports_it(
    live_server: Any, world_tx: Any, new_page: Any
) -> None:
    w = world_tx
    submit(w.ent_a, "2019-03", 1000, 2000, 6000, 3000, [("US", "8401", 4000, 1500, 800)])
    submit(w.ent_a, "2020-03", 900, 1000, 4500, 4000, [("US", "8401", 2000, 500, 600), ("DE", "85", 1500, 500, 300)])
    submit(w.ent_c, "2020-03", 500, 100, 900, 800, [("US", "94", 900, 100, 500)], "down")
    base = live_server.url
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, base, w.analyst.username, w.password)
    assert page.url.endswith("/bureau/monitoring/")  # the analyst's start page
    page.goto(f"{base}/bureau/monitoring/?period=2020-03")
    assert page.locator('[data-kpi="exports"] .stat-value').inner_text() == "0.1"  # 1,400 USD in 10k USD
    page.wait_for_selector("#chart-trend ~ .chart-canvas svg")  # the charts were drawn

    page.click("text=按市场")
    page.wait_for_selector("#chart-bar ~ .chart-canvas svg")
    # Click the bar chart's label of the largest market: the chart's own drill-down.
    page.locator("figure:has(#chart-bar) svg text", has_text="美国").first.click()
    page.wait_for_url("**/bureau/monitoring/market/US/**")
    assert "市场：美国" in page.locator("h1").inner_text()
    exposed = page.locator("#exposure-table tbody tr")
    assert exposed.count() == 2
    assert w.ent_a.name in exposed.nth(0).inner_text()  # 600 USD of US exports before ent_c's 500

    with page.expect_download() as download_info:
        page.locator("section[aria-labelledby='exp-title'] a", has_text="下载 Excel").click()
    data = download_info.value.path().read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [r for r in sheet.iter_rows(values_only=True)][2:]
    assert {(r[0], r[3]) for r in rows} == {(w.ent_a.uscc, 600), (w.ent_c.uscc, 500)}
    assert errors == []
