"""Writes of the reporting campaign: quotas and the reminder schedule (audited), and sending the reminders.

``handle_one_reminder`` (a step of the background worker, registered in ``apps.py``; also ``exportwatch reminders
send``) finds the current deadline (``schedule.current_deadline``), the enterprises that have not reported for its
month and whose schedule point has come (``schedule.point_due``, over the points that target each enterprise),
claims up to ``REMINDER_BATCH`` of them by inserting their ``ReminderSent`` rows (unique per enterprise, month and
point: a second worker's insert of the same key is ignored, so only one of them notifies), and tells each
enterprise's reporters in the app; the e-mail goes out with their next notification digest
(``notifications.delivery``), which records a failure on the notification.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from exportwatch.accounts.models import Role
from exportwatch.campaign.models import Frequency, ReminderPoint, ReminderSent, TownQuota
from exportwatch.campaign.schedule import current_deadline, point_due
from exportwatch.campaign.selectors import enterprises_targeted, reminder_points_active
from exportwatch.common import clock
from exportwatch.common.audit import audit_record
from exportwatch.core.periods import period_add, period_of
from exportwatch.directory.models import Region
from exportwatch.notifications.delivery import notifications_email_retry
from exportwatch.notifications.models import Kind
from exportwatch.notifications.services import News, news_store
from exportwatch.reporting.models import Report
from exportwatch.reporting.selectors import deadline_of

REMINDER_BATCH = 200  # enterprises reminded per step


def town_quota_set(*, town: Region, expected: int, actor: Any, note: str = "") -> TownQuota:
    """Set ``town``'s quota of enterprises expected to report each month; audited."""
    if expected < 0:
        raise ValueError("a quota cannot be negative")
    with transaction.atomic():
        quota = TownQuota.objects.select_for_update().filter(town=town).first()
        old = None if quota is None else {"expected": quota.expected, "frequency": quota.frequency}
        if quota is None:
            quota = TownQuota(town=town)
        quota.expected = expected
        quota.frequency = Frequency.MONTHLY
        quota.updated_at = clock.now()
        quota.updated_by = actor if getattr(actor, "pk", None) else None
        quota.save()
        audit_record(
            actor=actor,
            action="quota.set",
            object_type="town_quota",
            object_key=town.code,
            old=old,
            new={"expected": expected, "frequency": quota.frequency},
            note=note,
            region=town,
        )
    return quota


def reminder_point_create(*, offset_days: int, town: Region | None, segment: str, actor: Any) -> ReminderPoint:
    """Add a point to the reminder schedule; audited."""
    with transaction.atomic():
        point = ReminderPoint.objects.create(
            offset_days=offset_days,
            town=town,
            segment=segment,
            created_at=clock.now(),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            action="reminder_point.create",
            object_type="reminder_point",
            object_key=str(point.pk),
            new={"offset_days": offset_days, "town": town.code if town else "", "segment": segment},
            region=town,
        )
    return point


def reminder_point_set_active(*, point: ReminderPoint, active: bool, actor: Any) -> ReminderPoint:
    """Switch a schedule point on or off (kept, so its history stays readable); audited."""
    with transaction.atomic():
        old = point.active
        point.active = active
        point.save(update_fields=["active"])
        audit_record(
            actor=actor,
            action="reminder_point.activate" if active else "reminder_point.deactivate",
            object_type="reminder_point",
            object_key=str(point.pk),
            old={"active": old},
            new={"active": active},
            region=point.town,
        )
    return point


def email_failures_retry(*, actor: Any) -> int:
    """Queue every failed notification e-mail again (``notifications_email_retry``); audited."""
    with transaction.atomic():
        queued = notifications_email_retry()
        audit_record(
            actor=actor,
            action="notification_email.retry",
            object_type="notification",
            object_key="failed",
            new={"queued": queued},
        )
    return queued


@dataclass(frozen=True)
class ReminderStep:
    """What one step did: the deadline it worked on, the enterprises it reminded and the notices it stored."""

    period: str = ""
    deadline: dt.date | None = None
    reminded: int = 0
    notices: int = 0


def handle_one_reminder() -> bool:
    """One step of the background worker: remind the next batch of enterprises; False when none was due."""
    return reminders_send().reminded > 0


