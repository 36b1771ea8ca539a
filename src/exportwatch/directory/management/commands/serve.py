from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Serve ExportWatch. Without --production: the waitress WSGI server in one process, for a laptop or the demo. "
        "With --production: gunicorn with several processes, collected static files and one import worker process "
        "beside it (see docs/deployment.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--production", action="store_true", help="gunicorn, several processes, hashed static files"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="web processes with --production (default: EXPORTWATCH_WORKERS, else 2 x cores + 1, at most 12)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="threads per process (default: 8 for waitress; EXPORTWATCH_THREADS, else 4, per process with "
            "--production)",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not run background imports beside the web server"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["production"]:
            self.serve_production(options)
        else:
            self.serve_waitress(options)

    def serve_waitress(self, options: dict[str, Any]) -> None:
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
                application,
                host=options["host"],
                port=options["port"],
                threads=options["threads"] or 8,
                ident="exportwatch",
            )
        finally:
            stop.set()

    def serve_production(self, options: dict[str, Any]) -> None:
        from exportwatch.common.production import (
            production_refusals,
            production_serve,
            static_collect,
            threads_configured,
            workers_configured,
        )

        refusals = production_refusals(
            debug=settings.DEBUG,
            demo=settings.DEMO,
            secret_key=settings.SECRET_KEY,
            key_from_env=bool(os.environ.get("EXPORTWATCH_SECRET_KEY")),
        )
        if refusals:
            raise CommandError("not starting in production mode:\n- " + "\n- ".join(refusals))
        if not settings.EXPORTWATCH_STATIC_COLLECTED:
            self.restart_with_collected_static()
        workers = options["workers"] or workers_configured()
        threads = options["threads"] or threads_configured()
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1")
        static_collect(Path(settings.STATIC_ROOT))
        self.stdout.write(
            f"ExportWatch (production) on http://{options['host']}:{options['port']}/ with {workers} processes "
            f"x {threads} threads{'' if options['no_worker'] else ' and an import worker'}"
        )
        self.stdout.flush()
        production_serve(
            host=options["host"],
            port=options["port"],
            workers=workers,
            threads=threads,
            import_worker=not options["no_worker"],
        )

    def restart_with_collected_static(self) -> None:
        """Run this same command again in this process with EXPORTWATCH_STATIC_COLLECTED=1.

        The static storage is chosen when the settings load, which has already happened; production mode needs the
        hashed, compressed files, so the command starts over with the switch set (same process id, for systemd).
        """
        if sys.argv[1:2] != ["serve"]:
            raise CommandError("serve --production needs EXPORTWATCH_STATIC_COLLECTED=1 in the environment")
        self.stdout.flush()
        self.stderr.flush()
        os.execve(
            sys.executable,
            [sys.executable, "-m", "exportwatch.cli", *sys.argv[1:]],
            {**os.environ, "EXPORTWATCH_STATIC_COLLECTED": "1"},
        )
