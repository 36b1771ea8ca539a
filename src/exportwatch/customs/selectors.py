"""Reads for customs exports and the reconciliation. Callers pass enterprises already scoped by
exportwatch.common.scoping."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet, Sum

from exportwatch.core.reconciliation import DISAGREE, STATUSES, gap, reconcile
from exportwatch.customs.models import CustomsExport
from exportwatch.directory.models import Enterprise
from exportwatch.reporting.models import Report

DEFAULT_TOLERANCE = Decimal("0.2")


def reconciliation_tolerance() -> Decimal:
    """The share by which reported and customs exports may differ before they are flagged (setting)."""
    value = getattr(settings, "EXPORTWATCH_RECONCILIATION_TOLERANCE", DEFAULT_TOLERANCE)
    return Decimal(str(value))


@dataclass(frozen=True)
class ReconRow:
    enterprise: Enterprise
    period: str
    reported_usd: Decimal | None  # exports in the current report; None without a report
    customs_usd: Decimal | None  # sum of the customs records; None without any
    difference_usd: Decimal | None  # reported − customs
    ratio: Decimal | None  # reported / customs
    status: str  # agree | disagree | no_report | no_customs

    @property
    def gap_usd(self) -> Decimal:
        return gap(self.reported_usd, self.customs_usd)


@dataclass
class ReconTotals:
    reported_usd: Decimal = Decimal(0)  # over the rows with a report
    customs_usd: Decimal = Decimal(0)  # over the rows with customs records
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def enterprises(self) -> int:
        return sum(self.counts.values())

    @property
    def disagreeing(self) -> int:
        return self.counts[DISAGREE]

    @property
    def ratio(self) -> Decimal | None:
        return None if self.customs_usd == 0 else (self.reported_usd / self.customs_usd).quantize(Decimal("0.0001"))

    def by_status(self) -> list[tuple[str, int]]:
        return [(status, self.counts[status]) for status in STATUSES]


def _reported(enterprises: QuerySet[Enterprise], period: str | None) -> dict[tuple[int, str], Decimal]:
    qs = Report.objects.filter(is_current=True, enterprise__in=enterprises)
    if period:
        qs = qs.filter(period=period)
    return {(e, p): amount for e, p, amount in qs.values_list("enterprise_id", "period", "exports_usd")}


def _customs(enterprises: QuerySet[Enterprise], period: str | None) -> dict[tuple[int, str], Decimal]:
    qs = CustomsExport.objects.filter(enterprise__in=enterprises)
    if period:
        qs = qs.filter(period=period)
    sums = qs.values("enterprise_id", "period").annotate(total=Sum("exports_usd")).order_by()
    return {(row["enterprise_id"], row["period"]): row["total"] for row in sums}


def reconciliation_rows(*, enterprises: QuerySet[Enterprise], period: str | None, tolerance: Decimal) -> list[ReconRow]:
    """Reported against customs exports, per enterprise in scope with a current report or customs records.

    Args:
        enterprises: The enterprises in scope.
        period: ``YYYY-MM``; ``None`` for every period with data (one row per enterprise and period).
        tolerance: Share beyond which the two figures disagree (see ``core.reconciliation``).

    Returns:
        Rows by period, then by the largest gap between the figures (a missing one counted as 0), then by USCC.
    """
    reported = _reported(enterprises, period)
    customs = _customs(enterprises, period)
    keys = set(reported) | set(customs)
    ids = sorted({e for e, _p in keys})
    by_id: dict[int, Enterprise] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        by_id.update((e.pk, e) for e in Enterprise.objects.select_related("town").filter(pk__in=chunk))
    rows = []
    for key in keys:
        r, c = reported.get(key), customs.get(key)
        difference, ratio, status = reconcile(r, c, tolerance=tolerance)
        rows.append(
            ReconRow(
                enterprise=by_id[key[0]],
                period=key[1],
                reported_usd=r,
                customs_usd=c,
                difference_usd=difference,
                ratio=ratio,
                status=status,
            )
        )
    rows.sort(key=lambda row: (row.period, -row.gap_usd, row.enterprise.uscc))
    return rows


def reconciliation_totals(rows: list[ReconRow]) -> ReconTotals:
    totals = ReconTotals()
    for row in rows:
        totals.counts[row.status] += 1
        if row.reported_usd is not None:
            totals.reported_usd += row.reported_usd
        if row.customs_usd is not None:
            totals.customs_usd += row.customs_usd
    return totals


def customs_periods(*, enterprises: QuerySet[Enterprise], limit: int = 12) -> list[str]:
    """The latest periods with customs records in scope, newest first (for the period picker)."""
    qs = CustomsExport.objects.filter(enterprise__in=enterprises).values_list("period", flat=True)
    return list(qs.order_by("-period").distinct()[:limit])


def customs_export_rows(
    *, enterprises: QuerySet[Enterprise], period: str | None
) -> Iterator[tuple[str, str, str, str, Decimal]]:
    """The stored customs records in the DESIGN §5 column order, by USCC, period, market and HS code."""
    qs = CustomsExport.objects.filter(enterprise__in=enterprises)
    if period:
        qs = qs.filter(period=period)
    rows = qs.order_by("enterprise__uscc", "period", "market_id", "hs").values_list(
        "enterprise__uscc", "period", "market_id", "hs", "exports_usd"
    )
    yield from rows.iterator(chunk_size=5000)
