"""Bulk import benchmark: CSV import of report_lines next to the raw database engine in the same run.

    python -m benchmarks.import_bulk --database sqlite|postgresql --lines 1000000 [--phase all|raw|raw_tables|import]

Three phases, each on a new database and in its own process (so its peak memory, ru_maxrss, is its own):
``raw`` — the lines into a bare table (no index, no constraint) with the engine's fastest path; ``raw_tables`` —
the same reports and lines, unchecked, into the application's own tables (their indexes, unique and foreign-key
constraints); ``import`` — ``import_files``, the path of ``exportwatch import``. The parent prints one JSON line.
The synthetic district: enough enterprises for ``--lines`` (10 lines per report, 40 periods).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_URL = os.environ.get("EXPORTWATCH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/exportwatch_bench")
LINES_PER_REPORT = 10
PERIODS = [f"{y}-{m:02d}" for y in range(2017, 2021) for m in range(1, 13)][:39]
MARKETS = ["US", "DE", "JP", "GB", "FR", "IT", "NL", "KR", "VN", "AU"]


def _setup_django(database: str, var: str) -> None:
    os.environ.update(
        EXPORTWATCH_VAR=var,
        EXPORTWATCH_DEMO="1",
        EXPORTWATCH_TODAY="2020-04-15",
        DJANGO_SETTINGS_MODULE="exportwatch.settings",
        EXPORTWATCH_LOG_LEVEL="ERROR",
        EXPORTWATCH_IMPORT_MAX_MB="500",  # the command line may take larger files than the web's default 50 MB
    )
    os.environ["DATABASE_URL"] = PG_URL if database == "postgresql" else f"sqlite:///{var}/bench.sqlite3"
    import django

    django.setup()


def _files(var: str, lines: int) -> tuple[Path, Path, int]:
    """Write reports.csv and report_lines.csv for ``lines`` lines; return their paths and the report count."""
    from exportwatch.core.codes import uscc_check_char

    reports = lines // LINES_PER_REPORT
    n_ent = max(1, -(-reports // len(PERIODS)))
    rep_path, line_path = Path(var, "reports.csv"), Path(var, "report_lines.csv")
    with rep_path.open("w", newline="") as rf, line_path.open("w", newline="") as lf:
        rw, lw = csv.writer(rf), csv.writer(lf)
        rw.writerow(
            [
                "uscc",
                "period",
                "exports_usd",
                "new_orders_usd",
                "backlog_usd",
                "backlog_due_3m_usd",
                "capacity_utilization_pct",
                "new_orders_trend",
                "outlook_3m",
            ]
        )
        lw.writerow(["uscc", "period", "market", "hs", "backlog_usd", "new_orders_usd", "exports_usd"])
        done = 0
        for e in range(n_ent):
            body = f"91330213MA{e:07d}"
            uscc = body + uscc_check_char(body)
            for period in PERIODS:
                if done >= reports:
                    break
                done += 1
                rw.writerow([uscc, period, 100000, 90000, 400000, 300000, 80, "same", "down"])
                for i in range(LINES_PER_REPORT):
                    lw.writerow([uscc, period, MARKETS[i], f"84{i:02d}", 40000, 9000, 10000])
    return rep_path, line_path, n_ent


def _enterprises(n_ent: int) -> None:
    from decimal import Decimal

    from exportwatch.core.codes import uscc_check_char
    from exportwatch.directory.models import Enterprise

    Enterprise.objects.bulk_create(
        Enterprise(
            uscc=f"91330213MA{e:07d}" + uscc_check_char(f"91330213MA{e:07d}"),
            name=f"基准企业{e}",
            town_id="330213001",
            industry_id="34",
            exports_last_year_usd=Decimal(1_200_000),
            imports_last_year_usd=Decimal(0),
        )
        for e in range(n_ent)
    )


def phase(database: str, var: str, lines: int, which: str) -> dict[str, object]:
    _setup_django(database, var)
    from django.db import connection, transaction

    line_path = Path(var, "report_lines.csv")
    rep_path = Path(var, "reports.csv")
    if which == "raw":
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "CREATE TABLE bench_raw_lines (report_id integer, market_id varchar(32), hs varchar(6), "
                "backlog_usd numeric(16,2), new_orders_usd numeric(16,2), exports_usd numeric(16,2))"
            )
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            if connection.vendor == "postgresql":
                raw = cur.cursor  # psycopg cursor: COPY
                with line_path.open(newline="") as fh:
                    reader = csv.reader(fh)
                    next(reader)
                    with raw.copy("COPY bench_raw_lines FROM STDIN") as copy:
                        for i, r in enumerate(reader):
                            copy.write_row((i, r[2], r[3], r[4], r[5], r[6]))
            else:
                with line_path.open(newline="") as fh:
                    reader = csv.reader(fh)
                    next(reader)
                    cur.executemany(
                        "INSERT INTO bench_raw_lines VALUES (%s, %s, %s, %s, %s, %s)",
                        ((i, r[2], r[3], r[4], r[5], r[6]) for i, r in enumerate(reader)),
                    )
        seconds = time.perf_counter() - start
    elif which == "raw_tables":
        seconds = _raw_into_tables(rep_path, line_path)
    else:
        from exportwatch.exchange.services import import_files

        files = [(str(rep_path), rep_path.read_bytes()), (str(line_path), line_path.read_bytes())]
        start = time.perf_counter()
        outcome = import_files(files, user=None)
        seconds = time.perf_counter() - start
        assert not outcome.problems, [str(p) for p in outcome.problems[:5]]
        assert outcome.written["report_lines"] == lines, outcome.written
    return {
        "phase": which,
        "seconds": round(seconds, 2),
        "rows_per_second": round(lines / seconds),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _raw_into_tables(rep_path: Path, line_path: Path) -> float:
    """The same reports and lines into the application's own tables (their indexes and constraints), unchecked:
    the raw engine's time for the writes ``import_files`` has to make. Report ids are assigned here."""
    from django.db import connection, transaction

    from exportwatch.directory.models import Enterprise

    ent_ids = dict(Enterprise.objects.values_list("uscc", "id"))
    report_cols = (
        "id, enterprise_id, period, version, is_current, exports_usd, new_orders_usd, backlog_usd, "
        "backlog_due_3m_usd, capacity_utilization_pct, new_orders_trend, outlook_3m, source, submitted_at"
    )
    line_cols = "report_id, market_id, hs, backlog_usd, new_orders_usd, exports_usd"
    now = "2020-04-15 00:00:00+00"
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        report_ids: dict[tuple[str, str], int] = {}
        with rep_path.open(newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            rows = []
            for n, r in enumerate(reader, start=1):
                report_ids[(r[0], r[1])] = n
                rows.append((n, ent_ids[r[0]], r[1], 1, True, *r[2:7], r[7], r[8], "csv", now))
        with line_path.open(newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            if connection.vendor == "postgresql":
                raw = cur.cursor
                with raw.copy(f"COPY reporting_report ({report_cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                with raw.copy(f"COPY reporting_reportline ({line_cols}) FROM STDIN") as copy:
                    for r in reader:
                        copy.write_row((report_ids[(r[0], r[1])], r[2], r[3], r[4], r[5], r[6]))
            else:
                cur.executemany(f"INSERT INTO reporting_report ({report_cols}) VALUES ({', '.join(['%s'] * 14)})", rows)
                cur.executemany(
                    f"INSERT INTO reporting_reportline ({line_cols}) VALUES (%s, %s, %s, %s, %s, %s)",
                    ((report_ids[(r[0], r[1])], r[2], r[3], r[4], r[5], r[6]) for r in reader),
                )
    return time.perf_counter() - start


def prepare(database: str, var: str, lines: int) -> None:
    """A new database holding the reference data and the enterprises, and the two CSV files."""
    for leftover in Path(var).glob("bench.sqlite3*"):
        leftover.unlink()
    _setup_django(database, var)
    if database == "postgresql":
        import psycopg

        admin_url = PG_URL.rsplit("/", 1)[0] + "/postgres"
        name = PG_URL.rsplit("/", 1)[1]
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    from django.core.management import call_command

    call_command("init", verbosity=0)
    _, _, n_ent = _files(var, lines)  # the same files every time: the phases see the same rows
    _enterprises(n_ent)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--phase", choices=["all", "prepare", "raw", "raw_tables", "import"], default="all")
    parser.add_argument("--var")
    args = parser.parse_args()
    if args.phase == "all":
        var = tempfile.mkdtemp(prefix="exportwatch-bulk-")
        base = [
            sys.executable,
            "-m",
            "benchmarks.import_bulk",
            "--database",
            args.database,
            "--lines",
            str(args.lines),
            "--var",
            var,
        ]
        results = []
        for p in ("raw", "raw_tables", "import"):  # each on a new database
            subprocess.run([*base, "--phase", "prepare"], check=True, capture_output=True)
            out = subprocess.run([*base, "--phase", p], check=True, capture_output=True, text=True).stdout
            results.append(json.loads(out.splitlines()[-1]))
        print(json.dumps({"database": args.database, "lines": args.lines, "results": results}))
        return
    if args.phase == "prepare":
        prepare(args.database, args.var, args.lines)
        return
    print(json.dumps(phase(args.database, args.var, args.lines, args.phase)))


if __name__ == "__main__":
    main()
