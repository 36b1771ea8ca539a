"""Monitoring figures on a hand-built book: sums, year on year, indicators, corrections, and the parts adding up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exportwatch.directory.models import Enterprise
from exportwatch.monitoring import selectors as sel
from exportwatch.reporting.models import Disruption, Source
from tests.conftest import World
from tests.monitoring.conftest import submit

D = Decimal


def test_totals_and_year_on_year(book: World) -> None:
    row = sel.figures_row(Enterprise.objects.all(), sel.View("2020-03"))
    assert row.now.enterprises == 3
    assert (row.now.exports, row.now.new_orders, row.now.backlog, row.now.due_3m) == (1500, 1400, 5600, 4900)
    assert row.year_ago is not None and row.year_ago.exports == 1500
    assert row.exports_yoy == 0.0
    assert row.new_orders_yoy == pytest.approx(1400 / 2400 - 1)
    # coverage: 5600 / mean(exports of Jan, Feb, Mar = 900, 600, 1500) = 5600 / 1000
    assert row.coverage_months == pytest.approx(5.6)
    assert row.book_to_bill == pytest.approx(1400 / 1500)
    assert row.short_order_share == pytest.approx(4900 / 5600)


def test_a_market_view_sums_the_lines(book: World) -> None:
    row = sel.figures_row(Enterprise.objects.all(), sel.View("2020-03", market="US"))
    assert (row.now.enterprises, row.now.exports, row.now.new_orders, row.now.backlog) == (2, 1100, 600, 2900)
    assert row.now.due_3m is None  # lines do not split the backlog by due date
    assert row.new_orders_yoy == pytest.approx(600 / 1900 - 1)


def test_breakdowns_by_every_dimension(book: World) -> None:
    qs = Enterprise.objects.all()
    view = sel.View("2020-03")
    markets = {r.key: (r.now.exports, r.now.enterprises) for r in sel.breakdown(qs, view, "market")}
    assert markets == {"US": (1100, 2), "DE": (300, 1), "JP": (100, 1)}
    chapters = {r.key: r.now.new_orders for r in sel.breakdown(qs, view, "hs")}
    assert chapters == {"84": 500, "85": 500, "94": 100, "61": 300}
    towns = {r.key: r.now.exports for r in sel.breakdown(qs, view, "town")}
    assert towns == {"330213001": 1000, "330213100": 500}
    tiers = {r.key: r.now.exports for r in sel.breakdown(qs, view, "tier")}
    assert tiers == {"head": 900, "whitelist": 100, "other": 500}
    us = next(r for r in sel.breakdown(qs, view, "market") if r.key == "US")
    assert us.name and us.year_ago is not None and us.year_ago.exports == 1300
    groups = {r.key: r.now.exports for r in sel.breakdown(qs, view, "group")}
    assert groups["EU"] == 300


def test_a_correction_replaces_and_is_never_counted_twice(book: World) -> None:
    qs = Enterprise.objects.all()
    submit(book.ent_c, "2020-03", 700, 100, 900, 800, [("US", "94", 900, 100, 700)], "down")
    row = sel.figures_row(qs, sel.View("2020-03"))
    assert row.now.exports == 1700 and row.now.enterprises == 3
    assert {r.key: r.now.exports for r in sel.breakdown(qs, sel.View("2020-03"), "market")}["US"] == 1300


def test_a_new_enterprise_without_history_has_no_year_on_year(book: World) -> None:
    rows = {r.key: r for r in sel.enterprise_rows(Enterprise.objects.all(), sel.View("2020-03"))}
    assert rows[book.ent_b.uscc].year_ago is None
    assert rows[book.ent_b.uscc].new_orders_yoy is None
    assert rows[book.ent_a.uscc].new_orders_yoy == pytest.approx(1000 / 2000 - 1)
    assert "new_orders_yoy" in rows[book.ent_a.uscc].alerts  # −50 %, at or below −30 %


def test_scope_is_the_queryset_given(book: World) -> None:
    town_a = Enterprise.objects.filter(town_id="330213001")
    row = sel.figures_row(town_a, sel.View("2020-03"))
    assert (row.now.enterprises, row.now.exports) == (2, 1000)


def test_series_sentiment_and_difficulties(book: World) -> None:
    qs = Enterprise.objects.all()
    series = sel.series(qs, sel.View("2020-03"), months=3)
    assert list(series) == ["2020-01", "2020-02", "2020-03"]
    assert [f.exports for f in series.values()] == [900, 600, 1500]
    s = sel.sentiment_of(qs, "2020-03")
    assert s.new_orders is not None and s.new_orders.diffusion_index == pytest.approx(100 * (1 / 3))  # 1 up, 2 down
    Disruption.objects.create(
        enterprise=book.ent_a,
        date="2020-03-10",
        kind="order_cancelled",
        amount_usd=D(250),
        source=Source.WEB,
        created_at="2020-03-10T00:00:00Z",
        fingerprint="x1",
    )
    d = sel.difficulties_of(qs, "2020-03")
    assert d.blocked.amount == 250 and d.blocked.enterprises == 1
    assert d.falling.enterprises == 2  # ent_a −50 %, ent_c −75 %; ent_b has no year before
    assert {m[0] for m in d.falling_markets} == {"US"}  # US new orders −68 %; DE 0 %
    assert d.external.share == pytest.approx(1100 / 1500)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from([0, 1, 2]), st.sampled_from(["US", "DE", "JP", "VN"]), st.integers(0, 10_000)),
        min_size=1,
        max_size=12,
        unique_by=lambda t: (t[0], t[1]),
    )
)
def test_the_parts_add_up_to_the_total_in_every_dimension(world: World, lines: list[tuple[int, str, int]]) -> None:
    ents = [world.ent_a, world.ent_b, world.ent_c]
    for i, ent in enumerate(ents):
        mine = [(m, "8401", v, v, v) for j, m, v in lines if j == i]
        total = sum(v for _m, _h, v, _n, _e in mine)
        submit(ent, "2020-03", total, total, total, 0, mine)
    qs = Enterprise.objects.all()
    view = sel.View("2020-03")
    whole = sel.figures_row(qs, view).now.exports
    for dim in ("market", "hs", "industry", "town", "tier"):
        assert sum(r.now.exports for r in sel.breakdown(qs, view, dim)) == whole, dim
    assert sum(r.now.exports for r in sel.enterprise_rows(qs, view)) == whole


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0, 1, 98, 100, 102, 2500, 10_000]) | st.integers(0, 10**9).map(lambda c: c / 100),
            st.none() | st.sampled_from([0, 100, 125, 10_000]) | st.integers(0, 10**9).map(lambda c: c / 100),
        ),
        min_size=3,
        max_size=3,
    )
)
@example([(100, 125), (102, 100), (1, 0)])  # −20 % exactly (falling), +2 % exactly (same), nothing before (up)
@example([(98, 100), (0, 0), (2500, None)])  # −2 % exactly (same), 0 on 0 (same, not assessed), no year before
def test_the_year_on_year_counts_are_the_cores(world: World, pairs: list[tuple[float, float | None]]) -> None:
    """The database's count of falling new orders and of up/same/down changes equals the core's rules applied to the
    same reports, boundaries included (−20 % exactly, ±2 % exactly, nothing a year before)."""
    from exportwatch.core.difficulties import NewOrdersFact, falling_new_orders
    from exportwatch.core.sentiment import classify_change, sentiment
    from exportwatch.reporting.models import Report

    Report.objects.all().delete()  # the examples share the database
    ents = [world.ent_a, world.ent_b, world.ent_c]
    facts = []
    for ent, (now, before) in zip(ents, pairs, strict=True):
        submit(ent, "2020-03", 1, now, 1, 0)  # type: ignore[arg-type]
        if before is not None:
            submit(ent, "2019-03", 1, before, 1, 0)  # type: ignore[arg-type]
            ent.refresh_from_db()
            facts.append(NewOrdersFact(ent.uscc, D(str(now)), D(str(before)), ent.exports_last_year_usd))
    qs = Enterprise.objects.all()
    falling = sel.difficulties_of(qs, "2020-03").falling
    core = falling_new_orders(facts)
    assert (falling.enterprises, falling.assessed, falling.share) == (core.enterprises, core.assessed, core.share)
    assert falling.weighted_share == pytest.approx(core.weighted_share)
    assert falling.shortfall == pytest.approx(core.shortfall)
    changes = sel.sentiment_of(qs, "2020-03").from_changes
    assert changes == sentiment(classify_change(f.current, f.year_ago) for f in facts)


def test_the_kept_year_on_year_counts_follow_a_correction(book: World) -> None:
    """The whole scope's year-on-year counts are kept between requests, and a correction replaces them at once."""
    scope = sel.Scope(enterprises=Enterprise.objects.all())
    assert sel.difficulties_of(scope, "2020-03").falling.enterprises == 2  # ent_a −50 %, ent_c −75 %
    submit(book.ent_c, "2020-03", 500, 400, 900, 800, [("US", "94", 900, 400, 500)], "same")  # back to 400
    again = sel.Scope(enterprises=Enterprise.objects.all())  # the next request
    assert sel.difficulties_of(again, "2020-03").falling.enterprises == 1
