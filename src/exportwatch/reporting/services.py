"""Writes for reporting. Every path (web form, file import, API) ends here after the same core validation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from exportwatch.common import clock
from exportwatch.common.audit import audit_record
from exportwatch.core.concentration import market_mix
from exportwatch.core.records import REPORT_FIGURES, DisruptionIn, LineIn, NeedIn, ReportIn
from exportwatch.directory.models import Enterprise
from exportwatch.monitoring.cells import cells_apply
from exportwatch.reporting.adapters import line_values, report_values, stored_figures
from exportwatch.reporting.models import Disruption, Need, Report, ReportDraft, ReportLine
from exportwatch.reporting.signals import reports_changed


class ReportConflict(Exception):
    """The report changed since the form was opened (someone else submitted a version in between)."""

    def __init__(self, current: Report | None) -> None:
        super().__init__("report changed since it was opened")
        self.current = current


@dataclass(frozen=True)
class SubmitResult:
    report: Report
    created: bool  # False when the submission equalled the current version and nothing was written


def _incoming_values(data: ReportIn) -> dict[str, Any]:
    return {"uscc": data.uscc, "period": data.period, **stored_figures(data)}


def _line_key(values: dict[str, Any]) -> tuple[Any, ...]:
    return (values["market"], values["hs"], values["backlog_usd"], values["new_orders_usd"], values["exports_usd"])


def report_submit(
    *,
    enterprise: Enterprise,
    data: ReportIn,
    lines: Sequence[LineIn],
    submitted_by: Any,
    source: str,
    base_version: int | None = None,
) -> SubmitResult:
    """Store a validated report as the new current version of (enterprise, period).

    ``base_version`` is the version the person saw when they opened the form (0 for none); when another
    version was submitted in between, ``ReportConflict`` is raised and nothing is written. A submission equal
    to the current version (figures and lines) writes nothing, so importing the same file twice is a no-op.
    """
    new_values = _incoming_values(data)
    new_lines = sorted(
        _line_key(
            {
                "market": ln.market,
                "hs": ln.hs,
                "backlog_usd": ln.backlog_usd,
                "new_orders_usd": ln.new_orders_usd,
                "exports_usd": ln.exports_usd,
            }
        )
        for ln in lines
    )
    with transaction.atomic():
        # Lock the enterprise row: submissions for one enterprise are serialised on every database.
        Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
        current = (
            Report.objects.select_related("enterprise")
            .filter(enterprise=enterprise, period=data.period, is_current=True)
            .first()
        )
        current_version = current.version if current else 0
        if base_version is not None and base_version != current_version:
            raise ReportConflict(current)
        old_values: dict[str, Any] | None = None
        if current is not None:
            old_values = report_values(current)
            old_lines = sorted(_line_key(line_values(ln)) for ln in current.lines.all())
            if old_values == new_values and old_lines == new_lines:
                _drafts_of(enterprise, data.period, submitted_by).delete()
                return SubmitResult(report=current, created=False)
            Report.objects.filter(pk=current.pk).update(is_current=False)
        last_version = Report.objects.filter(enterprise=enterprise, period=data.period).order_by("-version").first()
        hhi, main = market_mix((ln.market, ln.exports_usd) for ln in lines)
        report = Report.objects.create(
            enterprise=enterprise,
            period=data.period,
            version=(last_version.version if last_version else 0) + 1,
            is_current=True,
            **{key: new_values[key] for key in REPORT_FIGURES},
            source=source,
            submitted_at=clock.now(),
            submitted_by=submitted_by if getattr(submitted_by, "pk", None) else None,
            market_hhi=hhi,
            main_market=main or "",
        )
        ReportLine.objects.bulk_create(
            ReportLine(
                report=report,
                market_id=ln.market,
                hs=ln.hs,
                backlog_usd=ln.backlog_usd,
                new_orders_usd=ln.new_orders_usd,
                exports_usd=ln.exports_usd,
            )
            for ln in lines
        )
        _drafts_of(enterprise, data.period, submitted_by).delete()
        audit_record(
            actor=submitted_by,
            action="report.submit" if current is None else "report.resubmit",
            object_type="report",
            object_key=f"{enterprise.uscc}/{data.period}",
            old=None if old_values is None else {**old_values, "version": current_version},
            new={**new_values, "version": report.version, "lines": len(new_lines), "source": source},
            enterprise=enterprise,
        )
        # The rows every submission of the month shares (the pending marks, the aggregates and their stamp) are
        # taken last: each is locked until the commit, so a deadline rush queues on them only for these statements,
        # not for the enterprise's warning evaluation.
        reports_changed.send(sender=Report, changes=[(enterprise.pk, data.period)])
        cells_apply(added=[report.pk], removed=[current.pk] if current is not None else [])
    return SubmitResult(report=report, created=True)


def _drafts_of(enterprise: Enterprise, period: str, user: Any) -> Any:
    """The submitter's own draft: another person's draft survives, and meets the conflict check when submitted."""
    drafts = ReportDraft.objects.filter(enterprise=enterprise, period=period)
    return drafts.filter(updated_by=user) if getattr(user, "pk", None) else drafts.none()


def report_draft_save(
    *, enterprise: Enterprise, period: str, data: dict[str, Any], base_version: int, user: Any
) -> None:
    """Keep what the reporter typed, valid or not, until they submit."""
    ReportDraft.objects.update_or_create(
        enterprise=enterprise,
        period=period,
        defaults={"data": data, "base_version": base_version, "updated_by": user if user.pk else None},
    )


def fingerprint(kind: str, values: dict[str, Any]) -> str:
    """Digest of a filed record's contract values; the same record filed twice has the same digest."""
    payload = json.dumps({"kind": kind, **values}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _cents(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount.quantize(Decimal("0.01")))


def disruption_values(data: DisruptionIn) -> dict[str, Any]:
    return {
        "uscc": data.uscc,
        "date": data.date.isoformat(),
        "kind": data.kind,
        "amount_usd": _cents(data.amount_usd),
        "market": data.market,
        "hs": data.hs,
        "note": data.note,
    }


def need_values(data: NeedIn) -> dict[str, Any]:
    return {
        "uscc": data.uscc,
        "date": data.date.isoformat(),
        "category": data.category,
        "amount_usd": _cents(data.amount_usd),
        "urgency": data.urgency,
        "description": data.description,
    }


@dataclass(frozen=True)
class FileResult:
    obj: Disruption | Need
    created: bool


def _file_once(
    model: type[Disruption] | type[Need],
    kind: str,
    values: dict[str, Any],
    fields: dict[str, Any],
    *,
    enterprise: Enterprise,
    created_by: Any,
    source: str,
) -> FileResult:
    """Store a disruption or a need unless the same record is already stored; audited."""
    fp = fingerprint(kind, values)
    with transaction.atomic():
        existing = model.objects.filter(fingerprint=fp).first()
        if existing is not None:
            return FileResult(obj=existing, created=False)
        obj = model.objects.create(
            enterprise=enterprise,
            source=source,
            created_at=clock.now(),
            created_by=created_by if getattr(created_by, "pk", None) else None,
            fingerprint=fp,
            **fields,
        )
        audit_record(
            actor=created_by,
            action=f"{kind}.file",
            object_type=kind,
            object_key=str(obj.pk),
            new=values,
            enterprise=enterprise,
        )
    return FileResult(obj=obj, created=True)


def disruption_file(*, enterprise: Enterprise, data: DisruptionIn, created_by: Any, source: str) -> FileResult:
    fields = {
        "date": data.date,
        "kind": data.kind,
        "amount_usd": data.amount_usd,
        "market_id": data.market or None,
        "hs": data.hs,
        "note": data.note,
    }
    return _file_once(
        Disruption,
        "disruption",
        disruption_values(data),
        fields,
        enterprise=enterprise,
        created_by=created_by,
        source=source,
    )


def need_file(*, enterprise: Enterprise, data: NeedIn, created_by: Any, source: str) -> FileResult:
    fields = {
        "date": data.date,
        "category": data.category,
        "amount_usd": data.amount_usd,
        "urgency": data.urgency,
        "description": data.description,
    }
    return _file_once(
        Need, "need", need_values(data), fields, enterprise=enterprise, created_by=created_by, source=source
    )
