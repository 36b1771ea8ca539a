"""The bulk importer's fast path for lines gives exactly what the general rules give."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from exportwatch.core.records import Context, _clean_line_general, clean_line

USCC = "91350100M000100Y43"


def _ctx() -> Context:
    return Context(
        today=dt.date(2020, 4, 15),
        markets=frozenset({"US", "DE", "JP"}),
        hs_codes=frozenset({"84", "85", "61", "01"}),
        towns={},
        industries=frozenset(),
        segments=frozenset(),
        enterprises={USCC},
    )


USCCS = st.sampled_from([USCC, USCC.lower(), " " + USCC, USCC[:-1] + "0", "91330213MA0000001F", ""])
PERIODS = st.sampled_from(["2020-03", "2020-3", "2020/03", "202003", "2020-05", "2020-13", "", "2019-12\n"])
MARKETS = st.sampled_from(["US", "us", " DE", "XX", "", "JP"])
HS = st.sampled_from(["84", "8481", "848110", "77", "8", "0101", "1", "8481.10", "", "85 16"])
AMOUNTS = st.one_of(
    st.sampled_from(
        ["0", "1", "1000", "1,000", "12.5", "12.345", "0.005", "-1", "", "abc", "１２", "1e3", "999999999999.99"]
    ),
    st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False).map(str),
)


@settings(max_examples=400, deadline=None)
@given(USCCS, PERIODS, MARKETS, HS, AMOUNTS, AMOUNTS, AMOUNTS)
def test_the_fast_path_agrees_with_the_general_rules(uscc, period, market, hs, a, b, c) -> None:  # type: ignore[no-untyped-def]
    raw = {
        "uscc": uscc,
        "period": period,
        "market": market,
        "hs": hs,
        "backlog_usd": a,
        "new_orders_usd": b,
        "exports_usd": c,
    }
    ctx = _ctx()
    first = clean_line(raw, ctx=ctx)
    again = clean_line(raw, ctx=ctx)  # now from the memo
    assert first == _clean_line_general(raw, _ctx())
    assert again == first


TRENDS = st.sampled_from(["up", "same", "down", "UP", " down", "增加", "持平", "减少", "", "sideways", "Same"])
CAPACITY = st.one_of(
    st.none(), st.sampled_from(["", "80", "100", "100.00", "100.01", "0", "75.5", "120", "80%", "-1", "abc"])
)


@settings(max_examples=400, deadline=None)
@given(USCCS, PERIODS, AMOUNTS, AMOUNTS, AMOUNTS, AMOUNTS, CAPACITY, TRENDS, TRENDS)
def test_the_report_fast_path_agrees_with_the_general_rules(uscc, period, a, b, c, d, cap, t, o) -> None:  # type: ignore[no-untyped-def]
    from exportwatch.core.records import _clean_report_general, clean_report

    raw = {
        "uscc": uscc,
        "period": period,
        "exports_usd": a,
        "new_orders_usd": b,
        "backlog_usd": c,
        "backlog_due_3m_usd": d,
        "capacity_utilization_pct": cap,
        "new_orders_trend": t,
        "outlook_3m": o,
    }
    ctx = _ctx()
    first = clean_report(raw, ctx=ctx)
    assert first == _clean_report_general(raw, _ctx())
    assert clean_report(raw, ctx=ctx) == first
