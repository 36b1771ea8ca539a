from __future__ import annotations

import csv
import functools
import inspect
import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exportwatch.core.codes import parse_period
from exportwatch.directory.models import Enterprise
from exportwatch.exchange.exports import EXPORTABLES, cell_text, export_csv_text
from exportwatch.exchange.xlsx import table_columns, write_rows_xlsx, write_table_xlsx


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
        parser.add_argument(
            "--horizon", type=int, help="forecasts: only the months 1..N ahead of the origin (default: the table's)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        period = options["period"]
        if period is not None and parse_period(period) is None:
            raise CommandError(f"--period {period!r} is not YYYY-MM")
        table = options["table"]
        output: Path | None = options["output"]
        refresh = EXPORTABLES[table].refresh
        if refresh is not None:
            refresh(period)
        if options["horizon"] is not None:
            self._export_with_horizon(table, period, options["horizon"], options["format"], output)
            return
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

    def _export_with_horizon(self, table: str, period: str | None, horizon: int, fmt: str, output: Path | None) -> None:
        """A table whose rows take a ``horizon`` (the forecasts), written like the others."""
        rows_fn = EXPORTABLES[table].rows
        if "horizon" not in inspect.signature(rows_fn).parameters:
            raise CommandError(f"--horizon does not apply to {table}")
        if not 1 <= horizon <= 12:
            raise CommandError("--horizon must be between 1 and 12")
        rows = functools.partial(rows_fn, horizon=horizon)(Enterprise.objects.all(), period)
        if fmt == "xlsx":
            if output is None:
                raise CommandError("--format xlsx writes a file: give it with -o FILE.xlsx")
            n = write_rows_xlsx(output, table_columns(table), rows, sheet_name=table)
            self.stdout.write(f"{table}: {n} rows written to {output}")
            return
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(EXPORTABLES[table].columns)
        for row in rows:
            writer.writerow([cell_text(v) for v in row])
        if output:
            output.write_text(buf.getvalue(), encoding="utf-8")
        else:
            self.stdout.write(buf.getvalue(), ending="")
