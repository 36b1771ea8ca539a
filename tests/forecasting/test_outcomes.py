"""A past run shown against what happened since: the months reported after its origin, read through the reader's
scope from the latest run, beside the forecast on the overview, a series' page and a level's table."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from exportwatch.monitoring.templatetags.monitoring import pct, signed_pct
from tests.conftest import World
from tests.forecasting.conftest import CHEAP_MODELS, ORIGIN, exports_of
from tests.monitoring.conftest import submit

PAST = "2019-12"


def login(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


@pytest.fixture
def past(computed: World) -> World:
    """The run of 2020-03 (``computed``) and one from 2019-12; ent_a's February 2020 then revised to nothing (a
    halt the December forecast could not see) and the latest run recomputed, as the worker would."""
    from exportwatch.forecasting.services import forecasts_compute

    forecasts_compute(period=PAST, models=CHEAP_MODELS)
    submit(computed.ent_a, "2020-02", 0, 0, 0, 0, [("US", "8401", 0, 0, 0)])
    forecasts_compute(period=ORIGIN, models=CHEAP_MODELS)
    return computed


TOWN_A = "330213001"
SINCE = {"2020-01": 1350.0, "2020-02": 300.0, "2020-03": 1200.0}  # the three enterprises' exports, ent_a's Feb 0


def overview(query: str = "") -> str:
    return reverse("forecasting:overview") + query


def rows_of(html: str, table: str) -> dict[str, str]:
    """Each month's verdict in a forecast table: ``data-inside`` by ``data-period``."""
    body = html[html.index(f'id="{table}"') :]
    body = body[: body.index("</table>")]
    return dict(re.findall(r'<tr data-period="([^"]+)">.*?data-inside="([^"]*)"', body, re.S))


def verdict(f: Any, i: int, actual: float) -> str:
    if f.lo80[i] <= actual <= f.hi80[i]:
        return "80"
    return "95" if f.lo95[i] <= actual <= f.hi95[i] else "none"


def test_the_months_since_come_from_the_latest_run_and_a_latest_run_has_none(past: World) -> None:
    from exportwatch.forecasting import selectors as sel

    since = sel.outcomes_visible(past.analyst, sel.run_of(PAST), scope="district", keys=[""])
    assert since is not None and since.seen_in == ORIGIN
    assert since.by_key == {"": SINCE}
    assert sel.outcomes_visible(past.analyst, sel.run_of(ORIGIN), scope="district") is None
    towns = sel.outcomes_visible(past.analyst, sel.run_of(PAST), scope="town")
    assert towns is not None
    town_a = {p: (0 if p == "2020-02" else exports_of(1000, p)) + exports_of(100, p) for p in SINCE}  # ent_a + ent_b
    assert towns.by_key[TOWN_A] == town_a


def test_a_past_run_shows_each_month_against_what_was_reported_since(past: World) -> None:
    from exportwatch.forecasting.models import SeriesForecast

    f = SeriesForecast.objects.get(run__origin_period=PAST, scope="district", key="")
    html = login(past.analyst, HTTP_ACCEPT_LANGUAGE="en").get(overview(f"?origin={PAST}")).content.decode()
    expected = {p: verdict(f, i, v) for i, (p, v) in enumerate(SINCE.items())}
    assert expected["2020-02"] == "none"  # the halt was outside anything the December book showed
    assert rows_of(html, "district-fan-table") == expected | {"2020-04": "", "2020-05": "", "2020-06": ""}
    in80 = sum(v == "80" for v in expected.values())
    in95 = sum(v in ("80", "95") for v in expected.values())
    summary = html[html.index('id="outcome-summary"') :]
    assert f"of the 3 months reported since, {in80} fell inside the 80 % interval and {in95} inside the 95 %" in summary
    bias = sum(SINCE.values()) / sum(f.mean[:3]) - 1
    assert signed_pct(bias) in summary
    assert 'id="past-run"' in html and f"reports up to {PAST}" in html
    spec = json.loads(re.search(r'<script id="district-fan" type="application/json">(.*?)</script>', html, re.S)[1])
    assert spec["outcome"][-7] == spec["actual"][-7]  # drawn from the last month the forecast saw
    assert [v is not None for v in spec["outcome"][-6:]] == [True, True, True, False, False, False]
    assert spec["names"]["outcome"] == "Exports reported since"


def test_the_latest_run_has_no_comparison(past: World) -> None:
    html = login(past.analyst).get(overview()).content.decode()
    assert 'id="outcome-summary"' not in html and 'id="past-run"' not in html
    spec = json.loads(re.search(r'<script id="district-fan" type="application/json">(.*?)</script>', html, re.S)[1])
    assert "outcome" not in spec
    assert set(rows_of(html, "district-fan-table").values()) == set()  # no verdict column at all


def test_the_comparison_is_in_chinese_by_default(past: World) -> None:
    html = login(past.analyst).get(overview(f"?origin={PAST}")).content.decode()
    summary = html[html.index('id="outcome-summary"') :]
    assert "在此后已报送的 3 个月中" in summary
    assert "这是根据截至 2019-12 的报表所作的预测" in html


