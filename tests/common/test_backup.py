"""``exportwatch backup`` / ``restore``: a restored copy exports identical tables, and bad restores are refused.

Runs on the engine of the suite: SQLite (the source is the test database, the copy a temporary file) and
PostgreSQL (the copy a scratch database beside the test database, dropped afterwards).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation

from exportwatch.cases.services import case_from_need
from exportwatch.common.backup import (
    BackupError,
    backup_create,
    backup_restore,
    database_counts,
    manifest_path,
)
from exportwatch.exchange.exports import EXPORTABLES
from exportwatch.exchange.services import import_files
from exportwatch.reporting.models import Need, Report, ReportLine
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """The messages asserted here are the English sources (the command line speaks Chinese by default)."""
    with translation.override("en"):
        yield


PERIODS = ("2020-01", "2020-02", "2020-03")
MARKETS = (("US", "84"), ("DE", "8481"), ("JP", "61"))


def _build_data(world: World) -> None:
    """Reports with lines over three months (one corrected: two versions), events, needs and their cases."""
    ents = [world.ent_a, world.ent_b, world.ent_c]
    reports = ["uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,capacity_utilization_pct,"
               "new_orders_trend,outlook_3m"]  # fmt: skip
    lines = ["uscc,period,market,hs,backlog_usd,new_orders_usd,exports_usd"]
    for i, ent in enumerate(ents):
        for j, period in enumerate(PERIODS):
            base = 100_000 * (i + 1) + 10_000 * j
            reports.append(f"{ent.uscc},{period},{base},{base // 2},{base * 4},{base * 2},{70 + j},down,same")
            for k, (market, hs) in enumerate(MARKETS):
                lines.append(f"{ent.uscc},{period},{market},{hs},{base},{base // 8},{base // (4 + k)}.25")
    events = [
        "uscc,date,kind,amount_usd,market,hs,note",
        f'{world.ent_a.uscc},2020-03-10,shipment_delayed,50000,US,84,"延期发货 ""引号"", 逗号"',
        f"{world.ent_c.uscc},2020-02-20,order_cancelled,12000.5,DE,8481,",
    ]
    needs = [
        "uscc,date,category,amount_usd,urgency,description",
        f"{world.ent_a.uscc},2020-03-12,financing,1000000,high,贷款",
        f"{world.ent_b.uscc},2020-03-13,logistics,,normal,舱位",
    ]
    files = [
        ("reports.csv", "\n".join(reports).encode()),
        ("report_lines.csv", "\n".join(lines).encode()),
        ("disruptions.csv", "\n".join(events).encode()),
        ("needs.csv", "\n".join(needs).encode()),
    ]
    outcome = import_files(files, user=world.analyst, confirm_units=True)
    assert outcome.committed, outcome.problems
    corrected = reports[0] + "\n" + reports[3].replace(",down,same", ",up,up").replace(",72,", ",90,")
    assert import_files([("fix.csv", corrected.encode())], user=world.analyst).committed
    for need in Need.objects.order_by("pk"):
        case_from_need(need, actor=world.analyst)


def _exports_here() -> dict[str, str]:
    out = {}
    for table in EXPORTABLES:
        buf = io.StringIO()
        call_command("export_data", table, stdout=buf)
        out[table] = buf.getvalue()
    return out


EXPORT_SCRIPT = """
import io, json, sys
from django.core.management import call_command
from exportwatch.exchange.exports import EXPORTABLES
out = {}
for table in EXPORTABLES:
    buf = io.StringIO()
    call_command("export_data", table, stdout=buf)
    out[table] = buf.getvalue()
