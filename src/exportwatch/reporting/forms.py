"""Web forms for reporting. Field parsing and every rule come from exportwatch.core.records (same as CSV and API)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from exportwatch.common.problems import problem_message
from exportwatch.core.records import (
    Context,
    DisruptionIn,
    LineIn,
    NeedIn,
    Problem,
    ReportIn,
    check_report_lines,
    clean_disruption,
    clean_line,
    clean_need,
    clean_report,
)
from exportwatch.directory.models import HSCode, Market
from exportwatch.reporting.models import DisruptionKind, NeedCategory, Trend, Urgency

REPORT_AMOUNTS = ("exports_usd", "new_orders_usd", "backlog_usd", "backlog_due_3m_usd")
LINE_AMOUNTS = ("backlog_usd", "new_orders_usd", "exports_usd")


def _amount(label: Any, *, required: bool = True, help_text: Any = "") -> forms.CharField:
    # Text, not a number input: the core parser accepts "1,234,567" and full-width digits; the keyboard
    # on a phone still shows digits through inputmode.
    return forms.CharField(
        label=label,
        required=required,
        max_length=40,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "amount"}),
    )


def _attach(form: forms.BaseForm, problems: Sequence[Problem]) -> None:
    already = set(form.errors) if form.is_bound else set()
    for problem in problems:
        field = problem.field if problem.field in form.fields else None
        if field is not None and field in already:
            continue  # Django's own check (required, choice) already said it; say it once
        form.add_error(field, problem_message(problem))


def market_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(m.code, f"{m.code} {m.label}") for m in Market.objects.order_by("code")]


class ReportForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    exports_usd = _amount(_("Exports shipped this month (USD)"))
    new_orders_usd = _amount(_("New export orders signed this month (USD)"))
    backlog_usd = _amount(_("Orders in hand, not yet shipped, at month end (USD)"))
    backlog_due_3m_usd = _amount(_("…of which due to ship within 3 months (USD)"))
    capacity_utilization_pct = forms.CharField(
        label=_("Capacity utilisation (%)"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "pct"}),
    )
    new_orders_trend = forms.ChoiceField(
        label=_("New orders compared with last month"), choices=Trend.choices, widget=forms.RadioSelect
    )
    outlook_3m = forms.ChoiceField(
        label=_("Expected exports over the next 3 months"), choices=Trend.choices, widget=forms.RadioSelect
    )


class LineForm(forms.Form):
    market = forms.ChoiceField(label=_("Market"), required=False, choices=())
    hs = forms.CharField(
        label=_("HS code"),
        required=False,
        max_length=6,
        widget=forms.TextInput(
            attrs={"list": "hs-codes", "inputmode": "numeric", "autocomplete": "off", "class": "hs"}
        ),
    )
    backlog_usd = _amount(_("Orders in hand (USD)"), required=False)
    new_orders_usd = _amount(_("New orders (USD)"), required=False)
    exports_usd = _amount(_("Exports (USD)"), required=False)

    def __init__(self, *args: Any, markets: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["market"].choices = markets or market_choices()  # type: ignore[attr-defined]

    def is_blank(self) -> bool:
        """A row with no amount is no line: a prefilled market the firm did not trade this month is dropped."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not any((data.get(k) or "").strip() for k in LINE_AMOUNTS)


LineFormSet = formset_factory(LineForm, extra=0, max_num=200, absolute_max=200)


def validate_report_submission(
    *, form: ReportForm, formset: Any, uscc: str, period: str, ctx: Context
) -> tuple[ReportIn, list[LineIn]] | None:
    """Run the contract rules on what was typed; attach every problem to its field. None when invalid."""
    form_ok = form.is_valid()
    sets_ok = formset.is_valid()
    raw = {key: form.cleaned_data.get(key) if form_ok else form.data.get(key) for key in form.fields}
    report, problems = clean_report({**raw, "uscc": uscc, "period": period}, ctx=ctx)
    _attach(form, [p for p in problems if p.field not in ("uscc", "period")])
    for p in problems:
        if p.field in ("uscc", "period"):
            form.add_error(None, problem_message(p))
    lines: list[LineIn] = []
    lines_ok = True
    for line_form in formset.forms:
        if not line_form.is_valid() or line_form.is_blank():
            continue
        line, line_problems = clean_line({**line_form.cleaned_data, "uscc": uscc, "period": period}, ctx=ctx)
        if line_problems:
            lines_ok = False
            _attach(line_form, [p for p in line_problems if p.field not in ("uscc", "period")])
        elif line is not None:
            lines.append(line)
    if report is not None and lines_ok:
        cross = check_report_lines(report, lines)
        if cross:
            lines_ok = False
            for p in cross:
                form.add_error(None, problem_message(p))
    if not (form_ok and sets_ok and report is not None and lines_ok and not form.errors):
        return None
    return report, lines


def hs_choices() -> list[HSCode]:
    return list(HSCode.objects.filter(code__regex=r"^[0-9]{2}$").order_by("code"))


class DisruptionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    kind = forms.ChoiceField(label=_("What happened"), choices=DisruptionKind.choices)
    amount_usd = _amount(_("Amount affected (USD)"), required=False)
    market = forms.ChoiceField(label=_("Market"), required=False, choices=())
    hs = forms.CharField(
        label=_("HS code"), required=False, max_length=6, widget=forms.TextInput(attrs={"list": "hs-codes"})
    )
    note = forms.CharField(
        label=_("Details"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["market"].choices = market_choices()  # type: ignore[attr-defined]

    def validated(self, *, uscc: str, ctx: Context) -> DisruptionIn | None:
        if not self.is_valid():
            return None
        obj, problems = clean_disruption({**self.cleaned_data, "uscc": uscc}, ctx=ctx)
        _attach(self, problems)
        return obj if not problems else None


class NeedForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    category = forms.ChoiceField(label=_("What do you need help with"), choices=NeedCategory.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    amount_usd = _amount(_("Amount involved (USD)"), required=False)
    description = forms.CharField(
        label=_("Describe the problem"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def validated(self, *, uscc: str, ctx: Context) -> NeedIn | None:
        if not self.is_valid():
            return None
        obj, problems = clean_need({**self.cleaned_data, "uscc": uscc}, ctx=ctx)
        _attach(self, problems)
        return obj if not problems else None
