"""How an audit event reads: the names of its actions, object types and fields in the reader's language, and its
old and new values as a field-by-field list of what changed (``event_changes``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exportwatch.common.problems import COLUMN_LABELS

ACTION_LABELS: dict[str, Promise] = {
    "report.submit": gettext_lazy("Report submitted"),
    "report.resubmit": gettext_lazy("Report corrected"),
    "disruption.file": gettext_lazy("Disruption filed"),
    "need.file": gettext_lazy("Need filed"),
    "import.files": gettext_lazy("Files imported"),
    "enterprise.create": gettext_lazy("Enterprise registered"),
    "enterprise.update": gettext_lazy("Enterprise changed"),
    "enterprise.delete": gettext_lazy("Enterprise deleted"),
    "customs.update": gettext_lazy("Customs figure changed"),
    "customs.load": gettext_lazy("Customs figures loaded"),
    "rule.change": gettext_lazy("Warning rule changed"),
    "warning.transition": gettext_lazy("Warning status changed"),
    "case.file": gettext_lazy("Case filed"),
    "case.transition": gettext_lazy("Case moved"),
    "case.merge": gettext_lazy("Case merged"),
    "case.supervise": gettext_lazy("Case supervised"),
    "case.comment": gettext_lazy("Case commented on"),
    "routing.change": gettext_lazy("Routing changed"),
    "calendar.set": gettext_lazy("Calendar day set"),
    "calendar.remove": gettext_lazy("Calendar day removed"),
    "whitelist.add": gettext_lazy("Added to the white list"),
    "whitelist.refresh": gettext_lazy("White-list judgement changed"),
    "whitelist.approve": gettext_lazy("White-list entry approved"),
    "whitelist.reject": gettext_lazy("White-list entry rejected"),
    "whitelist.refer": gettext_lazy("Referred to an institution"),
    "whitelist.outcome": gettext_lazy("Referral outcome recorded"),
    "export_target_set": gettext_lazy("Export target set"),
    "stress_scenario.create": gettext_lazy("Stress scenario saved"),
    "stress_scenario.delete": gettext_lazy("Stress scenario deleted"),
    "quota.set": gettext_lazy("Town quota set"),
    "reminder_point.create": gettext_lazy("Reminder added"),
    "reminder_point.activate": gettext_lazy("Reminder switched on"),
    "reminder_point.deactivate": gettext_lazy("Reminder switched off"),
    "notification_email.retry": gettext_lazy("Failed e-mails queued again"),
    "brief.generate": gettext_lazy("Brief generated"),
}

OBJECT_TYPE_LABELS: dict[str, Promise] = {
    "report": gettext_lazy("Report"),
    "disruption": gettext_lazy("Disruption"),
    "need": gettext_lazy("Need"),
    "import": gettext_lazy("Import"),
    "enterprise": gettext_lazy("Enterprise"),
    "customs_export": gettext_lazy("Customs exports"),
    "rule": gettext_lazy("Warning rule"),
    "warning": gettext_lazy("Warning"),
    "case": gettext_lazy("Case"),
    "routing_rule": gettext_lazy("Routing table"),
    "calendar_day": gettext_lazy("Working calendar"),
    "whitelist_entry": gettext_lazy("White-list entry"),
    "whitelist_referral": gettext_lazy("White-list referral"),
    "export_target": gettext_lazy("Export target"),
    "stress_scenario": gettext_lazy("Stress scenario"),
    "town_quota": gettext_lazy("Town quota"),
    "reminder_point": gettext_lazy("Reminder schedule"),
    "notification": gettext_lazy("Notification"),
    "brief": gettext_lazy("Brief"),
}

# Field names of the old and new values beyond the data contract's columns (``problems.COLUMN_LABELS``).
FIELD_LABELS: dict[str, Promise] = {
    "version": gettext_lazy("Version"),
    "lines": gettext_lazy("Lines"),
    "source": gettext_lazy("Source"),
    "state": gettext_lazy("State"),
    "rating": gettext_lazy("Rating"),
    "lead": gettext_lazy("Lead department"),
    "co": gettext_lazy("Co-handling departments"),
    "primary": gettext_lazy("Merged into case"),
    "need": gettext_lazy("Need"),
    "routed": gettext_lazy("Lead department"),
    "approval": gettext_lazy("Approval"),
    "eligible": gettext_lazy("Eligible"),
    "reason": gettext_lazy("Reason"),
    "priority": gettext_lazy("Priority"),
    "money_needs_usd": gettext_lazy("Financing needs (USD)"),
    "products": gettext_lazy("Products"),
    "figures": gettext_lazy("Figures"),
    "product": gettext_lazy("Product"),
    "institution": gettext_lazy("Institution"),
    "outcome": gettext_lazy("Outcome"),
    "granted_usd": gettext_lazy("Granted amount (USD)"),
    "granted_on": gettext_lazy("Granted on"),
    "refusal_reason": gettext_lazy("Reason for refusal"),
    "first_response_days": gettext_lazy("First response (working days)"),
    "resolution_days": gettext_lazy("Resolution (working days)"),
    "expected": gettext_lazy("Expected"),
    "frequency": gettext_lazy("Frequency"),
    "offset_days": gettext_lazy("Days from the deadline"),
    "segment": gettext_lazy("Segment"),
    "active": gettext_lazy("Active"),
    "enabled": gettext_lazy("Enabled"),
    "thresholds": gettext_lazy("Thresholds"),
    "scopes": gettext_lazy("Scopes"),
    "requires": gettext_lazy("Requires"),
    "indicator": gettext_lazy("Indicator"),
    "direction": gettext_lazy("Direction"),
    "base": gettext_lazy("Base"),
    "min_base": gettext_lazy("Minimum base"),
    "reason_zh": gettext_lazy("Reason (Chinese)"),
    "shocks": gettext_lazy("Shocks"),
    "status": gettext_lazy("Status"),
    "case": gettext_lazy("Case"),
    "files": gettext_lazy("Files"),
    "rows": gettext_lazy("Rows"),
    "written": gettext_lazy("Written"),
    "unchanged": gettext_lazy("Unchanged"),
    "skipped": gettext_lazy("Skipped"),
    "inserted": gettext_lazy("Inserted"),
    "updated": gettext_lazy("Updated"),
    "periods": gettext_lazy("Months"),
    "source_file": gettext_lazy("File"),
    "queued": gettext_lazy("Queued"),
    "week_ending": gettext_lazy("Week ending"),
    "pdf": gettext_lazy("PDF"),
    # Inside a white-list entry's figures.
    "trade_usd": gettext_lazy("Imports plus exports last year (USD)"),
    "threshold_usd": gettext_lazy("White-list threshold (USD)"),
    "money_needs": gettext_lazy("Open money needs"),
    "worst_warning": gettext_lazy("Worst open warning"),
    "payment_terms_extended": gettext_lazy("Buyers asked for longer payment terms"),
    "main_market_in_warning": gettext_lazy("Main market in warning"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return action if label is None else str(label)


def object_type_label(object_type: str) -> str:
    label = OBJECT_TYPE_LABELS.get(object_type)
    return object_type if label is None else str(label)


def field_label(key: str, object_type: str = "") -> str:
    if key == "kind":
        return str(_CALENDAR_KIND if object_type == "calendar_day" else COLUMN_LABELS["kind"])
    if key == "amount_usd" and object_type == "export_target":
        return str(_TARGET)
    label = FIELD_LABELS.get(key) or COLUMN_LABELS.get(key)
    return key if label is None else str(label)


_CALENDAR_KIND = gettext_lazy("Kind of day")
_TARGET = gettext_lazy("Target (USD)")
EMPTY = "—"


_DEPARTMENT_KEYS = ("lead", "co", "routed", "lead_department", "co_departments", "department", "departments")


def _choices(object_type: str, key: str) -> Mapping[str, Any]:
    """The labels of a coded value (a case state, an approval...), read from the choices of the model it belongs to."""
    if key == "state" and object_type == "case":
        from exportwatch.cases.models import State

        return dict(State.choices)
    if object_type in ("case", "routing_rule") and key in _DEPARTMENT_KEYS:
        from exportwatch.directory.models import Department

        return {d.code: d.label for d in Department.objects.all()}
    if object_type in ("case", "routing_rule") and key == "category":
        from exportwatch.reporting.models import NeedCategory

        return dict(NeedCategory.choices)
    if key == "kind" and object_type == "calendar_day":
        from exportwatch.cases.models import CalendarKind

        return dict(CalendarKind.choices)
    if key == "status" and object_type == "warning":
        from exportwatch.warnings.models import Status

        return dict(Status.choices)
    if object_type.startswith("whitelist_"):
        from exportwatch.finance.models import Approval, Outcome, PriorityLevel, Product
        from exportwatch.reporting.models import NeedCategory, Urgency

        table = {
            "approval": Approval,
            "outcome": Outcome,
            "priority": PriorityLevel,
            "product": Product,
            "products": Product,
            "category": NeedCategory,  # of the money needs among an entry's figures
            "urgency": Urgency,
        }
        return dict(table[key].choices) if key in table else {}
    if object_type in ("report", "disruption", "need"):
        from exportwatch.reporting.models import DisruptionKind, NeedCategory, Source, Trend, Urgency

        table = {
            "source": Source,
            "new_orders_trend": Trend,
            "outlook_3m": Trend,
            "kind": DisruptionKind,
            "category": NeedCategory,
            "urgency": Urgency,
        }
        return dict(table[key].choices) if key in table else {}
    return {}


def value_text(value: Any, *, key: str = "", object_type: str = "") -> str:
    """A stored value as a reader sees it: a code as its label, an amount with thousands separators, a list joined."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v, key=key, object_type=object_type) for v in value) or EMPTY
    if isinstance(value, dict):  # a record inside a value (a money need of a white-list entry): its fields labelled
        return (
            "; ".join(
                f"{field_label(k, object_type)}: {value_text(v, key=k, object_type=object_type)}"
                for k, v in value.items()
            )
            or EMPTY
        )
    if isinstance(value, str):
        label = _choices(object_type, key).get(value)
        if label is not None:
            return str(label)
        if key.endswith("_usd"):
            try:
                return f"{Decimal(value):,.2f}"
            except InvalidOperation:
                return value
        return value
    if isinstance(value, int | float | Decimal) and key.endswith("_usd"):
        return f"{Decimal(str(value)):,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Change:
    """One field of an event that differs between its old and its new values."""

    key: str
    label: str
    old: str
    new: str


