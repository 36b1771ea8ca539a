"""``exportwatch restore PATH [--yes]``: put a backup back into the database DATABASE_URL names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils.translation import gettext as _

from exportwatch.common.backup import ENGINE_NAMES, BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `exportwatch backup` into the database DATABASE_URL names (stop the server "
        "and workers first). The file is checked before anything is written; a database holding data is only "
        "overwritten with --yes. Afterwards the rows of every table are compared with the backup's manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file")
        parser.add_argument("--yes", action="store_true", help="replace the content of a database holding data")

    def handle(self, *args: Any, **options: Any) -> None:
        database = settings.DATABASES["default"]
        connections.close_all()  # the target is rewritten underneath: hold no connection to it
        try:
            result = backup_restore(path=options["path"], database=database, overwrite=options["yes"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            connections.close_all()
        manifest = result.manifest
        values = {
            "path": options["path"],
            "name": database["NAME"],
            "tables": len(result.counts),
            "rows": f"{sum(result.counts.values()):,}",
        }
        if manifest is None:
            self.stdout.write(
                _("Restored %(path)s into %(name)s: %(tables)s tables, %(rows)s rows. No manifest: counts not checked.")
                % values
            )
        else:
            self.stdout.write(
                _("Restored %(path)s (%(engine)s backup of %(when)s) into %(name)s: %(tables)s tables, %(rows)s rows.")
                % {**values, "engine": ENGINE_NAMES[manifest.engine], "when": manifest.created_at}
            )
        if result.unknown_migrations:
            self.stderr.write(
                _("The backup was made by a newer version of ExportWatch (migrations unknown here: %(names)s).")
                % {"names": ", ".join(result.unknown_migrations)}
            )
        if result.pending_migrations:
            self.stdout.write(
                _("The backup predates %(count)s migration(s) of this version: run `exportwatch migrate`.")
                % {"count": len(result.pending_migrations)}
            )
        if result.mismatches:
            detail = "; ".join(
                f"{table}: {expected} → {found}" for table, (expected, found) in sorted(result.mismatches.items())
            )
            raise CommandError(
                _("The restored rows differ from the manifest (table: backup → restored): %(detail)s")
                % {"detail": detail}
            )
        if manifest is not None:
            self.stdout.write(_("Every table's row count agrees with the manifest."))
