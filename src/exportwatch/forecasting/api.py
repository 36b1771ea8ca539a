"""The forecasts in the REST API, at /api/forecasts: read only, the same scopes as the pages.

The bureau's users read the series of the latest run (or of ``origin``) they may see: the district and the
jurisdiction's levels if they see every enterprise, else their towns and head enterprises. A past run's months carry
the exports reported since (``reported``, from the latest run), so a forecast can be checked against what happened.
A role that never reads forecasts gets 403, a series outside the caller's scope 404. Amounts are US dollars.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from exportwatch.api.errors import MessageOut
from exportwatch.common.scoping import can_see_bureau_pages, sees_everything
from exportwatch.core.codes import parse_period
from exportwatch.core.periods import SETTLED_SHARE, period_add
from exportwatch.forecasting import selectors as sel
from exportwatch.forecasting.models import ForecastRun, Scope, SeriesForecast

router = Router(tags=["forecasts"])


def _forbidden() -> dict[str, str]:
    return {"detail": _("Forecasts are for the bureau's analysts, leaders and town officers.")}


class MonthOut(Schema):
    period: str
    mean: float | None
    lo80: float | None
    hi80: float | None
    lo95: float | None
    hi95: float | None
    reported: float | None = Field(
        None, description="The month's exports reported since, for a run before the latest (null: not reported yet)"
    )


class RecordOut(Schema):
    horizon: int
    mase: float | None
    coverage80: float | None = Field(
        description="Share of the outcomes inside the 80 % interval, the interval scaled at each origin by the spread "
        "of the origins before it (as the forecast's own intervals are scaled by the whole record)"
    )
    coverage95: float | None
    origins: int
    spread: float | None = Field(
        None,
        description="Mean of |outcome − forecast| over the 80 % interval's distance on the outcome's side, each origin "
        "weighing half as much as the one four origins after it (about 0.62 "
        "for intervals of the right width); the forecast's intervals are scaled by spread / 0.62. null in a run "
        "stored before it was kept",
    )


class SeriesOut(Schema):
    scope: str
    key: str
    name: str
    model: str
    origin_period: str
    forecast: list[MonthOut]
    record: dict[str, list[RecordOut]]


class HistoryOut(Schema):
    first_period: str = Field(description="The first month of the lists below (YYYY-MM)")
    exports: list[float | None] = Field(
        description="Exports of each month, completed for the enterprises that did not report it (see filled)"
    )
    filled: list[float | None] = Field(
        default_factory=list,
        description="Of each month's exports, the part for the enterprises that did not report the month: the exports "
        "customs recorded for them where loaded, else their latest report carried forward with the rest of the "
        "series; empty for a head enterprise's own "
        "series and in a run stored before the histories were completed",
    )
    new_orders: list[float | None] | None = Field(None, description="null in a run stored before the book was kept")
    backlog: list[float | None] | None = Field(None, description="Orders in hand at the end of each month")
    backlog_due_3m: list[float | None] | None = Field(
        None, description="The part due within three months (null where the level's reports do not state it)"
    )
    order_lead_months: int | None = Field(
        None,
        description="Months between the new orders and the exports that follow them best in this series' history "
        "(the lead the orders' lead model learned); null where none was learned or in a run stored before",
    )


class SeriesDetailOut(SeriesOut):
    history: HistoryOut = Field(
        description="The months the models read, up to the origin (USD; null: a month without reports)"
    )


class ComingInOut(Schema):
    period: str
    reported: int = Field(description="enterprises that have reported the month")
    before: int = Field(description="enterprises that reported the month before")
    deadline: dt.date


class SeriesPage(Schema):
    origin_period: str | None
    computed_at: dt.datetime | None
    coming_in: list[ComingInOut] = Field(
        description="Months after the latest run's origin whose reports are coming in (not yet an origin: fewer than "
        f"{SETTLED_SHARE:.0%} as many enterprises as the month before have reported them, and their deadline has not "
        "passed); empty for a run before the latest and for a user who does not read every enterprise"
    )
    count: int
    items: list[SeriesOut]


def _out(f: SeriesForecast, run: ForecastRun, since: Mapping[str, float | None] | None = None) -> dict[str, Any]:
    return {
        "scope": f.scope,
        "key": f.key,
        "name": f.name,
        "model": f.model,
        "origin_period": run.origin_period,
        "forecast": [
            {
                "period": period_add(f.first_period, i),
                "mean": f.mean[i],
                "lo80": f.lo80[i],
                "hi80": f.hi80[i],
                "lo95": f.lo95[i],
                "hi95": f.hi95[i],
                "reported": since.get(period_add(f.first_period, i)) if since else None,
            }
            for i in range(len(f.mean))
        ],
        "record": f.record,
    }


def _since_of(outcomes: sel.Outcomes | None, key: str) -> Mapping[str, float | None] | None:
    return outcomes.by_key.get(key) if outcomes else None


def _run(origin: str) -> ForecastRun | None:
    if not origin:
        return sel.run_latest()
    if parse_period(origin) is None:
        raise Http404
    return sel.run_of(origin)


@router.get("", response={200: SeriesPage, 403: MessageOut}, summary="Forecasts of the series in your scope")
def forecast_list(
    request: HttpRequest,
    scope: str = Query("", description="district | market | market_group | hs | industry | town | enterprise"),
    origin: str = Query("", description="YYYY-MM: the run from this origin (default: the latest)"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),  # a larger one overflows the SQL OFFSET
) -> Any:
    """Each series' forecast 1–6 months ahead (the district's to December) with 80 % and 95 % intervals, the model
    its backtest record chose, and every compared model's record (MASE and interval coverage by horizon)."""
    if not can_see_bureau_pages(request.user):
        return 403, _forbidden()
    if scope and scope not in Scope.values:
        raise Http404
    run = _run(origin)
    qs = sel.forecasts_visible(request.user, run)
    if scope:
        qs = qs.filter(scope=scope)
    page = list(qs.order_by("scope", "key")[offset : offset + limit]) if run else []
    since: dict[str, sel.Outcomes | None] = {
        s: sel.outcomes_visible(request.user, run, scope=s, keys=[f.key for f in page if f.scope == s])
        for s in {f.scope for f in page}
    }
    items = [_out(f, run, _since_of(since[f.scope], f.key)) for f in page]  # the page is empty without a run
    # The counts are the whole jurisdiction's: for those who read every enterprise.
    coming_in = sel.origin_pending_after(run) if sees_everything(request.user) else []
    return 200, {
        "origin_period": run.origin_period if run else None,
        "computed_at": run.computed_at if run else None,
        "coming_in": [asdict(c) for c in coming_in],
        "count": qs.count(),
        "items": items,
    }


@router.get("/{scope}/{key}", response={200: SeriesDetailOut, 403: MessageOut}, summary="One series' forecast")
def forecast_detail(request: HttpRequest, scope: str, key: str, origin: str = "") -> Any:
    """The district is ``/district/-``. Beside the forecast, the history the models read: the exports and the order
    book (new orders, orders in hand, the part due within three months) of the months up to the origin."""
    if not can_see_bureau_pages(request.user):
        return 403, _forbidden()
    run = _run(origin)
    f = sel.forecast_get(request.user, run, scope=scope, key="" if scope == Scope.DISTRICT else key)
    if f is None or run is None:
        raise Http404
    out = _out(f, run, _since_of(sel.outcomes_visible(request.user, run, scope=f.scope, keys=[f.key]), f.key))
    out["history"] = {
        "first_period": f.actual_first_period,
        "exports": f.actuals,
        "filled": f.filled,
        "new_orders": f.book.get("new_orders"),
        "backlog": f.book.get("backlog"),
        "backlog_due_3m": f.book.get("due_3m"),
        "order_lead_months": f.order_lead,
    }
    return 200, out
