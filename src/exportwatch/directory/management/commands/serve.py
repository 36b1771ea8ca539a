from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve ExportWatch with the waitress WSGI server (static files through WhiteNoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true", help="do not run background imports in this process")

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from exportwatch.exchange.jobs import worker_name, worker_run
        from exportwatch.wsgi import application

        stop = threading.Event()
        if not options["no_worker"]:
            # Large imports run in the background; in the demo one worker thread lives in the server process.
            # Production runs `exportwatch worker` processes instead (any number, on any machine).
            threading.Thread(
                target=worker_run,
                kwargs={"worker": worker_name("serve"), "stop": stop},
                name="import-worker",
                daemon=True,
            ).start()
        self.stdout.write(f"ExportWatch on http://{options['host']}:{options['port']}/ (Ctrl+C to stop)")
        self.stdout.flush()
        try:
            serve(
                application, host=options["host"], port=options["port"], threads=options["threads"], ident="exportwatch"
            )
        finally:
            stop.set()
