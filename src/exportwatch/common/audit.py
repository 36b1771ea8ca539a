"""Write audit events. Every change to reported figures, the registry and rules goes through here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from exportwatch.common import clock
from exportwatch.common.models import AuditEvent


def _plain(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    result: dict[str, Any] = json.loads(json.dumps(dict(values), cls=DjangoJSONEncoder))
    return result


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_key: str,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=object_type,
        object_key=object_key,
        old=_plain(old),
        new=_plain(new),
        note=note[:300],
    )
