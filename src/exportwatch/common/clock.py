"""The one place that reads the clock. Everything date-dependent asks here.

``EXPORTWATCH_TODAY=YYYY-MM-DD`` (settings.EXPORTWATCH_TODAY) freezes the date, e.g. for the demo at 2020-04-15.

``replaying(at)`` makes the clock say ``at`` inside a block, so that a script can replay dated history through
the ordinary services (the demo's cases, moved step by step on the days they moved). Requests never use it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.utils import timezone

_REPLAYED: ContextVar[dt.datetime | None] = ContextVar("exportwatch_clock_replayed", default=None)


def today() -> dt.date:
    replayed = _REPLAYED.get()
    if replayed is not None:
        return timezone.localdate(replayed)
    fixed: dt.date | None = settings.EXPORTWATCH_TODAY
    if fixed is not None:
        return fixed
    return timezone.localdate()


def now() -> dt.datetime:
    """The current instant; on a frozen day, that day at the current wall-clock time."""
    replayed = _REPLAYED.get()
    if replayed is not None:
        return replayed
    current = timezone.now()
    fixed: dt.date | None = settings.EXPORTWATCH_TODAY
    if fixed is None:
        return current
    local = timezone.localtime(current)
    return local.replace(year=fixed.year, month=fixed.month, day=fixed.day)


@contextmanager
def replaying(at: dt.datetime) -> Iterator[None]:
    """Inside the block, :func:`now` is ``at`` (an aware instant) and :func:`today` its local date."""
    if timezone.is_naive(at):
        raise ValueError("replaying() needs an aware datetime")
    token = _REPLAYED.set(at)
    try:
        yield
    finally:
        _REPLAYED.reset(token)


def current_period() -> str:
    d = today()
    return f"{d.year:04d}-{d.month:02d}"
