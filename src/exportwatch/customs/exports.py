"""The customs tables in the export registry: ``exportwatch export customs_exports|reconciliation`` and the
web downloads /export/customs_exports.csv and /export/reconciliation.csv (imported by ``CustomsConfig.ready``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from exportwatch.core.records import CUSTOMS_COLUMNS
from exportwatch.customs.selectors import customs_export_rows, reconciliation_rows, reconciliation_tolerance
from exportwatch.directory.models import Enterprise
from exportwatch.exchange.exports import Cell, Exportable, register
from exportwatch.exchange.xlsx import register_headers

RECONCILIATION_COLUMNS = (
    "uscc",
    "name",
    "period",
    "reported_exports_usd",
    "customs_exports_usd",
    "difference_usd",
    "ratio",
    "status",
)


def _customs_rows(enterprises: QuerySet[Enterprise], period: str | None) -> Iterator[list[Cell]]:
    for row in customs_export_rows(enterprises=enterprises, period=period):
        yield list(row)


def _reconciliation_rows(enterprises: QuerySet[Enterprise], period: str | None) -> Iterator[list[Cell]]:
    """One row per enterprise and period with data; without a period, every period (oldest first)."""
    for row in reconciliation_rows(enterprises=enterprises, period=period, tolerance=reconciliation_tolerance()):
        yield [
            row.enterprise.uscc,
            row.enterprise.name,
            row.period,
            row.reported_usd,
            row.customs_usd,
            row.difference_usd,
            row.ratio,
            row.status,
        ]


register(Exportable("customs_exports", CUSTOMS_COLUMNS, _customs_rows, bureau_only=True))
register(Exportable("reconciliation", RECONCILIATION_COLUMNS, _reconciliation_rows, bureau_only=True))
register_headers(
    {
        "name": "企业名称",
        "reported_exports_usd": "填报出口额（美元）",
        "customs_exports_usd": "海关出口额（美元）",
        "difference_usd": "差额（美元）",
        "ratio": "填报/海关",
    }
)
register_headers({"status": "核对结果"}, table="reconciliation")
