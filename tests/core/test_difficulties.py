"""The four difficulties in exportwatch.core.difficulties (DESIGN §1), on literals."""

from decimal import Decimal

import pytest

from exportwatch.core.difficulties import (
    FINANCIAL_NEED_CATEGORIES,
    DisruptionFact,
    MarketFact,
    NeedFact,
    NewOrdersFact,
    Tally,
    blocked_orders,
    external_risk,
    falling_new_orders,
    financial_risk,
)
from exportwatch.core.records import DISRUPTION_KINDS

A, B, C = "ent-a", "ent-b", "ent-c"

# --- 1. In-hand orders blocked ---------------------------------------------------------------


def test_blocked_orders_are_summed_and_counted_per_kind() -> None:
    result = blocked_orders(
        [
            DisruptionFact(A, "shipment_delayed", Decimal("1000.00")),
            DisruptionFact(A, "shipment_delayed", 500),
            DisruptionFact(B, "shipment_delayed", None),  # no amount: counted, adds 0
            DisruptionFact(B, "order_cancelled", 2000.5),
        ]
    )
    assert result.by_kind["shipment_delayed"] == Tally(amount=1500.0, enterprises=2, rows=3)
    assert result.by_kind["order_cancelled"] == Tally(amount=2000.5, enterprises=1, rows=1)
    assert result.by_kind["held_at_port"] == Tally(amount=0.0, enterprises=0, rows=0)
    # 1000 + 500 + 2000.5 = 3500.5; A and B count once each although B has two kinds.
    assert (result.amount, result.enterprises, result.rows) == (3500.5, 2, 4)


def test_blocked_orders_list_every_kind_in_order_even_with_no_events() -> None:
    result = blocked_orders([])
    assert tuple(result.by_kind) == DISRUPTION_KINDS
    assert (result.amount, result.enterprises, result.rows) == (0.0, 0, 0)


def test_blocked_orders_reject_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="disruption kind"):
        blocked_orders([DisruptionFact(A, "延期发货", 1)])


# --- 2. New orders falling sharply -----------------------------------------------------------


def test_falling_new_orders_counts_the_enterprises_at_or_below_the_threshold() -> None:
    result = falling_new_orders(
        [
            NewOrdersFact(A, current=80, year_ago=100, weight=1000),  # -20 %: at the threshold, falling
            NewOrdersFact(B, current=Decimal("90"), year_ago=Decimal("100"), weight=3000),  # -10 %
            NewOrdersFact(C, current=0, year_ago=50, weight=1000),  # -100 %
            NewOrdersFact("ent-d", current=10, year_ago=0, weight=5000),  # no YoY: not assessed
            NewOrdersFact("ent-e", current=None, year_ago=10, weight=5000),  # no report: not assessed
        ]
    )
    assert result.usccs == (A, C)
    assert (result.enterprises, result.assessed) == (2, 3)
    assert result.share == pytest.approx(2 / 3)
    assert result.weighted_share == pytest.approx(0.4)  # (1000 + 1000) / (1000 + 3000 + 1000)
    assert result.shortfall == 70.0  # (100 - 80) + (50 - 0)


def test_the_falling_threshold_is_a_parameter() -> None:
    facts = [NewOrdersFact(A, 80, 100, 1), NewOrdersFact(B, 90, 100, 1)]
    assert falling_new_orders(facts, threshold=-0.1).enterprises == 2
    assert falling_new_orders(facts, threshold=-0.5).enterprises == 0


def test_falling_new_orders_of_nobody_has_no_shares() -> None:
    result = falling_new_orders([])
    assert (result.enterprises, result.assessed, result.share, result.weighted_share) == (0, 0, None, None)


def test_falling_new_orders_with_zero_weights_has_no_weighted_share() -> None:
    result = falling_new_orders([NewOrdersFact(A, 10, 100, 0)])
    assert result.share == 1.0
    assert result.weighted_share is None


def test_falling_new_orders_rejects_an_enterprise_given_twice() -> None:
    with pytest.raises(ValueError, match="twice"):
        falling_new_orders([NewOrdersFact(A, 1, 2, 1), NewOrdersFact(A, 1, 2, 1)])


def test_falling_new_orders_rejects_a_negative_weight() -> None:
    with pytest.raises(ValueError, match="weight"):
        falling_new_orders([NewOrdersFact(A, 1, 2, -1)])


# --- 3. External risk ------------------------------------------------------------------------


def test_external_risk_is_the_amount_in_markets_in_warning() -> None:
    result = external_risk(
        [
            MarketFact(A, "US", Decimal("600")),
            MarketFact(A, "DE", 200),
            MarketFact(B, "IT", 150),
            MarketFact(B, "US", 0),  # a zero amount is no exposure
            MarketFact(C, "JP", 50),
            MarketFact(C, "IT", None),
        ],
        warning_markets={"IT", "US", "FR"},
    )
    assert result.amount == 750.0  # 600 + 150
    assert result.total == 1000.0  # 600 + 200 + 150 + 50
    assert result.share == 0.75
    assert result.enterprises == 2  # A (US) and B (IT)
    assert dict(result.by_market) == {"IT": 150.0, "US": 600.0}


def test_external_risk_without_amounts_has_no_share() -> None:
    result = external_risk([], warning_markets={"US"})
    assert (result.amount, result.total, result.share, result.enterprises) == (0.0, 0.0, None, 0)


# --- 4. Financial risk -----------------------------------------------------------------------


def test_financial_risk_counts_needs_in_financial_categories() -> None:
    result = financial_risk(
        [
            NeedFact(A, "financing", Decimal("2000000")),
            NeedFact(A, "credit_insurance", None),
            NeedFact(B, "financing", 500000),
            NeedFact(C, "logistics", 99),  # not financial
        ]
    )
    assert tuple(result.by_category) == FINANCIAL_NEED_CATEGORIES
    assert result.by_category["financing"] == Tally(amount=2_500_000.0, enterprises=2, rows=2)
    assert result.by_category["credit_insurance"] == Tally(amount=0.0, enterprises=1, rows=1)
    assert result.by_category["exchange_rate"] == Tally(amount=0.0, enterprises=0, rows=0)
    assert (result.amount, result.enterprises, result.rows) == (2_500_000.0, 2, 3)


def test_financial_categories_are_a_parameter() -> None:
    result = financial_risk([NeedFact(A, "financing", 1), NeedFact(C, "logistics", 99)], categories=["logistics"])
    assert tuple(result.by_category) == ("logistics",)
    assert (result.amount, result.enterprises, result.rows) == (99.0, 1, 1)


def test_financial_risk_rejects_unknown_categories() -> None:
    with pytest.raises(ValueError, match="category"):
        financial_risk([], categories=["loans"])
    with pytest.raises(ValueError, match="category"):
        financial_risk([NeedFact(A, "融资", 1)])
