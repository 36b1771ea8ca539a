"""The report totals' rollups by town, by industry and by tier (the other two ``*``), from the cells stored."""

from __future__ import annotations

from typing import Any

from django.db import migrations

ROLLUP = "*"
DIMENSIONS = ("town", "industry", "tier")


def add_rollups(apps: Any, schema_editor: Any) -> None:
    from django.db import models

    q = schema_editor.connection.ops.quote_name
    model = apps.get_model("monitoring", "TotalCell")
    table = q(model._meta.db_table)
    sums = [
        f.column
        for f in model._meta.concrete_fields
        if f.column != "id" and isinstance(f, (models.IntegerField, models.BigIntegerField))
    ]
    base = " AND ".join(f"{q(d)} <> %s" for d in DIMENSIONS)
    with schema_editor.connection.cursor() as cursor:
        for dim in DIMENSIONS:
            others = [d for d in DIMENSIONS if d != dim]
            cursor.execute(
                f"DELETE FROM {table} WHERE {q(dim)} <> %s AND {' AND '.join(f'{q(d)} = %s' for d in others)}",
                [ROLLUP, ROLLUP, ROLLUP],
            )
            keys = ", ".join(q(d) if d == dim else "%s" for d in DIMENSIONS)
            cursor.execute(
                f"INSERT INTO {table} ({q('period')}, {', '.join(q(d) for d in DIMENSIONS)}, "
                f"{', '.join(q(c) for c in sums)}) SELECT {q('period')}, {keys}, "
                f"{', '.join(f'SUM({q(c)})' for c in sums)} FROM {table} WHERE {base} GROUP BY {q('period')}, {q(dim)}",
                [ROLLUP, ROLLUP, ROLLUP, ROLLUP, ROLLUP],
            )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0003_rollup_cells")]

    operations = [migrations.RunPython(add_rollups, migrations.RunPython.noop)]
