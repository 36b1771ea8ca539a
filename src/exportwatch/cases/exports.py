"""The ``cases`` export (``exportwatch export cases [--period YYYY-MM] [-o FILE]``): one row per case of the given
enterprises (filed in that month), oldest first.

Columns (the contract):

``id``                 the case's number
``uscc``               its enterprise
``category``           the need category (the codes of ``reporting.models.NeedCategory``)
``status``             its state in the closed loop (``core.cases.STATES``)
``lead_department``    the lead department's code; empty until dispatched
``opened_at``          when the need was filed (local time, ISO 8601 with the offset, to the second)
``first_response_at``  when a department first accepted it or the bureau declined it; empty until then
``resolved_at``        when it was last answered, while it stands answered (replied, confirmed or closed); empty
                       otherwise (open, reopened since, or ended without an answer: declined, withdrawn, merged)
``due_at``             when its running limit falls due: the first response's until there is one, then the
                       resolution's; empty while no clock runs (waiting for the enterprise, answered, ended)
``breached``           ``true`` when a limit was passed: the clock is past a limit, the case was escalated for a
                       breach, or the first response came after its due time
``rating``             the enterprise's rating (1-5) of the answer it confirmed; empty otherwise

The command brings the clocks up to date first (as the background worker does), so ``breached`` and ``due_at`` are
as of now; the web download reads them as the worker last left them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from exportwatch.core.periods import period_end, period_start
from exportwatch.directory.models import Enterprise
from exportwatch.exchange.exports import Cell, Exportable, register
from exportwatch.exchange.xlsx import register_headers

CASE_COLUMNS = (
    "id",
    "uscc",
    "category",
    "status",
    "lead_department",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "due_at",
    "breached",
    "rating",
)

ANSWERED_STATES = ("replied", "confirmed", "closed")  # selectors.RESOLVED_STATES, the performance page's "resolved"


def case_breached() -> ExpressionWrapper:
    """Whether a case passed one of its limits, as an expression to annotate or filter with (the ``breached``
    column; the API filters with the same)."""
    return ExpressionWrapper(
        Q(clock_state="breached")
        | Q(escalated_at__isnull=False)
        | Q(
            first_response_at__isnull=False,
            first_response_due__isnull=False,
            first_response_at__gt=F("first_response_due"),
        ),
        output_field=BooleanField(),
    )


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else timezone.localtime(value).replace(microsecond=0)


def _case_rows(enterprises: QuerySet[Enterprise], period: str | None) -> Iterable[list[Cell]]:
    from exportwatch.cases.models import Case

    qs = Case.objects.filter(enterprise__in=enterprises)
    if period:
        qs = qs.filter(created_at__date__range=(period_start(period), period_end(period)))
    rows = (
        qs.annotate(breached=case_breached())
        .order_by("created_at", "id")
        .values_list(
            "id",
            "enterprise__uscc",
            "category",
            "state",
            "lead_department_id",
            "created_at",
            "first_response_at",
            "replied_at",
            "first_response_due",
            "resolution_due",
            "breached",
            "rating",
        )
    )
    for (
        pk,
        uscc,
        category,
        state,
        lead,
        opened,
        responded,
        replied,
        response_due,
        resolution_due,
        breached,
        rating,
    ) in rows.iterator(chunk_size=2000):
        yield [
            pk,
            uscc,
            category,
            state,
            lead or "",
            _local(opened),
            _local(responded),
            _local(replied) if state in ANSWERED_STATES else None,
            _local(response_due if responded is None else resolution_due),
            bool(breached),
            rating,
        ]


def _clocks_catch_up(period: str | None) -> None:
    """The clocks as of now: the worker's step until no case's clock is due."""
    from exportwatch.cases.services import clocks_refresh

    while clocks_refresh():
        pass


register(Exportable("cases", CASE_COLUMNS, _case_rows, bureau_only=True, refresh=_clocks_catch_up))
register_headers({"status": "办理状态"}, table="cases")
register_headers(
    {
        "id": "案件编号",
        "lead_department": "牵头单位",
        "opened_at": "提交时间",
        "first_response_at": "首次响应时间",
        "resolved_at": "答复时间",
        "due_at": "办理期限",
        "breached": "是否超时",
        "rating": "满意度评价",
    }
)
