"""The names of the rules, as the pages show them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

SYSTEMIC_RULE = "systemic"

RULE_LABELS = {
    "new_orders_yoy": gettext_lazy("New orders, year on year"),
    "new_orders_3m_yoy": gettext_lazy("New orders of three months, year on year"),
    "exports_yoy": gettext_lazy("Exports, year on year"),
    "cancellation_rate": gettext_lazy("Cancellation rate"),
    "coverage_months": gettext_lazy("Coverage (months of exports in hand)"),
    "short_order_share": gettext_lazy("Short-order share"),
    "disruption_share": gettext_lazy("Disrupted orders, share of the backlog"),
    "market_concentration": gettext_lazy("Market concentration while the main market is in warning"),
    "new_orders_di": gettext_lazy("Diffusion index of new orders"),
    "ewma_new_orders": gettext_lazy("New orders off their usual course (EWMA chart)"),
    "cusum_new_orders": gettext_lazy("Lasting shortfall of new orders (CUSUM chart)"),
    "peer_new_orders": gettext_lazy("New orders far below the peers'"),
    SYSTEMIC_RULE: gettext_lazy("Systemic lamp"),
}

# The size a scope must have for a rule to judge it (``ThresholdRule.base``).
BASE_LABELS = {
    "exports_last_year": gettext_lazy("exports last year (USD)"),
    "new_orders_answers": gettext_lazy("enterprises counted"),
}


PERCENT_RULES = {
    "new_orders_yoy", "new_orders_3m_yoy", "exports_yoy", "cancellation_rate", "short_order_share",
    "disruption_share", "ewma_new_orders",
}  # fmt: skip
"""Rules whose value is a fraction, shown as a percentage."""


def rule_value_shown(rule: str, value: float | None) -> str:
    """A rule's value or threshold as the warning pages and the stress test show it: a percentage for a fraction
    (signed for a change), two decimals for a small number, one for a large one; '—' when unknown."""
    if value is None:
        return "—"
    if rule in PERCENT_RULES:
        signed = rule.endswith("_yoy") or rule == "ewma_new_orders"
        return f"{value * 100:+.1f} %" if signed else f"{value * 100:.1f} %"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
