"""Writes of the stress app: saving and deleting a scenario, both audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from exportwatch.common import clock
from exportwatch.common.audit import audit_record
from exportwatch.core.stress import Shock
from exportwatch.stress.adapters import shocks_data
from exportwatch.stress.models import Scenario


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
        )
        scenario.delete()
