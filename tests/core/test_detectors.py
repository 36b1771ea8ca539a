"""The change detectors as warnings in exportwatch.core.detectors."""

import math

import pytest

from exportwatch.core.change_detection import MAD_SCALE
from exportwatch.core.detectors import (
    DETECTORS,
    Detector,
    chart,
    peer_scores,
    peer_signals,
    series_signal,
)
from exportwatch.core.warning_rules import DEFAULT_RULES

EWMA = next(d for d in DETECTORS if d.key == "ewma_new_orders")
CUSUM = next(d for d in DETECTORS if d.key == "cusum_new_orders")
PEER = next(d for d in DETECTORS if d.key == "peer_new_orders")

# Seasonal changes (log ratios to a year before) of a calm group: ±5 % alternately.
CALM = [math.log(1.05), math.log(0.95)] * 6


def from_changes(changes: list[float]) -> list[float | None]:
    """A monthly series whose first year is 100 a month and whose later months have the given seasonal
    changes."""
    values: list[float | None] = [100.0] * 12
    for t, c in enumerate(changes):
        before = values[t]
        assert before is not None
        values.append(before * math.exp(c))
    return values


def test_ewma_signals_a_collapse_of_new_orders_with_the_fraction_it_stands_for() -> None:
    values = from_changes(CALM + CALM[:11] + [math.log(0.4)])
    signal = series_signal(EWMA, values, scope="market", key="US")
    assert signal is not None
    last = chart(EWMA, values)[-1]
    assert (signal.scope, signal.key, signal.rule, signal.level) == ("market", "US", "ewma_new_orders", "yellow")
    assert signal.value == pytest.approx(math.expm1(last.statistic))
    assert signal.threshold == pytest.approx(math.expm1(last.lower))
    assert signal.value < signal.threshold < 0


def test_a_calm_series_or_a_surge_gives_no_signal() -> None:
    assert series_signal(EWMA, from_changes(CALM * 2), scope="market", key="US") is None
    assert series_signal(CUSUM, from_changes(CALM * 2), scope="market", key="US") is None
    surge = from_changes(CALM + CALM[:11] + [math.log(3)])
    assert chart(EWMA, surge)[-1].signal == "up"
    assert series_signal(EWMA, surge, scope="market", key="US") is None


def test_detectors_judge_only_their_scopes_and_need_a_history() -> None:
    values = from_changes(CALM + CALM[:11] + [math.log(0.4)])
    assert series_signal(EWMA, values, scope="enterprise", key="X") is None
    assert series_signal(EWMA, [], scope="market", key="US") is None
    assert series_signal(EWMA, values[:20], scope="market", key="US") is None  # still warming up


def test_cusum_catches_a_lasting_moderate_fall_within_a_few_months() -> None:
    sigma = math.sqrt(sum((c - sum(CALM) / 12) ** 2 for c in CALM) / 11)
    shift = [math.log(0.95) - 1.5 * sigma] * 6  # 1.5 σ below the calm's low months, month after month
    values = from_changes(CALM + shift)
    fired = [
        n for n in range(25, len(values) + 1) if series_signal(CUSUM, values[:n], scope="town", key="T") is not None
    ]
    assert fired and fired[0] - 24 <= 5  # within 5 months of the shift's start
    signal = series_signal(CUSUM, values[: fired[0]], scope="town", key="T")
    assert signal is not None and signal.value < -5 and signal.threshold == -5


def test_peer_scores_use_the_groups_median_and_mad() -> None:
    values = {"a": 0.0, "b": 1.0, "c": 2.0, "d": 3.0, "e": 4.0, "f": 5.0, "g": -20.0}
    # median 2; absolute deviations 2 1 0 1 2 3 22 -> MAD 2
    scores = peer_scores(values)
    assert scores["g"] == pytest.approx((-20 - 2) / (MAD_SCALE * 2))
    assert scores["c"] == 0
    assert peer_scores(dict(list(values.items())[:5])) == dict.fromkeys("abcde")  # too few to judge
    assert peer_scores({k: 1.0 for k in "abcdefg"}) == dict.fromkeys("abcdefg")  # no spread


def test_peer_signals_flag_the_enterprise_falling_far_more_than_its_trade() -> None:
    trade = {"a": -0.10, "b": -0.05, "c": 0.0, "d": 0.05, "e": -0.15, "f": 0.10, "g": -0.70, "h": -1.0}
    signals = peer_signals(PEER, {"textiles/EU": trade})
    assert {s.key for s in signals} == {"g", "h"}  # -100 % is counted as -99.99 %, not as an error
    assert all(s.level == "yellow" and s.threshold == -3 and s.value <= -3 for s in signals)
    assert peer_signals(PEER, {"small": {"a": -0.9, "b": 0.0}}) == []


def test_detectors_are_checked_and_named_apart_from_the_rules() -> None:
    keys = [d.key for d in DETECTORS]
    assert len(set(keys)) == len(keys)
    assert not set(keys) & {r.key for r in DEFAULT_RULES}
    assert all(d.reason.strip() and d.reason_zh.strip() for d in DETECTORS)
    with pytest.raises(ValueError, match="method"):
        Detector(
            key="x",
            method="magic",
            indicator="n",
            level="red",
            scopes=("market",),
            params={},
            reason="r",
            reason_zh="r",
        )
    with pytest.raises(ValueError, match="level"):
        Detector(
            key="x",
            method="ewma",
            indicator="n",
            level="green",
            scopes=("market",),
            params={},
            reason="r",
            reason_zh="r",
        )
    with pytest.raises(ValueError, match="scopes"):
        Detector(
            key="x", method="ewma", indicator="n", level="red", scopes=("planet",), params={}, reason="r", reason_zh="r"
        )
    with pytest.raises(ValueError, match="chart"):
        chart(PEER, [1.0] * 30)
    with pytest.raises(ValueError, match="peer"):
        peer_signals(EWMA, {})
