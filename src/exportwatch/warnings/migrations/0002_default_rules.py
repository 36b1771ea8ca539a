"""Version 1 of every rule of the core's default rule set (``core.warning_rules.DEFAULT_RULES``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import migrations


def add_defaults(apps: Any, schema_editor: Any) -> None:
    from exportwatch.core.warning_rules import DEFAULT_RULES

    RuleVersion = apps.get_model("warnings", "RuleVersion")
    for rule in DEFAULT_RULES:
        if RuleVersion.objects.filter(key=rule.key).exists():
            continue
        RuleVersion.objects.create(
            key=rule.key,
            version=1,
            indicator=rule.indicator,
            direction=rule.direction,
            thresholds=dict(rule.thresholds),
            scopes=list(rule.scopes),
            requires=list(rule.requires),
            base=rule.base or "",
            min_base=rule.min_base,
            reason=rule.reason,
            reason_zh=rule.reason_zh,
            enabled=True,
            created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
            note="default rule set",
        )


class Migration(migrations.Migration):
    dependencies = [("warnings", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
