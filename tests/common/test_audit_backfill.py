"""The migration that gave audit events their scope fills it for the events written before it."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from exportwatch.common.models import AuditEvent
from exportwatch.core.records import NeedIn
from exportwatch.reporting.models import Source
from exportwatch.reporting.services import need_file
from tests.conftest import World

migration = importlib.import_module("exportwatch.common.migrations.0002_audit_scope_and_immutability")
AT = dt.datetime(2020, 4, 1, tzinfo=dt.UTC)


def unscoped(object_type: str, object_key: str, action: str = "x") -> AuditEvent:
    """An event as written before the migration: no enterprise code, no region path."""
    return AuditEvent.objects.create(at=AT, action=action, object_type=object_type, object_key=object_key)


def test_the_backfill_scopes_the_events_it_can_and_leaves_the_rest_to_those_who_see_everything(world: World) -> None:
    need = need_file(
        enterprise=world.ent_c,
        data=NeedIn(
            uscc=world.ent_c.uscc,
            date=dt.date(2020, 4, 1),
            category="financing",
            amount_usd=Decimal(1000),
            urgency="high",
            description="贷款",
        ),
        created_by=world.other_reporter,
        source=Source.WEB,
    ).obj
    report = unscoped("report", f"{world.ent_a.uscc}/2020-03", "report.submit")
    filed = unscoped("need", str(need.pk), "need.file")
    customs = unscoped("customs_export", f"{world.ent_far.uscc}/2020-03/US/84", "customs.update")
    rule = unscoped("rule", "new_orders_yoy/v2", "rule.change")
    gone = unscoped("enterprise", "91330213MA9999999X", "enterprise.delete")

    migration.backfill(MigrationLoader(connection).project_state().apps, None)

    def scope(event: AuditEvent) -> tuple[str, str]:
        return AuditEvent.objects.filter(pk=event.pk).values_list("uscc", "region_path").get()

    assert scope(report) == (world.ent_a.uscc, world.ent_a.town.path)
    assert scope(filed) == (world.ent_c.uscc, world.ent_c.town.path)
    assert scope(customs) == (world.ent_far.uscc, world.ent_far.town.path)
    assert scope(rule) == ("", "330000/330200/330213/")  # the jurisdiction's
    assert scope(gone) == ("91330213MA9999999X", "")  # its enterprise is gone: only those who see everything
