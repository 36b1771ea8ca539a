"""Reporter-facing pages: the monthly order-book form, drafts, versions, disruption events and needs."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from exportwatch.accounts.models import Role
from exportwatch.common import clock
from exportwatch.common.scoping import (
    can_see_bureau_pages,
    enterprise_get,
    enterprise_get_reportable,
    enterprises_reportable,
)
from exportwatch.core.codes import parse_period
from exportwatch.core.periods import is_future, period_add
from exportwatch.reporting import selectors
from exportwatch.reporting.adapters import validation_context
from exportwatch.reporting.forms import (
    LINE_AMOUNTS,
    REPORT_AMOUNTS,
    DisruptionForm,
    LineFormSet,
    NeedForm,
    ReportForm,
    hs_choices,
    market_choices,
    validate_report_submission,
)
from exportwatch.reporting.models import Report, Source
from exportwatch.reporting.services import (
    FileResult,
    ReportConflict,
    disruption_file,
    need_file,
    report_draft_save,
    report_submit,
)

EXTRA_LINES = 3


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.role == Role.REPORTER and user.enterprise_id:
        return redirect("reporting:mine")
    if user.role == Role.TOWN_OFFICER:
        return redirect("directory:status")  # a town officer's daily work: who has and has not reported
    if user.role == Role.HANDLER:  # the database holds every handler to a department
        return redirect("cases:work")  # a department handler's daily work: the cases routed to them
    if can_see_bureau_pages(user):
        return redirect("monitoring:overview")
    return render(request, "reporting/home_other.html")


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """A reporter's start page: the period to fill, its deadline, and their history."""
    user: Any = request.user
    if user.role != Role.REPORTER or not user.enterprise_id:
        raise Http404
    enterprise = enterprises_reportable(user).get(pk=user.enterprise_id)
    due_period = selectors.default_status_period()
    current = selectors.report_current(enterprise=enterprise, period=due_period)
    return render(
        request,
        "reporting/mine.html",
        {
            "enterprise": enterprise,
            "due_period": due_period,
            "deadline": selectors.deadline_of(due_period),
            "due_report": current,
            "draft": selectors.report_draft(enterprise=enterprise, period=due_period),
            "history": selectors.report_history(enterprise=enterprise, limit=13),
            "disruptions": selectors.disruptions_of(enterprise=enterprise, limit=10),
            "needs": selectors.needs_of(enterprise=enterprise, limit=10),
        },
    )


def _valid_period(period: str) -> str:
    if parse_period(period) is None:
        raise Http404
    return period


def _initial_from_report(report: Report) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    initial: dict[str, Any] = {k: _plain_amount(getattr(report, k)) for k in REPORT_AMOUNTS}
    initial["capacity_utilization_pct"] = _plain_amount(report.capacity_utilization_pct)
    initial["new_orders_trend"] = report.new_orders_trend
    initial["outlook_3m"] = report.outlook_3m
    lines = [
        {"market": ln.market_id, "hs": ln.hs, **{k: _plain_amount(getattr(ln, k)) for k in LINE_AMOUNTS}}
        for ln in report.lines.all()
    ]
    return initial, lines


def _plain_amount(value: Any) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _posted_lines(formset: Any) -> list[dict[str, Any]]:
    rows = []
    for f in formset.forms:
        row = {k: f.data.get(f.add_prefix(k), "") for k in ("market", "hs", *LINE_AMOUNTS)}
        if any(str(v).strip() for v in row.values()):
            rows.append(row)
    return rows


