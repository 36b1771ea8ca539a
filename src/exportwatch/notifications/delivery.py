"""E-mail delivery of notifications: one digest per user and batch, as a small restartable background step.

``email_one_batch`` (registered in ``exchange.jobs.EXTRA_STEPS``; also ``exportwatch notify send``) takes the users
with pending notifications, oldest news first, ``EMAIL_BATCH_USERS`` at a time; claims their pending notifications
with a conditional UPDATE (so two workers never send the same one); sends each user ONE e-mail listing them (a
province's evaluation may raise thousands of warnings: never one mail per warning); and marks them sent, or failed
with the error. A failure is logged and stays visible on the notification (the in-app notice is never lost); it is
not retried by itself (a broken mail server would otherwise be hammered): ``exportwatch notify send --retry-failed``
queues the failed ones again. A worker that dies in the middle leaves its claim ``sending``; after
``STALE_AFTER`` the next step puts it back in the queue (the digest may then go out twice, never zero times).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db.models import Case, Count, IntegerField, Min, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from exportwatch.common import clock
from exportwatch.notifications.models import EmailState, Level, Notification

logger = logging.getLogger(__name__)

EMAIL_BATCH_USERS = 20  # users (so e-mails) per step
DIGEST_MAX_ITEMS = 50  # notices listed in one digest; the rest are counted and linked
STALE_AFTER = dt.timedelta(minutes=10)  # a claim this old has lost its worker
MAX_ERROR_CHARS = 2_000

_WORST_FIRST = Case(
    *(When(level=lv, then=Value(len(Level.values) - i)) for i, lv in enumerate(Level.values)),
    default=Value(0),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class Delivery:
    """What one step did: e-mails sent and failed, notices they covered, notices of users without an address, and
    notices put back in the queue after their worker died."""

    sent: int = 0
    failed: int = 0
    notices_sent: int = 0
    notices_failed: int = 0
    no_address: int = 0
    requeued: int = 0

    @property
    def did_work(self) -> bool:
        return bool(self.sent or self.failed or self.no_address or self.requeued)


def email_one_batch() -> bool:
    """One step of the background worker: send the next batch of digests; False when nothing was due."""
    return email_batch().did_work


def email_batch(*, users: int = EMAIL_BATCH_USERS) -> Delivery:
    """Send one digest to each of (at most) ``users`` users with pending notifications (see the module's
    docstring)."""
    now = clock.now()
    requeued = _requeue_stale(now)
    firsts = (
        Notification.objects.filter(email_state=EmailState.PENDING)
        .values("user_id")
        .annotate(first=Min("id"))
        .order_by("first")[:users]
    )
    user_ids = [row["user_id"] for row in firsts]
    if not user_ids:
        return Delivery(requeued=requeued)
    claim = uuid.uuid4().hex
    Notification.objects.filter(user_id__in=user_ids, email_state=EmailState.PENDING).update(
        email_state=EmailState.SENDING, email_claim=claim, emailed_at=now
    )
    mine = Notification.objects.filter(email_state=EmailState.SENDING, email_claim=claim)
    counts = dict(mine.order_by().values("user_id").annotate(n=Count("id")).values_list("user_id", "n"))
    readers = {u.pk: u for u in get_user_model().objects.filter(pk__in=list(counts))}

    sent = failed = notices_sent = notices_failed = no_address = 0
    connection = mail.get_connection(fail_silently=False)
    broken: Exception | None = None
    try:
        connection.open()
    except Exception as exc:  # the mail server is unreachable: every digest of the batch fails with its error
        broken = exc
    try:
        for user_id, n in sorted(counts.items()):
            rows = mine.filter(user_id=user_id)
            reader = readers.get(user_id)
            if reader is None or not reader.is_active or not reader.email:
                no_address += rows.update(email_state=EmailState.NONE, email_claim="")
                continue
            error = broken or _send(connection, reader, rows, n)
            if error is None:
                rows.update(email_state=EmailState.SENT, email_error="", email_claim="", emailed_at=clock.now())
                sent, notices_sent = sent + 1, notices_sent + n
            else:
                logger.warning("notification digest to user %s failed: %s", user_id, error)
                text = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
                rows.update(email_state=EmailState.FAILED, email_error=text, email_claim="", emailed_at=clock.now())
                failed, notices_failed = failed + 1, notices_failed + n
    finally:
        try:
            connection.close()
        except Exception:  # closing a broken connection must not hide what was recorded
            logger.exception("closing the mail connection failed")
    return Delivery(
        sent=sent,
        failed=failed,
        notices_sent=notices_sent,
        notices_failed=notices_failed,
        no_address=no_address,
        requeued=requeued,
    )


def notifications_email_retry() -> int:
    """Queue every failed e-mail again (its error is kept until the next attempt); returns how many."""
    queued = Notification.objects.filter(email_state=EmailState.FAILED).update(
        email_state=EmailState.PENDING, email_claim=""
    )
    return int(queued)


def _requeue_stale(now: dt.datetime) -> int:
    # A claim later than now: a frozen day's clock (EXPORTWATCH_TODAY) went round midnight since it was made.
    stale = Q(emailed_at__lt=now - STALE_AFTER) | Q(emailed_at__gt=now + dt.timedelta(minutes=1))
    requeued = Notification.objects.filter(stale, email_state=EmailState.SENDING).update(
        email_state=EmailState.PENDING, email_claim=""
    )
    return int(requeued)


def _send(connection: Any, reader: Any, rows: QuerySet[Notification], total: int) -> Exception | None:
    """Send ``reader`` the digest of ``rows``; the error, or None when the backend took the message."""
    items = list(rows.order_by(_WORST_FIRST.desc(), "-created_at", "-id")[:DIGEST_MAX_ITEMS])
    with translation.override(settings.LANGUAGE_CODE):  # the recipient's language is not known here
        subject, body = digest_text(reader, items, total)
    message = mail.EmailMessage(subject=subject, body=body, to=[reader.email], connection=connection)
    try:
        if connection.send_messages([message]) != 1:
            return RuntimeError("the mail backend did not take the message")
    except Exception as exc:  # SMTP errors come in many types; each is recorded on the notices
        return exc
    return None


def digest_text(reader: Any, items: list[Notification], total: int) -> tuple[str, str]:
    """The digest's subject and text: the notices (worst first), each with its link, and how many more there are."""
    subject = ngettext("ExportWatch: %(n)d new notification", "ExportWatch: %(n)d new notifications", total) % {
        "n": total
    }
    name = reader.get_full_name() or reader.username
    lines = [
        _("Hello %(name)s,") % {"name": name},
        "",
        ngettext(
            "You have %(n)d new notification in ExportWatch:", "You have %(n)d new notifications in ExportWatch:", total
        )
        % {"n": total},
        "",
    ]
    for item in items:
        lines.append(f"- {item.subject}")
        if item.body:
            lines.append(f"  {item.body}")
        if item.url:
            lines.append(f"  {absolute(item.url)}")
    more = total - len(items)
    if more > 0:
        lines += ["", _("… and %(n)d more.") % {"n": more}]
    lines += ["", _("All your notifications: %(url)s") % {"url": absolute(reverse("notifications:list"))}]
    return subject, "\n".join(lines) + "\n"


def absolute(url: str) -> str:
    """A path on this site as a link an e-mail reader can follow (``EXPORTWATCH_SITE_URL``)."""
    if url.startswith("/"):
        return f"{settings.EXPORTWATCH_SITE_URL}{url}"
    return url
