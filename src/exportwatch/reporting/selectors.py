"""Reads for reporting. Callers pass enterprises already scoped by exportwatch.common.scoping."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from exportwatch.common import clock
from exportwatch.core.periods import LATE, ON_TIME, period_add, report_deadline, reporting_status
from exportwatch.directory.models import Enterprise
from exportwatch.reporting.models import Disruption, Need, Report, ReportDraft, ReportLine


def report_current(*, enterprise: Enterprise, period: str) -> Report | None:
    return (
        Report.objects.filter(enterprise=enterprise, period=period, is_current=True)
        .prefetch_related("lines__market")
        .first()
    )


def report_versions(*, enterprise: Enterprise, period: str) -> QuerySet[Report]:
    return (
        Report.objects.filter(enterprise=enterprise, period=period)
        .select_related("submitted_by")
        .prefetch_related("lines__market")
        .order_by("-version")
    )


def report_history(*, enterprise: Enterprise, limit: int = 39) -> list[Report]:
    """Current versions, newest period first."""
    return list(Report.objects.filter(enterprise=enterprise, is_current=True).order_by("-period")[:limit])


def report_draft(*, enterprise: Enterprise, period: str) -> ReportDraft | None:
    return ReportDraft.objects.filter(enterprise=enterprise, period=period).first()


def lines_to_prefill(*, enterprise: Enterprise, period: str) -> list[ReportLine]:
    """The market x product lines of the latest report before ``period`` (the mix a returning firm keeps)."""
    previous = (
        Report.objects.filter(enterprise=enterprise, is_current=True, period__lt=period).order_by("-period").first()
    )
    if previous is None:
        return []
    return list(previous.lines.select_related("market").order_by("-exports_usd", "market_id"))


def disruptions_of(*, enterprise: Enterprise, limit: int = 50) -> list[Disruption]:
    return list(Disruption.objects.filter(enterprise=enterprise).select_related("market")[:limit])


def needs_of(*, enterprise: Enterprise, limit: int = 50) -> list[Need]:
    return list(Need.objects.filter(enterprise=enterprise)[:limit])


def deadline_of(period: str) -> date:
    return report_deadline(period, deadline_day=settings.EXPORTWATCH_REPORT_DEADLINE_DAY)


def default_status_period() -> str:
    """The latest period whose reports are due or falling due: last month."""
    return period_add(clock.current_period(), -1)


@dataclass
class StatusRow:
    enterprise: Enterprise
    status: str  # on_time | late | missing | pending
    first_submitted_at: object | None
    versions: int


@dataclass
class TownStatus:
    code: str
    name: str
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def expected(self) -> int:
        return sum(self.counts.values())

    @property
    def submitted(self) -> int:
        return self.counts["on_time"] + self.counts["late"]

    @property
    def rate(self) -> float | None:
        return None if self.expected == 0 else self.submitted / self.expected


def reporting_status_rows(*, enterprises: QuerySet[Enterprise], period: str) -> list[StatusRow]:
    """Each enterprise's reporting status for ``period``: on time, late, missing or pending.

    On time is judged by the first version: a later correction does not make a report late.
    """
    firsts: dict[int, tuple[object, int]] = {
        row["enterprise_id"]: (row["first"], row["n"])
        for row in Report.objects.filter(period=period, enterprise__in=enterprises)
        .values("enterprise_id")
        .annotate(first=Min("submitted_at"), n=Count("id"))
    }
    today = clock.today()
    deadline_day = settings.EXPORTWATCH_REPORT_DEADLINE_DAY
    rows = []
    for ent in enterprises.select_related("town", "industry"):
        first = firsts.get(ent.pk)
        submitted_on = timezone.localtime(first[0]).date() if first else None
        status = reporting_status(period=period, today=today, deadline_day=deadline_day, submitted_at=submitted_on)
        rows.append(
            StatusRow(
                enterprise=ent,
                status=status,
                first_submitted_at=first[0] if first else None,
                versions=first[1] if first else 0,
            )
        )
    return rows


def reporting_status_by_town(rows: list[StatusRow]) -> list[TownStatus]:
    towns: dict[str, TownStatus] = {}
    for row in rows:
        town = row.enterprise.town
        entry = towns.setdefault(town.code, TownStatus(code=town.code, name=town.label))
        entry.counts[row.status] += 1
    return sorted(towns.values(), key=lambda t: t.code)


def reporting_status_counts(*, enterprises: QuerySet[Enterprise], period: str, every: bool = False) -> Counter[str]:
    """How many enterprises are on time, late, missing or pending for ``period`` — the statuses of
    ``reporting_status_rows`` counted in the database (the first version of each report judges it: versions are
    numbered in the order they were submitted), without loading every enterprise. ``every``: the enterprises
    are every enterprise (no filter to apply)."""
    today = clock.today()
    deadline_day = settings.EXPORTWATCH_REPORT_DEADLINE_DAY
    deadline = report_deadline(period, deadline_day=deadline_day)
    # Submitted on or before the deadline, in local time: before the next local midnight.
    cutoff = timezone.make_aware(dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time()))
    firsts = Report.objects.filter(period=period, version=1)
    if not every:
        firsts = firsts.filter(enterprise__in=enterprises)
    tally = firsts.aggregate(reported=Count("id"), on_time=Count("id", filter=Q(submitted_at__lt=cutoff)))
    reported, on_time = tally["reported"], tally["on_time"]
    counts: Counter[str] = Counter({ON_TIME: on_time, LATE: reported - on_time})
    unreported = enterprises.count() - reported
    counts[reporting_status(period=period, today=today, deadline_day=deadline_day, submitted_at=None)] += unreported
    return counts
