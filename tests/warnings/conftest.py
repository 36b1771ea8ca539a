"""The monitoring book (a hand-built month of reports) for the warning tests, and the rule set its tests judge
it by."""

from __future__ import annotations

import pytest

from exportwatch.core.warning_rules import SCOPES
from tests.conftest import World
from tests.monitoring.conftest import book  # noqa: F401


@pytest.fixture
def month_rule(world: World) -> None:
    """New orders of the month judged for enterprises too, from 10,000 USD a year, as an analyst may set it: the
    hand-built book holds one month a year before, too little for the shipped three-month enterprise rule, and its
    amounts are a thousandth of real ones."""
    from exportwatch.warnings.models import RuleVersion
    from exportwatch.warnings.services import rule_version_create

    current = RuleVersion.objects.filter(key="new_orders_yoy").order_by("-version").first()
    assert current is not None
    rule_version_create(
        current=current,
        changes={"min_base": 10_000.0, "scopes": tuple(SCOPES)},
        actor=world.admin,
        note="the small book",
    )
