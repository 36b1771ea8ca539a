"""Cases made from needs filed by the personas, with the default routing table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from exportwatch.accounts.models import Role, User
from exportwatch.cases.models import Case
from exportwatch.cases.services import case_assign, case_transition, routing_defaults_ensure
from exportwatch.common import clock
from exportwatch.core.records import NeedIn
from exportwatch.reporting.models import Need, Source
from exportwatch.reporting.services import need_file
from tests.api.conftest import reference_for_module  # noqa: F401
from tests.conftest import World

CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def _reference(reference_for_module: None) -> None:  # noqa: F811
    """The reference data, loaded once per module."""


@pytest.fixture
def routed(world: World) -> World:
    """The personas, with the shipped routing table (other test modules may have removed the departments the data
    migration seeded it with)."""
    routing_defaults_ensure()
    return world


def file_need(
    enterprise: Any, *, by: Any, category: str = "financing", description: str = "需要流动资金贷款500万元"
) -> Need:
    data = NeedIn(
        uscc=enterprise.uscc,
        date=clock.today(),
        category=category,
        amount_usd=Decimal("500000.00"),
        urgency="high",
        description=description,
    )
    need = need_file(enterprise=enterprise, data=data, created_by=by, source=Source.WEB).obj
    assert isinstance(need, Need)
    return need


def case_of(need: Need) -> Case:
    return Case.objects.get(need=need)


def new_case(
    world: World, *, enterprise: Any = None, by: Any = None, description: str = "需要流动资金贷款500万元"
) -> Case:
    return case_of(file_need(enterprise or world.ent_a, by=by or world.reporter, description=description))


def dispatched(world: World, case: Case, *, co: tuple[str, ...] = ()) -> Case:
    """Triaged by the analyst and assigned to the handler's department."""
    case_transition(case, "triaged", actor=world.analyst)
    case_assign(case, lead=world.handler.department, co=co, actor=world.analyst)
    return case


def accepted(world: World, case: Case) -> Case:
    dispatched(world, case)
    case_transition(case, "accepted", actor=world.handler)
    return case


def handler_of(code: str, username: str) -> User:
    return User.objects.create(username=username, role=Role.HANDLER, department_id=code)
