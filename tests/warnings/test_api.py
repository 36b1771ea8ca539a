"""GET /api/warnings: the warnings of the caller's scope, for the bureau's users only."""

from __future__ import annotations

import pytest

from exportwatch.warnings.services import warnings_evaluate
from tests.api.test_api import Api
from tests.conftest import World

PERIOD = "2020-03"


@pytest.fixture
def evaluated(book: World, month_rule: None) -> World:
    """The book's month evaluated with the year-on-year rules judging its small amounts (as ``raised``)."""
    warnings_evaluate(period=PERIOD)
    return book


def keys(world: World, persona: str, **params: str) -> set[tuple[str, str]]:
    response = Api(getattr(world, persona)).get("/api/warnings", period=PERIOD, **params)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len({(i["scope"], i["key"], i["rule"]) for i in body["items"]})
    return {(i["scope"], i["key"]) for i in body["items"]}


def test_each_persona_gets_the_warnings_of_their_scope_only(evaluated: World) -> None:
    a, c = evaluated.ent_a.uscc, evaluated.ent_c.uscc
    admin = keys(evaluated, "admin")
    assert ("enterprise", a) in admin and ("enterprise", c) in admin and ("market", "US") in admin
    officer = keys(evaluated, "town_officer")
    assert ("enterprise", a) in officer
    assert ("enterprise", c) not in officer and not {s for s, _k in officer} & {"market", "hs", "district"}
    assert keys(evaluated, "outsider") == set()
    analyst = keys(evaluated, "analyst")  # the district's: not every enterprise, so not the jurisdiction's
    assert {("enterprise", a), ("enterprise", c)} <= analyst and ("market", "US") not in analyst


def test_filters_and_paging(evaluated: World) -> None:
    api = Api(evaluated.admin)
    body = api.get("/api/warnings", period=PERIOD, scope="market", level="red").json()
    assert body["items"] and all(i["scope"] == "market" and i["level"] == "red" for i in body["items"])
    first = api.get("/api/warnings", period=PERIOD, limit=1).json()
    assert len(first["items"]) == 1 and first["count"] > 1
    item = first["items"][0]
    assert set(item) >= {"period", "scope", "key", "level", "rule", "rule_version", "value", "threshold", "status"}
    assert api.get("/api/warnings", level="purple").status_code == 404
    assert api.get("/api/warnings", period="2020-13").status_code == 404


@pytest.mark.parametrize("persona", ["reporter", "handler"])
def test_enterprises_and_departments_are_refused(evaluated: World, persona: str) -> None:
    assert Api(getattr(evaluated, persona)).get("/api/warnings").status_code == 403


def test_no_credentials_no_warnings(evaluated: World) -> None:
    from django.test import Client

    assert Client().get("/api/warnings").status_code == 401
