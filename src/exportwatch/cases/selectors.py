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
    """The working-day calendar the clocks count in: the shipped calendar of China (``core.workdays``), except
    that a year with any ``CalendarDay`` row is taken from those rows alone (a day belongs to the year of its
    date)."""
    shipped = china_calendar()
    rows = list(CalendarDay.objects.values_list("date", "kind"))
    local_years = {day.year for day, _kind in rows}
    holidays = {d for d in shipped.holidays if d.year not in local_years}
    makeup_days = {d for d in shipped.makeup_days if d.year not in local_years}
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


def case_events(case: Case) -> list[CaseEvent]:
    """A case's events, oldest first."""
    return list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "id"))


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