sys.stdout.write(json.dumps(out))
"""


def _env(database_url: str, var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXPORTWATCH_", "DJANGO_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="exportwatch.settings",
        EXPORTWATCH_SECRET_KEY="test-only-secret-key-not-for-production-000000000000",
        EXPORTWATCH_VAR=str(var),
        EXPORTWATCH_TODAY=settings.EXPORTWATCH_TODAY.isoformat(),
        EXPORTWATCH_LOG_LEVEL="ERROR",
    )
    return env


def _exportwatch(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "exportwatch"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def _exports_there(env: dict[str, str]) -> dict[str, str]:
    import json

    done = _exportwatch(["shell", "-c", EXPORT_SCRIPT], env)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout[done.stdout.index("{") :]))


@pytest.fixture
def target(tmp_path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    """A fresh, empty database of the suite's engine: (DATABASES entry, its URL)."""
    if connection.vendor == "sqlite":
        name = tmp_path / "restored.sqlite3"
        yield {**connection.settings_dict, "NAME": str(name)}, f"sqlite:///{name}"
        return
    import psycopg

    src = connection.settings_dict
    name = f"{src['NAME']}_restore"
    params = {"host": src["HOST"] or None, "port": src["PORT"] or None, "user": src["USER"] or None}
    params = {k: v for k, v in params.items() if v}
    with psycopg.connect(dbname="postgres", autocommit=True, password=src["PASSWORD"] or None, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    user = src["USER"] or "postgres"
    url = f"postgresql://{user}@{src['HOST'] or '127.0.0.1'}:{src['PORT'] or 5432}/{name}"
    try:
        yield {**src, "NAME": name}, url
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, password=src["PASSWORD"] or None, **params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _assert_untouched(database: dict[str, Any]) -> None:
    """The fresh target is as it was: no SQLite file created, no PostgreSQL table."""
    if connection.vendor == "sqlite":
        assert not Path(database["NAME"]).exists()
    else:
        assert database_counts(database) == {}


def test_a_restored_copy_exports_identical_tables(
    world_tx: World, tmp_path: Path, target: tuple[dict[str, Any], str]
) -> None:
    _build_data(world_tx)
    before = _exports_here()  # first: an export may bring derived data up to date, which the backup then holds
    path = tmp_path / "exportwatch.backup"

    manifest = backup_create(output=path)
    database, url = target
    restored = _exportwatch(["restore", str(path)], _env(url, tmp_path))
    after = _exports_there(_env(url, tmp_path))

    assert restored.returncode == 0, restored.stderr
    assert str(path) in restored.stdout
    assert Report.objects.count() == 10 and ReportLine.objects.count() == 30  # 9 reports + 1 correction
    assert manifest.counts["reporting_report"] == 10
    assert manifest.counts["reporting_reportline"] == 30
    assert manifest.counts["cases_case"] == 2
    assert database_counts(database) == manifest.counts == database_counts(connection.settings_dict)
    assert set(after) == set(EXPORTABLES)
    for table in EXPORTABLES:
        assert after[table] == before[table], table
    assert before["reports"].count("\n") == 1 + 9
    assert before["report_lines"].count("\n") == 1 + 27


def test_the_manifest_lists_engine_migrations_and_rows(world_tx: World, tmp_path: Path) -> None:
    path = tmp_path / "b.backup"

    out = io.StringIO()
    call_command("backup", "-o", str(path), stdout=out)

    import json

    raw = json.loads(manifest_path(path).read_text())
    assert raw["engine"] == connection.vendor
    assert "accounts.0001_initial" in raw["migrations"]
    assert raw["counts"]["accounts_user"] == 8
    assert raw["counts"]["directory_enterprise"] == 4
    assert raw["size"] == path.stat().st_size
    assert len(raw["sha256"]) == 64
    assert str(path) in out.getvalue()
    assert not path.with_name(path.name + ".partial").exists()


def test_a_database_holding_data_is_only_overwritten_when_asked(
    world_tx: World, tmp_path: Path, target: tuple[dict[str, Any], str]
) -> None:
    path = tmp_path / "b.backup"
    backup_create(output=path)
    database, _url = target
    backup_restore(path=path, database=database)

    with pytest.raises(BackupError, match="not empty"):
        backup_restore(path=path, database=database)
    again = backup_restore(path=path, database=database, overwrite=True)

    assert again.mismatches == {}
    assert again.counts["accounts_user"] == 8


def test_a_backup_of_the_other_engine_is_refused_before_anything_is_written(
    world_tx: World, tmp_path: Path, target: tuple[dict[str, Any], str]
) -> None:
    database, _url = target
    other = tmp_path / "other.backup"
    if connection.vendor == "sqlite":
        other.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
        expected = "PostgreSQL backup, but the database to restore into"
    else:
        other.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
        expected = "SQLite backup, but the database to restore into"

    with pytest.raises(BackupError, match=expected):
        backup_restore(path=other, database=database)

    _assert_untouched(database)


def test_a_changed_backup_is_refused_by_its_checksum(
    world_tx: World, tmp_path: Path, target: tuple[dict[str, Any], str]
) -> None:
    path = tmp_path / "b.backup"
    backup_create(output=path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    database, _url = target

    with pytest.raises(BackupError, match="checksum"):
        backup_restore(path=path, database=database)

    _assert_untouched(database)


def test_a_damaged_sqlite_backup_without_manifest_fails_its_integrity_check(world_tx: World, tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's integrity check (PostgreSQL's dump is checked by pg_restore --list and the checksum)")
    path = tmp_path / "b.backup"
    backup_create(output=path)
    manifest_path(path).unlink()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 3, min(len(data), page * 12)):  # overwrite a run of b-tree pages with garbage
        data[offset] = (offset * 7) % 251
    path.write_bytes(bytes(data))
    target = tmp_path / "restored.sqlite3"

    with pytest.raises(BackupError, match="damaged"):
        backup_restore(path=path, database={**connection.settings_dict, "NAME": str(target)})

    assert not target.exists()


def test_restore_refuses_a_file_that_is_no_backup(world_tx: World, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")

    with pytest.raises(CommandError, match="not an ExportWatch backup"):
        call_command("restore", str(path))


def test_a_backup_that_fails_half_way_leaves_the_previous_one_and_no_partial_file(
    world_tx: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "b.backup"
    backup_create(output=path)
    previous = path.read_bytes(), manifest_path(path).read_bytes()

    def disk_full(p: Path) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("exportwatch.common.backup._sha256", disk_full)
    with pytest.raises(CommandError, match="No space left on device"):
        call_command("backup", "-o", str(path))

    assert (path.read_bytes(), manifest_path(path).read_bytes()) == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.backup", "b.backup.manifest.json"]


def test_backup_into_a_missing_folder_is_a_clear_error(world_tx: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup", "-o", str(tmp_path / "nowhere" / "b.backup"))
