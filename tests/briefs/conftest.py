"""The briefs' hand-built month: the monitoring book (three enterprises, March 2019 and March 2020), a red and an
orange warning, a yellow one that stays out, and an urgent need filed in March 2020."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from exportwatch.common import clock
from exportwatch.core.records import NeedIn
from exportwatch.reporting.models import Source
from exportwatch.reporting.services import need_file
from exportwatch.warnings.models import Warning
from tests.conftest import World
from tests.monitoring.conftest import book  # noqa: F401

CST = dt.timezone(dt.timedelta(hours=8))
MARCH = dt.datetime(2020, 3, 20, 10, 0, tzinfo=CST)


def _warning(scope: str, key: str, name: str, level: str, rule: str = "new_orders_yoy") -> Warning:
    return Warning.objects.create(
        period="2020-03",
        scope=scope,
        key=key,
        name=name,
        rule=rule,
        level=level,
        value=-0.6,
        threshold=-0.3,
        first_period="2020-03",
        evaluated_at=MARCH,
    )


@pytest.fixture
def month(book: World) -> World:  # noqa: F811
    """The book, its warnings and an urgent need, filed in March 2020; the far enterprise (another district)
    removed, so that the district's analyst and leader see the whole jurisdiction."""
    w = book
    w.ent_far.delete()
    _warning("enterprise", w.ent_a.uscc, w.ent_a.name, "red")
    _warning("market", "US", "美国", "orange")
    _warning("enterprise", w.ent_c.uscc, w.ent_c.name, "yellow")
    with clock.replaying(MARCH):
        need_file(
            enterprise=w.ent_c,
            data=NeedIn(
                uscc=w.ent_c.uscc,
                date=MARCH.date(),
                category="financing",
                amount_usd=Decimal("50000.00"),
                urgency="urgent",
                description="急需流动资金",
            ),
            created_by=w.other_reporter,
            source=Source.WEB,
        )
    return w
