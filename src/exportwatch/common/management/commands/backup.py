"""``exportwatch backup -o PATH``: a consistent copy of the whole database, safe while the server runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from exportwatch.common.backup import ENGINE_NAMES, BackupError, backup_create, manifest_path


class Command(BaseCommand):
    help = (
        "Back up the database DATABASE_URL names into one file (SQLite: online backup API; PostgreSQL: "
        "pg_dump -Fc), with a manifest of its tables and row counts beside it (FILE.manifest.json)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", type=Path, required=True, help="the backup file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"]
        try:
            manifest = backup_create(output=output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _(
                "%(engine)s backup written to %(path)s (%(size)s MB): %(tables)s tables, %(rows)s rows. "
                "Manifest: %(manifest)s"
            )
            % {
                "engine": ENGINE_NAMES[manifest.engine],
                "path": output,
                "size": f"{manifest.size / 1_000_000:.1f}",
                "tables": len(manifest.counts),
                "rows": f"{manifest.total_rows:,}",
                "manifest": manifest_path(output),
            }
        )
