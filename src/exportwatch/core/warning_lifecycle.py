"""A warning's lifecycle and the action it recommends (DESIGN §7).

States: ``new`` → ``acknowledged`` → ``following_up`` (a visit or a linked case) → ``resolved`` or
``false_alarm`` (closed, with a reason). A closed warning may be reopened to ``acknowledged`` (with a reason) if
it proves real after all; a new one may be closed at once (a false alarm seen at a glance) but never silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

NEW, ACKNOWLEDGED, FOLLOWING_UP, RESOLVED, FALSE_ALARM = (
    "new",
    "acknowledged",
    "following_up",
    "resolved",
    "false_alarm",
)
STATES = (NEW, ACKNOWLEDGED, FOLLOWING_UP, RESOLVED, FALSE_ALARM)
CLOSED = frozenset({RESOLVED, FALSE_ALARM})

TRANSITIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        NEW: frozenset({ACKNOWLEDGED, FOLLOWING_UP, RESOLVED, FALSE_ALARM}),
        ACKNOWLEDGED: frozenset({FOLLOWING_UP, RESOLVED, FALSE_ALARM}),
        FOLLOWING_UP: frozenset({RESOLVED, FALSE_ALARM}),
        RESOLVED: frozenset({ACKNOWLEDGED}),
        FALSE_ALARM: frozenset({ACKNOWLEDGED}),
    }
)


def transition_problem(current: str, target: str, note: str) -> str | None:
    """Why a warning cannot go from ``current`` to ``target`` with ``note``; None when it can.

    Returns one of ``"unknown_state"``, ``"not_allowed"`` or ``"reason_required"`` (closing, and reopening,
    need a reason: the record must say why a warning was dismissed or revived).
    """
    if current not in TRANSITIONS or target not in TRANSITIONS:
        return "unknown_state"
    if target not in TRANSITIONS[current]:
        return "not_allowed"
    if (target in CLOSED or current in CLOSED) and not note.strip():
        return "reason_required"
    return None


# --- recommended actions ---------------------------------------------------------------------------------------

VISIT = "visit"  # the town officer visits the enterprise
WHITE_LIST = "white_list"  # put it on the financing white list and refer it to the banks
CREDIT_INSURANCE = "credit_insurance"  # export credit insurance for its main market
MARKET_DIVERSIFY = "market_diversify"  # fairs and matchmaking in other markets
SECTOR_MEETING = "sector_meeting"  # meet the enterprises of the sector or town, brief the leaders
MARKET_BRIEF = "market_brief"  # a market brief to every exposed enterprise, insurance for their receivables
SYSTEMIC_RESPONSE = "systemic_response"  # report upward, a package of measures

ACTIONS = (VISIT, WHITE_LIST, CREDIT_INSURANCE, MARKET_DIVERSIFY, SECTOR_MEETING, MARKET_BRIEF, SYSTEMIC_RESPONSE)


def recommended_actions(
    *,
    scope: str,
    level: str,
    financing_need: bool = False,
    main_market_in_warning: bool = False,
    concentrated: bool = False,
) -> tuple[str, ...]:
    """What the bureau should do about a warning, most urgent first (codes of :data:`ACTIONS`).

    An enterprise at red or orange gets a visit by its town officer; at red with a financing need (or any level
    with one), the white list and a loan referral; with its main market in warning, credit insurance; if it sells
    mostly to one market (``concentrated``), help to diversify. A market, market group or HS chapter in warning
    calls for a brief to the exposed enterprises and insurance of their receivables; an industry or a town, a
    meeting with its enterprises; the whole jurisdiction, a coordinated response.
    """
    actions: list[str] = []
    if scope == "enterprise":
        if level in ("red", "orange"):
            actions.append(VISIT)
        if financing_need:
            actions.append(WHITE_LIST)
        if main_market_in_warning:
            actions.append(CREDIT_INSURANCE)
        if concentrated:
            actions.append(MARKET_DIVERSIFY)
        if not actions:
            actions.append(VISIT)
    elif scope in ("market", "market_group", "hs"):
        actions.append(MARKET_BRIEF)
    elif scope in ("industry", "town"):
        actions.append(SECTOR_MEETING)
    else:
        actions.append(SYSTEMIC_RESPONSE)
    return tuple(actions)
