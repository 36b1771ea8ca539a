"""``kill -9`` of ``exportwatch serve`` while reports are being submitted from many threads (SQLite file).

After the crash and a restart: the file passes ``PRAGMA integrity_check``; every report is whole (exactly the
figures and lines of one submission, or the version from before); every submission that was answered 201 is there
with exactly its figures. (The same guarantee on PostgreSQL rests on its transactions; this test is SQLite's,
where the application itself holds the file.)
"""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.faults.processes import FaultDatabase
from tests.faults.scenario import MARKETS, PERIODS, uscc

ENTERPRISES = 24
THREADS = 8
ACKED_BEFORE_KILL = 30  # answered submissions before the server is killed (more are in flight at that moment)
TIMEOUT = 300.0  # seconds; only bounds a hung test

Key = tuple[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _payload(e: int, period: str) -> dict[str, Any]:
    """A new version of an existing report: figures and lines unique to the (enterprise, month)."""
    month = PERIODS.index(period)
    lines = [
        {
            "market": market,
            "hs": f"84{i:02d}",
            "backlog_usd": f"{1000 + e * 10 + i}.50",
            "new_orders_usd": str(100 + month),
            "exports_usd": str(200 + i),
        }
        for i, market in enumerate(MARKETS)
    ]
    return {
        "uscc": uscc(e),
        "period": period,
        "base_version": 1,
        "exports_usd": str(500_000 + e * 1000 + month),
        "new_orders_usd": "400000",
        "backlog_usd": str(2_000_000 + e),
        "backlog_due_3m_usd": "1000000",
        "capacity_utilization_pct": str(50 + month),
        "new_orders_trend": "up",
        "outlook_3m": "down",
        "lines": lines,
    }


def _request(base: str, token: str, path: str, payload: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        base + path,
        data=data,
        method="GET" if payload is None else "POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait_serving(base: str, token: str, server: Any) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            if _request(base, token, "/api/reports?limit=1")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not start")


def _figures(report: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("exports_usd", "new_orders_usd", "backlog_usd", "backlog_due_3m_usd", "capacity_utilization_pct")
    lines = sorted(
        (ln["market"], ln["hs"], Decimal(ln["backlog_usd"]), Decimal(ln["new_orders_usd"]), Decimal(ln["exports_usd"]))
        for ln in report["lines"]
    )
    return (
        *(Decimal(str(report[k])) for k in keys),
        report["new_orders_trend"],
        report["outlook_3m"],
        tuple(lines),
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FaultDatabase, str]]:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite file under a crashed server (PostgreSQL keeps its own files)")
    db = FaultDatabase.create(tmp_path, "served")
    made = db.scenario("setup", str(ENTERPRISES), str(tmp_path / "unused_lines.csv"))
    yield db, made["token"]


def test_a_server_killed_during_submissions_keeps_every_answered_report_whole(
    served: tuple[FaultDatabase, str],
) -> None:
    db, token = served
    base = f"http://127.0.0.1:{_free_port()}"
    server = db.start("serve", "--port", base.rsplit(":", 1)[1], "--no-worker", "--threads", str(THREADS))
    attempted: dict[Key, dict[str, Any]] = {}
    acked: dict[Key, dict[str, Any]] = {}
    refused: list[tuple[Key, int]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def submit(thread: int) -> None:
        for e in range(thread, ENTERPRISES, THREADS):
            for period in PERIODS:
                if stop.is_set():
                    return
                payload = _payload(e, period)
                key = (payload["uscc"], period)
                with lock:
                    attempted[key] = payload
                try:
                    status, _body = _request(base, token, "/api/reports", payload)
                except OSError:  # the server is gone: connection reset or refused
                    return
                with lock:
                    if status == 201:
                        acked[key] = payload
                    else:
                        refused.append((key, status))

    try:
        _wait_serving(base, token, server)
        threads = [threading.Thread(target=submit, args=(t,)) for t in range(THREADS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + TIMEOUT
        while len(acked) < ACKED_BEFORE_KILL and time.monotonic() < deadline and any(t.is_alive() for t in threads):
            time.sleep(0.02)
        server.kill()  # SIGKILL in the middle of the submissions
        server.wait(timeout=60)
        stop.set()
        for t in threads:
            t.join(timeout=120)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    con = sqlite3.connect(db.name)  # opening it replays the write-ahead log, as the restarted server would
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchall()
    finally:
        con.close()
    base = f"http://127.0.0.1:{_free_port()}"
    restarted = db.start("serve", "--port", base.rsplit(":", 1)[1], "--no-worker")
    try:
        _wait_serving(base, token, restarted)
        status, reports = _request(base, token, "/api/reports?limit=5000")
    finally:
        restarted.kill()
        restarted.wait()

    assert server.returncode == -9
    assert integrity == [("ok",)]
    assert refused == []
    assert len(acked) >= ACKED_BEFORE_KILL
    assert len(attempted) < ENTERPRISES * len(PERIODS), "the server was killed after the last submission"
    assert status == 200
    assert len(reports) == ENTERPRISES * len(PERIODS)  # one current version of every report, none lost or doubled
    current = {(r["uscc"], r["period"]): r for r in reports}
    for key, payload in acked.items():
        report = current[key]
        assert report["version"] == 2, key
        assert _figures(report) == _figures(payload), key
    new_versions = 0
    for key, report in current.items():
        if report["version"] == 1:  # untouched, or its submission was lost with the server: the old version whole
            assert key not in acked
            assert report["lines"] == []
            assert Decimal(report["exports_usd"]) == 100_000
        else:  # exactly one submission, whole
            new_versions += 1
            assert report["version"] == 2
            assert _figures(report) == _figures(attempted[key]), key
    assert len(acked) <= new_versions <= len(attempted)
    print(f"killed with {len(acked)} answered, {len(attempted)} sent; {new_versions} new versions after the restart")
