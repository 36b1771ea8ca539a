"""Rows <-> core types: build the validation context from the database, and turn stored rows into raw mappings."""

from __future__ import annotations

from collections.abc import Container, Mapping
from decimal import Decimal
from typing import Any

from exportwatch.common import clock
from exportwatch.core.records import REPORT_FIGURES, Context, ReportIn
from exportwatch.directory.models import Enterprise, HSCode, Industry, Market, Region, Segment
from exportwatch.reporting.models import Report, ReportLine


class _EnterpriseCodes(Container[str]):
    """USCC membership asked of the database lazily, so a context costs nothing until it is used."""

    def __init__(self, known: set[str] | None = None) -> None:
        self._cache: dict[str, bool] = {}
        if known is not None:
            self._cache.update(dict.fromkeys(known, True))
            self._all_loaded = True
        else:
            self._all_loaded = False

    def __contains__(self, uscc: object) -> bool:
        if not isinstance(uscc, str):
            return False
        if uscc not in self._cache:
            if self._all_loaded:
                return False
            self._cache[uscc] = Enterprise.objects.filter(uscc=uscc).exists()
        return self._cache[uscc]

    def add(self, uscc: str) -> None:
        self._cache[uscc] = True


def validation_context(*, preload_enterprises: bool = False, extra_enterprises: set[str] | None = None) -> Context:
    towns: dict[str, str] = {}
    for code, name in Region.objects.filter(level=Region.Level.TOWN).values_list("code", "name"):
        towns[code] = code
        towns[name] = code
    known = set(Enterprise.objects.values_list("uscc", flat=True)) if preload_enterprises else None
    enterprises = _EnterpriseCodes(known)
    for uscc in extra_enterprises or ():
        enterprises.add(uscc)
    return Context(
        today=clock.today(),
        markets=frozenset(Market.objects.values_list("code", flat=True)),
        hs_codes=frozenset(HSCode.objects.values_list("code", flat=True)),
        towns=towns,
        industries=frozenset(Industry.objects.values_list("code", flat=True)),
        segments=frozenset(Segment.objects.values_list("code", flat=True)),
        enterprises=enterprises,
    )


STORED_PCT = Decimal("0.1")  # Report.capacity_utilization_pct keeps one decimal


def stored_figures(data: ReportIn) -> dict[str, Any]:
    """A clean report's figures (``REPORT_FIGURES``) as the database stores them."""
    figures = {key: getattr(data, key) for key in REPORT_FIGURES}
    pct = data.capacity_utilization_pct
    figures["capacity_utilization_pct"] = None if pct is None else pct.quantize(STORED_PCT)
    return figures


def report_in(values: Mapping[str, Any], *, uscc: str, period: str) -> ReportIn:
    """A stored report's figures (a row of ``values(*REPORT_FIGURES)``) back as the core's record."""
    return ReportIn(uscc, period, *(values[key] for key in REPORT_FIGURES))


def report_values(report: Report) -> dict[str, Any]:
    """The contract values of a stored report (for comparison, audit and export)."""
    return {
        "uscc": report.enterprise.uscc,
        "period": report.period,
        **{key: getattr(report, key) for key in REPORT_FIGURES},
    }


def line_values(line: ReportLine) -> dict[str, Any]:
    return {
        "market": line.market_id,
        "hs": line.hs,
        "backlog_usd": line.backlog_usd,
        "new_orders_usd": line.new_orders_usd,
        "exports_usd": line.exports_usd,
    }
