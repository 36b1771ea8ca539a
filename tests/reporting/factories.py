"""Small builders for reports, shared by the reporting and directory tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.test import override_settings

from exportwatch.core.records import LineIn, ReportIn
from exportwatch.reporting.models import Source
from exportwatch.reporting.services import SubmitResult, report_submit


def report_in(enterprise: Any, period: str = "2020-03", **overrides: Any) -> ReportIn:
    values: dict[str, Any] = {
        "uscc": enterprise.uscc,
        "period": period,
        "exports_usd": Decimal("1000000.00"),
        "new_orders_usd": Decimal("800000.00"),
        "backlog_usd": Decimal("3000000.00"),
        "backlog_due_3m_usd": Decimal("2000000.00"),
        "capacity_utilization_pct": Decimal("75.0"),
        "new_orders_trend": "down",
        "outlook_3m": "same",
    }
    values.update(overrides)
    return ReportIn(**values)


def line_in(enterprise: Any, period: str = "2020-03", market: str = "US", hs: str = "84", **overrides: Any) -> LineIn:
    values: dict[str, Any] = {
        "uscc": enterprise.uscc,
        "period": period,
        "market": market,
        "hs": hs,
        "backlog_usd": Decimal("1000000.00"),
        "new_orders_usd": Decimal("300000.00"),
        "exports_usd": Decimal("400000.00"),
    }
    values.update(overrides)
    return LineIn(**values)


def submit(
    enterprise: Any,
    period: str = "2020-03",
    *,
    by: Any = None,
    lines: Sequence[LineIn] | None = None,
    on: dt.date | None = None,
    base_version: int | None = None,
    **overrides: Any,
) -> SubmitResult:
    """Submit a report through the service; ``on`` is the local day it is submitted."""
    data = report_in(enterprise, period, **overrides)
    if lines is None:
        lines = [line_in(enterprise, period)]

    def go() -> SubmitResult:
        return report_submit(
            enterprise=enterprise,
            data=data,
            lines=lines,
            submitted_by=by,
            source=Source.WEB,
            base_version=base_version,
        )

    if on is None:
        return go()
    with override_settings(EXPORTWATCH_TODAY=on):
        return go()
