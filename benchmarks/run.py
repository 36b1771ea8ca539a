"""`make bench`: measure the foundation's write and read paths on the demo district; write docs/benchmarks.md.

Each figure is compared with a baseline measured in the same run on the same database, because this machine is
shared and noisy: the ratio is what to watch, the absolute times are for orientation.

    python -m benchmarks.run [--database sqlite|postgresql] [--output docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("EXPORTWATCH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/exportwatch_bench")


def _timed(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Best-of-``repeat`` wall time in seconds (the least disturbed run)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _setup(database: str) -> str:
    tmp = tempfile.mkdtemp(prefix="exportwatch-bench-")
    os.environ["EXPORTWATCH_VAR"] = tmp
    os.environ["EXPORTWATCH_DEMO"] = "1"
    os.environ["EXPORTWATCH_TODAY"] = "2020-04-15"
    os.environ["DJANGO_SETTINGS_MODULE"] = "exportwatch.settings"
    if database == "postgresql":
        import psycopg

        admin_url = PG_URL.rsplit("/", 1)[0] + "/postgres"
        name = PG_URL.rsplit("/", 1)[1]
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = PG_URL
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    import django

    django.setup()
    return tmp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    _setup(args.database)

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from exportwatch.core.records import clean_line, clean_report
    from exportwatch.demo.loader import demo_load
    from exportwatch.directory.models import Enterprise
    from exportwatch.exchange.exports import export_csv_text
    from exportwatch.exchange.services import import_files
    from exportwatch.reporting.adapters import validation_context
    from exportwatch.reporting.models import Report, ReportLine, Source
    from exportwatch.reporting.services import report_submit

    call_command("init", verbosity=0)
    t0 = time.perf_counter()
    demo_load()
    load_seconds = time.perf_counter() - t0
    results: list[tuple[str, str, str, str]] = []

    # 1. CSV import of one month (all enterprises' reports and lines, amounts changed so every report is a
    #    new version) against the baseline of only parsing and validating the same rows in the core.
    scope = Enterprise.objects.all()
    reports_csv = "".join(export_csv_text("reports", enterprises=scope, period="2020-03"))
    lines_csv = "".join(export_csv_text("report_lines", enterprises=scope, period="2020-03"))

    def bump(text: str, column: str) -> bytes:
        rows = text.splitlines()
        header = rows[0].split(",")
        i = header.index(column)
        out = [rows[0]]
        for row in rows[1:]:
            cells = row.split(",")
            cells[i] = str(Decimal(cells[i]) + 1)
            out.append(",".join(cells))
        return ("\n".join(out) + "\n").encode()

    files = [("reports.csv", bump(reports_csv, "backlog_usd")), ("report_lines.csv", lines_csv.encode())]
    n_rows = reports_csv.count("\n") - 1 + lines_csv.count("\n") - 1

    import csv
    import io

    def validate_only() -> None:
        ctx = validation_context(preload_enterprises=True)
        for row in csv.DictReader(io.StringIO(reports_csv)):
            clean_report(row, ctx=ctx)
        for row in csv.DictReader(io.StringIO(lines_csv)):
            clean_line(row, ctx=ctx)

    base = _timed(validate_only)
    start = time.perf_counter()
    outcome = import_files(files, user=None)
    imp = time.perf_counter() - start
    assert not outcome.problems, outcome.problems[:3]
    results.append(
        (
            f"CSV import, one month ({n_rows} rows: {outcome.written['reports']} new report versions)",
            f"{imp:.2f} s ({n_rows / imp:,.0f} rows/s)",
            f"core validation only: {base:.3f} s",
            f"{imp / base:.1f}×",
        )
    )

    # 2. Web-path submissions: report_submit (lock, version, lines, audit) against a bare insert of the same rows.
    ents = list(Enterprise.objects.order_by("uscc")[:100])
    from exportwatch.core.records import LineIn, ReportIn

    def payload(e: Any, k: int) -> tuple[ReportIn, list[LineIn]]:
        rep = ReportIn(
            uscc=e.uscc,
            period="2020-04",
            exports_usd=Decimal(1000 + k),
            new_orders_usd=Decimal(900),
            backlog_usd=Decimal(5000),
            backlog_due_3m_usd=Decimal(3000),
            capacity_utilization_pct=Decimal(80),
            new_orders_trend="same",
            outlook_3m="down",
        )
        lines = [
            LineIn(
                uscc=e.uscc,
                period="2020-04",
                market=m,
                hs="84",
                backlog_usd=Decimal(1000),
                new_orders_usd=Decimal(100),
                exports_usd=Decimal(100),
            )
            for m in ("US", "DE", "JP")
        ]
        return rep, lines

    counter = iter(range(10**6))

    def submit_all() -> None:
        k = next(counter)
        for e in ents:
            rep, lines = payload(e, k)
            report_submit(enterprise=e, data=rep, lines=lines, submitted_by=None, source=Source.API)

    def bare_all() -> None:
        k = next(counter)
        for e in ents:
            r = Report.objects.create(
                enterprise=e,
                period="2019-01" if k % 2 else "2018-12",
                version=1000 + k,
                is_current=False,
                exports_usd=1,
                new_orders_usd=1,
                backlog_usd=1,
                backlog_due_3m_usd=1,
                new_orders_trend="same",
                outlook_3m="same",
                source=Source.API,
                submitted_at=dt.datetime.now(dt.UTC),
            )
            ReportLine.objects.bulk_create(
                ReportLine(report=r, market_id=m, hs="84", backlog_usd=1, new_orders_usd=1, exports_usd=1)
                for m in ("US", "DE", "JP")
            )

    sub = _timed(submit_all)
    bare = _timed(bare_all)
    results.append(
        (
            f"report_submit × {len(ents)} (3 lines each; new version every time)",
            f"{sub:.2f} s ({len(ents) / sub:,.0f} reports/s, {sub / len(ents) * 1000:.1f} ms each)",
            f"bare insert of the same rows: {bare:.2f} s",
            f"{sub / bare:.1f}×",
        )
    )

    # 3. Reads: the analyst's status page for the whole district, against the login page (no data).
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="analyst"))
    status_t = _timed(lambda: client.get("/bureau/status/?period=2020-03"), repeat=5)
    list_t = _timed(lambda: client.get("/bureau/enterprises/"), repeat=5)
    anon = Client()
    login_t = _timed(lambda: anon.get("/login/"), repeat=5)
    results.append(
        (
            "status page, 472 enterprises, 2020-03",
            f"{status_t * 1000:.0f} ms",
            f"login page: {login_t * 1000:.0f} ms",
            f"{status_t / login_t:.1f}×",
        )
    )
    results.append(
        (
            "enterprise list page (50 rows)",
            f"{list_t * 1000:.0f} ms",
            f"login page: {login_t * 1000:.0f} ms",
            f"{list_t / login_t:.1f}×",
        )
    )
    stress_t = _timed(
        lambda: client.get("/bureau/stress/?d0=market&k0=US&c0=-30&m0=3&d1=market_group&k1=EU&c1=-20"), repeat=5
    )
    results.append(
        (
            "stress test page, US −30 % and EU −20 % (benchmarks/stress_speed.py: the province)",
            f"{stress_t * 1000:.0f} ms",
            f"login page: {login_t * 1000:.0f} ms",
            f"{stress_t / login_t:.1f}×",
        )
    )

    from exportwatch.forecasting.models import ForecastRun
    from exportwatch.forecasting.selectors import series_data

    run = ForecastRun.objects.order_by("-origin_period").first()
    if run is not None:  # demo_load computed the forecasts; reading the series is the baseline
        read_t = _timed(lambda: series_data(period=run.origin_period))
        results.append(
            (
                f"forecasts of every series ({run.series}: backtest, choice, forecast; "
                "benchmarks/forecasting_speed.py: the province)",
                f"{run.seconds:.1f} s",
                f"reading the series: {read_t * 1000:.0f} ms",
                f"{run.seconds / read_t:.0f}×",
            )
        )
        forecast_t = _timed(lambda: client.get("/bureau/forecasts/"), repeat=5)
        results.append(
            (
                "forecast page (district fan chart, record, target)",
                f"{forecast_t * 1000:.0f} ms",
                f"login page: {login_t * 1000:.0f} ms",
                f"{forecast_t / login_t:.1f}×",
            )
        )

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    vendor = connection.vendor
    version = connection.pg_version if vendor == "postgresql" else None  # e.g. 150019
    db_desc = (
        f"PostgreSQL {version // 10000}.{version % 10000}"
        if version
        else f"SQLite {__import__('sqlite3').sqlite_version} (file, WAL)"
    )
    lines_md = [
        f"### {db_desc}",
        "",
        f"Measured {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M')} UTC on {cpu}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; command: `{' '.join([Path(sys.executable).name, '-m', 'benchmarks.run', *sys.argv[1:]])}`.",
        f"Demo district loaded in {load_seconds:.1f} s. Times are the best of 3 (pages: of 5).",
        "",
        "| what | measured | baseline (same run) | ratio |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in results],
        "",
    ]
    text = "\n".join(lines_md)
    print(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)


if __name__ == "__main__":
    main()
