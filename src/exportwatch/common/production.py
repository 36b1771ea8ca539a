"""Production serving: gunicorn with several worker processes, and one import worker process beside it.

``exportwatch serve --production`` runs this. The laptop keeps ``exportwatch serve`` (waitress, one process).
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from exportwatch.common.env import env_int

logger = logging.getLogger(__name__)

# More processes than this rarely help one ExportWatch site: each holds its own copy of the stress-test order book
# (about 100 MB for a province) and its own database connections; a bigger machine is better spent on threads.
WORKERS_MAX = 12
THREADS_DEFAULT = 4
# gunicorn's thread workers answer the master's heartbeat while their threads serve requests, so this bounds a
# hung process, not a slow request (a large export streams for as long as it needs).
TIMEOUT_SECONDS = 60
# On SIGTERM, requests in progress get this long to finish before their process is killed.
GRACEFUL_SECONDS = 30
# Recycling a process now and then returns memory fragmented by large requests; the jitter keeps the processes
# from restarting together.
MAX_REQUESTS = 5000
MAX_REQUESTS_JITTER = 500
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'

# The same rule as Django's security.W009: a key Django would warn about is not a key to run production with.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE = 5


# Beside the collected files: the digest of the sources they were collected from (see ``static_collect``).
STATIC_STAMP = ".exportwatch-static-sources"
STATIC_MANIFEST = "staticfiles.json"  # what the manifest storage writes, and reads on every start


def static_sources_digest() -> str:
    """A digest of every file the static finders would collect: its path, size and modification time."""
    from django.contrib.staticfiles import finders

    entries = []
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            status = os.stat(storage.path(path))
            entries.append(f"{path}\0{status.st_size}\0{status.st_mtime_ns}")
    digest = hashlib.sha256()
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()


def static_collect(static_root: Path) -> bool:
    """Collect the static files (hashed names, gzip copies) unless the last collection into ``static_root`` came
    from the same sources: a restart without an upgrade changes nothing, and hashing and compressing every file
    is most of a start's time (on this 2-core machine, quiet: start to the first page 4.7 s collecting, 3.1 s
    not; 20-30 s collecting under load).

    Returns:
        Whether ``collectstatic`` ran.
    """
    from django.core.management import call_command

    stamp = static_root / STATIC_STAMP
    digest = static_sources_digest()
    if (static_root / STATIC_MANIFEST).is_file() and stamp.is_file() and stamp.read_text() == digest:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(digest)
    return True


def workers_default(*, cpus: int) -> int:
    """Web processes when ``--workers`` and ``EXPORTWATCH_WORKERS`` are not given.

    Args:
        cpus: processor cores available to this process.

    Returns:
        gunicorn's rule of thumb, 2 x cores + 1, between 2 and ``WORKERS_MAX``.
    """
    return max(2, min(2 * cpus + 1, WORKERS_MAX))


def cpus_available() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def workers_configured() -> int:
    return env_int("EXPORTWATCH_WORKERS", workers_default(cpus=cpus_available()), minimum=1, maximum=256)


def threads_configured() -> int:
    return env_int("EXPORTWATCH_THREADS", THREADS_DEFAULT, minimum=1, maximum=256)


def production_refusals(*, debug: bool, demo: bool, secret_key: str, key_from_env: bool) -> list[str]:
    """The reasons not to serve in production mode with these settings (empty: go ahead).

    The demo may keep the key it generated into ``EXPORTWATCH_VAR/secret_key``: it is random, 50 bytes long and
    stays on the machine. Anything else needs ``EXPORTWATCH_SECRET_KEY`` set to a long random value.
    """
    refusals = []
    if debug:
        refusals.append(
            "EXPORTWATCH_DEBUG is on: Django's debug pages would show settings and source code to any visitor. "
            "Unset it."
        )
    if key_from_env:
        if (
            len(secret_key) < SECRET_KEY_MIN_LENGTH
            or len(set(secret_key)) < SECRET_KEY_MIN_UNIQUE
            or secret_key.startswith("django-insecure-")
        ):
            refusals.append(
                f"EXPORTWATCH_SECRET_KEY is too weak (at least {SECRET_KEY_MIN_LENGTH} characters, "
                f"{SECRET_KEY_MIN_UNIQUE} different): generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
            )
    elif not demo:
        refusals.append("EXPORTWATCH_SECRET_KEY is not set: generate a long random key and set it.")
    return refusals


class ImportWorkerProcess:
    """One ``exportwatch worker`` process beside the web server: started with it, started again if it dies,
    stopped with it (SIGTERM, so the job in hand is finished first, then SIGKILL after ``stop_timeout``)."""

    def __init__(self, *, command: list[str], restart_delay: float = 5.0, stop_timeout: float = 30.0) -> None:
        self.command = command
        self.restart_delay = restart_delay
        self.stop_timeout = stop_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command)
        self._watcher = threading.Thread(target=self._watch, name="import-worker-watch", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        # Polled once a second, so stop() takes effect within a second. gunicorn's master may reap the process (it
        # waits for any child that exits); the exit status then reads 0, the restart happens all the same.
        while not self._stop.wait(1.0):
            process = self.process
            if process is None or process.poll() is None:
                continue
            logger.error(
                "import worker (pid %s) exited with %s; starting another in %s s",
                process.pid,
                process.returncode,
                self.restart_delay,
            )
            if self._stop.wait(self.restart_delay):
                return
            self.process = subprocess.Popen(self.command)

    def stop(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            logger.error("import worker (pid %s) did not stop in %s s; killing it", process.pid, self.stop_timeout)
            process.kill()
            process.wait()


def import_worker_command() -> list[str]:
    return [sys.executable, "-m", "exportwatch.cli", "worker"]


class WebServer(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn, configured from a dict of its settings, serving the Django application."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from django.core.wsgi import get_wsgi_application
        from django.db import connections
        from django.urls import get_resolver

        application = get_wsgi_application()
        # Import every view once here in the master (the app is preloaded), so the forked processes share those
        # pages of memory and no visitor waits for the imports on a process's first request.
        get_resolver().url_patterns  # noqa: B018
        # Nothing opened before the fork may be shared by the processes.
        connections.close_all()
        return application


def web_server_options(
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    on_ready: Callable[[Any], None] | None = None,
    on_exit: Callable[[Any], None] | None = None,
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": True,
        "timeout": TIMEOUT_SECONDS,
        "graceful_timeout": GRACEFUL_SECONDS,
        "keepalive": 5,
        "max_requests": MAX_REQUESTS,
        "max_requests_jitter": MAX_REQUESTS_JITTER,
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
    }
    if on_ready is not None:
        options["when_ready"] = on_ready
    if on_exit is not None:
        options["on_exit"] = on_exit
    return options


def production_serve(*, host: str, port: int, workers: int, threads: int, import_worker: bool) -> None:
    """Serve until SIGTERM or SIGINT (then stop gracefully, the import worker too). Does not return normally:
    gunicorn ends the process."""
    worker = ImportWorkerProcess(command=import_worker_command()) if import_worker else None

    def on_ready(server: Any) -> None:
        if worker is not None:
            worker.start()
            server.log.info("Import worker started (pid %s)", worker.process.pid if worker.process else "?")

    def on_exit(server: Any) -> None:
        if worker is not None:
            worker.stop()
            server.log.info("Import worker stopped")

    options = web_server_options(
        host=host, port=port, workers=workers, threads=threads, on_ready=on_ready, on_exit=on_exit
    )
    WebServer(options).run()
