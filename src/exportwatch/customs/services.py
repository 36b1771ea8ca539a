"""Writes for customs exports: one bulk, idempotent, audited load of validated records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db import transaction

from exportwatch.common import clock
from exportwatch.common.audit import audit_record
from exportwatch.common.models import AuditEvent
from exportwatch.core.records import CustomsExportIn
from exportwatch.customs.models import CustomsExport
from exportwatch.customs.signals import customs_changed
from exportwatch.directory.models import Enterprise

_CHUNK = 500  # values per IN (...) query, well under every database's bound on parameters
_BATCH = 2000  # rows per bulk INSERT / UPDATE statement
_CENT = Decimal("0.01")

Key = tuple[int, str, str, str]  # (enterprise id, period, market, hs)
T = TypeVar("T")


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def customs_key(uscc: str, period: str, market: str, hs: str) -> str:
    """How a customs record is named in the audit trail: ``uscc/period/market/hs``."""
    return f"{uscc}/{period}/{market}/{hs}"


def _enterprise_ids(usccs: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(usccs))
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        found.update(Enterprise.objects.filter(uscc__in=chunk).values_list("uscc", "pk"))
    missing = [u for u in wanted if u not in found]
    if missing:
        raise ValueError(f"customs records name enterprises that are not registered: {', '.join(missing[:5])}")
    return found


def _stored(periods: Iterable[str], enterprise_ids: Sequence[int]) -> dict[Key, tuple[int, Decimal]]:
    """The stored records of these enterprises in these periods: key -> (id, exports_usd)."""
    stored: dict[Key, tuple[int, Decimal]] = {}
    for period in sorted(set(periods)):
        for chunk in _chunks(enterprise_ids):
            rows = CustomsExport.objects.filter(period=period, enterprise_id__in=chunk).values_list(
                "pk", "enterprise_id", "market_id", "hs", "exports_usd"
            )
            for pk, enterprise_id, market, hs, amount in rows.iterator(chunk_size=5000):
                stored[(enterprise_id, period, market, hs)] = (pk, amount)
    return stored


def customs_upsert_many(*, rows: Sequence[CustomsExportIn], user: Any, source_file: str) -> tuple[int, int]:
    """Store validated customs records in one transaction: insert new ones, update changed ones, skip the rest.

    A record is identified by (enterprise, period, market, hs). Loading the same workbook again writes nothing.
    Each changed figure is audited with its old and new value (one event per record, written in bulk, in the shape
    ``audit_record`` gives); each load that writes anything is audited once more with its counts.

    Args:
        rows: Records already checked by ``clean_customs_export`` (registered enterprises, known codes).
        user: Who loads them (``None`` from the command line).
        source_file: The file they came from, kept on each written record.

    Returns:
        ``(written, unchanged)``: records inserted or updated, and records already stored with the same figure.

    Raises:
        ValueError: when two rows name the same record, or a row names an unregistered enterprise (the
            importer reports both as row problems before calling this).
    """
    if not rows:
        return 0, 0
    source_file = source_file[:200]
    actor = user if getattr(user, "pk", None) else None
    with transaction.atomic():
        ids = _enterprise_ids(r.uscc for r in rows)
        incoming: dict[Key, CustomsExportIn] = {}
        for r in rows:
            key = (ids[r.uscc], r.period, r.market, r.hs)
            if key in incoming:
                raise ValueError(f"customs record given twice: {customs_key(r.uscc, r.period, r.market, r.hs)}")
            incoming[key] = r
        stored = _stored((r.period for r in rows), sorted(set(ids.values())))

        now = clock.now()
        to_create: list[CustomsExport] = []
        to_update: list[CustomsExport] = []
        changes: list[tuple[CustomsExportIn, Decimal]] = []
        for key, r in incoming.items():
            amount = r.exports_usd.quantize(_CENT)
            found = stored.get(key)
            if found is None:
                to_create.append(
                    CustomsExport(
                        enterprise_id=key[0],
                        period=r.period,
                        market_id=r.market,
                        hs=r.hs,
                        exports_usd=amount,
                        loaded_at=now,
                        loaded_by=actor,
                        source_file=source_file,
                    )
                )
            elif found[1] != amount:
                to_update.append(
                    CustomsExport(
                        pk=found[0], exports_usd=amount, loaded_at=now, loaded_by=actor, source_file=source_file
                    )
                )
                changes.append((r, found[1]))

        CustomsExport.objects.bulk_create(to_create, batch_size=_BATCH)
        CustomsExport.objects.bulk_update(
            to_update, ["exports_usd", "loaded_at", "loaded_by", "source_file"], batch_size=_BATCH
        )
        # One audit event per changed record, shaped as audit_record writes them, inserted in batches.
        towns: dict[str, str] = {}
        changed_usccs = sorted({r.uscc for r, _old in changes})
        for part in _chunks(changed_usccs):
            towns.update(Enterprise.objects.filter(uscc__in=part).values_list("uscc", "town__path"))
        AuditEvent.objects.bulk_create(
            (
                AuditEvent(
                    at=now,
                    actor=actor,
                    action="customs.update",
                    object_type="customs_export",
                    object_key=customs_key(r.uscc, r.period, r.market, r.hs),
                    old={"exports_usd": str(old)},
                    new={"exports_usd": str(r.exports_usd.quantize(_CENT)), "source_file": source_file},
                    uscc=r.uscc,
                    region_path=towns.get(r.uscc, ""),
                )
                for r, old in changes
            ),
            batch_size=_BATCH,
        )
        written = len(to_create) + len(to_update)
        unchanged = len(incoming) - written
        if written:
            periods = {r.period for r in to_create} | {r.period for r, _old in changes}
            customs_changed.send(sender=CustomsExport, periods=sorted(periods))
            audit_record(
                actor=actor,
                action="customs.load",
                object_type="customs_export",
                object_key=source_file[:80],
                new={
                    "inserted": len(to_create),
                    "updated": len(to_update),
                    "unchanged": unchanged,
                    "periods": sorted({r.period for r in rows}),
                    "source_file": source_file,
                },
            )
    return written, unchanged
