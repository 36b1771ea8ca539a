"""``exportwatch notify send [--retry-failed]``: send the pending notification e-mails now (one digest per user)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exportwatch.notifications.delivery import email_batch, notifications_email_retry


class Command(BaseCommand):
    help = (
        "send: e-mail every user with pending notifications one digest of them (what the background worker does "
        "in steps); --retry-failed first queues the e-mails that failed again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["send"])
        parser.add_argument("--retry-failed", action="store_true", help="queue the failed e-mails again first")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry_failed"]:
            self.stdout.write(f"{notifications_email_retry()} failed notification(s) queued again")
        sent = failed = notices = no_address = 0
        while (step := email_batch()).did_work:
            sent, failed, no_address = sent + step.sent, failed + step.failed, no_address + step.no_address
            notices += step.notices_sent
        self.stdout.write(
            f"{sent} e-mail(s) sent ({notices} notification(s)), {failed} failed, "
            f"{no_address} notification(s) of users without an e-mail address"
        )
        if failed:
            raise CommandError(f"{failed} e-mail(s) failed: each keeps its error on its notifications (admin)")
