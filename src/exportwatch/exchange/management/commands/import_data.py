from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exportwatch.exchange.services import TABLE_ORDER, import_files


class Command(BaseCommand):
    help = (
        "Import CSV files of the ExportWatch tables (enterprises, reports, report_lines, disruptions, needs); "
        "each file's table is recognised by its header. All or nothing unless --valid-rows-only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
        parser.add_argument("--valid-rows-only", action="store_true", help="write the valid rows, list the skipped")
        parser.add_argument(
            "--confirm-units",
            action="store_true",
            help="import figures flagged as about 10,000 times the enterprise's usual (suspected 万美元/USD mix-ups)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        files = []
        for path in options["files"]:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            files.append((str(path), path.read_bytes()))
        outcome = import_files(
            files,
            user=None,
            dry_run=options["dry_run"],
            valid_rows_only=options["valid_rows_only"],
            confirm_units=options["confirm_units"],
        )
        for problem in outcome.problems:
            self.stderr.write(str(problem))
        if outcome.problems:
            raise CommandError(f"{len(outcome.problems)} problem(s); nothing was written")
        if outcome.warnings and not options["confirm_units"]:
            for problem in outcome.warnings:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(outcome.warnings)} figure(s) look like unit mistakes; nothing was written. "
                "Correct them, or run again with --confirm-units if they are right."
            )
        for problem in outcome.skipped:
            self.stderr.write(f"skipped {problem}")
        verb = "would write" if options["dry_run"] else "written"
        for table in TABLE_ORDER:
            if outcome.written[table] or outcome.unchanged[table]:
                self.stdout.write(f"{table}: {outcome.written[table]} {verb}, {outcome.unchanged[table]} unchanged")
        if not any(outcome.written.values()) and not any(outcome.unchanged.values()):
            self.stdout.write("nothing to write")
