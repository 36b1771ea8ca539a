"""Reads of the white list, always through the user's scope.

* Analysts, leaders and town officers read the entries of the enterprises they may read
  (``common.scoping.enterprises_visible``: a town officer their town's) and the referrals of those entries;
  administrators everything.
* A handler of a bank or of the credit insurer reads only the referrals made to their department (with the
  enterprise facts a referral carries), never the list itself.
* Reporters and handlers of other departments read nothing here.

Who may change what: analysts (and administrators) approve or reject entries, refer them and record outcomes;
the handler of the institution a referral was made to records its outcome; leaders and town officers only read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from exportwatch.accounts.models import Role
from exportwatch.common.scoping import can_see_bureau_pages, enterprises_visible, is_admin
from exportwatch.core import whitelist as core
from exportwatch.directory.models import Department
from exportwatch.finance.models import Approval, Outcome, Referral, WhitelistEntry


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_institution_handler(user: Any) -> bool:
    """A handler of a bank or of the credit insurer (the departments referrals go to)."""
    return bool(
        _active(user)
        and user.role == Role.HANDLER
        and user.department_id
        and user.department.kind in core.INSTITUTION_KINDS
    )


def may_read_list(user: Any) -> bool:
    return _active(user) and can_see_bureau_pages(user)


def may_read_referrals(user: Any) -> bool:
    return may_read_list(user) or is_institution_handler(user)


def may_decide(user: Any) -> bool:
    """Approve, reject and refer: the bureau's analysts."""
    return _active(user) and (is_admin(user) or user.role == Role.ANALYST)


def may_record_outcome(user: Any, referral: Referral) -> bool:
    if may_decide(user):
        return True
    return is_institution_handler(user) and referral.institution_id == user.department_id


def entries_visible(user: Any) -> QuerySet[WhitelistEntry]:
    qs = WhitelistEntry.objects.select_related("enterprise", "enterprise__town", "decided_by")
    if not may_read_list(user):
        return qs.none()
    if is_admin(user):
        return qs
    return qs.filter(enterprise__in=enterprises_visible(user))


def entry_get(user: Any, uscc: str) -> WhitelistEntry:
    entry = entries_visible(user).filter(enterprise__uscc=uscc).first()
    if entry is None:
        raise Http404
    return entry


@dataclass(frozen=True)
class EntryFilter:
    eligible: str = "yes"  # yes | no | all
    approval: str = ""  # an Approval value or ""
    priority: str = ""  # a PriorityLevel value or ""
    product: str = ""  # a Product value or ""
    town: str = ""  # a town code or ""
    q: str = ""  # part of the name or the credit code


def entries_filter(qs: QuerySet[WhitelistEntry], f: EntryFilter) -> QuerySet[WhitelistEntry]:
    if f.eligible == "yes":
        qs = qs.filter(eligible=True)
    elif f.eligible == "no":
        qs = qs.filter(eligible=False)
    if f.approval:
        qs = qs.filter(approval=f.approval)
    if f.priority:
        qs = qs.filter(priority=f.priority)
    if f.product:
        qs = qs.filter(matches__product=f.product)
    if f.town:
        qs = qs.filter(enterprise__town_id=f.town)
    if f.q:
        qs = qs.filter(Q(enterprise__name__icontains=f.q) | Q(enterprise__uscc__icontains=f.q.upper()))
    return qs.order_by("-eligible", "-priority_rank", "-money_needs_usd", "enterprise__uscc").distinct()


def referrals_visible(user: Any) -> QuerySet[Referral]:
    qs = Referral.objects.select_related(
        "entry", "entry__enterprise", "entry__enterprise__town", "institution", "referred_by", "outcome_by"
    )
    if not _active(user):
        return qs.none()
    if is_admin(user):
        return qs
    if is_institution_handler(user):
        return qs.filter(institution_id=user.department_id)
    if may_read_list(user):
        return qs.filter(entry__in=entries_visible(user))
    return qs.none()


def referral_get(user: Any, pk: int) -> Referral:
    referral = referrals_visible(user).filter(pk=pk).first()
    if referral is None:
        raise Http404
    return referral


