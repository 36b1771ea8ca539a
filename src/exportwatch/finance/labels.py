"""Sentences for the problem codes of the white-list services, as a clerk reads them."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PROBLEM_MESSAGES: dict[str, Promise] = {
    "bad_decision": _("Choose whether to approve or to reject."),
    "not_eligible": _("This enterprise no longer meets the white-list threshold, so it cannot be approved."),
    "reason_required": _("Say why: a rejection needs a reason."),
    "not_approved": _("Only an approved entry of the white list can be referred."),
    "bad_product": _("Choose one of the financing products."),
    "not_institution": _("Choose one of the banks or the credit insurer."),
    "wrong_institution": _("%(product)s is offered by %(kinds)s; choose one of those."),
    "already_referred": _(
        "This enterprise is already referred to this institution for this product and awaits its answer."
    ),
    "bad_outcome": _("Choose whether it was granted or refused."),
    "amount_required": _("Enter the amount granted, in US dollars, larger than 0."),
    "date_required": _("Enter the date it was granted."),
    "date_in_future": _("The date it was granted cannot be after today (%(today)s)."),
    "date_before_referral": _("The date it was granted cannot be before the referral (%(referred)s)."),
    "refusal_reason_required": _("Say why the institution refused."),
}

INSTITUTION_KIND_LABELS: dict[str, Promise] = {"bank": _("a bank"), "credit_insurer": _("the credit insurer")}


def problem_text(code: str, params: Mapping[str, str] | None = None) -> str:
    template = str(PROBLEM_MESSAGES.get(code, code))
    try:
        return template % dict(params or {})
    except (KeyError, TypeError, ValueError):
        return template
