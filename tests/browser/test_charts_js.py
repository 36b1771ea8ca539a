"""charts.js in a real browser, on pages served through Playwright routes under a strict Content-Security-Policy."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.browser

ORIGIN = "http://exportwatch.test"
CSP = "default-src 'self'"  # implies script-src 'self' and style-src 'self': no inline code or styles
MONTHS = ["2019-10", "2019-11", "2019-12", "2020-01", "2020-02", "2020-03"]
LINE = {
    "type": "line",
    "categories": MONTHS,
    "series": [
        {"name": "出口额", "values": [123456789, 98000000, 110000000, None, 45000000, 87000000]},
        {"name": "新订单占比", "values": [0.42, 0.38, 0.5, 0.31, 0.22, 0.35], "axis": 1},
    ],
    "unit": "USD",
    "yName": "美元",
    "y2Name": "占比",
    "y2Unit": "%",
    "y2Percent": True,
    "markLine": 100000000,
}
HBAR = {
    "type": "hbar",
    "categories": ["美国", "德国", "日本", "越南"],
    "series": [{"name": "在手订单", "values": [45000000, 12345678, 9999999, 1200]}],
    "hrefs": ["/market/US/", "/market/DE/", None, "javascript:alert(1)"],
    "unit": "USD",
    "yName": "美元",
}
TREEMAP = {
    "type": "treemap",
    "items": [{"name": "美国", "value": 45000000, "href": "/market/US/"}, {"name": "德国", "value": 12000000}],
    "unit": "USD",
}


@functools.cache
def _static(path: str) -> bytes | None:
    found = finders.find(path)
    return Path(found).read_bytes() if found else None


def _figure(chart_id: str, spec: dict[str, Any]) -> str:
    return (
        f'<figure class="chart" data-chart id="{chart_id}"><figcaption>{chart_id}</figcaption>'
        f'<script type="application/json">{json.dumps(spec, ensure_ascii=False)}</script>'
        '<div class="chart-canvas"></div><table><tr><td>the same numbers</td></tr></table></figure>'
    )


def _page_html(lang: str, charts: dict[str, dict[str, Any]], with_echarts: bool = True) -> str:
    echarts = '<script src="/static/vendor/echarts/echarts.min.js" defer></script>' if with_echarts else ""
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<link rel="stylesheet" href="/static/exportwatch/app.css">'
        '<link rel="stylesheet" href="/static/exportwatch/charts.css">'
        f'{echarts}<script src="/static/exportwatch/charts.js" defer></script></head>'
        f"<body><main>{''.join(_figure(k, v) for k, v in charts.items())}</main></body></html>"
    )


class Opened(NamedTuple):
    page: Any
    errors: list[str]  # console errors
    visits: list[str]  # paths the page navigated to


def _open(browser: Any, html: str, locale: str = "zh-CN") -> tuple[Any, Opened]:
    ctx = browser.new_context(locale=locale, viewport={"width": 1000, "height": 900}, reduced_motion="reduce")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    opened = Opened(page, [], [])
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))

    def serve(route: Any) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        if path.startswith("/static/"):
            body = _static(path.removeprefix("/static/"))
            kind = "text/css" if path.endswith(".css") else "text/javascript"
            if body is None:
                route.fulfill(status=404)
            else:
                route.fulfill(body=body, content_type=kind)
        elif path == "/favicon.ico":
            route.fulfill(status=204)
        else:
            if path != "/":
                opened.visits.append(path)
            body = html if path == "/" else "<!doctype html><title>next</title>"
            route.fulfill(body=body, content_type="text/html; charset=utf-8", headers={"Content-Security-Policy": CSP})

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    return ctx, opened


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Opened]]:
    contexts = []

    def make(html: str, locale: str = "zh-CN") -> Opened:
        ctx, opened = _open(browser, html, locale)
        contexts.append(ctx)
        return opened

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="module")
def zh_page(browser: Any) -> Iterator[Opened]:
    """One Chinese page with a line and an hbar chart, shared by the tests that do not navigate away."""
    ctx, opened = _open(browser, _page_html("zh-CN", {"line": LINE, "hbar": HBAR}))
    yield opened
    ctx.close()


def _chart_texts(page: Any, chart_id: str) -> str:
    page.wait_for_selector(f"#{chart_id} .chart-canvas svg")
    return " ".join(page.locator(f"#{chart_id} .chart-canvas svg text").all_text_contents())


def _pixel(page: Any, chart_id: str, value: float, index: int) -> tuple[float, float]:
    """Page coordinates of (value, category index) in an hbar chart."""
    x, y = page.evaluate(
        "([id, v, i]) => echarts.getInstanceByDom(document.querySelector('#' + id + ' .chart-canvas'))"
        ".convertToPixel({gridIndex: 0}, [v, i])",
        [chart_id, value, index],
    )
    box = page.locator(f"#{chart_id} .chart-canvas").bounding_box()
    return box["x"] + x, box["y"] + y


def test_it_draws_both_charts_under_a_strict_csp_without_console_errors(zh_page: Opened) -> None:
    page, errors, _ = zh_page
    for chart_id in ("line", "hbar"):
        canvas = page.locator(f"#{chart_id} .chart-canvas")
        page.wait_for_selector(f"#{chart_id} .chart-canvas svg")
        assert canvas.get_attribute("tabindex") == "0"
        assert canvas.get_attribute("role") == "img"
        assert canvas.bounding_box()["height"] == 320
    box = page.locator("#line .chart-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a tooltip, drawn in the SVG
    page.wait_for_timeout(200)
    assert errors == []


def test_chinese_axes_show_amounts_in_wan_and_yi(zh_page: Opened) -> None:
    page = zh_page.page
    line = _chart_texts(page, "line")
    assert "1亿" in line and "8,000万" in line and "50%" in line
    assert "4,000万" in _chart_texts(page, "hbar")


def test_english_axes_show_amounts_in_k_m_b(open_page: Callable[..., Opened]) -> None:
    page = open_page(_page_html("en", {"line": LINE}), locale="en-GB").page
    line = _chart_texts(page, "line")
    assert "100M" in line and "80M" in line and "万" not in line


def test_clicking_an_hbar_row_with_a_link_goes_there(open_page: Callable[..., Opened]) -> None:
    page, _, visits = open_page(_page_html("zh-CN", {"hbar": HBAR}))
    page.wait_for_selector("#hbar .chart-canvas svg")
    x, y = _pixel(page, "hbar", 9999999, 1)
    page.mouse.move(x - 5, y)
    assert page.evaluate("([x, y]) => getComputedStyle(document.elementFromPoint(x, y)).cursor", [x - 5, y]) == (
        "pointer"
    )
    with page.expect_navigation():
        page.mouse.click(x - 5, y)
    assert visits == ["/market/DE/"]


def test_rows_without_a_safe_link_are_not_links(zh_page: Opened) -> None:
    page, _, visits = zh_page
    page.wait_for_selector("#hbar .chart-canvas svg")
    for row in (2, 3):  # no href; a javascript: href
        x, y = _pixel(page, "hbar", 1000000, row)
        page.mouse.move(x, y)
        assert page.evaluate("([x, y]) => getComputedStyle(document.elementFromPoint(x, y)).cursor", [x, y]) != (
            "pointer"
        )
        page.mouse.click(x, y)
    page.wait_for_timeout(200)
    assert visits == []


def test_clicking_a_treemap_tile_with_a_link_goes_there(open_page: Callable[..., Opened]) -> None:
    page, errors, visits = open_page(_page_html("zh-CN", {"treemap": TREEMAP}))
    page.wait_for_selector("#treemap .chart-canvas svg")
    box = page.locator("#treemap .chart-canvas").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + 40, box["y"] + box["height"] / 2)  # the larger tile, on the left
    assert visits == ["/market/US/"]
    assert errors == []


def test_without_echarts_the_table_stays_and_the_chart_is_marked_unavailable(
    open_page: Callable[..., Opened],
) -> None:
    page, errors, _ = open_page(_page_html("zh-CN", {"hbar": HBAR}, with_echarts=False))
    page.wait_for_selector("#hbar.chart-unavailable")
    assert not page.locator("#hbar .chart-canvas").is_visible()
    assert page.locator("#hbar table").is_visible()
    assert errors == []
