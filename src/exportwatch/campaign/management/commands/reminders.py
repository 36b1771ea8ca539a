"""``exportwatch reminders send``: one pass of the reporting reminders now (the worker runs the same steps)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from exportwatch.campaign.services import reminders_send


class Command(BaseCommand):
    help = (
        "send: remind the reporters of every enterprise that has not reported for the current deadline's month and "
        "whose schedule point has come (once per enterprise, deadline and point); the e-mails go out with the next "
        "notification digest (exportwatch notify send)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["send"])

    def handle(self, *args: Any, **options: Any) -> None:
        reminded = notices = 0
        period, deadline = "", None
        while True:
            step = reminders_send()
            period, deadline = step.period or period, step.deadline or deadline
            if not step.reminded:
                break
            reminded, notices = reminded + step.reminded, notices + step.notices
        if deadline is None:
            self.stdout.write("no deadline is current: nothing to remind")
            return
        self.stdout.write(
            f"{period} (deadline {deadline.isoformat()}): {reminded} enterprise(s) reminded, "
            f"{notices} notification(s) stored"
        )
