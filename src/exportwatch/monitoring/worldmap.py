"""The world map of markets on the market structure page (a chart spec for static/exportwatch/charts.js).

A map with country borders may only be drawn from an approved base map (审图号, see STACK.md). So by default the
map has no borders at all: one bubble per market at its capital on a plain longitude/latitude plane
(``bubblemap``). Only when an approved GeoJSON file and its approval number are configured
(``EXPORTWATCH_WORLD_MAP_FILE`` and ``EXPORTWATCH_WORLD_MAP_APPROVAL``) are the markets drawn on that map instead
(``geomap``), the file served by ``views.world_map`` and the number shown under the map.

Both maps colour a market by its new orders year on year on one diverging scale (``BANDS``) and lead to the same
place as a click on the market's bar.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exportwatch.directory.reference import DATA_DIR
from exportwatch.monitoring import selectors as sel

COORDINATES_FILE = DATA_DIR / "market_coordinates.json"

# The borderless plane is cut in the Atlantic at 30°W, so the Pacific is in the middle and China near it, as
# on the standard world maps published in China; charts.js moves the Americas to the right of the cut.
WEST_EDGE = -30


@dataclass(frozen=True)
class Band:
    """New orders year on year from ``low`` (inclusive) to ``high`` (exclusive); None is open-ended."""

    low: float | None
    high: float | None
    color: str
    label: Promise


# ColorBrewer RdYlBu (readable with the common colour-vision deficiencies): falling red, rising blue. Red means
# "falling" here, as it does in the warning colours of the rest of the application.
BANDS = (
    Band(None, -0.20, "#d7191c", gettext_lazy("Falling by more than 20%")),
    Band(-0.20, -0.05, "#fdae61", gettext_lazy("Falling by 5% to 20%")),
    Band(-0.05, 0.05, "#ffffbf", gettext_lazy("Steady (within ±5%)")),
    Band(0.05, 0.20, "#abd9e9", gettext_lazy("Rising by 5% to 20%")),
    Band(0.20, None, "#2c7bb6", gettext_lazy("Rising by more than 20%")),
)
UNKNOWN = Band(None, None, "#a7b0ba", gettext_lazy("No year-ago figure"))
LEGEND = (*reversed(BANDS), UNKNOWN)  # in the order of the map's legend; a point's band is an index into it


def yoy_band(yoy: float | None) -> Band:
    """The colour band of a year-on-year change (a fraction: -0.12 is 12% down); UNKNOWN without one."""
    if yoy is None:
        return UNKNOWN
    for band in BANDS:
        if (band.low is None or yoy >= band.low) and (band.high is None or yoy < band.high):
            return band
    raise AssertionError("the bands cover every number")  # pragma: no cover


# Regions a click on the map's buttons zooms to: [west, south, east, north] in degrees (east may pass 180).
VIEWS = (
    (gettext_lazy("World"), None),
    (gettext_lazy("Asia"), (25, -12, 150, 56)),
    (gettext_lazy("Europe"), (-25, 34, 45, 66)),
    (gettext_lazy("Africa"), (-26, -36, 58, 38)),
    (gettext_lazy("Americas"), (-125, -56, -34, 62)),
    (gettext_lazy("Oceania"), (110, -48, 190, 20)),
)
# Faint continent names that help the eye find its way on a map without coastlines (away from the capitals).
CONTINENTS = (
    (gettext_lazy("Asia"), (95, 62)),
    (gettext_lazy("Europe"), (24, 67)),
    (gettext_lazy("Africa"), (22, -8)),
    (gettext_lazy("North America"), (-103, 50)),
    (gettext_lazy("South America"), (-62, -10)),
    (gettext_lazy("Oceania"), (134, -26)),
)


@functools.cache
def market_coordinates() -> dict[str, tuple[float, float]]:
    """Market code -> (longitude, latitude) of its capital, from directory/data/market_coordinates.json."""
    with COORDINATES_FILE.open(encoding="utf-8") as fh:
        items: dict[str, Any] = json.load(fh)["items"]
    return {code: (float(item["at"][0]), float(item["at"][1])) for code, item in items.items()}


@dataclass(frozen=True)
class ApprovedMap:
    path: Path  # a GeoJSON FeatureCollection
    approval: str  # its approval number (审图号), shown under the map
    iso_property: str  # the feature property with the ISO 3166-1 alpha-2 code


def approved_map() -> ApprovedMap | None:
    """The approved base map from the settings, or None when there is none (then no border is ever drawn)."""
    path = settings.EXPORTWATCH_WORLD_MAP_FILE
    approval = settings.EXPORTWATCH_WORLD_MAP_APPROVAL
    if not (path and approval):
        return None
    return ApprovedMap(Path(path), approval, settings.EXPORTWATCH_WORLD_MAP_ISO_PROPERTY)


def _wan(value: Any) -> float:
    return round(float(value) / 10_000, 1)


def map_chart(rows: Sequence[sel.Row], href: Callable[[sel.Row], str | None]) -> dict[str, Any]:
    """The chart spec of the world map for a market breakdown.

    Args:
        rows: one row per market (``key`` is the ISO code), as ``selectors.breakdown(..., "market")`` returns them.
        href: where a click on a market leads (the drill link of the bar chart).

    Returns:
        A ``geomap`` spec when an approved base map is configured, else a ``bubblemap``. Each point carries the
        market's exports of the month in 10k USD (``value``; markets without exports are left out, largest
        first), its new orders year on year as a fraction (``yoy``) and the colour of its band.
    """
    base = approved_map()
    places = market_coordinates()
    points = []
    unplaced = []
    for row in sorted(rows, key=lambda r: -r.now.exports):
        if row.now.exports <= 0:
            continue
        at = places.get(row.key)
        if base is None and at is None:
            unplaced.append(row.name)
            continue
        band = yoy_band(row.new_orders_yoy)
        points.append(
            {
                "code": row.key,
                "name": row.name,
                "at": list(at) if at else None,
                "value": _wan(row.now.exports),
                "yoy": None if row.new_orders_yoy is None else round(row.new_orders_yoy, 4),
                "band": LEGEND.index(band),
                "color": band.color,
                "href": href(row),
            }
        )
    spec: dict[str, Any] = {
        "type": "bubblemap" if base is None else "geomap",
        "points": points,
        "bands": [{"name": str(b.label), "color": b.color} for b in LEGEND],
        "legendLabel": _("Colour: new orders year on year"),
        "unit": _("10k USD"),
        "valueName": _("Exports"),
        "yoyName": _("New orders, year on year"),
        "views": [{"name": str(name), "box": list(box) if box else None} for name, box in VIEWS],
        "viewsLabel": _("Zoom the map to"),
    }
    if base is None:
        spec["westEdge"] = WEST_EDGE
        spec["continents"] = [{"name": str(name), "at": list(at)} for name, at in CONTINENTS]
        spec["unplaced"] = unplaced
    else:
        spec["mapUrl"] = reverse("monitoring:world_map")
        spec["nameProperty"] = base.iso_property
        spec["approval"] = base.approval
    return spec
