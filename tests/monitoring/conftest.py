"""The monitoring tests' order book: a few reports and lines with figures small enough to add up by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exportwatch.core.records import LineIn, ReportIn
from exportwatch.directory.models import Enterprise
from exportwatch.reporting.models import Source
from exportwatch.reporting.services import report_submit
from tests.conftest import World

D = Decimal


def submit(
    ent: Enterprise,
    period: str,
    exports: int,
    new_orders: int,
    backlog: int,
    due: int,
    lines: list[tuple[str, str, int, int, int]] = (),  # type: ignore[assignment]
    trend: str = "same",
) -> None:
    report_submit(
        enterprise=ent,
        data=ReportIn(ent.uscc, period, D(exports), D(new_orders), D(backlog), D(due), None, trend, "same"),
        lines=[LineIn(ent.uscc, period, m, hs, D(b), D(n), D(e)) for m, hs, b, n, e in lines],
        submitted_by=None,
        source=Source.WEB,
    )


@pytest.fixture
def book(world: World) -> World:
    """ent_a (town A, head) and ent_c (town B, other) in 2019-03 and 2020-03; ent_b only in 2020-03."""
    a, b, c = world.ent_a, world.ent_b, world.ent_c
    submit(a, "2019-03", 1000, 2000, 6000, 3000, [("US", "8401", 4000, 1500, 800), ("DE", "85", 1000, 500, 200)])
    submit(c, "2019-03", 500, 400, 1000, 500, [("US", "94", 1000, 400, 500)])
    submit(a, "2020-01", 900, 900, 5000, 2500)
    submit(a, "2020-02", 600, 700, 4800, 2400)
    submit(a, "2020-03", 900, 1000, 4500, 4000, [("US", "8401", 2000, 500, 600), ("DE", "85", 1500, 500, 300)], "down")
    submit(b, "2020-03", 100, 300, 200, 100, [("JP", "61", 200, 300, 100)], "up")
    submit(c, "2020-03", 500, 100, 900, 800, [("US", "94", 900, 100, 500)], "down")
    return world
