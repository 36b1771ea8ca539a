"""``/health/``: 200 when the database answers and the migrations are applied, else 503 saying which."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from exportwatch.common import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "_migrations_applied", False)  # as a process that has not checked yet


def test_a_healthy_site_answers_200_to_anyone_without_being_cached(client: Client) -> None:
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "migrations": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert client.head("/health/").status_code == 200
    assert client.post("/health/").status_code == 405


def test_a_database_that_does_not_answer_gives_503(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    class Down:
        def __enter__(self) -> Any:
            raise OperationalError("connection refused")

        def __exit__(self, *_: object) -> None:
            return None

    monkeypatch.setattr(health.connection, "cursor", lambda: Down())
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable", "migrations": "unknown"}
    assert response["Retry-After"] == "30"


def test_pending_migrations_give_503_until_applied(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    plans: list[list[str]] = [["a migration"], []]
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", lambda self, targets: plans.pop(0))
    pending = client.get("/health/")
    assert pending.status_code == 503
    assert pending.json()["migrations"] == "pending"
    assert client.get("/health/").status_code == 200  # applied now
    assert client.get("/health/").status_code == 200  # and not asked again: the plan list is empty
    assert plans == []
