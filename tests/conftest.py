"""Shared fixtures: reference data and the named personas that encode the access rules.

Personas (two towns of the demo district, and a second district for the outsider):
- reporter: reports for ``ent_a`` (town A) only
- other_reporter: reports for ``ent_c`` (town B)
- town_officer: town A (sees ent_a, ent_b; not ent_c)
- analyst, leader: the whole district
- handler: a department; sees no enterprise directly
- outsider: an analyst of another district: sees nothing of ours
- admin: everything
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from exportwatch.core.codes import uscc_check_char


def pytest_configure(config: Any) -> None:
    if os.environ.get("EXPORTWATCH_TEST_POSTGRES"):
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine and os.environ.get("DATABASE_URL", "").startswith("postgres"):
            raise pytest.UsageError("EXPORTWATCH_TEST_POSTGRES is set but the database is not PostgreSQL")


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts and ends with no language active, so it reads the default (zh-Hans) whatever ran before it.

    Django's test client leaves the language of a request active in the thread after it returns (the locale
    middleware activates it and nothing deactivates it), so without this a test ran in the language of the previous
    test's last request: a forecast run computed after an English page stored English names, and a PostgreSQL-only
    failure depended on the order of the tests."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


def make_uscc(serial: int) -> str:
    body = f"91330213MA{serial:07d}"
    return body + uscc_check_char(body)


def _load_reference() -> None:
    from exportwatch.directory.models import Market
    from exportwatch.directory.reference import reference_load

    if not Market.objects.exists():
        reference_load()


@pytest.fixture
def ref(db: Any) -> None:
    _load_reference()


@pytest.fixture
def ref_tx(transactional_db: Any) -> None:
    _load_reference()


@dataclass
class World:
    ent_a: Any
    ent_b: Any
    ent_c: Any
    ent_far: Any
    reporter: Any
    other_reporter: Any
    town_officer: Any
    analyst: Any
    leader: Any
    handler: Any
    outsider: Any
    admin: Any
    password: str = "persona-password-1"


def build_world() -> World:
    from exportwatch.accounts.models import Role, User
    from exportwatch.directory.models import Department, Enterprise, Region

    district = Region.objects.get(code="330213")
    town_a = Region.objects.get(code="330213001")
    town_b = Region.objects.get(code="330213100")
    far_district = Region.objects.get(code="330203")

    def enterprise(serial: int, name: str, town: Region, exports: int, imports: int = 0) -> Enterprise:
        return Enterprise.objects.create(
            uscc=make_uscc(serial),
            name=name,
            customs_code=f"3302{serial:06d}",
            town=town,
            industry_id="34",
            exports_last_year_usd=Decimal(exports),
            imports_last_year_usd=Decimal(imports),
            contact_name="王会计",
            contact_phone="13800000000",
        )

    ent_a = enterprise(1, "宁波甲气动有限公司", town_a, 12_000_000, 500_000)
    ent_b = enterprise(2, "宁波乙服饰有限公司", town_a, 800_000, 300_000)
    ent_c = enterprise(3, "宁波丙文具有限公司", town_b, 300_000, 100_000)
    # A town outside the demo district does not exist in the reference data; the far enterprise sits in
    # a district-level node, which is enough to be outside every district-scoped user.
    ent_far = Enterprise.objects.create(
        uscc=make_uscc(4),
        name="海曙远方贸易有限公司",
        town=far_district,
        industry_id="51",
        exports_last_year_usd=Decimal(2_000_000),
        imports_last_year_usd=Decimal(0),
    )
    dept = Department.objects.order_by("code").first()
    pw = World.password

    def user(username: str, role: str, **extra: Any) -> User:
        u = User(username=username, role=role, **extra)
        u.set_password(pw)
        u.save()
        return u

    return World(
        ent_a=ent_a,
        ent_b=ent_b,
        ent_c=ent_c,
        ent_far=ent_far,
        reporter=user("reporter", Role.REPORTER, enterprise=ent_a),
        other_reporter=user("other_reporter", Role.REPORTER, enterprise=ent_c),
        town_officer=user("town_officer", Role.TOWN_OFFICER, region=town_a),
        analyst=user("analyst", Role.ANALYST, region=district),
        leader=user("leader", Role.LEADER, region=district),
        handler=user("handler", Role.HANDLER, department=dept),
        outsider=user("outsider", Role.ANALYST, region=far_district),
        admin=user("admin", Role.ADMIN, is_staff=True, is_superuser=True, region=district),
    )


@pytest.fixture
def world(ref: None) -> World:
    return build_world()


@pytest.fixture
def world_tx(ref_tx: None) -> World:
    return build_world()