@login_required
def report_edit(request: HttpRequest, uscc: str, period: str) -> HttpResponse:
    user: Any = request.user
    enterprise = enterprise_get_reportable(user, uscc)
    period = _valid_period(period)
    if is_future(period, today=clock.today()):
        messages.error(request, _("%(period)s is in the future and cannot be reported yet.") % {"period": period})
        return redirect(_back_url(user, enterprise.uscc))
    current = selectors.report_current(enterprise=enterprise, period=period)
    current_version = current.version if current else 0
    markets = market_choices()
    hints: dict[tuple[str, str], dict[str, str]] = {}
    conflict: Report | None = None

    if request.method == "POST":
        form = ReportForm(request.POST)
        formset = LineFormSet(request.POST, prefix="lines", form_kwargs={"markets": markets})
        action = request.POST.get("action", "submit")
        if action == "draft":
            report_draft_save(
                enterprise=enterprise,
                period=period,
                data={
                    "report": {k: request.POST.get(k, "") for k in form.fields if k != "base_version"},
                    "lines": _posted_lines(formset),
                },
                # The version the person started from, not the current one: if someone submitted in between,
                # submitting the restored draft must still meet the conflict check.
                base_version=_posted_base_version(request.POST, default=current_version),
                user=user,
            )
            messages.success(request, _("Draft saved. You can come back and submit it later."))
            return redirect("reporting:edit", uscc=enterprise.uscc, period=period)
        if action == "more":
            # More empty line rows; what was typed is carried over without being judged yet.
            rows = _posted_lines(formset)
            form = ReportForm(initial=request.POST.dict())
            formset = LineFormSet(prefix="lines", initial=rows, form_kwargs={"markets": markets})
            formset.extra = EXTRA_LINES + 3
            return _render_form(request, enterprise, period, form, formset, current, hints, None, bound=False)
        validated = validate_report_submission(
            form=form, formset=formset, uscc=enterprise.uscc, period=period, ctx=validation_context()
        )
        if validated is not None:
            report_in, lines = validated
            try:
                result = report_submit(
                    enterprise=enterprise,
                    data=report_in,
                    lines=lines,
                    submitted_by=user,
                    source=Source.WEB,
                    base_version=form.cleaned_data["base_version"],
                )
            except ReportConflict as exc:
                conflict = exc.current
                form.add_error(
                    None,
                    _(
                        "Someone else submitted this report (version %(version)s) after you opened it. "
                        "Their figures are shown below; your typed figures are kept. Check both, then submit "
                        "again to replace theirs."
                    )
                    % {"version": conflict.version if conflict else 0},
                )
                # The next submission is made knowing about their version.
                data = request.POST.copy()
                data["base_version"] = str(conflict.version if conflict else 0)
                form = _rebind_with_errors(form, data)
            else:
                if result.created:
                    messages.success(
                        request,
                        _("Report for %(period)s submitted (version %(version)s). Thank you.")
                        % {"period": period, "version": result.report.version},
                    )
                else:
                    messages.info(
                        request, _("The figures are the same as the version already submitted; nothing changed.")
                    )
                return redirect("reporting:detail", uscc=enterprise.uscc, period=period)
        return _render_form(request, enterprise, period, form, formset, current, hints, conflict, bound=True)

    draft = selectors.report_draft(enterprise=enterprise, period=period)
    if draft is not None:
        initial = dict(draft.data.get("report", {}))
        line_rows = list(draft.data.get("lines", []))
        messages.info(request, _("Your saved draft has been restored."))
    elif current is not None:
        initial, line_rows = _initial_from_report(current)
    else:
        # A returning enterprise keeps its market and product mix: open with last period's lines,
        # their amounts shown as hints, so only the figures need typing.
        initial, line_rows = {}, []
        for ln in selectors.lines_to_prefill(enterprise=enterprise, period=period):
            line_rows.append({"market": ln.market_id, "hs": ln.hs})
            hints[(ln.market_id, ln.hs)] = {k: _plain_amount(getattr(ln, k)) for k in LINE_AMOUNTS}
    initial["base_version"] = draft.base_version if draft is not None else current_version
    form = ReportForm(initial=initial)
    formset = LineFormSet(prefix="lines", initial=line_rows, form_kwargs={"markets": markets})
    formset.extra = EXTRA_LINES
    return _render_form(request, enterprise, period, form, formset, current, hints, None, bound=False)


def _posted_base_version(data: Any, *, default: int) -> int:
    try:
        value = int(data.get("base_version", default))
    except (TypeError, ValueError):
        return default
    return value if value >= 0 else default


def _rebind_with_errors(form: ReportForm, data: Any) -> ReportForm:
    errors = form.errors.copy()
    new_form = ReportForm(data)
    new_form.is_valid()
    new_form._errors = errors  # keep the messages computed on the submitted data
    return new_form


def _back_url(user: Any, uscc: str) -> str:
    if user.role == Role.REPORTER:
        return reverse("reporting:mine")
    return reverse("directory:enterprise", kwargs={"uscc": uscc})


def _render_form(
    request: HttpRequest,
    enterprise: Any,
    period: str,
    form: ReportForm,
    formset: Any,
    current: Report | None,
    hints: dict[tuple[str, str], dict[str, str]],
    conflict: Report | None,
    *,
    bound: bool,
) -> HttpResponse:
    previous = selectors.report_current(enterprise=enterprise, period=period_add(period, -1))
    line_rows = []
    for f in formset.forms:
        market = f.initial.get("market", "") if not bound else f.data.get(f.add_prefix("market"), "")
        hs = f.initial.get("hs", "") if not bound else f.data.get(f.add_prefix("hs"), "")
        line_rows.append({"form": f, "hint": hints.get((market, hs), {})})
    status = 200 if not (form.errors or any(f.errors for f in formset.forms)) else 400
    return render(
        request,
        "reporting/report_form.html",
        {
            "enterprise": enterprise,
            "period": period,
            "deadline": selectors.deadline_of(period),
            "form": form,
            "formset": formset,
            "line_rows": line_rows,
            "current": current,
            "previous": previous,
            "conflict": conflict,
            "hs_codes": hs_choices(),
            "back_url": _back_url(request.user, enterprise.uscc),
        },
        status=status,
    )


