"""Many rows into one table below the ORM, for the bulk writers (imports, the synthetic province).

PostgreSQL takes them through ``COPY … FROM STDIN``. SQLite takes them as INSERT statements of many rows each
(``VALUES (…), (…), …``, as many rows as Django's limit of 999 parameters a statement allows): executing one
prepared single-row INSERT per row costs SQLite a statement start and end per row, and an AUTOINCREMENT table's
sequence update with each; a hundred and more rows a statement take about 40 % less time for the same rows
(100,000 report lines: 0.14–0.17 s against 0.26–0.28 s in one transaction, measured on this machine).

The caller holds the transaction; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import Any

from django.db import connection
from django.db.models import Model

from exportwatch.common import clock

FRAME_SLICE = 200_000
"""Rows of a frame turned into Python values at a time on SQLite (bounded memory whatever the frame's size)."""


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Insert ``rows`` (values in the order of ``columns``) into ``table`` (its database name)."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            _sqlite_insert(cursor, f"INSERT INTO {quote(table)} ({names}) VALUES ", len(columns), rows)


def insert_frame(table: str, frame: Any) -> None:
    """Insert the rows of a polars frame whose columns are named as the table's (text, numbers, NULLs)."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in frame.columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
                # Quoted text keeps an empty string apart from NULL (an unquoted empty field).
                copy.write(frame.write_csv(include_header=False, quote_style="non_numeric"))
        else:
            head = f"INSERT INTO {quote(table)} ({names}) VALUES "
            for start in range(0, frame.height, FRAME_SLICE):
                _sqlite_insert(cursor, head, frame.width, frame.slice(start, FRAME_SLICE).rows())


def _sqlite_insert(cursor: Any, head: str, width: int, rows: Iterable[Sequence[object]]) -> None:
    """``head`` (``INSERT INTO t (…) VALUES ``) with as many rows a statement as the parameter limit allows; the
    full statements are one prepared statement run for each batch, the rest one statement of its own."""
    per = max(1, connection.features.max_query_params // width)
    group = f"({', '.join(['%s'] * width)})"
    source = iter(rows)
    rest: list[Sequence[object]] = []

    def batches() -> Iterator[list[object]]:
        nonlocal rest
        while True:
            batch = list(islice(source, per))
            if len(batch) < per:
                rest = batch
                return
            yield list(chain.from_iterable(batch))

    cursor.executemany(head + ", ".join([group] * per), batches())
    if rest:
        cursor.execute(head + ", ".join([group] * len(rest)), list(chain.from_iterable(rest)))


def mark_periods(model: type[Model], periods: Iterable[str]) -> None:
    """One mark per month in ``model`` (fields ``period``, unique, and ``since``): inserted, or its time moved on
    to now, in one statement, the months in order (so concurrent writers lock them in the same order)."""
    now = clock.now()
    model._default_manager.bulk_create(
        [model(period=period, since=now) for period in sorted(set(periods))],
        update_conflicts=True,
        unique_fields=["period"],
        update_fields=["since"],
    )
