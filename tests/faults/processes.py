"""Databases and ``exportwatch`` processes for the fault tests, outside the test database.

A ``FaultDatabase`` is a SQLite file in a temporary folder, or (when the suite runs on PostgreSQL) a scratch
database beside the test database, dropped at the end. Commands run as child processes with the real settings.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection

REPO = Path(__file__).resolve().parents[2]
EXPORTWATCH = str(Path(sys.executable).parent / "exportwatch")
STALE_SECONDS = 3  # EXPORTWATCH_JOB_STALE_SECONDS of the workers started here


def _pg_params() -> dict[str, Any]:
    s = connection.settings_dict
    params = {"host": s["HOST"], "port": s["PORT"], "user": s["USER"], "password": s["PASSWORD"]}
    return {k: v for k, v in params.items() if v}


def _base_name() -> str:
    """The suite's test database name (``EXPORTWATCH_TEST_DB_NAME``), so parallel suites never share scratch names."""
    return str((connection.settings_dict.get("TEST") or {}).get("NAME") or connection.settings_dict["NAME"])


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **_pg_params()) as admin:
        admin.execute(sql)


@dataclass
class FaultDatabase:
    engine: str  # "sqlite" or "postgresql"
    name: str  # the SQLite file or the PostgreSQL database name
    var: Path

    @classmethod
    def create(cls, folder: Path, label: str) -> FaultDatabase:
        var = folder / label
        var.mkdir(parents=True, exist_ok=True)
        if connection.vendor == "sqlite":
            return cls("sqlite", str(var / "db.sqlite3"), var)
        name = f"{_base_name()}_{label}"
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg_admin(f'CREATE DATABASE "{name}"')
        return cls("postgresql", name, var)

    def copy(self, label: str) -> FaultDatabase:
        """A second database with the same content (no process may be connected to this one)."""
        var = self.var.parent / label
        var.mkdir(parents=True, exist_ok=True)
        if self.engine == "sqlite":
            target = var / "db.sqlite3"
            source, dest = sqlite3.connect(self.name), sqlite3.connect(target)
            source.backup(dest)
            dest.close()
            source.close()
            return FaultDatabase("sqlite", str(target), var)
        name = f"{_base_name()}_{label}"
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        return FaultDatabase("postgresql", name, var)

    def drop(self) -> None:
        if self.engine == "postgresql":
            pg_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    @property
    def url(self) -> str:
        if self.engine == "sqlite":
            return f"sqlite:///{self.name}"
        p = _pg_params()
        auth = p.get("user", "postgres") + (f":{p['password']}" if p.get("password") else "")
        return f"postgresql://{auth}@{p.get('host', '127.0.0.1')}:{p.get('port', 5432)}/{self.name}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EXPORTWATCH_", "DJANGO_", "DATABASE_"))}
        env.update(
            DATABASE_URL=self.url,
            DJANGO_SETTINGS_MODULE="exportwatch.settings",
            EXPORTWATCH_SECRET_KEY="test-only-secret-key-not-for-production-000000000000",
            EXPORTWATCH_VAR=str(self.var),
            EXPORTWATCH_TODAY="2020-04-15",
            EXPORTWATCH_LOG_LEVEL="ERROR",
            EXPORTWATCH_JOB_STALE_SECONDS=str(STALE_SECONDS),
            PYTHONPATH=str(REPO),
        )
        env.update(extra)
        return env

    def scenario(self, *args: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.scenario", *args],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [EXPORTWATCH, *args], cwd=self.var, env=self.env(), capture_output=True, text=True, timeout=600, check=False
        )

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [EXPORTWATCH, *args],
            cwd=self.var,
            env=self.env(**env),
            stdout=(self.var / f"{args[0]}.out").open("ab"),
            stderr=subprocess.STDOUT,
        )

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """A read from this process, without Django (SQLite: ``?`` placeholders; PostgreSQL: ``%s``)."""
        if self.engine == "sqlite":
            con = sqlite3.connect(self.name, timeout=30)
            try:
                return con.execute(sql, params).fetchall()
            finally:
                con.close()
        import psycopg

        with psycopg.connect(dbname=self.name, autocommit=True, **_pg_params()) as pg:
            return pg.execute(sql.replace("?", "%s"), params).fetchall()

    def write_locked(self) -> bool:
        """SQLite: whether another connection holds the write lock now (a write transaction is open)."""
        con = sqlite3.connect(self.name, timeout=0)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return True
            raise
        finally:
            con.close()
