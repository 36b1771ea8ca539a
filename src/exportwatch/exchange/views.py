from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, StreamingHttpResponse

from exportwatch.common.scoping import enterprises_visible
from exportwatch.core.codes import parse_period
from exportwatch.directory.selectors import enterprises_filter, filter_from_query
from exportwatch.exchange.services import export_csv_text
from exportwatch.exchange.tables import TABLES


@login_required
def export_csv(request: HttpRequest, table: str) -> StreamingHttpResponse:
    """A table as CSV, limited to what the user may see (UTF-8 with BOM so Excel shows Chinese correctly)."""
    if table not in TABLES:
        raise Http404
    period = request.GET.get("period") or None
    if period is not None and parse_period(period) is None:
        raise Http404
    # The list page's filters carry over, so "download" gives what the page shows.
    scoped = enterprises_filter(enterprises_visible(request.user), filter_from_query(request.GET))

    def body() -> object:
        yield "\ufeff"
        yield from export_csv_text(table, enterprises=scoped, period=period)

    response = StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")
    suffix = f"-{period}" if period else ""
    response["Content-Disposition"] = f'attachment; filename="{table}{suffix}.csv"'
    return response
