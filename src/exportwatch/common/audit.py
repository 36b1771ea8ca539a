"""Write audit events. Every change to reported figures, the registry, rules, cases and the white list goes through
here (bulk writers insert rows of the same shape, with ``audit_scope`` for the scope columns).

Whose an event is: pass ``enterprise`` for anything about one enterprise (its town's path is stored with its code),
``region`` for something a region owns (a stress scenario, a town's quota); neither for what the bureau configures
for its whole jurisdiction (rules, routing, calendar, targets, briefs), which lands under the jurisdiction's path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from exportwatch.common import clock
from exportwatch.common.models import AuditEvent


def _plain(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    result: dict[str, Any] = json.loads(json.dumps(dict(values), cls=DjangoJSONEncoder))
    return result


def jurisdiction_path() -> str:
    """The materialised path of the bureau's jurisdiction (``EXPORTWATCH_JURISDICTION``); "" when it is not loaded
    (then only users who see everything read the event)."""
    from exportwatch.directory.models import Region

    path = Region.objects.filter(code=settings.EXPORTWATCH_JURISDICTION).values_list("path", flat=True).first()
    return path or ""


def audit_scope(*, enterprise: Any = None, region: Any = None) -> tuple[str, str]:
    """The ``(uscc, region_path)`` an event about ``enterprise`` or owned by ``region`` is stored with."""
    if enterprise is not None:
        return enterprise.uscc, enterprise.town.path
    if region is not None:
        return "", region.path
    return "", jurisdiction_path()


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_key: str,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
    note: str = "",
    enterprise: Any = None,
    region: Any = None,
) -> AuditEvent:
    """Store one event: who (``actor``; None for the system), when (the clock), what, and the values before and after.

    Args:
        enterprise: the enterprise the event is about (its scope and its history).
        region: the region that owns the object, when it is not about one enterprise.
    """
    uscc, region_path = audit_scope(enterprise=enterprise, region=region)
    return AuditEvent.objects.create(
        at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=object_type,
        object_key=object_key,
        old=_plain(old),
        new=_plain(new),
        note=note[:300],
        uscc=uscc,
        region_path=region_path,
    )
