from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exportwatch.core.codes import parse_period
from exportwatch.directory.models import Enterprise
from exportwatch.exchange.exports import EXPORTABLES, export_csv_text
from exportwatch.exchange.xlsx import write_table_xlsx


class Command(BaseCommand):
    help = (
        "Export a table with the DESIGN §5 columns, as CSV (key header) or .xlsx (Chinese header with units above "
        "the keys): " + ", ".join(EXPORTABLES)
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("table", choices=list(EXPORTABLES))
        parser.add_argument("--period", help="YYYY-MM: only this period (reports, lines) or month (events)")
        parser.add_argument(
            "--format", choices=("csv", "xlsx"), default="csv", help="csv (default) or xlsx (needs -o FILE)"
        )
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output; CSV only)")

    def handle(self, *args: Any, **options: Any) -> None:
        period = options["period"]
        if period is not None and parse_period(period) is None:
            raise CommandError(f"--period {period!r} is not YYYY-MM")
        table = options["table"]
        output: Path | None = options["output"]
        refresh = EXPORTABLES[table].refresh
        if refresh is not None:
            refresh(period)
        if options["format"] == "xlsx":
            if output is None:
                raise CommandError("--format xlsx writes a file: give it with -o FILE.xlsx")
            rows = write_table_xlsx(output, table, enterprises=Enterprise.objects.all(), period=period)
            self.stdout.write(f"{table}: {rows} rows written to {output}")
            return
        chunks = export_csv_text(table, enterprises=Enterprise.objects.all(), period=period)
        if output:
            with output.open("w", encoding="utf-8", newline="") as fh:
                for chunk in chunks:
                    fh.write(chunk)
        else:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
