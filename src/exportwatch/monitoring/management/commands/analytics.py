"""``exportwatch analytics rebuild|check``: the monitoring aggregates recomputed, or compared with the reports."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from exportwatch.monitoring.cells import TABLES, cells_rebuild
from exportwatch.monitoring.checks import cells_differences


class Command(BaseCommand):
    help = (
        "rebuild: recompute the monitoring aggregates from the current reports (after a bulk load that bypassed "
        "the services, a bulk update of enterprises, or a change of the head or white-list thresholds). check: "
        "compare every aggregate with the sums of the reports and list the differences (exit 1 if any)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "check"])

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.perf_counter()
        if options["action"] == "rebuild":
            n = cells_rebuild()
            with connection.cursor() as cursor:
                for table in TABLES:  # the tables were emptied and refilled: fresh planner statistics
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(table.model._meta.db_table)}")
            self.stdout.write(f"aggregates rebuilt from {n:,} current reports in {time.perf_counter() - start:.1f} s")
            return
        differences = cells_differences()
        for line in differences[:50]:
            self.stdout.write(line)
        if differences:
            raise CommandError(f"{len(differences)} aggregate cells differ from the reports")
        self.stdout.write(f"aggregates equal the reports ({time.perf_counter() - start:.1f} s)")
