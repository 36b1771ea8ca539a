from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from exportwatch.demo.synth import TIERS, SynthRefused, synth_run
from exportwatch.directory.models import Market


class Command(BaseCommand):
    help = (
        "Fill the database (DATABASE_URL) with a synthetic population for benchmarks: district (472 enterprises), "
        "city (20,000; ~15 M report lines over 36 months) or province (100,000; ~70 M lines). Its regions hang "
        "below codes no real division uses (district 330299 under Ningbo, city 339900 under Zhejiang, province "
        "990000), one report a month per enterprise (source: file import) with ~20 market x HS lines. "
        "No audit events are written for synthetic data. Refuses a database that already holds reports unless "
        "--force, which first deletes the synthetic rows of earlier runs (every tier: lines, reports, enterprises, "
        "their regions) and keeps everything else, so nothing is added twice. Each month is committed on its own: "
        "after an interruption, run again with --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tier", choices=list(TIERS), required=True)
        parser.add_argument("--months", type=int, default=36, help="reported months, ending with --end (default 36)")
        parser.add_argument("--end", default="2020-03", help="last reported period, YYYY-MM (default 2020-03)")
        parser.add_argument("--seed", type=int, default=20200415, help="the same seed gives the same data")
        parser.add_argument("--enterprises", type=int, help="instead of the tier's count (the region tree stays)")
        parser.add_argument(
            "--force", action="store_true", help="delete earlier synthetic rows first and run next to other data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Market._meta.db_table not in connection.introspection.table_names() or not Market.objects.exists():
            call_command("init", verbosity=0, stdout=self.stdout)

        def progress(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        try:
            summary = synth_run(
                tier=options["tier"],
                months=options["months"],
                end=options["end"],
                seed=options["seed"],
                enterprises=options["enterprises"],
                force=options["force"],
                progress=progress,
            )
        except SynthRefused as exc:
            raise CommandError(str(exc)) from exc
        minutes, seconds = divmod(summary.seconds, 60)
        self.stdout.write(
            f"synthetic {summary.tier} ({connection.vendor}): {summary.regions:,} regions, "
            f"{summary.enterprises:,} enterprises ({summary.head:,} head, {summary.whitelist:,} white-list eligible), "
            f"{summary.reports:,} reports and {summary.lines:,} lines for {summary.first_period}..{summary.last_period} "
            f"in {int(minutes)} min {seconds:.1f} s"
        )
        # The reports were bulk-loaded past the services: recompute the monitoring aggregates from them.
        from exportwatch.monitoring.cells import cells_rebuild

        start = time.perf_counter()
        cells_rebuild()
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA analysis_limit = 1000")  # sample each index: seconds, not a full scan
            cursor.execute("ANALYZE")  # fresh planner statistics for every table the load changed (regions too)
        self.stdout.write(
            f"monitoring aggregates rebuilt and statistics gathered in {time.perf_counter() - start:.1f} s"
        )
