"""The closed loop: a case from every need, its moves, merges, supervision and comments, each an event, audited."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.db.models import ProtectedError
from django.test import RequestFactory

from exportwatch.cases.defaults import DEFAULT_ROUTING
from exportwatch.cases.models import Case, CaseEvent, RoutingRule
from exportwatch.cases.services import (
    CaseError,
    case_assign,
    case_comment,
    case_from_need,
    case_merge,
    case_supervise,
    case_transition,
    routing_rule_update,
)
from exportwatch.common.models import AuditEvent
from exportwatch.exchange.jobs import EXTRA_STEPS
from exportwatch.notifications.models import Notification
from exportwatch.reporting.models import NeedCategory
from tests.cases.conftest import accepted, case_of, dispatched, file_need, handler_of, new_case
from tests.conftest import World


def transitions(case: Case) -> list[tuple[str, str]]:
    return list(case.events.filter(kind="transition").order_by("at", "id").values_list("from_state", "to_state"))


def told(user: object) -> list[str]:
    return list(Notification.objects.filter(user=user, kind="case").values_list("subject", flat=True))


# --- Routing ---------------------------------------------------------------------------------------------------


def test_every_need_category_has_a_default_route() -> None:
    assert set(DEFAULT_ROUTING) == set(NeedCategory.values)


def test_the_default_leads_are_the_departments_the_need_categories_name() -> None:
    text = resources.files("exportwatch.directory").joinpath("data", "need_categories.json").read_text("utf-8")
    named = {item["code"]: item["department"] for item in json.loads(text)["items"]}
    assert {category: route.lead for category, route in DEFAULT_ROUTING.items()} == named


def test_the_routing_table_has_a_rule_for_every_category(routed: World) -> None:
    assert set(RoutingRule.objects.values_list("category", flat=True)) == set(NeedCategory.values)
    assert all(rule.lead_department_id for rule in RoutingRule.objects.all())


def test_a_new_need_becomes_a_submitted_case_with_the_routed_department(routed: World) -> None:
    need = file_need(routed.ent_a, by=routed.reporter, category="customs_clearance", description="货物滞港\n详情")
    case = case_of(need)
    assert (case.state, case.enterprise, case.category) == ("submitted", routed.ent_a, "customs_clearance")
    assert case.routed_department_id == "customs" and case.lead_department is None  # a suggestion until triage
    assert (case.first_response_days, case.resolution_days) == (1, 5)
    assert (case.filed_by, case.filed_as, case.title) == (routed.reporter, "reporter", "货物滞港")
    assert case.first_response_due is not None and case.resolution_due is not None
    assert transitions(case) == [("", "submitted")]


def test_a_town_officer_and_an_analyst_file_on_the_enterprise_s_behalf(routed: World) -> None:
    by_officer = new_case(routed, by=routed.town_officer, description="帮企业填报")
    by_analyst = new_case(routed, by=routed.analyst, description="走访发现")
    assert (by_officer.filed_as, by_analyst.filed_as) == ("town_officer", "analyst")


def test_one_need_makes_one_case(routed: World) -> None:
    need = file_need(routed.ent_a, by=routed.reporter)
    file_need(routed.ent_a, by=routed.reporter)  # the same need again: stored once
    assert case_from_need(need, actor=routed.reporter) == case_of(need)
    assert Case.objects.count() == 1


def test_a_handler_cannot_file_a_case(routed: World) -> None:
    need = file_need(routed.ent_a, by=routed.reporter)
    Case.objects.filter(need=need).update(need=None)  # as if it had none yet
    with pytest.raises(CaseError) as refused:
        case_from_need(need, actor=routed.handler)
    assert refused.value.code == "not_allowed"


def test_an_analyst_changes_the_routing_table_and_it_is_audited(routed: World) -> None:
    routing_rule_update(
        category="financing", lead="boc", co=["finance", "boc"], first_response_days=1, resolution_days=7,
        actor=routed.analyst, note="甬贸贷由中行牵头",
    )  # fmt: skip
    rule = RoutingRule.objects.get(category="financing")
    assert (rule.lead_department_id, rule.first_response_days, rule.resolution_days) == ("boc", 1, 7)
    assert list(rule.co_departments.values_list("code", flat=True)) == ["finance"]  # the lead is not a co-handler
    audit = AuditEvent.objects.get(action="routing.change")
    assert audit.old["lead"] == "pboc" and audit.new["lead"] == "boc" and audit.actor == routed.analyst
    case = new_case(routed)
    assert (case.routed_department_id, case.first_response_days) == ("boc", 1)


@pytest.mark.parametrize("persona", ["reporter", "handler", "leader", "outsider", "town_officer"])
def test_only_the_bureau_changes_the_routing_table(routed: World, persona: str) -> None:
    with pytest.raises(CaseError):
        routing_rule_update(
            category="financing", lead="boc", first_response_days=1, resolution_days=7, actor=getattr(routed, persona)
        )


def test_a_limit_is_a_whole_number_of_working_days(routed: World) -> None:
    with pytest.raises(CaseError) as refused:
        routing_rule_update(
            category="other", lead="commerce", first_response_days=0, resolution_days=7, actor=routed.admin
        )
    assert refused.value.code == "bad_limit"


# --- The happy path --------------------------------------------------------------------------------------------


def test_a_need_goes_round_the_whole_loop_with_an_event_and_an_audit_for_each_step(routed: World) -> None:
    w = routed
    case = new_case(w)
    case_transition(case, "triaged", actor=w.analyst)
    case_assign(case, lead=w.handler.department, co=["finance"], actor=w.analyst, note="请农行牵头")
    assert (case.state, case.lead_department_id) == ("assigned", w.handler.department_id)
    assert list(case.co_departments.values_list("code", flat=True)) == ["finance"]
    assert [f"#{case.pk}" in subject for subject in told(w.handler)] == [True]
    case_transition(case, "accepted", actor=w.handler)
    assert case.first_response_at is not None
    case_transition(case, "in_progress", actor=w.handler)
    case_transition(case, "replied", actor=w.handler, note="已对接流动资金贷款300万元")
    assert case.replied_at is not None and told(w.reporter)
    case_transition(case, "confirmed", actor=w.reporter, rating=4, note="很及时")
    assert (case.rating, case.rating_comment) == (4, "很及时")
    case_transition(case, "closed", actor=w.analyst)
    case.refresh_from_db()
    assert case.state == "closed" and case.closed_at is not None
    assert transitions(case) == [
        ("", "submitted"),
        ("submitted", "triaged"),
        ("triaged", "assigned"),
        ("assigned", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "replied"),
        ("replied", "confirmed"),
        ("confirmed", "closed"),
    ]
    events = list(case.events.order_by("at", "id"))
    assert [e.actor for e in events] == [
        w.reporter,
        w.analyst,
        w.analyst,
        w.handler,
        w.handler,
        w.handler,
        w.reporter,
        w.analyst,
    ]
    assert events[2].details == {"lead": w.handler.department_id, "co": ["finance"]}
    assert events[6].rating == 4
    audits = AuditEvent.objects.filter(object_type="case", object_key=str(case.pk))
    assert sorted(audits.values_list("action", flat=True)) == ["case.file"] + ["case.transition"] * 7
    assert audits.filter(action="case.transition", new__state="confirmed", new__rating=4).exists()


def test_a_reply_needs_its_text_and_a_confirmation_its_rating(routed: World) -> None:
    case = accepted(routed, new_case(routed))
    with pytest.raises(CaseError) as refused:
        case_transition(case, "replied", actor=routed.handler, note="  ")
    assert refused.value.code == "reply_required"
    case_transition(case, "replied", actor=routed.handler, note="已答复")
    for rating, problem in ((None, "rating_required"), (6, "rating_required"), (0, "rating_required")):
        with pytest.raises(CaseError) as refused:
            case_transition(case, "confirmed", actor=routed.reporter, rating=rating)
        assert refused.value.code == problem
    assert case.state == "replied" and case.events.count() == 5


def test_a_refused_move_writes_nothing(routed: World) -> None:
    case = new_case(routed)
    before = (CaseEvent.objects.count(), AuditEvent.objects.count())
    with pytest.raises(CaseError) as refused:
        case_transition(case, "accepted", actor=routed.analyst)
    assert refused.value.code == "bad_transition"
    assert "已提交" in refused.value.message or "submitted" in refused.value.message
    assert (CaseEvent.objects.count(), AuditEvent.objects.count()) == before


def test_assigning_needs_the_departments(routed: World) -> None:
    case = new_case(routed)
    case_transition(case, "triaged", actor=routed.analyst)
    with pytest.raises(CaseError) as refused:
        case_transition(case, "assigned", actor=routed.analyst)
    assert refused.value.code == "lead_required"


def test_a_stale_case_is_refused(routed: World) -> None:
    case = new_case(routed)
    stale = Case.objects.get(pk=case.pk)
    case_transition(case, "triaged", actor=routed.analyst)
    with pytest.raises(CaseError) as refused:
        case_transition(stale, "declined", actor=routed.analyst, note="重复")
    assert refused.value.code == "stale"


def test_the_enterprise_reopens_an_answer_it_finds_wanting(routed: World) -> None:
    case = accepted(routed, new_case(routed))
    case_transition(case, "replied", actor=routed.handler, note="已答复")
    case_transition(case, "reopened", actor=routed.reporter, note="贷款仍未到位")
    assert case.state == "reopened"
    assert told(routed.handler)
    case_transition(case, "in_progress", actor=routed.handler)
    assert case.state == "in_progress"


# --- Returned and re-triaged -----------------------------------------------------------------------------------


def test_a_department_returns_a_case_with_a_reason_and_the_bureau_dispatches_it_again(routed: World) -> None:
    w = routed
    case = dispatched(w, new_case(w))
    with pytest.raises(CaseError) as refused:
        case_transition(case, "returned", actor=w.handler)
    assert refused.value.code == "reason_required"
    case_transition(case, "returned", actor=w.handler, note="不属于本行业务范围")
    assert case.state == "returned" and case.first_response_at is None  # returning is no first response
    assert told(w.analyst) and not told(w.outsider)
    case_transition(case, "triaged", actor=w.analyst, note="改派中行")
    case_assign(case, lead="boc", actor=w.analyst)
    boc = handler_of("boc", "boc_handler")
    case_transition(case, "accepted", actor=boc)
    assert (case.state, case.lead_department_id) == ("accepted", "boc")
    assert [to for _f, to in transitions(case)][-4:] == ["returned", "triaged", "assigned", "accepted"]
    returned = case.events.get(to_state="returned")
    assert (returned.note, returned.actor) == ("不属于本行业务范围", w.handler)


def test_a_returned_case_may_be_assigned_again_directly(routed: World) -> None:
    case = dispatched(routed, new_case(routed))
    case_transition(case, "returned", actor=routed.handler, note="请改派")
    case_assign(case, lead="pboc", co=["finance"], actor=routed.analyst)
    assert (case.state, case.lead_department_id) == ("assigned", "pboc")


# --- Who may move a case ---------------------------------------------------------------------------------------


def test_a_handler_of_another_department_cannot_move_the_case(routed: World) -> None:
    case = dispatched(routed, new_case(routed))
    stranger = handler_of("boc", "boc_handler")
    with pytest.raises(CaseError) as refused:
        case_transition(case, "accepted", actor=stranger)
    assert refused.value.code == "not_allowed"
    assert case.state == "assigned"


def test_a_co_handler_comments_but_does_not_accept(routed: World) -> None:
    case = dispatched(routed, new_case(routed), co=("finance",))
    co_handler = handler_of("finance", "finance_handler")
    with pytest.raises(CaseError) as refused:
        case_transition(case, "accepted", actor=co_handler)
    assert refused.value.code == "not_allowed"
    event = case_comment(case, actor=co_handler, note="可申请贴息")
    assert (event.kind, event.from_state, event.to_state) == ("comment", "assigned", "assigned")


@pytest.mark.parametrize("persona", ["other_reporter", "outsider", "leader", "admin"])
def test_people_outside_the_case_or_read_only_cannot_move_it(routed: World, persona: str) -> None:
    case = new_case(routed)
    with pytest.raises(CaseError) as refused:
        case_transition(case, "withdrawn", actor=getattr(routed, persona), note="撤回")
    assert refused.value.code == "not_allowed"


def test_the_town_officer_withdraws_for_the_enterprise(routed: World) -> None:
    case = new_case(routed)
    case_transition(case, "withdrawn", actor=routed.town_officer, note="企业已自行解决")
    assert case.state == "withdrawn" and case.closed_at is not None


# --- Merge, supervise, comment ---------------------------------------------------------------------------------


def test_an_analyst_merges_a_duplicate_into_the_primary_case(routed: World) -> None:
    primary = new_case(routed, description="需要贷款")
    duplicate = new_case(routed, by=routed.town_officer, description="需要贷款（镇街代填）")
    event = case_merge(duplicate, primary, actor=routed.analyst, note="同一需求")
    duplicate.refresh_from_db()
    assert (duplicate.state, duplicate.merged_into, event.details) == ("merged", primary, {"primary": primary.pk})
    assert duplicate.closed_at is not None and duplicate.clock_check_at is None
    merged_in = primary.events.get(kind="merged_in")
    assert (merged_in.details, merged_in.from_state, merged_in.to_state) == (
        {"duplicate": duplicate.pk},
        "submitted",
        "submitted",
    )
    assert AuditEvent.objects.filter(action="case.merge", object_key=str(duplicate.pk)).exists()


def test_a_case_is_not_merged_into_itself_nor_into_a_closed_one(routed: World) -> None:
    case = new_case(routed, description="一")
    with pytest.raises(CaseError) as refused:
        case_merge(case, case, actor=routed.analyst)
    assert refused.value.code == "merge_into_self"
    closed = new_case(routed, description="二")
    case_transition(closed, "declined", actor=routed.analyst, note="非外贸问题")
    with pytest.raises(CaseError) as refused:
        case_merge(case, closed, actor=routed.analyst)
    assert refused.value.code == "merge_target_closed"
    with pytest.raises(CaseError) as refused:
        case_merge(case, new_case(routed, description="三"), actor=routed.reporter)
    assert refused.value.code == "not_allowed"


def test_a_case_cannot_be_merged_into_one_the_analyst_cannot_see(routed: World) -> None:
    ours = new_case(routed, description="一")
    theirs = new_case(routed, enterprise=routed.ent_far, by=routed.admin, description="远方")
    with pytest.raises(CaseError) as refused:
        case_merge(ours, theirs, actor=routed.analyst)
    assert refused.value.code == "not_allowed"


def test_the_bureau_supervises_a_case_and_its_departments_hear_of_it(routed: World) -> None:
    case = dispatched(routed, new_case(routed))
    event = case_supervise(case, actor=routed.analyst, note="请三日内答复企业")
    assert (event.kind, event.note, event.actor) == ("supervise", "请三日内答复企业", routed.analyst)
    assert told(routed.handler)
    assert AuditEvent.objects.filter(action="case.supervise").exists()
    for actor, note, problem in (
        (routed.reporter, "快点", "not_allowed"),
        (routed.handler, "快点", "not_allowed"),
        (routed.analyst, " ", "note_required"),
    ):
        with pytest.raises(CaseError) as refused:
            case_supervise(case, actor=actor, note=note)
        assert refused.value.code == problem


def test_a_closed_case_takes_no_more_comments(routed: World) -> None:
    case = new_case(routed)
    case_transition(case, "withdrawn", actor=routed.reporter, note="已解决")
    with pytest.raises(CaseError) as refused:
        case_comment(case, actor=routed.reporter, note="补充")
    assert refused.value.code == "case_closed"


def test_an_attachment_is_kept_with_its_event(routed: World) -> None:
    case = new_case(routed)
    event = case_comment(
        case, actor=routed.reporter, note="补充材料", attachment=ContentFile(b"%PDF-1.4", name="合同.pdf")
    )
    assert event.attachment_name == "合同.pdf"
    with event.attachment.open("rb") as fh:
        assert fh.read() == b"%PDF-1.4"
    assert event.attachment.name.startswith(f"cases/{case.pk}/")


def test_an_attachment_is_bounded_in_size_and_kind(routed: World) -> None:
    case = new_case(routed)
    with pytest.raises(CaseError) as refused:
        case_comment(case, actor=routed.reporter, note="x", attachment=ContentFile(b"MZ", name="run.exe"))
    assert refused.value.code == "attachment_type"
    big = ContentFile(b"0" * (10 * 1024 * 1024 + 1), name="big.pdf")
    with pytest.raises(CaseError) as refused:
        case_comment(case, actor=routed.reporter, note="x", attachment=big)
    assert refused.value.code == "attachment_too_large"


# --- Append-only events ----------------------------------------------------------------------------------------


def test_events_cannot_be_edited_or_deleted(routed: World) -> None:
    case = new_case(routed)
    event = case.events.get()
    event.note = "改写"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(case=case).update(note="改写")
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(case=case).delete()
    with pytest.raises(ProtectedError):
        case.delete()
    assert CaseEvent.objects.get(pk=event.pk).note == ""


def test_the_admin_shows_events_read_only(routed: World) -> None:
    request = RequestFactory().get("/admin/")
    request.user = routed.admin
    for model in (CaseEvent, Case):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)


def test_the_clock_step_is_registered_with_the_worker() -> None:
    from exportwatch.cases.services import clocks_refresh

    assert clocks_refresh in EXTRA_STEPS
