"""Backup and restore of the whole database, for ``exportwatch backup`` and ``exportwatch restore``.

A backup is the engine's own file, so the engine's own tools read it too: a SQLite database made with the online
backup API (a consistent copy while the server keeps running) or a ``pg_dump -Fc`` archive. Next to it,
``<file>.manifest.json`` says what it holds: the engine, when, the applied migrations, the rows of every table and
the file's SHA-256. The manifest is written last, so a backup without one was interrupted.

A restore checks the file before touching the target (its checksum against the manifest, then ``PRAGMA
integrity_check`` or ``pg_restore --list``), refuses a file of the other engine and, unless told to, a target that
holds data; afterwards it counts the rows of every table again and compares them with the manifest.

PostgreSQL connection parameters reach ``pg_dump``/``pg_restore`` through their environment (``PGHOST``,
``PGPASSWORD``...), never on their command line, which other users of the machine can read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

MANIFEST_FORMAT = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator, in their language."""


@dataclass
class Manifest:
    engine: str  # "sqlite" or "postgresql"
    created_at: str  # ISO 8601, UTC
    database: str  # the source database's name (file or database name; never a password)
    migrations: list[str]  # applied migrations, "app.name", in the order they were applied
    counts: dict[str, int]  # rows per table
    sha256: str = ""
    size: int = 0
    format: int = MANIFEST_FORMAT

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())


@dataclass
class RestoreResult:
    manifest: Manifest | None
    counts: dict[str, int]
    mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)  # table -> (manifest, restored)
    pending_migrations: list[str] = field(default_factory=list)  # in the code, not in the backup
    unknown_migrations: list[str] = field(default_factory=list)  # in the backup, not in the code


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def engine_of(database: Mapping[str, Any]) -> str:
    engine = str(database["ENGINE"])
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(_("Backups support SQLite and PostgreSQL, not %(engine)s.") % {"engine": engine})


def file_engine(path: Path) -> str | None:
    """The engine a backup file belongs to, from its first bytes; None when it is neither's."""
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return None


# --- Backup ---------------------------------------------------------------------------------------------------


def backup_create(*, output: Path, using: str = DEFAULT_DB_ALIAS) -> Manifest:
    """Write a consistent backup of the database ``using`` to ``output`` and its manifest beside it.

    The file appears under its name only when complete (written beside it, then renamed); a failure (a full
    disk, a lost connection) leaves any earlier backup of that name as it was.
    """
    connection = connections[using]
    engine = engine_of(connection.settings_dict)
    output = output.expanduser().resolve()
    if output.is_dir():
        raise BackupError(_("%(path)s is a directory: give the backup file's name.") % {"path": output})
    if not output.parent.is_dir():
        raise BackupError(_("The folder %(path)s does not exist.") % {"path": output.parent})
    partial = output.with_name(output.name + ".partial")
    try:
        manifest = _sqlite_backup(connection, partial) if engine == "sqlite" else _pg_backup(using, partial)
        manifest.sha256, manifest.size = _sha256(partial), partial.stat().st_size
        os.replace(partial, output)
        _write_manifest(output, manifest)
    except OSError as exc:
        raise BackupError(
            _("The backup could not be written to %(path)s: %(error)s") % {"path": output, "error": exc}
        ) from exc
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def _sqlite_backup(connection: Any, target: Path) -> Manifest:
    connection.ensure_connection()
    target.unlink(missing_ok=True)
    copy = sqlite3.connect(target)
    try:
        # One step: the source is read under one read transaction, so the copy is a single point in time; WAL
        # lets the server's writers go on meanwhile.
        connection.connection.backup(copy)
        counts = _sqlite_counts(copy)
        migrations = _migrations(copy.execute, "SELECT app, name FROM django_migrations ORDER BY id")
    finally:
        copy.close()
    return Manifest(
        engine="sqlite",
        created_at=_now(),
        database=str(connection.settings_dict["NAME"]),
        migrations=migrations,
        counts=counts,
    )


def _pg_backup(using: str, target: Path) -> Manifest:
    """``pg_dump`` of a snapshot exported by our own transaction, so the counts describe exactly what it dumps."""
    own = connections.create_connection(using)
    try:
        with own.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--file", str(target)], own.settings_dict)
            counts = _pg_counts(cursor)
            migrations = _migrations(_fetcher(cursor), "SELECT app, name FROM django_migrations ORDER BY id")
            cursor.execute("COMMIT")
    finally:
        own.close()
    return Manifest(
        engine="postgresql",
        created_at=_now(),
        database=str(own.settings_dict["NAME"]),
        migrations=migrations,
        counts=counts,
    )


