"""Warnings kept up to date by the writes that change reports (``reporting.signals.reports_changed``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

FULL_EVALUATION_FROM = 50  # enterprises changed in one month from which the whole month waits for the worker


def on_reports_changed(sender: Any, changes: list[tuple[int, str]], **kwargs: Any) -> None:
    """Re-evaluate the enterprise warnings of the enterprises whose reports changed, in the writer's transaction,
    and mark their month for the background worker, which re-evaluates the aggregates and the lamp once the
    month's reports settle. A bulk import that changed many enterprises of a month only marks it (evaluating the
    month's enterprises inside the import would double the work the worker does anyway)."""
    from exportwatch.warnings.services import pending_mark, warnings_evaluate_enterprises

    by_period: dict[str, set[int]] = defaultdict(set)
    for enterprise_id, period in changes:
        by_period[period].add(enterprise_id)
    for period, ids in sorted(by_period.items()):
        if len(ids) < FULL_EVALUATION_FROM:
            warnings_evaluate_enterprises(period=period, enterprise_ids=sorted(ids))
    pending_mark(periods=by_period)  # the months' shared marks last: they stay locked until the writer commits
