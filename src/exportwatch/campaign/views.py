"""Pages of the reporting campaign: each town against its quota, the reminder schedule and the e-mail failures.

Bureau users read the campaign of their region (a town officer their town); analysts and administrators edit
quotas and the schedule and see the e-mail failures of their scope. Other roles get a 403; a town outside the
reader's scope a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from exportwatch.accounts.models import Role
from exportwatch.campaign.forms import QuotaForm, ReminderPointForm
from exportwatch.campaign.models import ReminderPoint
from exportwatch.campaign.selectors import (
    campaign_get,
    email_failures_visible,
    quota_of,
    reminder_points,
    segment_choices,
)
from exportwatch.campaign.services import (
    email_failures_retry,
    reminder_point_create,
    reminder_point_set_active,
    town_quota_set,
)
from exportwatch.common.scoping import (
    can_see_bureau_pages,
    enterprises_visible,
    is_admin,
    regions_visible,
    sees_everything,
)
from exportwatch.core.codes import parse_period
from exportwatch.exchange.views import FORMATS, list_download
from exportwatch.reporting.selectors import StatusRow, deadline_of, default_status_period

PER_PAGE = 50
LISTS = ("late", "missing", "never")


def _require_bureau(request: HttpRequest) -> None:
    if not can_see_bureau_pages(request.user):
        raise PermissionDenied


def _may_edit(user: Any) -> bool:
    return is_admin(user) or getattr(user, "role", "") == Role.ANALYST


def _require_editor(request: HttpRequest) -> None:
    if not _may_edit(request.user):
        raise PermissionDenied


@login_required
def campaign_page(request: HttpRequest) -> HttpResponseBase:
    _require_bureau(request)
    period = request.GET.get("period") or default_status_period()
    if parse_period(period) is None:
        raise Http404
    towns = regions_visible(request.user)
    campaign = campaign_get(enterprises=enterprises_visible(request.user), towns=towns, period=period)
    fmt = request.GET.get("format")
    if fmt is not None:
        which = request.GET.get("list", "")
        if fmt not in FORMATS or which not in LISTS:
            raise Http404
        return _list_download(fmt, period, which, getattr(campaign, which))
    return render(
        request,
        "campaign/page.html",
        {
            "period": period,
            "deadline": deadline_of(period),
            "campaign": campaign,
            "may_edit": _may_edit(request.user),
        },
    )


def _list_download(fmt: str, period: str, which: str, rows: list[StatusRow]) -> HttpResponseBase:
    columns = [
        ("uscc", _("Unified social credit code")),
        ("name", _("Name")),
        ("town", _("Town")),
        ("status", _("Status")),
        ("submitted", _("First submitted")),
        ("contact", _("Contact person")),
        ("phone", _("Contact phone")),
    ]
    labels = {"late": _("late"), "missing": _("missing")}
    data = (
        [
            r.enterprise.uscc,
            r.enterprise.name,
            r.enterprise.town.label,
            labels.get(r.status, r.status),
            r.first_submitted_at,
            r.enterprise.contact_name,
            r.enterprise.contact_phone,
        ]
        for r in rows
    )
    return list_download(fmt, f"campaign-{which}-{period}", columns, data)


@login_required
def quota_edit(request: HttpRequest, code: str) -> HttpResponse:
    _require_editor(request)
    town = next((t for t in regions_visible(request.user) if t.code == code), None)
    if town is None:
        raise Http404
    quota = quota_of(town)
    registered = enterprises_visible(request.user).filter(town=town).count()
    form = QuotaForm(request.POST or None, initial={"expected": quota.expected if quota else None})
    if request.method == "POST" and form.is_valid():
        town_quota_set(
            town=town, expected=form.cleaned_data["expected"], actor=request.user, note=form.cleaned_data["note"]
        )
        messages.success(request, _("Quota of %(town)s saved.") % {"town": town.label})
        return redirect(reverse("campaign:page"))
    return render(
        request, "campaign/quota_edit.html", {"town": town, "quota": quota, "form": form, "registered": registered}
    )


@login_required
def schedule_page(request: HttpRequest) -> HttpResponse:
    _require_bureau(request)
    towns = regions_visible(request.user)
    segments = segment_choices()
    form = ReminderPointForm(request.POST or None, towns=[(t.code, t.label) for t in towns], segments=segments)
    if request.method == "POST":
        _require_editor(request)
        if form.is_valid():
            code = form.cleaned_data["town"]
            reminder_point_create(
                offset_days=form.cleaned_data["offset_days"],
                town=next((t for t in towns if t.code == code), None),
                segment=form.cleaned_data["segment"],
                actor=request.user,
            )
            messages.success(request, _("Reminder point added."))
            return redirect(reverse("campaign:schedule"))
    return render(
        request,
        "campaign/schedule.html",
        {
            "points": reminder_points(),
            "segments": dict(segments),
            "form": form,
            "may_edit": _may_edit(request.user),
        },
    )


@require_POST
@login_required
def schedule_point_active(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    point = get_object_or_404(ReminderPoint, pk=pk)
    if point.town_id is not None and point.town_id not in {t.code for t in regions_visible(request.user)}:
        raise Http404
    reminder_point_set_active(point=point, active=request.POST.get("active") == "1", actor=request.user)
    return redirect(reverse("campaign:schedule"))


@login_required
def failures_page(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    paged = Paginator(email_failures_visible(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "campaign/failures.html",
        {"paged": paged, "may_retry": is_admin(request.user) or sees_everything(request.user)},
    )


@require_POST
@login_required
def failures_retry(request: HttpRequest) -> HttpResponse:
    """Queue every failed e-mail again: for those who see every user's failures (an administrator, or an analyst
    whose region holds every enterprise)."""
    _require_editor(request)
    if not (is_admin(request.user) or sees_everything(request.user)):
        raise PermissionDenied
    queued = email_failures_retry(actor=request.user)
    messages.success(request, _("%(n)d e-mail(s) queued again.") % {"n": queued})
    return redirect(reverse("campaign:failures"))
