"""The shocks of a stress test as a form (read from the query string, so a result is a link), and the form that
saves them as a scenario."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exportwatch.core.stress import HORIZON, Shock
from exportwatch.directory.models import HSCode, Market, MarketGroup

ROWS = 5
DIMENSION_CHOICES = [
    ("market", gettext_lazy("Market")),
    ("market_group", gettext_lazy("Market group")),
    ("hs", gettext_lazy("HS chapter")),
]


class ShocksForm(forms.Form):
    """Up to ``ROWS`` shocks: dimension, code, change in percent, months. A row without a code is left out."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(ROWS):
            self.fields[f"d{i}"] = forms.ChoiceField(
                choices=DIMENSION_CHOICES, required=False, label=gettext_lazy("Shock on")
            )
            self.fields[f"k{i}"] = forms.CharField(required=False, max_length=32, label=gettext_lazy("Code"))
            self.fields[f"c{i}"] = forms.FloatField(
                required=False, min_value=-100, max_value=100, label=gettext_lazy("Change (%)")
            )
            self.fields[f"m{i}"] = forms.IntegerField(
                required=False, min_value=1, max_value=HORIZON, label=gettext_lazy("Months")
            )

    def rows(self) -> list[tuple[Any, Any, Any, Any]]:
        return [(self[f"d{i}"], self[f"k{i}"], self[f"c{i}"], self[f"m{i}"]) for i in range(ROWS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        shocks: list[Shock] = []
        for i in range(ROWS):
            key = (data.get(f"k{i}") or "").strip()
            if not key:
                continue
            dimension = data.get(f"d{i}") or "market"
            change, months = data.get(f"c{i}"), data.get(f"m{i}") or HORIZON
            if change is None:
                self.add_error(f"c{i}", _("Give the change in percent, e.g. -30."))
                continue
            key = key.upper() if dimension != "hs" else key[:2]
            model: Any = {"market": Market, "market_group": MarketGroup, "hs": HSCode}[dimension]
            if not model.objects.filter(code=key).exists():
                self.add_error(f"k{i}", _("No %(what)s has the code “%(code)s”.") % {
                    "what": dict(DIMENSION_CHOICES)[dimension], "code": key
                })  # fmt: skip
                continue
            shocks.append(Shock(dimension, key, round(float(change), 4) / 100, int(months)))
        data["shocks"] = shocks
        return data


class ScenarioForm(forms.Form):
    name = forms.CharField(max_length=100, label=gettext_lazy("Name"))
    note = forms.CharField(max_length=300, required=False, label=gettext_lazy("Note"))


def shocks_initial(shocks: list[Shock]) -> dict[str, Any]:
    """The form's fields for saved shocks (a change shown in percent)."""
    out: dict[str, Any] = {}
    for i, s in enumerate(shocks[:ROWS]):
        out.update({f"d{i}": s.dimension, f"k{i}": s.key, f"c{i}": round(s.change * 100, 2), f"m{i}": s.months})
    return out
