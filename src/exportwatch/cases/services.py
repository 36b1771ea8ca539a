"""Writes of the cases app: a case from every need, its moves through the closed loop, its clocks, the routing
table and the calendar's local days.

Every write checks with the core (``core.cases``: who may move a case where, with what; ``core.workdays``: the
clocks), locks the case row, appends a ``CaseEvent``, records an audit event and tells the parties through the
notifications app. A refused write raises :class:`CaseError` with the core's problem code and writes nothing.

The clocks are kept by ``_clocks_update``: every write recomputes them in its transaction, and the background step
``clocks_refresh`` (registered in ``exchange.jobs.EXTRA_STEPS``) looks again at each open case when its next
warning or breach falls due (``Case.clock_check_at``). A clock warns once and escalates once per case: the case's
stamps are set under the row lock, and a unique constraint on the events backs them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from exportwatch.accounts.models import Role
from exportwatch.cases.adapters import CaseClocks, ClockReading, clocks_read
from exportwatch.cases.defaults import DEFAULT_ROUTING, FALLBACK_LIMITS
from exportwatch.cases.labels import PROBLEM_MESSAGES
from exportwatch.cases.models import (
    ATTACHMENT_EXTENSIONS,
    ATTACHMENT_MAX_BYTES,
    CalendarDay,
    CalendarKind,
    Case,
    CaseEvent,
    Clock,
    EventKind,
    FiledAs,
    RoutingRule,
    State,
)
from exportwatch.cases.selectors import (
    OPEN_STATES,
    case_actor,
    case_enterprise_side,
    case_handlers,
    case_history,
    case_last_event_at,
    case_supervisors,
    cases_visible,
    routing_rule_for,
    warn_share,
    work_calendar,
)
from exportwatch.common import clock
from exportwatch.common.audit import audit_record
from exportwatch.common.scoping import enterprises_reportable, is_admin
from exportwatch.core import cases as core
from exportwatch.core.workdays import BREACHED, WARNING, WorkCalendar
from exportwatch.directory.models import Department, Region
from exportwatch.notifications.services import notify
from exportwatch.reporting.models import Need, NeedCategory

CLOCK_BATCH = 100  # cases per step of the background worker
NOTICE_KIND = "case"  # the notifications app's kind for case news
TITLE_LENGTH = 80


class CaseError(Exception):
    """A case write refused, with the problem code (``labels.PROBLEM_MESSAGES``) and the message's values."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)

    @property
    def message(self) -> str:
        template = PROBLEM_MESSAGES.get(self.code)
        return str(template) % self.params if template is not None else self.code


# --- Filing ------------------------------------------------------------------------------------------------------


def _filed_as(actor: Any) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return FiledAs.ADMIN  # an import or a script: the need was checked where it came in
    if is_admin(actor):
        return FiledAs.ADMIN
    if core.submit_check(actor_role=actor.role) is not None:
        raise CaseError("not_allowed")
    return str(actor.role)


def _route(category: str) -> tuple[Department | None, int, int]:
    """(lead department, first response days, resolution days) for a category: its rule, else the shipped
    default, else no department and the fallback limits."""
    rule = routing_rule_for(category)
    if rule is not None:
        return rule.lead_department, rule.first_response_days, rule.resolution_days
    default = DEFAULT_ROUTING.get(category)
    if default is None:
        return None, *FALLBACK_LIMITS
    lead = Department.objects.filter(code=default.lead).first()
    return lead, default.first_response_days, default.resolution_days


def _title(description: str, category: str) -> str:
    first_line = next((line.strip() for line in description.splitlines() if line.strip()), "")
    if not first_line:
        return str(NeedCategory(category).label) if category in NeedCategory.values else category
    return first_line if len(first_line) <= TITLE_LENGTH else first_line[: TITLE_LENGTH - 1] + "…"


