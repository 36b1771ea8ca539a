"""The early-warning scenario suite: recall, precision and lead time of the warnings on labelled shocks.

    python -m benchmarks.warning_scenarios [--enterprises N] [--seed S] [--scenario KIND ...] [--level orange]
                                           [--output F]

Every scenario (``exportwatch.demo.scenarios``: a market collapse, a product collapse, enterprises sliding into
distress, a systemic downturn, a calm period) runs in its own fresh SQLite database, in a child process: the
database is created (``exportwatch init``: migrations and reference data), the scenario's CSV files are imported
through ``import_files`` month by month, every month is evaluated oldest first, and the stored warnings are scored
against the labels (``exportwatch.warnings.scenarios``). The section printed (and written to ``--output``) gives
the machine, the command, each target of the warnings issue with "met" or "missed" and the figure, the details
behind each score (which rules raised the false alarms, why distressed enterprises were missed, when the lamp
lit) and the time taken.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("market_collapse", "product_collapse", "distress", "systemic", "calm")
FIRST, LAST = "2018-01", "2020-12"
TODAY = "2021-01-15"  # the day the scenario is replayed: after its last month, so no period is in the future

TARGET_LABELS = {
    "distressed_recall": "recall of distressed enterprises (falls warned of ≤ 3 months ahead)",
    "distressed_median_lead": "median lead before the fall (months)",
    "precision": "precision of the enterprise signals",
    "market_delay": "market warned, months after the onset",
    "hs_delay": "HS chapter warned, months after the onset",
    "calm_lamp_months": "months with the systemic lamp at yellow or worse",
    "systemic_lamp_delay": "systemic lamp at orange, months after the onset",
}
TARGET_BOUNDS = {
    "distressed_recall": "≥ 0.9",
    "distressed_median_lead": "≥ 1",
    "precision": "≥ 0.7",
    "market_delay": "≤ 1",
    "hs_delay": "≤ 1",
    "calm_lamp_months": "0",
    "systemic_lamp_delay": "≤ 3",
}


def _cpu() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown"
    return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), "unknown")


def _figure(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


# --- The child: one scenario in its own database --------------------------------------------------


def _child(kind: str, *, enterprises: int, seed: int, level: str, json_out: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from exportwatch.demo.scenarios import scenario_generate
    from exportwatch.warnings.scenarios import scenario_run, scenario_towns

    call_command("init", verbosity=0, stdout=io.StringIO())
    start = time.perf_counter()
    scenario = scenario_generate(
        kind, towns=scenario_towns(), seed=seed, enterprises=enterprises, first_period=FIRST, last_period=LAST
    )
    generated = time.perf_counter() - start
    score = scenario_run(scenario, level=level)
    data = {
        "kind": kind,
        "section": _section(scenario, score, generated),
        "targets": [{"key": t.key, "measured": t.measured, "met": t.met} for t in score.targets],
        "hits": score.enterprise.overall.hits,
        "false_alarms": score.enterprise.overall.false_alarms,
        "seconds": {"generate": generated, **score.seconds},
        "labels_agree": score.labels_agree,
    }
    json_out.write_text(json.dumps(data))


def _describe(scenario: Any) -> str:
    labels = scenario.labels
    if scenario.kind == "market_collapse":
        return f"new orders to {labels.market} −60 % from {labels.onset}"
    if scenario.kind == "product_collapse":
        return f"new orders of HS chapter {labels.hs} −60 % from {labels.onset}"
    if scenario.kind == "systemic":
        from exportwatch.demo.scenarios import MARKETS

        return f"new orders of {len(labels.markets)} of {len(MARKETS)} markets −30 to −50 % from {labels.onset}"
    if scenario.kind == "distress":
        return f"{len(labels.distressed)} enterprises slide into distress, each from its own month"
    return "noise only"


def _section(scenario: Any, score: Any, generated: float) -> str:
    e = score.enterprise
    o = e.overall
    s = score.seconds
    out = [
        f"#### {scenario.kind}: {_describe(scenario)}",
        "",
        f"Generated in {generated:.1f} s; imported month by month through `import_files` in {s['import']:.1f} s "
        f"({score.reports:,} reports); every month evaluated oldest first in {s['evaluate']:.1f} s "
        f"({s['evaluate'] / len(scenario.periods):.2f} s a month); scored in {s['score']:.1f} s. "
        f"Labels agree with the drops in the database: {'yes' if score.labels_agree else 'NO'}.",
        "",
        f"Enterprises ({e.enterprises}), signalled at {score.level} or worse by any rule, against the falls of a third "
        f"of their exports ({e.onsets} in all), horizon {score.window} months:",
        "",
        "| signals of | falls warned of | false alarms | falls missed | recall | precision | median lead |",
        "|---|---|---|---|---|---|---|",
        f"| any rule | {o.hits} | {o.false_alarms} | {o.missed} | {_figure(o.recall)} | {_figure(o.precision)} "
        f"| {_figure(o.median_lead, 1)} |",
    ]
    for rule, r in e.by_rule.items():
        out.append(
            f"| {rule} alone | {r.hits} | {r.false_alarms} | {r.missed} | {_figure(r.recall)} | "
            f"{_figure(r.precision)} | {_figure(r.median_lead, 1)} |"
        )
    if e.distressed is not None:
        d = e.distressed
        out.append(
            f"| any rule, distressed enterprises' falls ({e.distressed_falling} of {e.distressed_total} fell) "
            f"| {d.hits} | — | {d.missed} | {_figure(d.recall)} | — | {_figure(d.median_lead, 1)} |"
        )
    out.append("")
    if e.false_alarm_rules:
        rules = ", ".join(f"{k} {v}" for k, v in e.false_alarm_rules.items())
        months = ", ".join(f"{k}: {v}" for k, v in e.false_alarm_periods.items())
        out.append(f"False alarms, rules on at their start: {rules}. By month: {months}.")
        out.append("")
    if e.distressed is not None and e.distressed.missed:
        causes = ", ".join(f"{k} {v}" for k, v in e.miss_causes.items())
        out.append(
            f"Distressed falls missed, by cause: {causes} (early: signalled, but more than {score.window} months "
            f"ahead; below_level: only a warning below {score.level}; silent: no warning); {e.missed_small} of them "
            f"too small for the year-on-year rules."
        )
        out.append("")
    if score.shocked is not None:
        k = score.shocked
        first = "never" if k.first_warned is None else f"{k.first_warned} (delay {k.delay}, by {', '.join(k.rules)})"
        out.append(
            f"{k.scope} {k.key}: first warned at {score.level} or worse from the onset {k.onset}: {first}; warned in "
            f"{k.warned_before} of the 12 months before the onset."
        )
        out.append("")
    lamp = score.lamp
    lit = [
        f"{p} {lv} ({', '.join(lamp.components.get(p, ()))})" for p, lv in lamp.levels.items() if p in lamp.components
    ]
    out.append(
        f"Systemic lamp: worst {lamp.worst or 'green'}; at yellow or worse in {lamp.months_at_yellow} "
        f"month{'' if lamp.months_at_yellow == 1 else 's'}" + (f": {'; '.join(lit)}" if lit else "") + "."
    )
    if lamp.first_orange is not None or scenario.kind == "systemic":
        out.append(f"First at orange or worse from the onset: {lamp.first_orange or 'never'} (delay {lamp.delay}).")
    if score.aggregate_alarms:
        alarms = ", ".join(f"{k} {v}" for k, v in score.aggregate_alarms.items())
        out.append(f"Aggregate warnings at {score.level} or worse (key-months): {alarms}.")
    out.append("")
    return "\n".join(out)


# --- The parent: every scenario, one database each --------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", action="append", choices=KINDS, help="one kind (repeatable); default all")
    parser.add_argument("--level", default="orange", choices=["red", "orange", "yellow", "blue"])
    parser.add_argument("--output", type=Path)
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, enterprises=args.enterprises, seed=args.seed, level=args.level, json_out=args.json)
        return

    kinds = args.scenario or list(KINDS)
    results = []
    started = time.perf_counter()
    for kind in kinds:
        var = tempfile.mkdtemp(prefix="exportwatch-scenario-")
        env = dict(
            os.environ,
            EXPORTWATCH_VAR=var,
            DATABASE_URL=f"sqlite:///{var}/scenario.sqlite3",
            EXPORTWATCH_DEMO="1",
            EXPORTWATCH_LOG_LEVEL="ERROR",
            EXPORTWATCH_TODAY=TODAY,
            DJANGO_SETTINGS_MODULE="exportwatch.settings",
        )
        json_out = Path(var) / "score.json"
        command = [
            sys.executable,
            "-m",
            "benchmarks.warning_scenarios",
            "--child",
            kind,
            "--json",
            str(json_out),
            "--enterprises",
            str(args.enterprises),
            "--seed",
            str(args.seed),
            "--level",
            args.level,
        ]
        start = time.perf_counter()
        try:
            subprocess.run(command, check=True, env=env, cwd=ROOT)
            result = json.loads(json_out.read_text())
        finally:
            shutil.rmtree(var, ignore_errors=True)
        result["wall"] = time.perf_counter() - start
        results.append(result)
        print(f"{kind}: done in {result['wall']:.1f} s", file=sys.stderr)

    flags = "" if args.enterprises == 300 else f" --enterprises {args.enterprises}"
    flags += "" if args.seed == 1 else f" --seed {args.seed}"
    flags += "" if args.level == "orange" else f" --level {args.level}"
    flags += "".join(f" --scenario {k}" for k in args.scenario or ())
    hits = sum(r["hits"] for r in results)
    false_alarms = sum(r["false_alarms"] for r in results)
    pooled = hits / (hits + false_alarms) if hits + false_alarms else None
    lines = [
        f"### Early-warning scenarios, {args.enterprises} enterprises, {FIRST}..{LAST}, seed {args.seed}",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {_cpu()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; command: `python -m benchmarks.warning_scenarios{flags}`; each scenario in a "
        f"fresh SQLite database, {time.perf_counter() - started:.0f} s in all. An enterprise is signalled when it "
        f"has a warning at {args.level} or worse from any rule; a fall is its exports down by a third year on year.",
        "",
        "| scenario | target | bound | measured | result |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        for t in r["targets"]:
            digits = 2 if t["key"] in ("distressed_recall", "precision") else 1 if "lead" in t["key"] else 0
            lines.append(
                f"| {r['kind']} | {TARGET_LABELS[t['key']]} | {TARGET_BOUNDS[t['key']]} "
                f"| {_figure(t['measured'], digits)} | {'met' if t['met'] else 'missed'} |"
            )
    if len(results) > 1:
        lines.append(
            f"| all | precision of the enterprise signals, pooled ({hits} falls warned of, {false_alarms} false "
            f"alarms) | ≥ 0.7 | {_figure(pooled)} | {'met' if pooled is not None and pooled >= 0.7 else 'missed'} |"
        )
    lines.append("")
    for r in results:
        lines.append(r["section"])
    text = "\n".join(lines)
    print(text)
    if args.output:
        args.output.write_text(text)


if __name__ == "__main__":
    main()
