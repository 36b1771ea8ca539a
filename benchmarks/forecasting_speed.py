"""Forecasting speed: every series of a database read, backtested, chosen and forecast (nothing is written).

    python -m benchmarks.forecasting_speed [--existing] [--period 2020-03] [--output F]

Without ``--existing``: the demo district in a fresh SQLite database (``exportwatch demo``, which computes the
forecasts once on its own). With it: the database ``DATABASE_URL`` names, read only (e.g. a synthetic province:
``forecasts_build`` reads the aggregates and the head enterprises' reports and stores nothing). Target of the
forecasting issue: every series of the province tier in ≤ 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from collections import Counter
from pathlib import Path

from benchmarks.demo_db import demo_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--existing", action="store_true")
    parser.add_argument("--period", default="2020-03")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    seconds = demo_database(existing=args.existing, prefix="exportwatch-fcs-")
    loaded = "" if seconds is None else f" (demo loaded, its forecasts computed once, in {seconds:.1f} s)"
    import django

    django.setup()
    from exportwatch.core.forecasting import SeasonalNaive  # noqa: F401  (the import's cost is not measured)
    from exportwatch.forecasting import selectors as sel
    from exportwatch.forecasting import services

    start = time.perf_counter()
    data = sel.series_data(period=args.period)
    read = time.perf_counter() - start
    by_scope = Counter(str(d.scope) for d in data)
    start = time.perf_counter()
    timings: dict[str, float] = {}
    rows = services.forecasts_build(origin=args.period, timings=timings)
    total = time.perf_counter() - start
    models = Counter(r.model for r in rows)
    load = os.getloadavg()[0]
    lines = [
        f"forecasting speed{loaded}: {len(rows)} series from origin {args.period} "
        f"({', '.join(f'{k} {n}' for k, n in sorted(by_scope.items()))})",
        f"  reading every series: {read:.1f} s",
        f"  read + backtest ({services.BACKTEST_ORIGINS} origins; {', '.join(services.models_available())} on the "
        f"jurisdiction's series, {', '.join(services.LIGHT_MODELS)} on towns and head enterprises) + choose + "
        f"forecast: {total:.1f} s (target ≤ 60 s for the province): "
        f"{', '.join(f'{k} {v:.1f} s' for k, v in timings.items())}",
        f"  models chosen: {', '.join(f'{k} {n}' for k, n in models.most_common())}",
        f"  machine: {platform.python_version()}, {os.cpu_count()} cores, load average {load:.1f} at the end; "
        f"statsforecast processes: {services.forecast_jobs()} (EXPORTWATCH_FORECAST_JOBS); "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
    ]
    text = "\n".join(lines)
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