def case_from_need(need: Need, *, actor: Any) -> Case:
    """The case of ``need``, made if it has none (idempotent: one case per need).

    The new case is ``submitted`` (filed by the enterprise, its town officer or an analyst: ``actor``; ``None``
    for an import run by the system), with the routing table's lead department as a suggestion only: the bureau
    triages and dispatches it. Its limits are the table's for its category at this moment.

    Raises:
        CaseError: ``not_allowed`` when ``actor`` may not file for the need's enterprise.
    """
    existing = Case.objects.filter(need=need).first()
    if existing is not None:
        return existing
    filed_as = _filed_as(actor)
    if filed_as != FiledAs.ADMIN and not enterprises_reportable(actor).filter(pk=need.enterprise_id).exists():
        raise CaseError("not_allowed")
    lead, first_response_days, resolution_days = _route(need.category)
    try:
        with transaction.atomic():
            case = Case.objects.create(
                enterprise_id=need.enterprise_id,
                need=need,
                category=need.category,
                title=_title(need.description, need.category),
                description=need.description,
                urgency=need.urgency,
                amount_usd=need.amount_usd,
                state=State.SUBMITTED,
                routed_department=lead,
                filed_by=actor if getattr(actor, "pk", None) else None,
                filed_as=filed_as,
                created_at=need.created_at,
                first_response_days=first_response_days,
                resolution_days=resolution_days,
            )
            CaseEvent.objects.create(
                case=case,
                at=case.created_at,
                actor=case.filed_by,
                kind=EventKind.TRANSITION,
                from_state="",
                to_state=State.SUBMITTED,
                details={"need": need.pk, "routed": lead.code if lead else ""},
            )
            audit_record(
                actor=actor,
                action="case.file",
                object_type="case",
                object_key=str(case.pk),
                new={"need": need.pk, "category": case.category, "routed": lead.code if lead else ""},
                enterprise=need.enterprise,
            )
            _clocks_update(case, now=clock.now(), history=[(case.created_at, core.SUBMITTED)])
    except IntegrityError:
        # Filed meanwhile by another writer (the need is unique per case).
        found = Case.objects.filter(need=need).first()
        if found is None:
            raise
        return found
    return case


# --- Moves -------------------------------------------------------------------------------------------------------


