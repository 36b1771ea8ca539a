"""Reads of the cases app, always through the reader's scope.

Who sees which case (``cases_visible``): a reporter their enterprise's; a town officer those of their town's
enterprises; an analyst or a leader those of their region's; a department handler only the cases whose lead or
co-handling department is theirs; an administrator all. Anyone else's case is a 404 (``case_get``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from exportwatch.accounts.models import Role
from exportwatch.cases.adapters import clocks_read
from exportwatch.cases.models import CalendarDay, CalendarKind, Case, CaseEvent, ClockState, EventKind, RoutingRule
from exportwatch.common import clock
from exportwatch.common.scoping import REGIONAL_ROLES, is_admin
from exportwatch.core import cases as core
from exportwatch.core.workdays import BREACHED, DEFAULT_WARN_SHARE, WorkCalendar, china_calendar
from exportwatch.directory.models import Department
from exportwatch.reporting.models import NeedCategory

WORK_STATES = (core.ASSIGNED, core.ACCEPTED, core.IN_PROGRESS, core.WAITING_ENTERPRISE, core.REOPENED)
"""States in which a case is on a department's desk."""

TRIAGE_STATES = (core.SUBMITTED, core.TRIAGED, core.RETURNED)
"""States in which a case waits for the bureau to take it in or dispatch it."""

OPEN_STATES = tuple(s for s in core.STATES if s not in core.TERMINAL_STATES)


# --- Settings and the calendar -----------------------------------------------------------------------------------


def warn_share() -> float:
    """The share of a limit at which a case's clock warns (``EXPORTWATCH_CASE_WARN_SHARE``, default 0.8)."""
    return float(getattr(settings, "EXPORTWATCH_CASE_WARN_SHARE", DEFAULT_WARN_SHARE))


def work_calendar() -> WorkCalendar:
    """The working-day calendar the clocks count in: the shipped calendar of China (``core.workdays``), each date
    with a ``CalendarDay`` row being what that row says (a holiday, a make-up working day, or an ordinary day)."""
    shipped = china_calendar()
    rows = list(CalendarDay.objects.values_list("date", "kind"))
    local = {day for day, _kind in rows}
    holidays = set(shipped.holidays) - local
    makeup_days = set(shipped.makeup_days) - local
    holidays.update(day for day, kind in rows if kind == CalendarKind.HOLIDAY)
    makeup_days.update(day for day, kind in rows if kind == CalendarKind.MAKEUP_WORKDAY)
    return WorkCalendar(holidays, makeup_days, tz=shipped.tz)


# --- Routing -----------------------------------------------------------------------------------------------------


def routing_rules() -> list[RoutingRule]:
    """The routing table, one rule per need category that has one, in category order."""
    return list(RoutingRule.objects.select_related("lead_department").prefetch_related("co_departments"))


def routing_rule_for(category: str) -> RoutingRule | None:
    return RoutingRule.objects.select_related("lead_department").filter(category=category).first()


# --- Scope -------------------------------------------------------------------------------------------------------


def cases_visible(user: Any) -> QuerySet[Case]:
    """Every case ``user`` may read (see the module's docstring)."""
    qs = Case.objects.select_related("enterprise", "lead_department")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if is_admin(user):
        return qs.all()
    if user.role == Role.REPORTER:
        return qs.filter(enterprise_id=user.enterprise_id) if user.enterprise_id else qs.none()
    if user.role in REGIONAL_ROLES and user.region_id:
        return qs.filter(enterprise__town__path__startswith=user.region.path)
    if user.role == Role.HANDLER and user.department_id:
        co = Case.co_departments.through.objects.filter(case_id=OuterRef("pk"), department_id=user.department_id)
        return qs.filter(Q(lead_department_id=user.department_id) | Exists(co))
    return qs.none()