# --- Verify and restore ---------------------------------------------------------------------------------------


def backup_read(path: Path, *, verify: bool = True) -> tuple[str, Manifest | None]:
    """Check a backup file without touching any database: its engine, manifest, checksum and structure.

    Returns (engine, manifest or None when there is none). Raises BackupError with what is wrong.
    ``verify=False`` stops after the cheap checks (engine and manifest), before the checksum and structure.
    """
    path = path.expanduser()
    if not path.is_file():
        raise BackupError(_("%(path)s: no such file.") % {"path": path})
    engine = file_engine(path)
    if engine is None:
        raise BackupError(
            _("%(path)s is not an ExportWatch backup (neither a SQLite database nor a pg_dump archive).")
            % {"path": path}
        )
    manifest = _read_manifest(path)
    if manifest is not None and manifest.engine != engine:
        raise BackupError(
            _("%(path)s does not match its manifest (a %(file)s file, a %(manifest)s manifest).")
            % {"path": path, "file": ENGINE_NAMES[engine], "manifest": ENGINE_NAMES.get(manifest.engine, "?")}
        )
    if not verify:
        return engine, manifest
    if manifest is not None and manifest.sha256 and _sha256(path) != manifest.sha256:
        raise BackupError(
            _("%(path)s has changed since the backup was made (its checksum differs from the manifest's).")
            % {"path": path}
        )
    if engine == "sqlite":
        _sqlite_verify(path)
    else:
        _pg_verify(path)
    return engine, manifest


def backup_restore(*, path: Path, database: Mapping[str, Any], overwrite: bool = False) -> RestoreResult:
    """Restore the backup at ``path`` into ``database`` (a ``DATABASES`` entry) and check its row counts.

    Raises BackupError, before anything is written, for a damaged file, a file of the other engine, or a
    target holding data when ``overwrite`` is false.
    """
    engine, manifest = backup_read(path, verify=False)
    target = engine_of(database)
    if engine != target:
        raise BackupError(
            _(
                "%(path)s is a %(file)s backup, but the database to restore into (DATABASE_URL) is %(target)s. "
                "Restore it into a %(file)s database."
            )
            % {"path": path, "file": ENGINE_NAMES[engine], "target": ENGINE_NAMES[target]}
        )
    if engine == "sqlite" and _in_memory(str(database["NAME"])):
        raise BackupError(_("The database to restore into is in memory; restore into a database file."))
    if not overwrite:
        filled = _filled_tables(database)
        if filled:
            raise BackupError(
                _(
                    "The database %(name)s is not empty (%(tables)s tables hold data). Restoring replaces "
                    "everything in it: run again with --yes to do so."
                )
                % {"name": database["NAME"], "tables": len(filled)}
            )
    backup_read(path)
    if engine == "sqlite":
        _sqlite_restore(path, Path(database["NAME"]))
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
              "--dbname", str(database["NAME"]), str(path)], database)  # fmt: skip
    counts = database_counts(database)
    result = RestoreResult(manifest=manifest, counts=counts)
    if manifest is not None:
        result.mismatches = {
            table: (expected, counts.get(table, 0))
            for table, expected in manifest.counts.items()
            if counts.get(table, 0) != expected
        }
        result.pending_migrations, result.unknown_migrations = _migration_gap(manifest.migrations)
    return result


def database_counts(database: Mapping[str, Any]) -> dict[str, int]:
    """Rows of every table of ``database`` (a ``DATABASES`` entry), read through a connection of its own."""
    with _connect(database) as (engine, execute):
        return _sqlite_counts_by(execute) if engine == "sqlite" else _pg_counts_by(execute)


def _filled_tables(database: Mapping[str, Any]) -> list[str]:
    if engine_of(database) == "sqlite" and not Path(database["NAME"]).exists():
        return []
    return [table for table, n in database_counts(database).items() if n]


def _in_memory(name: str) -> bool:
    return name == ":memory:" or (name.startswith("file:") and "mode=memory" in name)


def _sqlite_verify(path: Path) -> None:
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = con.execute("PRAGMA integrity_check").fetchall()
            has_migrations = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
            ).fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(_("%(path)s is damaged: %(error)s") % {"path": path, "error": exc}) from exc
    if rows != [("ok",)]:
        detail = "; ".join(str(r[0]) for r in rows[:5])
        raise BackupError(_("%(path)s is damaged: %(error)s") % {"path": path, "error": detail})
    if not has_migrations:
        raise BackupError(_("%(path)s is a SQLite database, but not an ExportWatch one.") % {"path": path})


