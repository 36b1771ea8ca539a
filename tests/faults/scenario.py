"""The child-process side of the fault tests: ``python -m tests.faults.scenario COMMAND ARGS``.

Each command runs against the database ``DATABASE_URL`` names (with the real settings, as the server and the
worker do) and prints one JSON document on its last line of output.

    setup ENTERPRISES LINES_CSV   migrate, reference data, an analyst with an API token, ENTERPRISES enterprises
                                  with a report for each month 2019-01..2020-03 (no lines), and LINES_CSV: ten
                                  lines for every one of those reports
    setup ENTERPRISES LINES_CSV --enqueue   the same, then an import job of LINES_CSV for the analyst (queued)
                                  and the snapshot of the database before it runs
    state [JOB]                   the snapshot: row counts, the reports and lines as ``exportwatch export`` writes
                                  them, (SQLite) PRAGMA integrity_check, and the job's state, attempts and progress
"""

from __future__ import annotations

import io
import json
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

PERIODS = [f"2019-{m:02d}" for m in range(1, 13)] + ["2020-01", "2020-02", "2020-03"]
MARKETS = ["US", "DE", "JP", "GB", "FR", "IT", "NL", "KR", "VN", "AU"]
PASSWORD = "fault-test-password-1"


def uscc(serial: int) -> str:
    from exportwatch.core.codes import uscc_check_char

    body = f"91330213MA{serial:07d}"
    return body + uscc_check_char(body)


def setup(enterprises: int, lines_csv: str) -> dict[str, Any]:
    from django.core.management import call_command

    from exportwatch.accounts.models import ApiToken, Role, User
    from exportwatch.directory.models import Enterprise, Region
    from exportwatch.directory.reference import reference_load
    from exportwatch.exchange.services import import_files

    call_command("migrate", interactive=False, verbosity=0)
    reference_load()
    district = Region.objects.get(code="330213")
    analyst = User(username="analyst", role=Role.ANALYST, region=district)
    analyst.set_password(PASSWORD)
    analyst.save()
    _token, raw = ApiToken.objects.issue(user=analyst, name="faults")
    Enterprise.objects.bulk_create(
        Enterprise(
            uscc=uscc(e),
            name=f"故障测试企业{e}",
            town_id="330213001",
            industry_id="34",
            exports_last_year_usd=Decimal(1_200_000),
            imports_last_year_usd=Decimal(0),
        )
        for e in range(enterprises)
    )
    reports = io.StringIO()
    reports.write("uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,capacity_utilization_pct,")
    reports.write("new_orders_trend,outlook_3m\n")
    with Path(lines_csv).open("w", encoding="utf-8") as lines:
        lines.write("uscc,period,market,hs,backlog_usd,new_orders_usd,exports_usd\n")
        for e in range(enterprises):
            for period in PERIODS:
                reports.write(f"{uscc(e)},{period},100000,90000,400000,300000,80,same,down\n")
                for i, market in enumerate(MARKETS):
                    lines.write(f"{uscc(e)},{period},{market},84{i:02d},{40000 - e % 7},9000,{10000 - i}\n")
    outcome = import_files([("reports.csv", reports.getvalue().encode())], user=None)
    assert outcome.committed and not outcome.problems, outcome.problems
    return {"token": raw, "reports": outcome.written["reports"]}


def enqueue(path: str) -> dict[str, Any]:
    from exportwatch.accounts.models import User
    from exportwatch.exchange.jobs import import_job_create

    job = import_job_create(
        user=User.objects.get(username="analyst"), name=Path(path).name, data=Path(path).read_bytes(), language="en"
    )
    return {"job": job.pk}


def job(job_id: int) -> dict[str, Any]:
    from exportwatch.exchange.models import ImportJob

    j = ImportJob.objects.get(pk=job_id)
    return {
        "state": j.state,
        "attempts": j.attempts,
        "progress_done": j.progress_done,
        "progress_total": j.progress_total,
        "error": j.error,
        "written": (j.result or {}).get("written"),
    }


def snapshot() -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from exportwatch.common.models import AuditEvent
    from exportwatch.reporting.models import Report, ReportLine

    exports = {}
    for table in ("reports", "report_lines"):
        buf = io.StringIO()
        call_command("export_data", table, stdout=buf)
        exports[table] = buf.getvalue()
    integrity = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            integrity = [row[0] for row in cursor.fetchall()]
    return {
        "reports": Report.objects.count(),
        "current_reports": Report.objects.filter(is_current=True).count(),
        "lines": ReportLine.objects.count(),
        "audit": AuditEvent.objects.count(),
        "exports": exports,
        "integrity": integrity,
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exportwatch.settings")
    import django

    django.setup()
    command, args = sys.argv[1], sys.argv[2:]
    if command == "setup":
        result = setup(int(args[0]), args[1])
        if "--enqueue" in args:
            result.update(enqueue(args[1]), snapshot=snapshot())
    elif command == "state":
        result = snapshot()
        if args:
            result["job"] = job(int(args[0]))
    else:
        raise SystemExit(f"unknown command {command!r}")
    sys.stdout.write("\n" + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
