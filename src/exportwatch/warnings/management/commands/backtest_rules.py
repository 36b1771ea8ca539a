"""``exportwatch backtest-rules [--window 3] [--evaluate]``: every rule's track record on the history held."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from exportwatch.warnings.record import rules_backtest


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


class Command(BaseCommand):
    help = (
        "Score every rule's signals on history against the real drops that followed (exports down by a third "
        "year on year within --window months) and store the records the rules page shows. --evaluate first "
        "replays every month (exportwatch warnings evaluate --all)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--window", type=int, default=3, help="months a signal may precede the drop (3)")
        parser.add_argument("--evaluate", action="store_true", help="evaluate every month first, oldest first")

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.perf_counter()
        if options["evaluate"]:
            call_command("warnings", "evaluate", "--all", stdout=self.stdout)
        records = rules_backtest(window=options["window"])
        self.stdout.write(
            "rule, scope: drops warned of / missed, false alarms, recall, precision, noise to signal, median lead"
        )
        for r in records:
            lead = "—" if r.median_lead is None else f"{r.median_lead:.1f} months"
            nts = "—" if r.noise_to_signal is None else f"{r.noise_to_signal:.2f}"
            self.stdout.write(
                f"{r.rule}, {r.scope}: {r.hits} / {r.missed}, {r.false_alarms}, {_pct(r.recall)}, "
                f"{_pct(r.precision)}, {nts}, {lead}"
            )
        self.stdout.write(f"{len(records)} records in {time.perf_counter() - start:.1f} s")
