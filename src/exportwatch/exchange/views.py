"""Downloads: the registered tables as CSV (the data contract: key header) and .xlsx (Chinese header with units
above the keys), and any page table (``list_download``) in both formats."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone

from exportwatch.common.scoping import can_see_bureau_pages, enterprises_visible
from exportwatch.core.codes import normalize_uscc, parse_period
from exportwatch.directory.models import EnterpriseQuerySet
from exportwatch.directory.selectors import enterprises_filter, filter_from_query
from exportwatch.exchange.exports import EXPORTABLES, Cell, cell_text, export_csv_text
from exportwatch.exchange.xlsx import Column, write_rows_xlsx, write_table_xlsx, xlsx_response

FORMATS = ("csv", "xlsx")


def _export_request(request: HttpRequest, table: str) -> tuple[EnterpriseQuerySet, str | None]:
    """The enterprises and period an export of ``table`` was asked for, within what the user may see.

    The list page's filters carry over, so "download" gives what the page shows; ``uscc`` narrows to one
    enterprise (its page's history), a 404 when that enterprise is not visible.
    """
    if table not in EXPORTABLES:
        raise Http404
    if EXPORTABLES[table].bureau_only and not can_see_bureau_pages(request.user):
        raise Http404
    period = request.GET.get("period") or None
    if period is not None and parse_period(period) is None:
        raise Http404
    scoped = enterprises_filter(enterprises_visible(request.user), filter_from_query(request.GET))
    uscc = request.GET.get("uscc", "").strip()
    if uscc:
        scoped = scoped.filter(uscc=normalize_uscc(uscc[:32]))
        if not scoped.exists():
            raise Http404
    return scoped, period


def _filename(table: str, period: str | None, ext: str) -> str:
    suffix = f"-{period}" if period else ""
    return f"{table}{suffix}.{ext}"


@login_required
def export_csv(request: HttpRequest, table: str) -> StreamingHttpResponse:
    """A table as CSV, limited to what the user may see (UTF-8 with BOM so Excel shows Chinese correctly)."""
    scoped, period = _export_request(request, table)

    def body() -> Iterator[str]:
        yield "\ufeff"
        yield from export_csv_text(table, enterprises=scoped, period=period)

    response = StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(table, period, "csv")}"'
    return response


@login_required
def export_xlsx(request: HttpRequest, table: str) -> HttpResponseBase:
    """A table as an Excel workbook: Chinese header with units, the keys beneath, typed and escaped cells."""
    scoped, period = _export_request(request, table)

    def write(handle: IO[bytes]) -> None:
        write_table_xlsx(handle, table, enterprises=scoped, period=period)

    return xlsx_response(_filename(table, period, "xlsx"), write)


# --- Page tables -------------------------------------------------------------------------------------------


def _csv_cell(value: Cell | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.strftime("%Y-%m-%d %H:%M")
    return cell_text(value)


def rows_csv_text(columns: Sequence[Column], rows: Iterable[Sequence[Cell | dt.datetime]]) -> Iterator[str]:
    """A page table as CSV lines: the header texts, then the rows (text escaped as in every export)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([cell_text(header) for _key, header in columns])
    yield buf.getvalue()
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow([_csv_cell(v) for v in row])
        yield buf.getvalue()


def list_download(
    fmt: str,
    name: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Cell | dt.datetime]],
    *,
    sheet_name: str | None = None,
) -> HttpResponseBase:
    """A table a page shows, as a CSV or .xlsx download named ``name.csv``/``name.xlsx``."""
    if fmt == "xlsx":

        def write(handle: IO[bytes]) -> None:
            write_rows_xlsx(handle, columns, rows, sheet_name=sheet_name or name)

        return xlsx_response(f"{name}.xlsx", write)
    if fmt != "csv":
        raise Http404

    def body() -> Iterator[str]:
        yield "\ufeff"
        yield from rows_csv_text(columns, rows)

    response = StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
