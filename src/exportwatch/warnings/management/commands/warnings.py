"""``exportwatch warnings evaluate --period YYYY-MM | --all``: evaluate the warning rules and store the warnings."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exportwatch.core.codes import parse_period
from exportwatch.reporting.models import Report
from exportwatch.warnings.models import PendingMonth
from exportwatch.warnings.services import warnings_evaluate


class Command(BaseCommand):
    help = (
        "evaluate: apply every enabled rule and the systemic lamp to a month (--period), to every month with "
        "reports, oldest first (--all), or to the months a bulk import left pending (--pending), and store the "
        "warnings (a warning that stops firing is kept, inactive)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["evaluate"])
        parser.add_argument("--period", help="YYYY-MM")
        parser.add_argument("--all", action="store_true", help="every month with reports, oldest first")
        parser.add_argument("--pending", action="store_true", help="the months a bulk import left to re-evaluate")

    def handle(self, *args: Any, **options: Any) -> None:
        period, every, pending = options["period"], options["all"], options["pending"]
        if sum(map(bool, (period, every, pending))) != 1:
            raise CommandError("give one of --period YYYY-MM, --all or --pending")
        if period and parse_period(period) is None:
            raise CommandError(f"--period {period!r} is not YYYY-MM")
        if pending:
            periods = sorted(PendingMonth.objects.values_list("period", flat=True))
        else:
            periods = [period] if period else sorted(set(Report.objects.values_list("period", flat=True)))
        for p in periods:
            start = time.perf_counter()
            result = warnings_evaluate(period=p)
            levels = ", ".join(f"{k} {v}" for k, v in sorted(result.by_level.items()))
            self.stdout.write(
                f"{p}: {result.warnings} warnings ({levels or 'none'}), {result.closed} no longer firing, "
                f"systemic lamp {result.lamp or 'green'} ({time.perf_counter() - start:.2f} s)"
            )
