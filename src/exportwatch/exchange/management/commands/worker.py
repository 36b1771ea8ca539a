from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from exportwatch.exchange.jobs import worker_name, worker_run


class Command(BaseCommand):
    help = (
        "Run the background import jobs (large uploads from the web). Runs until stopped (SIGTERM or Ctrl+C: the "
        "job in hand is finished first); several workers may run side by side."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is queued now, then exit")
        parser.add_argument("--sleep", type=float, default=1.0, help="seconds to wait when the queue is empty")
        parser.add_argument("--name", default="", help="this worker's name in the jobs (default: host:pid)")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def request_stop(signum: int, frame: object) -> None:
            stop.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        name = options["name"] or worker_name("worker")
        try:
            if not options["once"]:
                self.stdout.write(f"Import worker {name} running (Ctrl+C to stop)")
                self.stdout.flush()
            steps = worker_run(worker=name, stop=stop, sleep=max(options["sleep"], 0.1), once=options["once"])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(f"Import worker {name} stopped after {steps} step(s)")