def case_get(user: Any, pk: int) -> Case:
    """One case ``user`` may read; anyone else's (or none) is a 404."""
    found: Case | None = cases_visible(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def case_actor(user: Any, case: Case) -> tuple[str, bool]:
    """``user`` as the transition table names them: (their role, whether they handle for the lead department)."""
    lead = user.role == Role.HANDLER and bool(user.department_id) and user.department_id == case.lead_department_id
    return str(user.role), lead


INTERNAL_EVENTS = (EventKind.SUPERVISE, EventKind.CLOCK_WARNING, EventKind.CLOCK_BREACH)
"""Events between the bureau and the departments: supervision (督办) and the clocks' warnings and escalations.
The enterprise's own reporters do not see them; everyone else who reads the case does."""


def case_events(case: Case, *, reader: Any = None) -> list[CaseEvent]:
    """A case's events, oldest first: all of them, or those ``reader`` may see (:data:`INTERNAL_EVENTS` are not
    shown to the enterprise's reporters)."""
    events = CaseEvent.objects.filter(case=case)
    if reader is not None and getattr(reader, "role", None) == Role.REPORTER:
        events = events.exclude(kind__in=INTERNAL_EVENTS)
    return list(events.select_related("actor").order_by("at", "id"))


def case_history(case: Case) -> list[tuple[dt.datetime, str]]:
    """(when, state entered) of a case's transitions, oldest first, for the core's clock functions."""
    rows = CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION).order_by("at", "id")
    return list(rows.values_list("at", "to_state"))


def case_last_event_at(case: Case) -> dt.datetime | None:
    last: dt.datetime | None = (
        CaseEvent.objects.filter(case=case).order_by("-at", "-id").values_list("at", flat=True).first()
    )
    return last


# --- Who hears of a case -----------------------------------------------------------------------------------------


def _users() -> QuerySet[Any]:
    return get_user_model().objects.filter(is_active=True)


def department_handlers(codes: Iterable[str]) -> list[Any]:
    """The active handlers of the departments ``codes``."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return []
    return list(_users().filter(role=Role.HANDLER, department_id__in=wanted).order_by("pk"))


def case_handlers(case: Case, *, co: bool = True) -> list[Any]:
    """The handlers of a case's lead department (and of its co-handling departments)."""
    codes = [case.lead_department_id or ""]
    if co:
        codes += list(case.co_departments.values_list("code", flat=True))
    return department_handlers(codes)


def case_supervisors(case: Case) -> list[Any]:
    """The bureau supervisors of a case: the active analysts whose region holds its enterprise's town."""
    path = case.enterprise.town.path
    parts = [p for p in path.split("/") if p]
    prefixes = ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    return list(_users().filter(role=Role.ANALYST, region__path__in=prefixes).order_by("pk"))


def case_enterprise_side(case: Case) -> list[Any]:
    """Who speaks for the enterprise: its reporters, and the town officer who filed the case for it."""
    users = list(_users().filter(role=Role.REPORTER, enterprise_id=case.enterprise_id).order_by("pk"))
    filer = case.filed_by
    if filer is not None and filer.is_active and filer.role == Role.TOWN_OFFICER and filer not in users:
        users.append(filer)
    return users


# --- Lists -------------------------------------------------------------------------------------------------------


