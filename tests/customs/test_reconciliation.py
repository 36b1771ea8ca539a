"""The reconciliation of reported against customs exports: figures and flags, the page persona by persona, and
``exportwatch export reconciliation|customs_exports``."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from exportwatch.common.scoping import enterprises_visible
from exportwatch.customs.selectors import (
    reconciliation_rows,
    reconciliation_tolerance,
    reconciliation_totals,
)
from exportwatch.directory.models import Enterprise
from exportwatch.exchange.exports import EXPORTABLES
from tests.conftest import World
from tests.customs.helpers import customs, dataset, load, report

D = Decimal
URL = "/customs/reconciliation/"


def figures(rows: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (r.enterprise.uscc, r.period, r.reported_usd, r.customs_usd, r.difference_usd, r.ratio, r.status) for r in rows
    ]


# --- Figures and flags ---------------------------------------------------------------------------------------


def test_each_enterprise_with_a_report_or_customs_records_gets_a_row_sorted_by_the_gap(world: World) -> None:
    dataset(world)

    rows = reconciliation_rows(enterprises=Enterprise.objects.all(), period="2020-03", tolerance=D("0.2"))

    a, b, c, far = world.ent_a.uscc, world.ent_b.uscc, world.ent_c.uscc, world.ent_far.uscc
    assert figures(rows) == [
        (far, "2020-03", D("400000.00"), None, None, None, "no_customs"),
        (b, "2020-03", D("500000.00"), D("200000.00"), D("300000.00"), D("2.5000"), "disagree"),
        (c, "2020-03", None, D("250000.00"), None, None, "no_report"),
        (a, "2020-03", D("1000000.00"), D("900000.00"), D("100000.00"), D("1.1111"), "agree"),
    ]


def test_the_totals_of_the_period(world: World) -> None:
    dataset(world)
    rows = reconciliation_rows(enterprises=Enterprise.objects.all(), period="2020-03", tolerance=D("0.2"))

    totals = reconciliation_totals(rows)

    assert totals.reported_usd == D("1900000.00")
    assert totals.customs_usd == D("1350000.00")
    assert totals.disagreeing == 1
    assert totals.enterprises == 4
    assert totals.by_status() == [("disagree", 1), ("no_report", 1), ("no_customs", 1), ("agree", 1)]


def test_the_tolerance_decides_what_disagrees(world: World) -> None:
    dataset(world)

    strict = reconciliation_rows(enterprises=Enterprise.objects.all(), period="2020-03", tolerance=D("0.05"))

    assert {r.enterprise.uscc: r.status for r in strict}[world.ent_a.uscc] == "disagree"  # 100000 of 1000000


def test_only_enterprises_in_scope_are_reconciled(world: World) -> None:
    dataset(world)

    rows = reconciliation_rows(
        enterprises=enterprises_visible(world.town_officer), period="2020-03", tolerance=D("0.2")
    )

    assert [r.enterprise.uscc for r in rows] == [world.ent_b.uscc, world.ent_a.uscc]


def test_a_superseded_report_version_does_not_count(world: World) -> None:
    dataset(world)
    report(world.ent_b, "2020-03", 210_000)  # corrected: now close to customs

    rows = reconciliation_rows(enterprises=Enterprise.objects.all(), period="2020-03", tolerance=D("0.2"))

    row = next(r for r in rows if r.enterprise.pk == world.ent_b.pk)
    assert (row.reported_usd, row.difference_usd, row.status) == (D("210000.00"), D("10000.00"), "agree")


def test_without_a_period_every_period_with_data_is_reconciled(world: World) -> None:
    dataset(world)

    rows = reconciliation_rows(enterprises=Enterprise.objects.all(), period=None, tolerance=D("0.2"))

    assert [(r.period, r.enterprise.uscc, r.status) for r in rows][:1] == [
        ("2020-02", world.ent_a.uscc, "disagree")  # 700000 reported against 100000
    ]
    assert len(rows) == 5


def test_a_month_without_data_has_no_rows(world: World) -> None:
    dataset(world)
    assert reconciliation_rows(enterprises=Enterprise.objects.all(), period="2019-12", tolerance=D("0.2")) == []


def test_the_tolerance_defaults_to_a_fifth_and_follows_the_setting() -> None:
    assert reconciliation_tolerance() == D("0.2")
    with override_settings(EXPORTWATCH_RECONCILIATION_TOLERANCE=D("0.35")):
        assert reconciliation_tolerance() == D("0.35")


# --- The page ------------------------------------------------------------------------------------------------


def as_(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shown(response: Any) -> list[str]:
    return [r.enterprise.uscc for r in response.context["rows"]]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("analyst", ("ent_b", "ent_c", "ent_a")),
        ("leader", ("ent_b", "ent_c", "ent_a")),
        ("town_officer", ("ent_b", "ent_a")),
        ("outsider", ("ent_far",)),
        ("admin", ("ent_far", "ent_b", "ent_c", "ent_a")),
    ],
)
def test_bureau_roles_see_the_reconciliation_of_their_scope(
    world: World, persona: str, expected: tuple[str, ...]
) -> None:
    dataset(world)

    response = as_(getattr(world, persona)).get(URL, {"period": "2020-03"})

    assert response.status_code == 200
    assert shown(response) == [getattr(world, k).uscc for k in expected]
    html = response.content.decode()
    for key in ("ent_a", "ent_b", "ent_c", "ent_far"):
        ent = getattr(world, key)
        assert (ent.name in html) == (key in expected)


@pytest.mark.parametrize("persona", ["reporter", "other_reporter", "handler"])
def test_other_roles_get_a_404(world: World, persona: str) -> None:
    dataset(world)
    assert as_(getattr(world, persona)).get(URL, {"period": "2020-03"}).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login(world: World) -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_analyst_page_shows_figures_totals_badges_and_links(world: World) -> None:
    dataset(world)

    response = as_(world.analyst).get(URL, {"period": "2020-03"})

    html = response.content.decode()
    totals = response.context["totals"]
    assert (totals.reported_usd, totals.customs_usd, totals.disagreeing) == (
        D("1500000.00"),
        D("1350000.00"),
        1,
    )
    assert 'data-total="reported">1,500,000<' in html
    assert 'data-total="customs">1,350,000<' in html
    assert f'href="/bureau/enterprises/{world.ent_b.uscc}/"' in html
    assert 'data-status="disagree"' in html
    assert "300,000" in html  # ent_b's difference
    assert "2.50" in html  # its ratio
    assert "/export/reconciliation.csv?period=2020-03" in html
    assert "/export/reconciliation.xlsx?period=2020-03" in html


def test_the_page_defaults_to_last_month(world: World) -> None:
    dataset(world)  # the test clock is 2020-04-15

    response = as_(world.analyst).get(URL)

    assert response.context["period"] == "2020-03"
    assert len(response.context["rows"]) == 3


def test_the_status_filter_shows_one_kind_and_keeps_the_totals(world: World) -> None:
    dataset(world)

    response = as_(world.analyst).get(URL, {"period": "2020-03", "status": "no_report"})

    assert shown(response) == [world.ent_c.uscc]
    assert response.context["totals"].enterprises == 3


def test_an_unknown_status_shows_everything(world: World) -> None:
    dataset(world)
    response = as_(world.analyst).get(URL, {"period": "2020-03", "status": "bogus"})
    assert len(response.context["rows"]) == 3


def test_the_enterprise_filters_apply(world: World) -> None:
    dataset(world)
    response = as_(world.analyst).get(URL, {"period": "2020-03", "town": "330213100"})
    assert shown(response) == [world.ent_c.uscc]


def test_a_bad_period_is_a_404(world: World) -> None:
    assert as_(world.analyst).get(URL, {"period": "2020-13"}).status_code == 404


def test_an_empty_month_says_so(world: World) -> None:
    response = as_(world.analyst).get(URL, {"period": "2019-06"})
    assert response.status_code == 200
    assert response.context["rows"] == []


def test_the_page_lists_the_months_with_customs_data(world: World) -> None:
    dataset(world)
    response = as_(world.analyst).get(URL, {"period": "2020-03"})
    assert response.context["periods"] == ["2020-03", "2020-02"]


def test_the_list_is_paginated_by_fifty(world: World) -> None:
    many = Enterprise.objects.bulk_create(
        Enterprise(
            uscc=f"X{n:017d}",
            name=f"企业{n:03d}",
            town=world.ent_a.town,
            industry=world.ent_a.industry,
            exports_last_year_usd=D(0),
            imports_last_year_usd=D(0),
        )
        for n in range(60)
    )
    load(*(customs(ent, "2020-03", "US", "84", 1000 + n) for n, ent in enumerate(many)))
    client = as_(world.analyst)

    first = client.get(URL, {"period": "2020-03"})
    second = client.get(URL, {"period": "2020-03", "page": 2})

    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 10
    assert "page=2" in first.content.decode()
    assert shown(first)[0] == many[-1].uscc  # the largest gap first


def test_the_index_leads_to_the_reconciliation(world: World) -> None:
    response = as_(world.analyst).get("/customs/")
    assert (response.status_code, response["Location"]) == (302, URL)
    assert as_(world.reporter).get("/customs/").status_code == 404


# --- Exports -------------------------------------------------------------------------------------------------


def cli(*args: str) -> list[list[str]]:
    out = io.StringIO()
    call_command("export_data", *args, stdout=out)
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_both_tables_are_in_the_export_registry() -> None:
    assert EXPORTABLES["customs_exports"].columns == ("uscc", "period", "market", "hs", "exports_usd")
    assert EXPORTABLES["reconciliation"].columns == (
        "uscc",
        "name",
        "period",
        "reported_exports_usd",
        "customs_exports_usd",
        "difference_usd",
        "ratio",
        "status",
    )


def test_export_reconciliation_for_a_period_prints_one_row_per_enterprise(world: World) -> None:
    dataset(world)

    header, *rows = cli("reconciliation", "--period", "2020-03")

    assert header == list(EXPORTABLES["reconciliation"].columns)
    assert rows == [
        [world.ent_far.uscc, "海曙远方贸易有限公司", "2020-03", "400000", "", "", "", "no_customs"],
        [world.ent_b.uscc, "宁波乙服饰有限公司", "2020-03", "500000", "200000", "300000", "2.5", "disagree"],
        [world.ent_c.uscc, "宁波丙文具有限公司", "2020-03", "", "250000", "", "", "no_report"],
        [world.ent_a.uscc, "宁波甲气动有限公司", "2020-03", "1000000", "900000", "100000", "1.1111", "agree"],
    ]


def test_export_reconciliation_without_a_period_covers_every_period(world: World) -> None:
    dataset(world)

    _, *rows = cli("reconciliation")

    assert [(r[0], r[2]) for r in rows][:2] == [(world.ent_a.uscc, "2020-02"), (world.ent_far.uscc, "2020-03")]
    assert len(rows) == 5


def test_export_customs_exports_prints_the_stored_records(world: World) -> None:
    dataset(world)

    header, *rows = cli("customs_exports", "--period", "2020-03")

    assert header == ["uscc", "period", "market", "hs", "exports_usd"]
    assert sorted(rows) == sorted(
        [
            [world.ent_a.uscc, "2020-03", "DE", "61", "300000"],
            [world.ent_a.uscc, "2020-03", "US", "84", "600000"],
            [world.ent_b.uscc, "2020-03", "US", "61", "200000"],
            [world.ent_c.uscc, "2020-03", "JP", "84", "250000"],
        ]
    )
    assert rows == sorted(rows)  # by uscc, period, market, hs
    assert len(cli("customs_exports")) == 1 + 5


def test_the_web_export_of_the_reconciliation_is_scoped(world: World) -> None:
    dataset(world)

    response = as_(world.town_officer).get("/export/reconciliation.csv", {"period": "2020-03"})

    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    _, *rows = list(csv.reader(io.StringIO(body)))
    assert [r[0] for r in rows] == [world.ent_b.uscc, world.ent_a.uscc]
