"""Case rows → the core's plain types, and a case's two clocks read with the working calendar.

The rules are the core's (``core.cases.clock_pauses`` / ``first_response_at``, ``core.workdays``); this module only
feeds them a case's history and says, for the services and the selectors, where each clock stands.

Clocks (limits in working days, counted from the filing):

* **first response**: runs until the case is first accepted by its lead department or declined by the bureau; it
  is never paused. Once answered it is *settled* (its status is the one it had then); a case withdrawn or merged
  before an answer has no first response (status ``None``, not counted).
* **resolution**: runs in the core's running states, is paused while the case waits for the enterprise, stops
  while the case is replied or confirmed (and runs again if it is reopened), and stops for good in a terminal
  state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from exportwatch.core import cases as core
from exportwatch.core.workdays import BREACHED, CLOCK_STATUSES, OK, WorkCalendar, clock_status

_ONE_US = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class ClockReading:
    """Where one clock stands.

    Attributes:
        status: ``"ok"``, ``"warning"`` or ``"breached"``; ``None`` when the clock does not apply (no first response
            on a case withdrawn or merged before one).
        elapsed: Working days used (pauses left out), as of now or as of when the clock settled.
        due: When the limit runs out; ``None`` while the clock stands in a pause that began before it ran out (or
            when it does not apply).
        warn_at: When the warning share is used up (``None`` as for ``due``).
        live: Whether the clock can still move on its own or after the case moves (running or paused).
        running: Whether it runs right now (a live clock that is not paused).
    """

    status: str | None
    elapsed: float
    due: datetime | None
    warn_at: datetime | None
    live: bool
    running: bool


@dataclass(frozen=True, slots=True)
class CaseClocks:
    response: ClockReading
    resolution: ClockReading
    state: str
    """The case's clock state: while it waits for a first response the worse of both clocks, then the resolution
    clock's."""
    check_at: datetime | None
    """The next instant at which a running clock crosses its warning share or its limit; ``None`` if none will
    before the case moves."""


def _worst(*statuses: str | None) -> str:
    known = [s for s in statuses if s is not None]
    return max(known, key=CLOCK_STATUSES.index) if known else OK


def clocks_read(
    *,
    created_at: datetime,
    state: str,
    history: Sequence[tuple[datetime, str]],
    first_response_days: float,
    resolution_days: float,
    calendar: WorkCalendar,
    now: datetime,
    warn_share: float,
) -> CaseClocks:
    """Read a case's clocks as of ``now``.

    Args:
        created_at: When the case was filed (both clocks start then).
        state: The case's current state.
        history: (when, state entered) of its transitions in time order, the first being its filing.
        first_response_days: The first response limit, in working days.
        resolution_days: The resolution limit, in working days.
        calendar: The working calendar (``selectors.work_calendar``).
        now: The instant asked about (aware).
        warn_share: The share of a limit at which to warn, in (0, 1].
    """
    answered = core.first_response_at(history)
    if answered is not None:
        elapsed = calendar.elapsed_working_days(created_at, answered)
        response = ClockReading(
            status=clock_status(elapsed, first_response_days, warn_share),
            elapsed=elapsed,
            due=calendar.deadline(created_at, first_response_days),
            warn_at=None,
            live=False,
            running=False,
        )
    elif not core.is_open(state):
        response = ClockReading(status=None, elapsed=0.0, due=None, warn_at=None, live=False, running=False)
    else:
        elapsed = calendar.elapsed_working_days(created_at, now)
        response = ClockReading(
            status=clock_status(elapsed, first_response_days, warn_share),
            elapsed=elapsed,
            due=calendar.deadline(created_at, first_response_days),
            warn_at=calendar.deadline(created_at, warn_share * first_response_days),
            live=True,
            running=True,
        )

    pauses = core.clock_pauses(history)
    elapsed = calendar.elapsed_working_days(created_at, now, pauses)
    running = core.clock_running(state)
    resolution = ClockReading(
        status=clock_status(elapsed, resolution_days, warn_share),
        elapsed=elapsed,
        due=calendar.deadline(created_at, resolution_days, pauses),
        warn_at=calendar.deadline(created_at, warn_share * resolution_days, pauses),
        live=running or core.clock_paused(state),
        running=running,
    )

    overall = _worst(response.status, resolution.status) if response.live else _worst(resolution.status)
    checks = []
    for clock in (response, resolution):
        if not clock.running:
            continue
        if clock.status == OK and clock.warn_at is not None:
            checks.append(clock.warn_at)
        if clock.status != BREACHED and clock.due is not None:
            checks.append(clock.due + _ONE_US)  # breached once the limit is passed, not at it
    future = [at for at in checks if at > now]
    return CaseClocks(response=response, resolution=resolution, state=overall, check_at=min(future) if future else None)