def _pg_verify(path: Path) -> None:
    try:
        _run(["pg_restore", "--list", str(path)], {})
    except BackupError as exc:
        raise BackupError(_("%(path)s is damaged: %(error)s") % {"path": path, "error": exc}) from exc


def _sqlite_restore(path: Path, target: Path) -> None:
    """Copy the backup into the target page by page (the online backup API again, in the other direction).

    The target is replaced inside one write transaction of SQLite's, so another process never sees half of it,
    and an interruption leaves the old content.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    dest = sqlite3.connect(target, timeout=30)
    try:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode=WAL")
    except sqlite3.DatabaseError as exc:
        raise BackupError(_("The restore into %(path)s failed: %(error)s") % {"path": target, "error": exc}) from exc
    finally:
        dest.close()
        source.close()


# --- Helpers --------------------------------------------------------------------------------------------------


def _now() -> str:
    # Wall-clock time of the backup, on purpose not the business clock (which a demo may freeze).
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_manifest(path: Path, manifest: Manifest) -> None:
    target = manifest_path(path)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps(asdict(manifest), indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, target)


def _read_manifest(path: Path) -> Manifest | None:
    source = manifest_path(path)
    if not source.is_file():
        return None
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
        if raw.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"format {raw.get('format')!r}")
        return Manifest(
            engine=str(raw["engine"]),
            created_at=str(raw["created_at"]),
            database=str(raw.get("database", "")),
            migrations=[str(m) for m in raw["migrations"]],
            counts={str(k): int(v) for k, v in raw["counts"].items()},
            sha256=str(raw.get("sha256", "")),
            size=int(raw.get("size", 0)),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(
            _("The manifest %(path)s cannot be read: %(error)s") % {"path": source, "error": exc}
        ) from exc


def _migrations(execute: Any, sql: str) -> list[str]:
    return [f"{app}.{name}" for app, name in execute(sql).fetchall()]


def _migration_gap(applied: list[str]) -> tuple[list[str], list[str]]:
    """Migrations the code has that the backup lacks, and the other way round."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = {f"{app}.{name}" for app, name in loader.disk_migrations}
    done = set(applied)
    return sorted(known - done), sorted(done - known)


def _sqlite_counts(con: sqlite3.Connection) -> dict[str, int]:
    return _sqlite_counts_by(con.execute)


def _sqlite_counts_by(execute: Any) -> dict[str, int]:
    tables = [
        row[0]
        for row in execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
    ]
    return {t: int(execute(f'SELECT COUNT(*) FROM "{_ident(t)}"').fetchone()[0]) for t in tables}


def _pg_counts(cursor: Any) -> dict[str, int]:
    return _pg_counts_by(_fetcher(cursor))


def _pg_counts_by(execute: Any) -> dict[str, int]:
    tables = [
        row[0]
        for row in execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        ).fetchall()
    ]
    return {t: int(execute(f'SELECT COUNT(*) FROM "{_ident(t)}"').fetchone()[0]) for t in tables}


def _ident(name: str) -> str:
    return name.replace('"', '""')


def _fetcher(cursor: Any) -> Any:
    def execute(sql: str) -> Any:
        cursor.execute(sql)
        return cursor

    return execute


@contextlib.contextmanager
def _connect(database: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """A short-lived connection of our own to ``database``, as (engine, execute(sql) -> cursor)."""
    engine = engine_of(database)
    if engine == "sqlite":
        con = sqlite3.connect(database["NAME"], timeout=30)
        try:
            yield engine, con.execute
        finally:
            con.close()
        return
    import psycopg

    params = {
        "dbname": database["NAME"],
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
        **{k: v for k, v in (database.get("OPTIONS") or {}).items() if isinstance(v, str | int)},
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True) as pg:
        yield engine, pg.execute


def _pg_env(database: Mapping[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if database.get(key):
            env[var] = str(database[key])
    options = database.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    if database.get("NAME"):
        env["PGDATABASE"] = str(database["NAME"])
    return env


def _run(args: list[str], database: Mapping[str, Any]) -> str:
    tool = shutil.which(args[0])
    if tool is None:
        raise BackupError(
            _(
                "%(tool)s is not installed: install the PostgreSQL client tools (e.g. apt-get install postgresql-client)."
            )
            % {"tool": args[0]}
        )
    done = subprocess.run([tool, *args[1:]], env=_pg_env(database), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s") % {"tool": args[0], "error": done.stderr.strip()[-2000:] or done.returncode}
        )
    return done.stdout
