"""Writes of the white list, each audited (``common.audit``): the refresh from data, the analyst's decision, the
referrals to banks and the credit insurer, and their outcomes.

``whitelist_refresh`` is idempotent: it judges every enterprise that qualifies (and every one already on the list)
with ``core.whitelist.assess``, adds the newly qualifying, updates the entries whose judgement changed (one audit
row each), marks those that stopped qualifying (never deletes them) and leaves the approvals alone. The background
worker runs it when the registry, the needs, the cases or the warnings changed (``handle_one_refresh``).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from exportwatch.common import clock
from exportwatch.common.audit import audit_record
from exportwatch.core import whitelist as core
from exportwatch.directory.models import Department, Enterprise
from exportwatch.finance.adapters import figures_of, finance_facts
from exportwatch.finance.models import (
    Approval,
    Outcome,
    Product,
    Referral,
    RefreshState,
    WhitelistEntry,
    WhitelistMatch,
)

BATCH = 2_000  # enterprises judged per round of queries
CHECK_EVERY_SECONDS = 60  # how often the background step looks whether the data changed


class WhitelistRefused(Exception):
    """A change the rules refuse; ``code`` is a key of ``labels.PROBLEM_MESSAGES``."""

    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class RefreshResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    no_longer_eligible: int = 0
    eligible: int = 0


def _threshold() -> Decimal:
    return Decimal(settings.EXPORTWATCH_WHITELIST_TRADE_USD)


def _state(entry: WhitelistEntry, products: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """The part of an entry a refresh writes, as compared and audited."""
    return {
        "eligible": entry.eligible,
        "reason": entry.reason,
        "priority": entry.priority,
        "money_needs_usd": str(Decimal(entry.money_needs_usd).quantize(Decimal("0.01"))),
        "products": sorted(products),
        "figures": entry.figures,
        "_products_text": products,
        "_reason_en": entry.reason_en,
        "_priority_reasons": entry.priority_reasons,
    }


def _audited(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if not k.startswith("_")}


def _apply(entry: WhitelistEntry, a: core.Assessment, figures: dict[str, Any], now: dt.datetime) -> None:
    entry.reason = a.eligibility.reason.zh
    entry.reason_en = a.eligibility.reason.en
    entry.figures = figures
    entry.priority = a.priority.level
    entry.priority_rank = a.priority.rank
    entry.priority_reasons = [{"code": r.code, "zh": r.zh, "en": r.en} for r in a.priority.reasons]
    entry.money_needs_usd = a.priority.money_needs_usd.quantize(Decimal("0.01"))
    if a.eligibility.eligible:
        entry.ineligible_since = None
    elif entry.eligible or entry.ineligible_since is None:
        entry.ineligible_since = now
    entry.eligible = a.eligibility.eligible
    entry.refreshed_at = now


def whitelist_refresh(*, actor: Any = None) -> RefreshResult:
    """Judge every qualifying or listed enterprise again and store the changes (see the module docstring)."""
    threshold = _threshold()
    now = clock.now()
    result = RefreshResult()
    with transaction.atomic():
        listed = set(WhitelistEntry.objects.values_list("enterprise_id", flat=True))
        candidates = (
            Enterprise.objects.filter(Q(trade_last_year_usd__gte=threshold) | Q(pk__in=listed))
            .select_related("town")
            .only("id", "uscc", "exports_last_year_usd", "imports_last_year_usd", "town__path")
            .order_by("id")
        )
        ids = list(candidates.values_list("id", flat=True))
        for start in range(0, len(ids), BATCH):
            chunk = list(candidates.filter(pk__in=ids[start : start + BATCH]))
            _refresh_chunk(chunk, threshold=threshold, now=now, actor=actor, result=result)
        RefreshState.objects.update_or_create(
            key="whitelist", defaults={"refreshed_at": now, "signature": data_signature()}
        )
    result.eligible = WhitelistEntry.objects.filter(eligible=True).count()
    return result


def _refresh_chunk(
    chunk: list[Enterprise], *, threshold: Decimal, now: dt.datetime, actor: Any, result: RefreshResult
) -> None:
    facts = finance_facts(chunk)
    entries = {
        e.enterprise_id: e
        for e in WhitelistEntry.objects.select_for_update()
        .filter(enterprise_id__in=[c.pk for c in chunk])
        .prefetch_related("matches")
    }
    touched: list[WhitelistEntry] = []
    for enterprise in chunk:
        f = facts[enterprise.pk]
        a = core.assess(f, threshold_usd=threshold)
        figures = figures_of(f, a)
        products = {m.product: (m.reason.zh, m.reason.en) for m in a.products}
        entry = entries.get(enterprise.pk)
        if entry is None:
            if not a.eligibility.eligible:
                continue
            entry = WhitelistEntry(enterprise=enterprise, first_eligible_at=now)
            _apply(entry, a, figures, now)
            entry.save()
            _matches_set(entry, products)
            audit_record(
                actor=actor,
                action="whitelist.add",
                object_type="whitelist_entry",
                object_key=enterprise.uscc,
                new=_audited(_state(entry, products)),
                enterprise=enterprise,
            )
            result.added += 1
            continue
        old_products = {m.product: (m.reason, m.reason_en) for m in entry.matches.all()}
        before = _state(entry, old_products)
        was_eligible = entry.eligible
        _apply(entry, a, figures, now)
        after = _state(entry, products)
        if before == after:
            touched.append(entry)
            result.unchanged += 1
            continue
        entry.save()
        if old_products != products:
            _matches_set(entry, products)
        changed = {k for k in _audited(after) if before[k] != after[k]}
        audit_record(
            actor=actor,
            action="whitelist.refresh",
            object_type="whitelist_entry",
            object_key=enterprise.uscc,
            old={k: _audited(before)[k] for k in sorted(changed)},
            new={k: _audited(after)[k] for k in sorted(changed)},
            note="" if changed else "wording",
            enterprise=enterprise,
        )
        result.updated += 1
        if was_eligible and not entry.eligible:
            result.no_longer_eligible += 1
    if touched:
        WhitelistEntry.objects.filter(pk__in=[e.pk for e in touched]).update(refreshed_at=now)


def _matches_set(entry: WhitelistEntry, products: dict[str, tuple[str, str]]) -> None:
    WhitelistMatch.objects.filter(entry=entry).delete()
    WhitelistMatch.objects.bulk_create(
        [WhitelistMatch(entry=entry, product=p, reason=zh, reason_en=en) for p, (zh, en) in products.items()]
    )


def data_signature() -> str:
    """A fingerprint of the data the list is judged on: when it is unchanged, so is every judgement."""
    from exportwatch.cases.models import CaseEvent
    from exportwatch.reporting.models import Disruption, Need
    from exportwatch.warnings.models import Warning, WarningEvent

    registry = Enterprise.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    parts = [
        clock.today().isoformat(),
        str(_threshold()),
        str(registry["n"]),
        str(registry["at"]),
        str(Need.objects.aggregate(at=Max("created_at"), n=Count("id"))),
        str(Disruption.objects.aggregate(at=Max("created_at"))["at"]),
        str(CaseEvent.objects.aggregate(at=Max("at"))["at"]),
        str(Warning.objects.filter(scope="enterprise").aggregate(at=Max("evaluated_at"))["at"]),
        str(WarningEvent.objects.aggregate(at=Max("at"))["at"]),
    ]
    return "|".join(parts)[:200]


_last_check = 0.0


def whitelist_refresh_if_stale() -> bool:
    """Refresh the list when its data changed since the last refresh; returns whether it did."""
    state = RefreshState.objects.filter(key="whitelist").first()
    if state is not None and state.signature == data_signature():
        return False
    whitelist_refresh()
    return True


def handle_one_refresh() -> bool:
    """A step of the background worker: refresh the list when its data changed (looked at once a minute at most).

    Always returns False: the check is periodic, not a queue, and a refresh takes in everything at once, so it never
    leaves work that should keep the worker from sleeping (nor counts as one of its queue steps)."""
    global _last_check
    if time.monotonic() - _last_check < CHECK_EVERY_SECONDS:
        return False
    _last_check = time.monotonic()
    whitelist_refresh_if_stale()
    return False


# --- the analyst's decision ------------------------------------------------------------------------------------


def entry_decide(*, entry: WhitelistEntry, decision: str, actor: Any, note: str = "") -> WhitelistEntry:
    """Approve or reject an entry (again, to change one's mind); a rejection needs a reason, an approval an
    enterprise that still qualifies."""
    note = note.strip()
    if decision not in (Approval.APPROVED, Approval.REJECTED):
        raise WhitelistRefused("bad_decision")
    if decision == Approval.REJECTED and not note:
        raise WhitelistRefused("reason_required")
    with transaction.atomic():
        locked = WhitelistEntry.objects.select_for_update().get(pk=entry.pk)
        if decision == Approval.APPROVED and not locked.eligible:
            raise WhitelistRefused("not_eligible")
        before = {"approval": locked.approval, "note": locked.decision_note}
        locked.approval = decision
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.decision_note = note[:500]
        locked.save(update_fields=["approval", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action=f"whitelist.{'approve' if decision == Approval.APPROVED else 'reject'}",
            object_type="whitelist_entry",
            object_key=locked.enterprise.uscc,
            old=before,
            new={"approval": decision, "note": locked.decision_note},
            note=note,
            enterprise=locked.enterprise,
        )
    return locked


# --- referrals -------------------------------------------------------------------------------------------------


def referral_create(
    *, entry: WhitelistEntry, product: str, institution: Department, actor: Any, note: str = ""
) -> Referral:
    """Refer an approved entry to a bank (loans) or the credit insurer (insurance) for one product. The matched
    products are advice: the analyst may refer for another, to an institution that offers it."""
    if product not in Product.values:
        raise WhitelistRefused("bad_product")
    if institution.kind not in core.INSTITUTION_KINDS:
        raise WhitelistRefused("not_institution")
    if institution.kind not in core.PRODUCT_INSTITUTION_KINDS[product]:
        from exportwatch.finance.labels import INSTITUTION_KIND_LABELS

        kinds = ", ".join(str(INSTITUTION_KIND_LABELS[k]) for k in core.PRODUCT_INSTITUTION_KINDS[product])
        raise WhitelistRefused("wrong_institution", product=str(Product(product).label), kinds=kinds)
    try:
        with transaction.atomic():
            locked = WhitelistEntry.objects.select_for_update().get(pk=entry.pk)
            if locked.approval != Approval.APPROVED or not locked.eligible:
                raise WhitelistRefused("not_approved")
            referral = Referral.objects.create(
                entry=locked,
                product=product,
                institution=institution,
                note=note.strip()[:500],
                referred_by=actor,
                referred_at=clock.now(),
            )
            audit_record(
                actor=actor,
                action="whitelist.refer",
                object_type="whitelist_referral",
                object_key=str(referral.pk),
                new={"uscc": locked.enterprise.uscc, "product": product, "institution": institution.code},
                note=note,
                enterprise=locked.enterprise,
            )
            _tell_of_referral(referral)
    except IntegrityError:
        raise WhitelistRefused("already_referred") from None
    return referral


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def referral_record_outcome(
    *,
    referral: Referral,
    outcome: str,
    actor: Any,
    granted_usd: Decimal | str | None = None,
    granted_on: dt.date | None = None,
    reason: str = "",
) -> Referral:
    """What the institution decided: granted (an amount in USD > 0 and the date, not after today nor before the
    referral) or refused (with the reason). A recorded outcome may be corrected the same way; the audit keeps both."""
    reason = reason.strip()
    values: dict[str, Any]
    if outcome == Outcome.GRANTED:
        amount = _money(granted_usd)
        if amount is None or amount <= 0 or amount >= Decimal(10) ** 14:
            raise WhitelistRefused("amount_required")
        if granted_on is None:
            raise WhitelistRefused("date_required")
        today = clock.today()
        if granted_on > today:
            raise WhitelistRefused("date_in_future", today=today.isoformat())
        referred = timezone.localdate(referral.referred_at)
        if granted_on < referred:
            raise WhitelistRefused("date_before_referral", referred=referred.isoformat())
        values = {
            "outcome": outcome,
            "granted_usd": amount.quantize(Decimal("0.01")),
            "granted_on": granted_on,
            "refusal_reason": "",
        }
    elif outcome == Outcome.REFUSED:
        if not reason:
            raise WhitelistRefused("refusal_reason_required")
        values = {"outcome": outcome, "granted_usd": None, "granted_on": None, "refusal_reason": reason[:500]}
    else:
        raise WhitelistRefused("bad_outcome")
    with transaction.atomic():
        locked = Referral.objects.select_for_update().select_related("entry__enterprise").get(pk=referral.pk)
        before = {k: getattr(locked, k) for k in values}
        for k, v in values.items():
            setattr(locked, k, v)
        locked.outcome_by = actor
        locked.outcome_at = clock.now()
        locked.save()
        audit_record(
            actor=actor,
            action="whitelist.outcome",
            object_type="whitelist_referral",
            object_key=str(locked.pk),
            old=before,
            new={**values, "uscc": locked.entry.enterprise.uscc},
            note=reason,
            enterprise=locked.entry.enterprise,
        )
        _tell_of_outcome(locked)
    return locked


# --- notices -----------------------------------------------------------------------------------------------------


def _referral_url(referral: Referral) -> str:
    from django.urls import reverse

    return reverse("finance:referral", args=[referral.pk])


def _tell_of_referral(referral: Referral) -> None:
    """The institution's handlers hear of a referral made to it (in the app, and by e-mail with the digest)."""
    from django.contrib.auth import get_user_model

    from exportwatch.accounts.models import Role
    from exportwatch.notifications.models import Kind
    from exportwatch.notifications.services import notify

    handlers = get_user_model().objects.filter(role=Role.HANDLER, department=referral.institution, is_active=True)
    enterprise = referral.entry.enterprise
    with translation.override(settings.LANGUAGE_CODE):  # stored as written: in the default language
        subject = _("White-list referral: %(name)s, %(product)s") % {
            "name": enterprise.name,
            "product": str(Product(referral.product).label),
        }
    notify(
        handlers,
        kind=Kind.REFERRAL,
        dedupe_key=f"referral:{referral.pk}",
        subject=subject,
        body=referral.note,
        url=_referral_url(referral),
    )


def _tell_of_outcome(referral: Referral) -> None:
    """The analyst who referred hears of the institution's answer (each answer once; a correction is news)."""
    from exportwatch.notifications.models import Kind
    from exportwatch.notifications.services import notify

    if referral.referred_by is None:
        return
    enterprise = referral.entry.enterprise
    with translation.override(settings.LANGUAGE_CODE):
        if referral.outcome == Outcome.GRANTED:
            subject = _("Loan granted to %(name)s: %(amount)s USD") % {
                "name": enterprise.name,
                "amount": f"{referral.granted_usd:,.0f}",
            }
        else:
            subject = _("Referral of %(name)s refused") % {"name": enterprise.name}
    notify(
        [referral.referred_by],
        kind=Kind.REFERRAL,
        dedupe_key=f"referral:{referral.pk}:{referral.outcome}:{referral.outcome_at:%Y%m%d%H%M%S}",
        subject=subject,
        body=referral.refusal_reason,
        url=_referral_url(referral),
    )
