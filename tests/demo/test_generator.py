"""Tests of the demo district generator (pure: no Django, no database).

Run with ``python -m pytest tests/demo -q -p no:django``. The district is generated once per module.
"""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter, defaultdict
from datetime import date

import pytest

from exportwatch.core.codes import customs_code_problem, hs_problem, iso2_problem, uscc_problem
from exportwatch.core.records import DISRUPTION_KINDS, NEED_CATEGORIES, URGENCIES
from exportwatch.demo.generator import (
    EU_MARKETS,
    HEAD_THRESHOLD_USD,
    MARKET_NAMES,
    SEGMENTS,
    WHITE_LIST_THRESHOLD_USD,
    DemoData,
    DemoReport,
    generate,
    org_code_check_char,
)

# Fenghua's 8 streets and 4 towns (NBS 2020 codes), as the loader passes them.
TOWNS = (
    "330213001",
    "330213002",
    "330213003",
    "330213004",
    "330213005",
    "330213006",
    "330213007",
    "330213008",
    "330213100",
    "330213106",
    "330213107",
    "330213108",
)
WINDOW = (date(2020, 1, 25), date(2020, 4, 14))
INDUSTRY_CHAPTERS = {
    "36": {"87"},
    "34": {"84"},
    "18": {"61", "62"},
    "24": {"96", "95"},
    "21": {"94"},
    "38": {"85"},
    "17": {"63", "52", "55"},
    "29": {"39", "40"},
    "33": {"73", "76"},
    "35": {"84"},
    "39": {"85"},
}
TRENDS = {"up", "same", "down"}
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def timed() -> tuple[DemoData, float]:
    """The default district and the seconds it took to generate."""
    started = time.perf_counter()
    data = generate(towns=TOWNS)
    return data, time.perf_counter() - started


@pytest.fixture(scope="module")
def data(timed: tuple[DemoData, float]) -> DemoData:
    """The default district."""
    return timed[0]


@pytest.fixture(scope="module")
def by_period(data: DemoData) -> dict[str, list[DemoReport]]:
    """Reports grouped by period."""
    out: dict[str, list[DemoReport]] = defaultdict(list)
    for r in data.reports:
        out[r.period].append(r)
    return out


def district_exports(by_period: dict[str, list[DemoReport]], period: str) -> int:
    """Total reported exports of a period."""
    return sum(r.exports_usd for r in by_period[period])


def line_new_orders(by_period: dict[str, list[DemoReport]], period: str, markets: set[str]) -> int:
    """New orders of a period on lines to ``markets``."""
    return sum(ln.new_orders_usd for r in by_period[period] for ln in r.lines if ln.market in markets)


def periods(first: str, last: str) -> list[str]:
    """The periods ``first``..``last``."""
    y, m = int(first[:4]), int(first[5:])
    out: list[str] = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# --- The registry ----------------------------------------------------------------------------


def test_it_generates_472_enterprises_52_heads_and_292_white_listed(data: DemoData) -> None:
    ents = data.enterprises
    assert len(ents) == 472
    assert sum(e.exports_last_year_usd >= HEAD_THRESHOLD_USD for e in ents) == 52
    eligible = [e for e in ents if e.exports_last_year_usd + e.imports_last_year_usd >= WHITE_LIST_THRESHOLD_USD]
    assert len(eligible) == 292
    heads = [e for e in ents if e.exports_last_year_usd >= HEAD_THRESHOLD_USD]
    assert all(h in eligible for h in heads)


def test_it_keeps_every_enterprise_well_away_from_the_thresholds(data: DemoData) -> None:
    for e in data.enterprises:
        total = e.exports_last_year_usd + e.imports_last_year_usd
        assert total <= 900_000 or total >= 1_100_000
        assert e.exports_last_year_usd <= 9_500_000 or e.exports_last_year_usd >= 10_500_000
        assert e.exports_last_year_usd > 0
        assert e.imports_last_year_usd >= 0


