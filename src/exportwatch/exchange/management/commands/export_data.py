from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exportwatch.core.codes import parse_period
from exportwatch.directory.models import Enterprise
from exportwatch.exchange.services import export_csv_text
from exportwatch.exchange.tables import TABLES


class Command(BaseCommand):
    help = "Export a table as CSV with the DESIGN §5 columns: " + ", ".join(TABLES)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("table", choices=list(TABLES))
        parser.add_argument("--period", help="YYYY-MM: only this period (reports, lines) or month (events)")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        period = options["period"]
        if period is not None and parse_period(period) is None:
            raise CommandError(f"--period {period!r} is not YYYY-MM")
        chunks = export_csv_text(options["table"], enterprises=Enterprise.objects.all(), period=period)
        if options["output"]:
            with options["output"].open("w", encoding="utf-8", newline="") as fh:
                for chunk in chunks:
                    fh.write(chunk)
        else:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
