"""/api/cases: the closed loop through the REST API, scoped like the case pages, refused moves as problems."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from exportwatch.cases.models import Case, CaseEvent
from exportwatch.cases.services import case_assign, case_transition
from exportwatch.reporting.models import Need
from tests.api.test_api import Api
from tests.cases.conftest import accepted, dispatched, handler_of, new_case
from tests.conftest import World


def need_payload(uscc: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "uscc": uscc,
        "date": "2020-04-10",
        "category": "financing",
        "amount_usd": 1_000_000,
        "urgency": "high",
        "description": "需要流动资金贷款\n用于采购原材料",
    }
    payload.update(changes)
    return payload


@pytest.fixture
def cases(routed: World) -> dict[str, Case]:
    """ent_a's case led by the handler's department, ent_c's dispatched to another department (boc), ent_far's
    (outside the district) only filed."""
    w = routed
    made = {
        "a": new_case(w, enterprise=w.ent_a, by=w.reporter, description="甲"),
        "c": new_case(w, enterprise=w.ent_c, by=w.other_reporter, description="丙"),
        "far": new_case(w, enterprise=w.ent_far, by=w.admin, description="远"),
    }
    dispatched(w, made["a"])
    case_transition(made["c"], "triaged", actor=w.analyst)
    case_assign(made["c"], lead="boc", actor=w.analyst)
    return made


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return {item["id"] for item in body["items"]}


def problem(response: Any) -> tuple[str, str]:
    detail = response.json()["detail"]
    assert len(detail) == 1 and detail[0]["message"]
    return detail[0]["field"], detail[0]["code"]


# --- Reading ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("reporter", {"a"}),
        ("other_reporter", {"c"}),
        ("town_officer", {"a"}),
        ("analyst", {"a", "c"}),
        ("leader", {"a", "c"}),
        ("handler", {"a"}),
        ("outsider", {"far"}),
        ("admin", {"a", "c", "far"}),
    ],
)
def test_the_list_holds_exactly_the_personas_cases(
    routed: World, cases: dict[str, Case], persona: str, sees: set[str]
) -> None:
    got = ids(Api(getattr(routed, persona)).get("/api/cases"))

    assert got == {cases[name].pk for name in sees}


def test_a_handler_of_another_department_sees_only_that_departments_cases(
    routed: World, cases: dict[str, Case]
) -> None:
    boc = handler_of("boc", "handler-boc")

    assert ids(Api(boc).get("/api/cases")) == {cases["c"].pk}
    assert Api(boc).get(f"/api/cases/{cases['a'].pk}").status_code == 404


def test_the_list_filters_by_state_category_department_uscc_and_openness(routed: World, cases: dict[str, Case]) -> None:
    api = Api(routed.admin)
    a, c, far = cases["a"].pk, cases["c"].pk, cases["far"].pk

    assert ids(api.get("/api/cases", state="assigned")) == {a, c}
    assert ids(api.get("/api/cases", state="submitted")) == {far}
    assert ids(api.get("/api/cases", category="financing")) == {a, c, far}
    assert ids(api.get("/api/cases", category="logistics")) == set()
    assert ids(api.get("/api/cases", department="boc")) == {c}
    assert ids(api.get("/api/cases", department=routed.handler.department_id)) == {a}
    assert ids(api.get("/api/cases", uscc=routed.ent_c.uscc.lower())) == {c}
    assert ids(api.get("/api/cases", open="true")) == {a, c, far}
    assert ids(api.get("/api/cases", open="false")) == set()


def test_unknown_filter_values_are_404(routed: World, cases: dict[str, Case]) -> None:
    api = Api(routed.analyst)

    for params in ({"state": "lost"}, {"category": "luck"}, {"department": "nowhere"}):
        assert api.get("/api/cases", **params).status_code == 404


def test_the_breached_filter_finds_cases_past_a_limit(routed: World, cases: dict[str, Case]) -> None:
    Case.objects.filter(pk=cases["c"].pk).update(clock_state="breached")
    api = Api(routed.analyst)

    assert ids(api.get("/api/cases", breached="true")) == {cases["c"].pk}
    assert ids(api.get("/api/cases", breached="false")) == {cases["a"].pk}


def test_the_list_pages_with_limit_and_offset(routed: World, cases: dict[str, Case]) -> None:
    api = Api(routed.admin)

    first = api.get("/api/cases", limit=2).json()
    rest = api.get("/api/cases", limit=2, offset=2).json()

    assert first["count"] == rest["count"] == 3
    assert len(first["items"]) == 2 and len(rest["items"]) == 1
    assert {i["id"] for i in first["items"] + rest["items"]} == {c.pk for c in cases.values()}


def test_one_case_comes_with_its_fields_history_and_the_callers_moves(routed: World, cases: dict[str, Case]) -> None:
    case = cases["a"]

    body = Api(routed.handler).get(f"/api/cases/{case.pk}").json()

    assert body["id"] == case.pk and body["uscc"] == routed.ent_a.uscc and body["state"] == "assigned"
    assert body["lead_department"] == routed.handler.department_id and body["routed_department"] == "pboc"
    assert body["category"] == "financing" and body["breached"] is False and body["rating"] is None
    assert body["due_at"] == body["first_response_due"] is not None
    assert [(e["from_state"], e["to_state"]) for e in body["events"]] == [
        ("", "submitted"),
        ("submitted", "triaged"),
        ("triaged", "assigned"),
    ]
    assert body["events"][1]["actor"] == "analyst" and body["events"][2]["details"]["lead"] == "abc"
    assert body["moves"] == ["accepted", "returned"]


def test_a_leader_reads_a_case_but_is_offered_no_moves(routed: World, cases: dict[str, Case]) -> None:
    body = Api(routed.leader).get(f"/api/cases/{cases['a'].pk}").json()

    assert body["state"] == "assigned" and body["moves"] == []


@pytest.mark.parametrize("persona", ["outsider", "other_reporter", "handler"])
def test_a_case_outside_the_scope_is_404(routed: World, cases: dict[str, Case], persona: str) -> None:
    case = cases["far"] if persona == "handler" else cases["a"]

    assert Api(getattr(routed, persona)).get(f"/api/cases/{case.pk}").status_code == 404


def test_an_unknown_case_is_404(routed: World, cases: dict[str, Case]) -> None:
    assert Api(routed.admin).get("/api/cases/999999").status_code == 404


# --- Filing ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["reporter", "town_officer", "analyst"])
def test_filing_a_need_makes_its_case_routed_by_the_table(routed: World, persona: str) -> None:
    response = Api(getattr(routed, persona)).post("/api/cases", need_payload(routed.ent_a.uscc))

    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert case.need is not None and case.need.description == "需要流动资金贷款\n用于采购原材料"
    assert body["state"] == "submitted" and body["routed_department"] == "pboc" and body["filed_as"] == persona
    assert body["title"] == "需要流动资金贷款"
    assert [e["to_state"] for e in body["events"]] == ["submitted"]


def test_the_same_need_again_returns_its_case(routed: World) -> None:
    api = Api(routed.reporter)
    first = api.post("/api/cases", need_payload(routed.ent_a.uscc)).json()

    again = api.post("/api/cases", need_payload(routed.ent_a.uscc))

    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert Case.objects.count() == Need.objects.count() == 1


def test_a_need_is_validated_exactly_as_the_need_endpoint_does(routed: World) -> None:
    payload = need_payload(routed.ent_a.uscc, category="luck", date="2020-04-31")

    mine = Api(routed.reporter).post("/api/cases", payload)
    theirs = Api(routed.reporter).post("/api/needs", payload)

    assert mine.status_code == theirs.status_code == 422
    assert mine.json() == theirs.json()
    assert Need.objects.count() == Case.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 404), ("other_reporter", 404), ("leader", 403), ("handler", 403)]
)
def test_filing_for_an_enterprise_one_may_not_file_for_is_refused(routed: World, persona: str, status: int) -> None:
    response = Api(getattr(routed, persona)).post("/api/cases", need_payload(routed.ent_a.uscc))

    assert response.status_code == status
    assert Need.objects.count() == Case.objects.count() == 0


# --- Moving ----------------------------------------------------------------------------------------------------


def test_the_whole_loop_runs_through_the_api(routed: World) -> None:
    reporter, analyst, handler = Api(routed.reporter), Api(routed.analyst), Api(routed.handler)
    case_id = reporter.post("/api/cases", need_payload(routed.ent_a.uscc)).json()["id"]
    lead = routed.handler.department_id

    steps = [
        (analyst, "transition", {"to": "triaged"}),
        (analyst, "assign", {"lead": lead, "co": ["pboc", lead], "note": "请农行牵头"}),
        (handler, "transition", {"to": "accepted"}),
        (handler, "transition", {"to": "in_progress"}),
        (handler, "transition", {"to": "replied", "note": "已批准贷款"}),
        (reporter, "transition", {"to": "confirmed", "rating": 5, "note": "很满意"}),
        (analyst, "transition", {"to": "closed"}),
    ]
    for api, action, payload in steps:
        response = api.post(f"/api/cases/{case_id}/{action}", payload)
        assert response.status_code == 200, (action, payload, response.content)

    body = response.json()
    assert body["state"] == "closed" and body["rating"] == 5 and body["rating_comment"] == "很满意"
    assert body["lead_department"] == lead and body["co_departments"] == ["pboc"]
    assert body["first_response_at"] and body["replied_at"] and body["closed_at"]
    assert [e["to_state"] for e in body["events"]][-1] == "closed"
    assert CaseEvent.objects.filter(case_id=case_id).count() == 8


def test_a_refused_move_is_422_with_the_clerks_sentence_and_changes_nothing(
    routed: World, cases: dict[str, Case]
) -> None:
    case = cases["a"]
    api = Api(routed.handler)
    before = CaseEvent.objects.filter(case=case).count()

    wrong = api.post(f"/api/cases/{case.pk}/transition", {"to": "closed"})
    bare = api.post(f"/api/cases/{case.pk}/transition", {"to": "returned", "note": "  "})

    assert wrong.status_code == bare.status_code == 422
    assert problem(wrong) == ("to", "bad_transition")
    assert "已派单" in wrong.json()["detail"][0]["message"] or "assigned" in wrong.json()["detail"][0]["message"]
    assert problem(bare) == ("note", "reason_required")
    assert CaseEvent.objects.filter(case=case).count() == before
    assert Case.objects.get(pk=case.pk).state == "assigned"


def test_a_confirmation_needs_a_rating_from_1_to_5(routed: World, cases: dict[str, Case]) -> None:
    case = accepted(routed, new_case(routed, description="再一件"))
    case_transition(case, "replied", actor=routed.handler, note="已答复")
    api = Api(routed.reporter)

    assert problem(api.post(f"/api/cases/{case.pk}/transition", {"to": "confirmed"})) == ("rating", "rating_required")
    assert problem(api.post(f"/api/cases/{case.pk}/transition", {"to": "confirmed", "rating": 6})) == (
        "rating",
        "rating_required",
    )
    assert api.post(f"/api/cases/{case.pk}/transition", {"to": "confirmed", "rating": 4}).json()["rating"] == 4


def test_a_move_the_actor_may_not_make_is_422_not_allowed(routed: World, cases: dict[str, Case]) -> None:
    response = Api(routed.reporter).post(f"/api/cases/{cases['a'].pk}/transition", {"to": "accepted"})

    assert response.status_code == 422 and problem(response) == ("", "not_allowed")


def test_assigning_through_transition_asks_for_the_assign_endpoint(routed: World, cases: dict[str, Case]) -> None:
    case = new_case(routed, description="待派")
    case_transition(case, "triaged", actor=routed.analyst)

    response = Api(routed.analyst).post(f"/api/cases/{case.pk}/transition", {"to": "assigned"})

    assert response.status_code == 422 and problem(response) == ("lead", "lead_required")


def test_assigning_to_an_unknown_department_is_422(routed: World) -> None:
    case = new_case(routed, description="待派")
    case_transition(case, "triaged", actor=routed.analyst)

    response = Api(routed.analyst).post(f"/api/cases/{case.pk}/assign", {"lead": "nowhere"})

    assert response.status_code == 422 and problem(response) == ("lead", "lead_required")
    assert Case.objects.get(pk=case.pk).state == "triaged"


def test_comments_and_supervision_are_events_on_the_case(routed: World, cases: dict[str, Case]) -> None:
    case = cases["a"]

    commented = Api(routed.reporter).post(f"/api/cases/{case.pk}/comment", {"note": "补充：合同已上传"})
    supervised = Api(routed.analyst).post(f"/api/cases/{case.pk}/supervise", {"note": "请尽快签收"})

    assert commented.status_code == supervised.status_code == 200
    kinds = [(e["kind"], e["note"]) for e in supervised.json()["events"]]
    assert kinds[-2:] == [("comment", "补充：合同已上传"), ("supervise", "请尽快签收")]
    assert supervised.json()["state"] == "assigned"


def test_only_analysts_supervise_and_a_note_is_needed(routed: World, cases: dict[str, Case]) -> None:
    case = cases["a"]

    by_handler = Api(routed.handler).post(f"/api/cases/{case.pk}/supervise", {"note": "自己督办"})
    blank = Api(routed.analyst).post(f"/api/cases/{case.pk}/comment", {"note": ""})

    assert by_handler.status_code == 422 and problem(by_handler) == ("", "not_allowed")
    assert blank.status_code == 422 and problem(blank) == ("note", "note_required")


WRITES = [
    ("transition", {"to": "accepted"}),
    ("assign", {"lead": "pboc"}),
    ("comment", {"note": "看看"}),
    ("supervise", {"note": "督办"}),
]


@pytest.mark.parametrize(("action", "payload"), WRITES)
def test_a_leader_cannot_write(routed: World, cases: dict[str, Case], action: str, payload: dict[str, Any]) -> None:
    case = cases["a"]
    before = CaseEvent.objects.filter(case=case).count()

    response = Api(routed.leader).post(f"/api/cases/{case.pk}/{action}", payload)

    assert response.status_code == 403
    assert CaseEvent.objects.filter(case=case).count() == before


@pytest.mark.parametrize(("action", "payload"), WRITES)
@pytest.mark.parametrize("persona", ["outsider", "other_reporter"])
def test_an_outsider_writing_to_our_case_gets_404(
    routed: World, cases: dict[str, Case], persona: str, action: str, payload: dict[str, Any]
) -> None:
    case = cases["a"]
    before = CaseEvent.objects.filter(case=case).count()

    response = Api(getattr(routed, persona)).post(f"/api/cases/{case.pk}/{action}", payload)

    assert response.status_code == 404
    assert CaseEvent.objects.filter(case=case).count() == before


@pytest.mark.parametrize(("action", "payload"), WRITES)
def test_a_handler_of_another_department_writing_to_the_case_gets_404(
    routed: World, cases: dict[str, Case], action: str, payload: dict[str, Any]
) -> None:
    boc = handler_of("boc", "handler-boc")

    assert Api(boc).post(f"/api/cases/{cases['a'].pk}/{action}", payload).status_code == 404


# --- Authentication --------------------------------------------------------------------------------------------


def test_without_credentials_every_endpoint_is_401(routed: World, cases: dict[str, Case]) -> None:
    client, pk = Client(), cases["a"].pk

    assert client.get("/api/cases").status_code == 401
    assert client.get(f"/api/cases/{pk}").status_code == 401
    for action, payload in WRITES:
        response = client.post(f"/api/cases/{pk}/{action}", json.dumps(payload), content_type="application/json")
        assert response.status_code == 401


def test_a_logged_in_session_reads_and_writes_with_its_csrf_token(routed: World, cases: dict[str, Case]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")  # the login form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    client.force_login(routed.handler)
    pk = cases["a"].pk
    assert client.get(f"/api/cases/{pk}").status_code == 200

    refused = client.post(
        f"/api/cases/{pk}/transition", json.dumps({"to": "accepted"}), content_type="application/json"
    )
    accepted_ = client.post(
        f"/api/cases/{pk}/transition",
        json.dumps({"to": "accepted"}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )

    assert refused.status_code == 403
    assert accepted_.status_code == 200 and accepted_.json()["state"] == "accepted"


def test_the_openapi_document_lists_the_case_endpoints(db: None) -> None:
    paths = Client().get("/api/openapi.json").json()["paths"]

    for path in (
        "/api/cases",
        "/api/cases/{case_id}",
        "/api/cases/{case_id}/transition",
        "/api/cases/{case_id}/assign",
    ):
        assert path in paths


def test_the_enterprise_s_reporter_reads_no_supervision_through_the_api(routed: World) -> None:
    from exportwatch.cases.services import case_supervise

    case = accepted(routed, new_case(routed))
    case_supervise(case, actor=routed.analyst, note="请加快办理")
    kinds = {e["kind"] for e in Api(routed.reporter).get(f"/api/cases/{case.pk}").json()["events"]}
    assert "supervise" not in kinds and "transition" in kinds
    assert "supervise" in {e["kind"] for e in Api(routed.analyst).get(f"/api/cases/{case.pk}").json()["events"]}
