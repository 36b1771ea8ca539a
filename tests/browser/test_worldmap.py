"""The market structure page draws its world map in a real browser: bubbles by default, an approved map if set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import login
from tests.monitoring.conftest import submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAP = "#chart-map ~ .chart-canvas"


def _square(code: str, west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Feature", "properties": {"iso": code}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _open_market_page(live_server: Any, w: Any, new_page: Any) -> tuple[Any, list[str]]:
    submit(w.ent_a, "2019-03", 1000, 2000, 6000, 3000, [("US", "8401", 4000, 1500, 800)])
    submit(w.ent_a, "2020-03", 900, 1000, 4500, 4000, [("US", "8401", 2000, 500, 600), ("DE", "85", 1500, 500, 300)])
    page = new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live_server.url, w.analyst.username, w.password)
    page.goto(f"{live_server.url}/bureau/monitoring/structure/market/?period=2020-03")
    return page, errors


def test_the_market_page_draws_the_borderless_map_and_a_bubble_leads_to_the_market(
    live_server: Any, world_tx: Any, new_page: Any
) -> None:
    page, errors = _open_market_page(live_server, world_tx, new_page)
    page.wait_for_selector(f"{MAP} svg")
    texts = " ".join(page.locator(f"{MAP} svg text").all_text_contents())
    assert "美国" in texts and "德国" in texts and "亚洲" in texts  # bubble labels and a continent name
    legend = page.locator("figure:has(#chart-map) .chart-legend button")
    assert legend.count() == 6 and "下降超过20%" in legend.all_text_contents()  # US: new orders 500 against 1,500
    assert page.locator("figure:has(#chart-map) .chart-views button").count() == 6
    chart = "echarts.getInstanceByDom(document.querySelector('#chart-map ~ .chart-canvas'))"
    page.locator("figure:has(#chart-map) .chart-views button", has_text="欧洲").click()
    west, east = page.evaluate(
        f"() => {{ const z = {chart}.getOption().dataZoom[0]; return [z.startValue, z.endValue]; }}"
    )
    assert -30 <= west < -10 and 40 < east < 100  # Europe, widened to the map's aspect ratio

    # Back to the world; a click on the US bubble opens the market's profile, as the bar does.
    page.locator("figure:has(#chart-map) .chart-views button", has_text="全球").click()
    # Wait until the zoom has settled (on a busy machine the animation takes longer than a fixed pause).
    page.wait_for_function(
        f"""() => {{
            const z = {chart}.getOption().dataZoom[0], now = z.startValue + ',' + z.endValue;
            const same = window.__lastZoom === now; window.__lastZoom = now; return same;
        }}""",
        polling=250,
    )
    page.locator(MAP).scroll_into_view_if_needed()  # the click lands in the viewport, whatever the page scrolled to
    # The US bubble where the chart drew it, in page coordinates.
    x, y = page.evaluate(
        f"""() => {{
            const c = {chart}, data = c.getModel().getSeriesByIndex(1).getData();
            const el = data.getItemGraphicEl(data.indexOfName("美国"));
            const b = el.getBoundingRect().clone(); b.applyTransform(el.transform);
            const r = c.getZr().painter.getViewportRoot().getBoundingClientRect();
            return [r.left + b.x + b.width / 2, r.top + b.y + b.height / 2];
        }}"""
    )
    page.mouse.click(x, y)
    page.wait_for_url("**/bureau/monitoring/market/US/**", timeout=30_000)
    assert errors == []


def test_an_approved_base_map_is_drawn_with_its_approval_number(
    live_server: Any, world_tx: Any, new_page: Any, settings: Any, tmp_path: Path
) -> None:
    path = tmp_path / "world.geojson"
    features = [_square("US", -120, 30, -75, 48), _square("DE", 6, 47, 15, 55), _square("FR", -4, 43, 6, 50)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    settings.EXPORTWATCH_WORLD_MAP_FILE = str(path)
    settings.EXPORTWATCH_WORLD_MAP_APPROVAL = "GS(2099)0001号"
    settings.EXPORTWATCH_WORLD_MAP_ISO_PROPERTY = "iso"
    page, errors = _open_market_page(live_server, world_tx, new_page)
    page.wait_for_selector(f"{MAP} svg path")
    assert "审图号：GS(2099)0001号" in page.locator("section:has(#chart-map)").inner_text()
    fills = page.eval_on_selector_all(f"{MAP} svg path", "els => els.map(e => e.getAttribute('fill'))")
    assert "#d7191c" in fills  # the US area, new orders down by two thirds
    assert errors == []
