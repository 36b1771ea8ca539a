"""Threshold rules and warning levels in exportwatch.core.warning_rules (DESIGN §7), on literals."""

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exportwatch.core.warning_rules import (
    DEFAULT_RULES,
    LEVELS,
    SCOPES,
    Signal,
    ThresholdRule,
    level_rank,
    rule_evaluate,
    rules_evaluate,
    rules_evaluate_many,
    threshold_crossed,
    worst,
)

ENT = "91330200MA2XXXXX0X"


def make_rule(**changes: Any) -> ThresholdRule:
    fields: dict[str, Any] = {
        "key": "new_orders_yoy",
        "indicator": "new_orders_yoy",
        "direction": "below",
        "thresholds": {"red": -0.5, "orange": -0.3, "yellow": -0.2},
        "scopes": ("enterprise", "district"),
        "reason": "why",
        "reason_zh": "原因",
    }
    fields.update(changes)
    return ThresholdRule(**fields)


BELOW_RULE = make_rule()
ABOVE_RULE = make_rule(
    key="cancellation_rate",
    indicator="cancellation_rate",
    direction="above",
    thresholds={"yellow": 0.1, "red": 0.3, "orange": 0.2},
)


def evaluate(rule: ThresholdRule, facts: Mapping[str, float | bool | None], scope: str = "enterprise") -> Any:
    return rule_evaluate(rule, facts, scope=scope, key=ENT)


# --- Levels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "rank"), [("red", 4), ("orange", 3), ("yellow", 2), ("blue", 1), (None, 0)])
def test_level_rank_puts_red_highest_and_green_at_zero(level: str | None, rank: int) -> None:
    assert level_rank(level) == rank


def test_level_rank_rejects_an_unknown_level() -> None:
    with pytest.raises(ValueError, match="level"):
        level_rank("红")


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([], None),
        ([None, None], None),
        (["blue", None, "yellow"], "yellow"),
        (["yellow", "red", "orange"], "red"),
        (["orange", "orange"], "orange"),
    ],
)
def test_worst_is_the_most_severe_level(levels: list[str | None], expected: str | None) -> None:
    assert worst(levels) == expected


# --- Validation ------------------------------------------------------------------------------


def test_a_rule_keeps_its_thresholds_in_level_order_and_read_only() -> None:
    assert list(ABOVE_RULE.thresholds.items()) == [("red", 0.3), ("orange", 0.2), ("yellow", 0.1)]
    with pytest.raises(TypeError):
        ABOVE_RULE.thresholds["red"] = 0.9  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ABOVE_RULE.key = "other"  # type: ignore[misc]


def test_equal_rules_are_equal_and_hash_alike() -> None:
    assert make_rule() == BELOW_RULE
    assert hash(make_rule()) == hash(BELOW_RULE)


@pytest.mark.parametrize(
    ("direction", "thresholds"),
    [
        ("below", {"red": -0.2, "orange": -0.3}),  # red must be the lowest bound
        ("below", {"red": -0.5, "yellow": -0.6}),
        ("below", {"orange": 40.0, "yellow": 45.0, "blue": 44.0}),
        ("above", {"red": 0.1, "orange": 0.2}),  # red must be the highest bound
        ("above", {"orange": 0.9, "yellow": 0.95}),
    ],
)
def test_thresholds_that_are_not_monotone_are_rejected(direction: str, thresholds: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must not"):
        make_rule(direction=direction, thresholds=thresholds)


def test_equal_thresholds_are_monotone() -> None:
    rule = make_rule(thresholds={"red": -0.3, "orange": -0.3})
    assert evaluate(rule, {"new_orders_yoy": -0.3}).level == "red"  # the most severe wins the tie


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"thresholds": {}}, "no thresholds"),
        ({"thresholds": {"green": 0.1}}, "level"),
        ({"direction": "under"}, "direction"),
        ({"scopes": ()}, "no scopes"),
        ({"scopes": ("province",)}, "scope"),
        ({"key": " "}, "key"),
        ({"reason": ""}, "reason"),
        ({"reason_zh": ""}, "reason_zh"),
        ({"base": "exports_last_year"}, "base and min_base"),
        ({"min_base": 1000.0}, "base and min_base"),
    ],
)
def test_an_invalid_rule_is_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_rule(**changes)


