"""Production mode: the refusals, the deployment checklist, and `exportwatch serve --production` as a real process
(gunicorn with several workers, hashed static files, the security headers, a clean stop on SIGTERM).

The server runs on a copy of the test database (SQLite: the in-memory test database backed up into a file;
PostgreSQL: the test database itself), migrated once for the whole session instead of once more here.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from exportwatch.common.production import ImportWorkerProcess, production_refusals, workers_default

STRONG_KEY = "vQ3m8JrT0x-5bHn2WkLp_9sYc7dEaZf4uGi1oR6tNqVjXwMyPe"  # 50 characters, for the tests only
STARTUP_TIMEOUT = 120  # seconds; a loaded CI machine takes a while to import the application twice
PASSWORD = "production-test-password"


# --- The refusals -----------------------------------------------------------------------------------------


def test_workers_default_to_twice_the_cores_plus_one_within_bounds() -> None:
    assert [workers_default(cpus=n) for n in (1, 2, 4, 8, 64)] == [3, 5, 9, 12, 12]


def test_a_strong_key_outside_debug_may_serve() -> None:
    assert production_refusals(debug=False, demo=False, secret_key=STRONG_KEY, key_from_env=True) == []


def test_the_demo_may_serve_with_its_generated_key_file() -> None:
    assert production_refusals(debug=False, demo=True, secret_key="from-the-file", key_from_env=False) == []


@pytest.mark.parametrize(
    ("debug", "demo", "key", "key_from_env", "reason"),
    [
        (True, False, STRONG_KEY, True, "EXPORTWATCH_DEBUG is on"),
        (False, False, "short-key", True, "EXPORTWATCH_SECRET_KEY is too weak"),
        (False, False, "ab" * 30, True, "EXPORTWATCH_SECRET_KEY is too weak"),  # long, but two characters
        (False, False, "django-insecure-" + STRONG_KEY, True, "EXPORTWATCH_SECRET_KEY is too weak"),
        (False, False, STRONG_KEY, False, "EXPORTWATCH_SECRET_KEY is not set"),
    ],
)
def test_it_refuses_debug_and_weak_or_missing_keys(
    debug: bool, demo: bool, key: str, key_from_env: bool, reason: str
) -> None:
    refusals = production_refusals(debug=debug, demo=demo, secret_key=key, key_from_env=key_from_env)
    assert len(refusals) == 1
    assert refusals[0].startswith(reason)


def test_the_command_refuses_to_start_in_debug_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORTWATCH_SECRET_KEY", STRONG_KEY)
    with override_settings(DEBUG=True, SECRET_KEY=STRONG_KEY), pytest.raises(CommandError) as raised:
        call_command("serve", production=True)
    assert "not starting in production mode" in str(raised.value)
    assert "EXPORTWATCH_DEBUG is on" in str(raised.value)


# --- The import worker beside the server ---------------------------------------------------------------


def wait_for(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_a_worker_that_dies_is_started_again_and_stopped_with_the_server(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    # Each run notes itself, and all but the first then wait to be stopped (the first dies at once).
    script = (
        "import pathlib, sys, time; p = pathlib.Path(sys.argv[1]); n = len(p.read_text()) if p.exists() else 0; "
        "p.write_text('x' * (n + 1)); sys.exit(3) if n == 0 else time.sleep(60)"
    )
    worker = ImportWorkerProcess(command=[sys.executable, "-c", script, str(starts)], restart_delay=0.1)
    worker.start()
    first = worker.process
    assert first is not None
    wait_for(lambda: starts.exists() and len(starts.read_text()) == 2, "the second start")
    second = worker.process
    assert second is not None and second.pid != first.pid
    assert first.returncode == 3
    worker.stop()
    assert second.returncode == -signal.SIGTERM
    assert len(starts.read_text()) == 2  # not started again once stopped


def test_a_worker_that_ignores_sigterm_is_killed_after_the_stop_timeout(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    script = (
        "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "pathlib.Path(sys.argv[1]).touch(); time.sleep(60)"
    )
    worker = ImportWorkerProcess(command=[sys.executable, "-c", script, str(ready)], stop_timeout=0.5)
    worker.start()
    wait_for(ready.exists, "the worker to ignore SIGTERM")
    worker.stop()
    assert worker.process is not None and worker.process.returncode == -signal.SIGKILL


# --- The deployment checklist ----------------------------------------------------------------------------


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("EXPORTWATCH_") and key not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        EXPORTWATCH_VAR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'db.sqlite3'}",
        EXPORTWATCH_SECRET_KEY=STRONG_KEY,
        EXPORTWATCH_ALLOWED_HOSTS="exportwatch.example.gov.cn,127.0.0.1",
        EXPORTWATCH_HTTPS="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def exportwatch(*args: str) -> list[str]:
    return [sys.executable, "-m", "exportwatch.cli", *args]


def test_the_deployment_checklist_is_clean_in_production_settings(tmp_path: Path) -> None:
    done = subprocess.run(
        exportwatch("check", "--deploy", "--fail-level", "WARNING"),
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNINGS" not in done.stdout + done.stderr


# --- The server ------------------------------------------------------------------------------------------


class Response(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def request(port: int, method: str, path: str, headers: dict[str, str] | None = None, body: str = "") -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, r.headers, r.read())
    finally:
        conn.close()


def wait_until_serving(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}:\n{log.read_text()}")
        try:
            request(port, "GET", "/login/", {"X-Forwarded-Proto": "https"})
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the server did not answer within {STARTUP_TIMEOUT} s:\n{log.read_text()}")


def children_of(pid: int) -> dict[int, str]:
    """Process id -> command line of the live child processes of ``pid``, read from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:  # gone meanwhile
            continue
        # Fields after the command name (in parentheses, which may contain spaces): state, ppid, ...
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found[int(entry.name)] = cmdline
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url_for_the_server(tmp_path: Path) -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        connection.ensure_connection()
        target = tmp_path / "var" / "db.sqlite3"
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        return f"sqlite:///{target}"
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def server(transactional_db: Any, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    from exportwatch.accounts.models import Role, User

    admin = User(username="ops-admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    admin.set_password(PASSWORD)
    admin.save()
    port = free_port()
    log = tmp_path / "server.log"
    env = production_env(tmp_path, DATABASE_URL=database_url_for_the_server(tmp_path))
    with log.open("wb") as out:
        process = subprocess.Popen(
            exportwatch("serve", "--production", "--port", str(port), "--workers", "2", "--threads", "2"),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(process, port, log)
        yield process, port, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_production_server_serves_securely_with_several_workers_and_stops_cleanly(
    server: tuple[subprocess.Popen[bytes], int, Path],
) -> None:
    process, port, log = server
    https = {"X-Forwarded-Proto": "https"}

    # The login page over HTTPS (as the reverse proxy reports it): every security header, a secure CSRF cookie.
    page = request(port, "GET", "/login/", https)
    assert page.status == 200
    csp = page.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csrf_cookie = next(c for c in page.headers.get_all("Set-Cookie", []) if c.startswith("csrftoken="))
    assert "; Secure" in csrf_cookie

    # Plain HTTP is sent to HTTPS, without HSTS (a browser ignores it there anyway).
    plain = request(port, "GET", "/login/")
    assert plain.status == 301
    assert plain.headers["Location"] == f"https://127.0.0.1:{port}/login/"
    assert "Strict-Transport-Security" not in plain.headers

    # The page links the stylesheet by its hashed name; that file is served compressed and cached for years.
    html = page.body.decode()
    stylesheet = re.search(r'href="(/static/exportwatch/app\.[0-9a-f]{12}\.css)"', html)
    assert stylesheet, html
    hashed = request(port, "GET", stylesheet[1], {"Accept-Encoding": "gzip", **https})
    assert hashed.status == 200
    assert hashed.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    assert hashed.headers["Content-Encoding"] == "gzip"
    unhashed = request(port, "GET", "/static/exportwatch/app.css", https)
    assert unhashed.status == 200
    assert unhashed.headers["Cache-Control"] == "max-age=60, public"  # may change with the next release

    # Signing in gives a session cookie only sent over HTTPS and hidden from scripts.
    csrf = csrf_cookie.split(";")[0].split("=", 1)[1]
    form = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert form
    signed_in = request(
        port,
        "POST",
        "/login/",
        {
            **https,
            "Cookie": f"csrftoken={csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"https://127.0.0.1:{port}/login/",
        },
        urlencode({"username": "ops-admin", "password": PASSWORD, "csrfmiddlewaretoken": form[1]}),
    )
    assert signed_in.status == 302, signed_in.body.decode()[:2000]
    session_cookie = next(c for c in signed_in.headers.get_all("Set-Cookie", []) if c.startswith("sessionid="))
    assert "; Secure" in session_cookie
    assert "; HttpOnly" in session_cookie

    # Two web processes and the import worker, all children of the master. The first web process may answer
    # before the master has forked the second (seen on a loaded machine), so the count is awaited, within bounds.
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        children = children_of(process.pid)
        web = [pid for pid, cmd in children.items() if " serve --production " in f"{cmd} "]
        workers = [pid for pid, cmd in children.items() if cmd.endswith("exportwatch.cli worker")]
        if (len(web), len(workers)) == (2, 1) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(web) == 2, (children, log.read_text())
    assert len(workers) == 1, children

    # SIGTERM: the master stops its processes and the import worker, then exits cleanly.
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=90) == 0
    assert [pid for pid in children if alive(pid)] == []
    output = log.read_text()
    assert '"GET /login/ HTTP/1.1" 200' in output  # the access log goes to standard output
    assert "Import worker stopped" in output


def test_the_static_files_are_collected_again_only_when_their_sources_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from django.core import management

    from exportwatch.common import production

    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "site.css").write_text("body { color: black }")
    settings.STATICFILES_DIRS = [sources]
    root = tmp_path / "static"
    root.mkdir()
    runs: list[str] = []

    def collectstatic(name: str, **_: Any) -> None:  # stands in for the 20-30 s of hashing and compressing
        runs.append(name)
        (root / production.STATIC_MANIFEST).write_text("{}")

    monkeypatch.setattr(management, "call_command", collectstatic)
    assert production.static_collect(root) is True  # never collected
    assert production.static_collect(root) is False  # the same sources: the collected files stand
    (sources / "site.css").write_text("body { color: navy }")  # an upgrade changes a file
    assert production.static_collect(root) is True
    assert production.static_collect(root) is False
    (sources / "new.js").write_text("")  # or adds one
    assert production.static_collect(root) is True
    (root / production.STATIC_MANIFEST).unlink()  # the collected files were removed
    assert production.static_collect(root) is True
    assert runs == ["collectstatic"] * 4
