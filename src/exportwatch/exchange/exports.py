"""Exports: every downloadable table is an ``Exportable`` in one registry; writers (CSV here, .xlsx in
``xlsx.py``) turn its typed rows into files, escaping text a spreadsheet would run as a formula.

Other apps register their tables (for example the customs reconciliation) with ``register``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet

from exportwatch.core.periods import period_end, period_start
from exportwatch.core.records import REPORT_FIGURES
from exportwatch.directory.models import Enterprise
from exportwatch.exchange.tables import TABLES
from exportwatch.reporting.models import Disruption, Need, Report, ReportLine

Cell = str | int | float | Decimal | dt.date | bool | None
RowsFn = Callable[[QuerySet[Enterprise], str | None], Iterable[list[Cell]]]


@dataclass(frozen=True)
class Exportable:
    key: str
    columns: tuple[str, ...]  # stable column keys, the CSV header
    rows: RowsFn  # (already scoped enterprises, period or None) -> typed rows in ``columns`` order
    bureau_only: bool = False  # only bureau roles download it (like its page), even for their own enterprise
    # Brings derived data up to date before the command exports it (e.g. evaluates the month's warnings).
    refresh: Callable[[str | None], None] | None = None


EXPORTABLES: dict[str, Exportable] = {}


def register(exportable: Exportable) -> Exportable:
    EXPORTABLES[exportable.key] = exportable
    return exportable


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: str) -> str:
    """Neutralise text a spreadsheet would run as a formula (CSV injection): prefix it with a quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def cell_text(value: Cell) -> str:
    """A typed cell as CSV text: amounts without trailing zeros, booleans as true/false, text escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # a ratio or an index on a page table: its shortest exact text, never a formula
        return repr(value) if math.isfinite(value) else ""
    return escape_cell(value)


def export_columns(table: str) -> tuple[str, ...]:
    return EXPORTABLES[table].columns


def export_rows(table: str, *, enterprises: QuerySet[Enterprise], period: str | None) -> Iterator[list[str]]:
    """Rows of ``table`` as CSV text cells, in ``export_columns`` order."""
    for row in EXPORTABLES[table].rows(enterprises, period):
        yield [cell_text(v) for v in row]


def export_csv_text(table: str, *, enterprises: QuerySet[Enterprise], period: str | None) -> Iterator[str]:
    """The CSV text of a table, streamed line by line."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(export_columns(table))
    yield buf.getvalue()
    for row in export_rows(table, enterprises=enterprises, period=period):
        buf.seek(0)
        buf.truncate()
        writer.writerow(row)
        yield buf.getvalue()


# --- The DESIGN §5 tables -------------------------------------------------------------------------


def _enterprise_rows(enterprises: QuerySet[Enterprise], period: str | None) -> Iterator[list[Cell]]:
    head = settings.EXPORTWATCH_HEAD_EXPORTS_USD
    white = settings.EXPORTWATCH_WHITELIST_TRADE_USD
    for e in enterprises.prefetch_related("segments").order_by("uscc"):
        yield [
            e.uscc,
            e.name,
            e.customs_code,
            e.town_id,
            e.industry_id,
            e.exports_last_year_usd,
            e.imports_last_year_usd,
            e.contact_name,
            e.contact_phone,
            ";".join(sorted(s.code for s in e.segments.all())),
            e.exports_last_year_usd >= head,
            e.exports_last_year_usd + e.imports_last_year_usd >= white,
        ]


def _report_rows(enterprises: QuerySet[Enterprise], period: str | None) -> Iterator[list[Cell]]:
    qs = Report.objects.filter(is_current=True, enterprise__in=enterprises)
    if period:
        qs = qs.filter(period=period)
    rows = qs.order_by("enterprise__uscc", "period").values_list("enterprise__uscc", "period", *REPORT_FIGURES)
    for row in rows.iterator(chunk_size=5000):
        yield list(row)


def _line_rows(enterprises: QuerySet[Enterprise], period: str | None) -> Iterator[list[Cell]]:
    lq = ReportLine.objects.filter(report__is_current=True, report__enterprise__in=enterprises)
    if period:
        lq = lq.filter(report__period=period)
    rows = lq.order_by("report__enterprise__uscc", "report__period", "market_id", "hs").values_list(
        "report__enterprise__uscc",
        "report__period",
        "market_id",
        "hs",
        "backlog_usd",
        "new_orders_usd",
        "exports_usd",
    )
    for row in rows.iterator(chunk_size=5000):
        yield list(row)


def _in_month(qs: QuerySet, period: str | None) -> QuerySet:  # type: ignore[type-arg]
    return qs.filter(date__range=(period_start(period), period_end(period))) if period else qs


def _disruption_rows(enterprises: QuerySet[Enterprise], period: str | None) -> Iterator[list[Cell]]:
    qs = _in_month(Disruption.objects.filter(enterprise__in=enterprises), period)
    rows = qs.order_by("enterprise__uscc", "date", "id").values_list(
        "enterprise__uscc", "date", "kind", "amount_usd", "market_id", "hs", "note"
    )
    for row in rows.iterator(chunk_size=5000):
        yield list(row)


def _need_rows(enterprises: QuerySet[Enterprise], period: str | None) -> Iterator[list[Cell]]:
    qs = _in_month(Need.objects.filter(enterprise__in=enterprises), period)
    rows = qs.order_by("enterprise__uscc", "date", "id").values_list(
        "enterprise__uscc", "date", "category", "amount_usd", "urgency", "description"
    )
    for row in rows.iterator(chunk_size=5000):
        yield list(row)


register(
    Exportable(
        "enterprises", (*TABLES["enterprises"].columns, "head_enterprise", "whitelist_eligible"), _enterprise_rows
    )
)
register(Exportable("reports", TABLES["reports"].columns, _report_rows))
register(Exportable("report_lines", TABLES["report_lines"].columns, _line_rows))
register(Exportable("disruptions", TABLES["disruptions"].columns, _disruption_rows))
register(Exportable("needs", TABLES["needs"].columns, _need_rows))
