"""Writes of the forecasting app: computing a run, the background step that keeps it current, the annual target.

``forecasts_compute(period=P)`` reads every series up to the origin P (``selectors.series_data``), runs the
rolling-origin backtest of every model on each series (``core.forecasting.backtest``), lets the record choose the
model (``core.forecasting.choose``: the median of the models unless another model's mean MASE at 1–3 months is
at least 30 % lower; seasonal naive where the median was not compared and nothing beats it), forecasts each series
with its model (``core.forecasting.forecast_many``, one bulk call per model), keeps the lead its orders' lead
learned (``core.forecasting.order_leads``) and replaces the run of P. A forecast from origin P uses the data up to
P only (the history stops at P), so any past origin can be computed and compared with what happened.

Reports that change mark their month pending (``receivers.py``); ``handle_one_pending_forecast`` (a step of
``exportwatch worker``) recomputes the latest origin once the reports have settled for
``EXPORTWATCH_WARNINGS_SETTLE_SECONDS``, and when the origin has moved though no report came (a month's reporting
deadline passed).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from time import monotonic
from typing import Any, TypeVar

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from exportwatch.common import clock
from exportwatch.common.audit import audit_record
from exportwatch.common.bulk import mark_periods
from exportwatch.core.periods import period_add, year_month
from exportwatch.forecasting import selectors as sel
from exportwatch.forecasting.models import ExportTarget, ForecastRun, PendingForecast, Scope, SeriesForecast

logger = logging.getLogger(__name__)
K = TypeVar("K")

HORIZON = 6  # months ahead shown and exported for every series
ACTUAL_MONTHS = 36  # actuals kept beside a forecast, for its chart
NAME_LENGTH = SeriesForecast._meta.get_field("name").max_length or 200
BACKTEST_ORIGINS = 12
MIN_TRAIN = 24
# The models compared on every series, when the core offers them (seasonal naive first: the floor).
PREFERRED_MODELS = ("seasonal_naive", "ets", "theta", "arima", "order_book", "order_lead", "combination", "median")
LIGHT_MODELS = ("seasonal_naive", "order_book", "order_lead")  # compared on towns and head enterprises (numpy only)


def forecast_jobs() -> int:
    """The processes the statistical models may run in: ``EXPORTWATCH_FORECAST_JOBS``, but one unless this is the
    main and only thread of its process (statsforecast forks its workers, and a fork beside other threads — the
    web server's, or the worker thread ``exportwatch serve`` runs — may copy a lock another thread holds)."""
    jobs: int = settings.EXPORTWATCH_FORECAST_JOBS
    alone = threading.current_thread() is threading.main_thread() and threading.active_count() == 1
    return jobs if alone else 1


def models_available() -> list[str]:
    from exportwatch.core.forecasting import MODELS

    return [m for m in PREFERRED_MODELS if m in MODELS] + sorted(set(MODELS) - set(PREFERRED_MODELS))


def _history(data: sel.SeriesData) -> Any:
    from exportwatch.core.forecasting import History

    return History(
        first_period=data.first_period,
        exports=np.asarray(data.exports, dtype=float),
        new_orders=np.asarray(data.new_orders, dtype=float),
        backlog=np.asarray(data.backlog, dtype=float),
        backlog_due_3m=None if data.due_3m is None else np.asarray(data.due_3m, dtype=float),
    )


def _number(value: Any) -> float | None:
    if value is None:
        return None
    x = float(value)
    return None if math.isnan(x) or math.isinf(x) else x


def _record(accuracies: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
    record: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in sorted(accuracies, key=lambda a: (a.model, a.horizon)):
        record[a.model].append(
            {
                "horizon": a.horizon,
                "mase": _number(a.mase),
                "coverage80": _number(a.coverage80),
                "coverage95": _number(a.coverage95),
                "origins": a.origins,
                "spread": _number(a.spread),
            }
        )
    return dict(record)


def _horizon_of(scope: str, origin: str) -> int:
    """The district is forecast to December (the annual target needs every remaining month), at least 6."""
    if scope != Scope.DISTRICT:
        return HORIZON
    _year, month = year_month(origin)
    return max(HORIZON, 12 - month)


@dataclass(frozen=True)
class Chosen:
    model: str
    record: dict[str, list[dict[str, Any]]]


def series_choose(histories: Mapping[K, Any], *, models: Sequence[str]) -> dict[K, Chosen]:
    """Each series' model, chosen by its rolling-origin record of ``models`` (``core.forecasting.backtest_many``:
    one bulk forecast per model over every origin, not a loop over the series)."""
    from exportwatch.core.forecasting import backtest_many, choose

    records = backtest_many(
        histories,
        list(models),
        horizons=HORIZON,
        origins=BACKTEST_ORIGINS,
        min_train=MIN_TRAIN,
        n_jobs=forecast_jobs(),
    )
    return {k: Chosen(model=choose(acc), record=_record(acc)) for k, acc in records.items()}


def _book(d: sel.SeriesData, start: int) -> dict[str, list[float | None]]:
    """The series' order book from month ``start`` on (the months of the stored actuals), as the row keeps it."""
    book = {"new_orders": d.new_orders, "backlog": d.backlog} | ({"due_3m": d.due_3m} if d.due_3m is not None else {})
    return {name: [_number(v) for v in values[start:]] for name, values in book.items()}


def _values(array: Any, n: int) -> list[float | None]:
    return [_number(v) for v in np.asarray(array, dtype=float)[:n]]


@transaction.atomic
def _store(origin: str, rows: list[SeriesForecast], *, started: float, models: Sequence[str]) -> ForecastRun:
    ForecastRun.objects.filter(origin_period=origin).delete()
    run = ForecastRun.objects.create(
        origin_period=origin,
        computed_at=clock.now(),
        series=len(rows),
        seconds=round(monotonic() - started, 3),
        model_names=list(models),
    )
    for r in rows:
        r.run = run
    SeriesForecast.objects.bulk_create(rows, batch_size=2_000)
    return run


def models_for(scope: str, models: Sequence[str]) -> list[str]:
    """The models compared on a series of ``scope``: all of them on the jurisdiction's series; on the many small
    series (towns, head enterprises) only the cheap ones (``LIGHT_MODELS``), so a province's run stays within a
    minute (ETS and ARIMA cost about 15 ms a fit, and the backtest fits each model 12 times per series)."""
    if scope in (Scope.TOWN, Scope.ENTERPRISE):
        return [m for m in models if m in LIGHT_MODELS] or list(models)
    return list(models)


def forecasts_build(
    *, origin: str, models: Sequence[str] | None = None, timings: dict[str, float] | None = None
) -> list[SeriesForecast]:
    """Every series' forecast from ``origin`` (unsaved rows): read, backtest, choose, forecast. ``timings``, when
    given, receives the seconds each phase took (``read``, ``backtest``, ``forecast``)."""
    from exportwatch.core.forecasting import forecast_many, order_leads, scale_to_record

    clock_start = monotonic()
    spent = timings if timings is not None else {}
    names = list(models) if models is not None else models_available()
    data = sel.series_data(period=origin)
    spent["read"] = monotonic() - clock_start
    histories = {(d.scope, d.key): _history(d) for d in data}
    by_models: dict[tuple[str, ...], dict[tuple[str, str], Any]] = defaultdict(dict)
    for k, history in histories.items():
        by_models[tuple(models_for(k[0], names))][k] = history
    chosen: dict[tuple[str, str], Chosen] = {}
    for compared, group in by_models.items():
        chosen.update(series_choose(group, models=compared))
    spent["backtest"] = monotonic() - clock_start - spent["read"]
    by_model: dict[tuple[str, int], dict[tuple[str, str], Any]] = defaultdict(dict)
    for k, c in chosen.items():
        by_model[(c.model, _horizon_of(k[0], origin))][k] = histories[k]
    forecasts: dict[tuple[str, str], Any] = {}
    jobs = forecast_jobs()
    for (model, h), group in by_model.items():
        forecasts.update(forecast_many(group, model, h, n_jobs=jobs))
    leads = order_leads(histories)
    spent["forecast"] = monotonic() - clock_start - spent["read"] - spent["backtest"]
    rows = []
    for d in data:
        k = (d.scope, d.key)
        # The intervals as wide as the model's errors over the rolling origins (core.forecasting.scale_to_record).
        f = scale_to_record(forecasts[k], sel.record_spreads(chosen[k].record, forecasts[k].model))
        h = _horizon_of(d.scope, origin)
        n = len(d.exports)
        keep = min(n, ACTUAL_MONTHS)
        rows.append(
            SeriesForecast(
                scope=d.scope,
                key=d.key,
                name=d.name[:NAME_LENGTH],  # a chapter's English name can be longer; pages show the full name
                town=d.town,
                model=f.model,  # the chosen model, or seasonal naive where it fell back (a short series)
                first_period=period_add(origin, 1),
                mean=_values(f.mean, h),
                lo80=_values(f.lo80, h),
                hi80=_values(f.hi80, h),
                lo95=_values(f.lo95, h),
                hi95=_values(f.hi95, h),
                actual_first_period=period_add(d.first_period, n - keep),
                actuals=[_number(v) for v in d.exports[n - keep :]],
                filled=[] if d.filled is None else [_number(v) for v in d.filled[n - keep :]],
                book=_book(d, n - keep),
                order_lead=leads.get(k),
                record=chosen[k].record,
            )
        )
    return rows


def forecasts_compute(*, period: str | None = None, models: Sequence[str] | None = None) -> ForecastRun | None:
    """Compute and store every series' forecast from origin ``period`` (when None, the latest month whose reports
    are in: :func:`~exportwatch.forecasting.selectors.forecast_origin`),
    replacing the run of that origin.

    Returns the run, or None when there is no report to forecast from.
    """
    origin = period or sel.forecast_origin()
    if origin is None:
        return None
    started = monotonic()
    names = list(models) if models is not None else models_available()
    rows = forecasts_build(origin=origin, models=names)
    run = _store(origin, rows, started=started, models=names)
    logger.info("forecasts from %s: %d series in %.1f s", origin, run.series, run.seconds)
    return run


# --- the background step ----------------------------------------------------------------------------------------


def forecast_pending_mark(*, periods: Iterable[str]) -> None:
    """Mark that reports of ``periods`` changed (in the caller's transaction): one statement that inserts each
    mark or moves its time on, the months in order."""
    mark_periods(PendingForecast, periods)


def handle_one_pending_forecast() -> bool:
    """One step of the background worker: when reports changed and have not changed again for
    ``EXPORTWATCH_WARNINGS_SETTLE_SECONDS``, recompute the forecasts of the latest origin; False when nothing is
    pending or the marks have not settled. The marks are claimed by a conditional delete (a mark that changed
    meanwhile stays, and brings another run), so two workers never recompute for the same marks."""
    settled = clock.now() - dt.timedelta(seconds=settings.EXPORTWATCH_WARNINGS_SETTLE_SECONDS)
    marks = list(PendingForecast.objects.all())
    if not marks:
        return _origin_moved_since_run()
    if any(m.since > settled for m in marks):
        return False
    claimed = 0
    for m in marks:
        claimed += PendingForecast.objects.filter(pk=m.pk, since=m.since).delete()[0]
    if not claimed:
        return False
    try:
        forecasts_compute()
    except Exception:
        for m in marks:  # put the work back for the next attempt
            PendingForecast.objects.get_or_create(period=m.period, defaults={"since": m.since})
        raise
    return True


def _origin_moved_since_run() -> bool:
    """Whether the origin (``selectors.forecast_origin``) is now later than the latest run's, though no report came
    since (a month's deadline passed): marks it pending if so, and the next steps recompute once the mark settles,
    in one worker. Two small reads (the latest run, the all-cells' counts)."""
    latest = sel.run_latest()
    origin = sel.forecast_origin()
    if latest is None or origin is None or origin <= latest.origin_period:
        return False
    forecast_pending_mark(periods=[origin])
    return True


# --- the annual target ------------------------------------------------------------------------------------------


class TargetRefused(ValueError):
    """A target that cannot be set (the message says why, for the form)."""


def target_set(*, year: int, amount_usd: Decimal, note: str, user: Any) -> ExportTarget:
    """Set (or change) the district's export target for ``year``; audited with the old and new values."""
    if not 2000 <= year <= 2100:
        raise TargetRefused(_("The year must lie between 2000 and 2100."))
    if amount_usd <= 0:
        raise TargetRefused(_("The target must be more than zero."))
    with transaction.atomic():
        existing = ExportTarget.objects.select_for_update().filter(year=year).first()
        old = None if existing is None else {"amount_usd": existing.amount_usd, "note": existing.note}
        target = existing or ExportTarget(year=year)
        target.amount_usd = amount_usd
        target.note = note[:300]
        target.set_at = clock.now()
        target.set_by = user if getattr(user, "pk", None) else None
        target.save()
        audit_record(
            actor=user,
            action="export_target_set",
            object_type="export_target",
            object_key=str(year),
            old=old,
            new={"amount_usd": amount_usd, "note": target.note},
            note=note,
        )
    return target
