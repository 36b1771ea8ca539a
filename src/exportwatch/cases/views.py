"""Case pages (DESIGN §9): a handler's work list, the bureau's triage queue, the case page with its timeline and
the moves its reader may make, the enterprise's own cases, the performance figures, the routing table and the
working calendar.

Every page reads through the scoped selectors (a case out of the reader's scope is a 404; a page a role never uses
is a 403) and offers exactly the moves ``selectors.case_moves`` allows; every write is one service call, whose
refusal (``CaseError``, with its translated message) goes back on the form that was sent, the typed input kept.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from exportwatch.accounts.models import Role
from exportwatch.cases import selectors as sel
from exportwatch.cases.forms import (
    AssignForm,
    CalendarDayForm,
    CalendarRemoveForm,
    CaseFilterForm,
    MergeForm,
    MoveForm,
    NoteForm,
    PeriodForm,
    RoutingRuleForm,
)
from exportwatch.cases.models import CalendarKind, Case, CaseEvent, EventKind, State
from exportwatch.cases.services import (
    CaseError,
    calendar_day_remove,
    calendar_day_set,
    case_assign,
    case_comment,
    case_merge,
    case_supervise,
    case_transition,
    configuration_may_change,
    routing_rule_update,
)
from exportwatch.common import clock
from exportwatch.common.scoping import can_see_bureau_pages, is_admin
from exportwatch.core import cases as core
from exportwatch.directory.models import Department
from exportwatch.reporting.models import NeedCategory

PER_PAGE = 50

# What each move is called on its button, by the state it leads to; where the same target means different things
# from different states, by (from, to).
MOVE_LABELS: dict[str, Any] = {
    core.TRIAGED: gettext_lazy("Recall from the department"),
    core.ACCEPTED: gettext_lazy("Accept the case"),
    core.RETURNED: gettext_lazy("Return it to the bureau"),
    core.IN_PROGRESS: gettext_lazy("Start work"),
    core.WAITING_ENTERPRISE: gettext_lazy("Ask the enterprise for more"),
    core.REPLIED: gettext_lazy("Reply to the enterprise"),
    core.CONFIRMED: gettext_lazy("Confirm the answer and rate it"),
    core.REOPENED: gettext_lazy("Not solved: reopen it"),
    core.CLOSED: gettext_lazy("Close the case"),
    core.DECLINED: gettext_lazy("Decline (not a matter for the list)"),
    core.WITHDRAWN: gettext_lazy("Withdraw the request"),
}
MOVE_LABELS_FROM: dict[tuple[str, str], Any] = {
    (core.SUBMITTED, core.TRIAGED): gettext_lazy("Take it in (triage)"),
    (core.RETURNED, core.TRIAGED): gettext_lazy("Take it in again"),
    (core.REOPENED, core.IN_PROGRESS): gettext_lazy("Take it up again"),
    (core.REPLIED, core.CLOSED): gettext_lazy("Close without a verdict from the enterprise"),
    (core.CONFIRMED, core.REOPENED): gettext_lazy("Return visit: not solved, reopen it"),
}
NOTE_LABELS: dict[str | None, Any] = {
    core.NEEDS_REASON: gettext_lazy("Reason"),
    core.NEEDS_REPLY: gettext_lazy("Your answer to the enterprise"),
    core.NEEDS_RATING: gettext_lazy("Comment (optional)"),
    None: gettext_lazy("Note (optional)"),
}
WAITING_SUPPLIED = gettext_lazy("We have supplied what was asked")
WAITING_RESUME = gettext_lazy("Go on without it")

# A service's refusal, by problem code, shown next to the field it is about (else above the form).
PROBLEM_FIELDS = {
    "reason_required": "note",
    "reply_required": "note",
    "note_required": "note",
    "rating_required": "rating",
    "rating_unexpected": "rating",
    "attachment_too_large": "attachment",
    "attachment_type": "attachment",
    "lead_required": "lead",
    "bad_limit": "first_response_days",
    "bad_calendar_day": "date",
}


# --- Helpers -----------------------------------------------------------------------------------------------------


def _role(user: Any) -> str:
    return str(getattr(user, "role", ""))


def _require_role(user: Any, *roles: str) -> None:
    """A page a role never uses is a 403 (administrators see every page)."""
    if not (is_admin(user) or _role(user) in roles):
        raise PermissionDenied


def _paged(request: HttpRequest, qs: QuerySet[Case], query: dict[str, str]) -> tuple[Any, str]:
    q = QueryDict(mutable=True)
    q.update({k: v for k, v in query.items() if v})
    return Paginator(qs, PER_PAGE).get_page(request.GET.get("page")), q.urlencode()


def _filtered(qs: QuerySet[Case], filters: CaseFilterForm) -> tuple[QuerySet[Case], dict[str, str]]:
    """The cases the valid filters keep (an unknown value is left out), and the filters as a query string."""
    filters.is_valid()
    data = getattr(filters, "cleaned_data", {})
    query: dict[str, str] = {}
    if data.get("state"):
        qs = qs.filter(state=data["state"])
        query["state"] = data["state"]
    if data.get("category"):
        qs = qs.filter(category=data["category"])
        query["category"] = data["category"]
    if data.get("department") is not None:
        qs = qs.filter(lead_department=data["department"])
        query["department"] = data["department"].code
    return qs, query


def _put_error(form: forms.Form, exc: CaseError) -> None:
    field = PROBLEM_FIELDS.get(exc.code)
    form.add_error(field if field in form.fields else None, exc.message)


def _next_url(request: HttpRequest, case: Case) -> str:
    """Back to the queue a quick action was made from, else to the case."""
    if request.POST.get("next") == "triage":
        return reverse("cases:triage")
    return reverse("cases:detail", args=[case.pk])


def _seen_ok(form: forms.Form, case: Case) -> bool:
    """Whether the case is still in the state the user saw; else the form carries the ``stale`` refusal."""
    if form.cleaned_data["seen"] == case.state:
        return True
    _put_error(form, CaseError("stale"))
    return False


def _refused(request: HttpRequest, case: Case) -> HttpResponse:
    """A move the page did not offer this user, posted anyway: nothing is done."""
    messages.error(request, CaseError("not_allowed").message)
    return _detail_page(request, case, status=403)


def _state_label(state: str) -> str:
    return str(dict(State.choices).get(state, state))


def _moved(request: HttpRequest, case: Case) -> None:
    messages.success(
        request, _("Case #%(id)s is now “%(state)s”.") % {"id": case.pk, "state": _state_label(case.state)}
    )


# --- Lists -------------------------------------------------------------------------------------------------------


@login_required
def case_home(request: HttpRequest) -> HttpResponse:
    """Each role's desk: a handler's work list, an analyst's triage queue, an enterprise's own cases, else the
    list of the cases in the reader's scope."""
    role = _role(request.user)
    if role == Role.HANDLER:
        return redirect("cases:work")
    if role == Role.ANALYST:
        return redirect("cases:triage")
    if role == Role.REPORTER:
        return redirect("cases:mine")
    return redirect("cases:list")


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Every case in a bureau user's scope (a town officer's town, an analyst's or leader's region), filtered."""
    if not can_see_bureau_pages(request.user):
        raise PermissionDenied
    filters = CaseFilterForm(request.GET)
    qs, query = _filtered(sel.cases_visible(request.user), filters)
    paged, querystring = _paged(request, qs.order_by("-created_at", "-pk"), query)
    return render(
        request,
        "cases/list.html",
        {"paged": paged, "query": querystring, "filters": filters, "total": paged.paginator.count},
    )


@login_required
def case_work_list(request: HttpRequest) -> HttpResponse:
    """A department handler's desk: their department's open cases, breached first, then due soonest."""
    if _role(request.user) != Role.HANDLER:
        raise PermissionDenied
    filters = CaseFilterForm(request.GET, states=sel.WORK_STATES)
    del filters.fields["department"]
    qs, query = _filtered(sel.case_work_list(request.user), filters)
    paged, querystring = _paged(request, qs, query)
    return render(
        request,
        "cases/work.html",
        {
            "paged": paged,
            "query": querystring,
            "filters": filters,
            "total": paged.paginator.count,
            "department": request.user.department,  # type: ignore[union-attr]
        },
    )


TRIAGE_TABS = ("intake", "closing", "reopened")


@login_required
def case_triage(request: HttpRequest) -> HttpResponse:
    """The analyst's queues: cases to take in and dispatch (with quick actions), answered cases waiting for the
    return visit and closure, and cases the enterprise reopened (back with their department)."""
    if _role(request.user) != Role.ANALYST:
        raise PermissionDenied
    tab = request.GET.get("tab", "intake")
    if tab not in TRIAGE_TABS:
        raise Http404
    user = request.user
    queues = {
        "intake": sel.case_triage_queue(user),
        "closing": sel.case_closing_queue(user),
        "reopened": sel.cases_visible(user).filter(state=core.REOPENED).order_by("created_at", "pk"),
    }
    paged, querystring = _paged(request, queues[tab], {"tab": tab})
    rules = {rule.category: rule for rule in sel.routing_rules()}
    rows = []
    for case in paged.object_list:
        rule = rules.get(case.category)
        moves = sel.case_moves(user, case)
        rows.append(
            {
                "case": case,
                "moves": moves,
                "take_in": core.TRIAGED in moves.targets and case.state != core.ASSIGNED,
                "decline": core.DECLINED in moves.targets,
                "lead": (rule.lead_department_id if rule else "") or case.routed_department_id or "",
                "co": {d.code for d in rule.co_departments.all()} if rule else set(),
            }
        )
    return render(
        request,
        "cases/triage.html",
        {
            "tab": tab,
            "tabs": [(t, queues[t].count()) for t in TRIAGE_TABS],
            "rows": rows,
            "paged": paged,
            "query": querystring,
            "departments": list(Department.objects.order_by("code")),
        },
    )


@login_required
def case_mine(request: HttpRequest) -> HttpResponse:
    """An enterprise's own cases, newest first, those waiting for the enterprise marked."""
    user: Any = request.user
    if _role(user) != Role.REPORTER or not user.enterprise_id:
        raise PermissionDenied
    filters = CaseFilterForm(request.GET)
    del filters.fields["department"]
    qs, query = _filtered(sel.cases_visible(user), filters)
    paged, querystring = _paged(request, qs.order_by("-created_at", "-pk"), query)
    return render(
        request,
        "cases/mine.html",
        {
            "paged": paged,
            "query": querystring,
            "filters": filters,
            "total": paged.paginator.count,
            "enterprise": user.enterprise,
            "yours": (core.REPLIED, core.WAITING_ENTERPRISE),
        },
    )


