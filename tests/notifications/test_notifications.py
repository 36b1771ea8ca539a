"""The notification centre: news stored once per user, the e-mail digest (sent, failed, retried), the pages."""

from __future__ import annotations

import smtplib
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from exportwatch.common import clock
from exportwatch.exchange.jobs import EXTRA_STEPS
from exportwatch.notifications import delivery
from exportwatch.notifications.delivery import email_batch, email_one_batch, notifications_email_retry
from exportwatch.notifications.models import EmailState, Notification
from exportwatch.notifications.selectors import unread_count
from exportwatch.notifications.services import notifications_mark_read, notify
from tests.conftest import World

FAILING = "tests.notifications.test_notifications.FailingBackend"


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"mailbox unavailable")})


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tell(users: list[Any], n: int, *, prefix: str = "news", level: str = "red") -> None:
    for i in range(n):
        notify(
            users,
            kind="warning",
            dedupe_key=f"{prefix}:{i}",
            subject=f"Subject {prefix} {i}",
            body=f"Body {i}",
            url=f"/bureau/warnings/{i + 1}/",
            level=level,
        )


@pytest.fixture
def mailed(world: World) -> World:
    """The analyst and the town officer with e-mail addresses."""
    for user, address in ((world.analyst, "analyst@example.com"), (world.town_officer, "officer@example.com")):
        user.email = address
        user.save(update_fields=["email"])
    return world


def test_the_same_news_cannot_be_stored_twice_for_a_user(world: World) -> None:
    fields = {"kind": "warning", "dedupe_key": "k", "subject": "s", "created_at": clock.now()}
    Notification.objects.create(user=world.analyst, **fields)
    Notification.objects.create(user=world.leader, **fields)  # the same news for someone else is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(user=world.analyst, **fields)


def test_notify_is_idempotent(world: World) -> None:
    users = [world.analyst, world.leader]
    assert notify(users, kind="warning", dedupe_key="k1", subject="s", body="b", url="/x/") == 2
    assert notify(users, kind="warning", dedupe_key="k1", subject="s again", body="b", url="/x/") == 0
    assert notify([*users, world.admin], kind="warning", dedupe_key="k1", subject="s", body="b", url="/x/") == 1
    assert Notification.objects.filter(dedupe_key="k1").count() == 3
    assert set(Notification.objects.values_list("subject", flat=True)) == {"s"}


def test_a_user_without_an_e_mail_address_is_not_queued_for_e_mail(mailed: World) -> None:
    tell([mailed.analyst, mailed.leader], 1)
    states = dict(Notification.objects.values_list("user__username", "email_state"))
    assert states == {"analyst": EmailState.PENDING, "leader": EmailState.NONE}


def test_the_email_step_sends_one_digest_per_user_and_marks_them_sent(mailed: World) -> None:
    tell([mailed.analyst], 3)
    tell([mailed.town_officer], 2, prefix="town")
    assert email_one_batch() is True
    assert sorted(m.to[0] for m in mail.outbox) == ["analyst@example.com", "officer@example.com"]
    digest = next(m for m in mail.outbox if m.to == ["analyst@example.com"])
    assert all(f"Subject news {i}" in digest.body for i in range(3))
    assert "http://127.0.0.1:8000/bureau/warnings/1/" in digest.body and "/notifications/" in digest.body
    assert "3" in digest.subject
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SENT}
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert email_one_batch() is False  # nothing more to send
    assert len(mail.outbox) == 2


def test_a_digest_lists_the_first_notices_and_counts_the_rest(mailed: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "DIGEST_MAX_ITEMS", 2)
    tell([mailed.analyst], 5)
    email_one_batch()
    (digest,) = mail.outbox
    assert digest.body.count("- Subject news") == 2
    assert "3" in digest.body.split("- Subject news")[-1]  # … and 3 more
    assert Notification.objects.filter(email_state=EmailState.SENT).count() == 5


