"""Forecast pages: the district's fan chart with the chosen model's record and the annual target, a table of every
series of a level (market, industry, ...), and each series' own page.

Every page reads the stored run (``services.forecasts_compute``) through ``selectors.forecasts_visible``: the
district and the jurisdiction's levels to the bureau users who see every enterprise, a town's series to the users
over the town, a head enterprise's to whoever may read it. A role that never uses these pages (a reporter, a
department handler) gets 403; a series outside the user's scope 404. Amounts on the pages are in 10k USD.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from exportwatch.accounts.models import Role
from exportwatch.common.scoping import can_see_bureau_pages, is_admin, sees_everything
from exportwatch.core.codes import parse_period
from exportwatch.core.forecast_outcomes import month_outcome, outcome_summary
from exportwatch.core.forecasting import MEDIAN_MARGIN
from exportwatch.core.panel import TRAILING_MONTHS
from exportwatch.core.periods import SETTLED_SHARE, period_add, period_range
from exportwatch.exchange.views import FORMATS, list_download
from exportwatch.forecasting import selectors as sel
from exportwatch.forecasting.models import ForecastRun, PendingForecast, Scope, SeriesForecast
from exportwatch.forecasting.services import TargetRefused, target_set

PER_PAGE = 100
SHOWN_HORIZON = 6
BOOK_MONTHS = 12  # months of the order book shown beside the forecast
RECORD_HORIZONS = (1, 2, 3, 6)
MODEL_LABELS = {
    "seasonal_naive": gettext_lazy("Seasonal naive"),
    "ets": gettext_lazy("Exponential smoothing (ETS)"),
    "theta": gettext_lazy("Theta"),
    "arima": gettext_lazy("ARIMA"),
    "order_book": gettext_lazy("Order book"),
    "order_lead": gettext_lazy("Orders' lead"),
    "combination": gettext_lazy("Combination"),
    "median": gettext_lazy("Median of the models"),
}
LEVEL_LABELS = {
    Scope.DISTRICT: gettext_lazy("District"),
    Scope.MARKET: gettext_lazy("Markets"),
    Scope.MARKET_GROUP: gettext_lazy("Market groups"),
    Scope.HS: gettext_lazy("HS chapters"),
    Scope.INDUSTRY: gettext_lazy("Industries"),
    Scope.TOWN: gettext_lazy("Towns"),
    Scope.ENTERPRISE: gettext_lazy("Head enterprises"),
}


def _require_bureau(request: HttpRequest) -> None:
    if not can_see_bureau_pages(request.user):
        raise PermissionDenied


def _may_set_target(user: Any) -> bool:
    return is_admin(user) or getattr(user, "role", "") == Role.ANALYST


def _run(request: HttpRequest) -> ForecastRun | None:
    """The run asked for (``?origin=YYYY-MM``), else the latest."""
    origin = request.GET.get("origin", "").strip()
    if origin:
        if parse_period(origin) is None:
            raise Http404
        run = sel.run_of(origin)
        if run is None:
            raise Http404
        return run
    return sel.run_latest()


def _wan(value: float | None) -> float | None:
    return None if value is None else round(value / 10_000, 1)


def model_label(model: str) -> str:
    return str(MODEL_LABELS.get(model, model))


# --- the fan chart and the record --------------------------------------------------------------------------------


def fan_chart(
    f: SeriesForecast,
    *,
    horizon: int = SHOWN_HORIZON,
    actual_months: int = 24,
    outcome: Mapping[str, float | None] | None = None,
) -> dict[str, Any]:
    """The fan chart's spec (``static/forecasting/fan.js``): the actuals, then the forecast mean with its 80 % and
    95 % bands, in 10k USD; the last actual month starts the bands so the fan opens from it. For a past run,
    ``outcome`` (the exports reported since, by month) is drawn over the forecast months."""
    actual_periods = period_range(f.actual_first_period, period_add(f.first_period, -1))
    actuals = list(zip(actual_periods, f.actuals, strict=False))[-actual_months:]
    h = min(horizon, len(f.mean))
    future = [period_add(f.first_period, i) for i in range(h)]
    n = len(actuals)
    last = _wan(actuals[-1][1]) if actuals else None

    def band(values: list[float | None]) -> list[float | None]:
        return [None] * (n - 1) + [last] + [_wan(v) for v in values[:h]] if n else [_wan(v) for v in values[:h]]

    spec: dict[str, Any] = {
        "categories": [p for p, _v in actuals] + future,
        "actual": [_wan(v) for _p, v in actuals] + [None] * h,
        "mean": band(f.mean),
        "lo80": band(f.lo80),
        "hi80": band(f.hi80),
        "lo95": band(f.lo95),
        "hi95": band(f.hi95),
        "names": {
            "actual": _("Exports"),
            "mean": _("Forecast"),
            # xgettext:no-python-format
            "band80": _("80 % interval"),
            # xgettext:no-python-format
            "band95": _("95 % interval"),
        },
        "unit": _("10k USD"),
    }
    if outcome:
        since = [outcome.get(p) for p in future]
        if any(v is not None for v in since):
            spec["outcome"] = band(since)  # from the last actual month, like the bands
            spec["names"]["outcome"] = _("Exports reported since")
    return spec


def forecast_rows(
    f: SeriesForecast, *, horizon: int = SHOWN_HORIZON, outcome: Mapping[str, float | None] | None = None
) -> list[dict[str, Any]]:
    """The forecast months with the same month a year before and the change (for the table beside the chart); for
    a past run, each month's reported exports against the forecast (``outcome``: the exports since, by month)."""
    actual_periods = period_range(f.actual_first_period, period_add(f.first_period, -1))
    actual_of = dict(zip(actual_periods, f.actuals, strict=False))
    rows = []
    for i in range(min(horizon, len(f.mean))):
        p = period_add(f.first_period, i)
        year_ago = actual_of.get(period_add(p, -12))
        mean = f.mean[i]
        change = None if not year_ago or mean is None else mean / year_ago - 1
        actual = outcome.get(p) if outcome else None
        rows.append(
            {
                "period": p,
                "mean": mean,
                "lo80": f.lo80[i],
                "hi80": f.hi80[i],
                "lo95": f.lo95[i],
                "hi95": f.hi95[i],
                "year_ago": year_ago,
                "change": change,
                "outcome": None
                if actual is None or mean is None
                else month_outcome(
                    mean=mean, actual=actual, lo80=f.lo80[i], hi80=f.hi80[i], lo95=f.lo95[i], hi95=f.hi95[i]
                ),
            }
        )
    return rows