_ABSENT = object()


def event_changes(*, object_type: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[Change]:
    """The fields whose value differs between ``old`` and ``new``, in the order they were written: every field of a
    creation (old shown as empty) or a removal (new shown as empty), only the changed ones of an update. A field
    holding a mapping (a white-list entry's figures) is compared key by key, as ``Figures › key``."""
    return _changes(object_type, old or {}, new or {}, prefix="", label_prefix="")


def _changes(
    object_type: str, before: Mapping[str, Any], after: Mapping[str, Any], *, prefix: str, label_prefix: str
) -> list[Change]:
    changes = []
    for key in dict.fromkeys([*before, *after]):
        was, now = before.get(key, _ABSENT), after.get(key, _ABSENT)
        if was == now:
            continue
        label = label_prefix + field_label(key, object_type)
        nested = (was is _ABSENT or isinstance(was, dict)) and (now is _ABSENT or isinstance(now, dict))
        if nested and not prefix:
            changes.extend(
                _changes(
                    object_type,
                    {} if was is _ABSENT else was,
                    {} if now is _ABSENT else now,
                    prefix=f"{key}.",
                    label_prefix=f"{label} › ",
                )
            )
            continue
        changes.append(
            Change(
                key=prefix + key,
                label=label,
                old=EMPTY if was is _ABSENT else value_text(was, key=key, object_type=object_type),
                new=EMPTY if now is _ABSENT else value_text(now, key=key, object_type=object_type),
            )
        )
    return changes


def changes_text(changes: list[Change]) -> str:
    """The changes on one line, for a download: ``label: old → new; ...``."""
    return "; ".join(f"{c.label}: {c.old} → {c.new}" for c in changes)
