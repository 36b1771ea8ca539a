"""Stress tests in exportwatch.core.stress, on a hand-built book of three enterprises whose figures are worked out by
hand (in units of 10,000 USD; every month of the window alike, so the usual conversion is plain to see):

* A (town T1, industry 34): exports 70, new orders 90, due 180 a month; backlog 300. Lines: US (HS 84) backlog 200,
  new orders 60; DE (HS 61) backlog 100, new orders 30. Conversion (70 − 180/3) / 90 = 1/9; baseline exports
  60 + 90/9 = 70 a month.
* B (T1, industry 18): exports 40, new orders 30, due 60; backlog 90, all US (HS 84). Conversion (40 − 20)/30 = 2/3;
  baseline 20 + 20 = 40; the backlog falls by 10 a month to 60, coverage 60/40 = 1.5 months (yellow already).
* C (T2, industry 18): exports 100, new orders 100, due 240; backlog 400, all DE (HS 61); 50,000 USD exports last
  year, too small for the three-month rule. Conversion 0.2; baseline 80 + 20 = 100.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from exportwatch.core.stress import (
    HORIZON,
    WINDOW,
    Book,
    Shock,
    conversion,
    line_factors,
    rule_levels,
    stress_run,
)
from exportwatch.core.warning_rules import DEFAULT_RULES, level_rank, rule_evaluate

U = 10_000.0  # the unit of the figures above
US_30 = [Shock("market", "US", -0.3)]
US_50 = [Shock("market", "US", -0.5)]


def flat(*values: float) -> np.ndarray:
    return np.array([[v * U] * WINDOW for v in values])


def book() -> Book:
    return Book(
        origin="2020-03",
        keys=np.array(["A", "B", "C"], dtype=object),
        backlog=np.array([300, 90, 400]) * U,
        due=np.array([180, 60, 240]) * U,
        exports_last_year=np.array([8_400_000.0, 4_800_000.0, 50_000.0]),
        exports=flat(70, 40, 100),
        new_orders=flat(90, 30, 100),
        due_history=flat(180, 60, 240),
        line_enterprise=np.array([0, 0, 1, 2]),
        line_market=np.array(["US", "DE", "US", "DE"], dtype=object),
        line_hs=np.array(["84", "61", "84", "61"], dtype=object),
        line_backlog=np.array([200, 100, 90, 400]) * U,
        line_new_orders=np.array([60, 30, 30, 100]) * U,
        line_exports=np.array([50, 20, 40, 100]) * U,
    )


BY = {"town": np.array(["T1", "T1", "T2"]), "industry": np.array(["34", "18", "18"])}


def run(shocks: Sequence[Shock]) -> object:
    return stress_run(book(), shocks, rules=DEFAULT_RULES, by=BY, groups={"EU": {"DE", "FR"}})


def per_month(values: np.ndarray) -> list[float]:
    return [round(v / U, 4) for v in values]


def test_the_usual_conversion_is_the_share_of_new_orders_shipped_beyond_the_due_backlog() -> None:
    assert conversion(book()) == pytest.approx([1 / 9, 2 / 3, 0.2])


def test_without_shocks_each_enterprise_ships_its_due_backlog_and_its_usual_share_of_new_orders() -> None:
    result = stress_run(book(), [], rules=DEFAULT_RULES, by=BY)
    assert result.periods == ("2020-04", "2020-05", "2020-06")
    assert [per_month(row) for row in result.baseline] == [[70] * 3, [40] * 3, [100] * 3]
    assert np.array_equal(result.baseline, result.shocked)
    assert result.crossings == ()
    assert [level_rank(None), *result.worst_before.tolist()] == [0, 0, 2, 0]  # B: coverage 1.5 months, yellow


def test_us_minus_30_percent_cuts_the_us_lines_new_orders_and_due_backlog() -> None:
    result = run(US_30)
    # A: 2/3 of its book is US, cut 20 %: new orders 72, cancelled 60·0.2 = 12, exports 60 − 12 + 72/9 = 56.
    # B: all US, cut 30 %: new orders 21, cancelled 6, exports 20 − 6 + 21·2/3 = 28. C: untouched.
    assert [per_month(row) for row in result.shocked] == [[56] * 3, [28] * 3, [100] * 3]
    assert per_month(np.array(result.district.baseline)) == [210] * 3
    assert per_month(np.array(result.district.shocked)) == [184] * 3
    assert result.district.loss == pytest.approx(3 * 26 * U)


def test_us_minus_30_percent_pushes_a_into_yellow_and_b_into_orange_on_their_new_orders() -> None:
    result = run(US_30)
    found = {(c.enterprise, c.rule): c for c in result.crossings}
    assert set(found) == {(0, "new_orders_3m_yoy"), (1, "new_orders_3m_yoy")}
    a, b = found[(0, "new_orders_3m_yoy")], found[(1, "new_orders_3m_yoy")]
    assert (a.before, a.after, a.level_before, a.level_after, a.threshold) == (
        pytest.approx(0.0), pytest.approx(216 / 270 - 1), None, "yellow", -0.2
    )  # fmt: skip
    assert (b.after, b.level_after, b.threshold) == (pytest.approx(-0.3), "orange", -0.3)
    assert result.crossings[0].enterprise == 1  # the most severe first
    assert result.worst_after.tolist() == [2, 3, 0]
    assert result.pushed_to("orange").tolist() == [1]
    assert result.pushed_to("red").tolist() == []


def test_us_minus_50_percent_pushes_b_into_red() -> None:
    result = run(US_50)
    # B: new orders 15 a month against 30 a year before (−50 %, red); cancelled 10 of the 20 due, exports
    # 20 − 10 + 10 = 20; backlog 90 → 75 → 60 → 45, so coverage 45/20 = 2.25 (no longer yellow) and the
    # cancellation rate of June 10 / (60 + 15) = 13.3 % (yellow).
    found = {(c.enterprise, c.rule): c for c in result.crossings}
    assert found[(1, "new_orders_3m_yoy")].level_after == "red"
    assert found[(1, "cancellation_rate")].after == pytest.approx(10 / 75)
    assert found[(1, "cancellation_rate")].level_after == "yellow"
    assert per_month(result.shocked[1]) == [20] * 3
    assert result.pushed_to("red").tolist() == [1]
    assert found[(0, "new_orders_3m_yoy")].level_after == "orange"  # A: 60 a month, −1/3


def test_a_small_exporter_is_not_judged_on_its_three_months() -> None:
    result = run([Shock("market", "DE", -0.5)])
    assert per_month(result.shocked[2]) == [40 + 10] * 3  # C: 80 − 40 + 50·0.2
    rules = {c.rule for c in result.crossings if c.enterprise == 2}
    # −50 % on its new orders, but 50,000 USD a year is below the gate; the cancellations are judged at any size:
    # 40 of the 80 due, against the backlog of May (400 − 40 − 40 = 320) and June's new orders 50: 10.8 %.
    assert rules == {"cancellation_rate"}


def test_towns_and_industries_are_summed_and_the_hardest_hit_comes_first() -> None:
    result = run(US_30)
    towns = result.groups["town"]
    assert [o.key for o in towns] == ["T1", "T2"]
    t1 = towns[0]
    assert (t1.enterprises, per_month(np.array(t1.shocked))) == (2, [84] * 3)
    assert t1.change == pytest.approx(84 / 110 - 1)
    # T1 in June: exports 84 against 110 a year before (−23.6 %) and new orders 93 against 120 (−22.5 %): yellow.
    assert (t1.level_before, t1.level_after) == (None, "yellow")
    assert (towns[1].level_before, towns[1].level_after, towns[1].loss) == (None, None, 0.0)
    assert [o.key for o in result.groups["industry"]] == ["34", "18"]  # A lost 42, B and C 36
    assert result.district.year_ago == (pytest.approx(210 * U),) * 3


def test_a_shock_lasts_its_months_and_shocks_on_one_line_multiply() -> None:
    shocks = [Shock("market", "US", -0.3), Shock("hs", "84", -0.1), Shock("hs", "61", -0.1, months=1)]
    factors = line_factors(book(), shocks)
    assert factors.round(4).tolist() == [[0.63] * 3, [0.9, 1, 1], [0.63] * 3, [0.9, 1, 1]]
    result = stress_run(book(), [Shock("market", "US", -0.3), Shock("hs", "61", -0.1, months=1)], rules=DEFAULT_RULES)
    # A in April: cut 2/3·0.3 + 1/3·0.1 = 7/30: exports 60 − 14 + 90·(23/30)/9 = 53.667; then 56 as before.
    assert per_month(result.shocked[0]) == [pytest.approx(53.6667, abs=1e-4), 56, 56]


def test_a_market_group_shock_hits_its_members() -> None:
    result = run([Shock("market_group", "EU", -0.5)])
    assert per_month(result.shocked[2]) == [50] * 3
    with pytest.raises(ValueError, match="unknown market group"):
        stress_run(book(), [Shock("market_group", "ASEAN", -0.5)], rules=DEFAULT_RULES, groups={})


def test_a_rise_adds_new_orders_but_ships_no_more_backlog_than_is_due() -> None:
    result = run([Shock("market", "US", 0.3)])
    assert per_month(result.shocked[1]) == [20 + 39 * 2 / 3] * 3  # new orders 39, nothing cancelled


def test_an_enterprise_without_lines_is_not_exposed() -> None:
    b = book()
    bare = Book(**{**{f: getattr(b, f) for f in Book.__slots__}, "line_enterprise": b.line_enterprise[:2],
                   "line_market": b.line_market[:2], "line_hs": b.line_hs[:2], "line_backlog": b.line_backlog[:2],
                   "line_new_orders": b.line_new_orders[:2], "line_exports": b.line_exports[:2]})  # fmt: skip
    result = stress_run(bare, US_50, rules=DEFAULT_RULES)
    assert per_month(result.shocked[1]) == [40] * 3


def test_rules_not_projected_are_named() -> None:
    result = run(US_30)
    assert {"new_orders_3m_yoy", "coverage_months", "cancellation_rate", "exports_yoy"} <= set(result.rules)
    assert {"disruption_share", "market_concentration", "new_orders_di", "short_order_share"} <= set(
        result.not_projected
    )


@pytest.mark.parametrize(
    ("change", "months", "dimension"), [(-1.5, 3, "market"), (0.1, 0, "market"), (0.1, 4, "hs"), (0.1, 3, "town")]
)
def test_a_shock_is_checked(change: float, months: int, dimension: str) -> None:
    with pytest.raises(ValueError):
        Shock(dimension, "US", change, months)


def test_column_wise_levels_agree_with_the_rules_one_scope_at_a_time() -> None:
    rng = np.random.default_rng(7)
    values = rng.uniform(-1.0, 3.0, 400)
    values[::17] = np.nan
    base = rng.uniform(0, 1_000_000, 400)
    base[::23] = np.nan
    for rule in DEFAULT_RULES:
        if rule.requires:
            continue
        ranks = rule_levels(rule, values, base if rule.base else None)
        scope = rule.scopes[0]
        for v, b, rank in zip(values, base, ranks, strict=True):
            facts = {rule.indicator: None if math.isnan(v) else float(v)}
            if rule.base:
                facts[rule.base] = None if math.isnan(b) else float(b)
            signal = rule_evaluate(rule, facts, scope=scope, key="x")
            assert rank == level_rank(None if signal is None else signal.level), (rule.key, v, b)


def test_a_book_of_mismatched_columns_is_refused() -> None:
    b = book()
    with pytest.raises(ValueError, match="months per enterprise"):
        Book(**{**{f: getattr(b, f) for f in Book.__slots__}, "exports": b.exports[:, :HORIZON]})
