"""The template download page and the download itself, scoped like every other read.

A reporter gets the template of its own enterprise; a town officer the town template and any of the town's
enterprises; an analyst (or administrator) any town of the jurisdiction, any enterprise, and the blank bureau
template. Anything outside the user's scope, an unknown kind or unit and a malformed or future month are a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from exportwatch.accounts.models import Role
from exportwatch.common import clock
from exportwatch.common.scoping import enterprise_get_reportable, enterprises_reportable, is_admin, regions_visible
from exportwatch.core.codes import parse_period
from exportwatch.directory.models import Region
from exportwatch.exchange import templates_xlsx as tx
from exportwatch.reporting.selectors import default_status_period

ENTERPRISE_SELECT_LIMIT = 300  # above this many enterprises the page asks for a credit code instead of a list


def _may_use_town_templates(user: Any) -> bool:
    """Town and blank templates collect reports for many enterprises: for those who may report on their behalf."""
    return is_admin(user) or user.role in (Role.TOWN_OFFICER, Role.ANALYST)


def _towns(user: Any) -> list[Region]:
    return regions_visible(user) if _may_use_town_templates(user) else []


@login_required
@require_GET
def template_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    reportable = enterprises_reportable(user).order_by("name")
    count = reportable.count()
    own = reportable.first() if user.role == Role.REPORTER else None
    context = {
        "period": default_status_period(),
        "max_period": clock.current_period(),
        "own": own,
        "enterprises": list(reportable[:ENTERPRISE_SELECT_LIMIT])
        if own is None and 0 < count <= ENTERPRISE_SELECT_LIMIT
        else [],
        "enterprise_by_code": own is None and count > ENTERPRISE_SELECT_LIMIT,
        "towns": _towns(user),
        "blank": _may_use_town_templates(user),
    }
    return render(request, "exchange/template_page.html", context)


def _period(request: HttpRequest) -> str:
    period = (request.GET.get("period") or default_status_period()).strip()
    if parse_period(period) is None or period > clock.current_period():
        raise Http404
    return period


def _unit(request: HttpRequest) -> str:
    unit = request.GET.get("unit") or "usd"
    if unit not in tx.UNITS:
        raise Http404
    return unit


@login_required
@require_GET
def template_download(request: HttpRequest) -> HttpResponse:
    user = request.user
    kind = request.GET.get("kind", "")
    unit = _unit(request)
    if kind == "enterprise":
        period = _period(request)
        enterprise = enterprise_get_reportable(user, (request.GET.get("uscc") or "").strip().upper())
        data = tx.template_enterprise(enterprise=enterprise, period=period, unit=unit)
        name = tx.filename_enterprise(enterprise, period, unit)
        fallback = f"exportwatch-template-{enterprise.uscc}-{period}.xlsx"
    elif kind == "town":
        period = _period(request)
        code = (request.GET.get("town") or "").strip()
        town = next((t for t in _towns(user) if t.code == code), None)
        if town is None:
            raise Http404
        enterprises = enterprises_reportable(user).filter(town=town)
        data = tx.template_town(town=town, enterprises=enterprises, period=period, unit=unit)
        name = tx.filename_town(town, period, unit)
        fallback = f"exportwatch-template-town-{town.code}-{period}.xlsx"
    elif kind == "blank":
        if not _may_use_town_templates(user):
            raise Http404
        data = tx.template_blank(unit=unit, towns=regions_visible(user))
        name = tx.filename_blank(unit)
        fallback = "exportwatch-template-blank.xlsx"
    else:
        raise Http404
    response = HttpResponse(data, content_type=tx.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = tx.content_disposition(name, fallback)
    response["Cache-Control"] = "private, no-store"
    return response
