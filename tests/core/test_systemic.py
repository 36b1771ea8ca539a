"""Systemic signals and the composite lamp in exportwatch.core.systemic (DESIGN §7), on literals."""

from typing import Any

import pytest

from exportwatch.core.systemic import (
    COMPONENTS,
    DEFAULT_SYSTEMIC,
    Component,
    breadth,
    consecutive_below,
    systemic_lamp,
    weighted_share_at_or_above,
)
from exportwatch.core.warning_rules import ThresholdRule

LEVELS_NOW: dict[str, tuple[str | None, float]] = {
    "ent-a": ("red", 100.0),
    "ent-b": ("orange", 300.0),
    "ent-c": ("yellow", 500.0),
    "ent-d": (None, 100.0),
}

GREEN: dict[str, Any] = {"weighted_share": 0.05, "di_run": 0, "market_breadth": 0.1, "industry_breadth": 0.0}


# --- Inputs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "share"), [("orange", 0.4), ("red", 0.1), ("yellow", 0.9), ("blue", 0.9)])
def test_the_weighted_share_counts_the_weight_at_that_level_or_worse(level: str, share: float) -> None:
    # Total weight 1000: red 100, orange 300, yellow 500, green 100.
    assert weighted_share_at_or_above(LEVELS_NOW, level=level) == pytest.approx(share)


def test_the_weighted_share_is_at_orange_by_default() -> None:
    assert weighted_share_at_or_above(LEVELS_NOW) == pytest.approx(0.4)


@pytest.mark.parametrize("levels", [{}, {"ent-a": ("red", 0.0), "ent-b": (None, 0)}])
def test_the_weighted_share_is_undefined_without_weight(levels: dict[str, tuple[str | None, float]]) -> None:
    assert weighted_share_at_or_above(levels) is None


def test_the_weighted_share_rejects_a_negative_weight() -> None:
    with pytest.raises(ValueError, match="weight"):
        weighted_share_at_or_above({"ent-a": ("red", -1.0)})


def test_the_weighted_share_rejects_an_unknown_level() -> None:
    with pytest.raises(ValueError, match="level"):
        weighted_share_at_or_above({"ent-a": ("purple", 1.0)})


@pytest.mark.parametrize(
    ("series", "run"),
    [
        ([], 0),
        ([None], 0),
        ([55.0, 49.0, 48.5], 2),
        ([48.0, 47.0, 46.0], 3),
        ([49.0, 48.0, 50.0], 0),  # 50 is not below 50
        ([48.0, None, 49.0, 47.0], 2),  # a missing period ends the run
        ([49.0, 48.0, None], 0),
    ],
)
def test_consecutive_below_counts_the_latest_run(series: list[float | None], run: int) -> None:
    assert consecutive_below(series) == run


def test_the_bound_of_consecutive_below_is_a_parameter() -> None:
    assert consecutive_below([44.0, 43.0, 46.0], bound=45.0) == 0
    assert consecutive_below([44.0, 43.0], bound=45.0) == 2


@pytest.mark.parametrize(("in_warning", "total", "share"), [(3, 10, 0.3), (0, 7, 0.0), (4, 4, 1.0), (0, 0, None)])
def test_breadth_is_the_share_in_warning(in_warning: int, total: int, share: float | None) -> None:
    assert breadth(in_warning, total) == share


@pytest.mark.parametrize(("in_warning", "total"), [(-1, 3), (1, -3), (4, 3)])
def test_breadth_rejects_impossible_counts(in_warning: int, total: int) -> None:
    with pytest.raises(ValueError, match=r"negative|more"):
        breadth(in_warning, total)


# --- The lamp --------------------------------------------------------------------------------


def test_a_calm_jurisdiction_has_a_green_lamp() -> None:
    lamp = systemic_lamp(**GREEN)
    assert lamp.level is None
    assert [c.name for c in lamp.components] == list(COMPONENTS)
    assert all(c.level is None and c.threshold is None for c in lamp.components)
    assert lamp.component("target_gap") == Component("target_gap", None, None, None)


def test_each_component_keeps_its_level_and_the_threshold_crossed() -> None:
    lamp = systemic_lamp(weighted_share=0.25, di_run=3, market_breadth=0.16, industry_breadth=0.05, target_gap=-0.12)
    assert [(c.name, c.value, c.level, c.threshold) for c in lamp.components] == [
        ("weighted_share", 0.25, "orange", 0.2),
        ("di_run", 3.0, "red", 3.0),
        ("market_breadth", 0.16, "yellow", 0.15),
        ("industry_breadth", 0.05, None, None),
        ("target_gap", -0.12, "red", -0.1),
    ]
    assert lamp.level == "red"


@pytest.mark.parametrize(
    ("changes", "level"),
    [
        ({"di_run": 1}, "blue"),  # a single yellow alone is blue
        ({"market_breadth": 0.2}, "blue"),
        ({"di_run": 1, "market_breadth": 0.2}, "yellow"),  # two yellows confirm each other
        ({"weighted_share": 0.2}, "orange"),  # a single orange counts as it is
        ({"weighted_share": 0.2, "di_run": 1}, "orange"),
        ({"industry_breadth": 0.5, "di_run": 2}, "red"),
        ({"target_gap": -0.03}, "blue"),
        ({"target_gap": -0.01}, None),
        ({"weighted_share": None, "market_breadth": None, "industry_breadth": None}, None),
    ],
)
def test_the_lamp_is_the_worst_component_except_a_lone_yellow(changes: dict[str, Any], level: str | None) -> None:
    assert systemic_lamp(**{**GREEN, **changes}).level == level


def test_a_blue_component_beside_a_lone_yellow_keeps_the_lamp_yellow() -> None:
    watchful = ThresholdRule(
        key="systemic_market_breadth",
        indicator="market_breadth",
        direction="above",
        thresholds={"red": 0.5, "orange": 0.3, "yellow": 0.15, "blue": 0.05},
        scopes=("district",),
        reason="why",
        reason_zh="原因",
    )
    thresholds = {**DEFAULT_SYSTEMIC, "market_breadth": watchful}
    lamp = systemic_lamp(**{**GREEN, "di_run": 1}, thresholds=thresholds)  # market breadth 0.1: blue
    assert lamp.component("market_breadth").level == "blue"
    assert lamp.level == "yellow"


def test_the_lamp_needs_thresholds_for_every_component() -> None:
    partial = {name: rule for name, rule in DEFAULT_SYSTEMIC.items() if name != "target_gap"}
    with pytest.raises(ValueError, match="target_gap"):
        systemic_lamp(**GREEN, thresholds=partial)


def test_an_unknown_component_name_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        systemic_lamp(**GREEN).component("exports")


@pytest.mark.parametrize(
    ("name", "direction", "thresholds"),
    [
        ("weighted_share", "above", {"red": 0.3, "orange": 0.2, "yellow": 0.1}),
        ("di_run", "above", {"red": 3.0, "orange": 2.0, "yellow": 1.0}),
        ("market_breadth", "above", {"red": 0.5, "orange": 0.3, "yellow": 0.15}),
        ("industry_breadth", "above", {"red": 0.5, "orange": 0.3, "yellow": 0.15}),
        ("target_gap", "below", {"red": -0.1, "orange": -0.05, "yellow": -0.02}),
    ],
)
def test_the_default_systemic_thresholds(name: str, direction: str, thresholds: dict[str, float]) -> None:
    rule = DEFAULT_SYSTEMIC[name]
    assert (rule.indicator, rule.direction, dict(rule.thresholds)) == (name, direction, thresholds)
    assert rule.reason and rule.reason_zh