# --- The case page -----------------------------------------------------------------------------------------------


def _move_label(case: Case, to: str, role: str) -> Any:
    if (case.state, to) == (core.WAITING_ENTERPRISE, core.IN_PROGRESS):
        return WAITING_RESUME if role == Role.HANDLER else WAITING_SUPPLIED
    return MOVE_LABELS_FROM.get((case.state, to), MOVE_LABELS[to])


def _move_forms(
    case: Case, moves: sel.CaseMoves, failed: tuple[str, forms.Form] | None, role: str
) -> list[dict[str, Any]]:
    offered = []
    for to in moves.targets:
        needs = core.TRANSITIONS[(case.state, to)].needs
        key = f"move:{to}"
        form = failed[1] if failed and failed[0] == key else MoveForm(prefix=to, initial={"to": to, "seen": case.state})
        if needs in (core.NEEDS_REASON, core.NEEDS_REPLY):
            form.fields["note"].widget.attrs["required"] = True
        offered.append(
            {
                "to": to,
                "label": _move_label(case, to, role),
                "needs": needs,
                "note_label": NOTE_LABELS[needs],
                "form": form,
                "open": bool(failed and failed[0] == key),
                "url": reverse("cases:move", args=[case.pk, to]),
            }
        )
    return offered


def _timeline(events: list[CaseEvent]) -> list[dict[str, Any]]:
    labels = dict(State.choices)
    kinds = dict(EventKind.choices)
    rows = []
    for event in events:
        actor = event.actor
        who = (actor.get_full_name() or actor.username) if actor is not None else _("the system")
        where = ""
        if actor is not None and actor.role == Role.HANDLER and actor.department_id:
            where = actor.department.label
        elif actor is not None:
            where = str(actor.get_role_display())
        rows.append(
            {
                "event": event,
                "who": who,
                "where": where,
                "kind": kinds.get(event.kind, event.kind),
                "from": labels.get(event.from_state, "") if event.from_state else "",
                "to": labels.get(event.to_state, event.to_state),
                "moved": event.kind == EventKind.TRANSITION,
                "departments": _assigned_departments(event),
            }
        )
    return rows