def test_a_threshold_must_be_a_number() -> None:
    with pytest.raises(TypeError, match="not a number"):
        make_rule(thresholds={"red": True})


# --- Evaluation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "level", "threshold"),
    [
        (-0.8, "red", -0.5),
        (-0.5, "red", -0.5),  # at the threshold: crossed
        (-0.4, "orange", -0.3),
        (-0.3, "orange", -0.3),
        (-0.25, "yellow", -0.2),
        (-0.2, "yellow", -0.2),
    ],
)
def test_a_below_rule_gives_the_most_severe_level_crossed(value: float, level: str, threshold: float) -> None:
    assert evaluate(BELOW_RULE, {"new_orders_yoy": value}) == Signal(
        scope="enterprise", key=ENT, rule="new_orders_yoy", level=level, value=value, threshold=threshold
    )


@pytest.mark.parametrize(
    ("value", "level"), [(0.45, "red"), (0.3, "red"), (0.25, "orange"), (0.1, "yellow"), (0.09, None), (0, None)]
)
def test_an_above_rule_gives_the_most_severe_level_crossed(value: float, level: str | None) -> None:
    signal = evaluate(ABOVE_RULE, {"cancellation_rate": value})
    assert (signal.level if signal else None) == level


@pytest.mark.parametrize("value", [-0.19, 0.0, 0.5])
def test_a_value_inside_every_threshold_gives_no_signal(value: float) -> None:
    assert evaluate(BELOW_RULE, {"new_orders_yoy": value}) is None


@pytest.mark.parametrize("facts", [{}, {"new_orders_yoy": None}, {"exports_yoy": -0.9}])
def test_a_missing_indicator_gives_no_signal(facts: dict[str, float | None]) -> None:
    assert evaluate(BELOW_RULE, facts) is None


def test_a_rule_is_silent_for_a_scope_it_does_not_cover() -> None:
    assert evaluate(BELOW_RULE, {"new_orders_yoy": -0.9}, scope="market") is None
    assert evaluate(BELOW_RULE, {"new_orders_yoy": -0.9}, scope="district") is not None


def test_an_unknown_scope_is_rejected() -> None:
    with pytest.raises(ValueError, match="scope"):
        evaluate(BELOW_RULE, {"new_orders_yoy": -0.9}, scope="province")


@pytest.mark.parametrize(
    ("base", "fires"),
    [(None, False), (499_999.0, False), (500_000.0, True), (2_000_000, True)],
)
def test_a_rule_with_a_base_skips_scopes_that_are_too_small(base: float | None, fires: bool) -> None:
    rule = make_rule(base="exports_last_year", min_base=500_000)
    signal = evaluate(rule, {"new_orders_yoy": -0.9, "exports_last_year": base})
    assert (signal is not None) == fires


def test_a_rule_without_its_base_fact_is_not_assessed() -> None:
    rule = make_rule(base="exports_last_year", min_base=500_000)
    assert evaluate(rule, {"new_orders_yoy": -0.9}) is None


@pytest.mark.parametrize(
    ("flag", "fires"),
    [(True, True), (1.0, True), (False, False), (0, False), (None, False)],
)
def test_a_rule_fires_only_when_its_requirements_are_truthy(flag: float | bool | None, fires: bool) -> None:
    rule = make_rule(
        key="market_concentration",
        indicator="market_hhi",
        direction="above",
        thresholds={"orange": 0.5},
        requires=("main_market_in_warning",),
    )
    signal = evaluate(rule, {"market_hhi": 0.64, "main_market_in_warning": flag})
    assert (signal is not None) == fires


