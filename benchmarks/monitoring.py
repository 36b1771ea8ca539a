"""Monitoring benchmark: the dashboards through real HTTP requests to a running server, next to the same figures
computed naively on the same database in the same run, and how soon a submitted report shows.

    python -m benchmarks.monitoring --database sqlite|postgresql --tier district|city|province [--requests 30]
        [--output F] [--existing]

District: the demo (472 enterprises, 39 months). City and province: ``exportwatch synth --tier city|province``
(20,000 and 100,000 enterprises, 36 months). ``--existing`` measures the database ``DATABASE_URL`` names as it is
(a synthetic population loaded before; the load time is then not measured).
The server is ``exportwatch serve`` (waitress, 8 threads) in its own process; latency is measured by the client
(login once, then sequential GETs, after one warm-up request per page). "Naive" is the overview's headline and its
market breakdown computed the way a first version would: every current report and its lines loaded through the
ORM and summed in Python. Freshness: a report submitted through the REST API, then the overview's CSV read until
its month's exports include it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.cookiejar
import io
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

PG_URL = os.environ.get("EXPORTWATCH_BENCH_MON_PG", "postgresql://postgres@127.0.0.1:5432/exportwatch_monitoring")
EXISTING_URL = ""  # --existing: the database DATABASE_URL names, measured as it is
PERIOD = "2020-03"
PAGES = {
    "overview": "/bureau/monitoring/?period={p}",
    "by market": "/bureau/monitoring/structure/market/?period={p}",
    "by town": "/bureau/monitoring/structure/town/?period={p}",
    "by industry": "/bureau/monitoring/structure/industry/?period={p}",
    "by HS chapter": "/bureau/monitoring/structure/hs/?period={p}",
    "market profile (US)": "/bureau/monitoring/market/US/?period={p}",
    "head enterprises": "/bureau/monitoring/head/?period={p}",
}


def _env(database: str, var: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        EXPORTWATCH_VAR=var,
        EXPORTWATCH_DEMO="1",
        EXPORTWATCH_TODAY="2020-04-15",
        EXPORTWATCH_LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="exportwatch.settings",
    )
    env["DATABASE_URL"] = EXISTING_URL or (PG_URL if database == "postgresql" else f"sqlite:///{var}/bench.sqlite3")
    return env


def _exportwatch(env: dict[str, str], *args: str) -> str:
    exe = str(Path(sys.executable).with_name("exportwatch"))
    return subprocess.run([exe, *args], env=env, check=True, capture_output=True, text=True).stdout


def _python(env: dict[str, str], script: str) -> str:
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return done.stdout


def prepare(database: str, tier: str, var: str, *, existing: bool = False) -> dict[str, Any]:
    env = _env(database, var)
    if existing:
        pass  # measure the database as it is (e.g. a synthetic city loaded before)
    elif database == "postgresql":
        import psycopg

        admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
        name = PG_URL.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
            # The planner setting docs/operations.md recommends for SSD storage (index probes cost about what
            # sequential reads do), so PostgreSQL reaches the lines of a market through their index.
            conn.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')
    start = time.perf_counter()
    if existing:
        pass
    elif tier == "district":
        _exportwatch(env, "demo")
    else:
        _exportwatch(env, "init")
        _exportwatch(env, "synth", "--tier", tier)
    loaded = time.perf_counter() - start
    # An analyst over everything loaded and an API token for the freshness probe.
    script = (
        "import django; django.setup()\n"
        "from exportwatch.accounts.models import User, Role, ApiToken\n"
        "from exportwatch.directory.models import Region, Enterprise\n"
        "from exportwatch.reporting.models import Report, ReportLine\n"
        "e = Enterprise.objects.select_related('town').order_by('id').first()\n"
        "root = Region.objects.get(code=e.town.path.strip('/').split('/')[0])  # the root above the enterprises\n"
        "u = User.objects.filter(username='bench-analyst').first() or User(username='bench-analyst')\n"
        "u.role = Role.ANALYST; u.region = root; u.set_password('bench-password-1'); u.save()\n"
        "_t, raw = ApiToken.objects.issue(user=u, name='bench')\n"
        "import json; print(json.dumps({'token': raw, 'enterprises': Enterprise.objects.count(),"
        " 'reports': Report.objects.count(), 'lines': ReportLine.objects.count()}))\n"
    )
    out = _python(env, script)
    info: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    info["load_seconds"] = round(loaded, 1)
    return info


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> bytes:
        with self.opener.open(self.base + path, timeout=120) as response:
            return bytes(response.read())

    def login(self, username: str, password: str) -> None:
        page = self.get("/login/").decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        data = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
        ).encode()
        request = urllib.request.Request(self.base + "/login/", data=data, headers={"Referer": self.base + "/login/"})
        with self.opener.open(request, timeout=60) as response:
            assert "/login/" not in response.geturl(), "login failed"


def _wait_for(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/login/", timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _overview_exports(client: Client) -> float:
    text = client.get(f"/bureau/monitoring/?period={PERIOD}&format=csv").decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text)):  # month, enterprises, exports, ... (headers in the page's language)
        if row and row[0] == PERIOD:
            return float(row[2] or 0)
    return 0.0


def _freshness(client: Client, base: str, token: str, env: dict[str, str]) -> float:
    """Seconds from submitting a correction through the API to the overview's total including it."""
    script = (
        "import django, json; django.setup()\n"
        "from exportwatch.reporting.models import Report\n"
        f"r = Report.objects.filter(is_current=True, period='{PERIOD}').select_related('enterprise').order_by('id').first()\n"
        "print(json.dumps({'uscc': r.enterprise.uscc, 'exports': str(r.exports_usd), 'new_orders': str(r.new_orders_usd),"
        " 'backlog': str(r.backlog_usd), 'due': str(r.backlog_due_3m_usd), 'version': r.version,"
        " 'lines': [[l.market_id, l.hs, str(l.backlog_usd), str(l.new_orders_usd), str(l.exports_usd)] for l in r.lines.all()]}))\n"
    )
    out = _python(env, script)
    cur = json.loads(out.strip().splitlines()[-1])
    before = _overview_exports(client)
    added = 12345.0
    payload = {
        "uscc": cur["uscc"],
        "period": PERIOD,
        "exports_usd": str(float(cur["exports"]) + added),
        "new_orders_usd": cur["new_orders"],
        "backlog_usd": cur["backlog"],
        "backlog_due_3m_usd": cur["due"],
        "new_orders_trend": "same",
        "outlook_3m": "same",
        "base_version": cur["version"],
        "lines": [
            {"market": m, "hs": h, "backlog_usd": b, "new_orders_usd": n, "exports_usd": e}
            for m, h, b, n, e in cur["lines"]
        ],
    }
    request = urllib.request.Request(
        base + "/api/reports",
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status in (200, 201), response.status
    while time.perf_counter() - start < 30:
        if abs(_overview_exports(client) - (before + added)) < 0.5:
            return time.perf_counter() - start
    raise RuntimeError("the submitted report never showed")


def _naive(env: dict[str, str]) -> float:
    """The overview headline and its market breakdown, the naive way, timed in its own process."""
    script = (
        "import django, time, json; django.setup()\n"
        "from collections import defaultdict\n"
        "from exportwatch.reporting.models import Report\n"
        "start = time.perf_counter()\n"
        "totals = defaultdict(float); markets = defaultdict(float)\n"
        f"for p in ('{PERIOD}', '2019-03'):\n"
        "    for r in Report.objects.filter(period=p, is_current=True):\n"
        "        totals[(p, 'exports')] += float(r.exports_usd); totals[(p, 'new')] += float(r.new_orders_usd)\n"
        "        for l in r.lines.all():\n"
        "            markets[(p, l.market_id)] += float(l.exports_usd)\n"
        "print(json.dumps({'seconds': time.perf_counter() - start}))\n"
    )
    out = _python(env, script)
    return float(json.loads(out.strip().splitlines()[-1])["seconds"])


def measure(database: str, tier: str, requests: int, var: str, info: dict[str, Any]) -> dict[str, Any]:
    env = _env(database, var)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    exe = str(Path(sys.executable).with_name("exportwatch"))
    server = subprocess.Popen(
        [exe, "serve", "--port", str(port), "--no-worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_for(base)
        client = Client(base)
        client.login("bench-analyst", "bench-password-1")
        pages: dict[str, dict[str, float]] = {}
        for name, path in PAGES.items():
            url = path.format(p=PERIOD)
            client.get(url)  # warm-up: templates, connections
            times = []
            for _ in range(requests):
                start = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            pages[name] = {
                "p50": round(statistics.median(times), 1),
                "p95": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
            }
        fresh = _freshness(client, base, info["token"], env)
        peak = _peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"pages": pages, "fresh_seconds": round(fresh, 3), "server_peak_mb": peak, "naive_seconds": _naive(env)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--tier", choices=["district", "city", "province"], default="district")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--existing", action="store_true", help="measure the database DATABASE_URL names as it is")
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="exportwatch-mon-")
    if args.existing:
        global EXISTING_URL
        EXISTING_URL = os.environ["DATABASE_URL"]
    info = prepare(args.database, args.tier, var, existing=args.existing)
    res = measure(args.database, args.tier, args.requests, var, info)
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "unknown",
    )
    loaded = "loaded before the run" if args.existing else f"loaded in {info['load_seconds']} s"
    overview = res["pages"]["overview"]["p50"] / 1000
    market = res["pages"]["by market"]["p50"] / 1000
    lines = [
        f"### Monitoring pages, {args.tier} tier, {args.database}",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {cpu}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; command: `python -m benchmarks.monitoring --database {args.database} --tier "
        f"{args.tier} --requests {args.requests}{' --existing' if args.existing else ''}`. Data: {info['enterprises']:,} enterprises, {info['reports']:,} "
        f"reports, {info['lines']:,} lines ({loaded}). Each page: {args.requests} "
        "sequential requests through HTTP to `exportwatch serve` after one warm-up.",
        "",
        "| page | p50 ms | p95 ms |",
        "|---|---|---|",
        *(f"| {name} | {v['p50']} | {v['p95']} |" for name, v in res["pages"].items()),
        "",
        f"- Naive (same database, same run): the overview's headline and its market breakdown by loading every "
        f"current report of the month and of the month a year before and their lines through the ORM: "
        f"**{res['naive_seconds']:.2f} s**, {res['naive_seconds'] / max(overview + market, 1e-9):.1f}× the two pages' "
        "p50 together.",
        f"- A report corrected through the REST API showed in the overview's total after **{res['fresh_seconds']} s** "
        "(target ≤ 1 s).",
        f"- Server peak memory (VmHWM): **{res['server_peak_mb']} MB** (target ≤ 2 GB).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.output:
        args.output.write_text(text)


if __name__ == "__main__":
    main()