def reminders_due(*, today: dt.date) -> tuple[str, dt.date, dict[int, int]] | None:
    """The current deadline's month, the deadline, and each unreported enterprise's due point (enterprise id ->
    offset) not yet sent; None when no deadline is current."""
    points = reminder_points_active()
    cur = period_of(today)
    deadlines = [(p, deadline_of(p)) for p in (period_add(cur, k) for k in (-2, -1, 0))]
    current = current_deadline(today=today, deadlines=deadlines, offsets={p.offset_days for p in points})
    if current is None:
        return None
    period, deadline = current
    offsets_of: dict[int, set[int]] = defaultdict(set)
    for point in points:
        if deadline + dt.timedelta(days=point.offset_days) > today:
            continue  # not come yet
        for pk in enterprises_targeted(point).values_list("pk", flat=True):
            offsets_of[pk].add(point.offset_days)
    if not offsets_of:
        return period, deadline, {}
    # Not reported: no version of the month's report (``reporting_status``: pending or missing).
    reported = set(Report.objects.filter(period=period).values_list("enterprise_id", flat=True).distinct())
    sent = set(ReminderSent.objects.filter(period=period).values_list("enterprise_id", "offset_days"))
    due: dict[int, int] = {}
    for pk, offsets in offsets_of.items():
        if pk in reported:
            continue
        offset = point_due(today=today, deadline=deadline, offsets=offsets)
        if offset is not None and (pk, offset) not in sent:
            due[pk] = offset
    return period, deadline, due


def reminders_send(*, batch: int = REMINDER_BATCH) -> ReminderStep:
    """Claim and send the reminders of up to ``batch`` enterprises (see the module's docstring)."""
    found = reminders_due(today=clock.today())
    if found is None:
        return ReminderStep()
    period, deadline, due = found
    todo = sorted(due.items())[:batch]
    if not todo:
        return ReminderStep(period=period, deadline=deadline)
    claim = uuid.uuid4().hex
    with transaction.atomic():
        ReminderSent.objects.bulk_create(
            [
                ReminderSent(enterprise_id=pk, period=period, offset_days=o, claim=claim, sent_at=clock.now())
                for pk, o in todo
            ],
            ignore_conflicts=True,  # another worker claimed it first: it reminds, we do not
        )
        mine = list(ReminderSent.objects.filter(claim=claim).select_related("enterprise"))
        readers: dict[int, list[tuple[int, bool]]] = defaultdict(list)
        for pk, email, enterprise_id in (
            get_user_model()
            .objects.filter(role=Role.REPORTER, is_active=True, enterprise_id__in=[r.enterprise_id for r in mine])
            .values_list("pk", "email", "enterprise_id")
        ):
            readers[enterprise_id].append((pk, bool(email)))
        with translation.override(settings.LANGUAGE_CODE):  # the readers' language is not known here
            news = [_reminder_news(row, deadline, readers[row.enterprise_id]) for row in mine]
        notices = news_store(news)
        by_count: dict[int, list[int]] = defaultdict(list)
        for row in mine:
            by_count[len(readers[row.enterprise_id])].append(row.pk)
        for n, pks in by_count.items():
            if n:
                ReminderSent.objects.filter(pk__in=pks).update(recipients=n)
    return ReminderStep(period=period, deadline=deadline, reminded=len(mine), notices=notices)


def _reminder_news(row: ReminderSent, deadline: dt.date, readers: list[tuple[int, bool]]) -> News:
    ent = row.enterprise
    values = {"period": row.period, "name": ent.name, "deadline": deadline.isoformat()}
    if row.offset_days < 0:
        subject = _("Reminder: the %(period)s report of %(name)s is due on %(deadline)s") % values
    elif row.offset_days == 0:
        subject = _("Due today: the %(period)s report of %(name)s is due today, %(deadline)s") % values
    else:
        subject = _("Overdue: the %(period)s report of %(name)s was due on %(deadline)s") % values
    return News(
        kind=Kind.REMINDER,
        dedupe_key=f"reminder:{row.period}:{row.offset_days:+d}:{ent.uscc}",
        subject=subject,
        body=_("Please submit the monthly export-order report."),
        url=reverse("reporting:edit", args=[ent.uscc, row.period]),
        readers=readers,
    )
