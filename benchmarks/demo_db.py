"""The database a benchmark measures, set up the same way by every script that takes ``--existing``."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def demo_database(*, existing: bool, prefix: str) -> float | None:
    """Point Django's settings at the database to measure, before ``django.setup()``.

    With ``existing``: the database ``DATABASE_URL`` names, as it is. Otherwise a fresh SQLite file in a new
    temporary directory, loaded with the demo district by ``exportwatch demo`` (which fails loudly if the load does).
    The demo's clock (2020-04-15) unless ``EXPORTWATCH_TODAY`` is set.

    Returns:
        The seconds the demo took to load; ``None`` for an existing database.
    """
    if not existing:
        var = tempfile.mkdtemp(prefix=prefix)
        os.environ.update(EXPORTWATCH_VAR=var, DATABASE_URL=f"sqlite:///{var}/bench.sqlite3")
    os.environ.update(
        EXPORTWATCH_DEMO="1", EXPORTWATCH_LOG_LEVEL="ERROR", DJANGO_SETTINGS_MODULE="exportwatch.settings"
    )
    os.environ.setdefault("EXPORTWATCH_TODAY", "2020-04-15")
    if existing:
        return None
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("exportwatch")), "demo"], check=True, capture_output=True)
    return time.perf_counter() - start