def test_exports_are_heavy_tailed_with_a_median_near_one_million(data: DemoData) -> None:
    exports = [e.exports_last_year_usd for e in data.enterprises]
    assert 1_000_000 <= statistics.median(exports) <= 1_500_000
    assert 2 <= sum(x > 50_000_000 for x in exports) <= 10


def test_usccs_are_valid_unique_fenghua_codes(data: DemoData) -> None:
    usccs = [e.uscc for e in data.enterprises]
    assert len(set(usccs)) == len(usccs)
    for uscc in usccs:
        assert uscc_problem(uscc) is None
        assert uscc.startswith("91330213")
        org = uscc[8:17]
        assert org_code_check_char(org[:8]) == org[8]
    recent = sum(u[8:10] == "MA" for u in usccs)
    assert 50 <= recent <= 250


def test_org_code_check_char_matches_the_gb_32100_example() -> None:
    # GB 32100-2015 example 91350100M000100Y43: organisation code M000100Y4.
    assert org_code_check_char("M000100Y") == "4"
    with pytest.raises(ValueError, match="8 digits"):
        org_code_check_char("M000100")


def test_customs_codes_are_ningbo_codes_for_about_nine_in_ten(data: DemoData) -> None:
    codes = [e.customs_code for e in data.enterprises if e.customs_code]
    assert 0.85 <= len(codes) / len(data.enterprises) <= 0.95
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert customs_code_problem(code) is None
        assert re.fullmatch(r"3302\d{6}", code)


def test_names_and_contacts_are_plausible_and_unique(data: DemoData) -> None:
    names = [e.name for e in data.enterprises]
    assert len(set(names)) == len(names)
    assert all(n.startswith("宁波") and n.endswith("有限公司") for n in names)
    phones = [e.contact_phone for e in data.enterprises]
    assert len(set(phones)) == len(phones)
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)
    assert all(2 <= len(e.contact_name) <= 3 and HAN.match(e.contact_name) for e in data.enterprises)


def test_enterprises_are_spread_unevenly_over_the_given_towns(data: DemoData) -> None:
    counts = Counter(e.town for e in data.enterprises)
    assert set(counts) <= set(TOWNS)
    assert counts["330213003"] > 3 * counts["330213107"]  # 江口 (industrial) vs 大堰 (mountains)


def test_industries_follow_the_ningbo_manufacturing_mix(data: DemoData) -> None:
    counts = Counter(e.industry for e in data.enterprises)
    assert set(counts) <= {*INDUSTRY_CHAPTERS, "51"}
    top = {code for code, _ in counts.most_common(6)}
    assert {"34", "36", "18", "38"} <= top


def test_segments_are_known_ordered_and_cover_every_head(data: DemoData) -> None:
    for e in data.enterprises:
        assert all(s in SEGMENTS for s in e.segments)
        assert list(e.segments) == sorted(e.segments, key=SEGMENTS.index)
        if e.exports_last_year_usd >= HEAD_THRESHOLD_USD:
            assert "key_enterprise" in e.segments
    counts = Counter(s for e in data.enterprises for s in e.segments)
    assert set(counts) == set(SEGMENTS)
    assert 3 <= counts["domestic_pivot"] <= 30


def test_us_exporters_are_those_shipping_about_a_third_to_the_us(data: DemoData) -> None:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in data.reports:
        if r.period.startswith("2019"):
            totals[r.uscc][0] += sum(ln.exports_usd for ln in r.lines if ln.market == "US")
            totals[r.uscc][1] += r.exports_usd
    for e in data.enterprises:
        us, total = totals[e.uscc]
        if total == 0:
            continue
        if "us_exporter" in e.segments:
            assert us / total >= 0.25
        else:
            assert us / total < 0.35


# --- Reports ---------------------------------------------------------------------------------


