"""The problem list (清单) as a closed loop: a case's states, who may move it where, and its clocks (DESIGN §9).

Every need an enterprise files becomes a case. The government's rule for such lists is 受理、派单、办理、回复、
督办、办结、回访、评价 (accept, dispatch, handle, reply, supervise, close, return visit, rating); the states below
follow it.

========================  ==============  ==========================================================================
state                     中文             meaning
========================  ==============  ==========================================================================
``submitted``             已提交 (待受理)  filed by the enterprise (or by its town officer / an analyst on its behalf)
``triaged``               已受理          the bureau has taken it in (category checked), ready to dispatch
``assigned``              已派单          dispatched to a lead department (牵头单位), optionally with co-handlers
                                          (协办单位); waiting for the lead department to accept it
``accepted``              已签收          the lead department has accepted it: it owns the case now
``returned``              已退回          the lead department sent it back, with a reason; the bureau re-triages
``in_progress``           办理中          the lead department is working on it
``waiting_enterprise``    待企业补充       the department waits for the enterprise (documents, facts); the resolution
                                          clock is paused
``replied``               已答复          the department has answered the enterprise; waiting for its verdict
``confirmed``             已评价          the enterprise confirmed the answer, with a rating of 1 to 5 (and a comment);
                                          the bureau's return visit (回访) may record it on the enterprise's behalf
``reopened``              重办            the enterprise (or the return visit) found the answer wanting, with a
                                          reason; the lead department takes it up again
``closed``                已办结          the bureau has closed it (terminal)
``declined``              不予受理         the bureau would not take it in (not a matter for the list), with a reason
                                          (terminal)
``withdrawn``             已撤回          the enterprise withdrew it, with a reason (terminal)
``merged``                已合并          a duplicate, merged into another (primary) case (terminal)
========================  ==============  ==========================================================================

Transitions are data (:data:`TRANSITIONS`): each (from, to) pair names the actors who may make it and what it
needs (a reason, the reply text, or a rating). The actors are the user roles of the accounts app (``reporter``,
``town_officer``, ``analyst``, ``handler``, ``leader``, ``admin``), with a handler split into the handler of the
lead department and a co-handler (``is_lead_handler``). Scope is not checked here: the service first makes sure
the reporter is the case's enterprise's, the town officer its town's, the handler one of the case's departments.
Leaders (read-only) and administrators (system staff) make no transitions; co-handlers only comment.

The analyst is the bureau's supervisor: triage, dispatch, recall (taking a case back from a department, with a
reason), decline, merge, supervise (督办), close.

Every transition, and every other thing done to a case, is an append-only event (who, when, from, to, note,
attachments). Events that do not move the case (:data:`EVENT_KINDS` other than ``transition``) record
``from == to``: a supervision (督办) with its note, a comment (a co-handler's opinion, 协办意见, or more facts
from the enterprise), the primary case's record that a duplicate was merged into it, and the clock's warning and
breach (escalation to the bureau supervisor).

Clocks (limits in working days, see :mod:`exportwatch.core.workdays`):

* first response: from submission to the first time the case is ``accepted`` by a lead department or
  ``declined`` by the bureau (:data:`FIRST_RESPONSE_STATES`); a case withdrawn or merged before that has no
  first response and is not counted;
* resolution: runs in :data:`RUNNING_STATES`, is paused while ``waiting_enterprise``, and stops once the case
  is ``replied`` (it runs again if the case is reopened) or terminal; :func:`clock_pauses` turns a case's history
  into the intervals to leave out.

Problem codes returned by the checks: ``unknown_state``, ``unknown_action``, ``bad_transition`` (no such move from
that state), ``not_allowed`` (the move exists but not for this actor), ``reason_required``, ``reply_required``,
``note_required``, ``rating_required`` (an integer from 1 to 5), ``rating_unexpected``, ``case_closed``,
``merge_into_self``, ``merge_target_closed``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from types import MappingProxyType

# --- States ----------------------------------------------------------------------------------------------------

SUBMITTED = "submitted"
TRIAGED = "triaged"
ASSIGNED = "assigned"
ACCEPTED = "accepted"
RETURNED = "returned"
IN_PROGRESS = "in_progress"
WAITING_ENTERPRISE = "waiting_enterprise"
REPLIED = "replied"
CONFIRMED = "confirmed"
REOPENED = "reopened"
CLOSED = "closed"
DECLINED = "declined"
WITHDRAWN = "withdrawn"
MERGED = "merged"

STATES = (
    SUBMITTED,
    TRIAGED,
    ASSIGNED,
    ACCEPTED,
    RETURNED,
    IN_PROGRESS,
    WAITING_ENTERPRISE,
    REPLIED,
    CONFIRMED,
    REOPENED,
    CLOSED,
    DECLINED,
    WITHDRAWN,
    MERGED,
)
"""Every state, in the order a case usually passes through them."""

INITIAL = SUBMITTED

STATE_LABELS_ZH: Mapping[str, str] = MappingProxyType(
    {
        SUBMITTED: "已提交",
        TRIAGED: "已受理",
        ASSIGNED: "已派单",
        ACCEPTED: "已签收",
        RETURNED: "已退回",
        IN_PROGRESS: "办理中",
        WAITING_ENTERPRISE: "待企业补充",
        REPLIED: "已答复",
        CONFIRMED: "已评价",
        REOPENED: "重办",
        CLOSED: "已办结",
        DECLINED: "不予受理",
        WITHDRAWN: "已撤回",
        MERGED: "已合并",
    }
)

TERMINAL_STATES = frozenset({CLOSED, DECLINED, WITHDRAWN, MERGED})
"""States a case never leaves."""

RUNNING_STATES = frozenset({SUBMITTED, TRIAGED, ASSIGNED, ACCEPTED, RETURNED, IN_PROGRESS, REOPENED})
"""States in which the resolution clock runs."""

PAUSED_STATES = frozenset({WAITING_ENTERPRISE})
"""States in which the resolution clock is paused (the enterprise has the ball)."""

FIRST_RESPONSE_STATES = frozenset({ACCEPTED, DECLINED})
"""Entering one of these for the first time is the case's first response."""

