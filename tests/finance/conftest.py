"""The personas with a white list judged on them.

On the list after a refresh: ``ent_a`` (town A, 12.5 M USD of trade), ``ent_b`` (town A, 1.1 M), ``ent_c`` (town B,
raised here to 2.1 M) and ``ent_far`` (the outsider's district, 2 M). The world's ``handler`` belongs to the first
department by code, the bank ``abc``; ``other_bank`` is a handler of ``boc`` and ``finance_clerk`` of the finance
bureau (not an institution).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from exportwatch.accounts.models import Role, User
from exportwatch.common import clock
from exportwatch.core.records import NeedIn
from exportwatch.directory.models import Department, Enterprise
from exportwatch.finance.models import WhitelistEntry
from exportwatch.finance.services import entry_decide, referral_create, whitelist_refresh
from exportwatch.reporting.models import Need, Source
from exportwatch.reporting.services import need_file
from tests.api.conftest import reference_for_module  # noqa: F401
from tests.conftest import World


@pytest.fixture(autouse=True)
def _reference(reference_for_module: None) -> None:  # noqa: F811
    """The reference data, loaded once per module."""


def file_need(
    enterprise: Enterprise,
    *,
    by: Any,
    category: str = "financing",
    amount: int | None = 300_000,
    urgency: str = "high",
    description: str = "复工后原材料采购资金紧张|需资金约30万美元",
    date: dt.date | None = None,
) -> Need:
    data = NeedIn(
        uscc=enterprise.uscc,
        date=date or clock.today(),
        category=category,
        amount_usd=None if amount is None else Decimal(amount),
        urgency=urgency,
        description=description,
    )
    need = need_file(enterprise=enterprise, data=data, created_by=by, source=Source.WEB).obj
    assert isinstance(need, Need)
    return need


def handler_of(code: str, username: str, world: World) -> User:
    user = User(username=username, role=Role.HANDLER, department=Department.objects.get(code=code))
    user.set_password(world.password)
    user.save()
    return user


@pytest.fixture
def listed(world: World) -> World:
    """The world with ent_c large enough to qualify and the list refreshed."""
    assert world.handler.department.code == "abc"
    Enterprise.objects.filter(pk=world.ent_c.pk).update(exports_last_year_usd=Decimal(2_000_000))
    world.ent_c.refresh_from_db()
    whitelist_refresh()
    return world


def entry_of(enterprise: Enterprise) -> WhitelistEntry:
    return WhitelistEntry.objects.get(enterprise=enterprise)


@pytest.fixture
def referred(listed: World) -> Any:
    """ent_a approved and referred to the handler's bank (abc) for a credit loan, ent_b to boc."""
    a = entry_decide(entry=entry_of(listed.ent_a), decision="approved", actor=listed.analyst)
    b = entry_decide(entry=entry_of(listed.ent_b), decision="approved", actor=listed.analyst)
    to_abc = referral_create(
        entry=a, product="credit_loan", institution=Department.objects.get(code="abc"), actor=listed.analyst
    )
    to_boc = referral_create(
        entry=b, product="guaranteed_loan", institution=Department.objects.get(code="boc"), actor=listed.analyst
    )
    return listed, to_abc, to_boc