def book_chart(book: sel.OrderBook) -> dict[str, Any]:
    """The chart of an order book's changes against a year before (``static/exportwatch/charts.js``, in %)."""
    rows = book.months
    return {
        "type": "line",
        "categories": [r.period for r in rows],
        "series": [
            {"name": _("Exports, three months, year on year"), "values": [_pct(r.exports_change) for r in rows]},
            {"name": _("New orders, three months, year on year"), "values": [_pct(r.orders_change) for r in rows]},
            {"name": _("Orders in hand, year on year"), "values": [_pct(r.backlog_change) for r in rows]},
        ],
        "unit": "%",
        "markLine": 0,
    }


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def record_rows(f: SeriesForecast) -> list[dict[str, Any]]:
    """Every model's record at the shown horizons, the chosen model first, then seasonal naive, then the rest."""
    order = [f.model] + (["seasonal_naive"] if f.model != "seasonal_naive" else [])
    order += sorted(m for m in f.record if m not in order)
    rows = []
    for model in order:
        by_h = {r["horizon"]: r for r in f.record.get(model, [])}
        cells = [by_h.get(h) for h in RECORD_HORIZONS]
        origins = max((r["origins"] for r in f.record.get(model, [])), default=0)
        rows.append({"model": model, "label": model_label(model), "chosen": model == f.model, "cells": cells,
                     "origins": origins})  # fmt: skip
    return rows


def _mean_mase(f: SeriesForecast, model: str, horizons: tuple[int, ...] = (1, 2, 3)) -> float | None:
    values = [r["mase"] for r in f.record.get(model, []) if r["horizon"] in horizons and r["mase"] is not None]
    return sum(values) / len(values) if values else None


def _next3_change(f: SeriesForecast) -> float | None:
    """The next three months' forecast against the same months a year before (a fraction)."""
    outlook = sel.outlook_of(f, months=3)
    return outlook.change if outlook else None


# --- pages -------------------------------------------------------------------------------------------------------


def _earlier(request: HttpRequest, run: ForecastRun | None, f: SeriesForecast) -> list[dict[str, Any]]:
    """The series' forecasts from earlier runs with a month reported since, each against the actuals ``f`` saw:
    the months inside its intervals, the bias and the weighted absolute error (``core.forecast_outcomes``)."""
    if run is None:
        return []
    actuals = dict(zip(period_range(f.actual_first_period, run.origin_period), f.actuals, strict=False))
    found = []
    for e in sel.forecasts_earlier(request.user, run, scope=f.scope, key=f.key):
        months = forecast_rows(e, outcome=actuals)
        summary = outcome_summary([m["outcome"] for m in months if m["outcome"] is not None])
        if summary is not None:
            found.append({"origin": e.run.origin_period, "model": model_label(e.model), "summary": summary})
    return found


class TargetForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    amount_wan = forms.DecimalField(
        label=gettext_lazy("Target exports (10k USD)"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    note = forms.CharField(label=gettext_lazy("Basis of the target"), max_length=300, required=False)


def _series_context(request: HttpRequest, run: ForecastRun | None, f: SeriesForecast) -> dict[str, Any]:
    naive = _mean_mase(f, "seasonal_naive")
    chosen = _mean_mase(f, f.model)
    since = sel.outcomes_visible(request.user, run, scope=f.scope, keys=[f.key])
    outcome = since.by_key.get(f.key) if since else None
    rows = forecast_rows(f, outcome=outcome)
    checked = [r["outcome"] for r in rows if r["outcome"] is not None]
    book = sel.order_book_of(f, months=BOOK_MONTHS)  # None for a run stored before the book was kept
    return {
        "earlier": _earlier(request, run, f) if since is None else [],
        "run": run,
        "forecast": f,
        "model_label": model_label(f.model),
        "fan": fan_chart(f, outcome=outcome),
        "book": book,
        "book_chart": book_chart(book) if book else None,
        "rows": rows,
        # January and February forecast as one season and split back: their intervals hold the split's error too.
        "festival_months": [r["period"] for r in rows if r["period"][5:7] in ("01", "02")],
        # The history is completed for the enterprises that skipped a month: how much of it is theirs.
        "filled": sel.filled_of(f),
        "filled_trailing": TRAILING_MONTHS,
        "outcomes_seen_in": since.seen_in if since else None,
        "outcome_summary": outcome_summary(checked),
        "record": record_rows(f),
        # A run stored before the intervals were scaled to the record says nothing of it.
        "record_scaled": any(s is not None for s in sel.record_spreads(f.record, f.model)),
        "record_horizons": RECORD_HORIZONS,
        "median_margin": round(MEDIAN_MARGIN * 100),  # in percent: how much better a model must be than the median
        "chosen_mase": chosen,
        "naive_mase": naive,
        "next3_change": _next3_change(f),
        "levels": [(s, LEVEL_LABELS[s]) for s in sel.levels_visible(request.user) if s != Scope.DISTRICT],
        "sees_district": sees_everything(request.user),
        "current_scope": f.scope,
        "origin_query": f"origin={run.origin_period}" if run and "origin" in request.GET else "",
    }


def _coming_in(run: ForecastRun | None) -> dict[str, Any]:
    """The later months whose reports are coming in, which the pages name with the rule that makes a month an
    origin (``forecasting/_coming_in.html``)."""
    return {"origin_pending": sel.origin_pending_after(run), "origin_share": round(SETTLED_SHARE * 100)}


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The district: its fan chart, the chosen model's record, the annual target, links to every level."""
    _require_bureau(request)
    if not sees_everything(request.user):
        return redirect("forecasting:level", scope=Scope.TOWN)
    run = _run(request)
    district = sel.forecast_get(request.user, run, scope=Scope.DISTRICT, key="")
    context: dict[str, Any] = {
        "run": run,
        "runs": list(ForecastRun.objects.order_by("-origin_period").values_list("origin_period", flat=True)[:24]),
        "pending": PendingForecast.objects.exists(),
        "levels": [(s, LEVEL_LABELS[s]) for s in sel.levels_visible(request.user) if s != Scope.DISTRICT],
        "may_set_target": _may_set_target(request.user),
        "sees_district": True,
    } | _coming_in(run)
    if district is not None:
        context.update(_series_context(request, run, district))
        status = sel.target_status(run=run)
        context["target"] = status
        if status is not None and not math.isnan(status.track.sd):
            context["target_sd"] = status.track.sd
        year = int(run.origin_period[:4]) if run else None
        context["target_year"] = year
        if run is not None:
            counts = Counter(sel.forecasts_visible(request.user, run).values_list("model", flat=True))
            context["model_counts"] = [(model_label(m), n) for m, n in counts.most_common()]
    if context["may_set_target"]:
        initial = {"year": context.get("target_year")}
        existing = sel.target_of(initial["year"]) if initial["year"] else None
        if existing is not None:
            initial.update(amount_wan=(existing.amount_usd / 10_000).quantize(Decimal("0.01")), note=existing.note)
        context["target_form"] = TargetForm(initial=initial)
    return render(request, "forecasting/overview.html", context)


@login_required
def level(request: HttpRequest, scope: str) -> HttpResponseBase:
    """Every series of a level with its forecast for the next months, largest first."""
    _require_bureau(request)
    if scope not in Scope.values or scope == Scope.DISTRICT or scope not in sel.levels_visible(request.user):
        raise Http404
    run = _run(request)
    series = list(sel.forecasts_visible(request.user, run).filter(scope=scope))
    sel.names_in_language(series)
    series.sort(key=lambda f: (-(f.actuals[-1] or 0) if f.actuals else 0, f.key))
    since = sel.outcomes_visible(request.user, run, scope=scope)
    rows = []
    for f in series:
        months = forecast_rows(f, horizon=3, outcome=since.by_key.get(f.key) if since else None)
        rows.append(
            {
                "f": f,
                "model": model_label(f.model),
                "last": f.actuals[-1] if f.actuals else None,
                "months": months,
                "change": _next3_change(f),
                "orders_change": sel.orders_change(f),
                "mase": _mean_mase(f, f.model),
                "outcome": outcome_summary([m["outcome"] for m in months if m["outcome"] is not None]),
            }
        )
    fmt = request.GET.get("format")
    if fmt is not None:
        if fmt not in FORMATS:
            raise Http404
        columns: list[tuple[str, str]] = [
            ("key", _("Code")),
            ("name", _("Name")),
            ("model", _("Model")),
            ("origin_period", _("Origin month")),
            ("last_usd", _("Exports in the origin month (USD)")),
        ]
        for i in range(1, 4):
            columns += [
                (f"mean_{i}", _("Forecast, %(n)s months ahead (USD)") % {"n": i}),
                (f"lo80_{i}", _("80 %% low, %(n)s months ahead (USD)") % {"n": i}),
                (f"hi80_{i}", _("80 %% high, %(n)s months ahead (USD)") % {"n": i}),
            ]
        columns += [
            ("new_orders_change_3m", _("New orders, last 3 months, against a year before")),
            ("order_lead_months", _("Orders' lead (months)")),
            ("change_3m", _("Next 3 months against a year before")),
            ("mase", _("MASE, 1-3 months")),
        ]
        if since is not None:
            columns += [(f"actual_{i}", _("Reported since, %(n)s months ahead (USD)") % {"n": i}) for i in range(1, 4)]

        def cells() -> Any:
            for r in rows:
                out: list[Any] = [r["f"].key, r["f"].name, r["f"].model, r["f"].run.origin_period, _money(r["last"])]
                for m in r["months"]:
                    out += [_money(m["mean"]), _money(m["lo80"]), _money(m["hi80"])]
                out += [None] * (3 * (3 - len(r["months"])))
                out += [_ratio(r["orders_change"]), r["f"].order_lead, _ratio(r["change"]), _ratio(r["mase"])]
                if since is not None:
                    actuals = [_money(m["outcome"].actual) if m["outcome"] else None for m in r["months"]]
                    out += actuals + [None] * (3 - len(actuals))
                yield out

        return list_download(fmt, f"forecasts-{scope}", columns, cells())
    paged = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = f"origin={run.origin_period}" if run and "origin" in request.GET else ""
    return render(
        request,
        "forecasting/level.html",
        {
            **(_coming_in(run) if sees_everything(request.user) else {}),  # counts of the whole jurisdiction
            "run": run,
            "scope": scope,
            "scope_label": LEVEL_LABELS[Scope(scope)],
            "levels": [(s, LEVEL_LABELS[s]) for s in sel.levels_visible(request.user) if s != Scope.DISTRICT],
            "sees_district": sees_everything(request.user),
            "paged": paged,
            "total": len(rows),
            "query": query,
            "horizons": [period_add(run.origin_period, i) for i in (1, 2, 3)] if run else [],
            "outcomes_seen_in": since.seen_in if since else None,
        },
    )


def _money(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 2)))


