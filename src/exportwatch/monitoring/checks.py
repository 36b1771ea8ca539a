"""Whether the aggregates equal the sums of the current reports: rebuilt into a scratch transaction and compared."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from exportwatch.monitoring.cells import TABLES, cells_rebuild


def _snapshot() -> dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]:
    out: dict[str, dict[tuple[Any, ...], tuple[Any, ...]]] = {}
    for table in TABLES:
        model = table.model
        keys = ["period", "town", "industry", "tier", *(k for k, _e in table.keys)]
        values = [f.name for f in model._meta.concrete_fields if f.name not in keys and f.name != "id"]
        rows: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for row in model.objects.values_list(*keys, *values):
            key, vals = tuple(row[: len(keys)]), tuple(row[len(keys) :])
            if any(vals):  # a cell emptied by corrections equals an absent one
                rows[key] = vals
        out[model.__name__] = rows
    return out


def cells_differences() -> list[str]:
    """One line per cell whose stored sums differ from a rebuild (nothing is changed)."""
    stored = _snapshot()
    with transaction.atomic():
        cells_rebuild()
        fresh = _snapshot()
        transaction.set_rollback(True)
    lines = []
    for name, rows in fresh.items():
        for key in sorted(set(rows) | set(stored[name]), key=str):
            if rows.get(key) != stored[name].get(key):
                lines.append(f"{name} {key}: stored {stored[name].get(key)} rebuilt {rows.get(key)}")
    return lines