def _attachment_check(attachment: Any) -> None:
    if not attachment:
        return
    if attachment.size is not None and attachment.size > ATTACHMENT_MAX_BYTES:
        raise CaseError("attachment_too_large", max_mb=ATTACHMENT_MAX_BYTES // (1024 * 1024))
    suffix = PurePath(attachment.name or "").suffix.lower().lstrip(".")
    if suffix not in ATTACHMENT_EXTENSIONS:
        raise CaseError("attachment_type", kinds=", ".join(ATTACHMENT_EXTENSIONS))


def _locked(case: Case, actor: Any) -> tuple[Case, str, bool]:
    """The case row locked for this transaction, and the actor as the core names them; refuses an actor who
    may not see the case, and a case that moved since the caller read it."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise CaseError("not_allowed")
    locked = Case.objects.select_for_update().select_related("enterprise__town").get(pk=case.pk)
    if locked.state != case.state:
        raise CaseError("stale")
    if not cases_visible(actor).filter(pk=locked.pk).exists():
        raise CaseError("not_allowed")
    role, lead = case_actor(actor, locked)
    return locked, role, lead


def _append(
    case: Case,
    *,
    kind: str,
    actor: Any,
    now: dt.datetime,
    from_state: str,
    to_state: str,
    note: str = "",
    rating: int | None = None,
    clock_name: str = "",
    details: dict[str, Any] | None = None,
    attachment: Any = None,
) -> CaseEvent:
    """Append an event; its time never goes before the case's last event (the history stays in time order even
    if the configured day was changed)."""
    last = case_last_event_at(case)
    event = CaseEvent(
        case=case,
        at=max(now, last) if last is not None else now,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        note=note,
        rating=rating,
        clock=clock_name,
        details=details or {},
    )
    if attachment:
        event.attachment_name = PurePath(attachment.name).name[:200]
        event.attachment.save(PurePath(attachment.name).name, attachment, save=False)
    event.save()
    return event


def _move(
    case: Case,
    to: str,
    *,
    actor: Any,
    note: str = "",
    rating: int | None = None,
    attachment: Any = None,
    lead: Department | None = None,
    co: Sequence[Department] = (),
) -> CaseEvent:
    _attachment_check(attachment)
    with transaction.atomic():
        locked, role, is_lead = _locked(case, actor)
        problem = core.transition_check(
            locked.state, to, actor_role=role, is_lead_handler=is_lead, note=note, rating=rating
        )
        if problem is not None:
            raise _problem(problem, locked.state, to)
        now = clock.now()
        before = locked.state
        old: dict[str, Any] = {"state": before}
        details: dict[str, Any] = {}
        if to == core.ASSIGNED:
            assert lead is not None
            old["lead"] = locked.lead_department_id or ""
            old["co"] = sorted(locked.co_departments.values_list("code", flat=True))
            locked.lead_department = lead
            details = {"lead": lead.code, "co": [d.code for d in co]}
        event = _append(
            locked,
            kind=EventKind.TRANSITION,
            actor=actor,
            now=now,
            from_state=before,
            to_state=to,
            note=note,
            rating=rating,
            details=details,
            attachment=attachment,
        )
        at = event.at
        locked.state = to
        if to in core.FIRST_RESPONSE_STATES and locked.first_response_at is None:
            locked.first_response_at = at
        if to == core.REPLIED:
            locked.replied_at = at
        if to == core.CONFIRMED:
            locked.rating, locked.rating_comment = rating, note
        if to == core.REOPENED:
            locked.rating, locked.rating_comment = None, ""
        if to in core.TERMINAL_STATES:
            locked.closed_at = at
        locked.save()
        if to == core.ASSIGNED:
            locked.co_departments.set(co)
        audit_record(
            actor=actor,
            action="case.transition",
            object_type="case",
            object_key=str(locked.pk),
            old=old,
            new={"state": to, **({"rating": rating} if rating is not None else {}), **details},
            note=note,
            enterprise=locked.enterprise,
        )
        _clocks_update(locked, now=at)
        _tell_of_move(locked, event, actor)
    _copy(locked, case)
    return event


def _copy(source: Case, target: Case) -> None:
    """Bring the caller's instance up to date with the row written."""
    if source is target:
        return
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def _problem(code: str, current: str, target: str) -> CaseError:
    labels = dict(State.choices)
    return CaseError(code, current=labels.get(current, current), target=labels.get(target, target))


def case_transition(
    case: Case, to: str, *, actor: Any, note: str = "", rating: int | None = None, attachment: Any = None
) -> CaseEvent:
    """Move ``case`` to the state ``to`` as ``actor``, with the note the move needs (a reason, the reply, a
    rating's comment), a rating (confirmation only) and an attachment; returns the event appended.

    Sets the case's first response (first accepted or declined), reply and end times; audited; the parties
    hear of it. Assigning goes through :func:`case_assign` (it needs the departments), merging through
    :func:`case_merge`.

    Raises:
        CaseError: the core's problem (``bad_transition``, ``not_allowed``, ``reason_required``, ...), ``stale``
            when the case moved since ``case`` was read, ``lead_required`` for an assignment, an attachment's
            problem.
    """
    if to == core.ASSIGNED:
        raise CaseError("lead_required")
    if to == core.MERGED:
        raise _problem("bad_transition", case.state, to)
    return _move(case, to, actor=actor, note=note, rating=rating, attachment=attachment)


def _department(value: Department | str) -> Department:
    if isinstance(value, Department):
        return value
    found = Department.objects.filter(code=value).first() if value else None
    if found is None:
        raise CaseError("lead_required")
    return found


def _departments(lead: Department | str | None, co: Iterable[Department | str]) -> tuple[Department, list[Department]]:
    """The lead department and the co-handling ones, without repeats and without the lead."""
    lead_department = _department(lead) if lead else None
    if lead_department is None:
        raise CaseError("lead_required")
    co_departments: list[Department] = []
    for value in co:
        department = _department(value)
        if department.code != lead_department.code and department not in co_departments:
            co_departments.append(department)
    return lead_department, co_departments


