"""Reference data loaded once per test module instead of once per test.

Loading the shipped reference data costs ~0.2 s; the personas of ``world`` need it in every test. Here it is
committed once for the module (each test still runs in its own rolled-back transaction) and removed afterwards,
so other test directories see the database as they would without this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def _reference_unload() -> None:
    from exportwatch.directory.models import Department, HSCode, Industry, Market, MarketGroup, Region, Segment

    for model in (MarketGroup, Department, Segment, Industry, HSCode, Market):
        model.objects.all().delete()
    for level in ("town", "district", "city", "province"):
        Region.objects.filter(level=level).delete()


@pytest.fixture(scope="module")
def reference_for_module(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    from exportwatch.directory.models import Market
    from exportwatch.directory.reference import reference_load

    with django_db_blocker.unblock():
        if Market.objects.exists():
            yield  # someone else loaded it and will remove it
            return
        reference_load()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            _reference_unload()


@pytest.fixture
def ref(reference_for_module: None, db: Any) -> None:
    """Overrides tests/conftest.py ``ref``: the same data, loaded once per module."""