def test_a_missing_requirement_counts_as_false() -> None:
    rule = make_rule(requires=("main_market_in_warning",))
    assert evaluate(rule, {"new_orders_yoy": -0.9}) is None


def test_a_flag_given_as_the_indicator_is_rejected() -> None:
    with pytest.raises(TypeError, match="not a number"):
        evaluate(BELOW_RULE, {"new_orders_yoy": True})


def test_a_nan_indicator_is_rejected() -> None:
    with pytest.raises(ValueError, match="finite"):
        evaluate(BELOW_RULE, {"new_orders_yoy": math.nan})


def test_threshold_crossed_ignores_scopes_and_requirements() -> None:
    rule = make_rule(requires=("never_given",))
    assert threshold_crossed(rule, -0.35) == ("orange", -0.3)
    assert threshold_crossed(rule, 0.0) is None


def test_rules_evaluate_gives_the_signals_of_the_rules_for_that_scope_in_order() -> None:
    market_only = make_rule(key="market_new_orders", scopes=("market",))
    facts = {"new_orders_yoy": -0.35, "cancellation_rate": 0.5}
    signals = rules_evaluate([ABOVE_RULE, market_only, BELOW_RULE], facts, scope="enterprise", key=ENT)
    assert [(s.rule, s.level) for s in signals] == [("cancellation_rate", "red"), ("new_orders_yoy", "orange")]
    assert rules_evaluate([ABOVE_RULE], {}, scope="enterprise", key=ENT) == []


def test_rules_evaluate_rejects_two_rules_with_one_key() -> None:
    with pytest.raises(ValueError, match="unique"):
        rules_evaluate([BELOW_RULE, make_rule()], {}, scope="enterprise", key=ENT)


# --- Default rules ---------------------------------------------------------------------------

DEFAULTS = {rule.key: rule for rule in DEFAULT_RULES}


@pytest.mark.parametrize(
    ("key", "direction", "thresholds"),
    [
        ("new_orders_yoy", "below", {"red": -0.5, "orange": -0.3, "yellow": -0.2}),
        ("cancellation_rate", "above", {"red": 0.3, "orange": 0.2, "yellow": 0.1}),
        ("coverage_months", "below", {"red": 0.5, "orange": 1.0, "yellow": 1.5}),
        ("short_order_share", "above", {"yellow": 0.95, "blue": 0.9}),
        ("disruption_share", "above", {"red": 0.5, "orange": 0.3, "yellow": 0.15}),
        ("exports_yoy", "below", {"red": -0.5, "orange": -0.3, "yellow": -0.2}),
        ("market_concentration", "above", {"yellow": 0.5}),
        ("new_orders_di", "below", {"orange": 40.0, "yellow": 45.0, "blue": 50.0}),
    ],
)
def test_the_default_rules_have_the_agreed_thresholds(key: str, direction: str, thresholds: dict[str, float]) -> None:
    rule = DEFAULTS[key]
    assert (rule.direction, dict(rule.thresholds)) == (direction, thresholds)


def test_every_default_rule_explains_itself_in_english_and_chinese() -> None:
    assert len(DEFAULTS) == len(DEFAULT_RULES)
    for rule in DEFAULT_RULES:
        assert len(rule.reason) > 80 and len(rule.reason_zh) > 30, rule.key
        assert set(rule.scopes) <= set(SCOPES)
        assert set(rule.thresholds) <= set(LEVELS)


def test_the_diffusion_index_rule_is_for_groups_only_and_the_concentration_rule_for_enterprises_only() -> None:
    assert "enterprise" not in DEFAULTS["new_orders_di"].scopes
    assert "district" in DEFAULTS["new_orders_di"].scopes
    assert DEFAULTS["market_concentration"].scopes == ("enterprise",)
    assert DEFAULTS["market_concentration"].requires == ("main_market_in_warning",)


