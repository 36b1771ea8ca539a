"""An audit event, once written, cannot be changed or removed through the model, its querysets or the admin; a person
who acted cannot be deleted from under their events."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from exportwatch.common.audit import audit_record
from exportwatch.common.models import AuditEvent, AuditTrailImmutable
from tests.conftest import World


@pytest.fixture
def event(world: World) -> AuditEvent:
    return audit_record(
        actor=world.analyst,
        action="rule.change",
        object_type="rule",
        object_key="new_orders_yoy/v2",
        old={"enabled": True},
        new={"enabled": False},
    )


def stored(event: AuditEvent) -> tuple[object, ...]:
    return tuple(AuditEvent.objects.filter(pk=event.pk).values_list("action", "old", "new", "note", "actor").get())


def test_saving_a_stored_event_again_is_refused(event: AuditEvent) -> None:
    before = stored(event)
    event.new = {"enabled": True}
    with pytest.raises(AuditTrailImmutable):
        event.save()
    assert stored(event) == before


def test_deleting_an_event_is_refused(event: AuditEvent) -> None:
    with pytest.raises(AuditTrailImmutable):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_querysets_refuse_update_and_delete(event: AuditEvent) -> None:
    before = stored(event)
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(note="tampered")
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.all().delete()
    event.note = "tampered"
    with pytest.raises(AuditTrailImmutable), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["note"])
    assert stored(event) == before


def test_a_new_event_built_with_a_stored_events_id_is_inserted_never_updated(event: AuditEvent) -> None:
    before = stored(event)
    copy = AuditEvent(pk=event.pk, at=event.at, action="x", object_type="x", object_key="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    assert stored(event) == before


def test_a_person_who_acted_cannot_be_deleted(world: World, event: AuditEvent) -> None:
    with pytest.raises(ProtectedError):
        world.analyst.delete()
    assert stored(event)[4] == world.analyst.pk


def test_the_admin_shows_events_read_only(world: World, event: AuditEvent) -> None:
    client = Client()
    client.force_login(world.admin)
    change = reverse("admin:common_auditevent_change", args=[event.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(change, {"note": "tampered"}).status_code == 403
    assert client.post(reverse("admin:common_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:common_auditevent_add")).status_code == 403
    changelist = client.post(
        reverse("admin:common_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302)
    assert stored(event)[3] == ""  # the note untouched, the event still there
