"""/api/forecasts: read only, the same scopes as the pages."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.conftest import World
from tests.monitoring.conftest import submit

TOWN_A, TOWN_B = "330213001", "330213100"


def api(user: Any, path: str) -> Any:
    client = Client()
    client.force_login(user)
    return client.get("/api/forecasts" + path)


def test_the_analyst_reads_every_series_with_its_intervals_and_record(computed: World) -> None:
    r = api(computed.analyst, "?scope=district")
    assert r.status_code == 200
    body = r.json()
    assert body["origin_period"] == "2020-03" and body["count"] == 1
    district = body["items"][0]
    assert district["forecast"][0]["period"] == "2020-04" and len(district["forecast"]) == 9
    assert {"seasonal_naive", "order_book"} == set(district["record"])
    assert api(computed.analyst, "/district/-").json()["key"] == ""
    assert api(computed.analyst, "/market/US").json()["model"]
    assert api(computed.analyst, "?scope=market").json()["count"] == 3


def test_a_town_officer_reads_their_town_and_head_enterprises_only(computed: World) -> None:
    body = api(computed.town_officer, "").json()
    assert {(i["scope"], i["key"]) for i in body["items"]} == {("town", TOWN_A), ("enterprise", computed.ent_a.uscc)}
    assert api(computed.town_officer, f"/town/{TOWN_B}").status_code == 404
    assert api(computed.town_officer, "/district/-").status_code == 404


def test_an_outsider_reads_nothing_and_other_roles_are_refused(computed: World) -> None:
    assert api(computed.outsider, "").json()["count"] == 0
    assert api(computed.outsider, "/market/US").status_code == 404
    assert api(computed.reporter, "").status_code == 403
    assert api(computed.handler, "/district/-").status_code == 403
    assert Client().get("/api/forecasts").status_code == 401


def test_the_list_names_a_month_whose_reports_are_coming_in(computed: World) -> None:
    assert api(computed.analyst, "").json()["coming_in"] == []
    submit(computed.ent_c, "2020-04", 1, 1, 1, 1)  # one of the three, before April's deadline (2020-05-05)
    body = api(computed.analyst, "?scope=district").json()
    assert body["origin_period"] == "2020-03"
    assert body["coming_in"] == [{"period": "2020-04", "reported": 1, "before": 3, "deadline": "2020-05-05"}]
    assert api(computed.analyst, "?origin=2020-03").json()["coming_in"] == body["coming_in"]  # the latest run
    assert api(computed.town_officer, "").json()["coming_in"] == []  # the jurisdiction's counts: not theirs


def test_the_history_gives_the_part_estimated_for_a_skipped_month(history: World) -> None:
    from exportwatch.core.periods import period_range
    from exportwatch.forecasting.services import forecasts_compute
    from exportwatch.monitoring.cells import cells_rebuild
    from exportwatch.reporting.models import Report
    from tests.forecasting.conftest import CHEAP_MODELS, ORIGIN

    Report.objects.filter(enterprise=history.ent_c, period="2019-06").delete()
    cells_rebuild()
    forecasts_compute(period=ORIGIN, models=CHEAP_MODELS)
    body = api(history.analyst, "/market/DE").json()["history"]
    june = period_range(body["first_period"], ORIGIN).index("2019-06")
    assert body["exports"][june] == 400 and body["filled"][june] == 400  # ent_c is DE's only exporter
    assert sum(body["filled"]) == 400
    assert api(history.analyst, f"/enterprise/{history.ent_a.uscc}").json()["history"]["filled"] == []
