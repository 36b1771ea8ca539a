"""Seed the routing table: every need category gets the default of ``exportwatch.cases.defaults``.

The departments are reference data that ``directory.reference.reference_load`` upserts later; the ones the table
names are created here first (from the shipped ``directory/data/departments.json``) when missing, so the rules can
point at them on a fresh database. A category that already has a rule is left alone.
"""

import json
from importlib import resources
from typing import Any

from django.db import migrations

from exportwatch.cases.defaults import DEFAULT_ROUTING


def _shipped_departments() -> dict[str, dict[str, Any]]:
    text = resources.files("exportwatch.directory").joinpath("data", "departments.json").read_text(encoding="utf-8")
    return {item["code"]: item for item in json.loads(text)["items"]}


def seed(apps: Any, schema_editor: Any) -> None:
    Department = apps.get_model("directory", "Department")
    RoutingRule = apps.get_model("cases", "RoutingRule")
    shipped = _shipped_departments()
    wanted = {code for route in DEFAULT_ROUTING.values() for code in (route.lead, *route.co)}
    departments = {}
    for code in sorted(wanted):
        department = Department.objects.filter(code=code).first()
        if department is None and code in shipped:
            item = shipped[code]
            department = Department.objects.create(
                code=code, name=item["name"], name_en=item.get("name_en", ""), kind=item.get("kind", "")
            )
        if department is not None:
            departments[code] = department
    for category, route in DEFAULT_ROUTING.items():
        if RoutingRule.objects.filter(category=category).exists():
            continue
        rule = RoutingRule.objects.create(
            category=category,
            lead_department=departments.get(route.lead),
            first_response_days=route.first_response_days,
            resolution_days=route.resolution_days,
        )
        rule.co_departments.set([departments[code] for code in route.co if code in departments])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("directory", "0001_initial"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