def _by_urgency_of_clock(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Breached first, then due soon, then on time; within each the one due soonest first (the first response's
    due while there is none yet, else the resolution's; a paused clock, with no due, last)."""
    rank = models.Case(
        models.When(clock_state=ClockState.BREACHED, then=models.Value(0)),
        models.When(clock_state=ClockState.WARNING, then=models.Value(1)),
        default=models.Value(2),
        output_field=models.IntegerField(),
    )
    due = models.Case(
        models.When(first_response_at__isnull=True, then=models.F("first_response_due")),
        default=models.F("resolution_due"),
        output_field=models.DateTimeField(),
    )
    return qs.annotate(clock_rank=rank, due_at=due).order_by(
        "clock_rank", models.F("due_at").asc(nulls_last=True), "created_at", "pk"
    )


def case_work_list(user: Any) -> QuerySet[Case]:
    """A department handler's desk: the open cases their department leads or co-handles that are with the
    departments, breached first, then by due date. Anyone else's desk is empty."""
    if getattr(user, "role", None) != Role.HANDLER:
        return Case.objects.none()
    return _by_urgency_of_clock(cases_visible(user).filter(state__in=WORK_STATES))


def case_triage_queue(user: Any) -> QuerySet[Case]:
    """The bureau's queue: the cases in ``user``'s scope waiting to be taken in or dispatched (submitted,
    triaged, returned by a department), breached first, then by due date. Only analysts triage."""
    if getattr(user, "role", None) != Role.ANALYST:
        return Case.objects.none()
    return _by_urgency_of_clock(cases_visible(user).filter(state__in=TRIAGE_STATES))


# --- Performance -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Performance:
    """How the cases of one department or category filed in a period fared (DESIGN §9).

    Attributes:
        key: The lead department's code ("" for cases not dispatched yet), the category, or "" for all.
        label: Its name in the active language.
        filed: Cases filed in the period (duplicates merged into another case left out).
        responded: Of those, cases with a first response (accepted by a department or declined by the bureau).
        response_rate: ``responded`` over the cases that have a first response or are still open (a case
            withdrawn before any answer is not counted).
        resolved: Cases answered and not reopened since: replied, confirmed or closed.
        resolution_rate: ``resolved`` over the cases neither declined nor withdrawn.
        median_days_to_resolve: Median working days from filing to the last reply, waiting for the enterprise
            left out, over the resolved cases.
        breached: Cases with a clock past its limit (first response or resolution; still running clocks as of
            now).
        breach_rate: ``breached`` over ``filed``.
        rated: Cases whose last verdict is a confirmation with a rating.
        mean_rating: The mean of those ratings (1 to 5).
    """

    key: str
    label: str
    filed: int
    responded: int
    response_rate: float | None
    resolved: int
    resolution_rate: float | None
    median_days_to_resolve: float | None
    breached: int
    breach_rate: float | None
    rated: int
    mean_rating: float | None


@dataclass(slots=True)
class _Fate:
    """One case's outcome, computed from its events."""

    response_counted: bool = False
    responded: bool = False
    resolution_counted: bool = False
    resolved_days: float | None = None
    breached: bool = False
    rating: int | None = None


RESOLVED_STATES = frozenset({core.REPLIED, core.CONFIRMED, core.CLOSED})
_NOT_RESOLVABLE = frozenset({core.DECLINED, core.WITHDRAWN})
PERFORMANCE_DIMENSIONS = ("department", "category", "all")


def _fate(
    row: dict[str, Any],
    transitions: Sequence[tuple[dt.datetime, str, int | None]],
    calendar: WorkCalendar,
    now: dt.datetime,
    share: float,
) -> _Fate:
    history = [(at, state) for at, state, _rating in transitions]
    state = row["state"]
    fate = _Fate()
    answered = core.first_response_at(history)
    fate.responded = answered is not None
    fate.response_counted = fate.responded or core.is_open(state)
    fate.resolution_counted = state not in _NOT_RESOLVABLE
    if state in RESOLVED_STATES:
        replies = [at for at, to, _r in transitions if to == core.REPLIED]
        if replies:
            pauses = core.clock_pauses(history)
            fate.resolved_days = calendar.elapsed_working_days(row["created_at"], replies[-1], pauses)
    clocks = clocks_read(
        created_at=row["created_at"],
        state=state,
        history=history,
        first_response_days=row["first_response_days"],
        resolution_days=row["resolution_days"],
        calendar=calendar,
        now=now,
        warn_share=share,
    )
    fate.breached = BREACHED in (clocks.response.status, clocks.resolution.status)
    verdicts = [(to, rating) for _at, to, rating in transitions if to in (core.CONFIRMED, core.REOPENED)]
    if verdicts and verdicts[-1][0] == core.CONFIRMED:
        fate.rating = verdicts[-1][1]
    return fate


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _summary(key: str, label: str, fates: list[_Fate]) -> Performance:
    responded = sum(f.responded for f in fates)
    resolved_days = [f.resolved_days for f in fates if f.resolved_days is not None]
    breached = sum(f.breached for f in fates)
    ratings = [f.rating for f in fates if f.rating is not None]
    return Performance(
        key=key,
        label=label,
        filed=len(fates),
        responded=responded,
        response_rate=_share(responded, sum(f.response_counted for f in fates)),
        resolved=len(resolved_days),
        resolution_rate=_share(len(resolved_days), sum(f.resolution_counted for f in fates)),
        median_days_to_resolve=statistics.median(resolved_days) if resolved_days else None,
        breached=breached,
        breach_rate=_share(breached, len(fates)),
        rated=len(ratings),
        mean_rating=statistics.fmean(ratings) if ratings else None,
    )


def case_performance(
    user: Any, *, start: dt.date, end: dt.date, by: str = "department", now: dt.datetime | None = None
) -> list[Performance]:
    """Response rate, resolution rate, median time to resolve, breach rate and satisfaction of the cases in
    ``user``'s scope filed from ``start`` to ``end`` (both included, local dates), by lead department, by
    category, or all together (``by="all"``: one row), computed from the cases' stored events.

    Rows are in key order; a department row's key is the lead department's code ("" for cases the bureau has
    not dispatched, or declined, or that were withdrawn before dispatch).
    """
    if by not in PERFORMANCE_DIMENSIONS:
        raise ValueError(f"by must be one of {PERFORMANCE_DIMENSIONS}, not {by!r}")
    now = now or clock.now()
    cases = (
        cases_visible(user)
        .filter(created_at__date__gte=start, created_at__date__lte=end)
        .exclude(state=core.MERGED)
        .values("pk", "state", "category", "lead_department_id", "created_at", "first_response_days", "resolution_days")
    )
    rows = {row["pk"]: row for row in cases}
    transitions: dict[int, list[tuple[dt.datetime, str, int | None]]] = defaultdict(list)
    ids = sorted(rows)
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        events = (
            CaseEvent.objects.filter(case_id__in=chunk, kind=EventKind.TRANSITION)
            .order_by("case_id", "at", "id")
            .values_list("case_id", "at", "to_state", "rating")
        )
        for case_id, at, to, rating in events:
            transitions[case_id].append((at, to, rating))
    calendar, share = work_calendar(), warn_share()
    groups: dict[str, list[_Fate]] = defaultdict(list)
    for pk, row in rows.items():
        key = {"department": row["lead_department_id"] or "", "category": row["category"], "all": ""}[by]
        groups[key].append(_fate(row, transitions[pk], calendar, now, share))
    labels = _labels(by, groups)
    return [_summary(key, labels.get(key, key), groups[key]) for key in sorted(groups)]


def _labels(by: str, keys: Iterable[str]) -> dict[str, str]:
    if by == "department":
        named = {d.code: d.label for d in Department.objects.filter(code__in=[k for k in keys if k])}
        return {"": str(_("not dispatched")), **named}
    if by == "category":
        return {value: str(label) for value, label in NeedCategory.choices}
    return {"": str(_("all cases"))}


# --- Pages -------------------------------------------------------------------------------------------------------

BUREAU_CLOSING_STATES = (core.REPLIED, core.CONFIRMED)
"""States in which a case waits for the bureau's return visit (回访) and closure."""


@dataclass(frozen=True, slots=True)
class CaseMoves:
    """What a user may do to a case now, as the pages offer it.

    Attributes:
        targets: The states they may move it to with ``services.case_transition`` (assigning and merging apart),
            in the core's order.
        assign: Whether they may dispatch it to departments (``services.case_assign``).
        merge: Whether they may merge it into another case (``services.case_merge``).
        comment: Whether they may comment on it.
        supervise: Whether they may supervise it (督办).
    """

    targets: tuple[str, ...] = ()
    assign: bool = False
    merge: bool = False
    comment: bool = False
    supervise: bool = False

    @property
    def anything(self) -> bool:
        return bool(self.targets or self.assign or self.merge or self.comment or self.supervise)


def case_moves(user: Any, case: Case) -> CaseMoves:
    """The moves ``user`` may make on ``case`` (one they may read) now: the core's ``allowed_targets`` and
    ``action_check`` for their role and standing (lead or co-handler): a town officer acts for the enterprises of
    their town as the enterprise would (they file on its behalf too). A page and the API offer exactly these; the
    services check again when one is made."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return CaseMoves()
    role, lead = case_actor(user, case)

    def may(action: str) -> bool:
        # An empty note passes every check but the note's: "note_required" means the action itself is allowed.
        return core.action_check(case.state, action, actor_role=role, is_lead_handler=lead) == "note_required"

    comment = may(core.EVENT_COMMENT)
    allowed = core.allowed_targets(case.state, actor_role=role, is_lead_handler=lead)
    return CaseMoves(
        targets=tuple(t for t in allowed if t not in (core.ASSIGNED, core.MERGED)),
        assign=core.ASSIGNED in allowed,
        merge=core.MERGED in allowed,
        comment=comment,
        supervise=may(core.EVENT_SUPERVISE),
    )


def case_clocks(case: Case, *, now: dt.datetime | None = None) -> Any:
    """Where a case's two clocks stand now (``adapters.CaseClocks``), read from its events."""
    return clocks_read(
        created_at=case.created_at,
        state=case.state,
        history=case_history(case),
        first_response_days=case.first_response_days,
        resolution_days=case.resolution_days,
        calendar=work_calendar(),
        now=now or clock.now(),
        warn_share=warn_share(),
    )


def case_event_get(user: Any, case_pk: int, event_pk: int) -> CaseEvent:
    """One event of a case ``user`` may read; anything else is a 404."""
    case = case_get(user, case_pk)
    found: CaseEvent | None = CaseEvent.objects.filter(case=case, pk=event_pk).first()
    if found is None:
        raise Http404
    return found


def case_closing_queue(user: Any) -> QuerySet[Case]:
    """The bureau's return visits: the cases in an analyst's scope answered by their department (replied, waiting
    for the enterprise's verdict) or confirmed (to be closed), the longest waiting first."""
    if getattr(user, "role", None) != Role.ANALYST:
        return Case.objects.none()
    return cases_visible(user).filter(state__in=BUREAU_CLOSING_STATES).order_by("replied_at", "pk")


def case_merge_candidates(user: Any, case: Case, *, limit: int = 20) -> list[Case]:
    """Open cases of the same enterprise ``user`` may read that ``case`` could be a duplicate of, newest first."""
    return list(
        cases_visible(user)
        .filter(enterprise_id=case.enterprise_id)
        .exclude(pk=case.pk)
        .exclude(state__in=core.TERMINAL_STATES)
        .order_by("-created_at", "-pk")[:limit]
    )


def routing_rule_changes(*, category: str | None = None, limit: int = 50) -> QuerySet[Any]:
    """Who changed the routing table, when, from what to what, and why (the audit's ``routing.change``), newest
    first."""
    from exportwatch.common.models import AuditEvent

    qs = AuditEvent.objects.filter(action="routing.change").select_related("actor")
    if category is not None:
        qs = qs.filter(object_key=category)
    return qs.order_by("-at", "-id")[:limit]


def calendar_changes(*, year: int, limit: int = 50) -> QuerySet[Any]:
    """Who entered or removed the local calendar days of ``year``, newest first (the audit's ``calendar.*``)."""
    from exportwatch.common.models import AuditEvent

    return (
        AuditEvent.objects.filter(action__in=("calendar.set", "calendar.remove"), object_key__startswith=f"{year}-")
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


def calendar_year(year: int) -> dict[str, Any]:
    """The working calendar of ``year`` as the clocks count it: its holidays and make-up working days (the shipped
    calendar with each local day overriding its date), the local rows themselves, and whether a State Council notice
    for the year ships with the system."""
    calendar = work_calendar()
    local = list(CalendarDay.objects.filter(date__year=year).select_related("updated_by").order_by("date"))
    return {
        "holidays": sorted(d for d in calendar.holidays if d.year == year),
        "makeup_days": sorted(d for d in calendar.makeup_days if d.year == year),
        "local": local,
        "published": year in _shipped_years(),
    }


def _shipped_years() -> tuple[int, ...]:
    from exportwatch.core.workdays import china_calendar_years

    return china_calendar_years()
