"""Diffusion index and balance in exportwatch.core.sentiment, on literals and properties."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exportwatch.core.sentiment import (
    balance,
    classify_change,
    diffusion_index,
    sentiment,
    sentiment_of_changes,
    weighted_balance,
    weighted_diffusion_index,
    weighted_sentiment,
    weighted_sentiment_of_changes,
)

# 5 up, 3 same, 2 down: P = 0.5, E = 0.3, N = 0.2.
ANSWERS = ["up"] * 5 + ["same"] * 3 + ["down"] * 2

answers = st.lists(st.sampled_from(["up", "same", "down"]), min_size=1)
weighted = st.lists(
    st.tuples(st.sampled_from(["up", "same", "down"]), st.integers(0, 10**12) | st.decimals(0, 10**9, places=2)),
    min_size=1,
)


def test_the_diffusion_index_counts_half_of_the_same_answers() -> None:
    assert diffusion_index(ANSWERS) == pytest.approx(65.0)  # 100 · (0.5 + 0.5 · 0.3)


def test_the_balance_is_ups_minus_downs() -> None:
    assert balance(ANSWERS) == pytest.approx(30.0)  # 100 · (0.5 − 0.2)


def test_sentiment_keeps_the_shares_and_the_count() -> None:
    result = sentiment([*ANSWERS, None])  # no answer is left out
    assert result is not None
    assert (result.up, result.same, result.down) == pytest.approx((0.5, 0.3, 0.2))
    assert (result.answers, result.weight) == (10, 10.0)


def test_all_ups_and_all_downs_reach_the_bounds() -> None:
    assert (diffusion_index(["up", "up"]), balance(["up", "up"])) == (100.0, 100.0)
    assert (diffusion_index(["down"]), balance(["down"])) == (0.0, -100.0)
    assert (diffusion_index(["same"]), balance(["same"])) == (50.0, 0.0)


def test_no_answers_give_no_index() -> None:
    assert diffusion_index([]) is None
    assert balance([None, None]) is None
    assert sentiment([]) is None


def test_an_unknown_answer_is_rejected() -> None:
    with pytest.raises(ValueError, match="answer"):
        diffusion_index(["上升"])


def test_weighted_indices_use_shares_of_the_weight() -> None:
    # Total weight 1000: P = 600/1000, E = 100/1000, N = 300/1000.
    pairs: list[tuple[str, int | float | Decimal]] = [
        ("up", Decimal("600")),
        ("same", 100),
        ("down", 250.0),
        ("down", 50),
    ]
    assert weighted_diffusion_index(pairs) == pytest.approx(65.0)  # 100 · (0.6 + 0.05)
    assert weighted_balance(pairs) == pytest.approx(30.0)  # 100 · (0.6 − 0.3)


def test_weighted_indices_are_none_when_the_answers_weigh_nothing() -> None:
    assert weighted_diffusion_index([("up", 0), ("down", 0)]) is None
    assert weighted_balance([]) is None
    assert weighted_sentiment([(None, 100)]) is None


def test_a_negative_weight_is_rejected() -> None:
    with pytest.raises(ValueError, match="weight"):
        weighted_sentiment([("up", -1)])


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (110, 100, "up"),
        (102, 100, "same"),  # +2 %: on the band's edge, same
        (Decimal("98"), Decimal("100"), "same"),  # -2 %
        (97, 100, "down"),
        (0, 100, "down"),
        (5, 0, "up"),
        (0, 0, "same"),
        (None, 100, None),
        (100, None, None),
    ],
)
def test_it_classifies_a_change_with_a_same_band(
    current: int | Decimal | None, previous: int | Decimal | None, expected: str | None
) -> None:
    assert classify_change(current, previous) == expected


def test_the_same_band_is_a_parameter() -> None:
    assert classify_change(105, 100, band=0.1) == "same"
    assert classify_change(101, 100, band=0) == "up"
    with pytest.raises(ValueError):
        classify_change(1, 1, band=-0.1)


def test_sentiment_of_changes_classifies_each_pair_first() -> None:
    # up (+20 %), same (+1 %), down (−50 %), unknown (left out): P = E = N = 1/3.
    result = sentiment_of_changes([(120, 100), (101, 100), (50, 100), (None, 100)])
    assert result is not None
    assert result.answers == 3
    assert result.diffusion_index == pytest.approx(50.0)
    assert result.balance == pytest.approx(0.0)


def test_weighted_sentiment_of_changes_weighs_each_enterprise() -> None:
    # up weighs 3, down weighs 1: P = 0.75, N = 0.25.
    result = weighted_sentiment_of_changes([(120, 100, 3), (50, 100, Decimal(1))])
    assert result is not None
    assert result.diffusion_index == pytest.approx(75.0)
    assert result.balance == pytest.approx(50.0)
    assert weighted_sentiment_of_changes([]) is None


@given(answers)
def test_the_unweighted_indices_stay_in_bounds_and_agree(found: list[str]) -> None:
    di, b = diffusion_index(found), balance(found)
    assert di is not None and b is not None
    assert 0 <= di <= 100
    assert -100 <= b <= 100
    assert di == pytest.approx(50 + b / 2)


@given(weighted)
def test_the_weighted_indices_stay_in_bounds_and_agree(pairs: list[tuple[str, int | Decimal]]) -> None:
    result = weighted_sentiment(pairs)
    if result is None:
        assert all(w == 0 for _, w in pairs)
        return
    assert 0 <= result.diffusion_index <= 100
    assert -100 <= result.balance <= 100
    assert result.diffusion_index == pytest.approx(50 + result.balance / 2)
    assert result.up + result.same + result.down == pytest.approx(1.0)
