"""Writes to the enterprise registry, audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from exportwatch.common.audit import audit_record
from exportwatch.core.records import EnterpriseIn
from exportwatch.directory.models import Enterprise

CENT = Decimal("0.01")


def enterprise_values(ent: Enterprise) -> dict[str, Any]:
    return {
        "uscc": ent.uscc,
        "name": ent.name,
        "customs_code": ent.customs_code,
        "town": ent.town_id,
        "industry": ent.industry_id,
        "exports_last_year_usd": Decimal(ent.exports_last_year_usd).quantize(CENT),
        "imports_last_year_usd": Decimal(ent.imports_last_year_usd).quantize(CENT),
        "contact_name": ent.contact_name,
        "contact_phone": ent.contact_phone,
        "segments": tuple(sorted(s.code for s in ent.segments.all())),
    }


def enterprise_upsert(*, data: EnterpriseIn, actor: Any) -> tuple[Enterprise, str]:
    """Create or update the enterprise with ``data.uscc``. Returns it and "created", "updated" or "unchanged"."""
    new = {
        "uscc": data.uscc,
        "name": data.name,
        "customs_code": data.customs_code,
        "town": data.town,
        "industry": data.industry,
        "exports_last_year_usd": data.exports_last_year_usd,
        "imports_last_year_usd": data.imports_last_year_usd,
        "contact_name": data.contact_name,
        "contact_phone": data.contact_phone,
        "segments": tuple(sorted(data.segments)),
    }
    with transaction.atomic():
        ent = Enterprise.objects.select_for_update().filter(uscc=data.uscc).first()
        old = enterprise_values(ent) if ent is not None else None
        if old == new and ent is not None:
            return ent, "unchanged"
        if ent is None:
            ent = Enterprise(uscc=data.uscc)
        ent.name = data.name
        ent.customs_code = data.customs_code
        ent.town_id = data.town
        ent.industry_id = data.industry
        ent.exports_last_year_usd = data.exports_last_year_usd
        ent.imports_last_year_usd = data.imports_last_year_usd
        ent.contact_name = data.contact_name
        ent.contact_phone = data.contact_phone
        ent.save()
        ent.segments.set(list(data.segments))
        audit_record(
            actor=actor,
            action="enterprise.create" if old is None else "enterprise.update",
            object_type="enterprise",
            object_key=data.uscc,
            old=old,
            new=new,
            enterprise=ent,
        )
    return ent, "created" if old is None else "updated"
