"""The reminder schedule's rules, pure (no Django, no clock): which deadline is current and which point of the
schedule has come for it.

A schedule is a set of offsets in days from a monthly deadline (-3: three days before; 0: on the day). The
*current* deadline is the latest one whose window, from its first to its last offset, holds today. For that
deadline the point that has come is the latest offset on or before today: a worker that did not run for a few
days sends the latest reminder once, not every one it missed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable


def current_deadline(
    *, today: dt.date, deadlines: Iterable[tuple[str, dt.date]], offsets: Collection[int]
) -> tuple[str, dt.date] | None:
    """The (period, deadline) whose window ``[deadline + min(offsets), deadline + max(offsets)]`` holds ``today``,
    the latest deadline if several do; None when none does or there is no offset."""
    if not offsets:
        return None
    first, last = dt.timedelta(days=min(offsets)), dt.timedelta(days=max(offsets))
    holding = [(p, d) for p, d in deadlines if d + first <= today <= d + last]
    return max(holding, key=lambda pd: pd[1]) if holding else None


def point_due(*, today: dt.date, deadline: dt.date, offsets: Collection[int]) -> int | None:
    """The latest offset whose day has come (``deadline + offset <= today``); None when none has."""
    come = [o for o in offsets if deadline + dt.timedelta(days=o) <= today]
    return max(come) if come else None
