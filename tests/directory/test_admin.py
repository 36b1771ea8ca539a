"""The administrator maintains the registry in Django's admin: validated like every path, audited."""

from __future__ import annotations

from typing import Any

from django.test import Client

from exportwatch.common.models import AuditEvent
from exportwatch.directory.models import Enterprise
from tests.conftest import World, make_uscc


def _form(uscc: str, **changes: Any) -> dict[str, Any]:
    data = {
        "uscc": uscc,
        "name": "宁波丁五金有限公司",
        "customs_code": "3302000099",
        "town": "330213001",
        "industry": "33",
        "exports_last_year_usd": "1500000",
        "imports_last_year_usd": "0",
        "contact_name": "",
        "contact_phone": "",
    }
    data.update(changes)
    return data


def test_the_admin_refuses_a_credit_code_with_a_wrong_check_character(client: Client, world: World) -> None:
    client.force_login(world.admin)
    good = make_uscc(99)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = client.post("/admin/directory/enterprise/add/", _form(bad))
    assert response.status_code == 200
    assert not Enterprise.objects.filter(uscc=bad).exists()
    assert good[17] in response.content.decode()  # the message names the expected check character


def test_an_admin_edit_of_an_enterprise_is_audited_with_old_and_new_values(client: Client, world: World) -> None:
    client.force_login(world.admin)
    ent = world.ent_b
    response = client.post(
        f"/admin/directory/enterprise/{ent.pk}/change/",
        _form(ent.uscc, name=ent.name, town=ent.town_id, industry=ent.industry_id, exports_last_year_usd="950000"),
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="enterprise.update", object_key=ent.uscc)
    assert event.actor == world.admin
    assert event.old["exports_last_year_usd"] == "800000.00"
    assert event.new["exports_last_year_usd"] == "950000.00"


def test_the_admin_is_closed_to_every_role_but_the_administrator(client: Client, world: World) -> None:
    for persona in (world.reporter, world.town_officer, world.analyst, world.leader, world.handler, world.outsider):
        client.force_login(persona)
        response = client.get("/admin/directory/enterprise/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
