"""Forms of the campaign pages: a town's quota and a reminder schedule point."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

MAX_OFFSET = 27  # days either side of a monthly deadline


class QuotaForm(forms.Form):
    expected = forms.IntegerField(
        min_value=0, max_value=1_000_000, label=gettext_lazy("Enterprises expected to report")
    )
    note = forms.CharField(max_length=300, required=False, label=gettext_lazy("Why this change"))


class ReminderPointForm(forms.Form):
    offset_days = forms.IntegerField(
        min_value=-MAX_OFFSET,
        max_value=MAX_OFFSET,
        label=gettext_lazy("Days from the deadline"),
        help_text=gettext_lazy("-3: three days before; 0: on the day; 1: the day after."),
    )
    town = forms.ChoiceField(required=False, label=gettext_lazy("Town"))
    segment = forms.ChoiceField(required=False, label=gettext_lazy("Segment"))

    def __init__(
        self, *args: Any, towns: list[tuple[str, str]], segments: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        every = [("", gettext_lazy("every one"))]
        self.fields["town"].choices = every + towns
        self.fields["segment"].choices = every + segments
