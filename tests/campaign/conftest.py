"""Campaign fixtures: a clock standing still at an instant (China time), and logged-in clients."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def clock_at(settings: Any, time_machine: Any) -> Callable[[dt.date], dt.datetime]:
    """Travel to 10:00 China time on a day, the clock standing still there."""
    settings.EXPORTWATCH_TODAY = None

    def travel(day: dt.date) -> dt.datetime:
        moment = dt.datetime.combine(day, dt.time(10, 0), tzinfo=CST)
        time_machine.move_to(moment, tick=False)
        return moment

    return travel


@pytest.fixture
def client_for() -> Callable[[Any], Client]:
    def login(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login