def _assigned_departments(event: CaseEvent) -> dict[str, Any]:
    details = event.details or {}
    if "lead" not in details:
        return {}
    codes = [details["lead"], *details.get("co", [])]
    names = {d.code: d.label for d in Department.objects.filter(code__in=codes)}
    return {"lead": names.get(details["lead"], details["lead"]), "co": [names.get(c, c) for c in details.get("co", [])]}


def _clock_rows(case: Case) -> list[dict[str, Any]]:
    clocks = sel.case_clocks(case)
    response, resolution = clocks.response, clocks.resolution
    return [
        {
            "name": _("First response"),
            "limit": case.first_response_days,
            "reading": response,
            "done_at": case.first_response_at,
            "paused": False,
        },
        {
            "name": _("Resolution"),
            "limit": case.resolution_days,
            "reading": resolution,
            "done_at": case.replied_at if case.state in (core.REPLIED, core.CONFIRMED, core.CLOSED) else None,
            "paused": resolution.live and not resolution.running,
        },
    ]


def _detail_page(
    request: HttpRequest, case: Case, *, failed: tuple[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    user: Any = request.user
    moves = sel.case_moves(user, case)
    seen = {"seen": case.state}

    def bound(key: str, make: Any) -> forms.Form:
        form: forms.Form = failed[1] if failed and failed[0] == key else make()
        return form

    candidates = sel.case_merge_candidates(user, case) if moves.merge else []
    rule = sel.routing_rule_for(case.category) if moves.assign else None
    assign_initial = {
        **seen,
        "lead": (rule.lead_department_id if rule else None) or case.lead_department_id or case.routed_department_id,
        "co": list(rule.co_departments.values_list("code", flat=True)) if rule else [],
    }
    events = sel.case_events(case, reader=user)
    replies = [e for e in events if e.kind == EventKind.TRANSITION and e.to_state == core.REPLIED]
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "answer": replies[-1] if replies else None,
            "enterprise": case.enterprise,
            "co_departments": list(case.co_departments.order_by("code")),
            "clocks": _clock_rows(case),
            "timeline": _timeline(events),
            "moves": moves,
            "move_forms": _move_forms(case, moves, failed, _role(user)),
            "assign_form": bound("assign", lambda: AssignForm(prefix="assign", initial=assign_initial))
            if moves.assign
            else None,
            "merge_form": bound("merge", lambda: MergeForm(prefix="merge", initial=seen)) if moves.merge else None,
            "merge_candidates": candidates,
            "comment_form": bound(
                "comment", lambda: NoteForm(prefix="comment", initial={**seen, "action": core.EVENT_COMMENT})
            )
            if moves.comment
            else None,
            "supervise_form": bound(
                "supervise", lambda: NoteForm(prefix="supervise", initial={**seen, "action": core.EVENT_SUPERVISE})
            )
            if moves.supervise
            else None,
            "failed": failed[0] if failed else "",
            "bureau": can_see_bureau_pages(user),
            "back": _back(user),
            "rating_choices": list(core.RATINGS),
        },
        status=status,
    )


