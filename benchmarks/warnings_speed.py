"""Warning evaluation speed: a whole month, and one enterprise after its report changed.

    python -m benchmarks.warnings_speed [--existing] [--period 2020-03] [--output F]

Without ``--existing``: the demo district in a fresh SQLite database (``exportwatch demo``, which evaluates every
month). With it: the database ``DATABASE_URL`` names (e.g. a synthetic province). Targets of the warnings issue:
a month of the district ≤ 0.5 s, of the province ≤ 10 s; re-evaluation after one submission ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from pathlib import Path

from benchmarks.demo_db import demo_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--existing", action="store_true")
    parser.add_argument("--period", default="2020-03")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    seconds = demo_database(existing=args.existing, prefix="exportwatch-warn-")
    loaded = "" if seconds is None else f" (demo loaded and every month evaluated in {seconds:.1f} s)"
    import django

    django.setup()
    from django.db import connection

    from exportwatch.directory.models import Enterprise
    from exportwatch.reporting.models import Report
    from exportwatch.warnings.services import warnings_evaluate, warnings_evaluate_enterprises

    month = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        result = warnings_evaluate(period=args.period)
        month = min(month, time.perf_counter() - start)
    ids = list(
        Report.objects.filter(period=args.period, is_current=True)
        .order_by("id")
        .values_list("enterprise_id", flat=True)[:20]
    )
    one = []
    for eid in ids:
        start = time.perf_counter()
        warnings_evaluate_enterprises(period=args.period, enterprise_ids=[eid])
        one.append((time.perf_counter() - start) * 1000)
    one.sort()
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "unknown",
    )
    flag = " --existing" if args.existing else ""
    text = "\n".join(
        [
            f"### Warnings, {Enterprise.objects.count():,} enterprises, {connection.vendor}",
            "",
            f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {cpu}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; command: `python -m benchmarks.warnings_speed{flag}`{loaded}.",
            "",
            "| what | measured | target |",
            "|---|---|---|",
            f"| every rule and the lamp on every scope of {args.period} ({result.warnings:,} warnings), best of 3 "
            f"| {month:.2f} s | district ≤ 0.5 s, province ≤ 10 s |",
            f"| one enterprise re-evaluated after its report changed, median of {len(one)} "
            f"| {one[len(one) // 2]:.1f} ms (max {one[-1]:.1f} ms) | ≤ 100 ms |",
            "",
        ]
    )
    print(text)
    if args.output:
        args.output.write_text(text)


if __name__ == "__main__":
    main()
