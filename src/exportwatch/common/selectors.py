"""Reads of the audit trail: who may read it, the events in a reader's jurisdiction, filtered, a page at a time.

Analysts, leaders and administrators read it. Town officers do not: the trail carries white-list decisions, case
handling and rule changes that their own pages do not show them, and filtering it by object type per role would
repeat those pages' access rules in a second place; they read their enterprises' figures and history on the
enterprise pages. A reader whose region holds every enterprise (or an administrator) reads every event; anyone else
the events stored under their region's path (``AuditEvent.region_path``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from exportwatch.accounts.models import Role
from exportwatch.common.models import AuditEvent
from exportwatch.common.scoping import is_admin, region_codes_visible
from exportwatch.core.codes import normalize_uscc

AUDIT_ROLES = (Role.ANALYST, Role.LEADER)


def audit_may_read(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and (is_admin(user) or user.role in AUDIT_ROLES))


def audit_events_visible(user: Any) -> QuerySet[AuditEvent]:
    """Every event ``user`` may read, newest first."""
    events = AuditEvent.objects.select_related("actor").order_by("-at", "-id")
    if not audit_may_read(user):
        return events.none()
    if region_codes_visible(user) is None:
        return events
    if not user.region_id:
        return events.none()
    return events.filter(region_path__startswith=user.region.path)


@dataclass(frozen=True)
class AuditFilter:
    object_type: str = ""
    action: str = ""
    actor: str = ""  # part of a user name
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str = ""  # part of the object's key, or an enterprise's code
    uscc: str = ""  # one enterprise's history


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_events_filter(events: QuerySet[AuditEvent], f: AuditFilter) -> QuerySet[AuditEvent]:
    if f.object_type:
        events = events.filter(object_type=f.object_type)
    if f.action:
        events = events.filter(action=f.action)
    if f.actor:
        events = events.filter(
            Q(actor__username__icontains=f.actor)
            | Q(actor__first_name__icontains=f.actor)
            | Q(actor__last_name__icontains=f.actor)
        )
    if f.date_from is not None:
        events = events.filter(at__gte=_day_start(f.date_from))
    if f.date_to is not None:
        events = events.filter(at__lt=_day_start(f.date_to + dt.timedelta(days=1)))
    if f.text:
        events = events.filter(Q(object_key__icontains=f.text) | Q(uscc=normalize_uscc(f.text)))
    if f.uscc:
        events = events.filter(uscc=normalize_uscc(f.uscc))
    return events


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    number: int
    has_previous: bool
    has_next: bool


def audit_page(events: QuerySet[AuditEvent], *, number: int, per_page: int) -> AuditPage:
    """One page, cut in SQL (LIMIT/OFFSET, one row more to know whether another page follows); the total is never
    counted, which on a trail of millions of events would scan it all."""
    number = max(1, number)
    start = (number - 1) * per_page
    rows = list(events[start : start + per_page + 1])
    return AuditPage(events=rows[:per_page], number=number, has_previous=number > 1, has_next=len(rows) > per_page)