def _back(user: Any) -> tuple[str, str]:
    role = _role(user)
    if role == Role.HANDLER:
        return reverse("cases:work"), _("Work list")
    if role == Role.ANALYST:
        return reverse("cases:triage"), _("Triage queue")
    if role == Role.REPORTER:
        return reverse("cases:mine"), _("My cases")
    return reverse("cases:list"), _("Cases")


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, sel.case_get(request.user, pk))


def _post_case(request: HttpRequest, pk: int) -> tuple[Any, Case, sel.CaseMoves]:
    case = sel.case_get(request.user, pk)
    return request.user, case, sel.case_moves(request.user, case)


@require_POST
@login_required
def case_move(request: HttpRequest, pk: int, to: str) -> HttpResponse:
    """Move the case to ``to`` (one of the moves offered), with the note, rating and attachment."""
    user, case, moves = _post_case(request, pk)
    if to not in moves.targets:
        return _refused(request, case)
    form = MoveForm(request.POST, request.FILES, prefix=to)
    if form.is_valid() and _seen_ok(form, case):
        data = form.cleaned_data
        try:
            case_transition(
                case,
                to,
                actor=user,
                note=data["note"],
                rating=data["rating"] if to == core.CONFIRMED else None,
                attachment=data["attachment"],
            )
        except CaseError as exc:
            _put_error(form, exc)
        else:
            _moved(request, case)
            return redirect(_next_url(request, case))
    return _detail_page(request, case, failed=(f"move:{to}", form), status=400)


