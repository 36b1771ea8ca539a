"""Writes of the stress app: saving and deleting a scenario, both audited; and the background worker's step that
keeps the whole jurisdiction's order book ready as a file (``stress.bookfile``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from exportwatch.common import clock
from exportwatch.common.audit import audit_record
from exportwatch.core.stress import Shock
from exportwatch.directory.models import Enterprise
from exportwatch.stress.adapters import shocks_data
from exportwatch.stress.bookfile import book_file_state
from exportwatch.stress.models import Scenario
from exportwatch.stress.selectors import book_period, book_state, book_whole


def scenario_create(*, name: str, shocks: Sequence[Shock], note: str = "", actor: Any) -> Scenario:
    """Save a set of shocks under a name, in the region of ``actor``.

    Raises:
        ValueError: with no shocks or an empty name.
    """
    if not shocks:
        raise ValueError("a scenario needs at least one shock")
    if not name.strip():
        raise ValueError("a scenario needs a name")
    with transaction.atomic():
        scenario = Scenario.objects.create(
            name=name.strip()[:100],
            shocks=shocks_data(shocks),
            note=note.strip()[:300],
            region_id=getattr(actor, "region_id", None),
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action="stress_scenario.create",
            object_type="stress_scenario",
            object_key=str(scenario.pk),
            new={"name": scenario.name, "shocks": scenario.shocks, "note": scenario.note},
            region=scenario.region,
        )
    return scenario


def scenario_delete(*, scenario: Scenario, actor: Any) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="stress_scenario.delete",
            object_type="stress_scenario",
            object_key=str(scenario.pk),
            old={"name": scenario.name, "shocks": scenario.shocks, "note": scenario.note},
            region=scenario.region,
        )
        scenario.delete()


_looked: dict[str, Any] = {"at": None, "state": None}


def handle_one_book_warm() -> bool:
    """One step of the background worker: every ``EXPORTWATCH_STRESS_WARM_SECONDS``, look at the state of the data
    of the latest month; when it is the same as at the last look (the reports have settled) and no book file of that
    state exists, read the book of every enterprise and keep it (``stress.selectors.book_whole``), so that the
    analyst's first stress test loads it instead of reading it. True when a book was read."""
    now = time.monotonic()
    if _looked["at"] is not None and now - _looked["at"] < settings.EXPORTWATCH_STRESS_WARM_SECONDS:
        return False
    _looked["at"] = now
    period = book_period(Enterprise.objects.all())
    state = book_state(period)
    settled, _looked["state"] = state == _looked["state"], state
    if not settled or book_file_state(period) == state:
        return False
    book_whole(period, state=state)
    return True