MERGEABLE_STATES = frozenset(
    {SUBMITTED, TRIAGED, ASSIGNED, ACCEPTED, RETURNED, IN_PROGRESS, WAITING_ENTERPRISE, REOPENED}
)
"""States from which a case may be merged into another as a duplicate (not once it has been answered)."""

# --- Actors ----------------------------------------------------------------------------------------------------

REPORTER = "reporter"
TOWN_OFFICER = "town_officer"
ANALYST = "analyst"
HANDLER = "handler"
LEADER = "leader"
ADMIN = "admin"
ROLES = (REPORTER, TOWN_OFFICER, ANALYST, HANDLER, LEADER, ADMIN)
"""The user roles, spelt as in the accounts app."""

LEAD_HANDLER = "lead_handler"
CO_HANDLER = "co_handler"
"""A handler of the case's lead department, and of one of its co-handling departments."""

ENTERPRISE_SIDE = frozenset({REPORTER, TOWN_OFFICER})
"""The enterprise itself, or its town officer acting for it."""

SUBMIT_ROLES = frozenset({REPORTER, TOWN_OFFICER, ANALYST})
"""Who may file a case: the enterprise, its town officer on its behalf, an analyst after a visit."""


def actor_kind(actor_role: str, *, is_lead_handler: bool = False) -> str:
    """The actor as the transition table names it: the role, or for a handler ``lead_handler``/``co_handler``.

    ``is_lead_handler`` only matters for the ``handler`` role.
    """
    if actor_role == HANDLER:
        return LEAD_HANDLER if is_lead_handler else CO_HANDLER
    return actor_role


# --- Transitions -----------------------------------------------------------------------------------------------

NEEDS_REASON = "reason"
NEEDS_REPLY = "reply"
NEEDS_RATING = "rating"


@dataclass(frozen=True, slots=True)
class Transition:
    """Who may make one move, and what it needs.

    Attributes:
        actors: Actor kinds (see :func:`actor_kind`) allowed to make it.
        needs: ``"reason"`` (a non-blank note saying why), ``"reply"`` (the answer to the enterprise, as the
            note), ``"rating"`` (an integer 1..5; the note is the optional comment) or ``None``.
    """

    actors: frozenset[str]
    needs: str | None = None


def _t(*actors: str, needs: str | None = None) -> Transition:
    return Transition(frozenset(actors), needs)


_RECALL = _t(ANALYST, needs=NEEDS_REASON)  # take a case back from a department to dispatch it again
_WITHDRAW = _t(REPORTER, TOWN_OFFICER, needs=NEEDS_REASON)
_MERGE = _t(ANALYST)
_DECLINE = _t(ANALYST, needs=NEEDS_REASON)

