"""The stress tests' order book: the three enterprises of ``tests/core/test_stress.py`` (figures in 10,000 USD,
every month alike from 2019-03 to 2020-03, lines in 2020-03) given to the world's ``ent_a`` (town A: exports 70 a
month, 2/3 of its book in the US), ``ent_b`` (town A: all US, a thin book) and ``ent_c`` (town B: all Germany),
and ``ent_far`` (the outsider's district) a US book like ``ent_b``'s. ``ent_b`` is on the white list.

With the US −50 % for three months: ``ent_a`` orange, ``ent_b`` red (new orders of three months −50 %), ``ent_c``
untouched; the district's exports fall from 210 to 20 + 46.7 + 100 a month.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exportwatch.common import clock
from exportwatch.core.periods import period_add
from exportwatch.directory.models import Enterprise
from exportwatch.finance.models import WhitelistEntry
from exportwatch.reporting.models import Report, ReportLine, Source
from tests.conftest import World

U = 10_000
ORIGIN = "2020-03"

# exports, new orders, backlog (at the origin), due; lines (market, hs, backlog, new orders, exports)
BOOKS = {
    "ent_a": (70, 90, 300, 180, [("US", "8401", 200, 60, 50), ("DE", "6109", 100, 30, 20)]),
    "ent_b": (40, 30, 90, 60, [("US", "8401", 90, 30, 40)]),
    "ent_c": (100, 100, 400, 240, [("DE", "6109", 400, 100, 100)]),
    "ent_far": (40, 30, 90, 60, [("US", "8401", 90, 30, 40)]),
}


def _report(ent: Enterprise, period: str, exports: int, new_orders: int, backlog: int, due: int) -> Report:
    return Report(
        enterprise=ent,
        period=period,
        version=1,
        is_current=True,
        exports_usd=Decimal(exports * U),
        new_orders_usd=Decimal(new_orders * U),
        backlog_usd=Decimal(max(backlog, due) * U),
        backlog_due_3m_usd=Decimal(due * U),
        new_orders_trend="same",
        outlook_3m="same",
        source=Source.WEB,
        submitted_at=clock.now(),
    )


@pytest.fixture(autouse=True)
def book_files(settings: Any, tmp_path: Any) -> Any:
    """Each test keeps its books (``stress.bookfile``) in a folder of its own, and starts with none held."""
    from exportwatch.stress import selectors

    settings.VAR_DIR = tmp_path
    selectors._BOOK_CACHE.clear()
    yield tmp_path / "cache"
    selectors._BOOK_CACHE.clear()


@pytest.fixture
def stressed(world: World) -> World:
    for attr, (exports, new_orders, backlog, due, lines) in BOOKS.items():
        ent = getattr(world, attr)
        Report.objects.bulk_create(
            _report(ent, period_add(ORIGIN, -back), exports, new_orders, backlog if back == 0 else due, due)
            for back in range(1, 13)
        )
        origin = _report(ent, ORIGIN, exports, new_orders, backlog, due)
        origin.save()
        ReportLine.objects.bulk_create(
            ReportLine(report=origin, market_id=m, hs=hs, backlog_usd=b * U, new_orders_usd=n * U, exports_usd=x * U)
            for m, hs, b, n, x in lines
        )
    now = clock.now()
    WhitelistEntry.objects.create(
        enterprise=world.ent_b, reason="进出口额达标", figures={}, first_eligible_at=now, refreshed_at=now
    )
    return world