@require_POST
@login_required
def case_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Dispatch the case to a lead department and co-handling departments."""
    user, case, moves = _post_case(request, pk)
    if not moves.assign:
        return _refused(request, case)
    form = AssignForm(request.POST, prefix="assign")
    if form.is_valid() and _seen_ok(form, case):
        data = form.cleaned_data
        try:
            case_assign(case, lead=data["lead"], co=list(data["co"]), actor=user, note=data["note"])
        except CaseError as exc:
            _put_error(form, exc)
        else:
            _moved(request, case)
            return redirect(_next_url(request, case))
    return _detail_page(request, case, failed=("assign", form), status=400)


@require_POST
@login_required
def case_merge_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge the case, a duplicate, into another case the user may read."""
    user, case, moves = _post_case(request, pk)
    if not moves.merge:
        return _refused(request, case)
    form = MergeForm(request.POST, prefix="merge")
    if form.is_valid() and _seen_ok(form, case):
        primary = sel.cases_visible(user).filter(pk=form.cleaned_data["primary"]).first()
        if primary is None:
            form.add_error("primary", _("There is no case with this number that you may see."))
        else:
            try:
                case_merge(case, primary, actor=user, note=form.cleaned_data["note"])
            except CaseError as exc:
                _put_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Case #%(id)s was merged into case #%(primary)s.") % {"id": case.pk, "primary": primary.pk},
                )
                return redirect(_next_url(request, case))
    return _detail_page(request, case, failed=("merge", form), status=400)


