"""Sentences for the problem codes and column keys of :mod:`exportwatch.core.records`.

This is the edge between the pure rules and the people using them: every problem code gets a
sentence a clerk can act on, and every column key a short label, both translatable. Messages
use ``%(name)s`` placeholders filled from :attr:`Problem.params`.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from exportwatch.core.records import Problem

MESSAGES: dict[str, Promise] = {
    "required": _("This field is required."),
    "not_a_number": _("“%(value)s” is not a number. Enter digits only, for example 1234567.89."),
    "negative": _("The amount cannot be negative. Enter 0 if there was none."),
    "too_large": _(
        "The amount is larger than %(max)s US dollars. Amounts are in US dollars, not in "
        "thousands or in yuan; please check the figure and its unit."
    ),
    "due_exceeds_backlog": _(
        "The backlog due within 3 months (%(due)s) cannot be larger than the total backlog (%(backlog)s)."
    ),
    "lines_exceed_total": _(
        "The breakdown lines add up to %(lines)s, more than the report's total of %(total)s. "
        "Please correct the lines or the total."
    ),
    "unknown_market": _("“%(value)s” is not a known country or region code."),
    "unknown_hs": _("“%(value)s” is not a known HS code."),
    "future_period": _("The month %(value)s is in the future. Reports can only be made for %(current)s or earlier."),
    "bad_period": _("“%(value)s” is not a month. Enter it as year-month, for example 2024-03."),
    "bad_date": _("“%(value)s” is not a date. Enter it as year-month-day, for example 2024-03-15."),
    "future_date": _("The date %(value)s is in the future. Enter a date on or before %(today)s."),
    "bad_choice": _("“%(value)s” is not one of the allowed choices: %(choices)s."),
    "uscc_check": _(
        "The unified social credit code's check character is wrong (the 18th character should be "
        "%(expected)s). Please check the code."
    ),
    "uscc_length": _("The unified social credit code must have 18 characters; this one has %(length)s."),
    "uscc_charset": _(
        "The unified social credit code contains characters that are never used in it: "
        "%(chars)s. It uses only digits and capital letters other than I, O, Z, S and V."
    ),
    "unknown_enterprise": _(
        "No enterprise with the unified social credit code %(value)s is registered. Please "
        "register the enterprise first or check the code."
    ),
    "unknown_town": _("“%(value)s” is not a known town. Enter the town's code or its name."),
    "unknown_industry": _("“%(value)s” is not a known industry."),
    "unknown_segment": _("“%(value)s” is not a known segment."),
    "customs_code_format": _(
        "“%(value)s” is not a customs registration code. It has 10 characters, the first four of them digits."
    ),
    "hs_format": _("“%(value)s” is not an HS code. Enter 2, 4 or 6 digits, for example 8471."),
    "market_format": _("“%(value)s” is not a country or region code. Enter two letters, for example US or DE."),
    "duplicate_line": _(
        "Market %(market)s with HS code %(hs)s appears %(count)s times. Enter each market and HS code only once."
    ),
    "too_long": _("This text is too long: %(length)s characters, at most %(max)s are allowed."),
    "out_of_range": _("The value must be between %(min)s and %(max)s."),
    "stored_lines_exceed_total": _(
        "The market and product lines already on file for this month add up to %(lines)s, more than the new "
        "total of %(total)s. Upload the lines (report_lines) with the corrected figures, or correct the total."
    ),
    "duplicate_row": _("The same record already appears on row %(row)s of this import."),
    "lines_without_report": _(
        "There is no report of %(uscc)s for %(period)s to attach these lines to: add its row to the reports table."
    ),
}

UNKNOWN_PROBLEM = _("This value is not valid (%(code)s).")

COLUMN_LABELS: dict[str, Promise] = {
    "uscc": _("Unified social credit code"),
    "name": _("Enterprise name"),
    "customs_code": _("Customs registration code"),
    "town": _("Town"),
    "industry": _("Industry"),
    "exports_last_year_usd": _("Exports last year (USD)"),
    "imports_last_year_usd": _("Imports last year (USD)"),
    "contact_name": _("Contact person"),
    "contact_phone": _("Contact phone"),
    "segments": _("Segments"),
    "period": _("Month"),
    "exports_usd": _("Exports (USD)"),
    "new_orders_usd": _("New orders (USD)"),
    "backlog_usd": _("Backlog of orders (USD)"),
    "backlog_due_3m_usd": _("Backlog due within 3 months (USD)"),
    "capacity_utilization_pct": _("Capacity utilisation (%)"),
    "new_orders_trend": _("New orders compared with last month"),
    "outlook_3m": _("Outlook for the next 3 months"),
    "market": _("Market (country or region)"),
    "hs": _("HS code"),
    "date": _("Date"),
    "kind": _("Kind of disruption"),
    "amount_usd": _("Amount (USD)"),
    "note": _("Note"),
    "category": _("Kind of help needed"),
    "urgency": _("Urgency"),
    "description": _("Description"),
}

_MISSING_PARAM = "?"


class _Params(dict[str, str]):
    """Problem params that answer ``?`` for a placeholder the problem did not fill."""

    def __missing__(self, key: str) -> str:
        return _MISSING_PARAM


def problem_message(problem: Problem) -> str:
    """The clerk-facing sentence for ``problem``, in the active language.

    Placeholders are filled from ``problem.params`` (and ``code``); a placeholder without a
    param shows ``?`` instead of failing, and an unknown code gets a generic sentence.
    """
    template = str(MESSAGES.get(problem.code, UNKNOWN_PROBLEM))
    params: Mapping[str, str] = _Params({"code": problem.code, **dict(problem.params)})
    try:
        return template % params
    except (TypeError, ValueError):  # a translation with a malformed placeholder
        return template


def column_label(key: str) -> str:
    """The short label of a column key in the active language; the key itself when unknown."""
    label = COLUMN_LABELS.get(key)
    return key if label is None else str(label)
