"""The aggregates give exactly what summing the reports gives, after every kind of change."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exportwatch.directory.models import Enterprise, Region
from exportwatch.exchange.services import import_files
from exportwatch.monitoring import selectors as sel
from exportwatch.monitoring.cells import cells_rebuild
from exportwatch.monitoring.checks import cells_differences
from exportwatch.monitoring.models import MarketCell, TotalCell
from tests.conftest import World
from tests.monitoring.conftest import submit

VIEWS = [
    sel.View("2020-03"),
    sel.View("2020-03", market="US"),
    sel.View("2020-03", hs="84"),
    sel.View("2020-03", group="EU"),
    sel.View("2020-03", market="DE", hs="85"),
]


def _rows(rows: list[sel.Row]) -> list[tuple[Any, ...]]:
    return [(r.key, r.now, r.year_ago, r.exports_3m) for r in rows]


def assert_same(live: Any, cells: sel.Scope) -> None:
    for view in VIEWS:
        assert sel.figures_row(cells, view).now == sel.figures_row(live, view).now, view
        assert sel.series(cells, view, months=14) == sel.series(live, view, months=14), view
        for dim in ("market", "group", "hs", "industry", "town", "tier"):
            if dim == "market" and view.market:
                continue
            assert _rows(sel.breakdown(cells, view, dim)) == _rows(sel.breakdown(live, view, dim)), (view, dim)
        assert _rows(sel.enterprise_rows(cells, view)) == _rows(sel.enterprise_rows(live, view)), view
    assert sel.series_sentiment(cells, sel.View("2020-03"), months=14) == sel.series_sentiment(
        live, sel.View("2020-03"), months=14
    )
    a, b = sel.sentiment_of(cells, "2020-03"), sel.sentiment_of(live, "2020-03")
    assert (a.new_orders, a.outlook) == (b.new_orders, b.outlook)
    assert (a.new_orders_weighted is None) == (b.new_orders_weighted is None)
    if a.new_orders_weighted is not None and b.new_orders_weighted is not None:
        assert a.new_orders_weighted.diffusion_index == pytest.approx(b.new_orders_weighted.diffusion_index)
    d_cells, d_live = sel.difficulties_of(cells, "2020-03"), sel.difficulties_of(live, "2020-03")
    assert (d_cells.external, d_cells.falling) == (d_live.external, d_live.falling)
    assert a.from_changes == b.from_changes


def test_the_aggregates_equal_the_reports(book: World) -> None:
    qs = Enterprise.objects.all()
    assert TotalCell.objects.exists() and MarketCell.objects.exists()  # maintained by report_submit
    assert_same(qs, sel.Scope(enterprises=qs))
    town_a = Region.objects.get(code="330213001")
    in_a = qs.filter(town=town_a)
    assert_same(in_a, sel.Scope(enterprises=in_a, regions=frozenset({"330213001"})))
    head = qs.filter(exports_last_year_usd__gte=10_000_000)
    assert_same(head, sel.Scope(enterprises=head, tier="head"))
    assert cells_differences() == []


def test_a_correction_moves_the_figures_and_leaves_no_trace(book: World) -> None:
    submit(book.ent_c, "2020-03", 700, 100, 900, 800, [("JP", "94", 900, 100, 700)], "up")
    qs = Enterprise.objects.all()
    markets = {r.key: r.now.exports for r in sel.breakdown(sel.Scope(enterprises=qs), sel.View("2020-03"), "market")}
    assert markets == {"US": Decimal(600), "DE": Decimal(300), "JP": Decimal(800)}
    assert cells_differences() == []
    assert_same(qs, sel.Scope(enterprises=qs))


def test_a_file_import_keeps_the_aggregates(book: World) -> None:
    reports = (
        "uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,new_orders_trend,outlook_3m\n"
        f"{book.ent_b.uscc},2020-03,900,800,700,600,up,up\n"
        f"{book.ent_b.uscc},2020-02,500,400,300,200,same,down\n"
    )
    lines = (
        "uscc,period,market,hs,backlog_usd,new_orders_usd,exports_usd\n"
        f"{book.ent_b.uscc},2020-03,VN,61,100,200,300\n"
        f"{book.ent_b.uscc},2020-02,US,6101,100,100,100\n"
    )
    outcome = import_files([("r.csv", reports.encode()), ("l.csv", lines.encode())], user=None)
    assert outcome.problems == [] and outcome.written["reports"] == 2
    assert cells_differences() == []
    qs = Enterprise.objects.all()
    assert_same(qs, sel.Scope(enterprises=qs))


def test_an_enterprise_that_moves_takes_its_figures_along(book: World) -> None:
    ent = Enterprise.objects.get(pk=book.ent_b.pk)
    ent.town = Region.objects.get(code="330213100")
    ent.exports_last_year_usd = Decimal(20_000_000)  # and becomes a head enterprise
    ent.save()
    assert cells_differences() == []
    qs = Enterprise.objects.all()
    towns = {r.key: r.now.exports for r in sel.breakdown(sel.Scope(enterprises=qs), sel.View("2020-03"), "town")}
    assert towns == {"330213001": Decimal(900), "330213100": Decimal(600)}


def test_the_analytics_command_checks_and_rebuilds(book: World) -> None:
    out = io.StringIO()
    call_command("analytics", "check", stdout=out)
    assert "equal" in out.getvalue()
    TotalCell.objects.filter(period="2020-03").update(exports=1)  # damage
    with pytest.raises(CommandError):
        call_command("analytics", "check", stdout=io.StringIO())
    call_command("analytics", "rebuild", stdout=io.StringIO())
    assert cells_differences() == []
    assert cells_rebuild() == 7  # current reports in the book


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0, 1, 2]),
            st.sampled_from(["2020-02", "2020-03", "2019-03"]),
            st.lists(
                st.tuples(st.sampled_from(["US", "DE", "CA", "VN"]), st.sampled_from(["84", "8501", "94"])),
                unique=True,
                max_size=3,
            ),
            st.integers(0, 5_000),
            st.sampled_from(["up", "same", "down"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_sequence_of_submissions_keeps_the_aggregates_exact(world: World, steps: list[Any]) -> None:
    ents = [world.ent_a, world.ent_b, world.ent_c]
    for i, period, pairs, amount, trend in steps:
        lines = [(m, h, amount, amount, amount // 2) for m, h in pairs]
        total = amount * max(1, len(lines))
        submit(ents[i], period, total, total, total, total // 2, lines, trend)
    assert cells_differences() == []
    qs = Enterprise.objects.all()
    assert_same(qs, sel.Scope(enterprises=qs))


def test_a_columnar_import_sums_its_new_reports_in_columns(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from exportwatch.exchange import services
    from exportwatch.monitoring import cells

    monkeypatch.setattr(services, "COLUMNAR_MIN_CHARS", 500)
    monkeypatch.setattr(cells, "FRAME_REPORTS", 4)  # several slices: the cells add up across them
    summed: list[int] = []
    original = services.cells_add_new

    def spy(reports: Any, lines: Any) -> None:
        summed.append(len(reports))
        original(reports, lines)

    monkeypatch.setattr(services, "cells_add_new", spy)
    submit(world.ent_a, "2020-01", 100, 100, 100, 50, [("US", "84", 100, 100, 100)])  # a stored month: row way
    reports = ["uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,new_orders_trend,outlook_3m"]
    lines = ["uscc,period,market,hs,backlog_usd,new_orders_usd,exports_usd"]
    for ent in (world.ent_a, world.ent_b, world.ent_c):
        for period in ("2019-03", "2020-02", "2020-03"):
            reports.append(f"{ent.uscc},{period},5000.5,4000,9000,3000,down,same")
            for market, hs in (("US", "8401"), ("DE", "8402"), ("CA", "85"), ("VN", "8501")):
                lines.append(f"{ent.uscc},{period},{market},{hs},1000.25,900,1200.5")
    files = [("r.csv", ("\n".join(reports) + "\n").encode()), ("l.csv", ("\n".join(lines) + "\n").encode())]
    outcome = import_files(files, user=None)
    assert outcome.problems == [] and outcome.written["reports"] == 9
    assert summed == [9]
    assert cells_differences() == []
    qs = Enterprise.objects.all()
    assert_same(qs, sel.Scope(enterprises=qs))