@login_required
def report_detail(request: HttpRequest, uscc: str, period: str) -> HttpResponse:
    user: Any = request.user
    enterprise = enterprise_get(user, uscc)
    period = _valid_period(period)
    versions = list(selectors.report_versions(enterprise=enterprise, period=period))
    if not versions:
        raise Http404
    can_edit = enterprises_reportable(user).filter(pk=enterprise.pk).exists()
    return render(
        request,
        "reporting/report_detail.html",
        {
            "enterprise": enterprise,
            "period": period,
            "current": versions[0],
            "versions": versions,
            "changes": _version_changes(versions),
            "can_edit": can_edit,
            "back_url": _back_url(user, enterprise.uscc),
        },
    )


def _version_changes(versions: list[Report]) -> dict[int, list[tuple[str, Any, Any]]]:
    """For each version, the figures that differ from the version before it."""
    changes: dict[int, list[tuple[str, Any, Any]]] = {}
    fields = [*REPORT_AMOUNTS, "capacity_utilization_pct", "new_orders_trend", "outlook_3m"]
    ordered = sorted(versions, key=lambda r: r.version)
    for before, after in itertools.pairwise(ordered):
        diff = []
        for name in fields:
            old, new = getattr(before, name), getattr(after, name)
            if old != new:
                diff.append((str(Report._meta.get_field(name).verbose_name), old, new))
        old_lines = {(ln.market_id, ln.hs): ln for ln in before.lines.all()}
        new_lines = {(ln.market_id, ln.hs): ln for ln in after.lines.all()}
        for key in sorted(set(old_lines) | set(new_lines)):
            a, b = old_lines.get(key), new_lines.get(key)
            a_val = None if a is None else (a.backlog_usd, a.new_orders_usd, a.exports_usd)
            b_val = None if b is None else (b.backlog_usd, b.new_orders_usd, b.exports_usd)
            if a_val != b_val:
                diff.append((_("line %(market)s / HS %(hs)s") % {"market": key[0], "hs": key[1]}, a_val, b_val))
        changes[after.version] = diff
    return changes


@login_required
def disruption_new(request: HttpRequest, uscc: str) -> HttpResponse:
    return _event_page(
        request,
        uscc,
        form_class=DisruptionForm,
        file=disruption_file,
        title=_("Report a disruption to your orders"),
        recorded=_("The event has been recorded."),
        duplicate=_("This event was already recorded; nothing was added."),
        with_hs=True,
    )


@login_required
def need_new(request: HttpRequest, uscc: str) -> HttpResponse:
    return _event_page(
        request,
        uscc,
        form_class=NeedForm,
        file=need_file,
        title=_("Ask for help (problem list)"),
        recorded=_("Your request for help has been recorded and passed to the bureau."),
        duplicate=_("This request was already recorded; nothing was added."),
        with_hs=False,
    )


def _event_page(
    request: HttpRequest,
    uscc: str,
    *,
    form_class: type[DisruptionForm] | type[NeedForm],
    file: Callable[..., FileResult],
    title: str,
    recorded: str,
    duplicate: str,
    with_hs: bool,
) -> HttpResponse:
    """File a disruption event or a need, validated by the same core rules as imports and the API."""
    user: Any = request.user
    enterprise = enterprise_get_reportable(user, uscc)
    form = form_class(request.POST or None, initial={"date": clock.today()})
    if request.method == "POST":
        data = form.validated(uscc=enterprise.uscc, ctx=validation_context())
        if data is not None:
            result = file(enterprise=enterprise, data=data, created_by=user, source=Source.WEB)
            if result.created:
                messages.success(request, recorded)
            else:
                messages.info(request, duplicate)
            return redirect(_back_url(user, enterprise.uscc))
    return render(
        request,
        "reporting/event_form.html",
        {
            "enterprise": enterprise,
            "form": form,
            "title": title,
            "hs_codes": hs_choices() if with_hs else [],
            "back_url": _back_url(user, enterprise.uscc),
        },
        status=400 if form.errors else 200,
    )
