"""Run the import benchmarks (each in its own processes) and write their figures as Markdown.

python -m benchmarks.report_import --output var/bench-import.md [--lines 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path


def _run(args: list[str]) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-m", *args], check=True, capture_output=True, text=True).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    rows = [
        "| database | what | seconds | rows/s | peak memory | ratio to bare table | ratio to same tables |",
        "|---|---|---|---|---|---|---|",
    ]
    for database in ("sqlite", "postgresql"):
        res = _run(["benchmarks.import_bulk", "--database", database, "--lines", str(args.lines)])
        raw, tables, ours = res["results"]  # type: ignore[misc]
        engine = "executemany, one transaction" if database == "sqlite" else "COPY"
        for label, r in (
            (f"raw engine ({engine}), lines into a bare table", raw),
            (f"raw engine ({engine}), reports + lines into the application's tables, unchecked", tables),
            ("`import_files` (check + versioned write + audit)", ours),
        ):
            rows.append(
                f"| {database} | {label} | {r['seconds']} | {r['rows_per_second']:,} | {r['peak_mb']} MB | "
                f"{r['seconds'] / raw['seconds']:.1f}× | {r['seconds'] / tables['seconds']:.1f}× |"
            )
    x = _run(["benchmarks.import_xlsx"])
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "unknown",
    )
    text = "\n".join(
        [
            f"### Bulk import: {args.lines:,} report_lines rows (+ {args.lines // 10:,} reports)",
            "",
            f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {cpu}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; command: `python -m benchmarks.report_import --lines {args.lines}`. "
            "Each phase in its own process; peak memory is that process's maximum resident set.",
            "Target of the Excel issue: at least one third of the raw speed (ratio ≤ 3×), peak memory under 1 GB.",
            "Two raw baselines: the lines alone into a bare table (no index, no constraint), and the same reports and "
            "lines written unchecked into the application's own tables, whose indexes and unique and foreign-key "
            "constraints every loader of these tables pays for (on PostgreSQL the foreign-key checks alone take most "
            "of that time: see docs/stack-notes.md). rows/s counts the line rows.",
            "",
            *rows,
            "",
            f"### .xlsx import: {x['rows']:,} report_lines rows (+ {x['report_rows']:,} reports), SQLite",
            "",
            "| what | seconds | ratio |",
            "|---|---|---|",
            f"| bare python-calamine read of the same workbook | {x['bare_seconds']} | 1 |",
            f"| `import_files` | {x['import_seconds']} | {x['ratio']}× |",
            "",
            "Target: at most 3×.",
            "",
        ]
    )
    print(text)
    args.output.write_text(text)


if __name__ == "__main__":
    main()
