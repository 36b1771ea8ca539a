"""The world map of markets: borderless bubbles by default, the bordered map only from an approved base map."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from exportwatch.directory.reference import DATA_DIR
from exportwatch.monitoring import selectors as sel
from exportwatch.monitoring import worldmap
from tests.conftest import World

PERIOD = "2020-03"
SKIPPED = {"AQ"}  # Antarctica: no capital, not a place trade figures are put at
GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"iso": "US"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[-120, 30], [-75, 30], [-75, 48], [-120, 48], [-120, 30]]],
            },
        },
        {
            "type": "Feature",
            "properties": {"iso": "DE"},
            "geometry": {"type": "Polygon", "coordinates": [[[6, 47], [15, 47], [15, 55], [6, 55], [6, 47]]]},
        },
    ],
}


def row(key: str, exports: int, new_orders: int, new_orders_year_ago: int | None) -> sel.Row:
    year_ago = None if new_orders_year_ago is None else sel.Figures(1, Decimal(0), Decimal(new_orders_year_ago))
    return sel.Row(key, f"market {key}", sel.Figures(1, Decimal(exports), Decimal(new_orders)), year_ago)


def href(r: sel.Row) -> str:
    return f"/market/{r.key}/"


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def approved(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "world.geojson"
    path.write_text(json.dumps(GEOJSON), encoding="utf-8")
    settings.EXPORTWATCH_WORLD_MAP_FILE = str(path)
    settings.EXPORTWATCH_WORLD_MAP_APPROVAL = "GS(2099)0001号"
    settings.EXPORTWATCH_WORLD_MAP_ISO_PROPERTY = "iso"
    return path


def test_every_market_has_coordinates_but_the_skipped_ones() -> None:
    markets = {m["code"] for m in json.loads((DATA_DIR / "markets.json").read_text(encoding="utf-8"))["items"]}
    places = worldmap.market_coordinates()
    assert set(places) == markets - SKIPPED
    assert all(-180 <= lon <= 180 and -90 <= lat <= 90 for lon, lat in places.values())
    assert places["CN"] == (116.4, 39.9) and places["US"] == (-77.0, 38.9)  # Beijing, Washington


def test_it_draws_a_bubble_per_market_with_exports_largest_first() -> None:
    rows = [row("DE", 30_000, 500, 500), row("US", 110_000, 600, 1900), row("JP", 0, 300, None)]
    spec = worldmap.map_chart(rows, href)
    assert spec["type"] == "bubblemap" and "mapUrl" not in spec and "approval" not in spec
    assert [(p["code"], p["value"], p["at"], p["href"]) for p in spec["points"]] == [
        ("US", 11.0, [-77.0, 38.9], "/market/US/"),  # 10k USD
        ("DE", 3.0, [13.4, 52.5], "/market/DE/"),
    ]  # JP has no exports: no bubble


@pytest.mark.parametrize(
    ("new_orders", "year_ago", "color"),
    [
        (70, 100, "#d7191c"),  # -30 %: falling fast, red
        (90, 100, "#fdae61"),  # -10 %
        (100, 100, "#ffffbf"),  # flat
        (104, 100, "#ffffbf"),
        (110, 100, "#abd9e9"),  # +10 %
        (150, 100, "#2c7bb6"),  # +50 %: rising fast, blue
        (100, None, "#a7b0ba"),  # no year-ago figure: grey
    ],
)
def test_the_colour_follows_new_orders_year_on_year(new_orders: int, year_ago: int | None, color: str) -> None:
    point = worldmap.map_chart([row("FR", 1000, new_orders, year_ago)], href)["points"][0]
    assert point["color"] == color
    assert worldmap.map_chart([], href)["bands"][point["band"]]["color"] == color


def test_a_market_without_a_position_is_named_not_drawn() -> None:
    spec = worldmap.map_chart([row("AQ", 1000, 1, 1), row("FR", 1000, 1, 1)], href)
    assert [p["code"] for p in spec["points"]] == ["FR"]
    assert spec["unplaced"] == ["market AQ"]


def test_an_approved_base_map_switches_to_the_bordered_map(approved: Path) -> None:
    spec = worldmap.map_chart([row("US", 110_000, 600, 1900)], href)
    assert spec["type"] == "geomap"
    assert spec["mapUrl"] == reverse("monitoring:world_map")
    assert spec["nameProperty"] == "iso" and spec["approval"] == "GS(2099)0001号"
    assert spec["points"][0]["code"] == "US" and spec["points"][0]["color"] == "#d7191c"


def test_the_market_page_shows_the_borderless_map_and_says_why(book: World) -> None:
    response = login(book.analyst).get(reverse("monitoring:structure", args=["market"]), {"period": PERIOD})
    spec = response.context["map_chart"]
    assert spec["type"] == "bubblemap"
    assert [(p["code"], p["href"]) for p in spec["points"]] == [
        ("US", reverse("monitoring:market", args=["US"]) + "?period=2020-03"),  # the bar chart's drill link
        ("DE", reverse("monitoring:market", args=["DE"]) + "?period=2020-03"),
        ("JP", reverse("monitoring:market", args=["JP"]) + "?period=2020-03"),
    ]
    text = response.content.decode()
    assert 'id="chart-map"' in text and "审图号" in text and "world-map" not in text
    other = login(book.analyst).get(reverse("monitoring:structure", args=["town"]), {"period": PERIOD})
    assert other.context["map_chart"] is None and 'id="chart-map"' not in other.content.decode()


def test_the_market_page_shows_the_approval_number_of_the_bordered_map(book: World, approved: Path) -> None:
    response = login(book.analyst).get(reverse("monitoring:structure", args=["market"]), {"period": PERIOD})
    assert response.context["map_chart"]["type"] == "geomap"
    assert "审图号：GS(2099)0001号" in response.content.decode()


def test_the_base_map_is_served_to_the_bureau(book: World, approved: Path) -> None:
    response = login(book.analyst).get(reverse("monitoring:world_map"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert json.loads(b"".join(response.streaming_content)) == GEOJSON


def test_the_base_map_is_refused_to_others(book: World, approved: Path) -> None:
    url = reverse("monitoring:world_map")
    assert Client().get(url).status_code == 302  # to the login page
    assert login(book.reporter).get(url).status_code == 404
    assert login(book.outsider).get(url).status_code == 200  # the same map for every bureau; no figure in it


def test_without_an_approved_map_there_is_no_base_map(book: World) -> None:
    assert login(book.analyst).get(reverse("monitoring:world_map")).status_code == 404
