"""The default rules as the scenario suite tuned them, for databases made before: ``new_orders_yoy`` and
``exports_yoy`` judge groups only (a new version, when the rule is still the shipped version 1), and enterprises
get ``new_orders_3m_yoy`` (version 1). A rule an analyst has changed is left as they made it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import migrations

NOTE = "shipped change: enterprises judged on three months (scenario suite)"


def forward(apps: Any, schema_editor: Any) -> None:
    from exportwatch.core.warning_rules import DEFAULT_RULES, SCOPES
    from exportwatch.warnings.adapters import rule_fields

    RuleVersion = apps.get_model("warnings", "RuleVersion")
    now = dt.datetime.now(dt.UTC)
    for rule in DEFAULT_RULES:
        latest = RuleVersion.objects.filter(key=rule.key).order_by("-version").first()
        if latest is None:
            RuleVersion.objects.create(
                version=1, enabled=True, created_at=now, note="default rule set", **rule_fields(rule)
            )
        elif (
            rule.key in ("new_orders_yoy", "exports_yoy")
            and latest.version == 1
            and latest.note == "default rule set"
            and list(latest.scopes) == list(SCOPES)
        ):
            RuleVersion.objects.create(
                version=2, enabled=latest.enabled, created_at=now, note=NOTE, **rule_fields(rule)
            )


class Migration(migrations.Migration):
    dependencies = [("warnings", "0004_pendingmonth")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
