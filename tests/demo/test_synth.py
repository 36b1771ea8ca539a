"""The synthetic populations for benchmarks: a small district run end to end on the test database.

Every test generates 60 enterprises over 15 months (enough for year-on-year comparisons of the last 3 months).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from exportwatch.core.codes import customs_code_problem, uscc_problem
from exportwatch.core.periods import period_add, report_deadline
from exportwatch.demo.synth import (
    EU_MARKETS,
    TIERS,
    SynthSummary,
    population_plan,
    regions_plan,
    synth_run,
)
from exportwatch.directory.models import Enterprise, HSCode, Industry, Market, Region
from exportwatch.reporting.models import Report, ReportLine

ENTERPRISES = 60
MONTHS = 15
END = "2020-03"
FIGURES = ("exports_usd", "new_orders_usd", "backlog_usd")


def run(seed: int = 7, *, force: bool = False) -> SynthSummary:
    return synth_run(tier="district", enterprises=ENTERPRISES, months=MONTHS, end=END, seed=seed, force=force)


@pytest.fixture
def summary(ref: None) -> SynthSummary:
    return run()


def reports() -> list[dict[str, Any]]:
    return list(
        Report.objects.values(
            "id",
            "enterprise__uscc",
            "period",
            "version",
            "is_current",
            "exports_usd",
            "new_orders_usd",
            "backlog_usd",
            "backlog_due_3m_usd",
            "capacity_utilization_pct",
            "new_orders_trend",
            "outlook_3m",
            "submitted_at",
        )
    )


def band(now: Any, before: Any) -> str:
    if now * 100 > before * 105:
        return "up"
    if now * 100 < before * 95:
        return "down"
    return "same"


def digest() -> str:
    """The generated data without database ids."""
    h = hashlib.sha256()
    for row in Enterprise.objects.order_by("uscc").values_list(
        "uscc", "name", "town_id", "industry_id", "exports_last_year_usd", "imports_last_year_usd", "customs_code"
    ):
        h.update(repr(row).encode())
    for row in Report.objects.order_by("enterprise__uscc", "period").values_list(
        "enterprise__uscc", "period", *FIGURES, "backlog_due_3m_usd", "capacity_utilization_pct", "submitted_at"
    ):
        h.update(repr(row).encode())
    for row in ReportLine.objects.order_by("report__enterprise__uscc", "report__period", "market_id", "hs").values_list(
        "report__enterprise__uscc", "report__period", "market_id", "hs", *FIGURES
    ):
        h.update(repr(row).encode())
    return h.hexdigest()


def test_it_writes_the_tier_tree_the_enterprises_and_a_report_a_month(summary: SynthSummary) -> None:
    root = Region.objects.get(code="330299")
    assert root.parent_id == "330200" and root.level == Region.Level.DISTRICT
    towns = Region.objects.filter(parent=root)
    assert towns.count() == 12 and set(towns.values_list("level", flat=True)) == {Region.Level.TOWN}
    assert summary.regions == 13
    ents = Enterprise.objects.filter(town__path__startswith=root.path)
    assert ents.count() == summary.enterprises == ENTERPRISES
    assert Report.objects.count() == summary.reports
    assert ReportLine.objects.count() == summary.lines
    # A few reports are missing (an enterprise that did not report that month), never more than one a month.
    assert 0.9 * ENTERPRISES * MONTHS <= summary.reports <= ENTERPRISES * MONTHS
    assert 15 <= summary.lines / summary.reports <= 25
    periods = sorted(set(Report.objects.values_list("period", flat=True)))
    assert periods == [period_add("2019-01", i) for i in range(MONTHS)]


def test_every_report_obeys_the_data_contract(summary: SynthSummary) -> None:
    rows = reports()
    seen = set()
    for r in rows:
        key = (r["enterprise__uscc"], r["period"])
        assert key not in seen  # one current report per enterprise and month
        seen.add(key)
        assert r["version"] == 1 and r["is_current"]
        assert min(r[f] for f in (*FIGURES, "backlog_due_3m_usd")) >= 0
        assert r["backlog_due_3m_usd"] <= r["backlog_usd"]
        assert 0 <= r["capacity_utilization_pct"] <= 100
        assert {r["new_orders_trend"], r["outlook_3m"]} <= {"up", "same", "down"}
        assert r["period"] <= END  # not in the future (today is 2020-04-15 in the tests)
        local = r["submitted_at"].astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        first = dt.date.fromisoformat(period_add(r["period"], 1) + "-01")
        assert first <= local <= report_deadline(r["period"], deadline_day=5)


def test_the_lines_never_exceed_their_report_and_use_existing_codes(summary: SynthSummary) -> None:
    totals = {r["id"]: r for r in reports()}
    sums: dict[int, list[Any]] = defaultdict(lambda: [0, 0, 0])
    markets = set(Market.objects.values_list("code", flat=True))
    chapters = set(HSCode.objects.values_list("code", flat=True))
    pairs = set()
    for report_id, market, hs, *amounts in ReportLine.objects.values_list("report_id", "market_id", "hs", *FIGURES):
        assert (report_id, market, hs) not in pairs
        pairs.add((report_id, market, hs))
        assert market in markets and len(hs) in (2, 4, 6) and hs[:2] in chapters
        assert min(amounts) >= 0
        for i, amount in enumerate(amounts):
            sums[report_id][i] += amount
    assert set(sums) <= set(totals)
    for report_id, (exports, new_orders, backlog) in sums.items():
        r = totals[report_id]
        assert exports <= r["exports_usd"] and new_orders <= r["new_orders_usd"] and backlog <= r["backlog_usd"]


def test_enterprises_have_valid_unique_codes(summary: SynthSummary) -> None:
    industries = set(Industry.objects.values_list("code", flat=True))
    rows = list(Enterprise.objects.values_list("uscc", "customs_code", "industry_id", "town__level", "town__path"))
    assert len({r[0] for r in rows}) == len(rows)
    for uscc, customs_code, industry, level, path in rows:
        assert uscc_problem(uscc) is None and uscc.startswith("91330299")
        assert customs_code_problem(customs_code) is None
        assert industry in industries
        assert level == Region.Level.TOWN and path.startswith("330000/330200/330299/")
    assert Enterprise.objects.filter(segments__isnull=False).distinct().count() > ENTERPRISES / 2


def test_the_foreign_keys_hold(summary: SynthSummary) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # raises on any broken reference
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []


def test_trend_answers_agree_with_the_numbers(summary: SynthSummary) -> None:
    by_key = {(r["enterprise__uscc"], r["period"]): r for r in reports()}
    compared_trend = compared_outlook = 0
    for (uscc, period), r in by_key.items():
        before = by_key.get((uscc, period_add(period, -1)))
        if before is not None:
            assert r["new_orders_trend"] == band(r["new_orders_usd"], before["new_orders_usd"])
            compared_trend += 1
        year_ago = by_key.get((uscc, period_add(period, -12)))
        if year_ago is not None:
            quantity = r["backlog_due_3m_usd"] + r["new_orders_usd"]
            assert r["outlook_3m"] == band(quantity, year_ago["backlog_due_3m_usd"] + year_ago["new_orders_usd"])
            compared_outlook += 1
    assert compared_trend > ENTERPRISES * (MONTHS - 2) and compared_outlook > ENTERPRISES * 2


def test_the_shock_and_the_new_year_dip_are_visible(summary: SynthSummary) -> None:
    shocked = ReportLine.objects.filter(market_id__in=("US", *EU_MARKETS))
    for period in ("2020-01", "2020-02", "2020-03"):
        now = sum(shocked.filter(report__period=period).values_list("new_orders_usd", flat=True))
        year_ago = sum(shocked.filter(report__period=period_add(period, -12)).values_list("new_orders_usd", flat=True))
        assert now < Decimal("0.9") * year_ago, period

    def exports(period: str) -> Any:
        return sum(Report.objects.filter(period=period).values_list("exports_usd", flat=True))

    # Chinese New Year 2019 fell on 5 February: February ships much less than the months around it.
    assert exports("2019-02") < Decimal("0.8") * min(exports("2019-01"), exports("2019-04"))


def test_the_same_seed_gives_the_same_data(summary: SynthSummary) -> None:
    first = digest()
    again = run(force=True)
    assert digest() == first
    assert (again.reports, again.lines) == (summary.reports, summary.lines)
    run(seed=8, force=True)
    assert digest() != first


def test_it_refuses_a_database_with_reports_unless_forced(world: Any) -> None:
    Report.objects.create(
        enterprise=world.ent_a,
        period="2020-02",
        version=1,
        exports_usd=1,
        new_orders_usd=1,
        backlog_usd=1,
        backlog_due_3m_usd=1,
        new_orders_trend="same",
        outlook_3m="same",
        source="web",
        submitted_at=dt.datetime(2020, 3, 2, tzinfo=dt.UTC),
    )
    args = ["synth", "--tier", "district", "--enterprises", "20", "--months", "13", "--seed", "3"]
    with pytest.raises(CommandError, match="--force"):
        call_command(*args, stdout=StringIO())
    assert Enterprise.objects.count() == 4

    for _ in range(2):  # the second run replaces the first one's rows: nothing is added twice
        out = StringIO()
        call_command(*args, "--force", stdout=out)
        synthetic = Report.objects.filter(enterprise__town__path__contains="/330299/")
        assert Enterprise.objects.count() == 4 + 20
        assert Report.objects.count() == 1 + synthetic.count()
        assert "20 enterprises" in out.getvalue() and "2020-03:" in out.getvalue()
    assert Report.objects.filter(enterprise=world.ent_a).count() == 1


def test_it_refuses_an_end_in_the_current_month(ref: None) -> None:
    with pytest.raises(CommandError, match="not before the current month"):
        call_command("synth", "--tier", "district", "--end", "2020-04", stdout=StringIO())


def test_tier_trees_have_their_sizes_and_codes_of_their_own() -> None:
    city = regions_plan(TIERS["city"], seed=1)
    province = regions_plan(TIERS["province"], seed=1)
    for plan, prefix, cities, districts, towns in ((city, "3399", 1, 10, 150), (province, "99", 11, 90, 1300)):
        levels = [r.level for r in plan]
        assert levels.count(Region.Level.CITY) == cities
        assert levels.count(Region.Level.DISTRICT) == districts
        assert levels.count(Region.Level.TOWN) == towns
        assert len({r.code for r in plan}) == len(plan)
        assert len({r.name for r in plan if r.level == Region.Level.TOWN}) == towns
        assert all(r.code.startswith(prefix) for r in plan)
        assert all(len(r.code) == (9 if r.level == Region.Level.TOWN else 6) for r in plan)
    assert city[0].parent == "330000" and province[0].parent is None


def test_exports_are_heavy_tailed_with_a_tenth_of_head_enterprises() -> None:
    towns = [f"339901{i:03d}" for i in range(1, 16)]
    markets = ["US", "DE", "FR", "IT", "NL", "ES", "PL", "BE", "GB", "JP", "KR", "VN", "TH", "MY", "ID", "AU", "CA"]
    pop = population_plan(n=5_000, towns=towns, markets=markets, seed=11, end_month=2020 * 12 + 2)
    exports = pop.ents["exports"]
    assert 0.08 <= (exports >= 10_000_000).mean() <= 0.12
    assert 0.5 <= ((exports + pop.ents["imports"]) >= 1_000_000).mean() <= 0.7
    assert exports.max() > 100 * exports.median()
    per_ent = pop.lines.group_by("ent").len()["len"]
    assert 19 <= per_ent.mean() <= 23 and per_ent.min() >= 1 and per_ent.max() <= 32
