"""Forms of the white-list pages: checked here with messages an analyst or a bank clerk reads; the services check
the rules again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from exportwatch.finance.models import Approval, Outcome, Product
from exportwatch.finance.selectors import institutions


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(Approval.APPROVED, _("approve")), (Approval.REJECTED, _("reject"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Why (required to reject)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReferralForm(forms.Form):
    product = forms.ChoiceField(label=_("Product"), choices=Product.choices)
    institution = forms.ModelChoiceField(label=_("Institution"), queryset=institutions(), to_field_name="code")
    note = forms.CharField(
        label=_("Note to the institution"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions()
        self.fields["institution"].label_from_instance = lambda d: d.label  # type: ignore[attr-defined]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(Outcome.GRANTED, Outcome.GRANTED.label), (Outcome.REFUSED, Outcome.REFUSED.label)],
        widget=forms.RadioSelect,
    )
    granted_usd = forms.DecimalField(
        label=_("Amount granted (USD)"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=16,
        decimal_places=2,
    )
    granted_on = forms.DateField(label=_("Granted on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label=_("Why refused"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
