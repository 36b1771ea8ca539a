"""`.xlsx` import benchmark: 100,000 report_lines rows through import_files next to a bare python-calamine read.

    python -m benchmarks.import_xlsx [--rows 100000] [--repeat 3]

Prints one JSON line. The workbook is written with xlsxwriter (reports sheet + report_lines sheet). Each time is
the best of ``--repeat`` attempts (3 by default; more on a busy machine).
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time

from benchmarks.import_bulk import LINES_PER_REPORT, MARKETS, PERIODS, _enterprises, _setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="exportwatch-xlsx-")
    _setup_django("sqlite", var)
    import xlsxwriter
    from django.core.management import call_command
    from django.db import connection
    from python_calamine import CalamineWorkbook

    from exportwatch.core.codes import uscc_check_char
    from exportwatch.exchange.services import import_files
    from exportwatch.monitoring.cells import TABLES

    call_command("init", verbosity=0)
    reports = args.rows // LINES_PER_REPORT
    n_ent = -(-reports // len(PERIODS))
    _enterprises(n_ent)
    buf = io.BytesIO()
    # Shared strings, as Excel, WPS and LibreOffice write them (xlsxwriter's constant_memory mode writes inline strings).
    wb = xlsxwriter.Workbook(buf)
    rs, ls = wb.add_worksheet("reports"), wb.add_worksheet("report_lines")
    rs.write_row(
        0,
        0,
        [
            "uscc",
            "period",
            "exports_usd",
            "new_orders_usd",
            "backlog_usd",
            "backlog_due_3m_usd",
            "new_orders_trend",
            "outlook_3m",
        ],
    )
    ls.write_row(0, 0, ["uscc", "period", "market", "hs", "backlog_usd", "new_orders_usd", "exports_usd"])
    r = l_row = 0
    for e in range(n_ent):
        uscc = f"91330213MA{e:07d}" + uscc_check_char(f"91330213MA{e:07d}")
        for period in PERIODS:
            if r >= reports:
                break
            r += 1
            rs.write_row(r, 0, [uscc, period, 100000, 90000, 400000, 300000, "same", "down"])
            for i in range(LINES_PER_REPORT):
                l_row += 1
                ls.write_row(l_row, 0, [uscc, period, MARKETS[i], f"84{i:02d}", 40000, 9000, 10000])
    wb.close()
    data = buf.getvalue()

    bare = ours = float("inf")
    for _attempt in range(args.repeat):  # the best of each; the database is emptied before each import
        start = time.perf_counter()
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        cells = sum(len(book.get_sheet_by_name(name).to_python()) for name in book.sheet_names)
        bare = min(bare, time.perf_counter() - start)

        with connection.cursor() as cursor:
            aggregates = [t.model._meta.db_table for t in TABLES]  # the aggregates too: each attempt starts empty
            for table in ("reporting_reportline", "reporting_report", "common_auditevent", *aggregates):
                cursor.execute(f"DELETE FROM {table}")
        start = time.perf_counter()
        outcome = import_files([("bench.xlsx", data)], user=None)
        ours = min(ours, time.perf_counter() - start)
        assert not outcome.problems, [str(p) for p in outcome.problems[:5]]
        assert outcome.written["report_lines"] == l_row, outcome.written
    print(
        json.dumps(
            {
                "rows": l_row,
                "report_rows": r,
                "calamine_rows": cells,
                "bare_seconds": round(bare, 2),
                "import_seconds": round(ours, 2),
                "ratio": round(ours / bare, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
