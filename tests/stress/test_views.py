"""/bureau/stress/: the stress-test page persona by persona, its download, and saved scenarios (audited), with the
outsider refused. The book is ``conftest.stressed`` (figures worked out in ``tests/core/test_stress.py``)."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from exportwatch.common.models import AuditEvent
from exportwatch.stress.models import Scenario
from tests.conftest import World

PAGE = "/bureau/stress/"
US_50 = "?period=2020-03&d0=market&k0=US&c0=-50&m0=3"


def login(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def html(user: Any, query: str = US_50) -> str:
    response = login(user).get(PAGE + query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_is_linked_at_its_url() -> None:
    assert reverse("stress:page") == PAGE


def test_an_analyst_sees_the_district_fall_and_who_is_pushed_into_red(stressed: World) -> None:
    page = html(stressed.analyst)
    # The district a month: 210 without the shocks; with them ent_a 40 + 60/9, ent_b 20, ent_c 100 (10,000 USD).
    assert '<tr data-period="2020-04"><th scope="row">2020-04</th>' in page
    assert "210.0" in page and "166.7" in page
    assert f'data-uscc="{stressed.ent_b.uscc}" data-level="red"' in page
    assert f'data-uscc="{stressed.ent_a.uscc}" data-level="orange"' in page
    assert f'data-uscc="{stressed.ent_c.uscc}"' not in page  # all Germany
    assert stressed.ent_far.uscc not in page  # another district
    assert reverse("finance:entry", args=[stressed.ent_b.uscc]) in page  # on the white list
    assert reverse("finance:entry", args=[stressed.ent_a.uscc]) not in page
    assert 'data-key="330213001"' in page  # town A, hit hardest
    assert 'action="/bureau/stress/scenarios/"' in page  # may save it
    assert f'data-scope="{stressed.analyst.region.name}"' in page  # the analyst's district


def test_the_baseline_is_said_to_be_the_books_projection_with_a_link_to_the_forecasts(stressed: World) -> None:
    page = html(stressed.analyst)
    note = page.split('id="baseline-note">', 1)[1].split("</p>", 1)[0]
    assert "“无冲击”为订单本身的测算" in note  # Chinese first
    assert f'<a href="{reverse("forecasting:overview")}">出口预测</a>' in note


def test_without_shocks_the_page_offers_the_example_and_runs_nothing(stressed: World) -> None:
    page = html(stressed.analyst, "")
    assert 'value="US"' in page and 'value="-30.0"' in page
    assert 'id="stress-result"' not in page


def test_an_unknown_code_is_said_and_nothing_runs(stressed: World) -> None:
    page = html(stressed.analyst, "?d0=market&k0=XX&c0=-30&m0=3")
    assert "XX" in page and 'id="stress-result"' not in page


def test_a_leader_reads_but_may_not_save(stressed: World) -> None:
    page = html(stressed.leader)
    assert f'data-uscc="{stressed.ent_b.uscc}" data-level="red"' in page
    assert 'action="/bureau/stress/scenarios/"' not in page
    response = login(stressed.leader).post(
        reverse("stress:save"), {"name": "x", "d0": "market", "k0": "US", "c0": "-50"}
    )
    assert response.status_code == 404
    assert not Scenario.objects.exists()


def test_a_town_officer_runs_it_on_the_town_only(stressed: World) -> None:
    page = html(stressed.town_officer)
    assert stressed.ent_b.uscc in page and stressed.ent_a.uscc in page
    assert stressed.ent_c.uscc not in page and 'data-key="330213100"' not in page  # town B
    assert f'data-scope="{stressed.town_officer.region.name}"' in page  # the town's sum, not the district's
    assert "110.0" in page  # ent_a and ent_b without the shocks: 70 + 40


def test_the_outsider_sees_nothing_of_ours(stressed: World) -> None:
    page = html(stressed.outsider)
    for ent in (stressed.ent_a, stressed.ent_b, stressed.ent_c):
        assert ent.uscc not in page
    assert f'data-uscc="{stressed.ent_far.uscc}"' in page  # its own district's enterprise, pushed into red


def test_reporters_handlers_and_strangers_are_refused(stressed: World) -> None:
    for user in (stressed.reporter, stressed.other_reporter, stressed.handler):
        assert login(user).get(PAGE + US_50).status_code == 404
        assert login(user).post(reverse("stress:save"), {"name": "x"}).status_code == 404
    assert Client().get(PAGE).status_code == 302  # to the login page


def test_a_saved_scenario_is_audited_runs_again_and_is_deleted_with_an_audit(stressed: World) -> None:
    client = login(stressed.analyst)
    data = {"name": "美国加征关税", "note": "US -50%", "d0": "market", "k0": "US", "c0": "-50", "m0": "3",
            "d1": "hs", "k1": "61", "c1": "-10", "m1": "1"}  # fmt: skip
    response = client.post(reverse("stress:save"), data)
    scenario = Scenario.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"?scenario={scenario.pk}")
    assert scenario.shocks == [
        {"dimension": "market", "key": "US", "change": -0.5, "months": 3},
        {"dimension": "hs", "key": "61", "change": -0.1, "months": 1},
    ]
    assert (scenario.region_id, scenario.created_by) == (stressed.analyst.region_id, stressed.analyst)
    created = AuditEvent.objects.get(action="stress_scenario.create")
    assert (created.object_key, created.actor, created.new["name"]) == (
        str(scenario.pk),
        stressed.analyst,
        "美国加征关税",
    )
    page = client.get(PAGE + f"?scenario={scenario.pk}").content.decode()
    assert "美国加征关税" in page and f'data-uscc="{stressed.ent_b.uscc}" data-level="red"' in page
    assert "美国加征关税" in html(stressed.leader, "")  # the district's leader sees it
    response = client.post(reverse("stress:delete", args=[scenario.pk]))
    assert response.status_code == 302 and not Scenario.objects.exists()
    deleted = AuditEvent.objects.get(action="stress_scenario.delete")
    assert deleted.old["shocks"][0]["key"] == "US"


def test_the_outsider_cannot_see_run_or_delete_our_scenario(stressed: World) -> None:
    login(stressed.analyst).post(reverse("stress:save"), {"name": "ours", "d0": "market", "k0": "US", "c0": "-50"})
    scenario = Scenario.objects.get()
    outsider = login(stressed.outsider)
    assert "ours" not in outsider.get(PAGE).content.decode()
    assert outsider.get(PAGE + f"?scenario={scenario.pk}").status_code == 404
    assert outsider.post(reverse("stress:delete", args=[scenario.pk])).status_code == 404
    assert login(stressed.town_officer).post(reverse("stress:delete", args=[scenario.pk])).status_code == 404
    assert Scenario.objects.exists()


def test_forms_need_the_csrf_token(stressed: World) -> None:
    client = login(stressed.analyst, enforce_csrf_checks=True)
    assert (
        client.post(reverse("stress:save"), {"name": "x", "d0": "market", "k0": "US", "c0": "-50"}).status_code == 403
    )
    assert not Scenario.objects.exists()


def test_the_result_downloads_as_an_xlsx_with_cells_escaped(stressed: World) -> None:
    stressed.ent_b.name = '=HYPERLINK("http://x")'
    stressed.ent_b.save()
    response = login(stressed.analyst).get(PAGE + US_50 + "&format=xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    keys = rows[1]
    assert keys[:4] == ("section", "code", "name", "enterprises") and "shocked_1_usd" in keys
    by_code = {r[1]: dict(zip(keys, r, strict=True)) for r in rows[2:]}
    assert by_code["US"]["change"] == -0.5
    assert by_code[""]["baseline_1_usd"] == 2_100_000 and round(by_code[""]["shocked_1_usd"]) == 1_666_667
    b = by_code[stressed.ent_b.uscc]
    assert b["name"].startswith("'=")  # text, never a formula
    assert b["whitelist"] == "true" and "new_orders_3m_yoy" not in b["thresholds_crossed"]  # the rule's label
    assert stressed.ent_far.uscc not in by_code
    assert login(stressed.analyst).get(PAGE + "?format=xlsx").status_code == 404  # nothing run, nothing to download


def test_the_outsider_downloads_nothing_of_ours(stressed: World) -> None:
    response = login(stressed.outsider).get(PAGE + US_50 + "&format=csv")
    text = b"".join(response.streaming_content).decode()
    assert stressed.ent_b.uscc not in text and stressed.ent_far.uscc in text


def test_a_month_without_reports_projects_nothing(stressed: World) -> None:
    page = html(stressed.analyst, "?period=2018-01&d0=market&k0=US&c0=-50&m0=3")
    assert 'id="stress-result"' in page and "data-uscc" not in page


def test_a_future_or_malformed_month_is_refused(stressed: World) -> None:
    client = login(stressed.analyst)
    assert client.get(PAGE + "?period=2020-04&d0=market&k0=US&c0=-50").status_code == 404
    assert client.get(PAGE + "?period=2020-13").status_code == 404
    assert client.get(PAGE + "?scenario=x").status_code == 404


def test_the_whole_book_is_read_once_per_state_of_the_data(stressed: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from exportwatch.core.stress import Shock
    from exportwatch.stress import selectors

    reads: list[str] = []
    real = selectors.book_read

    def counted(**kwargs: Any) -> Any:
        reads.append(kwargs["period"])
        return real(**kwargs)

    monkeypatch.setattr(selectors, "book_read", counted)
    selectors._BOOK_CACHE.clear()
    shocks = [Shock("market", "US", -0.5, 3)]
    first = selectors.stress_view(stressed.admin, period="2020-03", shocks=shocks)
    again = selectors.stress_view(stressed.admin, period="2020-03", shocks=shocks)
    assert len(reads) == 1 and first.rows == again.rows and first.rows  # the same enterprises pushed, twice
    from tests.monitoring.conftest import submit

    submit(stressed.ent_c, "2020-03", 1, 1, 1, 1)  # a correction: a new version of a report
    selectors.stress_view(stressed.admin, period="2020-03", shocks=shocks)
    assert len(reads) == 2


def test_the_default_book_is_the_latest_month_whose_reports_are_in(stressed: World) -> None:
    """ent_c's April report is the first of April's (its deadline 2020-05-05, today 2020-04-15): the page keeps
    March's book, where every enterprise stands, unless April is asked for."""
    from exportwatch.monitoring.cells import cells_rebuild
    from tests.stress.conftest import _report

    cells_rebuild()
    assert 'id="coming-in"' not in html(stressed.analyst)  # March is the latest month: nothing coming in
    _report(stressed.ent_c, "2020-04", 100, 100, 400, 240).save()
    cells_rebuild()  # the fixture writes reports directly: the aggregates (which count each month's reporters) follow
    page = html(stressed.analyst, "?d0=market&k0=US&c0=-50&m0=3")
    assert '<option value="2020-03" selected>' in page
    notice = page.split('id="coming-in" data-period="2020-04">', 1)[1].split("</p>", 1)[0]
    assert "2020-04 的报表仍在报送中，因此压力测试默认使用 2020-03 的订单" in notice
    assert "达到上月的 90%" in notice
    assert '<option value="2020-04" selected>' in html(stressed.analyst, "?period=2020-04&d0=market&k0=US&c0=-50&m0=3")