def test_the_default_rules_judge_an_enterprise_in_trouble() -> None:
    facts: dict[str, float | bool | None] = {
        "exports_last_year": 3_000_000.0,
        "new_orders_yoy": -0.62,  # a single month: judged for groups only
        "new_orders_3m_yoy": -0.42,  # orange
        "exports_yoy": -0.6,  # groups only
        "cancellation_rate": 0.12,  # yellow
        "coverage_months": 0.4,  # red
        "short_order_share": None,  # not reported
        "disruption_share": 0.31,  # orange
        "market_hhi": 0.58,
        "main_market_in_warning": True,  # yellow
        "new_orders_di": 30.0,  # not assessed for an enterprise
    }
    signals = rules_evaluate(DEFAULT_RULES, facts, scope="enterprise", key=ENT)
    assert {s.rule: s.level for s in signals} == {
        "new_orders_3m_yoy": "orange",
        "cancellation_rate": "yellow",
        "coverage_months": "red",
        "disruption_share": "orange",
        "market_concentration": "yellow",
    }
    assert worst(s.level for s in signals) == "red"


def test_the_default_yoy_rules_skip_a_tiny_exporter_and_the_di_rule_a_thin_group() -> None:
    tiny = {"exports_last_year": 90_000.0, "new_orders_yoy": -0.9, "exports_yoy": -0.9, "new_orders_3m_yoy": -0.9}
    assert rules_evaluate(DEFAULT_RULES, tiny, scope="enterprise", key=ENT) == []
    small = {**tiny, "exports_last_year": 120_000.0}  # three months of a small exporter are judged
    assert [s.rule for s in rules_evaluate(DEFAULT_RULES, small, scope="enterprise", key=ENT)] == ["new_orders_3m_yoy"]
    group = {**tiny, "exports_last_year": 120_000.0}  # a group's single month needs 500,000 USD a year
    assert rules_evaluate(DEFAULT_RULES, group, scope="market", key="US") == []
    thin = {"new_orders_di": 20.0, "new_orders_answers": 4}
    assert rules_evaluate(DEFAULT_RULES, thin, scope="town", key="330212001") == []
    broad = {"new_orders_di": 47.5, "new_orders_answers": 38}
    assert [(s.rule, s.level) for s in rules_evaluate(DEFAULT_RULES, broad, scope="town", key="330212001")] == [
        ("new_orders_di", "blue")
    ]


_FACT = st.one_of(st.none(), st.floats(-2, 2, allow_nan=False), st.floats(0, 2e6, allow_nan=False))


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "new_orders_yoy": _FACT,
                "new_orders_3m_yoy": _FACT,
                "coverage_months": _FACT,
                "cancellation_rate": _FACT,
                "exports_last_year": _FACT,
                "market_hhi": _FACT,
                "main_market_in_warning": st.booleans(),
                "short_order_share": _FACT,
                "disruption_share": _FACT,
            }
        ),
        max_size=30,
    ),
    st.sampled_from(["enterprise", "market", "town", "district"]),
)
def test_judging_many_scopes_rule_by_rule_gives_the_signals_of_one_at_a_time(
    facts: list[dict[str, Any]], scope: str
) -> None:
    keys = [f"k{i}" for i in range(len(facts))]
    expected = [
        (i, signal)
        for i, f in enumerate(facts)
        for signal in rules_evaluate(DEFAULT_RULES, f, scope=scope, key=keys[i])
    ]
    assert rules_evaluate_many(DEFAULT_RULES, facts, scope=scope, keys=keys) == expected


@pytest.mark.parametrize("level", [None, *LEVELS])
def test_level_of_rank_inverts_level_rank(level: str | None) -> None:
    from exportwatch.core.warning_rules import level_of_rank

    assert level_of_rank(level_rank(level)) == level


def test_level_of_rank_rejects_an_unknown_rank() -> None:
    from exportwatch.core.warning_rules import level_of_rank

    with pytest.raises(ValueError):
        level_of_rank(5)
