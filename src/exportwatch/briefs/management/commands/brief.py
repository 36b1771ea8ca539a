"""``exportwatch brief [--period YYYY-MM] --kind weekly|monthly [--week-ending YYYY-MM-DD] -o FILE.docx|FILE.pdf``.

A monthly brief needs ``--period``; a weekly one is of the seven days ending on ``--week-ending`` (default: today),
with the headline of ``--period`` (default: the latest month with reports by the week's end)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exportwatch.briefs.documents import ConversionError, brief_docx, docx_to_pdf
from exportwatch.briefs.selectors import brief_content
from exportwatch.core.brief import KINDS, MONTHLY


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from e


class Command(BaseCommand):
    help = "Writes the brief (外贸形势监测分析) of a month or a week as .docx or .pdf."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", help="the month, YYYY-MM (a weekly brief's headline month)")
        parser.add_argument("--week-ending", type=_day, help="a weekly brief's last day, YYYY-MM-DD (default: today)")
        parser.add_argument("--kind", choices=KINDS, default="monthly")
        parser.add_argument("-o", "--output", required=True, help="FILE.docx or FILE.pdf")

    def handle(self, *args: Any, **opts: Any) -> None:
        out = Path(opts["output"])
        if out.suffix.lower() not in (".docx", ".pdf"):
            raise CommandError("the output must end in .docx or .pdf")
        if opts["kind"] == MONTHLY and not opts["period"]:
            raise CommandError("a monthly brief needs --period YYYY-MM")
        if opts["kind"] == MONTHLY and opts["week_ending"]:
            raise CommandError("--week-ending is for a weekly brief")
        try:
            content = brief_content(period=opts["period"], kind=opts["kind"], week_ending=opts["week_ending"])
        except ValueError as e:
            raise CommandError(str(e)) from e
        data = brief_docx(content)
        if out.suffix.lower() == ".pdf":
            try:
                data = docx_to_pdf(data)
            except ConversionError as e:
                raise CommandError(str(e)) from e
        out.write_bytes(data)
        self.stdout.write(f"{out}: {content.title}, {len(data)} bytes")
