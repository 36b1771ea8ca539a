"""The clock: the demo's frozen day, and replaying dated history through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from exportwatch.common import clock

CST = dt.timezone(dt.timedelta(hours=8))


def test_the_frozen_day_is_the_demo_date() -> None:
    assert clock.today() == dt.date(2020, 4, 15)
    assert clock.now().astimezone(CST).date() == dt.date(2020, 4, 15)


def test_replaying_makes_the_clock_say_the_instant_given_then_lets_go() -> None:
    moment = dt.datetime(2020, 2, 3, 23, 30, tzinfo=CST)

    with clock.replaying(moment):
        assert clock.now() == moment
        assert clock.today() == dt.date(2020, 2, 3)  # the local date, not the UTC one
        assert clock.current_period() == "2020-02"
        with clock.replaying(moment + dt.timedelta(days=1)):
            assert clock.today() == dt.date(2020, 2, 4)
        assert clock.now() == moment

    assert clock.today() == dt.date(2020, 4, 15)


def test_replaying_lets_go_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError), clock.replaying(dt.datetime(2020, 1, 1, tzinfo=CST)):
        raise RuntimeError

    assert clock.today() == dt.date(2020, 4, 15)


def test_replaying_needs_an_aware_instant() -> None:
    with pytest.raises(ValueError), clock.replaying(dt.datetime(2020, 1, 1)):
        pass
