"""The one place that reads the clock. Everything date-dependent asks here.

``EXPORTWATCH_TODAY=YYYY-MM-DD`` (settings.EXPORTWATCH_TODAY) freezes the date, e.g. for the demo at 2020-04-15.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def today() -> dt.date:
    fixed: dt.date | None = settings.EXPORTWATCH_TODAY
    if fixed is not None:
        return fixed
    return timezone.localdate()


def now() -> dt.datetime:
    """The current instant; on a frozen day, that day at the current wall-clock time."""
    current = timezone.now()
    fixed: dt.date | None = settings.EXPORTWATCH_TODAY
    if fixed is None:
        return current
    local = timezone.localtime(current)
    return local.replace(year=fixed.year, month=fixed.month, day=fixed.day)


def current_period() -> str:
    d = today()
    return f"{d.year:04d}-{d.month:02d}"