@require_POST
@login_required
def case_note(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Comment on the case, or supervise it (督办), with a note and an attachment."""
    if action not in (core.EVENT_COMMENT, core.EVENT_SUPERVISE):
        raise Http404
    user, case, moves = _post_case(request, pk)
    if not (moves.comment if action == core.EVENT_COMMENT else moves.supervise):
        return _refused(request, case)
    form = NoteForm(request.POST, request.FILES, prefix=action)
    if form.is_valid() and _seen_ok(form, case):
        write = case_comment if action == core.EVENT_COMMENT else case_supervise
        try:
            write(case, actor=user, note=form.cleaned_data["note"], attachment=form.cleaned_data["attachment"])
        except CaseError as exc:
            _put_error(form, exc)
        else:
            done = _("Your comment was added.") if action == core.EVENT_COMMENT else _("The supervision was recorded.")
            messages.success(request, done)
            return redirect(_next_url(request, case))
    return _detail_page(request, case, failed=(action, form), status=400)


@login_required
def case_attachment(request: HttpRequest, pk: int, event_pk: int) -> FileResponse:
    """An event's attachment, for a reader of its case only (attachments are never served as static files)."""
    event = sel.case_event_get(request.user, pk, event_pk)
    if not event.attachment:
        raise Http404
    try:
        handle = event.attachment.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = event.attachment_name or PurePath(event.attachment.name).name
    return FileResponse(handle, as_attachment=True, filename=name)


# --- Performance -------------------------------------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _figures(row: sel.Performance) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "filed": row.filed,
        "responded": row.responded,
        "response_rate": _percent(row.response_rate),
        "resolved": row.resolved,
        "resolution_rate": _percent(row.resolution_rate),
        "median": "—" if row.median_days_to_resolve is None else f"{row.median_days_to_resolve:.1f}",
        "breached": row.breached,
        "breach_rate": _percent(row.breach_rate),
        "rated": row.rated,
        "rating": "—" if row.mean_rating is None else f"{row.mean_rating:.2f}",
    }


@login_required
def case_performance(request: HttpRequest) -> HttpResponse:
    """Response, resolution, time to resolve, breaches and satisfaction of the cases filed in a period, by lead
    department and by category, from the stored events."""
    _require_role(request.user, Role.ANALYST, Role.LEADER)
    today = clock.today()
    defaults = {"start": dt.date(today.year, 1, 1).isoformat(), "end": today.isoformat()}
    data = request.GET if "start" in request.GET or "end" in request.GET else defaults
    form = PeriodForm(data)
    tables: dict[str, list[dict[str, Any]]] = {}
    total = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        for by in ("department", "category"):
            tables[by] = [_figures(r) for r in sel.case_performance(request.user, start=start, end=end, by=by)]
        overall = sel.case_performance(request.user, start=start, end=end, by="all")
        total = _figures(overall[0]) if overall else None
    return render(
        request,
        "cases/performance.html",
        {"form": form, "tables": tables, "total": total},
        status=200 if form.is_valid() else 400,
    )


# --- Routing table and calendar ----------------------------------------------------------------------------------


def _require_configuration_reader(user: Any) -> None:
    _require_role(user, Role.ANALYST, Role.LEADER)


def _change_rows(changes: Any) -> list[dict[str, Any]]:
    names = {d.code: d.label for d in Department.objects.all()}
    fields = (
        ("lead", _("Lead department")),
        ("co", _("Co-handling departments")),
        ("first_response_days", _("First response limit (working days)")),
        ("resolution_days", _("Resolution limit (working days)")),
    )
    categories = dict(NeedCategory.choices)

    def shown(name: str, value: Any) -> str:
        if value in (None, "", []):
            return "—"
        if name == "lead":
            return str(names.get(value, value))
        if name == "co":
            return "、".join(str(names.get(c, c)) for c in value)
        return str(value)

    rows = []
    for change in changes:
        old, new = change.old or {}, change.new or {}
        diffs = [
            (label, shown(name, old.get(name)), shown(name, new.get(name)))
            for name, label in fields
            if old.get(name) != new.get(name)
        ]
        rows.append(
            {"change": change, "category": categories.get(change.object_key, change.object_key), "diffs": diffs}
        )
    return rows


