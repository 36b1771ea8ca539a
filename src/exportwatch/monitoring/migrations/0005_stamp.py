from __future__ import annotations

from typing import Any

from django.db import migrations, models


def first_row(apps: Any, schema_editor: Any) -> None:
    apps.get_model("monitoring", "Stamp").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0004_total_rollups_by_dimension")]

    operations = [
        migrations.CreateModel(
            name="Stamp",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(first_row, migrations.RunPython.noop),
    ]