def _ratio(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 4)))


@login_required
def series_detail(request: HttpRequest, scope: str, key: str) -> HttpResponse:
    """One series: its fan chart, its forecast table and its model's record."""
    _require_bureau(request)
    if scope not in Scope.values or scope == Scope.DISTRICT:
        raise Http404
    run = _run(request)
    f = sel.forecast_get(request.user, run, scope=scope, key=key)
    if f is None:
        raise Http404
    sel.names_in_language([f])
    context = _series_context(request, run, f)
    context["scope_label"] = LEVEL_LABELS[Scope(scope)]
    return render(request, "forecasting/series.html", context)


@login_required
@require_POST
def target_edit(request: HttpRequest) -> HttpResponse:
    """Set the district's export target for a year (analysts)."""
    _require_bureau(request)
    if not _may_set_target(request.user) or not sees_everything(request.user):
        raise PermissionDenied
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            amount = (form.cleaned_data["amount_wan"] * 10_000).quantize(Decimal("0.01"))
        except InvalidOperation:  # pragma: no cover - bounded by the form's max_digits
            raise Http404 from None
        try:
            target_set(
                year=form.cleaned_data["year"],
                amount_usd=amount,
                note=form.cleaned_data["note"],
                user=request.user,
            )
        except TargetRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The export target for %(year)s is set.") % {"year": form.cleaned_data["year"]})
    else:
        messages.error(request, _("The target was not set: %(errors)s") % {"errors": form.errors.as_text()})
    return redirect(reverse("forecasting:overview") + "#target")
