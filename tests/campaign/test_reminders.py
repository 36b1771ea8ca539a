"""Reminders across a deadline, with the clock frozen: once per enterprise, deadline and point, even when the job
runs twice or two workers race."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from exportwatch.campaign import services
from exportwatch.campaign.models import ReminderPoint, ReminderSent
from exportwatch.campaign.services import handle_one_reminder, reminder_point_create, reminders_send
from exportwatch.directory.models import Region, Segment
from exportwatch.exchange.jobs import EXTRA_STEPS
from exportwatch.notifications.models import EmailState, Kind, Notification
from tests.conftest import World
from tests.reporting.factories import submit

Travel = Callable[[dt.date], dt.datetime]


def day(n: int) -> dt.date:
    return dt.date(2020, 4, n)  # the 2020-03 reports are due on 2020-04-05


def sent() -> set[tuple[str, int]]:
    return {(r.enterprise.name, r.offset_days) for r in ReminderSent.objects.select_related("enterprise")}


def run_all() -> int:
    steps = 0
    while handle_one_reminder():
        steps += 1
    return steps


def ensure_default_schedule() -> None:
    """The default points, as the migration adds them (a transactional test's flush removes them)."""
    if not ReminderPoint.objects.exists():
        now = dt.datetime.now(dt.UTC)
        ReminderPoint.objects.bulk_create([ReminderPoint(offset_days=o, created_at=now) for o in (-3, 0, 1, 3)])


@pytest.fixture
def with_email(world: World) -> World:
    ensure_default_schedule()
    for user in (world.reporter, world.other_reporter):
        user.email = f"{user.username}@example.com"
        user.save()
    return world


def test_the_worker_runs_the_reminder_step() -> None:
    assert handle_one_reminder in EXTRA_STEPS


def test_the_default_schedule_is_three_days_before_on_the_day_one_and_three_days_after(db: Any) -> None:
    assert sorted(ReminderPoint.objects.filter(active=True).values_list("offset_days", flat=True)) == [-3, 0, 1, 3]


def test_nothing_is_sent_before_the_first_point(with_email: World, clock_at: Travel) -> None:
    clock_at(day(1))
    assert handle_one_reminder() is False
    assert not ReminderSent.objects.exists()


def test_reminders_follow_the_schedule_across_the_deadline(with_email: World, clock_at: Travel) -> None:
    w = with_email
    names = {w.ent_a.name, w.ent_b.name, w.ent_c.name, w.ent_far.name}
    clock_at(day(2))
    run_all()
    assert sent() == {(n, -3) for n in names}
    # The reporters are told in the app, with a link to the report, and the digest will e-mail them.
    notice = Notification.objects.get(user=w.reporter)
    assert notice.kind == Kind.REMINDER
    assert notice.url == f"/report/{w.ent_a.uscc}/2020-03/edit/"
    assert notice.email_state == EmailState.PENDING
    assert "2020-03" in notice.subject and "2020-04-05" in notice.subject

    submit(w.ent_a, "2020-03", on=day(3))  # the first enterprise reports on time: no more reminders for it
    clock_at(day(4))
    assert run_all() == 0
    clock_at(day(5))
    run_all()
    clock_at(day(6))
    run_all()
    clock_at(day(7))
    assert run_all() == 0  # no point on the 7th
    clock_at(day(8))
    run_all()
    clock_at(day(9))
    assert run_all() == 0  # the deadline's last point has passed
    late = names - {w.ent_a.name}
    assert sent() == {(n, -3) for n in names} | {(n, o) for n in late for o in (0, 1, 3)}
    assert Notification.objects.filter(user=w.reporter).count() == 1
    assert Notification.objects.filter(user=w.other_reporter).count() == 4


def test_the_job_run_twice_sends_each_late_enterprise_one_reminder_per_point(
    with_email: World, clock_at: Travel
) -> None:
    w = with_email
    for n in (2, 5, 6, 8):
        clock_at(day(n))
        run_all()
        run_all()
        reminders_send()
    per_key = Counter((r.enterprise_id, r.period, r.offset_days) for r in ReminderSent.objects.all())
    assert set(per_key.values()) == {1}
    assert len(per_key) == 4 * 4  # four enterprises, four points
    assert Notification.objects.filter(user=w.other_reporter, kind=Kind.REMINDER).count() == 4
    # The enterprise without a reporter is recorded as reminded, with nobody to tell.
    assert ReminderSent.objects.filter(enterprise=w.ent_far, recipients=0).count() == 4
    assert set(ReminderSent.objects.filter(enterprise=w.ent_c).values_list("recipients", flat=True)) == {1}


def test_a_worker_that_lost_the_race_sends_nothing(with_email: World, clock_at: Travel, monkeypatch: Any) -> None:
    w = with_email
    clock_at(day(5))
    stale = services.reminders_due(today=day(5))  # worker A looks...
    assert reminders_send().reminded == 4  # ...worker B claims and sends first...
    monkeypatch.setattr(services, "reminders_due", lambda today: stale)
    step = reminders_send()  # ...worker A's insert of the same keys is ignored: it claims and tells nobody
    assert step.reminded == 0 and step.notices == 0
    assert Notification.objects.filter(user=w.other_reporter).count() == 1


def test_a_missed_day_sends_the_latest_point_only(with_email: World, clock_at: Travel) -> None:
    clock_at(day(8))
    run_all()
    assert {o for _n, o in sent()} == {3}


def test_a_point_can_target_a_town_or_a_segment(with_email: World, clock_at: Travel) -> None:
    w = with_email
    ReminderPoint.objects.all().delete()
    reminder_point_create(offset_days=2, town=Region.objects.get(code="330213100"), segment="", actor=w.analyst)
    reminder_point_create(offset_days=4, town=None, segment="us_exporter", actor=w.analyst)
    reminder_point_create(offset_days=6, town=None, segment="head", actor=w.analyst)
    w.ent_b.segments.add(Segment.objects.get(code="us_exporter"))
    clock_at(day(7))
    run_all()
    assert sent() == {(w.ent_c.name, 2)}
    clock_at(day(9))
    run_all()
    assert sent() == {(w.ent_c.name, 2), (w.ent_b.name, 4)}
    clock_at(day(11))
    run_all()
    assert sent() == {(w.ent_c.name, 2), (w.ent_b.name, 4), (w.ent_a.name, 6)}  # ent_a is a head enterprise


def test_a_switched_off_point_sends_nothing(with_email: World, clock_at: Travel) -> None:
    ReminderPoint.objects.update(active=False)
    clock_at(day(5))
    assert run_all() == 0


def test_the_command_runs_one_pass(with_email: World, clock_at: Travel) -> None:
    clock_at(day(6))
    out = StringIO()
    call_command("reminders", "send", stdout=out)
    assert "2020-03 (deadline 2020-04-05): 4 enterprise(s) reminded, 2 notification(s) stored" in out.getvalue()
    out = StringIO()
    call_command("reminders", "send", stdout=out)
    assert "0 enterprise(s) reminded" in out.getvalue()
    clock_at(day(20))
    out = StringIO()
    call_command("reminders", "send", stdout=out)
    assert "nothing to remind" in out.getvalue()


def test_the_reminders_go_out_by_email_in_the_digest(with_email: World, clock_at: Travel) -> None:
    from django.core import mail

    from exportwatch.notifications.delivery import email_batch

    clock_at(day(5))
    run_all()
    assert email_batch().sent == 2
    by_reader = {m.to[0]: m.body for m in mail.outbox}
    assert set(by_reader) == {"reporter@example.com", "other_reporter@example.com"}
    assert with_email.ent_c.name in by_reader["other_reporter@example.com"]
    assert f"/report/{with_email.ent_c.uscc}/2020-03/edit/" in by_reader["other_reporter@example.com"]


def test_a_failed_reminder_email_is_recorded_and_listed(
    with_email: World, clock_at: Travel, settings: Any, client_for: Any
) -> None:
    from django.urls import reverse

    from exportwatch.notifications.delivery import email_batch

    settings.EMAIL_BACKEND = "tests.campaign.test_reminders.BrokenBackend"
    clock_at(day(5))
    run_all()
    assert email_batch().failed == 2
    notice = Notification.objects.get(user=with_email.other_reporter)
    assert notice.email_state == EmailState.FAILED and "mail server down" in notice.email_error
    page = client_for(with_email.admin).get(reverse("campaign:failures")).content.decode()
    assert "mail server down" in page and notice.subject in page


class BrokenBackend:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def open(self) -> None:
        raise ConnectionRefusedError("mail server down")

    def close(self) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")


@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="two workers at once need PostgreSQL (SQLite's in-memory test database locks whole tables)",
)
def test_two_workers_at_once_remind_each_enterprise_once(world_tx: World, settings: Any) -> None:
    from django.db import connection

    ensure_default_schedule()
    settings.EXPORTWATCH_TODAY = day(5)
    start = threading.Barrier(2)
    results: list[int] = []

    def worker() -> None:
        try:
            start.wait()
            results.append(reminders_send().reminded)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results)[-1] + sorted(results)[0] == 4  # the four enterprises, claimed once between them
    assert ReminderSent.objects.count() == 4
    assert Notification.objects.filter(user=world_tx.other_reporter).count() == 1