TRANSITIONS: Mapping[tuple[str, str], Transition] = MappingProxyType(
    {
        # 受理 / 不予受理
        (SUBMITTED, TRIAGED): _t(ANALYST),
        (SUBMITTED, DECLINED): _DECLINE,
        (SUBMITTED, WITHDRAWN): _WITHDRAW,
        (SUBMITTED, MERGED): _MERGE,
        # 派单
        (TRIAGED, ASSIGNED): _t(ANALYST),
        (TRIAGED, DECLINED): _DECLINE,
        (TRIAGED, WITHDRAWN): _WITHDRAW,
        (TRIAGED, MERGED): _MERGE,
        # 签收 / 退回
        (ASSIGNED, ACCEPTED): _t(LEAD_HANDLER),
        (ASSIGNED, RETURNED): _t(LEAD_HANDLER, needs=NEEDS_REASON),
        (ASSIGNED, TRIAGED): _RECALL,
        (ASSIGNED, WITHDRAWN): _WITHDRAW,
        (ASSIGNED, MERGED): _MERGE,
        # re-triage after a return
        (RETURNED, TRIAGED): _t(ANALYST),
        (RETURNED, ASSIGNED): _t(ANALYST),
        (RETURNED, DECLINED): _DECLINE,
        (RETURNED, WITHDRAWN): _WITHDRAW,
        (RETURNED, MERGED): _MERGE,
        # 办理
        (ACCEPTED, IN_PROGRESS): _t(LEAD_HANDLER),
        (ACCEPTED, WAITING_ENTERPRISE): _t(LEAD_HANDLER, needs=NEEDS_REASON),
        (ACCEPTED, REPLIED): _t(LEAD_HANDLER, needs=NEEDS_REPLY),
        (ACCEPTED, TRIAGED): _RECALL,
        (ACCEPTED, WITHDRAWN): _WITHDRAW,
        (ACCEPTED, MERGED): _MERGE,
        (IN_PROGRESS, WAITING_ENTERPRISE): _t(LEAD_HANDLER, needs=NEEDS_REASON),
        (IN_PROGRESS, REPLIED): _t(LEAD_HANDLER, needs=NEEDS_REPLY),
        (IN_PROGRESS, TRIAGED): _RECALL,
        (IN_PROGRESS, WITHDRAWN): _WITHDRAW,
        (IN_PROGRESS, MERGED): _MERGE,
        # the enterprise supplies what was asked (or the department goes on without it)
        (WAITING_ENTERPRISE, IN_PROGRESS): _t(LEAD_HANDLER, REPORTER, TOWN_OFFICER),
        (WAITING_ENTERPRISE, REPLIED): _t(LEAD_HANDLER, needs=NEEDS_REPLY),
        (WAITING_ENTERPRISE, TRIAGED): _RECALL,
        (WAITING_ENTERPRISE, WITHDRAWN): _WITHDRAW,
        (WAITING_ENTERPRISE, MERGED): _MERGE,
        # 回访、评价
        (REPLIED, CONFIRMED): _t(REPORTER, TOWN_OFFICER, ANALYST, needs=NEEDS_RATING),
        (REPLIED, REOPENED): _t(REPORTER, TOWN_OFFICER, ANALYST, needs=NEEDS_REASON),
        (REPLIED, CLOSED): _t(ANALYST, needs=NEEDS_REASON),  # no verdict came back from the enterprise
        # 办结
        (CONFIRMED, CLOSED): _t(ANALYST),
        (CONFIRMED, REOPENED): _t(ANALYST, needs=NEEDS_REASON),  # the return visit finds it unsolved
        # 重办
        (REOPENED, IN_PROGRESS): _t(LEAD_HANDLER),
        (REOPENED, TRIAGED): _RECALL,
        (REOPENED, WITHDRAWN): _WITHDRAW,
        (REOPENED, MERGED): _MERGE,
    }
)
"""(from, to) -> :class:`Transition`; a pair not listed is not a move (``bad_transition``)."""

_NEED_PROBLEMS: Mapping[str, str] = MappingProxyType(
    {NEEDS_REASON: "reason_required", NEEDS_REPLY: "reply_required", NEEDS_RATING: "rating_required"}
)

RATINGS = range(1, 6)


def _valid_rating(rating: object) -> bool:
    return isinstance(rating, int) and not isinstance(rating, bool) and rating in RATINGS


