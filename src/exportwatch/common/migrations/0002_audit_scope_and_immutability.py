"""Whose each audit event is (``uscc``, ``region_path``), filled for the events already written; a person who acted
can no longer be deleted from under their events (PROTECT)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import BigIntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Substr

# Events keyed by the enterprise's code (``uscc`` or ``uscc/...``).
KEYED_BY_USCC = ("report", "enterprise", "whitelist_entry")
# Events keyed by the id of a row that names its enterprise: object type -> (app, model, path to the code).
KEYED_BY_ROW = {
    "case": ("cases", "Case", "enterprise__uscc"),
    "disruption": ("reporting", "Disruption", "enterprise__uscc"),
    "need": ("reporting", "Need", "enterprise__uscc"),
    "whitelist_referral": ("finance", "Referral", "entry__enterprise__uscc"),
}


def backfill(apps, schema_editor):
    """Set-based: a few UPDATE statements whatever the size of the trail."""
    AuditEvent = apps.get_model("common", "AuditEvent")
    Enterprise = apps.get_model("directory", "Enterprise")
    Region = apps.get_model("directory", "Region")
    events = AuditEvent.objects.all()

    events.filter(object_type__in=KEYED_BY_USCC).update(uscc=Substr("object_key", 1, 18))
    events.filter(action="customs.update").update(uscc=Substr("object_key", 1, 18))
    for object_type, (app, model, path) in KEYED_BY_ROW.items():
        rows = apps.get_model(app, model).objects.filter(pk=Cast(OuterRef("object_key"), BigIntegerField()))
        events.filter(object_type=object_type).update(uscc=Coalesce(Subquery(rows.values(path)[:1]), Value("")))
    # An enterprise's events: its town now (the nearest to "when written" a backfill can know).
    events.exclude(uscc="").update(
        region_path=Coalesce(
            Subquery(Enterprise.objects.filter(uscc=OuterRef("uscc")).values("town__path")[:1]), Value("")
        )
    )
    Scenario = apps.get_model("stress", "Scenario")
    events.filter(object_type="stress_scenario").update(
        region_path=Coalesce(
            Subquery(
                Scenario.objects.filter(pk=Cast(OuterRef("object_key"), BigIntegerField())).values("region__path")[:1]
            ),
            Value(""),
        )
    )
    events.filter(object_type="town_quota").update(
        region_path=Coalesce(Subquery(Region.objects.filter(code=OuterRef("object_key")).values("path")[:1]), Value(""))
    )
    ReminderPoint = apps.get_model("campaign", "ReminderPoint")
    events.filter(object_type="reminder_point").update(
        region_path=Coalesce(
            Subquery(
                ReminderPoint.objects.filter(pk=Cast(OuterRef("object_key"), BigIntegerField())).values("town__path")[
                    :1
                ]
            ),
            Value(""),
        )
    )
    # The rest is the bureau's: the jurisdiction's. An enterprise's event whose enterprise is gone stays unscoped
    # (only users who see everything read it).
    jurisdiction = Region.objects.filter(code=settings.EXPORTWATCH_JURISDICTION).values_list("path", flat=True).first()
    if jurisdiction:
        events.filter(uscc="", region_path="").exclude(
            object_type__in=(*KEYED_BY_USCC, *KEYED_BY_ROW, "stress_scenario", "town_quota")
        ).exclude(action="customs.update").update(region_path=jurisdiction)


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("directory", "0001_initial"),
        ("reporting", "0003_report_market_mix"),
        ("cases", "0003_calendar_ordinary_day"),
        ("finance", "0001_initial"),
        ("stress", "0001_initial"),
        ("campaign", "0002_default_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="region_path",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="uscc",
            field=models.CharField(blank=True, default="", max_length=18, verbose_name="enterprise"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["uscc", "at"], name="audit_uscc_at"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