def institutions() -> QuerySet[Department]:
    """The banks and the credit insurer referrals go to."""
    return Department.objects.filter(kind__in=core.INSTITUTION_KINDS).order_by("kind", "code")


def institutions_for(user: Any) -> QuerySet[Department]:
    """The institutions whose referral lists ``user`` may download: all of them for the bureau, their own for a
    bank's or the insurer's handler."""
    if is_institution_handler(user):
        return institutions().filter(code=user.department_id)
    return institutions() if may_read_list(user) else Department.objects.none()


@dataclass
class Tally:
    key: str
    label: str
    referred: int = 0
    granted: int = 0
    refused: int = 0
    pending: int = 0
    granted_usd: Decimal = Decimal(0)


@dataclass
class Progress:
    eligible: int
    approved: int
    rejected: int
    pending_approval: int
    high_priority: int
    referred_entries: int
    referrals: int
    granted: int
    refused: int
    awaiting: int
    granted_usd: Decimal
    by_product: list[Tally]
    by_institution: list[Tally]
    by_town: list[Tally]


def _tallies(referrals: QuerySet[Referral], field: str, labels: dict[str, str]) -> list[Tally]:
    rows = (
        referrals.values(field)
        .annotate(
            n=Count("id"),
            n_granted=Count("id", filter=Q(outcome=Outcome.GRANTED)),
            n_refused=Count("id", filter=Q(outcome=Outcome.REFUSED)),
            n_pending=Count("id", filter=Q(outcome=Outcome.PENDING)),
            amount=Sum("granted_usd", filter=Q(outcome=Outcome.GRANTED)),
        )
        .order_by(field)
    )
    return [
        Tally(
            key=r[field],
            label=labels.get(r[field], r[field]),
            referred=r["n"],
            granted=r["n_granted"],
            refused=r["n_refused"],
            pending=r["n_pending"],
            granted_usd=r["amount"] or Decimal(0),
        )
        for r in rows
    ]


def progress_of(user: Any, *, product_labels: dict[str, str]) -> Progress:
    """Counts and amounts of the list and its referrals in ``user``'s scope."""
    entries = entries_visible(user)
    referrals = referrals_visible(user)
    counts = entries.aggregate(
        n_eligible=Count("id", filter=Q(eligible=True)),
        n_approved=Count("id", filter=Q(eligible=True, approval=Approval.APPROVED)),
        n_rejected=Count("id", filter=Q(eligible=True, approval=Approval.REJECTED)),
        n_pending=Count("id", filter=Q(eligible=True, approval=Approval.PENDING)),
        n_high=Count("id", filter=Q(eligible=True, priority=core.HIGH)),
    )
    outcome = referrals.aggregate(
        n=Count("id"),
        n_entries=Count("entry", distinct=True),
        n_granted=Count("id", filter=Q(outcome=Outcome.GRANTED)),
        n_refused=Count("id", filter=Q(outcome=Outcome.REFUSED)),
        n_pending=Count("id", filter=Q(outcome=Outcome.PENDING)),
        amount=Sum("granted_usd", filter=Q(outcome=Outcome.GRANTED)),
    )
    institution_names = {d.code: d.label for d in institutions()}
    towns = dict(referrals.values_list("entry__enterprise__town_id", "entry__enterprise__town__name").distinct())
    return Progress(
        eligible=counts["n_eligible"],
        approved=counts["n_approved"],
        rejected=counts["n_rejected"],
        pending_approval=counts["n_pending"],
        high_priority=counts["n_high"],
        referred_entries=outcome["n_entries"],
        referrals=outcome["n"],
        granted=outcome["n_granted"],
        refused=outcome["n_refused"],
        awaiting=outcome["n_pending"],
        granted_usd=outcome["amount"] or Decimal(0),
        by_product=_tallies(referrals, "product", product_labels),
        by_institution=_tallies(referrals, "institution_id", institution_names),
        by_town=_tallies(referrals, "entry__enterprise__town_id", towns),
    )
