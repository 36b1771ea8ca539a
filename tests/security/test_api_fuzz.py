"""The API fuzzed from its OpenAPI document (schemathesis), and the web upload fuzzed (hypothesis): no server error.

schemathesis loads ``/api/openapi.json`` from the Django WSGI application in-process and generates requests for
every operation, valid ones (positive) and invalid ones (negative), sent with an analyst's and a reporter's bearer
token against the ``scoped`` world. No response may be a server error, every status must be one the document lists
for the operation, and every body must conform to the schema the document gives for that status (errors
included: ``api/errors.py`` gives every refusal one documented shape). The number of requests sent is printed
(``-s``) and recorded in docs/security.md.

The database connection is kept across the in-process requests the way Django's test client keeps it (the WSGI
handler would otherwise close it at the end of each request, inside the test's transaction).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance
from schemathesis.generation import GenerationMode

from exportwatch.accounts.models import ApiToken
from tests.security.conftest import Scoped

EXAMPLES = 12  # per operation, generation mode and persona
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def bearer(user: Any) -> dict[str, str]:
    _token, raw = ApiToken.objects.issue(user=user, name="fuzz")
    return {"Authorization": f"Bearer {raw}"}


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    answered: set[str] = field(default_factory=set)  # operations that answered a generated request with success
    errors: list[str] = field(default_factory=list)


def known_ids(s: Scoped) -> dict[str, Any]:
    """Path parameters that name objects both fuzzing personas may read (ent_a's), so that positive cases get past
    the lookup and into the operation."""
    ent = s.world.ent_a
    return {
        "uscc": ent.uscc,
        "period": "2020-03",
        "case_id": s.cases["ent_a"].pk,
        "referral_id": s.referrals["ent_a"].pk,
        "scope": "enterprise",
        "key": ent.uscc,
    }


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], ids: dict[str, Any], tally: Tally) -> None:
    """Send ``EXAMPLES`` generated requests of one operation; no server error, a documented status and a body as
    documented for it. Positive cases take the known ids for the path; negative ones make up their own."""
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance]
    path_parameters = None
    if mode == GenerationMode.POSITIVE:
        path_parameters = {k: v for k, v in ids.items() if "{" + k + "}" in operation.path} or None

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        if response.status_code < 300:
            tally.answered.add(operation.label)
        if response.status_code >= 500:
            tally.errors.append(f"{case.method} {case.formatted_path} {case.query} {case.body!r}")
        case.validate_response(response, checks=checks, headers=headers)

    run()


@pytest.mark.parametrize("persona", ["analyst", "reporter"])
def test_no_generated_request_gives_a_server_error(scoped: Scoped, wsgi_app: WSGIHandler, persona: str) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    headers = bearer(getattr(scoped.world, persona))
    tally = Tally()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, headers, known_ids(scoped), tally)
    print(f"\nschemathesis ({persona}): {tally.requests} requests, {len(operations)} operations")
    print(f"{len(tally.answered)} operations answered with success; statuses {sorted(tally.statuses.items())}")
    assert len(operations) >= 26
    assert len(tally.answered) >= 8, "the token was not taken: the generated requests never got through"
    assert not tally.errors


def test_a_huge_offset_is_refused_not_a_server_error(scoped: Scoped) -> None:
    """Found by the fuzzing above: an offset past the database's integers (``?offset=10**20``) overflowed the SQL
    OFFSET (500 on SQLite and PostgreSQL); every paged operation now bounds it."""
    from exportwatch.api.router import api

    client = Client(headers=bearer(scoped.world.analyst))
    paged = [
        path
        for path, ops in api.get_openapi_schema()["paths"].items()
        for method, op in ops.items()
        if method == "get" and any(p["name"] == "offset" for p in op.get("parameters", []))
    ]
    assert len(paged) >= 7
    for path in paged:
        response = client.get(path, {"offset": 10**20})
        assert response.status_code == 422, (path, response.status_code)


def test_a_nul_character_is_refused_before_it_reaches_the_database(scoped: Scoped) -> None:
    """Found by the fuzzing above on PostgreSQL, which refuses a NUL in a text parameter: a credit code holding one
    in an API body (and ``?q=%00`` on the pages, see test_url_scope.py) was a server error; now a 400."""
    client = Client(headers=bearer(scoped.world.analyst))
    body = json.dumps({"uscc": "91\u0000", "period": "2020-03", "lines": [{"market": "US\u0000"}]})
    assert client.post("/api/reports", body, content_type="application/json").status_code == 400
    assert client.get("/api/enterprises", {"q": "a\x00"}).status_code == 400
    assert client.get("/api/enterprises/91%00").status_code == 400
    text = json.dumps({"uscc": scoped.world.ent_a.uscc, "date": "2020-03-20", "note": "a \\u0000 as text"})
    assert client.post("/api/disruptions", text, content_type="application/json").status_code != 400


def _upload_bodies() -> st.SearchStrategy[tuple[str, bytes]]:
    """Random bytes under any name; CSV text under a real table's header (so the rows reach the row checks) with
    random cells, formulas and numbers out of range; and bytes that start like a workbook (a zip)."""
    from exportwatch.exchange.tables import TABLES

    headers = st.sampled_from([",".join(t.columns) for t in TABLES.values()])
    cell = st.one_of(
        st.text(max_size=12),
        st.integers().map(str),
        st.sampled_from(["=1+1", "@SUM(A1)", "-1", "1e309", "NaN", "2020-13", "９１", '"', "\x00"]),
    )
    rows = st.lists(st.lists(cell, min_size=1, max_size=10).map(",".join), max_size=8)
    return st.one_of(
        st.tuples(st.sampled_from(["a.csv", "b.xlsx", "c.xls", "d.txt", "e", "../f.csv"]), st.binary(max_size=2048)),
        st.tuples(st.just("g.csv"), st.tuples(headers, rows).map(lambda hr: "\n".join([hr[0], *hr[1]]).encode())),
        st.tuples(
            st.just("h.csv"),
            st.tuples(headers, rows).map(lambda hr: "\n".join([hr[0], *hr[1]]).encode("gbk", "replace")),
        ),
        st.tuples(st.just("i.xlsx"), st.binary(max_size=1024).map(lambda b: b"PK\x03\x04" + b)),
    )


def _data_counts() -> tuple[int, ...]:
    from exportwatch.cases.models import CaseEvent
    from exportwatch.directory.models import Enterprise
    from exportwatch.reporting.models import Disruption, Need, Report, ReportLine

    return tuple(m.objects.count() for m in (Report, ReportLine, Disruption, Need, Enterprise, CaseEvent))


@pytest.mark.parametrize("persona", ["reporter", "town_officer"])
def test_random_uploads_never_give_a_server_error_and_write_nothing(scoped: Scoped, persona: str) -> None:
    client = Client()
    client.force_login(getattr(scoped.world, persona))
    before = _data_counts()
    sent = {"n": 0}

    @settings(max_examples=60, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(upload=_upload_bodies(), dry_run=st.booleans(), valid_rows_only=st.booleans())
    def run(upload: tuple[str, bytes], dry_run: bool, valid_rows_only: bool) -> None:
        name, data = upload
        form: dict[str, Any] = {"file": SimpleUploadedFile(name, data)}
        if dry_run:
            form["dry_run"] = "on"
        if valid_rows_only:
            form["valid_rows_only"] = "on"
        response = client.post("/exchange/import/", form)
        sent["n"] += 1
        assert response.status_code < 500, (name, data[:80])

    run()
    print(f"\nrandom uploads ({persona}): {sent['n']}")
    assert _data_counts() == before


def test_random_case_attachments_never_give_a_server_error(scoped: Scoped) -> None:
    """The other web upload: a comment's attachment on a case (the analyst comments on ent_a's case)."""
    from exportwatch.cases.models import CaseEvent

    client = Client()
    client.force_login(scoped.world.analyst)
    case = scoped.cases["ent_a"]
    url = f"/cases/{case.pk}/note/comment/"
    sent = {"n": 0, "stored": 0}

    @settings(max_examples=40, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(
        name=st.one_of(st.sampled_from(["a.pdf", "b.exe", "c.PDF", "../../d.pdf", "e.docx", ".pdf", "f"]), st.text()),
        data=st.binary(max_size=2048),
    )
    def run(name: str, data: bytes) -> None:
        case.refresh_from_db()
        before = CaseEvent.objects.count()
        form = {
            "comment-seen": case.state,
            "comment-action": "comment",
            "comment-note": "fuzz",
            "comment-attachment": SimpleUploadedFile(name or "x", data),
        }
        response = client.post(url, form)
        sent["n"] += 1
        assert response.status_code < 500, (name, data[:40])
        if CaseEvent.objects.count() > before:
            sent["stored"] += 1
            event = CaseEvent.objects.latest("pk")
            assert "/" not in event.attachment_name and "\\" not in event.attachment_name

    run()
    print(f"\nrandom case attachments: {sent['n']} ({sent['stored']} stored)")
