from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from exportwatch.demo.loader import DEMO_PASSWORD, demo_load


def _pad(text: str, width: int) -> str:
    """Left-justify for a terminal, where a Chinese character takes two columns."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - shown)


class Command(BaseCommand):
    help = "Initialise the database and load the demo district (idempotent), then print one login per role."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("init", verbosity=0, stdout=self.stdout)
        summary = demo_load()
        self.stdout.write(
            f"demo district: {summary.enterprises} enterprises ({summary.head} head, "
            f"{summary.whitelist} white-list eligible), {summary.reports} reports, {summary.lines} lines, "
            f"{summary.disruptions} disruption events, {summary.needs} needs, {summary.cases} cases; "
            f"added now: {summary.added_enterprises} enterprises, {summary.added_reports} reports, "
            f"{summary.added_cases} cases, {summary.added_referrals} white-list referrals"
        )
        self.stdout.write(f"demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, scope in summary.logins:
            self.stdout.write(f"  {username:<18} {_pad(role, 16)} {scope}")
