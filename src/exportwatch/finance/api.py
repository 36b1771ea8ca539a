"""The financing white list in the REST API, at /api/whitelist: the same scopes, rules and services as the pages.

Entries are read by the bureau's users of their scope (a town officer their town's); referrals also by the
handlers of the bank or insurer they were made to. Analysts decide and refer; the institution's handler (or an
analyst) records an outcome. A role that may never do a thing gets 403, an entry or referral outside the caller's
scope 404, and a change the rules refuse 422 with the problem's sentence. Amounts are US dollars.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from exportwatch.api.errors import MessageOut, ProblemsOut
from exportwatch.core.codes import normalize_uscc
from exportwatch.finance import selectors as sel
from exportwatch.finance.labels import problem_text
from exportwatch.finance.models import Approval, Outcome, PriorityLevel, Product, Referral, WhitelistEntry
from exportwatch.finance.services import (
    WhitelistRefused,
    entry_decide,
    referral_create,
    referral_record_outcome,
)

router = Router(tags=["white list"])


class MatchOut(Schema):
    product: str
    reason: str
    reason_en: str


class EntryOut(Schema):
    uscc: str
    name: str
    town: str
    eligible: bool
    reason: str
    reason_en: str
    figures: dict[str, Any]
    priority: str
    priority_reasons: list[dict[str, str]]
    money_needs_usd: Decimal
    products: list[MatchOut]
    approval: str
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str
    refreshed_at: dt.datetime

    @staticmethod
    def resolve_uscc(obj: WhitelistEntry) -> str:
        return obj.enterprise.uscc

    @staticmethod
    def resolve_name(obj: WhitelistEntry) -> str:
        return obj.enterprise.name

    @staticmethod
    def resolve_town(obj: WhitelistEntry) -> str:
        return obj.enterprise.town_id

    @staticmethod
    def resolve_products(obj: WhitelistEntry) -> list[Any]:
        return sorted(obj.matches.all(), key=lambda m: m.product)

    @staticmethod
    def resolve_decided_by(obj: WhitelistEntry) -> str | None:
        return obj.decided_by.username if obj.decided_by_id else None


class EntryPage(Schema):
    count: int
    items: list[EntryOut]


class DecisionIn(Schema):
    decision: str = Field(..., description="approved | rejected")
    note: str = Field("", max_length=500, description="Why (required to reject)")


class ReferralIn(Schema):
    product: str = Field(..., description=" | ".join(Product.values))
    institution: str = Field(..., description="The code of a bank or of the credit insurer (a department)")
    note: str = Field("", max_length=500)


class OutcomeIn(Schema):
    outcome: str = Field(..., description="granted | refused")
    granted_usd: Decimal | None = Field(None, description="Amount granted, USD (granted)")
    granted_on: dt.date | None = Field(None, description="Date granted (granted)")
    reason: str = Field("", max_length=500, description="Why refused (refused)")


class ReferralOut(Schema):
    id: int
    uscc: str
    name: str
    product: str
    institution: str = Field(..., alias="institution_id")
    note: str
    referred_by: str | None
    referred_at: dt.datetime
    outcome: str
    granted_usd: Decimal | None
    granted_on: dt.date | None
    refusal_reason: str
    outcome_at: dt.datetime | None

    @staticmethod
    def resolve_uscc(obj: Referral) -> str:
        return obj.entry.enterprise.uscc

    @staticmethod
    def resolve_name(obj: Referral) -> str:
        return obj.entry.enterprise.name

    @staticmethod
    def resolve_referred_by(obj: Referral) -> str | None:
        return obj.referred_by.username if obj.referred_by_id else None


class ReferralPage(Schema):
    count: int
    items: list[ReferralOut]


FIELD_OF = {
    "reason_required": "note",
    "bad_decision": "decision",
    "bad_product": "product",
    "not_institution": "institution",
    "wrong_institution": "institution",
    "bad_outcome": "outcome",
    "amount_required": "granted_usd",
    "date_required": "granted_on",
    "date_in_future": "granted_on",
    "date_before_referral": "granted_on",
    "refusal_reason_required": "reason",
}


def _refused(exc: WhitelistRefused) -> tuple[int, dict[str, Any]]:
    return 422, {
        "detail": [
            {"field": FIELD_OF.get(exc.code, ""), "code": exc.code, "message": problem_text(exc.code, exc.params)}
        ]
    }


def _forbidden() -> dict[str, str]:
    return {"detail": _("The financing white list is for the bureau's analysts, leaders and town officers.")}


@router.get(
    "/entries", response={200: EntryPage, 403: MessageOut, 422: ProblemsOut}, summary="White-list entries in your scope"
)
def entry_list(
    request: HttpRequest,
    eligible: str = Query("yes", description="yes | no | all"),
    approval: str = "",
    priority: str = "",
    product: str = "",
    town: str = "",
    q: str = "",
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),  # a larger one overflows the SQL OFFSET
) -> Any:
    """Most urgent first; ``approval`` pending|approved|rejected, ``priority`` high|medium|normal, ``product`` a
    product code, ``town`` a town code."""
    if not sel.may_read_list(request.user):
        return 403, _forbidden()
    if (
        eligible not in ("yes", "no", "all")
        or (approval and approval not in Approval.values)
        or (priority and priority not in PriorityLevel.values)
        or (product and product not in Product.values)
    ):
        return 422, {"detail": [{"field": "query", "code": "bad_choice", "message": _("Unknown filter value.")}]}
    f = sel.EntryFilter(eligible=eligible, approval=approval, priority=priority, product=product, town=town, q=q)
    qs = sel.entries_filter(sel.entries_visible(request.user), f).prefetch_related("matches")
    return 200, {"count": qs.count(), "items": list(qs[offset : offset + limit])}


@router.get("/entries/{uscc}", response={200: EntryOut, 403: MessageOut}, summary="One entry")
def entry_detail(request: HttpRequest, uscc: str) -> Any:
    if not sel.may_read_list(request.user):
        return 403, _forbidden()
    return 200, sel.entry_get(request.user, normalize_uscc(uscc))


@router.post(
    "/entries/{uscc}/decision",
    response={200: EntryOut, 403: MessageOut, 422: ProblemsOut},
    summary="Approve or reject an entry (analysts)",
)
def entry_decision(request: HttpRequest, uscc: str, payload: DecisionIn) -> Any:
    if not sel.may_read_list(request.user):
        return 403, _forbidden()
    entry = sel.entry_get(request.user, normalize_uscc(uscc))
    if not sel.may_decide(request.user):
        return 403, {"detail": _("Only the bureau's analysts approve or reject entries.")}
    try:
        entry = entry_decide(entry=entry, decision=payload.decision, actor=request.user, note=payload.note)
    except WhitelistRefused as exc:
        return _refused(exc)
    return 200, sel.entry_get(request.user, entry.enterprise.uscc)


@router.post(
    "/entries/{uscc}/referrals",
    response={201: ReferralOut, 403: MessageOut, 422: ProblemsOut},
    summary="Refer an approved entry to a bank or the credit insurer (analysts)",
)
def referral_new(request: HttpRequest, uscc: str, payload: ReferralIn) -> Any:
    if not sel.may_read_list(request.user):
        return 403, _forbidden()
    entry = sel.entry_get(request.user, normalize_uscc(uscc))
    if not sel.may_decide(request.user):
        return 403, {"detail": _("Only the bureau's analysts refer entries.")}
    institution = sel.institutions().filter(code=payload.institution).first()
    if institution is None:
        return _refused(WhitelistRefused("not_institution"))
    try:
        referral = referral_create(
            entry=entry, product=payload.product, institution=institution, actor=request.user, note=payload.note
        )
    except WhitelistRefused as exc:
        return _refused(exc)
    return 201, sel.referral_get(request.user, referral.pk)


@router.get(
    "/referrals", response={200: ReferralPage, 403: MessageOut, 422: ProblemsOut}, summary="Referrals in your scope"
)
def referral_list(
    request: HttpRequest,
    institution: str = "",
    product: str = "",
    outcome: str = "",
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),  # a larger one overflows the SQL OFFSET
) -> Any:
    """The bureau's users: the referrals of their entries; a bank's or the insurer's handler: those made to their
    department. ``outcome`` pending|granted|refused."""
    if not sel.may_read_referrals(request.user):
        return 403, {"detail": _("Referrals are for the bureau and the institutions they are made to.")}
    qs = sel.referrals_visible(request.user)
    if institution:
        qs = qs.filter(institution_id=institution)
    if product:
        qs = qs.filter(product=product)
    if outcome:
        if outcome not in Outcome.values:
            return 422, {"detail": [{"field": "outcome", "code": "bad_choice", "message": _("Unknown outcome.")}]}
        qs = qs.filter(outcome=outcome)
    qs = qs.order_by("-referred_at", "-id")
    return 200, {"count": qs.count(), "items": list(qs[offset : offset + limit])}


@router.post(
    "/referrals/{referral_id}/outcome",
    response={200: ReferralOut, 403: MessageOut, 422: ProblemsOut},
    summary="Record what the institution decided (its handler, or an analyst)",
)
def referral_outcome(request: HttpRequest, referral_id: int, payload: OutcomeIn) -> Any:
    if not sel.may_read_referrals(request.user):
        return 403, {"detail": _("Referrals are for the bureau and the institutions they are made to.")}
    referral = sel.referral_get(request.user, referral_id)
    if not sel.may_record_outcome(request.user, referral):
        return 403, {"detail": _("Only the institution's handlers and the bureau's analysts record outcomes.")}
    try:
        referral = referral_record_outcome(
            referral=referral,
            outcome=payload.outcome,
            actor=request.user,
            granted_usd=payload.granted_usd,
            granted_on=payload.granted_on,
            reason=payload.reason,
        )
    except WhitelistRefused as exc:
        return _refused(exc)
    return 200, sel.referral_get(request.user, referral.pk)
