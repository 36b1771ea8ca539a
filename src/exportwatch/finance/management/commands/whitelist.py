"""``exportwatch whitelist refresh``: judge the enterprises against the white-list rules and store the list."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from exportwatch.finance.services import whitelist_refresh


class Command(BaseCommand):
    help = (
        "refresh: add the enterprises whose imports plus exports last year reach the white-list threshold, "
        "update the reason, priority and matched products of every entry, and mark those that no longer qualify "
        "(approvals and referrals are kept)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh"])

    def handle(self, *args: Any, **options: Any) -> None:
        result = whitelist_refresh()
        self.stdout.write(
            f"white list: {result.eligible} eligible; {result.added} added, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.no_longer_eligible} no longer eligible"
        )
