"""Rule versions (rows) <-> the core's ``ThresholdRule``."""

from __future__ import annotations

from typing import Any

from exportwatch.core.warning_rules import ThresholdRule
from exportwatch.warnings.models import RuleVersion


def rule_of(row: RuleVersion) -> ThresholdRule:
    return ThresholdRule(
        key=row.key,
        indicator=row.indicator,
        direction=row.direction,
        thresholds={str(k): float(v) for k, v in dict(row.thresholds).items()},
        scopes=tuple(row.scopes),
        reason=row.reason,
        reason_zh=row.reason_zh,
        requires=tuple(row.requires or ()),
        base=row.base or None,
        min_base=row.min_base if row.base else None,
    )


def rule_fields(rule: ThresholdRule) -> dict[str, Any]:
    """The columns of a ``RuleVersion`` that hold ``rule``."""
    return {
        "key": rule.key,
        "indicator": rule.indicator,
        "direction": rule.direction,
        "thresholds": dict(rule.thresholds),
        "scopes": list(rule.scopes),
        "requires": list(rule.requires),
        "base": rule.base or "",
        "min_base": rule.min_base,
        "reason": rule.reason,
        "reason_zh": rule.reason_zh,
    }
