"""The ``warnings`` export (``exportwatch export warnings --period P``): the warnings as they stood at period P."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet

from exportwatch.directory.models import Enterprise
from exportwatch.exchange.exports import Cell, Exportable, register
from exportwatch.exchange.xlsx import register_headers

WARNING_COLUMNS = ("period", "scope", "key", "level", "rule", "value", "threshold", "first_period", "status")


def _warning_rows(enterprises: QuerySet[Enterprise], period: str | None) -> Iterable[list[Cell]]:
    from exportwatch.warnings.selectors import warnings_for_export

    for w in warnings_for_export(enterprises=enterprises, period=period):
        yield [
            w.period,
            w.scope,
            w.key,
            w.level,
            w.rule,
            _number(w.value),
            _number(w.threshold),
            w.first_period,
            w.status,
        ]


def _number(value: float | None) -> Decimal | None:
    """Ratios to 6 decimals, exactly as written (a float's repr would show its binary noise)."""
    return None if value is None else Decimal(str(round(value, 6)))


def _evaluate(period: str | None) -> None:
    """The warnings as they stand: the month evaluated now (every month with reports when none is given)."""
    from exportwatch.reporting.models import Report
    from exportwatch.warnings.services import warnings_evaluate

    periods = [period] if period else sorted(set(Report.objects.values_list("period", flat=True)))
    for p in periods:
        warnings_evaluate(period=p)


register(Exportable("warnings", WARNING_COLUMNS, _warning_rows, bureau_only=True, refresh=_evaluate))
register_headers(
    {
        "scope": "范围",
        "key": "代码",
        "level": "预警等级",
        "rule": "规则",
        "value": "指标值",
        "threshold": "阈值",
        "first_period": "首次预警月份",
    }
)
register_headers({"status": "处理状态"}, table="warnings")
