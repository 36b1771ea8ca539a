"""The Content-Security-Policy the server sends holds on the real pages: the monitoring dashboard, the forecasts,
a report form, an import job and the admin load in Chromium without one violation, and the charts still draw."""

from __future__ import annotations

import json
from typing import Any

import pytest

from exportwatch.core.periods import period_range
from exportwatch.exchange.jobs import import_job_create
from tests.browser.conftest import login
from tests.conftest import World
from tests.forecasting.conftest import CHEAP_MODELS, FIRST, ORIGIN, exports_of
from tests.monitoring.conftest import submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any script of the page (Playwright injects it outside the page's policy) and keeps every violation.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def history_tx(world_tx: World) -> World:
    """The forecasting tests' history (30 months of three enterprises), committed for the live server, with a
    forecast computed on it."""
    from exportwatch.forecasting.services import forecasts_compute

    w = world_tx
    w.ent_far.delete()
    for p in period_range(FIRST, ORIGIN):
        ea = exports_of(1000, p)
        submit(w.ent_a, p, ea, ea, 3 * ea, 2 * ea, [("US", "8401", 3 * ea, ea, ea)])
        ec = exports_of(400, p)
        submit(w.ent_c, p, ec, ec, 2 * ec, ec, [("DE", "94", 2 * ec, ec, ec)], "down")
    forecasts_compute(period="2019-12", models=CHEAP_MODELS)  # a past run, drawn against the months since
    forecasts_compute(period=ORIGIN, models=CHEAP_MODELS)
    return w


class Visitor:
    """One signed-in browser page that records policy violations and script errors."""

    def __init__(self, new_page: Any, base: str, username: str, password: str) -> None:
        self.base = base
        self.page = new_page()
        self.page.context.add_init_script(LISTEN)
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        login(self.page, base, username, password)

    def _console(self, message: Any) -> None:
        # Chromium reports a blocked inline style or script on the console too. Other console errors are not this
        # test's subject (the admin has no favicon link, so Chromium's automatic /favicon.ico request is a 404).
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"console: {message.text}")

    def open(self, path: str) -> list[str]:
        """Open ``path`` and return what went wrong on it (the response must be 200)."""
        self.problems.clear()
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, path
        self.page.wait_for_load_state("networkidle")
        assert "script-src 'self'" in (response.header_value("content-security-policy") or "")
        return [*self.problems, *self.page.evaluate("window.__csp")]

    def drawn_charts(self) -> list[dict[str, float]]:
        """Width and height of every chart's drawing (ECharts' SVG renderer) on the page."""
        self.page.wait_for_selector(".chart-canvas svg")
        sizes: list[dict[str, float]] = self.page.eval_on_selector_all(
            ".chart-canvas svg",
            "els => els.map(el => { const r = el.getBoundingClientRect(); return {width: r.width, height: r.height}; })",
        )
        return sizes


def test_the_bureau_pages_load_with_no_policy_violation_and_draw_their_charts(
    live_server: Any, history_tx: World, new_page: Any
) -> None:
    w = history_tx
    analyst = Visitor(new_page, live_server.url, w.analyst.username, w.password)

    assert analyst.open(f"/bureau/monitoring/?period={ORIGIN}") == []
    charts = analyst.drawn_charts()
    assert len(charts) >= 2
    assert all(c["width"] > 100 and c["height"] > 100 for c in charts), charts
    # A tooltip is drawn by the chart itself, not as an HTML element with inline styles.
    analyst.page.locator(".chart-canvas svg").first.hover()
    assert analyst.page.evaluate("window.__csp") == []

    assert analyst.open("/bureau/forecasts/") == []
    charts = analyst.drawn_charts()
    assert charts and all(c["width"] > 100 and c["height"] > 100 for c in charts), charts
    # The order book behind the forecast is drawn by charts.js beside the fan chart (fan.js).
    book = json.loads(analyst.page.locator("#book-chart").text_content() or "{}")
    drawn = analyst.page.locator("#order-book .chart-canvas svg")
    assert drawn.count() == 1 and book["series"][1]["name"] in (drawn.text_content() or "")

    assert analyst.open("/bureau/forecasts/?origin=2019-12") == []  # a past run: the months since drawn too
    assert analyst.drawn_charts()
    spec = json.loads(analyst.page.locator("#district-fan").text_content() or "{}")
    assert spec["names"]["outcome"] in analyst.page.locator(".chart-canvas svg").first.text_content()


def test_the_report_form_and_an_import_job_load_with_no_policy_violation(
    live_server: Any, world_tx: World, new_page: Any
) -> None:
    w = world_tx
    job = import_job_create(
        user=w.reporter,
        name="reports.csv",
        data=(
            "uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,capacity_utilization_pct,"
            f"new_orders_trend,outlook_3m\n{w.ent_a.uscc},2020-03,100000,80000,500000,300000,75,down,same\n"
        ).encode(),
    )
    reporter = Visitor(new_page, live_server.url, w.reporter.username, w.password)
    assert reporter.open(f"/report/{w.ent_a.uscc}/2020-03/edit/") == []
    assert reporter.page.locator("form input[name='exports_usd']").count() == 1
    assert reporter.open(f"/exchange/import/{job.pk}/") == []
    assert reporter.page.locator("progress").count() == 1


def test_the_admin_and_the_api_docs_load_with_no_policy_violation(
    live_server: Any, world_tx: World, new_page: Any
) -> None:
    w = world_tx
    admin = Visitor(new_page, live_server.url, w.admin.username, w.password)
    assert admin.open("/admin/") == []
    assert admin.page.locator("#content-main table").count() > 3  # the apps and their models
    assert admin.open("/admin/accounts/user/") == []
    assert admin.page.locator("#result_list tbody tr").count() >= 8  # the personas
    assert admin.open("/api/docs") == []
    admin.page.wait_for_selector("#swagger-ui .opblock")