def case_assign(
    case: Case, *, lead: Department | str | None, co: Iterable[Department | str] = (), actor: Any, note: str = ""
) -> CaseEvent:
    """Dispatch ``case`` (triaged, or returned by a department) to a lead department and optional co-handling
    departments (the lead is left out of them); their handlers hear of it.

    Raises:
        CaseError: as :func:`case_transition`; ``lead_required`` without a known lead department.
    """
    lead_department, co_departments = _departments(lead, co)
    return _move(case, core.ASSIGNED, actor=actor, note=note, lead=lead_department, co=co_departments)


def case_merge(duplicate: Case, primary: Case, *, actor: Any, note: str = "") -> CaseEvent:
    """Merge ``duplicate`` into ``primary``: the duplicate ends ``merged`` (pointing at the primary), the primary
    records a ``merged_in`` event and goes on. Returns the duplicate's event.

    Raises:
        CaseError: ``core.cases.merge_check``'s problem, ``not_allowed`` when ``actor`` may not see both cases,
            ``stale``.
    """
    with transaction.atomic():
        # Lock both rows in id order, so two merges of the same pair cannot deadlock.
        list(Case.objects.select_for_update().filter(pk__in=[duplicate.pk, primary.pk]).order_by("pk").values("pk"))
        locked, role, is_lead = _locked(duplicate, actor)
        target = Case.objects.select_for_update().get(pk=primary.pk)
        if target.state != primary.state:
            raise CaseError("stale")
        if not cases_visible(actor).filter(pk=target.pk).exists():
            raise CaseError("not_allowed")
        problem = core.merge_check(
            duplicate_state=locked.state,
            primary_state=target.state,
            same_case=locked.pk == target.pk,
            actor_role=role,
            is_lead_handler=is_lead,
        )
        if problem is not None:
            raise _problem(problem, locked.state, core.MERGED)
        now = clock.now()
        before = locked.state
        event = _append(
            locked,
            kind=EventKind.TRANSITION,
            actor=actor,
            now=now,
            from_state=before,
            to_state=core.MERGED,
            note=note,
            details={"primary": target.pk},
        )
        locked.state, locked.merged_into, locked.closed_at = core.MERGED, target, event.at
        locked.save()
        _append(
            target,
            kind=EventKind.MERGED_IN,
            actor=actor,
            now=now,
            from_state=target.state,
            to_state=target.state,
            note=note,
            details={"duplicate": locked.pk},
        )
        audit_record(
            actor=actor,
            action="case.merge",
            object_type="case",
            object_key=str(locked.pk),
            old={"state": before},
            new={"state": core.MERGED, "primary": target.pk},
            note=note,
            enterprise=locked.enterprise,
        )
        _clocks_update(locked, now=event.at)
        _tell_of_move(locked, event, actor)
    _copy(locked, duplicate)
    return event


def _act(case: Case, action: str, *, actor: Any, note: str, attachment: Any = None) -> CaseEvent:
    _attachment_check(attachment)
    with transaction.atomic():
        locked, role, is_lead = _locked(case, actor)
        problem = core.action_check(locked.state, action, actor_role=role, is_lead_handler=is_lead, note=note)
        if problem is not None:
            raise _problem(problem, locked.state, locked.state)
        event = _append(
            locked,
            kind=action,
            actor=actor,
            now=clock.now(),
            from_state=locked.state,
            to_state=locked.state,
            note=note,
            attachment=attachment,
        )
        audit_record(
            actor=actor,
            action=f"case.{action}",
            object_type="case",
            object_key=str(locked.pk),
            note=note,
            enterprise=locked.enterprise,
        )
        _tell_of_act(locked, event, actor)
    return event


def case_supervise(case: Case, *, actor: Any, note: str, attachment: Any = None) -> CaseEvent:
    """Supervise (督办) an open case: the bureau presses its departments, with a note they hear of.

    Raises:
        CaseError: ``core.cases.action_check``'s problem (``not_allowed``: analysts only; ``note_required``;
            ``case_closed``), ``stale``.
    """
    return _act(case, core.EVENT_SUPERVISE, actor=actor, note=note, attachment=attachment)


