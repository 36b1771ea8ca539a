"""The REST API at /api/: authentication, scopes per persona, and the same rules as every other entry path."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from exportwatch.accounts.models import ApiToken
from exportwatch.common.models import AuditEvent
from exportwatch.reporting.models import Disruption, Need, Report, ReportLine
from tests.conftest import World, make_uscc

PERIOD = "2020-03"


class Api:
    """A test client that authenticates with a bearer token of one persona."""

    def __init__(self, user: Any) -> None:
        self.token, raw = ApiToken.objects.issue(user=user, name="tests")
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        return self.client.post(path, json.dumps(payload), content_type="application/json", headers=self.headers)


def report_payload(uscc: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "uscc": uscc,
        "period": PERIOD,
        "exports_usd": 100_000,
        "new_orders_usd": 80_000,
        "backlog_usd": 500_000,
        "backlog_due_3m_usd": 300_000,
        "capacity_utilization_pct": 75,
        "new_orders_trend": "down",
        "outlook_3m": "same",
        "lines": [
            {"market": "US", "hs": "84", "backlog_usd": 200_000, "new_orders_usd": 30_000, "exports_usd": 40_000},
            {"market": "DE", "hs": "8481", "backlog_usd": 100_000, "new_orders_usd": 20_000, "exports_usd": 30_000},
        ],
    }
    payload.update(changes)
    return payload


def disruption_payload(uscc: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "uscc": uscc,
        "date": "2020-03-10",
        "kind": "shipment_delayed",
        "amount_usd": "50,000",
        "market": "US",
        "hs": "84",
        "note": "buyer asks to ship in June",
    }
    payload.update(changes)
    return payload


def need_payload(uscc: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "uscc": uscc,
        "date": "2020-03-12",
        "category": "financing",
        "amount_usd": 1_000_000,
        "urgency": "high",
        "description": "需要流动资金贷款",
    }
    payload.update(changes)
    return payload


def counts() -> dict[str, int]:
    return {
        "reports": Report.objects.count(),
        "lines": ReportLine.objects.count(),
        "disruptions": Disruption.objects.count(),
        "needs": Need.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def problems_of(response: Any) -> list[tuple[str, str]]:
    return [(p["field"], p["code"]) for p in response.json()["detail"]]


# --- The OpenAPI document and the docs page ------------------------------------------------------


def test_openapi_document_lists_the_public_paths(db: None) -> None:
    response = Client().get("/api/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/enterprises", "/api/reports", "/api/disruptions", "/api/needs"):
        assert path in paths


def test_every_operation_documents_the_answers_it_may_give(db: None) -> None:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _v in pairs]
        assert len(keys) == len(set(keys)), f"duplicated keys: {keys}"  # Swagger UI refuses such a document
        return dict(pairs)

    paths = json.loads(Client().get("/api/openapi.json").content, object_pairs_hook=no_duplicates)["paths"]
    operations = [(path, method, op) for path, item in paths.items() for method, op in item.items()]
    assert len(operations) >= 20
    for path, method, op in operations:
        statuses = set(op["responses"])
        assert {"400", "401", "404", "503"} <= statuses, (method, path, statuses)
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in statuses, (method, path)
    submit = paths["/api/reports"]["post"]["responses"]
    assert {"200", "201", "409", "422"} <= set(submit)  # its own answers kept
    unavailable = paths["/api/reports"]["get"]["responses"]["503"]["content"]["application/json"]["schema"]
    assert unavailable["properties"]["code"]["enum"] == ["database_full", "database_busy", "database_unavailable"]


def test_a_request_that_does_not_fit_the_operation_gets_the_same_422_as_a_rule_broken(world: World) -> None:
    payload = report_payload(world.ent_a.uscc)
    del payload["period"]
    payload["base_version"] = "latest"
    payload["lines"][1]["market"] = {"code": "US"}  # an object where a value goes
    before = counts()
    response = Api(world.reporter).post("/api/reports", payload)
    assert response.status_code == 422
    assert counts() == before
    problems = {p["field"]: p for p in response.json()["detail"]}
    assert problems["period"]["code"] == "missing"
    with translation.override("zh-hans"):  # Django's own wording, in Chinese by default
        required, invalid = gettext("This field is required."), gettext("Enter a valid value.")
    assert required != "This field is required." and invalid != "Enter a valid value."
    assert problems["period"]["message"] == required
    assert problems["base_version"]["code"] == "int_parsing"
    assert (problems["lines[1].market"]["code"], problems["lines[1].market"]["message"]) == ("invalid", invalid)
    paged = Api(world.analyst).get("/api/enterprises", offset=10**10)
    assert paged.status_code == 422
    assert [(p["field"], p["code"]) for p in paged.json()["detail"]] == [("offset", "less_than_equal")]
    assert "1000000000" in paged.json()["detail"][0]["message"]


def test_docs_page_is_served(db: None) -> None:
    assert Client().get("/api/docs").status_code == 200


def test_docs_page_loads_its_assets_from_this_server_only(db: None) -> None:
    html = Client().get("/api/docs").content.decode()

    assets = re.findall(r"<script[^>]*\bsrc=[\"']([^\"']+)", html) + re.findall(
        r"<link[^>]*\bhref=[\"']([^\"']+)", html
    )
    assert assets, "the docs page should load Swagger UI assets"
    external = [url for url in assets if re.match(r"^(?:[a-z]+:)?//", url, re.IGNORECASE)]
    assert external == []
    assert "http://" not in html and "https://" not in html


# --- Authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/enterprises", "/api/reports", "/api/disruptions", "/api/needs"])
def test_a_request_without_credentials_gets_401(world: World, path: str) -> None:
    assert Client().get(path).status_code == 401


def test_a_post_without_credentials_gets_401_and_writes_nothing(world: World) -> None:
    before = counts()

    response = Client().post(
        "/api/reports", json.dumps(report_payload(world.ent_a.uscc)), content_type="application/json"
    )

    assert response.status_code == 401
    assert counts() == before


def test_an_unknown_token_gets_401(world: World) -> None:
    response = Client().get("/api/enterprises", headers={"Authorization": "Bearer ew_not-a-real-token"})

    assert response.status_code == 401


def test_a_revoked_token_gets_401(world: World) -> None:
    api = Api(world.reporter)
    ApiToken.objects.filter(pk=api.token.pk).update(revoked_at=timezone.now())

    assert api.get("/api/enterprises").status_code == 401


def test_a_token_of_a_deactivated_user_gets_401(world: World) -> None:
    api = Api(world.reporter)
    world.reporter.is_active = False
    world.reporter.save()

    assert api.get("/api/enterprises").status_code == 401


def test_a_valid_token_works_and_records_when_it_was_used(world: World) -> None:
    api = Api(world.reporter)
    assert api.token.last_used_at is None

    response = api.get("/api/enterprises")

    assert response.status_code == 200
    api.token.refresh_from_db()
    assert api.token.last_used_at is not None


# --- Session authentication ----------------------------------------------------------------------


def test_a_logged_in_browser_session_can_read(world: World) -> None:
    client = Client()
    client.force_login(world.reporter)

    response = client.get("/api/enterprises")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_a_session_post_without_csrf_token_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.reporter)
    before = counts()

    response = client.post(
        "/api/reports", json.dumps(report_payload(world.ent_a.uscc)), content_type="application/json"
    )

    assert response.status_code == 403
    assert counts() == before


def test_a_session_post_with_csrf_token_is_accepted(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")  # the login form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    client.force_login(world.reporter)

    response = client.post(
        "/api/reports",
        json.dumps(report_payload(world.ent_a.uscc)),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )

    assert response.status_code == 201


def test_a_token_post_needs_no_csrf_token(world: World) -> None:
    api = Api(world.reporter)
    api.client = Client(enforce_csrf_checks=True)

    assert api.post("/api/reports", report_payload(world.ent_a.uscc)).status_code == 201


# --- Enterprises per persona ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("reporter", {"ent_a"}),
        ("other_reporter", {"ent_c"}),
        ("town_officer", {"ent_a", "ent_b"}),
        ("analyst", {"ent_a", "ent_b", "ent_c"}),
        ("leader", {"ent_a", "ent_b", "ent_c"}),
        ("handler", set()),
        ("outsider", {"ent_far"}),
        ("admin", {"ent_a", "ent_b", "ent_c", "ent_far"}),
    ],
)
def test_the_enterprise_list_shows_exactly_the_personas_scope(world: World, persona: str, visible: set[str]) -> None:
    body = Api(getattr(world, persona)).get("/api/enterprises").json()

    assert body["count"] == len(visible)
    assert {item["uscc"] for item in body["items"]} == {getattr(world, name).uscc for name in visible}


@pytest.mark.parametrize(
    ("persona", "town", "visible"),
    [
        ("analyst", "330213100", {"ent_c"}),
        ("analyst", "330213001", {"ent_a", "ent_b"}),
        ("town_officer", "330213100", set()),
        ("outsider", "330213001", set()),
    ],
)
def test_the_town_filter_narrows_the_scope_and_never_widens_it(
    world: World, persona: str, town: str, visible: set[str]
) -> None:
    body = Api(getattr(world, persona)).get("/api/enterprises", town=town).json()

    assert {item["uscc"] for item in body["items"]} == {getattr(world, name).uscc for name in visible}


def test_the_enterprise_list_pages_with_limit_and_offset(world: World) -> None:
    api = Api(world.analyst)

    first = api.get("/api/enterprises", limit=2).json()
    rest = api.get("/api/enterprises", limit=2, offset=2).json()

    assert first["count"] == rest["count"] == 3
    assert len(first["items"]) == 2 and len(rest["items"]) == 1
    assert {i["uscc"] for i in first["items"] + rest["items"]} == {world.ent_a.uscc, world.ent_b.uscc, world.ent_c.uscc}


def test_the_enterprise_detail_shows_the_contract_fields(world: World) -> None:
    body = Api(world.analyst).get(f"/api/enterprises/{world.ent_a.uscc}").json()

    assert body["uscc"] == world.ent_a.uscc
    assert body["name"] == "宁波甲气动有限公司"
    assert body["town"] == "330213001"
    assert body["industry"] == "34"
    assert body["head_enterprise"] is True
    assert body["whitelist_eligible"] is True


def test_the_enterprise_detail_accepts_a_lower_case_uscc(world: World) -> None:
    response = Api(world.reporter).get(f"/api/enterprises/{world.ent_a.uscc.lower()}")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("persona", "enterprise"),
    [
        ("reporter", "ent_b"),
        ("reporter", "ent_c"),
        ("town_officer", "ent_c"),
        ("outsider", "ent_a"),
        ("handler", "ent_a"),
        ("analyst", "ent_far"),
    ],
)
def test_an_enterprise_outside_the_scope_is_404(world: World, persona: str, enterprise: str) -> None:
    response = Api(getattr(world, persona)).get(f"/api/enterprises/{getattr(world, enterprise).uscc}")

    assert response.status_code == 404
    assert getattr(world, enterprise).name not in response.content.decode()


# --- The outsider is refused on every endpoint ----------------------------------------------------


@pytest.fixture
def our_data(world: World) -> World:
    """A report, a disruption and a need of ent_a, filed by its reporter."""
    reporter = Api(world.reporter)
    assert reporter.post("/api/reports", report_payload(world.ent_a.uscc)).status_code == 201
    assert reporter.post("/api/disruptions", disruption_payload(world.ent_a.uscc)).status_code == 201
    assert reporter.post("/api/needs", need_payload(world.ent_a.uscc)).status_code == 201
    return world


def _outsider_calls(world: World) -> list[tuple[str, str, dict[str, Any] | None]]:
    uscc = world.ent_a.uscc
    return [
        ("get", f"/api/enterprises/{uscc}", None),
        ("get", f"/api/reports/{uscc}/{PERIOD}", None),
        ("get", f"/api/reports/{uscc}/{PERIOD}/versions", None),
        ("post", "/api/reports", report_payload(uscc, exports_usd=1)),
        ("post", "/api/disruptions", disruption_payload(uscc, note="outsider")),
        ("post", "/api/needs", need_payload(uscc, description="outsider")),
    ]


@pytest.mark.parametrize(
    "call", range(6), ids=["enterprise", "report", "versions", "post-report", "post-disruption", "post-need"]
)
def test_the_outsider_gets_404_on_every_endpoint_about_our_enterprise(our_data: World, call: int) -> None:
    method, path, payload = _outsider_calls(our_data)[call]
    outsider = Api(our_data.outsider)
    before = counts()

    response = outsider.get(path) if method == "get" else outsider.post(path, payload or {})

    assert response.status_code == 404
    assert our_data.ent_a.uscc not in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("path", ["/api/enterprises", "/api/reports", "/api/disruptions", "/api/needs"])
def test_the_outsiders_lists_do_not_contain_our_data(our_data: World, path: str) -> None:
    response = Api(our_data.outsider).get(path)

    assert response.status_code == 200
    text = response.content.decode()
    for ent in (our_data.ent_a, our_data.ent_b, our_data.ent_c):
        assert ent.uscc not in text


def test_the_outsiders_report_list_filtered_by_our_uscc_is_empty(our_data: World) -> None:
    response = Api(our_data.outsider).get("/api/reports", uscc=our_data.ent_a.uscc)

    assert response.json() == []


# --- Reports -------------------------------------------------------------------------------------


def test_a_first_report_creates_version_1_with_its_lines(world: World) -> None:
    response = Api(world.reporter).post("/api/reports", report_payload(world.ent_a.uscc))

    assert response.status_code == 201
    body = response.json()
    assert (body["uscc"], body["period"], body["version"], body["is_current"]) == (world.ent_a.uscc, PERIOD, 1, True)
    assert body["source"] == "api"
    assert Decimal(body["backlog_usd"]) == Decimal(500_000)
    assert sorted((ln["market"], ln["hs"], Decimal(ln["backlog_usd"])) for ln in body["lines"]) == [
        ("DE", "8481", Decimal(100_000)),
        ("US", "84", Decimal(200_000)),
    ]
    report = Report.objects.get(enterprise=world.ent_a, period=PERIOD)
    assert report.version == 1
    assert report.lines.count() == 2


def test_the_same_report_again_returns_200_and_makes_no_new_version(world: World) -> None:
    api = Api(world.reporter)
    api.post("/api/reports", report_payload(world.ent_a.uscc))
    before = counts()

    response = api.post("/api/reports", report_payload(world.ent_a.uscc))

    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert counts() == before


def test_a_changed_report_makes_version_2_and_keeps_version_1(world: World) -> None:
    api = Api(world.reporter)
    api.post("/api/reports", report_payload(world.ent_a.uscc))

    response = api.post("/api/reports", report_payload(world.ent_a.uscc, exports_usd=120_000))

    assert response.status_code == 201
    assert response.json()["version"] == 2
    versions = api.get(f"/api/reports/{world.ent_a.uscc}/{PERIOD}/versions").json()
    assert [(v["version"], v["is_current"], Decimal(v["exports_usd"])) for v in versions] == [
        (1, False, Decimal(100_000)),
        (2, True, Decimal(120_000)),
    ]
    assert all(len(v["lines"]) == 2 for v in versions)
    current = api.get(f"/api/reports/{world.ent_a.uscc}/{PERIOD}").json()
    assert current["version"] == 2


def test_a_report_based_on_an_old_version_gets_409_and_writes_nothing(world: World) -> None:
    api = Api(world.reporter)
    api.post("/api/reports", report_payload(world.ent_a.uscc, base_version=0))
    before = counts()

    response = api.post("/api/reports", report_payload(world.ent_a.uscc, exports_usd=120_000, base_version=0))

    assert response.status_code == 409
    assert "base_version=1" in response.json()["detail"]
    assert counts() == before


def test_a_report_based_on_the_current_version_is_accepted(world: World) -> None:
    api = Api(world.reporter)
    api.post("/api/reports", report_payload(world.ent_a.uscc, base_version=0))

    response = api.post("/api/reports", report_payload(world.ent_a.uscc, exports_usd=120_000, base_version=1))

    assert response.status_code == 201
    assert response.json()["version"] == 2


def test_amounts_with_thousands_separators_are_accepted(world: World) -> None:
    payload = report_payload(
        world.ent_a.uscc, exports_usd="1,234,567", new_orders_usd="80,000", backlog_usd="2,000,000", lines=[]
    )

    response = Api(world.reporter).post("/api/reports", payload)

    assert response.status_code == 201
    assert Report.objects.get(enterprise=world.ent_a).exports_usd == Decimal("1234567")


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"exports_usd": -5}, "exports_usd", "negative"),
        ({"backlog_due_3m_usd": 600_000}, "backlog_due_3m_usd", "due_exceeds_backlog"),
        (
            {"lines": [{"market": "US", "hs": "84", "backlog_usd": 600_000, "new_orders_usd": 0, "exports_usd": 0}]},
            "backlog_usd",
            "lines_exceed_total",
        ),
        (
            {"lines": [{"market": "XX", "hs": "84", "backlog_usd": 1, "new_orders_usd": 1, "exports_usd": 1}]},
            "lines[0].market",
            "unknown_market",
        ),
        (
            {"lines": [{"market": "US", "hs": "7799", "backlog_usd": 1, "new_orders_usd": 1, "exports_usd": 1}]},
            "lines[0].hs",
            "unknown_hs",
        ),
        ({"period": "2020-05"}, "period", "future_period"),
        ({"new_orders_trend": "sideways"}, "new_orders_trend", "bad_choice"),
        ({"exports_usd": "lots"}, "exports_usd", "not_a_number"),
        ({"backlog_usd": None}, "backlog_usd", "required"),
    ],
    ids=[
        "negative",
        "due-above-backlog",
        "lines-above-total",
        "unknown-market",
        "unknown-hs",
        "future-period",
        "bad-trend",
        "not-a-number",
        "missing",
    ],
)
def test_an_invalid_report_gets_422_with_each_problem_and_writes_nothing(
    world: World, changes: dict[str, Any], field: str, code: str
) -> None:
    before = counts()

    response = Api(world.reporter).post("/api/reports", report_payload(world.ent_a.uscc, **changes))

    assert response.status_code == 422
    problems = response.json()["detail"]
    assert (field, code) in problems_of(response)
    assert all(p["message"] and p["message"] != p["code"] for p in problems)
    assert counts() == before


def test_every_problem_of_a_report_is_listed_at_once(world: World) -> None:
    payload = report_payload(world.ent_a.uscc, exports_usd=-1, period="2020-05", outlook_3m="??")

    response = Api(world.reporter).post("/api/reports", payload)

    assert response.status_code == 422
    assert {("exports_usd", "negative"), ("period", "future_period"), ("outlook_3m", "bad_choice")} <= set(
        problems_of(response)
    )


def test_a_future_period_problem_names_the_current_month(world: World) -> None:
    response = Api(world.reporter).post("/api/reports", report_payload(world.ent_a.uscc, period="2020-05"))

    [problem] = response.json()["detail"]
    assert "2020-05" in problem["message"] and "2020-04" in problem["message"]


@pytest.mark.parametrize(
    "uscc",
    [make_uscc(1)[:17] + ("0" if make_uscc(1)[17] != "0" else "1"), make_uscc(99), "not-a-uscc"],
    ids=["wrong-check-character", "unregistered", "garbage"],
)
def test_a_report_for_an_invalid_or_unknown_uscc_is_404(world: World, uscc: str) -> None:
    before = counts()

    response = Api(world.analyst).post("/api/reports", report_payload(uscc))

    assert response.status_code == 404
    text = response.content.decode()
    for ent in (world.ent_a, world.ent_b, world.ent_c):
        assert ent.uscc not in text
    assert counts() == before


# --- Who may report for whom ----------------------------------------------------------------------


def test_a_reporter_cannot_report_for_another_enterprise(world: World) -> None:
    response = Api(world.reporter).post("/api/reports", report_payload(world.ent_b.uscc))

    assert response.status_code == 404
    assert not Report.objects.exists()


def test_a_town_officer_can_report_for_an_enterprise_of_their_town(world: World) -> None:
    response = Api(world.town_officer).post("/api/reports", report_payload(world.ent_b.uscc))

    assert response.status_code == 201
    assert Report.objects.get().submitted_by == world.town_officer


def test_a_town_officer_cannot_report_for_an_enterprise_of_another_town(world: World) -> None:
    response = Api(world.town_officer).post("/api/reports", report_payload(world.ent_c.uscc))

    assert response.status_code == 404
    assert not Report.objects.exists()


@pytest.mark.parametrize("persona", ["leader", "handler"])
@pytest.mark.parametrize("path", ["/api/reports", "/api/disruptions", "/api/needs"])
def test_a_read_only_persona_cannot_post(world: World, persona: str, path: str) -> None:
    payload = {
        "/api/reports": report_payload,
        "/api/disruptions": disruption_payload,
        "/api/needs": need_payload,
    }[path](world.ent_a.uscc)
    before = counts()

    response = Api(getattr(world, persona)).post(path, payload)

    assert response.status_code == 404
    assert counts() == before


def test_a_reporter_cannot_read_another_enterprises_report(world: World) -> None:
    Api(world.other_reporter).post("/api/reports", report_payload(world.ent_c.uscc))

    reporter = Api(world.reporter)

    assert reporter.get(f"/api/reports/{world.ent_c.uscc}/{PERIOD}").status_code == 404
    assert reporter.get(f"/api/reports/{world.ent_c.uscc}/{PERIOD}/versions").status_code == 404
    assert reporter.get("/api/reports").json() == []


def test_the_report_list_filters_by_period(world: World) -> None:
    api = Api(world.reporter)
    api.post("/api/reports", report_payload(world.ent_a.uscc))
    api.post("/api/reports", report_payload(world.ent_a.uscc, period="2020-02"))

    listed = api.get("/api/reports", period="2020-02").json()

    assert [(r["uscc"], r["period"]) for r in listed] == [(world.ent_a.uscc, "2020-02")]


def test_a_missing_report_is_404(world: World) -> None:
    assert Api(world.reporter).get(f"/api/reports/{world.ent_a.uscc}/{PERIOD}").status_code == 404


def test_a_malformed_period_in_the_path_is_404(world: World) -> None:
    assert Api(world.reporter).get(f"/api/reports/{world.ent_a.uscc}/2020-13").status_code == 404


# --- Disruptions and needs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "build", "model"),
    [("/api/disruptions", disruption_payload, Disruption), ("/api/needs", need_payload, Need)],
    ids=["disruption", "need"],
)
def test_an_event_is_created_with_201(world: World, path: str, build: Any, model: Any) -> None:
    response = Api(world.reporter).post(path, build(world.ent_a.uscc))

    assert response.status_code == 201
    assert response.json()["uscc"] == world.ent_a.uscc
    obj = model.objects.get()
    assert obj.enterprise == world.ent_a
    assert obj.source == "api"


def test_a_disruption_amount_with_separators_is_read_as_a_number(world: World) -> None:
    Api(world.reporter).post("/api/disruptions", disruption_payload(world.ent_a.uscc))

    assert Disruption.objects.get().amount_usd == Decimal(50_000)


@pytest.mark.parametrize(
    ("path", "build", "model"),
    [("/api/disruptions", disruption_payload, Disruption), ("/api/needs", need_payload, Need)],
    ids=["disruption", "need"],
)
def test_the_same_event_again_returns_200_and_adds_nothing(world: World, path: str, build: Any, model: Any) -> None:
    api = Api(world.reporter)
    first = api.post(path, build(world.ent_a.uscc)).json()
    before = counts()

    response = api.post(path, build(world.ent_a.uscc))

    assert response.status_code == 200
    assert response.json()["id"] == first["id"]
    assert counts() == before
    assert model.objects.count() == 1


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/api/disruptions", disruption_payload("", kind="earthquake"), "kind"),
        ("/api/needs", need_payload("", category="lottery"), "category"),
        ("/api/needs", need_payload("", urgency="yesterday"), "urgency"),
    ],
    ids=["disruption-kind", "need-category", "need-urgency"],
)
def test_an_event_with_an_unknown_choice_gets_422(world: World, path: str, payload: dict[str, Any], field: str) -> None:
    before = counts()

    response = Api(world.reporter).post(path, {**payload, "uscc": world.ent_a.uscc})

    assert response.status_code == 422
    assert (field, "bad_choice") in problems_of(response)
    assert counts() == before


@pytest.mark.parametrize(
    ("path", "build"),
    [("/api/disruptions", disruption_payload), ("/api/needs", need_payload)],
    ids=["disruption", "need"],
)
def test_an_event_dated_in_the_future_gets_422(world: World, path: str, build: Any) -> None:
    response = Api(world.reporter).post(path, build(world.ent_a.uscc, date="2020-04-16"))

    assert response.status_code == 422
    assert ("date", "future_date") in problems_of(response)


@pytest.mark.parametrize(
    ("path", "build"),
    [("/api/disruptions", disruption_payload), ("/api/needs", need_payload)],
    ids=["disruption", "need"],
)
def test_the_event_list_is_filtered_by_period(world: World, path: str, build: Any) -> None:
    api = Api(world.reporter)
    api.post(path, build(world.ent_a.uscc, date="2020-03-31"))
    api.post(path, build(world.ent_a.uscc, date="2020-04-01"))
    api.post(path, build(world.ent_a.uscc, date="2020-02-29"))

    march = api.get(path, period="2020-03").json()
    everything = api.get(path).json()

    assert [e["date"] for e in march] == ["2020-03-31"]
    assert [e["date"] for e in everything] == ["2020-04-01", "2020-03-31", "2020-02-29"]


@pytest.mark.parametrize("path", ["/api/disruptions", "/api/needs"])
def test_the_event_list_shows_only_the_scope(world: World, path: str) -> None:
    build = disruption_payload if path == "/api/disruptions" else need_payload
    Api(world.reporter).post(path, build(world.ent_a.uscc))
    Api(world.other_reporter).post(path, build(world.ent_c.uscc))

    mine = Api(world.reporter).get(path).json()
    town = Api(world.town_officer).get(path).json()
    district = Api(world.analyst).get(path).json()

    assert [e["uscc"] for e in mine] == [world.ent_a.uscc]
    assert [e["uscc"] for e in town] == [world.ent_a.uscc]
    assert sorted(e["uscc"] for e in district) == sorted([world.ent_a.uscc, world.ent_c.uscc])


def _models_in(annotation: Any, found: set[type]) -> None:
    """Every pydantic model reachable from a type annotation (fields of models, arguments of generics)."""
    import typing

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, found)
        return
    for argument in typing.get_args(annotation):
        _models_in(argument, found)


def test_no_two_schemas_of_the_api_share_a_name(db: None) -> None:
    """ninja names the OpenAPI document's schemas by class name: a second class of the same name silently replaces
    the first there, and one operation's answers are then documented by another's schema."""
    from exportwatch.api.router import api

    found: set[type] = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.response_models.values(), *operation.models]:
                    _models_in(model, found)
    ours = [m for m in found if m.__module__.startswith("exportwatch.")]
    assert len(ours) > 20
    modules: dict[str, set[str]] = {}
    for model in ours:
        modules.setdefault(model.__name__, set()).add(model.__module__)
    assert {name: found for name, found in modules.items() if len(found) > 1} == {}  # errors: api.errors
