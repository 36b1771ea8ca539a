"""The all-cell (town, industry and tier "*") of each month and key, summed from the cells already stored."""

from __future__ import annotations

from typing import Any

from django.db import migrations

ROLLUP = "*"
BASE = ("period", "town", "industry", "tier")
MODELS = ("TotalCell", "MarketCell", "ChapterCell", "GroupCell", "MarketChapterCell")


def add_rollups(apps: Any, schema_editor: Any) -> None:
    q = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        for name in MODELS:
            model = apps.get_model("monitoring", name)
            fields = [f.column for f in model._meta.concrete_fields if f.column != "id"]
            extra = [c for c in fields if c not in BASE and not _is_sum(model, c)]
            sums = [c for c in fields if _is_sum(model, c)]
            table = q(model._meta.db_table)
            cols = ", ".join(q(c) for c in [*BASE, *extra, *sums])
            keys = ", ".join(q(c) for c in ["period", *extra])
            select = (
                f"SELECT {q('period')}, %s, %s, %s{''.join(', ' + q(c) for c in extra)}, "
                + ", ".join(f"SUM({q(c)})" for c in sums)
                + f" FROM {table} WHERE {q('town')} <> %s GROUP BY {keys}"
            )
            cursor.execute(f"DELETE FROM {table} WHERE {q('town')} = %s", [ROLLUP])
            cursor.execute(f"INSERT INTO {table} ({cols}) {select}", [ROLLUP, ROLLUP, ROLLUP, ROLLUP])


def _is_sum(model: Any, column: str) -> bool:
    from django.db import models

    field = next(f for f in model._meta.concrete_fields if f.column == column)
    return isinstance(field, (models.IntegerField, models.BigIntegerField))


def drop_rollups(apps: Any, schema_editor: Any) -> None:
    for name in MODELS:
        apps.get_model("monitoring", name).objects.filter(town=ROLLUP).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_per_enterprise_from_lines")]

    operations = [migrations.RunPython(add_rollups, drop_rollups)]