def case_comment(case: Case, *, actor: Any, note: str, attachment: Any = None) -> CaseEvent:
    """Add a comment to an open case: a co-handler's opinion (协办意见), more facts from the enterprise, a remark.

    Raises:
        CaseError: as :func:`case_supervise` (the enterprise's side, analysts and the case's handlers comment).
    """
    return _act(case, core.EVENT_COMMENT, actor=actor, note=note, attachment=attachment)


# --- Clocks ------------------------------------------------------------------------------------------------------

_STAMPS = {
    Clock.RESPONSE: ("response_warned_at", "response_breached_at"),
    Clock.RESOLUTION: ("resolution_warned_at", "resolution_breached_at"),
}


def _clocks_update(
    case: Case,
    *,
    now: dt.datetime,
    history: Sequence[tuple[dt.datetime, str]] | None = None,
    calendar: WorkCalendar | None = None,
) -> CaseClocks:
    """Recompute a locked case's due dates and clock state, and append a clock's warning and its breach the
    first time it reaches them (the breach escalates to the bureau supervisors)."""
    readings = clocks_read(
        created_at=case.created_at,
        state=case.state,
        history=case_history(case) if history is None else history,
        first_response_days=case.first_response_days,
        resolution_days=case.resolution_days,
        calendar=calendar or work_calendar(),
        now=now,
        warn_share=warn_share(),
    )
    case.first_response_due = readings.response.due
    case.resolution_due = readings.resolution.due
    case.clock_state = readings.state
    case.clock_check_at = readings.check_at if core.is_open(case.state) else None
    fields = ["first_response_due", "resolution_due", "clock_state", "clock_check_at"]
    told: list[CaseEvent] = []
    for name, reading in ((Clock.RESPONSE, readings.response), (Clock.RESOLUTION, readings.resolution)):
        if not reading.live:
            continue
        warned, breached = _STAMPS[name]
        if reading.status == WARNING and getattr(case, warned) is None and getattr(case, breached) is None:
            setattr(case, warned, now)
            fields.append(warned)
            told.append(_clock_event(case, core.EVENT_CLOCK_WARNING, name, reading, now))
        if reading.status == BREACHED and getattr(case, breached) is None:
            setattr(case, breached, now)
            fields.append(breached)
            if case.escalated_at is None:
                case.escalated_at = now
                fields.append("escalated_at")
            told.append(_clock_event(case, core.EVENT_CLOCK_BREACH, name, reading, now))
    case.save(update_fields=fields)
    for event in told:
        _tell_of_clock(case, event)
    return readings


def _clock_event(case: Case, kind: str, name: str, reading: ClockReading, now: dt.datetime) -> CaseEvent:
    details = {
        "elapsed_days": round(reading.elapsed, 3),
        "due": reading.due.isoformat() if reading.due else None,
    }
    return _append(
        case,
        kind=kind,
        actor=None,
        now=now,
        from_state=case.state,
        to_state=case.state,
        clock_name=name,
        details=details,
    )


