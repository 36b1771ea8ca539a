"""Every API operation of the OpenAPI document, every persona, with crafted foreign ids.

``OPERATIONS`` has an entry for each operation (``test_every_api_operation_is_in_the_table`` fails for a new one
without). An *object* operation is called with the persona's ``TARGET`` enterprise (its credit code, case,
referral) and must be refused (401, 403 or 404) and nothing written; a *list* operation is called plainly and
filtered or searched for the foreign enterprise, and may answer 200. No answer may carry a foreign enterprise's name
or credit code, beyond what the request itself sent. Each persona calls with its own bearer token (the anonymous
caller with none).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import pytest
from django.test import Client

from exportwatch.accounts.models import ApiToken
from exportwatch.api.router import api
from tests.security.conftest import PERSONAS, TARGET, Scoped, leaks

Fill = Callable[[Scoped, str], dict[str, Any]]


@dataclass(frozen=True)
class Op:
    kind: str  # "object": refused; "list": may answer, never with foreign rows
    path: Fill | None = None  # path parameters
    queries: tuple[str, ...] = ("",)  # "{uscc}", "{name}" filled with the target's
    body: Fill | None = None


def uscc(s: Scoped, p: str) -> dict[str, Any]:
    return {"uscc": s.target(p).uscc}


def case(s: Scoped, p: str) -> dict[str, Any]:
    return {"case_id": s.cases[TARGET[p]].pk}


FILTERS = ("", "?uscc={uscc}")

OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", "/api/enterprises"): Op("list", queries=("", "?q={name}", "?q={uscc}", "?town={town}")),
    ("GET", "/api/enterprises/{uscc}"): Op("object", uscc),
    ("POST", "/api/reports"): Op(
        "object",
        body=lambda s, p: {
            "uscc": s.target(p).uscc,
            "period": "2020-03",
            "exports_usd": 1,
            "new_orders_usd": 1,
            "backlog_usd": 1,
            "backlog_due_3m_usd": 1,
            "new_orders_trend": "same",
            "outlook_3m": "same",
        },
    ),
    ("GET", "/api/reports"): Op("list", queries=(*FILTERS, "?period=2020-03")),
    ("GET", "/api/reports/{uscc}/{period}"): Op("object", lambda s, p: {**uscc(s, p), "period": "2020-03"}),
    ("GET", "/api/reports/{uscc}/{period}/versions"): Op("object", lambda s, p: {**uscc(s, p), "period": "2020-03"}),
    ("POST", "/api/disruptions"): Op(
        "object", body=lambda s, p: {"uscc": s.target(p).uscc, "date": "2020-03-20", "kind": "shipment_delayed"}
    ),
    ("GET", "/api/disruptions"): Op("list", queries=FILTERS),
    ("POST", "/api/needs"): Op(
        "object",
        body=lambda s, p: {"uscc": s.target(p).uscc, "date": "2020-03-20", "category": "financing", "urgency": "high"},
    ),
    ("GET", "/api/needs"): Op("list", queries=FILTERS),
    ("GET", "/api/warnings"): Op("list", queries=("", "?period=2020-03", "?scope=enterprise")),
    ("GET", "/api/audit"): Op("list", queries=(*FILTERS, "?object_type=report")),
    ("GET", "/api/cases"): Op("list", queries=(*FILTERS, "?open=true")),
    ("POST", "/api/cases"): Op(
        "object",
        body=lambda s, p: {"uscc": s.target(p).uscc, "date": "2020-03-20", "category": "financing", "urgency": "high"},
    ),
    ("GET", "/api/cases/{case_id}"): Op("object", case),
    ("POST", "/api/cases/{case_id}/transition"): Op("object", case, body=lambda s, p: {"to": "triaged"}),
    ("POST", "/api/cases/{case_id}/assign"): Op("object", case, body=lambda s, p: {"lead": "abc"}),
    ("POST", "/api/cases/{case_id}/comment"): Op("object", case, body=lambda s, p: {"note": "x"}),
    ("POST", "/api/cases/{case_id}/supervise"): Op("object", case, body=lambda s, p: {"note": "x"}),
    ("GET", "/api/whitelist/entries"): Op("list", queries=("", "?q={name}", "?q={uscc}", "?town={town}")),
    ("GET", "/api/whitelist/entries/{uscc}"): Op("object", uscc),
    ("POST", "/api/whitelist/entries/{uscc}/decision"): Op(
        "object", uscc, body=lambda s, p: {"decision": "rejected", "note": "x"}
    ),
    ("POST", "/api/whitelist/entries/{uscc}/referrals"): Op(
        "object", uscc, body=lambda s, p: {"product": "credit_loan", "institution": "abc"}
    ),
    ("GET", "/api/whitelist/referrals"): Op("list"),
    ("POST", "/api/whitelist/referrals/{referral_id}/outcome"): Op(
        "object",
        lambda s, p: {"referral_id": s.referrals[TARGET[p]].pk},
        body=lambda s, p: {"outcome": "refused", "reason": "x"},
    ),
    ("GET", "/api/forecasts"): Op("list", queries=("", "?scope=enterprise", "?scope=town")),
    ("GET", "/api/forecasts/{scope}/{key}"): Op(
        "object", lambda s, p: {"scope": "enterprise", "key": s.target(p).uscc}
    ),
}


def operations() -> list[tuple[str, str]]:
    doc = api.get_openapi_schema()
    return [(method.upper(), path) for path, ops in doc["paths"].items() for method in ops]


def client_for(s: Scoped, persona: str) -> Client:
    user = s.user(persona)
    if user is None:
        return Client()
    _token, raw = ApiToken.objects.issue(user=user, name="scope test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _counts() -> tuple[int, ...]:
    from exportwatch.cases.models import CaseEvent
    from exportwatch.finance.models import Referral
    from exportwatch.reporting.models import Disruption, Need, Report

    return tuple(m.objects.count() for m in (Report, Disruption, Need, CaseEvent, Referral))


def test_every_api_operation_is_in_the_table() -> None:
    found = operations()
    assert sorted(set(found) - set(OPERATIONS)) == [], "API operations with no entry in OPERATIONS"
    assert sorted(set(OPERATIONS) - set(found)) == [], "OPERATIONS entries for operations that no longer exist"


@pytest.mark.parametrize("operation", sorted(OPERATIONS), ids=lambda o: f"{o[0]} {o[1]}")
def test_no_persona_reaches_another_scope_through_the_api(scoped: Scoped, operation: tuple[str, str]) -> None:
    method, template = operation
    op = OPERATIONS[operation]
    failures = []
    before = _counts()
    for persona in PERSONAS:
        client = client_for(scoped, persona)
        path = template.format(**op.path(scoped, persona)) if op.path else template
        target = scoped.target(persona)
        for query in op.queries:
            url = path + query.format(uscc=target.uscc, name=quote(target.name), town=target.town_id)
            if method == "GET":
                response = client.get(url)
            else:
                body = op.body(scoped, persona) if op.body else {}
                response = client.post(url, json.dumps(body), content_type="application/json")
            where = f"{persona} {method} {url} -> {response.status_code}"
            if response.status_code >= 500:
                failures.append(f"{where}: server error")
            if (op.kind == "object" or persona == "anonymous") and response.status_code not in (401, 403, 404):
                failures.append(f"{where}: not refused")
            found = leaks(
                scoped,
                persona,
                response.content.decode(),
                echoed=unquote(url) + json.dumps(op.body(scoped, persona) if op.body else {}, ensure_ascii=False),
            )
            if found:
                failures.append(f"{where}: shows {found}")
    assert _counts() == before, "a refused call wrote something"
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "operation", sorted(o for o, op in OPERATIONS.items() if op.kind == "object" and o[0] == "GET"), ids=str
)
def test_the_administrator_reaches_the_objects_the_others_are_refused(
    scoped: Scoped, operation: tuple[str, str]
) -> None:
    op = OPERATIONS[operation]
    assert op.path is not None
    response = client_for(scoped, "admin").get(operation[1].format(**op.path(scoped, "reporter")))
    assert response.status_code == 200, response.content[:300]
