"""The whole jurisdiction's order book of a month kept as a file beside the database (``var/cache``), so that the
first stress test after the reports change does not wait for the book to be read from the database.

A province's book is about 2 million lines: reading it from the database takes seconds, loading this file a fraction
of one. The file names the state of the data it was read at (``key``); a file of another state is never used, so a
stale book cannot be stressed. Every server process shares the file, and the background worker writes it once the
reports have settled (``stress.services.handle_one_book_warm``), before an analyst asks.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from exportwatch.core.stress import Book
from exportwatch.stress.adapters import BookRead

PREFIX = "stress-book-"
_BOOK_FIELDS = (
    "keys",
    "backlog",
    "due",
    "exports_last_year",
    "exports",
    "new_orders",
    "due_history",
    "line_enterprise",
    "line_market",
    "line_hs",
    "line_backlog",
    "line_new_orders",
    "line_exports",
)
_TEXT = ("keys", "line_market", "line_hs")  # object or str arrays: stored as fixed-width text, read without pickle


def cache_dir() -> Path:
    return Path(settings.VAR_DIR) / "cache"


def _path(period: str) -> Path:
    return cache_dir() / f"{PREFIX}{period}.npz"


def _text(values: Any) -> np.ndarray:
    array = np.asarray(values)
    return array.astype(str) if array.size else np.array([], dtype="<U1")


def book_save(period: str, key: str, read: BookRead) -> None:
    """Write ``read`` as the book of ``period`` at data state ``key``, replacing any other month's file. The file is
    written beside its final name and renamed, so a reader sees the old file or the new one, never half of one."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for name in _BOOK_FIELDS:
        value = getattr(read.book, name)
        arrays[f"book_{name}"] = _text(value) if name in _TEXT else np.asarray(value)
    arrays["ids"] = np.asarray(read.ids, dtype=np.int64)
    arrays["names"] = _text(read.names)
    arrays["towns"] = _text(read.towns)
    arrays["industries"] = _text(read.industries)
    arrays["meta"] = np.array([key, read.book.origin, str(read.unreported)])
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".book-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, allow_pickle=False, **arrays)
        os.replace(temporary, _path(period))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    for other in folder.glob(f"{PREFIX}*.npz"):
        if other.name != _path(period).name:
            other.unlink(missing_ok=True)  # one book kept: a province's is about 100 MB


def book_file_state(period: str) -> str | None:
    """The data state the book file of ``period`` was saved at (its small header only); None without a file."""
    try:
        with np.load(_path(period), allow_pickle=False) as data:
            return str(data["meta"][0])
    except (OSError, ValueError, KeyError, IndexError):
        return None


def book_load(period: str, key: str) -> BookRead | None:
    """The book of ``period`` saved at data state ``key``; None when there is none, or it was saved at another
    state, or the file cannot be read (it is then read again from the database)."""
    found = _load(period, key)
    return None if found is None else found[1]


def book_load_any(period: str) -> tuple[str, BookRead] | None:
    """The book file of ``period`` whatever the state it was saved at, with that state; None without one."""
    return _load(period, None)


def _load(period: str, key: str | None) -> tuple[str, BookRead] | None:
    path = _path(period)
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = [str(v) for v in data["meta"]]
            if (key is not None and meta[0] != key) or meta[1] != period:
                return None
            fields = {
                name: data[f"book_{name}"].astype(object) if name == "keys" else data[f"book_{name}"]
                for name in _BOOK_FIELDS
            }
            return meta[0], BookRead(
                book=Book(origin=period, **fields),
                ids=data["ids"],
                names=data["names"].tolist(),
                towns=data["towns"].astype(object),
                industries=data["industries"].astype(object),
                unreported=int(meta[2]),
            )
    except (OSError, ValueError, KeyError, IndexError):
        return None