def clocks_refresh(now: dt.datetime | None = None, *, limit: int = CLOCK_BATCH) -> bool:
    """One step of the background worker: look again at up to ``limit`` open cases whose clocks fall due
    (``clock_check_at`` reached), recompute their due dates and clock state, warn and escalate where a limit is
    near or passed. Returns True when it looked at a case (the worker then calls it again), False when none was
    due. Safe to run in several workers at once and to rerun: each case is done under its row lock, and a warning
    or an escalation is never repeated."""
    now = now or clock.now()
    due = (
        Case.objects.filter(clock_check_at__lte=now, state__in=OPEN_STATES)
        .order_by("clock_check_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(due)
    if not ids:
        return False
    calendar = work_calendar()
    skip_locked = connection.features.has_select_for_update_skip_locked
    for pk in ids:
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(skip_locked=skip_locked)
                .select_related("enterprise__town")
                .filter(pk=pk, clock_check_at__lte=now, state__in=OPEN_STATES)
                .first()
            )
            if case is not None:  # done meanwhile by another worker, or locked by one now
                _clocks_update(case, now=now, calendar=calendar)
    return True


def _clocks_dirty() -> int:
    """Ask the worker to look again at every open case (after the calendar changed)."""
    return int(Case.objects.filter(state__in=OPEN_STATES).update(clock_check_at=clock.now()))


# --- Routing table and calendar ----------------------------------------------------------------------------------


def _may_configure(actor: Any) -> bool:
    """The routing table and the calendar are the bureau's: the analysts whose region holds the jurisdiction
    (``EXPORTWATCH_JURISDICTION``), and the administrators."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if is_admin(actor):
        return True
    if actor.role != Role.ANALYST or not actor.region_id:
        return False
    jurisdiction = Region.objects.filter(code=settings.EXPORTWATCH_JURISDICTION).values_list("path", flat=True).first()
    return jurisdiction is not None and jurisdiction.startswith(actor.region.path)


def _rule_values(rule: RoutingRule) -> dict[str, Any]:
    return {
        "lead": rule.lead_department_id or "",
        "co": sorted(rule.co_departments.values_list("code", flat=True)) if rule.pk else [],
        "first_response_days": rule.first_response_days,
        "resolution_days": rule.resolution_days,
    }


def routing_rule_update(
    *,
    category: str,
    lead: Department | str | None,
    co: Iterable[Department | str] = (),
    first_response_days: int,
    resolution_days: int,
    actor: Any,
    note: str = "",
) -> RoutingRule:
    """Set where the cases of ``category`` go and their limits (whole working days, 1 to 365); audited with the
    values before and after. Cases filed earlier keep their limits.

    Raises:
        CaseError: ``not_allowed`` (analysts of the whole jurisdiction and administrators only),
            ``lead_required``, ``bad_limit``.
        ValueError: for an unknown category.
    """
    if not _may_configure(actor):
        raise CaseError("not_allowed")
    if category not in NeedCategory.values:
        raise ValueError(f"unknown need category: {category!r}")
    for days in (first_response_days, resolution_days):
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
            raise CaseError("bad_limit")
    lead_department, co_departments = _departments(lead, co)
    with transaction.atomic():
        rule = RoutingRule.objects.select_for_update().filter(category=category).first()
        old = _rule_values(rule) if rule is not None else None
        if rule is None:
            rule = RoutingRule(category=category)
        rule.lead_department = lead_department
        rule.first_response_days, rule.resolution_days = first_response_days, resolution_days
        rule.updated_at, rule.updated_by = clock.now(), actor
        rule.save()
        rule.co_departments.set(co_departments)
        audit_record(
            actor=actor,
            action="routing.change",
            object_type="routing_rule",
            object_key=category,
            old=old,
            new=_rule_values(rule),
            note=note,
        )
    return rule


def routing_defaults_ensure() -> int:
    """Give every need category without a rule the shipped default (``defaults.DEFAULT_ROUTING``), and a rule
    whose lead department was removed the default lead again when it exists; returns how many rules changed.
    Idempotent; the data migration seeds the same table."""
    changed = 0
    departments = {d.code: d for d in Department.objects.all()}
    with transaction.atomic():
        for category, route in DEFAULT_ROUTING.items():
            rule = RoutingRule.objects.filter(category=category).first()
            if rule is None:
                rule = RoutingRule.objects.create(
                    category=category,
                    lead_department=departments.get(route.lead),
                    first_response_days=route.first_response_days,
                    resolution_days=route.resolution_days,
                )
                rule.co_departments.set([departments[c] for c in route.co if c in departments])
                changed += 1
            elif rule.lead_department_id is None and route.lead in departments:
                rule.lead_department = departments[route.lead]
                rule.save(update_fields=["lead_department"])
                changed += 1
    return changed


def calendar_day_set(*, date: dt.date, kind: str, actor: Any, note: str = "") -> CalendarDay:
    """Enter (or change) a day of the local working calendar: a public holiday, a make-up working day, or an
    ordinary day (cancelling what the shipped calendar says of that date). Open cases' clocks are recomputed by
    the worker. Audited.

    Raises:
        CaseError: ``not_allowed``; ``bad_calendar_day`` for a make-up day on a Monday to Friday.
        ValueError: for an unknown kind.
    """
    if not _may_configure(actor):
        raise CaseError("not_allowed")
    if kind not in CalendarKind.values:
        raise ValueError(f"unknown calendar day kind: {kind!r}")
    if kind == CalendarKind.MAKEUP_WORKDAY and date.weekday() < 5:
        raise CaseError("bad_calendar_day")
    with transaction.atomic():
        day = CalendarDay.objects.select_for_update().filter(date=date).first()
        old = {"kind": day.kind, "note": day.note} if day is not None else None
        day = day or CalendarDay(date=date)
        day.kind, day.note = kind, note[:100]
        day.updated_at, day.updated_by = clock.now(), actor
        day.save()
        audit_record(
            actor=actor,
            action="calendar.set",
            object_type="calendar_day",
            object_key=date.isoformat(),
            old=old,
            new={"kind": kind, "note": day.note},
        )
        _clocks_dirty()
    return day


def calendar_day_remove(*, date: dt.date, actor: Any) -> bool:
    """Remove a day of the local calendar (when a year loses its last row, the shipped calendar of that year
    applies again); audited. Returns whether there was one.

    Raises:
        CaseError: ``not_allowed``.
    """
    if not _may_configure(actor):
        raise CaseError("not_allowed")
    with transaction.atomic():
        day = CalendarDay.objects.select_for_update().filter(date=date).first()
        if day is None:
            return False
        audit_record(
            actor=actor,
            action="calendar.remove",
            object_type="calendar_day",
            object_key=date.isoformat(),
            old={"kind": day.kind, "note": day.note},
        )
        day.delete()
        _clocks_dirty()
    return True


# --- Telling the parties -----------------------------------------------------------------------------------------


def _case_url(case: Case) -> str:
    """The case's page, once the case pages exist (until then the notice has no link)."""
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:
        return ""


def _tell(users: Iterable[Any], case: Case, event: CaseEvent, subject: Callable[[], str], *, level: str = "") -> int:
    """Tell ``users`` of ``event`` once (the event is the news: ``case:<id>:event:<id>``), in the site's
    language (the readers' own are not known here)."""
    readers = {u.pk: u for u in users if u is not None}
    if event.actor_id is not None:
        readers.pop(event.actor_id, None)  # who did it knows
    if not readers:
        return 0
    with override(settings.LANGUAGE_CODE):
        text = subject()
    return notify(
        list(readers.values()),
        kind=NOTICE_KIND,
        dedupe_key=f"case:{case.pk}:event:{event.pk}",
        subject=text,
        body=event.note,
        url=_case_url(case),
        level=level,
    )


def _values(case: Case, **extra: Any) -> dict[str, Any]:
    return {"id": case.pk, "title": case.title, "enterprise": case.enterprise.name, **extra}


def _tell_of_move(case: Case, event: CaseEvent, actor: Any) -> None:
    to = event.to_state
    if to == core.ASSIGNED:
        _tell(
            case_handlers(case),
            case,
            event,
            lambda: _("Case #%(id)s is assigned to your department: %(title)s") % _values(case),
        )
    elif to == core.RETURNED:
        department = case.lead_department.label if case.lead_department else ""
        _tell(
            case_supervisors(case),
            case,
            event,
            lambda: _("Case #%(id)s was returned by %(department)s: %(title)s") % _values(case, department=department),
        )
    elif to == core.WAITING_ENTERPRISE:
        _tell(
            case_enterprise_side(case),
            case,
            event,
            lambda: _("Case #%(id)s needs more from the enterprise: %(title)s") % _values(case),
        )
    elif to == core.REPLIED:
        _tell(
            case_enterprise_side(case),
            case,
            event,
            lambda: _("Case #%(id)s has been answered: %(title)s") % _values(case),
        )
    elif to in (core.REOPENED, core.CONFIRMED):
        message = (
            _("Case #%(id)s was reopened: %(title)s")
            if to == core.REOPENED
            else _("Case #%(id)s was confirmed with a rating of %(rating)s: %(title)s")
        )
        _tell(case_handlers(case, co=False), case, event, lambda: message % _values(case, rating=event.rating))
    elif to in (core.CLOSED, core.DECLINED, core.MERGED):
        messages = {
            core.CLOSED: _("Case #%(id)s is closed: %(title)s"),
            core.DECLINED: _("Case #%(id)s was not taken in: %(title)s"),
            core.MERGED: _("Case #%(id)s was merged into case #%(primary)s: %(title)s"),
        }
        primary = case.merged_into_id or ""
        _tell(case_enterprise_side(case), case, event, lambda: messages[to] % _values(case, primary=primary))
    elif to == core.WITHDRAWN and case.lead_department_id:
        _tell(case_handlers(case), case, event, lambda: _("Case #%(id)s was withdrawn: %(title)s") % _values(case))


def _tell_of_act(case: Case, event: CaseEvent, actor: Any) -> None:
    if event.kind == core.EVENT_SUPERVISE:
        _tell(
            case_handlers(case),
            case,
            event,
            lambda: _("Case #%(id)s is under supervision (督办): %(title)s") % _values(case),
            level="orange",
        )
    elif event.kind == core.EVENT_COMMENT and case.lead_department_id:
        _tell(
            case_handlers(case, co=False),
            case,
            event,
            lambda: _("New comment on case #%(id)s: %(title)s") % _values(case),
        )


def _tell_of_clock(case: Case, event: CaseEvent) -> None:
    clock_label = dict(Clock.choices).get(event.clock, event.clock)
    if event.kind == core.EVENT_CLOCK_BREACH:
        _tell(
            case_supervisors(case),
            case,
            event,
            lambda: _("Case #%(id)s is past its %(clock)s limit: %(title)s") % _values(case, clock=clock_label),
            level="red",
        )
        return
    # Due soon: whoever must act next — the lead department once dispatched, else the bureau.
    with_department = case.lead_department_id and case.state not in (core.TRIAGED, core.RETURNED)
    readers = case_handlers(case, co=False) if with_department else case_supervisors(case)
    _tell(
        readers,
        case,
        event,
        lambda: _("Case #%(id)s is near its %(clock)s limit: %(title)s") % _values(case, clock=clock_label),
        level="yellow",
    )


def configuration_may_change(actor: Any) -> bool:
    """Whether ``actor`` may change the routing table and the working calendar (what :func:`routing_rule_update`
    and :func:`calendar_day_set` check), for the pages to offer their forms only to those who may."""
    return _may_configure(actor)


# --- Catching up -------------------------------------------------------------------------------------------------


CATCH_UP_BATCH = 500


def _filer(need: Need) -> Any:
    """Who a caught-up case is filed as: the need's filer while they may still file for its enterprise, else the
    system (``None``: filed as an import)."""
    user = need.created_by
    if user is None or not user.is_active or is_admin(user):
        return None
    if core.submit_check(actor_role=user.role) is not None:
        return None
    return user if enterprises_reportable(user).filter(pk=need.enterprise_id).exists() else None


def cases_catch_up(*, as_filed: bool = False) -> list[Case]:
    """A case for every need that has none, oldest need first, each through :func:`case_from_need` (routed by the
    routing table, with its limits): the needs written past the receiver, by a bulk load (the demo) or before the
    cases app existed. Idempotent; returns the cases made.

    Each case is filed as its need's filer when they still may file for the enterprise, else as the system. The
    case's filing time is its need's; its clocks are read as of now (a need that waited past its limits is breached
    and escalated at once), unless ``as_filed``: then the clock is replayed to the need's filing time for the whole
    filing (event, audit, clocks), and the background worker catches the clocks up afterwards.
    """
    made: list[Case] = []
    waiting = list(Need.objects.filter(case__isnull=True).order_by("created_at", "pk").values_list("pk", flat=True))
    for start in range(0, len(waiting), CATCH_UP_BATCH):
        chunk = waiting[start : start + CATCH_UP_BATCH]
        needs = Need.objects.filter(pk__in=chunk).select_related("created_by").order_by("created_at", "pk")
        for need in needs:
            with clock.replaying(need.created_at) if as_filed else nullcontext():
                made.append(case_from_need(need, actor=_filer(need)))
    return made
