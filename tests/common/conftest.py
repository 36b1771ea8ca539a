"""Load the reference data once per session (committed), so the shared ``ref`` fixture finds it in place.

This only saves time: ``ref`` still loads it itself when a transactional test has flushed the database.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import _load_reference


@pytest.fixture(scope="session")
def _reference_loaded_once(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        _load_reference()


@pytest.fixture
def ref(_reference_loaded_once: None, db: Any) -> None:
    _load_reference()
