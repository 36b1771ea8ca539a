"""The cases of the problem list (清单) in the REST API, at /api/cases: the same scopes, rules and services as the
case pages.

Who sees which case is ``selectors.cases_visible`` (a reporter their enterprise's, a town officer their town's, an
analyst or a leader their region's, a department handler their department's); any other case is a 404. Leaders
read and never write (403). A move the closed loop refuses (``services.CaseError``) is a 422 in the API's problem
format, with the translated sentence; a case changed by someone else meanwhile is a 409.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from exportwatch.accounts.models import Role
from exportwatch.api.errors import MessageOut, ProblemsOut
from exportwatch.cases.exports import case_breached
from exportwatch.cases.models import Case, State
from exportwatch.cases.selectors import case_events, case_get, case_moves, cases_visible
from exportwatch.cases.services import (
    CaseError,
    case_assign,
    case_comment,
    case_from_need,
    case_supervise,
    case_transition,
)
from exportwatch.common.problems import problem_message
from exportwatch.common.scoping import enterprise_get_reportable, is_admin
from exportwatch.core import cases as core
from exportwatch.core.codes import normalize_uscc
from exportwatch.core.records import clean_need
from exportwatch.directory.models import Department
from exportwatch.reporting.adapters import validation_context
from exportwatch.reporting.models import NeedCategory, Source
from exportwatch.reporting.services import need_file

router = Router(tags=["cases"])

NOTE_MAX = 10_000

# Which field of the request a refused write is about, by problem code (the rest are about the case as a whole).
_PROBLEM_FIELDS = {
    "unknown_state": "to",
    "bad_transition": "to",
    "reason_required": "note",
    "reply_required": "note",
    "note_required": "note",
    "rating_required": "rating",
    "rating_unexpected": "rating",
    "lead_required": "lead",
}


class CaseOut(Schema):
    id: int
    uscc: str
    enterprise: str
    need: int | None = Field(None, alias="need_id")
    category: str
    title: str
    description: str
    urgency: str
    amount_usd: Decimal | None
    state: str
    filed_as: str
    routed_department: str | None = Field(None, alias="routed_department_id")
    lead_department: str | None = Field(None, alias="lead_department_id")
    co_departments: list[str]
    created_at: dt.datetime
    first_response_at: dt.datetime | None
    replied_at: dt.datetime | None
    closed_at: dt.datetime | None
    first_response_due: dt.datetime | None
    resolution_due: dt.datetime | None
    due_at: dt.datetime | None = Field(
        None,
        description="When the running limit falls due: the first response's until there is one, then the resolution's.",
    )
    clock_state: str = Field(..., description="ok | warning | breached, as of the last time the clock was read")
    breached: bool = Field(..., description="A limit was passed: as in the `cases` export")
    escalated_at: dt.datetime | None
    rating: int | None
    rating_comment: str
    merged_into: int | None = Field(None, alias="merged_into_id")

    @staticmethod
    def resolve_uscc(obj: Any) -> str:
        return str(obj.enterprise.uscc)

    @staticmethod
    def resolve_enterprise(obj: Any) -> str:
        return str(obj.enterprise.name)

    @staticmethod
    def resolve_co_departments(obj: Any) -> list[str]:
        return sorted(d.code for d in obj.co_departments.all())

    @staticmethod
    def resolve_due_at(obj: Any) -> dt.datetime | None:
        due: dt.datetime | None = obj.first_response_due if obj.first_response_at is None else obj.resolution_due
        return due

    @staticmethod
    def resolve_breached(obj: Any) -> bool:
        return bool(obj.breached)


class CasePage(Schema):
    count: int
    items: list[CaseOut]


class EventOut(Schema):
    id: int
    at: dt.datetime
    actor: str | None = Field(None, description="The username; null for the system (the clock, an import)")
    kind: str = Field(..., description="transition | supervise | comment | merged_in | clock_warning | clock_breach")
    from_state: str
    to_state: str
    note: str
    rating: int | None
    clock: str
    details: dict[str, Any]
    attachment_name: str

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return obj.actor.username if obj.actor_id else None


class CaseDetailOut(CaseOut):
    events: list[EventOut]
    moves: list[str] = Field(
        ..., description="The states you may move the case to now (`assigned` through /assign, the rest /transition)"
    )

    @staticmethod
    def resolve_events(obj: Any, context: Any) -> list[Any]:
        return case_events(obj, reader=context["request"].user)


class CaseCreateIn(Schema):
    """A need, exactly as POST /api/needs takes it; its case is filed with it."""

    uscc: str
    date: int | float | str | None = None
    category: int | float | str | None = None
    amount_usd: int | float | str | None = None
    urgency: int | float | str | None = None
    description: int | float | str | None = None


class TransitionIn(Schema):
    to: str = Field(..., max_length=20, description="The state to move the case to (not `assigned`: use /assign)")
    note: str = Field("", max_length=NOTE_MAX, description="The reason, the reply, or the rating's comment")
    rating: int | None = Field(None, description="1 to 5, to confirm a reply only")


class AssignIn(Schema):
    lead: str = Field(..., max_length=32, description="The lead department's code")
    co: list[str] = Field([], max_length=20, description="Codes of the co-handling departments")
    note: str = Field("", max_length=NOTE_MAX)


class NoteIn(Schema):
    note: str = Field(..., max_length=NOTE_MAX)


# --- Helpers -----------------------------------------------------------------------------------------------------


def _with_breached(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.annotate(breached=case_breached()).prefetch_related(
        Prefetch("co_departments", queryset=Department.objects.order_by("code"))
    )


def _detail(user: Any, pk: int) -> Case:
    """One case ``user`` may read (else 404), with what the detail shows besides its fields."""
    case: Case | None = _with_breached(cases_visible(user)).filter(pk=pk).first()
    if case is None:
        raise Http404
    # The moves the pages offer (merging a duplicate is done there, where the candidates are shown).
    moves = case_moves(user, case)
    case.moves = [s for s in core.STATES if s in moves.targets or (s == core.ASSIGNED and moves.assign)]
    return case


def _reads_only(user: Any) -> bool:
    """Leaders read the cases; they never change them."""
    return bool(user.role == Role.LEADER and not is_admin(user))


def _refused(exc: CaseError) -> tuple[int, dict[str, Any]]:
    problem = {"field": _PROBLEM_FIELDS.get(exc.code, ""), "code": exc.code, "message": exc.message}
    return (409 if exc.code == "stale" else 422), {"detail": [problem]}


def _read_only_answer() -> tuple[int, dict[str, str]]:
    return 403, {"detail": _("Leaders read the cases; they do not change them.")}


_WRITE_RESPONSES: dict[int, Any] = {200: CaseDetailOut, 403: MessageOut, 409: ProblemsOut, 422: ProblemsOut}


# --- Reads -------------------------------------------------------------------------------------------------------


@router.get("", response=CasePage, summary="Cases in your scope, newest first")
def case_list(
    request: HttpRequest,
    state: str = "",
    category: str = "",
    department: str = "",
    uscc: str = "",
    breached: bool | None = None,
    open: bool | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),  # a larger one overflows the SQL OFFSET
) -> dict[str, Any]:
    """``state`` one of the closed loop's states; ``category`` a need category; ``department`` a department's code
    (the cases it leads or co-handles); ``uscc`` one enterprise; ``breached`` whether a limit was passed;
    ``open`` whether the case has not ended (closed, declined, withdrawn, merged). An unknown state, category or
    department is a 404."""
    if (state and state not in State.values) or (category and category not in NeedCategory.values):
        raise Http404
    qs = cases_visible(request.user)
    if state:
        qs = qs.filter(state=state)
    if category:
        qs = qs.filter(category=category)
    if department:
        if not Department.objects.filter(code=department).exists():
            raise Http404
        co = Case.co_departments.through.objects.filter(case_id=OuterRef("pk"), department_id=department)
        qs = qs.filter(Q(lead_department_id=department) | Exists(co))
    if uscc:
        qs = qs.filter(enterprise__uscc=normalize_uscc(uscc))
    if open is not None:
        terminal = [s for s in core.STATES if s in core.TERMINAL_STATES]
        qs = qs.exclude(state__in=terminal) if open else qs.filter(state__in=terminal)
    qs = _with_breached(qs)
    if breached is not None:
        qs = qs.filter(breached=breached)
    qs = qs.order_by("-created_at", "-id")
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


@router.get("/{int:case_id}", response=CaseDetailOut, summary="One case, with its history")
def case_detail(request: HttpRequest, case_id: int) -> Any:
    return _detail(request.user, case_id)


# --- Writes ------------------------------------------------------------------------------------------------------


@router.post(
    "",
    response={200: CaseDetailOut, 201: CaseDetailOut, 403: MessageOut, 422: ProblemsOut},
    summary="File a need; its case is made with it",
)
def case_create(request: HttpRequest, payload: CaseCreateIn) -> Any:
    """Validated exactly as POST /api/needs: the need is filed and the case made from it, routed by the routing
    table. The same need again returns its case (200)."""
    user = request.user
    if _reads_only(user):
        return _read_only_answer()
    if not is_admin(user) and core.submit_check(actor_role=user.role) is not None:
        return 403, {"detail": _("Cases are filed by the enterprise, its town officer or an analyst.")}
    enterprise = enterprise_get_reportable(user, normalize_uscc(payload.uscc))
    data, problems = clean_need({**payload.dict(), "uscc": enterprise.uscc}, ctx=validation_context())
    if data is None or problems:
        found = [{"field": p.field, "code": p.code, "message": str(problem_message(p))} for p in problems]
        return 422, {"detail": found}
    result = need_file(enterprise=enterprise, data=data, created_by=user, source=Source.API)
    try:
        case = case_from_need(result.obj, actor=user)
    except CaseError as exc:
        return _refused(exc)
    return (201 if result.created else 200), _detail(user, case.pk)


@router.post("/{int:case_id}/transition", response=_WRITE_RESPONSES, summary="Move a case to another state")
def case_transition_create(request: HttpRequest, case_id: int, payload: TransitionIn) -> Any:
    """Triage, accept, return, start, wait for the enterprise, reply, confirm with a ``rating`` (1–5) and a
    comment in ``note``, reopen, close, decline, withdraw, recall: whatever the closed loop lets you do now (see
    the case's ``moves``). Steps that need a reason or the reply take it in ``note``."""
    if _reads_only(request.user):
        return _read_only_answer()
    case = case_get(request.user, case_id)
    try:
        case_transition(case, payload.to, actor=request.user, note=payload.note, rating=payload.rating)
    except CaseError as exc:
        return _refused(exc)
    return 200, _detail(request.user, case.pk)


@router.post("/{int:case_id}/assign", response=_WRITE_RESPONSES, summary="Dispatch a case to departments")
def case_assign_create(request: HttpRequest, case_id: int, payload: AssignIn) -> Any:
    """Dispatch (派单) a triaged or returned case to a lead department and optional co-handling departments
    (analysts)."""
    if _reads_only(request.user):
        return _read_only_answer()
    case = case_get(request.user, case_id)
    try:
        case_assign(case, lead=payload.lead, co=payload.co, actor=request.user, note=payload.note)
    except CaseError as exc:
        return _refused(exc)
    return 200, _detail(request.user, case.pk)


@router.post("/{int:case_id}/comment", response=_WRITE_RESPONSES, summary="Comment on an open case")
def case_comment_create(request: HttpRequest, case_id: int, payload: NoteIn) -> Any:
    """A co-handler's opinion (协办意见), more facts from the enterprise, an analyst's remark."""
    if _reads_only(request.user):
        return _read_only_answer()
    case = case_get(request.user, case_id)
    try:
        case_comment(case, actor=request.user, note=payload.note)
    except CaseError as exc:
        return _refused(exc)
    return 200, _detail(request.user, case.pk)


@router.post("/{int:case_id}/supervise", response=_WRITE_RESPONSES, summary="Supervise (督办) an open case")
def case_supervise_create(request: HttpRequest, case_id: int, payload: NoteIn) -> Any:
    """The bureau presses the case's departments, with a note they hear of (analysts)."""
    if _reads_only(request.user):
        return _read_only_answer()
    case = case_get(request.user, case_id)
    try:
        case_supervise(case, actor=request.user, note=payload.note)
    except CaseError as exc:
        return _refused(exc)
    return 200, _detail(request.user, case.pk)
