"""The financing white list (DESIGN §10): one entry per enterprise judged by ``core.whitelist``, the products
matched to it, and its referrals to banks and the credit insurer with their outcomes.

An entry is made by ``services.whitelist_refresh`` once the enterprise qualifies and is never deleted: when it
stops qualifying it is marked (``eligible`` false, ``ineligible_since``), keeping its approval and referrals. The
analyst's approval (pending → approved or rejected, with who, when and why) is the only part a refresh leaves
alone. Amounts are US dollars, like every amount of the project (a bank used to yuan reads the column's unit).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from exportwatch.core import whitelist as core


class Approval(models.TextChoices):
    PENDING = "pending", _("awaiting approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class PriorityLevel(models.TextChoices):
    HIGH = core.HIGH, _("high")
    MEDIUM = core.MEDIUM, _("medium")
    NORMAL = core.NORMAL, _("normal")


class Product(models.TextChoices):
    CREDIT_INSURANCE_LOAN = core.CREDIT_INSURANCE_LOAN, _("credit-insurance-backed loan")
    GUARANTEED_LOAN = core.GUARANTEED_LOAN, _("guaranteed loan")
    CREDIT_LOAN = core.CREDIT_LOAN, _("credit loan")
    EXPORT_CREDIT_INSURANCE = core.EXPORT_CREDIT_INSURANCE, _("export credit insurance")


class Outcome(models.TextChoices):
    PENDING = "pending", _("awaiting the institution")
    GRANTED = "granted", _("granted")
    REFUSED = "refused", _("refused")


class WhitelistEntry(models.Model):
    enterprise = models.OneToOneField(
        "directory.Enterprise", on_delete=models.PROTECT, related_name="whitelist_entry", verbose_name=_("enterprise")
    )
    eligible = models.BooleanField(_("eligible"), default=True)
    reason = models.TextField(_("reason"))  # Chinese, written from the figures (the export's ``reason``)
    reason_en = models.TextField(_("reason (English)"), blank=True)
    # What it was judged on: exports, imports, trade, threshold (USD), worst open warning, open money needs...
    figures = models.JSONField(_("figures"), default=dict)
    priority = models.CharField(
        _("priority"), max_length=6, choices=PriorityLevel.choices, default=PriorityLevel.NORMAL
    )
    priority_rank = models.PositiveSmallIntegerField(default=1, editable=False)  # 3 high, 2 medium, 1 normal
    priority_reasons = models.JSONField(_("why this priority"), default=list)  # [{code, zh, en}]
    money_needs_usd = models.DecimalField(_("open money needs (USD)"), max_digits=16, decimal_places=2, default=0)
    first_eligible_at = models.DateTimeField(_("first on the list"))
    ineligible_since = models.DateTimeField(_("no longer qualifies since"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("judged at"))

    approval = models.CharField(_("approval"), max_length=8, choices=Approval.choices, default=Approval.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("why"), max_length=500, blank=True)

    class Meta:
        ordering = ["-priority_rank", "-money_needs_usd", "enterprise__uscc"]
        verbose_name = _("white-list entry")
        verbose_name_plural = _("white-list entries")
        indexes = [
            models.Index(fields=["eligible", "approval"], name="wl_entry_state"),
            models.Index(fields=["priority_rank"], name="wl_entry_priority"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(approval="pending") | models.Q(decided_at__isnull=False),
                name="wl_decision_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(approval="rejected") | ~models.Q(decision_note=""),
                name="wl_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.approval}"


class WhitelistMatch(models.Model):
    """A product the rules matched to an entry at its last refresh, with the reason."""

    entry = models.ForeignKey(WhitelistEntry, on_delete=models.CASCADE, related_name="matches")
    product = models.CharField(_("product"), max_length=24, choices=Product.choices)
    reason = models.TextField(_("reason"))
    reason_en = models.TextField(_("reason (English)"), blank=True)

    class Meta:
        ordering = ["entry", "product"]
        constraints = [models.UniqueConstraint(fields=["entry", "product"], name="wl_match_unique")]
        verbose_name = _("matched product")
        verbose_name_plural = _("matched products")

    def __str__(self) -> str:
        return f"{self.entry_id} {self.product}"


class Referral(models.Model):
    """An approved entry sent to a bank or the credit insurer for one product, and what came of it."""

    entry = models.ForeignKey(WhitelistEntry, on_delete=models.PROTECT, related_name="referrals")
    product = models.CharField(_("product"), max_length=24, choices=Product.choices)
    institution = models.ForeignKey(
        "directory.Department",
        on_delete=models.PROTECT,
        related_name="whitelist_referrals",
        verbose_name=_("institution"),
    )
    note = models.CharField(_("note to the institution"), max_length=500, blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("referred by"),
    )
    referred_at = models.DateTimeField(_("referred at"))

    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.PENDING)
    granted_usd = models.DecimalField(_("granted (USD)"), max_digits=16, decimal_places=2, null=True, blank=True)
    granted_on = models.DateField(_("granted on"), null=True, blank=True)
    refusal_reason = models.CharField(_("why refused"), max_length=500, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("outcome recorded by"),
    )
    outcome_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)

    class Meta:
        ordering = ["-referred_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["institution", "outcome"], name="wl_referral_institution")]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "product", "institution"],
                condition=models.Q(outcome="pending"),
                name="wl_referral_one_open",
            ),
            models.CheckConstraint(
                condition=~models.Q(outcome="granted")
                | (models.Q(granted_usd__gt=0) & models.Q(granted_on__isnull=False)),
                name="wl_granted_has_amount_and_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(outcome="refused") | ~models.Q(refusal_reason=""),
                name="wl_refused_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.product} → {self.institution_id} ({self.outcome})"


class RefreshState(models.Model):
    """The one row saying when the list was last refreshed and from which state of the data (a signature of the
    latest registry, need, case and warning changes), so the background step refreshes only after a change."""

    key = models.CharField(max_length=20, primary_key=True, default="whitelist")
    refreshed_at = models.DateTimeField(null=True, blank=True)
    signature = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.key} {self.refreshed_at}"