def test_reports_cover_39_periods_with_a_few_missing(data: DemoData, by_period: dict[str, list[DemoReport]]) -> None:
    assert sorted(by_period) == periods("2017-01", "2020-03")
    absent = 1 - len(data.reports) / (len(data.enterprises) * 39)
    assert 0.03 <= absent <= 0.08
    reported_march = {r.uscc for r in by_period["2020-03"]}
    assert 5 <= len(data.enterprises) - len(reported_march) <= 60
    keys = [(r.uscc, r.period) for r in data.reports]
    assert len(set(keys)) == len(keys)


def test_reports_are_submitted_in_the_first_ten_days_of_the_next_month(data: DemoData) -> None:
    for r in data.reports:
        y, m = int(r.period[:4]), int(r.period[5:])
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        assert (r.submitted_on.year, r.submitted_on.month) == (ny, nm)
        assert 1 <= r.submitted_on.day <= 10
    early = sum(r.submitted_on.day <= 5 for r in data.reports)
    assert early / len(data.reports) > 0.6


def test_every_report_is_consistent(data: DemoData) -> None:
    enterprises = {e.uscc: e for e in data.enterprises}
    for r in data.reports:
        assert r.uscc in enterprises
        amounts = (r.exports_usd, r.new_orders_usd, r.backlog_usd, r.backlog_due_3m_usd)
        assert all(isinstance(a, int) and a >= 0 for a in amounts)
        assert r.backlog_due_3m_usd <= r.backlog_usd
        assert 0 <= r.capacity_utilization_pct <= 100
        assert r.new_orders_trend in TRENDS
        assert r.outlook_3m in TRENDS
        assert sum(ln.backlog_usd for ln in r.lines) <= r.backlog_usd
        assert sum(ln.new_orders_usd for ln in r.lines) <= r.new_orders_usd
        assert sum(ln.exports_usd for ln in r.lines) <= r.exports_usd
        pairs = [(ln.market, ln.hs) for ln in r.lines]
        assert len(set(pairs)) == len(pairs)
        for ln in r.lines:
            assert min(ln.backlog_usd, ln.new_orders_usd, ln.exports_usd) >= 0
            assert iso2_problem(ln.market) is None
            assert ln.market in MARKET_NAMES
            assert hs_problem(ln.hs) is None


def test_line_products_belong_to_the_enterprise_industry(data: DemoData) -> None:
    industry = {e.uscc: e.industry for e in data.enterprises}
    for r in data.reports:
        allowed = INDUSTRY_CHAPTERS.get(industry[r.uscc])
        if allowed is not None:
            assert {ln.hs[:2] for ln in r.lines} <= allowed


def test_enterprises_sell_to_one_to_six_markets(data: DemoData) -> None:
    markets: dict[str, set[str]] = defaultdict(set)
    for r in data.reports:
        markets[r.uscc].update(ln.market for ln in r.lines)
    assert all(1 <= len(m) <= 6 for m in markets.values())


def test_line_volume_is_in_the_expected_range(data: DemoData) -> None:
    lines = sum(len(r.lines) for r in data.reports)
    assert 60_000 <= lines <= 90_000


def test_backlog_follows_orders_exports_and_cancellations(data: DemoData) -> None:
    previous: dict[str, DemoReport] = {}
    checked = exact = 0
    for r in data.reports:  # sorted by enterprise, then period
        before = previous.get(r.uscc)
        if before is not None and periods(before.period, r.period)[1:2] == [r.period]:
            flow = before.backlog_usd + r.new_orders_usd - r.exports_usd
            assert r.backlog_usd <= flow  # cancellations only take away
            checked += 1
            exact += r.backlog_usd == flow
        previous[r.uscc] = r
    assert checked > 15_000
    assert exact / checked > 0.9