@login_required
def routing_table(request: HttpRequest) -> HttpResponse:
    """The routing table: each need category's lead and co-handling departments and its two limits, and who
    changed what."""
    _require_configuration_reader(request.user)
    rules = {rule.category: rule for rule in sel.routing_rules()}
    return render(
        request,
        "cases/routing.html",
        {
            "rows": [(value, label, rules.get(value)) for value, label in NeedCategory.choices],
            "may_edit": configuration_may_change(request.user),
            "changes": _change_rows(sel.routing_rule_changes()),
        },
    )


@login_required
def routing_edit(request: HttpRequest, category: str) -> HttpResponse:
    """Change a category's route and limits, with the reason (audited)."""
    _require_configuration_reader(request.user)
    if category not in NeedCategory.values:
        raise Http404
    if not configuration_may_change(request.user):
        raise PermissionDenied
    rule = sel.routing_rule_for(category)
    initial = (
        {
            "lead": rule.lead_department_id,
            "co": list(rule.co_departments.values_list("code", flat=True)),
            "first_response_days": rule.first_response_days,
            "resolution_days": rule.resolution_days,
        }
        if rule is not None
        else {}
    )
    form = RoutingRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            routing_rule_update(
                category=category,
                lead=data["lead"],
                co=list(data["co"]),
                first_response_days=data["first_response_days"],
                resolution_days=data["resolution_days"],
                actor=request.user,
                note=data["note"],
            )
        except CaseError as exc:
            _put_error(form, exc)
        else:
            messages.success(
                request, _("The route of “%(category)s” was changed.") % {"category": NeedCategory(category).label}
            )
            return redirect("cases:routing")
    return render(
        request,
        "cases/routing_edit.html",
        {
            "category": category,
            "category_label": NeedCategory(category).label,
            "form": form,
            "changes": _change_rows(sel.routing_rule_changes(category=category)),
        },
        status=400 if form.errors else 200,
    )


def _calendar_change_rows(changes: Any) -> list[dict[str, Any]]:
    kinds = dict(CalendarKind.choices)

    def shown(values: dict[str, Any] | None) -> str:
        if not values:
            return ""
        label = str(kinds.get(values.get("kind", ""), values.get("kind", "")))
        return f"{label} ({values['note']})" if values.get("note") else label

    return [
        {"change": c, "removed": c.action == "calendar.remove", "old": shown(c.old), "new": shown(c.new)}
        for c in changes
    ]


def _year(request: HttpRequest) -> int:
    text = request.GET.get("year") or request.POST.get("year") or str(clock.today().year)
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise Http404
    return int(text)


@login_required
def work_calendar(request: HttpRequest) -> HttpResponse:
    """A year's public holidays and make-up working days as the clocks count them; analysts of the bureau enter
    and remove the local days (audited)."""
    _require_configuration_reader(request.user)
    year = _year(request)
    may_edit = configuration_may_change(request.user)
    form = CalendarDayForm(initial={"kind": "holiday"})
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        if "remove" in request.POST:
            remove = CalendarRemoveForm(request.POST)
            if not remove.is_valid():
                raise Http404
            day = remove.cleaned_data["date"]
            if calendar_day_remove(date=day, actor=request.user):
                messages.success(request, _("%(date)s was removed from the local calendar.") % {"date": day})
            return redirect(f"{reverse('cases:calendar')}?year={day.year}")
        form = CalendarDayForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                calendar_day_set(date=data["date"], kind=data["kind"], note=data["note"], actor=request.user)
            except CaseError as exc:
                _put_error(form, exc)
            else:
                messages.success(request, _("%(date)s was entered in the local calendar.") % {"date": data["date"]})
                return redirect(f"{reverse('cases:calendar')}?year={data['date'].year}")
    return render(
        request,
        "cases/calendar.html",
        {
            "year": year,
            "years": [year - 1, year + 1],
            "calendar": sel.calendar_year(year),
            "form": form,
            "may_edit": may_edit,
            "changes": _calendar_change_rows(sel.calendar_changes(year=year)),
        },
        status=400 if form.errors else 200,
    )
