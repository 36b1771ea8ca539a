"""Number formats of the monitoring pages: amounts in 10,000 USD (万美元), fractions as percentages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()

TEN_THOUSAND = Decimal(10_000)


@register.filter
def wan(value: Decimal | float | int | None) -> str:
    """An amount in USD shown in 10,000 USD with one decimal: 1234567 -> '123.5'; None -> '—'."""
    if value is None:
        return "—"
    shown = (Decimal(str(value)) / TEN_THOUSAND).quantize(Decimal("0.1"))
    return str(intcomma(shown, use_l10n=False))


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage: 0.253 -> '25.3%'; None -> '—'."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def signed_pct(value: float | None) -> str:
    """A change as a signed percentage: -0.352 -> '−35.2%', 0.1 -> '+10.0%'; None -> '—'."""
    if value is None:
        return "—"
    text = f"{value * 100:+.1f}%"
    return text.replace("-", "−")


@register.filter
def one_decimal(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


@register.filter
def change_class(value: float | None) -> str:
    """CSS class of a change: 'chg-up', 'chg-down' or '' (no change or unknown)."""
    if value is None or value == 0:
        return ""
    return "chg-up" if value > 0 else "chg-down"


@register.filter
def get_item(mapping: dict[str, object], key: str) -> object:
    """``mapping[key]`` in a template (a label by code); the key itself when absent."""
    return mapping.get(key, key)