def test_backlog_normally_covers_two_to_five_months(by_period: dict[str, list[DemoReport]]) -> None:
    ratios = sorted(r.backlog_usd / r.exports_usd for r in by_period["2019-06"] if r.exports_usd)
    median = statistics.median(ratios)
    assert 2 <= median <= 5
    assert ratios[len(ratios) // 4] >= 1.5
    assert ratios[3 * len(ratios) // 4] <= 6


def test_2019_exports_match_last_years_exports_within_five_percent(data: DemoData) -> None:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in data.reports:
        if r.period.startswith("2019"):
            sums[r.uscc][0] += r.exports_usd
            sums[r.uscc][1] += 1
    complete = [e for e in data.enterprises if sums[e.uscc][1] == 12]
    assert len(complete) > 0.5 * len(data.enterprises)
    close = [e for e in complete if abs(sums[e.uscc][0] / e.exports_last_year_usd - 1) <= 0.05]
    assert len(close) >= 0.95 * len(complete)


def test_us_takes_a_quarter_to_a_third_of_district_exports(by_period: dict[str, list[DemoReport]]) -> None:
    year = periods("2019-01", "2019-12")
    us = sum(ln.exports_usd for p in year for r in by_period[p] for ln in r.lines if ln.market == "US")
    total = sum(district_exports(by_period, p) for p in year)
    assert 0.22 <= us / total <= 0.33


# --- Seasonality and the 2020 shock ----------------------------------------------------------


def test_chinese_new_year_dips_district_exports(by_period: dict[str, list[DemoReport]]) -> None:
    assert district_exports(by_period, "2019-02") < 0.8 * district_exports(by_period, "2018-12")
    assert district_exports(by_period, "2018-02") < 0.8 * district_exports(by_period, "2017-12")
    # 2017: the festival on 28 January makes January and February the low months.
    assert district_exports(by_period, "2017-02") < 0.8 * district_exports(by_period, "2017-04")
    assert district_exports(by_period, "2019-01") > district_exports(by_period, "2018-11")  # pre-festival rush


def test_february_2020_exports_halve_against_february_2019(by_period: dict[str, list[DemoReport]]) -> None:
    ratio = district_exports(by_period, "2020-02") / district_exports(by_period, "2019-02")
    assert 0.35 <= ratio <= 0.55


def test_february_2020_capacity_is_mostly_20_to_40_percent(by_period: dict[str, list[DemoReport]]) -> None:
    caps = [r.capacity_utilization_pct for r in by_period["2020-02"]]
    assert 20 <= statistics.median(caps) <= 40
    assert sum(20 <= c <= 40 for c in caps) / len(caps) > 0.6
    assert statistics.median(r.capacity_utilization_pct for r in by_period["2019-06"]) >= 65


def test_march_2020_us_and_eu_new_orders_collapse(by_period: dict[str, list[DemoReport]]) -> None:
    western = {"US", *EU_MARKETS}
    ratio = line_new_orders(by_period, "2020-03", western) / line_new_orders(by_period, "2019-03", western)
    assert 0.3 <= ratio <= 0.6
    other = set(MARKET_NAMES) - western - {"GB"}
    other_ratio = line_new_orders(by_period, "2020-03", other) / line_new_orders(by_period, "2019-03", other)
    assert other_ratio > ratio + 0.1


def test_trends_and_outlooks_turn_down_in_2020(by_period: dict[str, list[DemoReport]]) -> None:
    for period in ("2020-02", "2020-03"):
        trends = Counter(r.new_orders_trend for r in by_period[period])
        assert trends["down"] > 0.6 * len(by_period[period])
    outlooks = Counter(r.outlook_3m for r in by_period["2020-03"])
    assert outlooks["down"] > 0.5 * len(by_period["2020-03"])
    normal = Counter(r.new_orders_trend for r in by_period["2019-06"])
    assert normal["down"] < 0.5 * len(by_period["2019-06"])


# --- Disruptions and needs -------------------------------------------------------------------


def test_disruptions_hit_about_half_the_enterprises_in_the_window(data: DemoData) -> None:
    hit = {d.uscc for d in data.disruptions}
    assert 0.4 <= len(hit) / len(data.enterprises) <= 0.6
    enterprises = {e.uscc for e in data.enterprises}
    for d in data.disruptions:
        assert d.uscc in enterprises
        assert WINDOW[0] <= d.date <= WINDOW[1]
        assert d.kind in DISRUPTION_KINDS
        assert isinstance(d.amount_usd, int)
        assert d.amount_usd > 0
        assert d.market in MARKET_NAMES
        assert hs_problem(d.hs) is None
        assert HAN.search(d.note)
        assert "|" not in d.note
    assert {d.kind for d in data.disruptions} == set(DISRUPTION_KINDS)


def test_late_march_disruptions_come_mostly_from_europe_and_the_us(data: DemoData) -> None:
    late = [d for d in data.disruptions if d.date >= date(2020, 3, 15)]
    western = {"IT", "ES", "FR", "DE", "US", "GB"}
    assert sum(d.market in western for d in late) > 0.7 * len(late)


def test_march_cancellations_are_filed_for_what_the_order_book_lost(data: DemoData) -> None:
    lines = {(r.uscc, r.period, ln.market, ln.hs): ln for r in data.reports for ln in r.lines}
    checked = 0
    for d in data.disruptions:
        if d.kind not in ("order_cancelled", "order_reduced") or d.date.month != 3:
            continue
        feb = lines.get((d.uscc, "2020-02", d.market, d.hs))
        mar = lines.get((d.uscc, "2020-03", d.market, d.hs))
        if feb is None or mar is None:
            continue
        lost = feb.backlog_usd + mar.new_orders_usd - mar.exports_usd - mar.backlog_usd
        assert d.amount_usd == lost
        checked += 1
    assert checked > 50


def test_about_thirty_percent_of_enterprises_file_needs(data: DemoData) -> None:
    filing = {n.uscc for n in data.needs}
    assert 0.22 <= len(filing) / len(data.enterprises) <= 0.38
    for n in data.needs:
        assert WINDOW[0] <= n.date <= WINDOW[1]
        assert n.category in NEED_CATEGORIES
        assert n.urgency in URGENCIES
        assert HAN.search(n.description)
        assert "|" not in n.description
        if n.category in ("financing", "credit_insurance"):
            assert isinstance(n.amount_usd, int)
            assert n.amount_usd > 0
        elif n.category != "payment_collection":
            assert n.amount_usd is None
    assert {n.urgency for n in data.needs} == set(URGENCIES)


# --- Determinism, arguments, speed -----------------------------------------------------------


def test_it_is_deterministic(data: DemoData) -> None:
    assert generate(towns=TOWNS) == data


def test_another_seed_gives_another_district_with_the_same_headline_counts(data: DemoData) -> None:
    other = generate(towns=TOWNS, seed=7, first_period="2019-01")
    assert other.enterprises != data.enterprises
    assert len(other.enterprises) == 472
    assert sum(e.exports_last_year_usd >= HEAD_THRESHOLD_USD for e in other.enterprises) == 52
    assert {r.period for r in other.reports} == set(periods("2019-01", "2020-03"))


def test_a_shorter_range_only_reports_those_periods() -> None:
    short = generate(towns=TOWNS[:3], first_period="2019-11", last_period="2019-12")
    assert {r.period for r in short.reports} == {"2019-11", "2019-12"}
    assert {e.town for e in short.enterprises} <= set(TOWNS[:3])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"towns": ()}, "town"),
        ({"towns": TOWNS, "first_period": "2017-13"}, "period"),
        ({"towns": TOWNS, "first_period": "2020-03", "last_period": "2020-02"}, "after"),
        ({"towns": TOWNS, "last_period": "2020-04"}, "2020-03"),
    ],
)
def test_it_rejects_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(**kwargs)  # type: ignore[arg-type]


def test_it_runs_in_a_few_seconds(timed: tuple[DemoData, float]) -> None:
    assert timed[1] < 5.0