def test_a_failing_mail_server_marks_the_notices_failed_with_the_error_and_keeps_them(
    mailed: World, settings: Any
) -> None:
    settings.EMAIL_BACKEND = FAILING
    tell([mailed.analyst], 2)
    assert email_one_batch() is True
    failed = list(Notification.objects.filter(user=mailed.analyst))
    assert len(failed) == 2 and {n.email_state for n in failed} == {EmailState.FAILED}
    assert all("mailbox unavailable" in n.email_error for n in failed)
    assert email_one_batch() is False  # not retried by itself
    page = login(mailed.analyst).get(reverse("notifications:list")).content.decode()
    assert "Subject news 0" in page and "mailbox unavailable" in page  # the notice is kept, the failure shown

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_email_retry() == 2
    assert email_one_batch() is True
    assert len(mail.outbox) == 1
    assert set(Notification.objects.values_list("email_state", "email_error")) == {(EmailState.SENT, "")}


def test_the_command_sends_what_is_pending_and_fails_loudly(mailed: World, settings: Any) -> None:
    tell([mailed.analyst], 1)
    settings.EMAIL_BACKEND = FAILING
    with pytest.raises(CommandError, match="1 e-mail"):
        call_command("notify", "send")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("notify", "send", "--retry-failed")
    assert [m.to for m in mail.outbox] == [["analyst@example.com"]]


def test_a_claim_whose_worker_died_is_sent_again(mailed: World) -> None:
    tell([mailed.analyst], 1)
    Notification.objects.update(
        email_state=EmailState.SENDING, email_claim="dead", emailed_at=clock.now() - delivery.STALE_AFTER * 2
    )
    assert email_batch().requeued == 1
    assert len(mail.outbox) == 1 and Notification.objects.get().email_state == EmailState.SENT


def test_a_user_who_lost_their_address_is_not_e_mailed(mailed: World) -> None:
    tell([mailed.analyst], 1)
    mailed.analyst.email = ""
    mailed.analyst.save(update_fields=["email"])
    assert email_batch().no_address == 1
    assert mail.outbox == [] and Notification.objects.get().email_state == EmailState.NONE


def test_the_worker_runs_the_email_step() -> None:
    assert email_one_batch in EXTRA_STEPS


def test_the_centre_lists_a_users_own_notifications_unread_first(world: World) -> None:
    tell([world.analyst], 3)
    tell([world.leader], 1, prefix="leader")
    first = Notification.objects.get(user=world.analyst, dedupe_key="news:0")
    notifications_mark_read(user=world.analyst, ids=[first.pk])
    page = login(world.analyst).get(reverse("notifications:list")).content.decode()
    assert "Subject leader" not in page
    assert page.index("Subject news 2") < page.index("Subject news 1") < page.index("Subject news 0")
    assert 'href="/bureau/warnings/1/"' in page and "badge warn-red" in page


def test_marking_one_and_then_all_read(world: World) -> None:
    tell([world.analyst], 3)
    client = login(world.analyst)
    one = Notification.objects.get(user=world.analyst, dedupe_key="news:1")
    response = client.post(reverse("notifications:read"), {"id": one.pk, "page": "1"})
    assert response.status_code == 302 and response.url == reverse("notifications:list") + "?page=1"
    one.refresh_from_db()
    assert one.read_at is not None and unread_count(world.analyst) == 2
    client.post(reverse("notifications:read"), {"all": "1"})
    assert unread_count(world.analyst) == 0


def test_another_users_notification_is_refused_with_404(world: World) -> None:
    tell([world.leader], 1)
    theirs = Notification.objects.get(user=world.leader)
    assert login(world.analyst).post(reverse("notifications:read"), {"id": theirs.pk}).status_code == 404
    assert login(world.analyst).post(reverse("notifications:read"), {"id": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_a_post_and_the_centre_a_login(world: World) -> None:
    assert login(world.analyst).get(reverse("notifications:read")).status_code == 405
    response = Client().get(reverse("notifications:list"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_the_bell_shows_the_unread_count_with_one_query(world: World, django_assert_num_queries: Any) -> None:
    tell([world.analyst], 2)
    client = login(world.analyst)
    page = client.get(reverse("accounts:account")).content.decode()
    assert 'data-unread="2"' in page
    notifications_mark_read(user=world.analyst, ids=None)
    assert 'data-unread="0"' in client.get(reverse("accounts:account")).content.decode()
    assert 'data-unread="0"' in login(world.reporter).get(reverse("accounts:account")).content.decode()
    request = RequestFactory().get("/")
    request.user = world.analyst
    request.resolver_match = None
    with django_assert_num_queries(1):
        Template("{% load notification_tags %}{% notifications_bell %}").render(Context({"request": request}))
