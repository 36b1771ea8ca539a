"""``exportwatch forecasts compute [--period YYYY-MM]``: every series' forecast from an origin month, stored."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exportwatch.core.codes import parse_period
from exportwatch.forecasting.services import forecasts_compute


class Command(BaseCommand):
    help = (
        "compute: backtest every model on every series (district, markets, market groups, HS chapters, industries, "
        "towns, head enterprises), choose each series' model by its record and store its forecast 1-6 months ahead "
        "from the origin month (default: the latest month up to today whose reports are in: its deadline passed, or "
        "90 % as many enterprises as the month before have reported it)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["compute"])
        parser.add_argument("--period", help="YYYY-MM: the origin month (the last month of data the models see)")

    def handle(self, *args: Any, **options: Any) -> None:
        period = options["period"]
        if period is not None and parse_period(period) is None:
            raise CommandError(f"--period {period!r} is not YYYY-MM")
        run = forecasts_compute(period=period)
        if run is None:
            raise CommandError("no reports to forecast from")
        self.stdout.write(f"forecasts from {run.origin_period}: {run.series} series in {run.seconds:.1f} s")
