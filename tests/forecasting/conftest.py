"""The forecasting tests' history: 30 months of reports of the persona enterprises, with a seasonal pattern small
enough to read, and a run computed on it with the cheap models (the statistical ones are the core's tests)."""

from __future__ import annotations

import pytest

from exportwatch.core.periods import period_range
from tests.conftest import World
from tests.monitoring.conftest import submit

FIRST, ORIGIN = "2017-10", "2020-03"
CHEAP_MODELS = ("seasonal_naive", "order_book")
SEASON = (0.9, 0.6, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.1, 1.2)  # January .. December


def exports_of(base: int, period: str) -> int:
    return int(base * SEASON[int(period[5:7]) - 1])


@pytest.fixture
def history(world: World) -> World:
    """ent_a (town A, head) and ent_c (town B) report every month from 2017-10 to 2020-03, ent_b (town A) from
    2019-01; each with one market line (US, DE, JP). The far enterprise is removed: the database is one district's,
    as deployed, so its analyst and leader see the whole jurisdiction (the district and its markets)."""
    world.ent_far.delete()
    for p in period_range(FIRST, ORIGIN):
        ea = exports_of(1000, p)
        submit(world.ent_a, p, ea, ea, 3 * ea, 2 * ea, [("US", "8401", 3 * ea, ea, ea)])
        ec = exports_of(400, p)
        submit(world.ent_c, p, ec, ec, 2 * ec, ec, [("DE", "94", 2 * ec, ec, ec)])
        if p >= "2019-01":
            eb = exports_of(100, p)
            submit(world.ent_b, p, eb, eb, eb, eb, [("JP", "61", eb, eb, eb)])
    return world


@pytest.fixture
def computed(history: World) -> World:
    from exportwatch.forecasting.services import forecasts_compute

    forecasts_compute(period=ORIGIN, models=CHEAP_MODELS)
    return history