def transition_check(
    case_state: str,
    to: str,
    *,
    actor_role: str,
    is_lead_handler: bool = False,
    note: str = "",
    rating: int | None = None,
) -> str | None:
    """Why ``actor_role`` may not move a case from ``case_state`` to ``to``; ``None`` when it may.

    Args:
        case_state: The case's current state.
        to: The state asked for.
        actor_role: The user's role (:data:`ROLES`).
        is_lead_handler: For a handler: whether they belong to the case's lead department (else a co-handler).
        note: The event's note: the reason, the reply, or the rating's comment.
        rating: The enterprise's rating, for a confirmation only.

    Returns:
        ``None``, or the first problem of: ``"unknown_state"`` (either state), ``"bad_transition"`` (no such
        move, e.g. out of a terminal state or to the same state), ``"not_allowed"`` (not for this actor),
        ``"reason_required"`` / ``"reply_required"`` (a blank note), ``"rating_required"`` (a confirmation
        without an integer rating from 1 to 5), ``"rating_unexpected"`` (a rating on any other move).

    A merge must also pass :func:`merge_check`, which looks at the primary case.
    """
    if case_state not in STATES or to not in STATES:
        return "unknown_state"
    transition = TRANSITIONS.get((case_state, to))
    if transition is None:
        return "bad_transition"
    if actor_kind(actor_role, is_lead_handler=is_lead_handler) not in transition.actors:
        return "not_allowed"
    if transition.needs == NEEDS_RATING:
        if not _valid_rating(rating):
            return "rating_required"
    elif rating is not None:
        return "rating_unexpected"
    if transition.needs in (NEEDS_REASON, NEEDS_REPLY) and not note.strip():
        return _NEED_PROBLEMS[transition.needs]
    return None


def allowed_targets(case_state: str, *, actor_role: str, is_lead_handler: bool = False) -> tuple[str, ...]:
    """The states ``actor_role`` may move a case in ``case_state`` to, in :data:`STATES` order (the buttons to
    show); notes and ratings are not looked at. Empty for an unknown state."""
    kind = actor_kind(actor_role, is_lead_handler=is_lead_handler)
    return tuple(
        to
        for to in STATES
        if (transition := TRANSITIONS.get((case_state, to))) is not None and kind in transition.actors
    )


def submit_check(*, actor_role: str) -> str | None:
    """Why ``actor_role`` may not file a case (``"not_allowed"``); ``None`` when they may (:data:`SUBMIT_ROLES`)."""
    return None if actor_role in SUBMIT_ROLES else "not_allowed"


def merge_check(
    *, duplicate_state: str, primary_state: str, same_case: bool, actor_role: str, is_lead_handler: bool = False
) -> str | None:
    """Why a case may not be merged, as a duplicate, into a primary case; ``None`` when it may.

    The duplicate goes to ``merged`` (and stays there); the primary records a ``merged_in`` event and goes on.

    Returns:
        ``None``, or the first problem of: ``"unknown_state"``; ``"bad_transition"`` (the duplicate is no longer
        mergeable: answered or terminal) or ``"not_allowed"`` (only an analyst merges), as
        :func:`transition_check` says; ``"merge_into_self"``; ``"merge_target_closed"`` (the primary is
        terminal: closed, declined, withdrawn, or itself merged into another).
    """
    if duplicate_state not in STATES or primary_state not in STATES:
        return "unknown_state"
    problem = transition_check(duplicate_state, MERGED, actor_role=actor_role, is_lead_handler=is_lead_handler)
    if problem is not None:
        return problem
    if same_case:
        return "merge_into_self"
    if primary_state in TERMINAL_STATES:
        return "merge_target_closed"
    return None


# --- Events that do not move the case --------------------------------------------------------------------------

EVENT_TRANSITION = "transition"
EVENT_SUPERVISE = "supervise"  # 督办: the bureau presses the department, with a note
EVENT_COMMENT = "comment"  # a co-handler's opinion (协办意见), more facts from the enterprise, a remark
EVENT_MERGED_IN = "merged_in"  # on the primary: a duplicate was merged into this case
EVENT_CLOCK_WARNING = "clock_warning"  # a limit is near (its warning share used up)
EVENT_CLOCK_BREACH = "clock_breach"  # a limit is breached: escalated to the bureau supervisor

