"""``exportwatch indicators --period YYYY-MM --by DIM [-o FILE]``: the monitoring indicators as CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from exportwatch.core.codes import parse_period
from exportwatch.directory.models import Enterprise
from exportwatch.exchange.exports import escape_cell
from exportwatch.monitoring.selectors import INDICATOR_COLUMNS, INDICATOR_DIMENSIONS, indicator_rows

RATIO_DIGITS = 6


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{round(value, RATIO_DIGITS):.{RATIO_DIGITS}f}".rstrip("0").rstrip(".")
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return escape_cell(str(value))


class Command(BaseCommand):
    help = (
        "Write the monitoring indicators of one month as CSV, one row per value of a dimension: "
        + ", ".join(INDICATOR_COLUMNS)
        + ". Amounts in USD; ratios as decimals (0.25 = 25 %), blank when undefined; the diffusion index and "
        "balance of the new-orders answers in points; hhi_markets is the Herfindahl index (0..1) of the exports "
        "across markets. Names in Chinese."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--by", required=True, choices=list(INDICATOR_DIMENSIONS))
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        period = options["period"]
        if parse_period(period) is None:
            raise CommandError(f"--period {period!r} is not YYYY-MM")
        with translation.override("zh-hans"):
            rows = indicator_rows(Enterprise.objects.all(), period, options["by"])
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(INDICATOR_COLUMNS)
        for row in rows:
            writer.writerow([_cell(row[c]) for c in INDICATOR_COLUMNS])
        output: Path | None = options["output"]
        if output is None:
            self.stdout.write(buf.getvalue(), ending="")
        else:
            output.write_text(buf.getvalue(), encoding="utf-8")
            self.stderr.write(f"{len(rows)} rows written to {output}")
