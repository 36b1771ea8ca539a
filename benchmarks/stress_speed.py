"""Stress-test speed: the core on a province-sized book, and the whole path (reading the book from the database,
projecting, judging) on a database.

    python -m benchmarks.stress_speed [--existing] [--period 2020-03] [--enterprises 100000] [--lines 21]
                                      [--output F]

The core part always runs: a synthetic book held in memory, ``--enterprises`` enterprises with ``--lines`` lines
each (the synthetic province has 100,000 enterprises and about 21 lines each a month), shocked by US −30 % and the
EU −20 % for three months, judged by the default rules. Target of the stress-test issue: the province ≤ 5 s.

The database part: without ``--existing``, the demo district in a fresh SQLite database (``exportwatch demo``);
with it, the database ``DATABASE_URL`` names, read only (e.g. the synthetic province); the book file the worker
would keep is written under ``EXPORTWATCH_VAR``/cache. Measured: reading the book from the database (what the worker
does in the background once the reports settle, or the page when no file of the data's state exists), keeping it
as a file, the first stress test of a server process that loads the file, and a further scenario.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.demo_db import demo_database

TARGET_SECONDS = 5.0


def synthetic_book(enterprises: int, lines: int, *, seed: int = 1) -> tuple[object, dict[str, np.ndarray]]:
    from exportwatch.core.stress import WINDOW, Book

    rng = np.random.default_rng(seed)
    n, m = enterprises, enterprises * lines
    size = rng.lognormal(11, 1.2, n)  # monthly exports, USD
    exports = size[:, None] * rng.uniform(0.8, 1.2, (n, WINDOW))
    new_orders = size[:, None] * rng.uniform(0.7, 1.3, (n, WINDOW))
    due = size[:, None] * rng.uniform(2.0, 3.0, (n, WINDOW))
    exports[rng.random((n, WINDOW)) < 0.03] = np.nan  # a month not reported now and then
    markets = np.array(["US", "DE", "FR", "JP", "GB", "IT", "NL", "AU", "CA", "KR", "RU", "IN", "BR", "VN"])
    book = Book(
        origin="2020-03",
        keys=np.array([f"E{i:07d}" for i in range(n)], dtype=object),
        backlog=due[:, -1] * 1.4,
        due=due[:, -1],
        exports_last_year=size * 12,
        exports=exports,
        new_orders=new_orders,
        due_history=due,
        line_enterprise=np.repeat(np.arange(n), lines),
        line_market=markets[rng.integers(0, len(markets), m)],
        line_hs=np.array([f"{c:02d}" for c in range(1, 98)])[rng.integers(0, 97, m)],
        line_backlog=rng.uniform(0, 1, m) * np.repeat(due[:, -1] * 1.4 / lines, lines),
        line_new_orders=rng.uniform(0, 1, m) * np.repeat(new_orders[:, -1] / lines, lines),
        line_exports=rng.uniform(0, 1, m) * np.repeat(exports[:, -1] / lines, lines),
    )
    by = {"town": rng.integers(0, 1_200, n).astype(str), "industry": rng.integers(13, 43, n).astype(str)}
    return book, by


def _best(fn: object, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--existing", action="store_true")
    parser.add_argument("--period", default="2020-03")
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=21)
    parser.add_argument("--changed", type=int, default=500, help="enterprises reporting since the book was kept")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    from exportwatch.core.stress import Shock, stress_run
    from exportwatch.core.warning_rules import DEFAULT_RULES

    shocks = [Shock("market", "US", -0.3), Shock("market_group", "EU", -0.2)]
    eu = {"EU": {"DE", "FR", "IT", "NL"}}
    book, by = synthetic_book(args.enterprises, args.lines)
    core = _best(lambda: stress_run(book, shocks, rules=DEFAULT_RULES, by=by, groups=eu))  # type: ignore[arg-type]
    result = stress_run(book, shocks, rules=DEFAULT_RULES, by=by, groups=eu)  # type: ignore[arg-type]
    rows = [
        (
            f"core, synthetic book: {args.enterprises:,} enterprises, {args.enterprises * args.lines:,} lines",
            f"{core:.2f} s",
            f"≤ {TARGET_SECONDS:.0f} s",
            f"{len(result.pushed_to('red')):,} pushed into red",
        )
    ]

    demo_database(existing=args.existing, prefix="exportwatch-stress-")
    where = "the database of DATABASE_URL" if args.existing else "the demo district"
    import django

    django.setup()
    from django.db import connection

    from exportwatch.stress.adapters import book_read, market_groups
    from exportwatch.warnings.services import rules_current

    start = time.perf_counter()
    read = book_read(period=args.period)
    reading = time.perf_counter() - start
    rules = [rule for row, rule in rules_current() if row.enabled] or list(DEFAULT_RULES)
    groups = market_groups()
    by_db = {"town": read.towns, "industry": read.industries}
    run = _best(lambda: stress_run(read.book, shocks, rules=rules, by=by_db, groups=groups))
    found = stress_run(read.book, shocks, rules=rules, by=by_db, groups=groups)
    rows.append(
        (
            f"{where} ({connection.vendor}), {args.period}: reading the book, "
            f"{read.book.size:,} enterprises, {len(read.book.line_enterprise):,} lines",
            f"{reading:.2f} s",
            "",
            "",
        )
    )
    rows.append(
        (
            f"{where}: projecting and judging (US −30 %, EU −20 %)",
            f"{run:.2f} s",
            f"≤ {TARGET_SECONDS:.0f} s",
            f"{len(found.pushed_to('red')):,} pushed into red, district {found.district.change or 0:+.1%}",
        )
    )
    from exportwatch.stress import selectors
    from exportwatch.stress.bookfile import book_save

    state = selectors.book_state(args.period)
    start = time.perf_counter()
    book_save(args.period, state, read)  # what the background worker does once the reports have settled
    saving = time.perf_counter() - start
    rows.append((f"{where}: keeping the book as a file (the worker, in the background)", f"{saving:.2f} s", "", ""))

    def first() -> None:
        selectors._BOOK_CACHE.clear()  # a server process that holds no book yet
        held = selectors.book_whole(args.period)  # the data's state checked, the worker's file loaded
        stress_run(held.book, shocks, rules=rules, by={"town": held.towns, "industry": held.industries}, groups=groups)

    rows.append(
        (
            f"{where}: the first stress test of a server process once the worker has kept the book "
            "(state checked, file loaded, projected and judged)",
            f"{_best(first):.2f} s",
            f"≤ {TARGET_SECONDS:.0f} s",
            "",
        )
    )

    from exportwatch.directory.models import Enterprise
    from exportwatch.stress.adapters import book_merge

    changed = sorted(int(i) for i in read.ids[:: max(1, read.book.size // args.changed)][: args.changed])

    def refreshed() -> None:
        # What the page does when reports were written since the book was kept: read only the enterprises with a
        # new report and splice them in (here the same figures again: the database is only read).
        key = selectors.book_state(args.period)
        part = book_read(period=args.period, enterprises=Enterprise.objects.filter(pk__in=changed))
        held = book_merge(read, part, changed, registered=read.book.size + read.unreported)
        book_save(args.period, key, held)  # kept for the other processes, as the page does
        stress_run(held.book, shocks, rules=rules, by={"town": held.towns, "industry": held.industries}, groups=groups)

    rows.append(
        (
            f"{where}: the first stress test after {len(changed):,} enterprises reported since the book was kept "
            "(state checked, only they read again and spliced in, the book kept again, projected and judged)",
            f"{_best(refreshed):.2f} s",
            f"≤ {TARGET_SECONDS:.0f} s",
            "",
        )
    )

    def again() -> None:
        held = selectors.book_whole(args.period)  # the data's state checked, the book not read again
        stress_run(held.book, shocks, rules=rules, by={"town": held.towns, "industry": held.industries}, groups=groups)

    rows.append(
        (
            f"{where}: a further scenario on the same data (the book held by the process, its freshness checked)",
            f"{_best(again):.2f} s",
            f"≤ {TARGET_SECONDS:.0f} s",
            "",
        )
    )
    text = "\n".join(
        [
            "### Stress tests",
            "",
            f"Measured {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}; command: "
            f"`python -m benchmarks.stress_speed {' '.join(sys.argv[1:])}`. Core times are the best of 3.",
            "",
            "| what | measured | target | found |",
            "|---|---|---|---|",
            *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
            "",
        ]
    )
    print(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)


if __name__ == "__main__":
    main()
