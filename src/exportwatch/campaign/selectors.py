"""Scoped reads of the reporting campaign. Callers pass enterprises already scoped by exportwatch.common.scoping.

The statuses come from ``reporting.selectors.reporting_status_rows`` and the rates from
``core.reporting_rates``: the campaign page counts exactly what the reporting status page counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from exportwatch.accounts.models import Role
from exportwatch.campaign.models import HEAD, ReminderPoint, TownQuota
from exportwatch.common.scoping import is_admin
from exportwatch.core.periods import LATE, MISSING
from exportwatch.core.reporting_rates import (
    ExpectedReport,
    ReportingRates,
    reporting_rates,
    reporting_rates_by,
    reporting_rates_by_tags,
)
from exportwatch.directory.models import Enterprise, Region, Segment
from exportwatch.notifications.models import EmailState, Notification
from exportwatch.reporting.models import Report
from exportwatch.reporting.selectors import StatusRow, reporting_status_rows


@dataclass(frozen=True)
class TownRow:
    code: str
    name: str
    quota: TownQuota | None
    rates: ReportingRates

    @property
    def quota_attainment(self) -> float | None:
        """Enterprises that reported / the quota: a fraction (above 1 when more report than the quota asks)."""
        if self.quota is None or self.quota.expected == 0:
            return None
        return self.rates.reported / self.quota.expected

    @property
    def quota_gap(self) -> int | None:
        """How many more enterprises must report to meet the quota (0 when met)."""
        return None if self.quota is None else max(self.quota.expected - self.rates.reported, 0)


@dataclass(frozen=True)
class SegmentRow:
    code: str
    name: str
    rates: ReportingRates


@dataclass(frozen=True)
class Campaign:
    period: str
    total: ReportingRates
    quota_total: int
    towns: list[TownRow]
    segments: list[SegmentRow]
    late: list[StatusRow]
    missing: list[StatusRow]
    never: list[StatusRow]  # missing, and no report for any earlier month either


def segments_of(enterprise: Enterprise) -> tuple[str, ...]:
    """The directory segments of an enterprise (prefetched) and ``head`` for a head enterprise."""
    codes = tuple(s.code for s in enterprise.segments.all())
    return (*codes, HEAD) if enterprise.is_head else codes


def segment_choices() -> list[tuple[str, str]]:
    """Every segment a campaign is broken down or targeted by: head enterprises first, then the directory's."""
    return [(HEAD, _("Head enterprises")), *((s.code, s.label) for s in Segment.objects.order_by("code"))]


def campaign_get(*, enterprises: QuerySet[Enterprise], towns: list[Region], period: str) -> Campaign:
    """The campaign for ``period`` over ``enterprises``: each town of ``towns`` (those the reader may see) with a
    quota or an enterprise, against its quota; each segment; and the late, missing and never-reporting
    enterprises."""
    rows = reporting_status_rows(enterprises=enterprises.prefetch_related("segments"), period=period)
    expected = [
        ExpectedReport(
            uscc=r.enterprise.uscc, status=r.status, town=r.enterprise.town_id, segments=segments_of(r.enterprise)
        )
        for r in rows
    ]
    by_town = reporting_rates_by(expected, key="town")
    by_segment = reporting_rates_by_tags(expected, tags="segments")
    quotas = {q.town_id: q for q in TownQuota.objects.filter(town__in=[t.code for t in towns])}
    # The towns with a quota or an enterprise (an enterprise registered on a node that is not a town still counts).
    shown_towns = {t.code: t for t in towns if t.code in quotas or t.code in by_town}
    for code in by_town:
        if code not in shown_towns:
            shown_towns[code] = Region.objects.get(code=code)
    town_rows = [
        TownRow(code=t.code, name=t.label, quota=quotas.get(t.code), rates=by_town.get(t.code, ReportingRates()))
        for t in sorted(shown_towns.values(), key=lambda t: t.code)
    ]
    segment_rows = [
        SegmentRow(code=code, name=name, rates=by_segment.get(code, ReportingRates()))
        for code, name in segment_choices()
    ]
    missing = sorted((r for r in rows if r.status == MISSING), key=lambda r: r.enterprise.name)
    ever = set(
        Report.objects.filter(enterprise__in=[r.enterprise.pk for r in missing], period__lt=period)
        .values_list("enterprise_id", flat=True)
        .distinct()
    )
    return Campaign(
        period=period,
        total=reporting_rates(r.status for r in rows),
        quota_total=sum(q.expected for q in quotas.values()),
        towns=town_rows,
        segments=segment_rows,
        late=sorted((r for r in rows if r.status == LATE), key=lambda r: r.enterprise.name),
        missing=missing,
        never=[r for r in missing if r.enterprise.pk not in ever],
    )


def quota_of(town: Region) -> TownQuota | None:
    return TownQuota.objects.filter(town=town).first()


def reminder_points() -> QuerySet[ReminderPoint]:
    return ReminderPoint.objects.select_related("town", "created_by")


def reminder_points_active() -> list[ReminderPoint]:
    return list(ReminderPoint.objects.filter(active=True).select_related("town"))


def enterprises_targeted(point: ReminderPoint) -> QuerySet[Enterprise]:
    """The enterprises a schedule point applies to (its town and segment; every enterprise when neither)."""
    qs = Enterprise.objects.all()
    if point.town_id is not None:
        qs = qs.filter(town__path__startswith=point.town.path)
    if point.segment == HEAD:
        qs = qs.head()
    elif point.segment:
        qs = qs.filter(segments__code=point.segment)
    return qs


def email_failures_visible(user: Any) -> QuerySet[Notification]:
    """The notifications whose e-mail failed, of the users ``user`` may see: an administrator every one; an
    analyst those of the reporters of the enterprises in their region and of the bureau users of that region."""
    qs = Notification.objects.filter(email_state=EmailState.FAILED).select_related("user")
    if is_admin(user):
        return qs
    if user.is_authenticated and user.is_active and user.role == Role.ANALYST and user.region_id:
        path = user.region.path
        return qs.filter(Q(user__enterprise__town__path__startswith=path) | Q(user__region__path__startswith=path))
    return qs.none()
