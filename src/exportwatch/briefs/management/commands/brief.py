"""``exportwatch brief --period YYYY-MM --kind weekly|monthly -o FILE.docx|FILE.pdf``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exportwatch.briefs.documents import ConversionError, brief_docx, docx_to_pdf
from exportwatch.briefs.selectors import brief_content
from exportwatch.core.brief import KINDS


class Command(BaseCommand):
    help = "Writes the brief (外贸形势监测分析) of a month as .docx or .pdf."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="the month, YYYY-MM")
        parser.add_argument("--kind", choices=KINDS, default="monthly")
        parser.add_argument("-o", "--output", required=True, help="FILE.docx or FILE.pdf")

    def handle(self, *args: Any, **opts: Any) -> None:
        out = Path(opts["output"])
        if out.suffix.lower() not in (".docx", ".pdf"):
            raise CommandError("the output must end in .docx or .pdf")
        try:
            content = brief_content(period=opts["period"], kind=opts["kind"])
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
