"""``kill -9`` of ``exportwatch worker`` in the middle of a large import.

The guarantee: an import is one transaction, so a killed import leaves none of its rows; the job stays "running"
with an old heartbeat, the next worker requeues it as stale (``EXPORTWATCH_JOB_STALE_SECONDS``) and imports the
whole file, and the result equals a clean import of the same file (no duplicate, nothing missing).

Runs on the suite's engine: a SQLite file, or a scratch PostgreSQL database beside the test database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.processes import STALE_SECONDS, FaultDatabase

ENTERPRISES = 150  # x 15 months x 10 lines = 22,500 lines: seconds of work, long enough to be caught mid-way
LINES = ENTERPRISES * 15 * 10
MID_WAY_TIMEOUT = 300.0  # seconds; only bounds a hung test


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[tuple[FaultDatabase, FaultDatabase, dict[str, Any]]]:
    """The database the worker is killed on and a copy for the clean import, each with the import job queued."""
    killed = FaultDatabase.create(tmp_path, "killed")
    lines = tmp_path / "report_lines.csv"
    made = killed.scenario("setup", str(ENTERPRISES), str(lines), "--enqueue")
    clean = killed.copy("clean")  # the same data and the same queued job
    try:
        yield killed, clean, made
    finally:
        killed.drop()
        clean.drop()


def _wait_until_mid_way(db: FaultDatabase, job_id: int, worker: object) -> str:
    """Block until the worker is writing the job's rows; returns what showed it."""
    deadline = time.monotonic() + MID_WAY_TIMEOUT
    wal = Path(db.name + "-wal")
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the worker exited before it could be killed"  # type: ignore[attr-defined]
        rows = db.query("SELECT state, progress_done, progress_total FROM exchange_importjob WHERE id = ?", (job_id,))
        state, done, total = rows[0]
        assert state in ("queued", "running"), f"the import finished ({state}) before it could be killed"
        if state == "running":
            if db.engine == "postgresql" and 0 < done < total:
                # The progress is committed on a side connection while the import's transaction is open.
                return f"progress {done}/{total}"
            # SQLite shares the import's connection for progress (invisible until commit), so look at the lock
            # and the write-ahead log, into which the open transaction spills its pages as it writes lines.
            if db.engine == "sqlite" and db.write_locked() and wal.exists() and wal.stat().st_size > 1_000_000:
                return f"write lock held, WAL {wal.stat().st_size:,} bytes"
        time.sleep(0.05)
    raise AssertionError("the import was never caught mid-way")


def test_a_worker_killed_mid_import_leaves_nothing_and_the_requeued_job_equals_a_clean_import(
    databases: tuple[FaultDatabase, FaultDatabase, dict[str, Any]],
) -> None:
    killed, clean, made = databases
    before, job_id = made["snapshot"], made["job"]

    first = killed.start("worker", "--sleep", "0.2", "--name", "first")
    try:
        seen = _wait_until_mid_way(killed, job_id, first)
    finally:
        first.kill()  # SIGKILL: no handler, no cleanup, no rollback by the process
        first.wait(timeout=60)
    after_kill = killed.scenario("state", str(job_id))
    job_after_kill = after_kill["job"]

    time.sleep(STALE_SECONDS + 1)  # the heartbeat grows old: the job looks abandoned
    second = killed.run("worker", "--once", "--name", "second")
    result = killed.scenario("state", str(job_id))
    job_done = result["job"]

    assert clean.run("worker", "--once", "--name", "clean").returncode == 0
    reference = clean.scenario("state", str(job_id))

    # Killed mid-way: not one row of the file, and the database is sound.
    assert seen, seen
    print(f"caught mid-way: {seen}")
    assert first.returncode == -9
    for key in ("reports", "current_reports", "lines", "audit", "exports"):
        assert after_kill[key] == before[key], key
    assert after_kill["integrity"] in (None, ["ok"])
    assert job_after_kill["state"] == "running"
    assert job_after_kill["attempts"] == 1
    # Requeued as stale and completed by the second worker.
    assert second.returncode == 0, second.stderr
    assert job_done["state"] == "done", job_done
    assert job_done["attempts"] == 2
    assert job_done["written"]["report_lines"] == LINES
    # The same as one clean import of the file.
    assert reference["job"]["written"]["report_lines"] == LINES
    assert result["lines"] == reference["lines"] == before["lines"] + LINES
    for key in ("reports", "current_reports", "audit", "exports"):
        assert result[key] == reference[key], key
    assert result["integrity"] in (None, ["ok"])
