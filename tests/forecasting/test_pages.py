"""The forecast pages per persona: the district with its fan chart, record and target for the bureau; a town
officer their town and head enterprises; other roles refused; an outsider sees nothing of ours."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from exportwatch.common.models import AuditEvent
from exportwatch.forecasting.models import ExportTarget
from tests.conftest import World
from tests.monitoring.conftest import submit

TOWN_A, TOWN_B = "330213001", "330213100"


def login(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def overview() -> str:
    return reverse("forecasting:overview")


def level(scope: str) -> str:
    return reverse("forecasting:level", args=[scope])


def series(scope: str, key: str) -> str:
    return reverse("forecasting:series", args=[scope, key])


def test_the_analyst_sees_the_district_fan_chart_and_the_model_record(computed: World) -> None:
    r = login(computed.analyst).get(overview())
    assert r.status_code == 200
    html = r.content.decode()
    spec = json.loads(re.search(r'<script id="district-fan" type="application/json">(.*?)</script>', html, re.S)[1])
    assert spec["categories"][-6:] == ["2020-04", "2020-05", "2020-06", "2020-07", "2020-08", "2020-09"]
    assert spec["actual"][-7] is not None and spec["actual"][-6] is None
    assert spec["lo95"][-6] <= spec["lo80"][-6] <= spec["mean"][-6] <= spec["hi80"][-6] <= spec["hi95"][-6]
    assert 'id="record-table"' in html and 'data-model="seasonal_naive"' in html
    assert 'data-period="2020-04"' in html
    assert reverse("forecasting:target") in html  # the analyst may set the target


def test_the_record_note_states_the_bar_the_choice_uses(computed: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from exportwatch.forecasting import views

    monkeypatch.setattr(views, "MEDIAN_MARGIN", 0.45)  # the note follows the constant the choice is made with
    html = login(computed.analyst, HTTP_ACCEPT_LANGUAGE="zh-hans").get(overview()).content.decode()
    assert "各模型中位数只让位于平均 MASE 比它低 45% 以上的模型" in html


@pytest.mark.parametrize("scope", ["market", "market_group", "hs", "industry", "town", "enterprise"])
def test_every_level_lists_its_series_with_a_link_to_each(computed: World, scope: str) -> None:
    r = login(computed.analyst).get(level(scope))
    assert r.status_code == 200
    keys = re.findall(r'<tr data-key="([^"]*)"', r.content.decode())
    assert keys
    assert series(scope, keys[0]) in r.content.decode()
    assert login(computed.analyst).get(series(scope, keys[0])).status_code == 200


def test_a_level_downloads_as_csv(computed: World) -> None:
    r = login(computed.analyst).get(level("market") + "?format=csv")
    body = b"".join(r.streaming_content).decode("utf-8-sig")
    lines = body.splitlines()
    assert len(lines) == 1 + 3
    assert lines[1].startswith("US,")


def test_the_leader_reads_but_may_not_set_the_target(computed: World) -> None:
    client = login(computed.leader)
    r = client.get(overview())
    assert r.status_code == 200 and 'id="district-fan"' in r.content.decode()
    assert reverse("forecasting:target") not in r.content.decode()
    assert client.post(reverse("forecasting:target"), {"year": 2020, "amount_wan": "1"}).status_code == 403
    assert not ExportTarget.objects.exists()


def test_a_town_officer_sees_their_town_and_its_head_enterprises_only(computed: World) -> None:
    client = login(computed.town_officer)
    assert client.get(overview()).status_code == 302  # to the towns: the district is not theirs
    r = client.get(level("town"))
    assert re.findall(r'<tr data-key="([^"]*)"', r.content.decode()) == [TOWN_A]
    assert client.get(series("town", TOWN_A)).status_code == 200
    assert client.get(series("town", TOWN_B)).status_code == 404
    assert client.get(series("enterprise", computed.ent_a.uscc)).status_code == 200
    assert client.get(level("market")).status_code == 404
    assert client.get(series("market", "US")).status_code == 404


def test_an_outsider_sees_nothing_of_ours(computed: World) -> None:
    client = login(computed.outsider)
    assert client.get(overview()).status_code == 302
    r = client.get(level("town"))
    assert r.status_code == 200 and "data-key=" not in r.content.decode()
    for scope, key in (("town", TOWN_A), ("enterprise", computed.ent_a.uscc), ("market", "US"), ("industry", "34")):
        assert client.get(series(scope, key)).status_code == 404
    assert client.get(level("market")).status_code == 404
    assert client.post(reverse("forecasting:target"), {"year": 2020, "amount_wan": "1"}).status_code == 403


@pytest.mark.parametrize("persona", ["reporter", "handler"])
def test_roles_that_never_use_forecasts_are_refused(computed: World, persona: str) -> None:
    client = login(getattr(computed, persona))
    for url in (overview(), level("town"), series("market", "US")):
        assert client.get(url).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(computed: World) -> None:
    assert Client().get(overview()).status_code == 302


def test_the_analyst_sets_the_target_and_the_page_shows_the_gap_and_the_probability(computed: World) -> None:
    client = login(computed.analyst, enforce_csrf_checks=True)
    page = client.get(overview())
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    data = {"year": 2020, "amount_wan": "1.25", "note": "held level", "csrfmiddlewaretoken": token}
    assert (
        client.post(
            reverse("forecasting:target"), {k: v for k, v in data.items() if k != "csrfmiddlewaretoken"}
        ).status_code
        == 403
    )
    r = client.post(reverse("forecasting:target"), data)
    assert r.status_code == 302
    target = ExportTarget.objects.get(year=2020)
    assert target.amount_usd == Decimal("12500.00") and target.set_by == computed.analyst
    event = AuditEvent.objects.get(action="export_target_set")
    assert (event.object_key, event.old, event.new["amount_usd"]) == ("2020", None, "12500.00")
    html = client.get(overview()).content.decode()
    assert 'id="target-table"' in html and 'data-kpi="target"' in html
    from exportwatch.forecasting import selectors as sel
    from exportwatch.monitoring.templatetags.monitoring import pct, signed_pct

    track = sel.target_status(run=sel.run_latest()).track  # type: ignore[union-attr]
    table = html[html.index('id="target-table"') :]
    assert track.gap is not None and signed_pct(track.gap) in table  # computed from the stored forecast and target
    assert track.probability is not None and pct(track.probability, 0) in table
    data["amount_wan"] = "2"
    client.post(reverse("forecasting:target"), data)
    assert AuditEvent.objects.filter(action="export_target_set").latest("id").old["amount_usd"] == "12500.00"


def test_a_past_origin_can_be_shown_and_an_unknown_one_is_not_found(computed: World) -> None:
    client = login(computed.analyst)
    assert client.get(overview() + "?origin=2020-03").status_code == 200
    assert client.get(overview() + "?origin=2019-03").status_code == 404
    assert client.get(overview() + "?origin=nonsense").status_code == 404
    assert client.get(level("nonsense")).status_code == 404


def test_the_overview_says_which_month_is_coming_in_and_why_the_forecasts_wait_for_it(computed: World) -> None:
    client = login(computed.analyst, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "data-origin-pending" not in client.get(overview()).content.decode()
    submit(computed.ent_c, "2020-04", 1, 1, 1, 1)  # the first of April's reports, before its deadline (2020-05-05)
    html = client.get(overview()).content.decode()
    notice = re.search(r'<p class="notice" role="status" data-origin-pending="2020-04">(.*?)</p>', html, re.S)
    assert notice is not None
    assert "2020-04 的报表正在报送中：已有 1 家企业报送（上月 3 家），报送截止日为 2020-05-05" in notice[1]
    assert "达到上月的 90%" in notice[1]


def test_a_level_names_the_month_coming_in_to_those_who_read_the_whole_jurisdiction(computed: World) -> None:
    submit(computed.ent_c, "2020-04", 1, 1, 1, 1)
    page = login(computed.analyst, HTTP_ACCEPT_LANGUAGE="zh-hans").get(level("market")).content.decode()
    assert 'data-origin-pending="2020-04"' in page and "已有 1 家企业报送（上月 3 家）" in page
    town = login(computed.town_officer).get(level("town")).content.decode()
    assert 'id="forecasts-table"' in town and "data-origin-pending" not in town  # the counts are the district's


def test_the_fan_table_says_how_much_of_the_history_is_estimated(history: World) -> None:
    from exportwatch.forecasting.services import forecasts_compute
    from exportwatch.monitoring.cells import cells_rebuild
    from exportwatch.reporting.models import Report
    from tests.forecasting.conftest import CHEAP_MODELS, ORIGIN

    Report.objects.filter(enterprise=history.ent_c, period=ORIGIN).delete()  # still to report the origin
    cells_rebuild()
    forecasts_compute(period=ORIGIN, models=CHEAP_MODELS)
    html = login(history.analyst, HTTP_ACCEPT_LANGUAGE="zh-hans").get(overview()).content.decode()
    note = re.search(r'<p [^>]*id="filled-note" data-share="([0-9.]+)">(.*?)</p>', html, re.S)
    assert note is not None
    # ent_c's March carried from February: 320 of 800 + 80 + 320.
    assert float(note.group(1)) == pytest.approx(320 / 1200, abs=1e-4)
    assert "2020-03 的出口中有 0.0 万美元（26.7%）为海关数据或推算值" in note.group(2)
    page = login(history.analyst, HTTP_ACCEPT_LANGUAGE="zh-hans").get(series("market", "US")).content.decode()
    assert 'id="filled-note"' not in page  # nothing of the US was estimated


def test_the_record_says_the_intervals_are_scaled_to_it(computed: World) -> None:
    html = login(computed.analyst, HTTP_ACCEPT_LANGUAGE="zh-hans").get(overview()).content.decode()
    assert re.search(r'id="record-scaled">预测区间已按回测成绩校准.*?“80% 覆盖率”', html)


def test_a_run_stored_before_the_scaling_does_not_claim_it(computed: World) -> None:
    from exportwatch.forecasting.models import SeriesForecast

    district = SeriesForecast.objects.get(scope="district")
    district.record = {
        m: [{k: v for k, v in r.items() if k != "spread"} for r in rs] for m, rs in district.record.items()
    }
    district.save()
    html = login(computed.analyst, HTTP_ACCEPT_LANGUAGE="zh-hans").get(overview()).content.decode()
    assert 'id="record-table"' in html and 'id="record-scaled"' not in html
