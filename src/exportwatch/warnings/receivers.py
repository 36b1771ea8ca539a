"""Warnings kept up to date by the writes that change reports (``reporting.signals.reports_changed``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

FULL_EVALUATION_FROM = 50  # enterprises changed in one month from which the whole month waits for the worker


def on_reports_changed(sender: Any, changes: list[tuple[int, str]], **kwargs: Any) -> None:
    """Re-evaluate the enterprise warnings of the enterprises whose reports changed, in the writer's transaction;
    a bulk import that changed many enterprises of a month marks the whole month for the background worker
    instead (its aggregates and lamp change too, and evaluating a month inside the import would double it)."""
    from exportwatch.warnings.services import pending_mark, warnings_evaluate_enterprises

    by_period: dict[str, set[int]] = defaultdict(set)
    for enterprise_id, period in changes:
        by_period[period].add(enterprise_id)
    for period, ids in sorted(by_period.items()):
        if len(ids) >= FULL_EVALUATION_FROM:
            pending_mark(period=period)
        else:
            warnings_evaluate_enterprises(period=period, enterprise_ids=sorted(ids))
