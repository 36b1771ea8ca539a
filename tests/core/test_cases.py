"""The case state machine of the problem list (清单), on literals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from exportwatch.core import cases
from exportwatch.core.cases import (
    action_check,
    allowed_targets,
    clock_paused,
    clock_pauses,
    clock_running,
    first_response_at,
    is_open,
    merge_check,
    submit_check,
    transition_check,
)

# The whole table, written out once more: (from, to, actors, needs). A change to the rules changes both.
EXPECTED_TABLE = [
    ("submitted", "triaged", {"analyst"}, None),
    ("submitted", "declined", {"analyst"}, "reason"),
    ("submitted", "withdrawn", {"reporter", "town_officer"}, "reason"),
    ("submitted", "merged", {"analyst"}, None),
    ("triaged", "assigned", {"analyst"}, None),
    ("triaged", "declined", {"analyst"}, "reason"),
    ("triaged", "withdrawn", {"reporter", "town_officer"}, "reason"),
    ("triaged", "merged", {"analyst"}, None),
    ("assigned", "accepted", {"lead_handler"}, None),
    ("assigned", "returned", {"lead_handler"}, "reason"),
    ("assigned", "triaged", {"analyst"}, "reason"),
    ("assigned", "withdrawn", {"reporter", "town_officer"}, "reason"),
    ("assigned", "merged", {"analyst"}, None),
    ("returned", "triaged", {"analyst"}, None),
    ("returned", "assigned", {"analyst"}, None),
    ("returned", "declined", {"analyst"}, "reason"),
    ("returned", "withdrawn", {"reporter", "town_officer"}, "reason"),
    ("returned", "merged", {"analyst"}, None),
    ("accepted", "in_progress", {"lead_handler"}, None),
    ("accepted", "waiting_enterprise", {"lead_handler"}, "reason"),
    ("accepted", "replied", {"lead_handler"}, "reply"),
    ("accepted", "triaged", {"analyst"}, "reason"),
    ("accepted", "withdrawn", {"reporter", "town_officer"}, "reason"),
    ("accepted", "merged", {"analyst"}, None),
    ("in_progress", "waiting_enterprise", {"lead_handler"}, "reason"),
    ("in_progress", "replied", {"lead_handler"}, "reply"),
    ("in_progress", "triaged", {"analyst"}, "reason"),
    ("in_progress", "withdrawn", {"reporter", "town_officer"}, "reason"),
    ("in_progress", "merged", {"analyst"}, None),
    ("waiting_enterprise", "in_progress", {"lead_handler", "reporter", "town_officer"}, None),
    ("waiting_enterprise", "replied", {"lead_handler"}, "reply"),
    ("waiting_enterprise", "triaged", {"analyst"}, "reason"),
    ("waiting_enterprise", "withdrawn", {"reporter", "town_officer"}, "reason"),
    ("waiting_enterprise", "merged", {"analyst"}, None),
    ("replied", "confirmed", {"reporter", "town_officer", "analyst"}, "rating"),
    ("replied", "reopened", {"reporter", "town_officer", "analyst"}, "reason"),
    ("replied", "closed", {"analyst"}, "reason"),
    ("confirmed", "closed", {"analyst"}, None),
    ("confirmed", "reopened", {"analyst"}, "reason"),
    ("reopened", "in_progress", {"lead_handler"}, None),
    ("reopened", "triaged", {"analyst"}, "reason"),
    ("reopened", "withdrawn", {"reporter", "town_officer"}, "reason"),
    ("reopened", "merged", {"analyst"}, None),
]

ACTOR_ARGS = {
    "reporter": {"actor_role": "reporter"},
    "town_officer": {"actor_role": "town_officer"},
    "analyst": {"actor_role": "analyst"},
    "lead_handler": {"actor_role": "handler", "is_lead_handler": True},
    "co_handler": {"actor_role": "handler", "is_lead_handler": False},
    "leader": {"actor_role": "leader"},
    "admin": {"actor_role": "admin"},
}
GOOD_INPUT = {
    None: {},
    "reason": {"note": "not our remit"},
    "reply": {"note": "loan approved"},
    "rating": {"rating": 4},
}

ALLOWED = [
    pytest.param(current, to, actor, needs, id=f"{current}->{to} by {actor}")
    for current, to, actors, needs in EXPECTED_TABLE
    for actor in sorted(actors)
]
REFUSED = [
    pytest.param(current, to, actor, needs, id=f"{current}->{to} not by {actor}")
    for current, to, actors, needs in EXPECTED_TABLE
    for actor in sorted(ACTOR_ARGS.keys() - actors)
]


def test_the_transition_table_is_exactly_the_documented_one() -> None:
    table = {(a, b): (set(t.actors), t.needs) for (a, b), t in cases.TRANSITIONS.items()}
    assert table == {(a, b): (actors, needs) for a, b, actors, needs in EXPECTED_TABLE}


def test_every_state_has_a_chinese_label_and_terminal_states_have_no_way_out() -> None:
    assert set(cases.STATE_LABELS_ZH) == set(cases.STATES)
    assert not [pair for pair in cases.TRANSITIONS if pair[0] in cases.TERMINAL_STATES]
    assert {to for _, to in cases.TRANSITIONS} | {cases.INITIAL} == set(cases.STATES)


@pytest.mark.parametrize(("current", "to", "actor", "needs"), ALLOWED)
def test_every_allowed_transition_passes(current: str, to: str, actor: str, needs: str | None) -> None:
    assert transition_check(current, to, **ACTOR_ARGS[actor], **GOOD_INPUT[needs]) is None


@pytest.mark.parametrize(("current", "to", "actor", "needs"), REFUSED)
def test_every_other_actor_is_refused(current: str, to: str, actor: str, needs: str | None) -> None:
    assert transition_check(current, to, **ACTOR_ARGS[actor], **GOOD_INPUT[needs]) == "not_allowed"


@pytest.mark.parametrize(
    ("current", "to", "actor", "problem"),
    [
        ("submitted", "assigned", "analyst", "bad_transition"),  # triage first
        ("submitted", "accepted", "lead_handler", "bad_transition"),
        ("assigned", "in_progress", "lead_handler", "bad_transition"),  # accept first
        ("returned", "accepted", "lead_handler", "bad_transition"),
        ("replied", "closed", "reporter", "not_allowed"),
        ("replied", "in_progress", "lead_handler", "bad_transition"),
        ("replied", "withdrawn", "reporter", "bad_transition"),  # answered: confirm or reopen
        ("replied", "merged", "analyst", "bad_transition"),
        ("confirmed", "reopened", "reporter", "not_allowed"),  # only the return visit reopens a confirmed case
        ("closed", "reopened", "analyst", "bad_transition"),
        ("closed", "closed", "analyst", "bad_transition"),
        ("merged", "triaged", "analyst", "bad_transition"),
        ("withdrawn", "submitted", "reporter", "bad_transition"),
        ("declined", "triaged", "analyst", "bad_transition"),
        ("in_progress", "in_progress", "lead_handler", "bad_transition"),
        ("in_progress", "replied", "co_handler", "not_allowed"),
        ("assigned", "accepted", "co_handler", "not_allowed"),
        ("submitted", "triaged", "leader", "not_allowed"),
        ("submitted", "triaged", "admin", "not_allowed"),
        ("submitted", "triaged", "handler_of_another_kind", "not_allowed"),
        ("submitted", "deleted", "analyst", "unknown_state"),
        ("lost", "triaged", "analyst", "unknown_state"),
    ],
)
def test_a_sample_of_refused_moves(current: str, to: str, actor: str, problem: str) -> None:
    kwargs = ACTOR_ARGS.get(actor, {"actor_role": actor})
    assert transition_check(current, to, **kwargs, note="because", rating=None) == problem


def test_a_handler_flag_means_nothing_for_other_roles() -> None:
    assert transition_check("assigned", "accepted", actor_role="analyst", is_lead_handler=True) == "not_allowed"


@pytest.mark.parametrize(
    ("current", "to", "actor"),
    [
        ("assigned", "returned", "lead_handler"),
        ("replied", "reopened", "reporter"),
        ("confirmed", "reopened", "analyst"),
        ("submitted", "declined", "analyst"),
        ("in_progress", "withdrawn", "town_officer"),
        ("accepted", "waiting_enterprise", "lead_handler"),
        ("in_progress", "triaged", "analyst"),
        ("replied", "closed", "analyst"),
    ],
)
@pytest.mark.parametrize("note", ["", "   \n"])
def test_returning_reopening_and_the_like_need_a_reason(current: str, to: str, actor: str, note: str) -> None:
    assert transition_check(current, to, **ACTOR_ARGS[actor], note=note) == "reason_required"


def test_a_reply_needs_its_text() -> None:
    assert transition_check("in_progress", "replied", **ACTOR_ARGS["lead_handler"]) == "reply_required"
    assert transition_check("accepted", "replied", **ACTOR_ARGS["lead_handler"], note=" ") == "reply_required"


@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_a_confirmation_takes_a_rating_from_1_to_5(rating: int) -> None:
    assert transition_check("replied", "confirmed", actor_role="reporter", rating=rating) is None


@pytest.mark.parametrize("rating", [None, 0, 6, -1, True, 4.5, "5"])
def test_a_confirmation_without_a_proper_rating_is_refused(rating: object) -> None:
    problem = transition_check("replied", "confirmed", actor_role="reporter", note="ok", rating=rating)  # type: ignore[arg-type]
    assert problem == "rating_required"


def test_a_rating_on_any_other_move_is_refused() -> None:
    problem = transition_check("replied", "reopened", actor_role="reporter", note="still stuck", rating=1)
    assert problem == "rating_unexpected"


def test_the_comment_of_a_confirmation_is_optional() -> None:
    assert transition_check("replied", "confirmed", actor_role="town_officer", note="", rating=2) is None


@pytest.mark.parametrize(
    ("state", "actor", "targets"),
    [
        ("submitted", "analyst", ("triaged", "declined", "merged")),
        ("submitted", "reporter", ("withdrawn",)),
        ("assigned", "lead_handler", ("accepted", "returned")),
        ("assigned", "co_handler", ()),
        ("waiting_enterprise", "reporter", ("in_progress", "withdrawn")),
        ("replied", "reporter", ("confirmed", "reopened")),
        ("confirmed", "analyst", ("reopened", "closed")),
        ("closed", "analyst", ()),
        ("in_progress", "leader", ()),
        ("nowhere", "analyst", ()),
    ],
)
def test_allowed_targets_are_the_buttons_to_show(state: str, actor: str, targets: tuple[str, ...]) -> None:
    assert allowed_targets(state, **ACTOR_ARGS.get(actor, {"actor_role": actor})) == targets


@pytest.mark.parametrize(
    ("role", "problem"),
    [
        ("reporter", None),
        ("town_officer", None),
        ("analyst", None),
        ("handler", "not_allowed"),
        ("leader", "not_allowed"),
    ],
)
def test_who_may_file_a_case(role: str, problem: str | None) -> None:
    assert submit_check(actor_role=role) == problem


# --- merge ---


@pytest.mark.parametrize(
    ("duplicate", "primary", "same", "actor", "problem"),
    [
        ("submitted", "in_progress", False, "analyst", None),
        ("waiting_enterprise", "submitted", False, "analyst", None),
        ("reopened", "replied", False, "analyst", None),
        ("assigned", "confirmed", False, "analyst", None),
        ("submitted", "submitted", True, "analyst", "merge_into_self"),
        ("submitted", "closed", False, "analyst", "merge_target_closed"),
        ("submitted", "merged", False, "analyst", "merge_target_closed"),
        ("triaged", "declined", False, "analyst", "merge_target_closed"),
        ("triaged", "withdrawn", False, "analyst", "merge_target_closed"),
        ("replied", "submitted", False, "analyst", "bad_transition"),  # answered: finish it instead
        ("closed", "submitted", False, "analyst", "bad_transition"),
        ("merged", "submitted", False, "analyst", "bad_transition"),  # already merged elsewhere
        ("submitted", "submitted", False, "reporter", "not_allowed"),
        ("submitted", "submitted", False, "lead_handler", "not_allowed"),
        ("submitted", "gone", False, "analyst", "unknown_state"),
    ],
)
def test_merge_rules(duplicate: str, primary: str, same: bool, actor: str, problem: str | None) -> None:
    kwargs = ACTOR_ARGS[actor]
    assert merge_check(duplicate_state=duplicate, primary_state=primary, same_case=same, **kwargs) == problem


# --- events that do not move the case ---


@pytest.mark.parametrize(
    ("state", "action", "actor", "note", "problem"),
    [
        ("in_progress", "supervise", "analyst", "请于本周内答复", None),
        ("assigned", "supervise", "analyst", "", "note_required"),
        ("replied", "supervise", "analyst", "催促回访", None),
        ("in_progress", "supervise", "leader", "x", "not_allowed"),
        ("in_progress", "supervise", "lead_handler", "x", "not_allowed"),
        ("closed", "supervise", "analyst", "x", "case_closed"),
        ("merged", "comment", "reporter", "x", "case_closed"),
        ("in_progress", "comment", "co_handler", "协办意见：可走出口信保", None),
        ("in_progress", "comment", "lead_handler", "x", None),
        ("waiting_enterprise", "comment", "reporter", "附上合同", None),
        ("in_progress", "comment", "town_officer", " ", "note_required"),
        ("in_progress", "comment", "leader", "x", "not_allowed"),
        ("in_progress", "clock_breach", "analyst", "x", "unknown_action"),
        ("in_progress", "transition", "analyst", "x", "unknown_action"),
        ("limbo", "supervise", "analyst", "x", "unknown_state"),
    ],
)
def test_supervision_and_comments(state: str, action: str, actor: str, note: str, problem: str | None) -> None:
    assert action_check(state, action, **ACTOR_ARGS[actor], note=note) == problem


def test_supervision_is_an_event_kind_not_a_state() -> None:
    assert "supervise" in cases.EVENT_KINDS
    assert "supervise" not in cases.STATES


# --- helpers and clocks ---


@pytest.mark.parametrize(
    ("state", "open_", "running", "paused"),
    [
        ("submitted", True, True, False),
        ("triaged", True, True, False),
        ("assigned", True, True, False),
        ("accepted", True, True, False),
        ("returned", True, True, False),
        ("in_progress", True, True, False),
        ("waiting_enterprise", True, False, True),
        ("replied", True, False, False),
        ("confirmed", True, False, False),
        ("reopened", True, True, False),
        ("closed", False, False, False),
        ("declined", False, False, False),
        ("withdrawn", False, False, False),
        ("merged", False, False, False),
    ],
)
def test_open_states_and_the_resolution_clock(state: str, open_: bool, running: bool, paused: bool) -> None:
    assert (is_open(state), clock_running(state), clock_paused(state)) == (open_, running, paused)


def test_the_helpers_refuse_an_unknown_state() -> None:
    with pytest.raises(ValueError, match="unknown case state"):
        is_open("lost")
    with pytest.raises(ValueError, match="unknown case state"):
        clock_running("lost")


CST = timezone(timedelta(hours=8))


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2020, 3, day, hour, tzinfo=CST)


def test_the_clock_pauses_while_waiting_and_stops_once_replied_until_reopened() -> None:
    history = [
        (at(2), "submitted"),
        (at(2, 11), "triaged"),
        (at(3), "assigned"),
        (at(3, 10), "accepted"),
        (at(4), "waiting_enterprise"),
        (at(6), "in_progress"),
        (at(9), "replied"),
        (at(10), "reopened"),
        (at(11), "in_progress"),
        (at(12), "replied"),
    ]
    assert clock_pauses(history) == [(at(4), at(6)), (at(9), at(10)), (at(12), None)]


def test_a_closed_case_stays_stopped_and_consecutive_stopped_states_make_one_pause() -> None:
    history = [(at(2), "submitted"), (at(2, 10), "triaged"), (at(3), "declined")]
    assert clock_pauses(history) == [(at(3), None)]
    history = [(at(2), "submitted"), (at(5), "replied"), (at(6), "confirmed"), (at(7), "closed")]
    assert clock_pauses(history) == [(at(5), None)]


def test_a_history_out_of_order_or_with_an_unknown_state_is_refused() -> None:
    with pytest.raises(ValueError, match="time order"):
        clock_pauses([(at(3), "submitted"), (at(2), "triaged")])
    with pytest.raises(ValueError, match="unknown case state"):
        clock_pauses([(at(2), "submitted"), (at(3), "lost")])


def test_the_first_response_is_the_first_acceptance_after_any_return() -> None:
    history = [
        (at(2), "submitted"),
        (at(2, 10), "triaged"),
        (at(2, 11), "assigned"),
        (at(3), "returned"),
        (at(3, 12), "assigned"),
        (at(4), "accepted"),
        (at(5), "triaged"),  # recalled later: the first response stands
        (at(5, 10), "assigned"),
        (at(6), "accepted"),
    ]
    assert first_response_at(history) == at(4)


def test_a_declined_case_was_answered_and_a_withdrawn_one_never_was() -> None:
    assert first_response_at([(at(2), "submitted"), (at(2, 15), "triaged"), (at(3), "declined")]) == at(3)
    assert first_response_at([(at(2), "submitted"), (at(3), "withdrawn")]) is None
    assert first_response_at([]) is None
