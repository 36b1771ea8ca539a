"""A warning's lifecycle and recommended actions, on literals."""

from __future__ import annotations

import pytest

from exportwatch.core.warning_lifecycle import recommended_actions, transition_problem


@pytest.mark.parametrize(
    ("current", "target", "note", "problem"),
    [
        ("new", "acknowledged", "", None),
        ("new", "following_up", "", None),
        ("acknowledged", "following_up", "", None),
        ("following_up", "resolved", "orders back", None),
        ("new", "false_alarm", "a seasonal dip", None),
        ("new", "false_alarm", "  ", "reason_required"),
        ("following_up", "resolved", "", "reason_required"),
        ("resolved", "acknowledged", "it came back", None),
        ("false_alarm", "acknowledged", "", "reason_required"),
        ("following_up", "new", "x", "not_allowed"),
        ("resolved", "following_up", "x", "not_allowed"),
        ("acknowledged", "acknowledged", "x", "not_allowed"),
        ("new", "deleted", "x", "unknown_state"),
    ],
)
def test_transitions(current: str, target: str, note: str, problem: str | None) -> None:
    assert transition_problem(current, target, note) == problem


def test_a_red_enterprise_with_a_financing_need_goes_to_the_white_list_after_a_visit() -> None:
    assert recommended_actions(scope="enterprise", level="red", financing_need=True) == ("visit", "white_list")


def test_an_enterprise_whose_main_market_is_in_warning_gets_credit_insurance() -> None:
    actions = recommended_actions(scope="enterprise", level="yellow", main_market_in_warning=True, concentrated=True)
    assert actions == ("credit_insurance", "market_diversify")


def test_a_yellow_enterprise_with_nothing_else_is_visited() -> None:
    assert recommended_actions(scope="enterprise", level="yellow") == ("visit",)


@pytest.mark.parametrize(
    ("scope", "action"),
    [("market", "market_brief"), ("hs", "market_brief"), ("town", "sector_meeting"), ("district", "systemic_response")],
)
def test_aggregate_scopes_get_their_action(scope: str, action: str) -> None:
    assert recommended_actions(scope=scope, level="orange") == (action,)
