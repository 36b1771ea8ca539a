"""Bulk inserts below the ORM (``common.bulk``): every row arrives once, whatever the batching, on both databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from django.db import connection

from exportwatch.common import bulk
from exportwatch.common.models import AuditEvent

pytestmark = pytest.mark.django_db

AT = dt.datetime(2020, 4, 15, 10, 0, tzinfo=dt.UTC)
COLUMNS = ("at", "action", "object_type", "object_key", "old", "new", "note", "uscc", "region_path")


def _rows(n: int) -> list[tuple[object, ...]]:
    at = connection.ops.adapt_datetimefield_value(AT)
    return [
        (at, "report.submit", "report", f"key-{i}", None, f'{{"i": {i}}}', "" if i % 2 else "a note", "", "/1/")
        for i in range(n)
    ]


def _stored() -> list[tuple[object, ...]]:
    return list(AuditEvent.objects.order_by("id").values_list("object_key", "old", "new", "note", "at"))


def _expected(n: int) -> list[tuple[object, ...]]:
    return [(f"key-{i}", None, {"i": i}, "" if i % 2 else "a note", AT) for i in range(n)]


def _per_statement() -> int:
    """Rows in one INSERT on SQLite; PostgreSQL copies any number (the same sizes are tried there)."""
    return (connection.features.max_query_params or 999) // len(COLUMNS)


def test_sqlite_takes_as_many_rows_a_statement_as_the_parameter_limit_allows() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL copies the rows (COPY), one stream for all of them")
    statements: list[tuple[int, bool]] = []  # (rows in the statement, run for many parameter sets)

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql.count("(%s"), many))
        return execute(sql, params, many, context)

    per = _per_statement()
    with connection.execute_wrapper(spy):
        bulk.insert_rows(AuditEvent._meta.db_table, COLUMNS, _rows(3 * per + 7))
    assert per > 100
    assert statements == [(per, True), (7, False)]
    assert AuditEvent.objects.count() == 3 * per + 7


@pytest.mark.parametrize("extra", [0, 1, -1])
@pytest.mark.parametrize("statements", [0, 1, 3])
def test_every_row_is_inserted_once_in_order(statements: int, extra: int) -> None:
    n = max(statements * _per_statement() + extra, 0)
    bulk.insert_rows(AuditEvent._meta.db_table, COLUMNS, iter(_rows(n)))
    assert _stored() == _expected(n)


def test_a_frame_keeps_empty_text_apart_from_null_and_is_sliced(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pl.DataFrame(_rows(25), schema=list(COLUMNS), orient="row")
    monkeypatch.setattr(bulk, "FRAME_SLICE", 10)  # three slices on SQLite
    bulk.insert_frame(AuditEvent._meta.db_table, frame)
    assert _stored() == _expected(25)
