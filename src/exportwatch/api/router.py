"""The REST API (django-ninja): the same validation, services and scopes as the web pages.

OpenAPI document at /api/openapi.json, browsable docs at /api/docs (assets served locally by ninja).
Authentication: ``Authorization: Bearer <token>`` (tokens from the account page or ``exportwatch token``),
or the browser session (with CSRF) for trying the API from the docs page.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Schema
from ninja.security import HttpBearer, django_auth

from exportwatch.accounts.models import ApiToken
from exportwatch.api.errors import ExportWatchAPI, MessageOut, ProblemsOut
from exportwatch.common.problems import problem_message
from exportwatch.common.scoping import (
    can_see_bureau_pages,
    enterprise_get,
    enterprise_get_reportable,
    enterprises_visible,
)
from exportwatch.core.codes import normalize_uscc, parse_period
from exportwatch.core.periods import period_end, period_start
from exportwatch.core.records import Problem, check_report_lines, clean_disruption, clean_line, clean_need, clean_report
from exportwatch.directory.selectors import EnterpriseFilter, enterprises_filter
from exportwatch.reporting.adapters import validation_context
from exportwatch.reporting.models import Disruption, Need, Report, Source
from exportwatch.reporting.services import ReportConflict, disruption_file, need_file, report_submit
from exportwatch.warnings.models import Level
from exportwatch.warnings.models import Scope as WarningScope
from exportwatch.warnings.selectors import warnings_visible


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.objects.find(token)
        if found is None or not found.user.is_active:
            return None
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


api = ExportWatchAPI(
    title="ExportWatch API",
    version="1",
    description="外贸订单监测预警系统 — order books, disruption events and needs of monitored export enterprises.",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)

Raw = int | float | str | None


class EnterpriseOut(Schema):
    uscc: str
    name: str
    customs_code: str
    town: str = Field(..., alias="town_id")
    industry: str = Field(..., alias="industry_id")
    exports_last_year_usd: Decimal
    imports_last_year_usd: Decimal
    contact_name: str
    contact_phone: str
    segments: list[str]
    head_enterprise: bool
    whitelist_eligible: bool

    @staticmethod
    def resolve_segments(obj: Any) -> list[str]:
        return sorted(s.code for s in obj.segments.all())

    @staticmethod
    def resolve_head_enterprise(obj: Any) -> bool:
        return bool(obj.is_head)

    @staticmethod
    def resolve_whitelist_eligible(obj: Any) -> bool:
        return bool(obj.is_whitelist_eligible)


class EnterprisePage(Schema):
    count: int
    items: list[EnterpriseOut]


class LineIn(Schema):
    market: Raw = None
    hs: Raw = None
    backlog_usd: Raw = None
    new_orders_usd: Raw = None
    exports_usd: Raw = None


class ReportSubmitIn(Schema):
    uscc: str
    period: str
    exports_usd: Raw = None
    new_orders_usd: Raw = None
    backlog_usd: Raw = None
    backlog_due_3m_usd: Raw = None
    capacity_utilization_pct: Raw = None
    new_orders_trend: Raw = None
    outlook_3m: Raw = None
    lines: list[LineIn] = []
    base_version: int | None = Field(
        None, description="The version you based this on (0 for a first report); a mismatch gives 409."
    )


class LineOut(Schema):
    market: str = Field(..., alias="market_id")
    hs: str
    backlog_usd: Decimal
    new_orders_usd: Decimal
    exports_usd: Decimal


class ReportOut(Schema):
    uscc: str
    period: str
    version: int
    is_current: bool
    exports_usd: Decimal
    new_orders_usd: Decimal
    backlog_usd: Decimal
    backlog_due_3m_usd: Decimal
    capacity_utilization_pct: Decimal | None
    new_orders_trend: str
    outlook_3m: str
    source: str
    submitted_at: dt.datetime
    lines: list[LineOut]

    @staticmethod
    def resolve_uscc(obj: Any) -> str:
        return str(obj.enterprise.uscc)

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())


class DisruptionIn(Schema):
    uscc: str
    date: Raw = None
    kind: Raw = None
    amount_usd: Raw = None
    market: Raw = None
    hs: Raw = None
    note: Raw = None


class DisruptionOut(Schema):
    id: int
    uscc: str
    date: dt.date
    kind: str
    amount_usd: Decimal | None
    market: str | None = Field(None, alias="market_id")
    hs: str
    note: str

    @staticmethod
    def resolve_uscc(obj: Any) -> str:
        return str(obj.enterprise.uscc)


class NeedIn(Schema):
    uscc: str
    date: Raw = None
    category: Raw = None
    amount_usd: Raw = None
    urgency: Raw = None
    description: Raw = None


class NeedOut(Schema):
    id: int
    uscc: str
    date: dt.date
    category: str
    amount_usd: Decimal | None
    urgency: str
    description: str

    @staticmethod
    def resolve_uscc(obj: Any) -> str:
        return str(obj.enterprise.uscc)


def _problems(problems: list[Problem], prefix: str = "") -> list[dict[str, str]]:
    return [{"field": prefix + p.field, "code": p.code, "message": str(problem_message(p))} for p in problems]


def _period_or_404(period: str | None) -> str | None:
    if period is not None and parse_period(period) is None:
        raise Http404
    return period


@api.get("/enterprises", response=EnterprisePage, tags=["enterprises"], summary="Enterprises in your scope")
def enterprise_list(
    request: HttpRequest,
    town: str = "",
    industry: str = "",
    segment: str = "",
    tier: str = "",
    q: str = "",
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),  # a larger one overflows the SQL OFFSET
) -> dict[str, Any]:
    f = EnterpriseFilter(town=town, industry=industry, segment=segment, tier=tier, q=q)
    qs = enterprises_filter(enterprises_visible(request.user), f).prefetch_related("segments").order_by("uscc")
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


@api.get("/enterprises/{uscc}", response=EnterpriseOut, tags=["enterprises"])
def enterprise_detail(request: HttpRequest, uscc: str) -> Any:
    return enterprise_get(request.user, normalize_uscc(uscc))


@api.post(
    "/reports",
    response={200: ReportOut, 201: ReportOut, 409: MessageOut, 422: ProblemsOut},
    tags=["reports"],
    summary="Submit a monthly report (a resubmission makes a new version)",
)
def report_create(request: HttpRequest, payload: ReportSubmitIn) -> Any:
    enterprise = enterprise_get_reportable(request.user, normalize_uscc(payload.uscc))
    ctx = validation_context()
    raw = payload.dict(exclude={"lines", "base_version"})
    raw["uscc"] = enterprise.uscc
    report, problems = clean_report(raw, ctx=ctx)
    found = _problems(problems)
    lines = []
    for i, line_raw in enumerate(payload.lines):
        line, line_problems = clean_line({**line_raw.dict(), "uscc": enterprise.uscc, "period": raw["period"]}, ctx=ctx)
        found += _problems([p for p in line_problems if p.field not in ("uscc", "period")], prefix=f"lines[{i}].")
        if line is not None:
            lines.append(line)
    if report is not None and not found:
        found += _problems(check_report_lines(report, lines))
    if found or report is None:
        return 422, {"detail": found}
    try:
        result = report_submit(
            enterprise=enterprise,
            data=report,
            lines=lines,
            submitted_by=request.user,
            source=Source.API,
            base_version=payload.base_version,
        )
    except ReportConflict as exc:
        version = exc.current.version if exc.current else 0
        return 409, {
            "detail": f"version {version} was submitted after version {payload.base_version}; resubmit with base_version={version}"
        }
    return (201 if result.created else 200), result.report


@api.get("/reports", response=list[ReportOut], tags=["reports"], summary="Current reports in your scope")
def report_list(
    request: HttpRequest,
    uscc: str = "",
    period: str | None = None,
    limit: int = Query(500, ge=1, le=5000),
    offset: int = Query(0, ge=0, le=1_000_000_000),  # a larger one overflows the SQL OFFSET
) -> Any:
    qs = Report.objects.filter(is_current=True, enterprise__in=enterprises_visible(request.user))
    if uscc:
        qs = qs.filter(enterprise__uscc=normalize_uscc(uscc))
    if _period_or_404(period):
        qs = qs.filter(period=period)
    qs = qs.select_related("enterprise").prefetch_related("lines").order_by("enterprise__uscc", "period")
    return list(qs[offset : offset + limit])


@api.get("/reports/{uscc}/{period}", response=ReportOut, tags=["reports"], summary="The current version")
def report_get(request: HttpRequest, uscc: str, period: str) -> Any:
    enterprise = enterprise_get(request.user, normalize_uscc(uscc))
    _period_or_404(period)
    report = (
        Report.objects.filter(enterprise=enterprise, period=period, is_current=True)
        .select_related("enterprise")
        .prefetch_related("lines")
        .first()
    )
    if report is None:
        raise Http404
    return report


@api.get("/reports/{uscc}/{period}/versions", response=list[ReportOut], tags=["reports"])
def report_versions(request: HttpRequest, uscc: str, period: str) -> Any:
    enterprise = enterprise_get(request.user, normalize_uscc(uscc))
    _period_or_404(period)
    qs = (
        Report.objects.filter(enterprise=enterprise, period=period)
        .select_related("enterprise")
        .prefetch_related("lines")
    )
    return list(qs.order_by("version"))


@api.post("/disruptions", response={200: DisruptionOut, 201: DisruptionOut, 422: ProblemsOut}, tags=["events"])
def disruption_create(request: HttpRequest, payload: DisruptionIn) -> Any:
    enterprise = enterprise_get_reportable(request.user, normalize_uscc(payload.uscc))
    data, problems = clean_disruption({**payload.dict(), "uscc": enterprise.uscc}, ctx=validation_context())
    if data is None or problems:
        return 422, {"detail": _problems(problems)}
    result = disruption_file(enterprise=enterprise, data=data, created_by=request.user, source=Source.API)
    return (201 if result.created else 200), result.obj


@api.get("/disruptions", response=list[DisruptionOut], tags=["events"])
def disruption_list(request: HttpRequest, uscc: str = "", period: str | None = None) -> Any:
    qs = Disruption.objects.filter(enterprise__in=enterprises_visible(request.user)).select_related("enterprise")
    if uscc:
        qs = qs.filter(enterprise__uscc=normalize_uscc(uscc))
    if _period_or_404(period):
        qs = qs.filter(date__range=(period_start(period), period_end(period)))  # type: ignore[arg-type]
    return list(qs.order_by("-date", "-id")[:5000])


@api.post("/needs", response={200: NeedOut, 201: NeedOut, 422: ProblemsOut}, tags=["events"])
def need_create(request: HttpRequest, payload: NeedIn) -> Any:
    enterprise = enterprise_get_reportable(request.user, normalize_uscc(payload.uscc))
    data, problems = clean_need({**payload.dict(), "uscc": enterprise.uscc}, ctx=validation_context())
    if data is None or problems:
        return 422, {"detail": _problems(problems)}
    result = need_file(enterprise=enterprise, data=data, created_by=request.user, source=Source.API)
    return (201 if result.created else 200), result.obj


@api.get("/needs", response=list[NeedOut], tags=["events"])
def need_list(request: HttpRequest, uscc: str = "", period: str | None = None) -> Any:
    qs = Need.objects.filter(enterprise__in=enterprises_visible(request.user)).select_related("enterprise")
    if uscc:
        qs = qs.filter(enterprise__uscc=normalize_uscc(uscc))
    if _period_or_404(period):
        qs = qs.filter(date__range=(period_start(period), period_end(period)))  # type: ignore[arg-type]
    return list(qs.order_by("-date", "-id")[:5000])


class WarningOut(Schema):
    id: int
    period: str
    scope: str
    key: str
    name: str
    level: str
    rule: str
    rule_version: int | None
    value: float | None
    threshold: float | None
    first_period: str
    status: str
    active: bool

    @staticmethod
    def resolve_rule_version(obj: Any) -> int | None:
        return obj.rule_version.version if obj.rule_version_id else None


class WarningPage(Schema):
    count: int
    items: list[WarningOut]


@api.get(
    "/warnings",
    response={200: WarningPage, 403: MessageOut},
    tags=["warnings"],
    summary="Warnings in your scope (bureau users: analysts, leaders, town officers)",
)
def warning_list(
    request: HttpRequest,
    period: str | None = None,
    level: str = "",
    scope: str = "",
    active: bool = True,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),  # a larger one overflows the SQL OFFSET
) -> Any:
    """The warnings a user may see (their town's for a town officer), most recent month first; ``period`` one
    month; ``level`` red|orange|yellow|blue; ``scope`` enterprise|market|market_group|hs|industry|town|district;
    ``active=false`` includes those no longer firing."""
    if not can_see_bureau_pages(request.user):
        return 403, {"detail": "Warnings are for the bureau's users."}
    if (level and level not in Level.values) or (scope and scope not in WarningScope.values):
        raise Http404
    qs = warnings_visible(request.user)
    if _period_or_404(period):
        qs = qs.filter(period=period)
    if level:
        qs = qs.filter(level=level)
    if scope:
        qs = qs.filter(scope=scope)
    if active:
        qs = qs.filter(active=True)
    qs = qs.order_by("-period", "scope", "key", "rule")
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


api.add_router("/cases", "exportwatch.cases.api.router")
api.add_router("/whitelist", "exportwatch.finance.api.router")
api.add_router("/forecasts", "exportwatch.forecasting.api.router")
api.add_router("/audit", "exportwatch.common.api.router")
