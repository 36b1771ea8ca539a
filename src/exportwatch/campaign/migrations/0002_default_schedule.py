"""The default reminder schedule: 3 days before each monthly deadline, on the day, 1 and 3 days after."""

from typing import Any

from django.db import migrations
from django.utils import timezone

DEFAULT_OFFSETS = (-3, 0, 1, 3)


def add_defaults(apps: Any, schema_editor: Any) -> None:
    point = apps.get_model("campaign", "ReminderPoint")
    if point.objects.exists():
        return
    now = timezone.now()
    point.objects.bulk_create([point(offset_days=o, created_at=now) for o in DEFAULT_OFFSETS])


class Migration(migrations.Migration):
    dependencies = [("campaign", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
