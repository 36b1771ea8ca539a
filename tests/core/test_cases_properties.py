"""Property tests of the closed loop (``core.cases``): random sequences of attempted moves, by any actor with or
without a note or a rating, never leave the defined states, never leave a terminal state, and never close a case
without the enterprise's confirmation or a recorded reason."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from exportwatch.core import cases as core

ROLE = st.sampled_from(core.ROLES)
ATTEMPT = st.tuples(
    st.sampled_from(core.STATES),  # the state asked for
    ROLE,
    st.booleans(),  # a handler of the lead department (else a co-handler)
    st.sampled_from(["", "   ", "已联系银行"]),  # the note
    st.one_of(st.none(), st.integers(-1, 7), st.just(True)),  # the rating
)


Attempt = tuple[str, str, bool, str, int | None]


@dataclass
class Step:
    from_state: str
    to: str
    note: str
    rating: int | None


def _walk(attempts: list[Attempt]) -> tuple[str, list[Step], list[str | None]]:
    """Apply the attempts as the services do: a move happens only when the core finds no problem."""
    state: str = core.INITIAL
    steps: list[Step] = []
    problems: list[str | None] = []
    for to, role, lead, note, rating in attempts:
        problem = core.transition_check(state, to, actor_role=role, is_lead_handler=lead, note=note, rating=rating)
        problems.append(problem)
        if problem is None:
            steps.append(Step(state, to, note, rating))
            state = to
    return state, steps, problems


@settings(max_examples=400)
@given(st.lists(ATTEMPT, max_size=40))
def test_random_moves_never_reach_an_undefined_state_nor_leave_a_terminal_one(attempts: list[Attempt]) -> None:
    state, steps, _problems = _walk(attempts)
    assert state in core.STATES
    for step in steps:
        assert (step.from_state, step.to) in core.TRANSITIONS
        assert step.from_state not in core.TERMINAL_STATES  # nothing moves out of an end
        assert step.from_state != step.to


@settings(max_examples=400)
@given(st.lists(ATTEMPT, max_size=40))
def test_every_closed_case_was_confirmed_with_a_rating_or_closed_with_a_reason(attempts: list[Attempt]) -> None:
    state, steps, _problems = _walk(attempts)
    for step in steps:
        if step.to == core.CONFIRMED:
            assert step.rating in core.RATINGS and not isinstance(step.rating, bool)
        if step.to in (core.DECLINED, core.WITHDRAWN, core.RETURNED, core.REOPENED):
            assert step.note.strip()
    if state == core.CLOSED:
        closing = steps[-1]
        confirmed = closing.from_state == core.CONFIRMED
        assert confirmed or closing.note.strip(), "closed without the enterprise's confirmation or a reason"
        if confirmed:
            assert any(s.to == core.CONFIRMED and s.rating in core.RATINGS for s in steps)


@settings(max_examples=300)
@given(st.lists(ATTEMPT, max_size=40))
def test_leaders_administrators_and_co_handlers_never_move_a_case(attempts: list[Attempt]) -> None:
    state = core.INITIAL
    for to, role, lead, note, rating in attempts:
        problem = core.transition_check(state, to, actor_role=role, is_lead_handler=lead, note=note, rating=rating)
        if role in (core.LEADER, core.ADMIN) or (role == core.HANDLER and not lead):
            assert problem is not None
        elif problem is None:
            state = to


@given(st.sampled_from(core.STATES), ROLE, st.booleans())
def test_the_offered_targets_are_exactly_the_moves_the_check_lets_through_with_what_they_need(
    state: str, role: str, lead: bool
) -> None:
    offered = core.allowed_targets(state, actor_role=role, is_lead_handler=lead)
    for to in core.STATES:
        passes = core.transition_check(state, to, actor_role=role, is_lead_handler=lead, note="说明", rating=None)
        rated = core.transition_check(state, to, actor_role=role, is_lead_handler=lead, note="说明", rating=5)
        assert (to in offered) == (passes is None or rated is None)
