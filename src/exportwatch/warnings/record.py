"""The track record of every rule on the history held (``exportwatch backtest-rules``).

History is replayed as it was evaluated month by month (``warnings_evaluate`` for every month, oldest first: each
month judged from the data up to it), then each rule's signals on each series are scored against the real drops
that followed (``core.warning_record``): a fall of the series by a third against the same month a year before,
within ``window`` months of the signal. The series are the exports of each enterprise, market, market group, HS
chapter, industry and town, and the whole jurisdiction's, each scored with the signals raised for it. The result
is stored per rule (or detector) and scope kind (``RuleTrackRecord``) and shown on the rules page next to the
thresholds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from exportwatch.common import clock
from exportwatch.core.periods import period_range
from exportwatch.core.warning_record import LEAD_WINDOW, drop_onsets, records_combine, rule_record
from exportwatch.directory.models import Enterprise
from exportwatch.monitoring import selectors as sel
from exportwatch.reporting.models import Report
from exportwatch.warnings.facts import AGGREGATES
from exportwatch.warnings.models import RuleTrackRecord, Warning

SCORED = ("enterprise", *(scope for scope, _dim in AGGREGATES), "district")


def _enterprise_series(periods: Sequence[str]) -> dict[str, list[float | None]]:
    index = {p: i for i, p in enumerate(periods)}
    series: dict[str, list[float | None]] = defaultdict(lambda: [None] * len(periods))
    rows = Report.objects.filter(is_current=True, period__in=periods).values_list(
        "enterprise__uscc", "period", "exports_usd"
    )
    for uscc, period, exports in rows.iterator(chunk_size=20_000):
        series[uscc][index[period]] = float(exports)
    return dict(series)


def _aggregate_series(periods: Sequence[str], dim: str) -> dict[str, list[float | None]]:
    scope = sel.Scope(enterprises=Enterprise.objects.all())
    found = sel.series_by(scope, periods, dim)
    return {key: [found.get((p, key)) for p in periods] for key in {k for (_p, k) in found}}


def _district_series(periods: Sequence[str]) -> dict[str, list[float | None]]:
    scope = sel.Scope(enterprises=Enterprise.objects.all())
    figures = sel.series(scope, sel.View(periods[-1]), months=len(periods))
    return {"": [None if f.empty else float(f.exports) for f in figures.values()]}


def rules_backtest(*, window: int = LEAD_WINDOW) -> list[RuleTrackRecord]:
    """Score every rule's stored signals (see the module's docstring) and store the records."""
    periods_held = sorted(set(Report.objects.filter(is_current=True).values_list("period", flat=True)))
    if not periods_held:
        return []
    periods = period_range(periods_held[0], periods_held[-1])
    index = {p: i for i, p in enumerate(periods)}
    series = {
        "enterprise": _enterprise_series(periods),
        **{scope: _aggregate_series(periods, dim) for scope, dim in AGGREGATES},
        "district": _district_series(periods),
    }
    fired: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    signals = Warning.objects.filter(scope__in=SCORED, period__in=periods, active=True)
    for scope, key, rule, period in signals.values_list("scope", "key", "rule", "period"):
        fired[(rule, scope)][key].append(index[period])
    now = clock.now()
    out = []
    for (rule, scope), by_key in sorted(fired.items()):
        records = []
        for key, values in series[scope].items():
            onsets = drop_onsets(values)
            records.append(rule_record(sorted(by_key.get(key, [])), onsets, window=window))
        summary = records_combine(records)
        out.append(
            RuleTrackRecord(
                rule=rule,
                scope=scope,
                computed_at=now,
                first_period=periods[0],
                last_period=periods[-1],
                window=window,
                series=len(records),
                hits=summary.hits,
                false_alarms=summary.false_alarms,
                missed=summary.missed,
                recall=summary.recall,
                precision=summary.precision,
                noise_to_signal=summary.noise_to_signal,
                median_lead=summary.median_lead,
            )
        )
    RuleTrackRecord.objects.bulk_create(out)
    return out