def test_a_level_of_a_past_run_shows_each_series_against_the_months_since_and_downloads_them(past: World) -> None:
    from exportwatch.forecasting.models import SeriesForecast

    client = login(past.analyst)
    html = client.get(reverse("forecasting:level", args=["market"]) + f"?origin={PAST}").content.decode()
    us = SeriesForecast.objects.get(run__origin_period=PAST, scope="market", key="US")
    us_since = [0.0 if p == "2020-02" else exports_of(1000, p) for p in SINCE]  # ent_a's US line is its exports
    row = html[html.index('<tr data-key="US">') :]
    cell = row[row.index("data-outcome") : row.index("</tr>")]
    bias = sum(us_since) / sum(us.mean[:3]) - 1
    assert signed_pct(bias) in cell
    r = client.get(reverse("forecasting:level", args=["market"]) + f"?origin={PAST}&format=csv")
    lines = b"".join(r.streaming_content).decode("utf-8-sig").splitlines()
    us_line = next(line for line in lines if line.startswith("US,"))
    assert us_line.split(",")[-3:] == [str(int(v)) for v in us_since]  # the months reported since, in USD
    latest = client.get(reverse("forecasting:level", args=["market"]) + "?format=csv")
    latest_header = b"".join(latest.streaming_content).decode("utf-8-sig").splitlines()[0]
    assert len(lines[0].split(",")) == len(latest_header.split(",")) + 3  # the latest run has nothing since


def test_a_town_officer_sees_their_towns_months_since_and_nothing_else(past: World) -> None:
    from exportwatch.forecasting import selectors as sel

    def keys(user: Any, scope: str) -> set[str]:
        since = sel.outcomes_visible(user, sel.run_of(PAST), scope=scope)
        assert since is not None
        return set(since.by_key)

    assert keys(past.town_officer, "town") == {TOWN_A}
    assert keys(past.town_officer, "district") == set()
    assert keys(past.outsider, "town") == set()
    html = login(past.town_officer).get(reverse("forecasting:level", args=["town"]) + f"?origin={PAST}").content
    assert html.decode().count("data-outcome") == 1


def test_the_api_gives_a_past_runs_months_with_the_exports_reported_since(past: World) -> None:
    client = login(past.analyst)
    district = client.get(f"/api/forecasts/district/-?origin={PAST}").json()
    assert [m["reported"] for m in district["forecast"][:4]] == [*SINCE.values(), None]
    listed = client.get(f"/api/forecasts?origin={PAST}&scope=district").json()["items"][0]
    assert listed["forecast"] == district["forecast"]
    latest = client.get("/api/forecasts/district/-").json()
    assert all(m["reported"] is None for m in latest["forecast"])  # nothing reported after the latest origin


def test_the_api_gives_a_town_officer_their_towns_months_since_only(past: World) -> None:
    body = login(past.town_officer).get(f"/api/forecasts?origin={PAST}").json()
    town = next(i for i in body["items"] if i["scope"] == "town")
    assert town["key"] == TOWN_A and town["forecast"][2]["reported"] == exports_of(1000, "2020-03") + exports_of(
        100, "2020-03"
    )
    assert {i["key"] for i in body["items"] if i["scope"] == "town"} == {TOWN_A}
    assert login(past.outsider).get(f"/api/forecasts?origin={PAST}").json()["items"] == []


def test_the_latest_run_lists_the_earlier_forecasts_against_what_happened(past: World) -> None:
    from exportwatch.forecasting.models import SeriesForecast

    f = SeriesForecast.objects.get(run__origin_period=PAST, scope="district", key="")
    html = login(past.analyst).get(overview()).content.decode()
    row = html[html.index(f'<tr data-origin="{PAST}">') :]
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', row[: row.index("</tr>")])
    in80 = sum(verdict(f, i, v) == "80" for i, v in enumerate(SINCE.values()))
    in95 = sum(verdict(f, i, v) in ("80", "95") for i, v in enumerate(SINCE.values()))
    bias = sum(SINCE.values()) / sum(f.mean[:3]) - 1
    wape = sum(abs(v - m) for v, m in zip(SINCE.values(), f.mean[:3], strict=False)) / sum(SINCE.values())
    assert cells == ["3", str(in80), str(in95), signed_pct(bias), pct(wape, 1)]
    assert f'href="?origin={PAST}"' in row
    past_page = login(past.analyst).get(overview(f"?origin={PAST}")).content.decode()
    assert 'id="earlier-table"' not in past_page  # a past run is itself set against what happened


def test_the_earlier_forecasts_follow_the_readers_scope(past: World) -> None:
    from exportwatch.forecasting import selectors as sel

    latest = sel.run_of(ORIGIN)
    assert latest is not None
    assert [
        e.run.origin_period for e in sel.forecasts_earlier(past.town_officer, latest, scope="town", key=TOWN_A)
    ] == [PAST]
    assert sel.forecasts_earlier(past.town_officer, latest, scope="district", key="") == []
    assert sel.forecasts_earlier(past.outsider, latest, scope="town", key=TOWN_A) == []
    html = login(past.town_officer).get(reverse("forecasting:series", args=["town", TOWN_A])).content.decode()
    assert f'<tr data-origin="{PAST}">' in html


def test_a_forecast_of_january_and_february_says_why_their_intervals_are_wider(past: World) -> None:
    client = login(past.analyst, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = client.get(overview("?origin=" + PAST)).content.decode()
    note = re.search(r'<p [^>]*id="festival-note" data-months="([^"]*)">(.*?)</p>', html, re.S)
    assert note is not None and note[1] == "2020-01 2020-02"
    assert "1 月和 2 月合并为一个季节预测" in note[2]
    assert 'id="festival-note"' not in client.get(overview()).content.decode()  # April to September ahead