EVENT_KINDS = (
    EVENT_TRANSITION,
    EVENT_SUPERVISE,
    EVENT_COMMENT,
    EVENT_MERGED_IN,
    EVENT_CLOCK_WARNING,
    EVENT_CLOCK_BREACH,
)
"""Every kind of case event. Only ``transition`` changes the state; the others record ``from == to``."""

ACTIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        EVENT_SUPERVISE: frozenset({ANALYST}),
        EVENT_COMMENT: frozenset({REPORTER, TOWN_OFFICER, ANALYST, LEAD_HANDLER, CO_HANDLER}),
    }
)
"""The events a person records without moving the case, and the actor kinds who may. The other event kinds are
recorded by the services themselves (a merge, the clock)."""


def action_check(
    case_state: str, action: str, *, actor_role: str, is_lead_handler: bool = False, note: str = ""
) -> str | None:
    """Why ``actor_role`` may not record ``action`` (``"supervise"`` or ``"comment"``) on a case; ``None`` when
    they may.

    Returns:
        ``None``, or the first problem of: ``"unknown_state"``, ``"unknown_action"`` (not one of
        :data:`ACTIONS`), ``"case_closed"`` (a terminal case takes no more events), ``"not_allowed"``,
        ``"note_required"`` (both need a non-blank note: what is pressed for, what is said).
    """
    if case_state not in STATES:
        return "unknown_state"
    actors = ACTIONS.get(action)
    if actors is None:
        return "unknown_action"
    if case_state in TERMINAL_STATES:
        return "case_closed"
    if actor_kind(actor_role, is_lead_handler=is_lead_handler) not in actors:
        return "not_allowed"
    if not note.strip():
        return "note_required"
    return None


# --- Small helpers for the services ----------------------------------------------------------------------------


def _known(state: str) -> str:
    if state not in STATES:
        raise ValueError(f"unknown case state: {state!r}")
    return state


def is_open(state: str) -> bool:
    """Whether a case in ``state`` is still open (not terminal; ``replied`` and ``confirmed`` are open).

    Raises:
        ValueError: on an unknown state.
    """
    return _known(state) not in TERMINAL_STATES


def clock_running(state: str) -> bool:
    """Whether the resolution clock runs while a case is in ``state`` (:data:`RUNNING_STATES`).

    Raises:
        ValueError: on an unknown state.
    """
    return _known(state) in RUNNING_STATES


def clock_paused(state: str) -> bool:
    """Whether the resolution clock is paused, not stopped, in ``state`` (waiting for the enterprise).

    Raises:
        ValueError: on an unknown state.
    """
    return _known(state) in PAUSED_STATES


def _checked_history(history: Sequence[tuple[datetime, str]]) -> None:
    for (earlier, _), (later, _) in pairwise(history):
        if later < earlier:
            raise ValueError(f"case history is not in time order: {later!r} after {earlier!r}")
    for _, state in history:
        _known(state)


def clock_pauses(history: Sequence[tuple[datetime, str]]) -> list[tuple[datetime, datetime | None]]:
    """The intervals in which a case's resolution clock did not run, for
    :meth:`~exportwatch.core.workdays.WorkCalendar.elapsed_working_days`.

    Args:
        history: The case's state changes in time order, as (when, state entered); the first is its submission
            (``submitted``). Events that do not change the state may be left in or out.

    Returns:
        (start, end) intervals, in order, during which the case sat in a state where the clock does not run
        (paused or stopped); the last one has ``end=None`` when the case is still in such a state.

    Raises:
        ValueError: on an unknown state or a history out of time order.
    """
    _checked_history(history)
    pauses: list[tuple[datetime, datetime | None]] = []
    stopped_at: datetime | None = None
    for at, state in history:
        if state in RUNNING_STATES:
            if stopped_at is not None:
                pauses.append((stopped_at, at))
                stopped_at = None
        elif stopped_at is None:
            stopped_at = at
    if stopped_at is not None:
        pauses.append((stopped_at, None))
    return pauses


def first_response_at(history: Sequence[tuple[datetime, str]]) -> datetime | None:
    """When the case first got its first response (entered a :data:`FIRST_RESPONSE_STATES` state); ``None`` if
    it has not (yet).

    Args:
        history: As for :func:`clock_pauses`.

    Raises:
        ValueError: on an unknown state or a history out of time order.
    """
    _checked_history(history)
    return next((at for at, state in history if state in FIRST_RESPONSE_STATES), None)
