"""Deadline rush: many enterprises log in, open their monthly form and submit it (some correcting it) at the same
time, against the production server on a fresh database; then every submission is checked to have landed once.

    python -m benchmarks.deadline_rush --database sqlite|postgresql [--enterprises 500] [--clients 50]
        [--seed 1] [--server "serve --production"] [--pg-url URL] [--output F]

Set-up: a fresh database (a SQLite file in a temporary directory, or a PostgreSQL scratch database ``rush_<pid>``
created for the run and dropped after it), migrated, the reference data loaded, ``--enterprises`` synthetic
enterprises in the towns of the demo district, each with one reporter whose password is stored as a real argon2
hash (hashed once and the encoded hash reused: every user has the same password), and one analyst over the
district. The server is ``exportwatch serve --production`` when that command offers it, else ``exportwatch serve``
(waitress), in its own process on a free loopback port, with a secret key, DEBUG off and the clock fixed at
2020-04-15, so the form to fill is March 2020's.

The load: ``--clients`` threads, each with its own cookie jar, take the enterprises one by one from a shared queue:
GET /login/, POST the login with the CSRF token, GET the March form, POST it with random figures and lines by market
and product; 20 % of the enterprises then correct it once more and 10 % twice more (each time opening the form again
and submitting new figures). Every request's latency and status is kept.

The check, after the run: from the database (the ORM in a child process) every enterprise has exactly one current
March report, as many versions as it submitted successfully, and its figures and lines equal the last ones it
submitted; from the app, the analyst's monitoring overview (its CSV download) shows for March the number of
enterprises and the sums of what was submitted. ``tests/load/test_deadline_rush.py`` runs the same code with 40
enterprises and 8 clients in ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import platform
import queue
import random
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2020-04-15"
PERIOD = "2020-03"  # the month due on TODAY
DISTRICT = "330213"  # the demo district (Fenghua); its towns come with the reference data
PASSWORD = "rush-Password-2020"
ANALYST = "rush-analyst"
PG_ADMIN_URL = os.environ.get("EXPORTWATCH_BENCH_RUSH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# What a user would see if SQLite's lock ever reached them (SQLite's message is not translated; the Chinese forms
# are what a translated error page would say).
LOCKED_TEXTS = ("database is locked", "数据库已锁定", "数据库被锁定", "数据库被锁")
STEPS = ("login page", "login", "form", "submit")
REPORT_FIELDS = ("exports_usd", "new_orders_usd", "backlog_usd", "backlog_due_3m_usd", "capacity_utilization_pct")
LINE_FIELDS = ("backlog_usd", "new_orders_usd", "exports_usd")
TRENDS = ("up", "same", "down")


# --- the scratch database and the server -------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(engine: str, workdir: Path, *, pg_admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """A new empty database for one run, as a DATABASE_URL; a PostgreSQL one is dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{workdir / 'rush.sqlite3'}"
        return
    import psycopg

    name = f"rush_{os.getpid()}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(database_url: str, var: Path) -> dict[str, str]:
    """The environment of a production server on ``database_url``: its own key, no demo, no debug, a fixed day."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EXPORTWATCH_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="exportwatch.settings",
        DATABASE_URL=database_url,
        EXPORTWATCH_SECRET_KEY=secrets.token_urlsafe(50),
        EXPORTWATCH_DEBUG="0",
        EXPORTWATCH_TODAY=TODAY,
        EXPORTWATCH_VAR=str(var),
        EXPORTWATCH_LOG_LEVEL="WARNING",
    )
    return env


def _exportwatch() -> str:
    return str(Path(sys.executable).with_name("exportwatch"))


def default_server_args() -> list[str]:
    """``serve --production --no-worker`` as far as the serve command offers them, else ``serve`` (waitress)."""
    from exportwatch.directory.management.commands.serve import Command  # its options need no settings

    usage = Command().create_parser("exportwatch", "serve").format_help()
    # No background import thread where it can be turned off: the rush measures the web path alone.
    return ["serve", *(option for option in ("--production", "--no-worker") if option in usage)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    """Every process below ``pid`` (gunicorn's workers, say), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        frontier += kids
    return found


_ACCESS = re.compile(r'"(GET|POST) (\S+) HTTP/[0-9.]+" \d+ \S+ (\d+)ms')


@dataclass
class Server:
    """The production server in its own process group, on a free loopback port."""

    command: list[str]
    base: str
    process: subprocess.Popen[bytes]
    log: Path
    processes: int = 1  # counted under the server's process once it answers
    shape: str = ""  # what the server says it runs ("5 processes x 4 threads")

    def served_ms(self) -> dict[str, list[float]]:
        """Per step, the time the server itself spent on each request (gunicorn's access log; empty for waitress,
        which keeps none): the client's latency less this is the time a request waited for a free thread."""
        steps = {
            ("GET", "login"): "login page",
            ("POST", "login"): "login",
            ("GET", "edit"): "form",
            ("POST", "edit"): "submit",
        }
        out: dict[str, list[float]] = {s: [] for s in STEPS}
        body = self.log.read_text(errors="replace") if self.log.exists() else ""
        for method, path, ms in _ACCESS.findall(body):
            kind = "login" if path == "/login/" else "edit" if path.endswith(f"/{PERIOD}/edit/") else ""
            if (step := steps.get((method, kind))) is not None:
                out[step].append(int(ms) / 1000)
        return out

    def log_count(self, *texts: str) -> int:
        body = self.log.read_text(errors="replace") if self.log.exists() else ""
        return sum(body.count(t) for t in texts)


def _threads(args: list[str]) -> str:
    """Threads of the waitress server (``serve`` says nothing about them): ``--threads`` or its default, 8."""
    return args[args.index("--threads") + 1] if "--threads" in args[:-1] else "8"


@contextlib.contextmanager
def server_running(env: dict[str, str], workdir: Path, server_args: list[str] | None = None) -> Iterator[Server]:
    args = list(server_args) if server_args else default_server_args()
    port = _free_port()
    command = [_exportwatch(), *args, "--host", "127.0.0.1", "--port", str(port)]
    log = workdir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(command=["exportwatch", *args], base=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server stopped: {log.read_text(errors='replace')[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(server.base + "/login/", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        time.sleep(0.5)  # let a pre-forking server finish starting its workers before counting them
        server.processes = 1 + len(_children(process.pid))
        said = re.search(r"with (\d+ processes x \d+ threads)", log.read_text(errors="replace"))
        server.shape = said.group(1) if said else f"1 process x {_threads(args)} threads"
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# --- Django work in a child process (the ORM on the scratch database, with the production settings) ------------


def _child(env: dict[str, str], action: str, **kwargs: Any) -> Any:
    """Run ``_<action>_here(**kwargs)`` in a Python process on ``env``'s database; its JSON result."""
    script = (
        "import json, sys, django; django.setup()\n"
        "from benchmarks import deadline_rush as r\n"
        "print('\\n' + json.dumps(getattr(r, '_' + sys.argv[1] + '_here')(**json.loads(sys.argv[2]))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, action, json.dumps(kwargs)], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"{action} failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _populate_here(enterprises: int, seed: int) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from exportwatch.accounts.models import Role, User
    from exportwatch.demo.synth import synth_uscc
    from exportwatch.directory.models import Enterprise, HSCode, Industry, Market, Region

    call_command("init", verbosity=0)  # migrate and load the reference data
    rng = random.Random(seed)
    towns = list(
        Region.objects.filter(level=Region.Level.TOWN, path__contains=f"/{DISTRICT}/")
        .order_by("code")
        .values_list("code", flat=True)
    )
    industries = list(Industry.objects.values_list("code", flat=True))
    Enterprise.objects.bulk_create(
        Enterprise(
            uscc=synth_uscc(DISTRICT, i, seed),
            name=f"Rush Trading Co. {i:04d}",
            town_id=towns[i % len(towns)],
            industry_id=rng.choice(industries),
            exports_last_year_usd=Decimal(rng.randrange(200_000, 30_000_000)),
            imports_last_year_usd=Decimal(rng.randrange(0, 2_000_000)),
        )
        for i in range(enterprises)
    )
    ids = dict(Enterprise.objects.values_list("uscc", "id"))
    # One real argon2 hash for everyone (they share the password): a valid stored password, hashed once.
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2"), "the production settings should hash with argon2"
    usccs = [synth_uscc(DISTRICT, i, seed) for i in range(enterprises)]
    User.objects.bulk_create(
        User(username=f"rush{i:04d}", role=Role.REPORTER, enterprise_id=ids[uscc], password=encoded)
        for i, uscc in enumerate(usccs)
    )
    User.objects.create(username=ANALYST, role=Role.ANALYST, region=Region.objects.get(code=DISTRICT), password=encoded)
    return {
        "enterprises": [[uscc, f"rush{i:04d}"] for i, uscc in enumerate(usccs)],
        "markets": list(Market.objects.order_by("code").values_list("code", flat=True)),
        "hs": list(HSCode.objects.filter(code__regex=r"^[0-9]{2}$").order_by("code").values_list("code", flat=True)),
    }


def _stored_here(period: str) -> dict[str, Any]:
    """Per enterprise: its reports of ``period`` (versions, current ones) and the current one's figures and lines."""
    from exportwatch.reporting.models import Report

    out: dict[str, Any] = {}
    reports = Report.objects.filter(period=period).select_related("enterprise").prefetch_related("lines")
    for r in reports.order_by("enterprise_id", "version"):
        row = out.setdefault(r.enterprise.uscc, {"versions": [], "current": 0, "figures": None, "lines": None})
        row["versions"].append(r.version)
        if r.is_current:
            row["current"] += 1
            row["figures"] = {k: _text(getattr(r, k)) for k in REPORT_FIELDS}
            row["figures"].update(new_orders_trend=r.new_orders_trend, outlook_3m=r.outlook_3m)
            row["lines"] = sorted(
                [ln.market_id, ln.hs, *(_text(getattr(ln, k)) for k in LINE_FIELDS)] for ln in r.lines.all()
            )
    return out


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- the load --------------------------------------------------------------------------------------------------


@dataclass
class Plan:
    enterprises: list[tuple[str, str]]  # (uscc, username)
    markets: list[str]
    hs: list[str]


@dataclass
class Submission:
    figures: dict[str, str]
    lines: list[list[str]]  # [market, hs, backlog, new orders, exports]


@dataclass
class RushResult:
    seconds: float = 0.0
    samples: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    statuses: dict[int, int] = field(default_factory=dict)
    server_errors: int = 0
    locked: int = 0
    transport_errors: list[str] = field(default_factory=list)
    login_failures: int = 0
    failed_submissions: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    logins: int = 0
    submissions: int = 0
    # per enterprise: how many submissions succeeded, and the last one that did
    accepted: dict[str, int] = field(default_factory=dict)
    last: dict[str, Submission] = field(default_factory=dict)


def _draw(rng: random.Random, plan: Plan) -> Submission:
    """Random but consistent figures: lines never add up to more than the report's totals."""
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < rng.randint(1, 4):
        pairs.add((rng.choice(plan.markets), rng.choice(plan.hs)))
    lines = []
    for market, hs in sorted(pairs):
        lines.append([market, hs, *(str(rng.randrange(0, 900_000)) for _ in LINE_FIELDS)])
    sums = [sum(int(ln[2 + i]) for ln in lines) for i in range(3)]  # backlog, new orders, exports
    backlog = sums[0] + rng.randrange(0, 500_000)
    figures = {
        "exports_usd": str(sums[2] + rng.randrange(0, 500_000)),
        "new_orders_usd": str(sums[1] + rng.randrange(0, 500_000)),
        "backlog_usd": str(backlog),
        "backlog_due_3m_usd": str(rng.randrange(0, backlog + 1)),
        "capacity_utilization_pct": f"{rng.randrange(300, 1000) / 10:.1f}".removesuffix(".0"),
        "new_orders_trend": rng.choice(TRENDS),
        "outlook_3m": rng.choice(TRENDS),
    }
    return Submission(figures=figures, lines=lines)


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_BASE_VERSION = re.compile(r'name="base_version" value="(\d+)"')
_ERRORS = re.compile(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.S)


class _Runner:
    def __init__(self, base: str, plan: Plan, *, seed: int) -> None:
        self.base = base
        self.plan = plan
        self.seed = seed
        self.result = RushResult()
        self.lock = threading.Lock()
        self.todo: queue.Queue[int] = queue.Queue()
        for i in range(len(plan.enterprises)):
            self.todo.put(i)

    def _request(self, session: requests.Session, step: str, method: str, path: str, **kw: Any) -> Any:
        start = time.perf_counter()
        try:
            response = session.request(method, self.base + path, timeout=120, allow_redirects=False, **kw)
        except requests.RequestException as exc:
            with self.lock:
                self.result.transport_errors.append(f"{step} {path}: {exc}")
            return None
        took = time.perf_counter() - start
        body = response.text
        with self.lock:
            r = self.result
            r.samples[step].append(took)
            r.statuses[response.status_code] = r.statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                r.server_errors += 1
            if any(t in body for t in LOCKED_TEXTS):
                r.locked += 1
        return response

    def _unexpected(self, what: str) -> None:
        with self.lock:
            self.result.unexpected.append(what)

    def work(self) -> None:
        while True:
            try:
                index = self.todo.get_nowait()
            except queue.Empty:
                return
            self.enterprise(index)

    def enterprise(self, index: int) -> None:
        uscc, username = self.plan.enterprises[index]
        rng = random.Random(self.seed * 1_000_003 + index)
        draw = rng.random()
        rounds = 1 + (2 if draw < 0.10 else 1 if draw < 0.30 else 0)  # 10 % correct twice, 20 % once
        with requests.Session() as session:
            page = self._request(session, "login page", "GET", "/login/")
            if page is None or page.status_code != 200 or not (token := _CSRF.search(page.text)):
                self._unexpected(f"{username}: login page {getattr(page, 'status_code', None)}")
                return
            login = self._request(
                session,
                "login",
                "POST",
                "/login/",
                data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
                headers={"Referer": self.base + "/login/"},
            )
            if login is None or login.status_code != 302 or "/login/" in login.headers.get("Location", "/login/"):
                with self.lock:
                    self.result.login_failures += 1
                return
            with self.lock:
                self.result.logins += 1
            for _ in range(rounds):
                if not self.submit(session, rng, uscc):
                    return

    def submit(self, session: requests.Session, rng: random.Random, uscc: str) -> bool:
        path = f"/report/{uscc}/{PERIOD}/edit/"
        form = self._request(session, "form", "GET", path)
        if form is None or form.status_code != 200:
            self._unexpected(f"{uscc}: form {getattr(form, 'status_code', None)}")
            return False
        token, version = _CSRF.search(form.text), _BASE_VERSION.search(form.text)
        if not token or not version:
            self._unexpected(f"{uscc}: no CSRF token or base version on the form")
            return False
        sub = _draw(rng, self.plan)
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "base_version": version.group(1),
            "action": "submit",
            **sub.figures,
            "lines-TOTAL_FORMS": str(len(sub.lines)),
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "200",
        }
        for i, line in enumerate(sub.lines):
            for key, value in zip(("market", "hs", *LINE_FIELDS), line, strict=True):
                data[f"lines-{i}-{key}"] = value
        sent = self._request(session, "submit", "POST", path, data=data, headers={"Referer": self.base + path})
        if sent is None:
            return False
        if sent.status_code == 302 and sent.headers.get("Location", "").endswith(f"/report/{uscc}/{PERIOD}/"):
            with self.lock:
                self.result.submissions += 1
                self.result.accepted[uscc] = self.result.accepted.get(uscc, 0) + 1
                self.result.last[uscc] = sub
            return True
        if sent.status_code == 400:
            errors = [re.sub(r"<[^>]+>", " ", e).strip() for e in _ERRORS.findall(sent.text)]
            with self.lock:
                self.result.failed_submissions.append(f"{uscc}: {'; '.join(errors)[:300]}")
        else:
            self._unexpected(f"{uscc}: submit {sent.status_code}")
        return False


def rush(base: str, plan: Plan, *, clients: int, seed: int) -> RushResult:
    """Drive the whole plan through the server with ``clients`` concurrent clients."""
    runner = _Runner(base, plan, seed=seed)
    threads = [threading.Thread(target=runner.work, name=f"rush-client-{i}") for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    runner.result.seconds = time.perf_counter() - start
    return runner.result


# --- the check -------------------------------------------------------------------------------------------------


@dataclass
class Check:
    enterprises: int
    missing: list[str]  # submitted at least once, no current report
    duplicated: list[str]  # more than one current report, or more versions than accepted submissions
    lost: list[str]  # the current report differs from the last accepted submission
    lines_wrong: list[str]
    expected: dict[str, Decimal]  # sums of the last accepted submissions, and how many enterprises
    dashboard: dict[str, Decimal]  # what the analyst's overview shows for the month
    database: dict[str, Decimal]  # the same sums over the current reports in the database

    @property
    def totals_equal(self) -> bool:
        return self.expected == self.dashboard == self.database


TOTALS = {"enterprises": 1, "exports_usd": 2, "new_orders_usd": 3, "backlog_usd": 4, "backlog_due_3m_usd": 5}


def dashboard_totals(base: str, period: str) -> dict[str, Decimal]:
    """The month's row of the analyst's monitoring overview, as downloaded (CSV)."""
    with requests.Session() as s:
        token = _CSRF.search(s.get(base + "/login/", timeout=60).text)
        assert token, "no CSRF token on the login page"
        s.post(
            base + "/login/",
            data={"username": ANALYST, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": base + "/login/"},
            timeout=60,
        )
        response = s.get(base + f"/bureau/monitoring/?period={period}&format=csv", timeout=120)
        response.raise_for_status()
    text = response.content.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text)):
        if row and row[0] == period:
            return {key: Decimal(row[col] or 0) for key, col in TOTALS.items()}
    return {key: Decimal(0) for key in TOTALS}


def check(env: dict[str, str], base: str, plan: Plan, result: RushResult) -> Check:
    """What the database (through the ORM in a child process) and the analyst's overview hold after the rush."""
    return compare(plan, result, stored=_child(env, "stored", period=PERIOD), dashboard=dashboard_totals(base, PERIOD))


def compare(plan: Plan, result: RushResult, *, stored: dict[str, Any], dashboard: dict[str, Decimal]) -> Check:
    """What was accepted against what is stored (``_stored_here``) and what the overview shows."""
    missing, duplicated, lost, lines_wrong = [], [], [], []
    expected = {key: Decimal(0) for key in TOTALS}
    database = {key: Decimal(0) for key in TOTALS}
    for uscc, _user in plan.enterprises:
        row = stored.get(uscc)
        accepted = result.accepted.get(uscc, 0)
        if row is not None and row["current"] == 1:
            database["enterprises"] += 1
            for key in list(TOTALS)[1:]:
                database[key] += Decimal(row["figures"][key])
        if not accepted:
            if row is not None:
                duplicated.append(uscc)  # stored without an accepted submission
            continue
        sub = result.last[uscc]
        expected["enterprises"] += 1
        for key in list(TOTALS)[1:]:
            expected[key] += Decimal(sub.figures[key])
        if row is None or row["current"] == 0:
            missing.append(uscc)
            continue
        if row["current"] > 1 or row["versions"] != list(range(1, accepted + 1)):
            duplicated.append(uscc)
        figures = {k: Decimal(v) if k in REPORT_FIELDS else v for k, v in sub.figures.items()}
        got = {k: Decimal(v) if k in REPORT_FIELDS and v is not None else v for k, v in row["figures"].items()}
        if figures != got:
            lost.append(uscc)
        want_lines = sorted([m, h, *(Decimal(x) for x in amounts)] for m, h, *amounts in sub.lines)
        got_lines = sorted([m, h, *(Decimal(x) for x in amounts)] for m, h, *amounts in row["lines"])
        if want_lines != got_lines:
            lines_wrong.append(uscc)
    return Check(
        enterprises=len(plan.enterprises),
        missing=missing,
        duplicated=duplicated,
        lost=lost,
        lines_wrong=lines_wrong,
        expected=expected,
        dashboard=dashboard,
        database=database,
    )


# --- one run, end to end ---------------------------------------------------------------------------------------


@dataclass
class Run:
    engine: str
    server: list[str]
    processes: int
    shape: str
    clients: int
    setup_seconds: float
    plan: Plan
    result: RushResult
    check: Check
    server_log_errors: int
    server_log_locked: int
    served: dict[str, list[float]]
    load: tuple[float, float]  # the machine's 1-minute load average before and after the rush

    def targets(self) -> dict[str, bool]:
        r, c = self.result, self.check
        return {
            "zero lost (every enterprise's last figures and lines stored)": not (c.missing or c.lost or c.lines_wrong),
            "zero duplicated (one current report, one version per submission)": not c.duplicated,
            "zero server errors (5xx, broken connections)": r.server_errors == 0 and not r.transport_errors,
            "no 'database is locked' reaching a user": r.locked == 0,
            "every login and submission accepted": not (r.login_failures or r.failed_submissions or r.unexpected),
            "dashboard totals equal the sum of what was submitted": c.totals_equal,
        }


def deadline_rush(
    *,
    engine: str,
    enterprises: int,
    clients: int,
    seed: int = 1,
    server_args: list[str] | None = None,
    pg_admin_url: str = PG_ADMIN_URL,
) -> Run:
    with tempfile.TemporaryDirectory(prefix="exportwatch-rush-") as tmp:
        workdir = Path(tmp)
        with scratch_database(engine, workdir, pg_admin_url=pg_admin_url) as url:
            env = production_env(url, workdir / "var")
            start = time.perf_counter()
            raw = _child(env, "populate", enterprises=enterprises, seed=seed)
            plan = Plan(enterprises=[tuple(e) for e in raw["enterprises"]], markets=raw["markets"], hs=raw["hs"])
            setup_seconds = time.perf_counter() - start
            with server_running(env, workdir, server_args) as server:
                load_before = os.getloadavg()[0]
                result = rush(server.base, plan, clients=clients, seed=seed)
                load_after = os.getloadavg()[0]
                checked = check(env, server.base, plan, result)
                errors = server.log_count("Traceback", "Internal Server Error")
                locked = server.log_count(*LOCKED_TEXTS)
                served = server.served_ms()
            return Run(
                engine=engine,
                server=server.command,
                processes=server.processes,
                shape=server.shape,
                clients=clients,
                setup_seconds=setup_seconds,
                plan=plan,
                result=result,
                check=checked,
                server_log_errors=errors,
                server_log_locked=locked,
                served=served,
                load=(load_before, load_after),
            )


# --- the report ------------------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))] * 1000


def markdown(run: Run, command: str) -> str:
    r, c = run.result, run.check
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "unknown",
    )
    corrections = r.submissions - len(r.accepted)
    lines = [
        f"### Deadline rush, {run.engine}",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {cpu}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; command: `{command}`. Server: `{shlex.join(run.server)}` "
        f"({run.shape}; {run.processes} processes running) on loopback, production settings, fresh "
        f"database with {len(run.plan.enterprises):,} enterprises and their reporters (set up in "
        f"{run.setup_seconds:.1f} s). {run.clients} concurrent clients, each enterprise: log in, open the "
        f"{PERIOD} form, submit; {corrections} corrections on top (20 % once more, 10 % twice more).",
        "",
        f"- Rush: **{r.seconds:.1f} s**; {r.logins:,} logins (**{r.logins / r.seconds:.1f}/s**), {r.submissions:,} "
        f"submissions (**{r.submissions / r.seconds:.1f}/s**). The machine's load average (1 min) was "
        f"{run.load[0]:.1f} before and {run.load[1]:.1f} after on {os.cpu_count()} cores (other work shares it).",
        "",
        "Latency as the clients saw it (queueing included); in brackets, the server's own time for the same "
        "requests (its access log), where it keeps one:",
        "",
        "| step | requests | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|",
        *(
            f"| {step} | {len(v):,} | {_pct(v, 50):.0f}{_own(run.served[step], 50)} | "
            f"{_pct(v, 95):.0f}{_own(run.served[step], 95)} | {_pct(v, 99):.0f}{_own(run.served[step], 99)} | "
            f"{max(v, default=0) * 1000:.0f} |"
            for step, v in r.samples.items()
        ),
        "",
        f"- Statuses: {', '.join(f'{k}: {v:,}' for k, v in sorted(r.statuses.items()))}. Server errors (5xx): "
        f"{r.server_errors}; broken connections: {len(r.transport_errors)}; 'database is locked' in a response: "
        f"{r.locked} (in the server log: {run.server_log_locked}); tracebacks in the server log: "
        f"{run.server_log_errors}; failed logins: {r.login_failures}; submissions refused (form shown again): "
        f"{len(r.failed_submissions)}; other surprises: {len(r.unexpected)}.",
        f"- Stored (from the database): missing {len(c.missing)}, duplicated {len(c.duplicated)}, figures differing "
        f"from the last submission {len(c.lost)}, lines differing {len(c.lines_wrong)}.",
        "- Totals for the month (enterprises, exports, new orders, orders in hand, due in 3 months):",
        f"  submitted {_totals(c.expected)}; the analyst's overview {_totals(c.dashboard)}; the current reports in "
        f"the database {_totals(c.database)}.",
        "",
        "| target | |",
        "|---|---|",
        *(f"| {name} | {'met' if ok else '**missed**'} |" for name, ok in run.targets().items()),
        "",
    ]
    for title, items in (
        ("Refused submissions", r.failed_submissions),
        ("Broken connections", r.transport_errors),
        ("Other surprises", r.unexpected),
    ):
        if items:
            lines += [f"{title} (first 5):", "", *(f"- {item}" for item in items[:5]), ""]
    return "\n".join(lines)


def _own(values: list[float], q: float) -> str:
    return f" ({_pct(values, q):.0f})" if values else ""


def _totals(t: dict[str, Decimal]) -> str:
    return " / ".join(f"{t[k]:,.0f}" if k == "enterprises" else f"{t[k]:,.2f}" for k in TOTALS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--enterprises", type=int, default=500)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--server", help='the exportwatch command serving, e.g. "serve --production" or "serve"')
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="a PostgreSQL database to create the scratch one from")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    run = deadline_rush(
        engine=args.database,
        enterprises=args.enterprises,
        clients=args.clients,
        seed=args.seed,
        server_args=shlex.split(args.server) if args.server else None,
        pg_admin_url=args.pg_url,
    )
    command = (
        f"python -m benchmarks.deadline_rush --database {args.database} --enterprises {args.enterprises} "
        f"--clients {args.clients}" + (f" --server '{args.server}'" if args.server else "")
    )
    text = markdown(run, command)
    print(text)
    if args.output:
        args.output.write_text(text)


if __name__ == "__main__":
    main()
