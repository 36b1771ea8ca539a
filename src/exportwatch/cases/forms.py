"""The case pages' forms: they parse what a user typed; the rules (who may move a case where, with what) are the
core's, checked by the services, whose refusals the views put back on the form that was sent."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from exportwatch.cases.models import ATTACHMENT_EXTENSIONS, ATTACHMENT_MAX_BYTES, CalendarKind, State
from exportwatch.core import cases as core
from exportwatch.directory.models import Department
from exportwatch.reporting.models import NeedCategory

NOTE_MAX = 4000

RATING_CHOICES = [(str(n), str(n)) for n in core.RATINGS]


def _attachment_field() -> forms.FileField:
    return forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=format_lazy(
            _("Optional. One file of up to {max_mb} MB: {kinds}."),
            max_mb=ATTACHMENT_MAX_BYTES // (1024 * 1024),
            kinds=", ".join(ATTACHMENT_EXTENSIONS),
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(f".{k}" for k in ATTACHMENT_EXTENSIONS)}),
    )


class _SeenState(forms.Form):
    """The state the case was in when the page was drawn: a move made meanwhile by someone else is refused as
    stale instead of applied to a case the user did not see."""

    seen = forms.ChoiceField(choices=State.choices, widget=forms.HiddenInput)


class MoveForm(_SeenState):
    """One move of the case to another state, with its note, rating and attachment."""

    to = forms.ChoiceField(choices=State.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        choices=RATING_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        help_text=_("1 = very dissatisfied, 5 = very satisfied."),
    )
    attachment = _attachment_field()


class AssignForm(_SeenState):
    """Dispatch to a lead department and optional co-handling departments."""

    lead = forms.ModelChoiceField(
        label=_("Lead department"), queryset=Department.objects.order_by("code"), to_field_name="code"
    )
    co = forms.ModelMultipleChoiceField(
        label=_("Co-handling departments"),
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("Instructions to the department"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MergeForm(_SeenState):
    """Merge this case, a duplicate, into another (the primary)."""

    primary = forms.IntegerField(label=_("Merge into case number"), min_value=1)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(_SeenState):
    """A comment or a supervision (督办): a note that does not move the case."""

    action = forms.ChoiceField(
        choices=[(core.EVENT_COMMENT, core.EVENT_COMMENT), (core.EVENT_SUPERVISE, core.EVENT_SUPERVISE)],
        widget=forms.HiddenInput,
    )
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    attachment = _attachment_field()


class CaseFilterForm(forms.Form):
    """The filters of a case list (GET); an unknown value is simply not applied."""

    state = forms.ChoiceField(label=_("State"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *NeedCategory.choices]
    )
    department = forms.ModelChoiceField(
        label=_("Lead department"),
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("All departments"),
    )

    def __init__(self, *args: Any, states: tuple[str, ...] = core.STATES, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(State.choices)
        self.fields["state"].choices = [("", _("All states")), *((s, labels[s]) for s in states)]


class PeriodForm(forms.Form):
    """The period of the performance figures (GET): cases filed from ``start`` to ``end``, both included."""

    start = forms.DateField(label=_("Filed from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Filed up to"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start of the period is after its end."))
        return data


class RoutingRuleForm(forms.Form):
    """Where a category's cases go and their limits, with the reason for the change."""

    lead = forms.ModelChoiceField(
        label=_("Lead department"), queryset=Department.objects.order_by("code"), to_field_name="code"
    )
    co = forms.ModelMultipleChoiceField(
        label=_("Co-handling departments"),
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    first_response_days = forms.IntegerField(label=_("First response limit (working days)"), min_value=1, max_value=365)
    resolution_days = forms.IntegerField(label=_("Resolution limit (working days)"), min_value=1, max_value=365)
    note = forms.CharField(label=_("Why this change"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class CalendarDayForm(forms.Form):
    """A day of the local working calendar: a public holiday or a make-up working day."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=CalendarKind.choices)
    note = forms.CharField(label=_("Note"), max_length=100, required=False, help_text=_("For example 春节."))


class CalendarRemoveForm(forms.Form):
    date = forms.DateField(widget=forms.HiddenInput)
