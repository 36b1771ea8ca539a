"""The case pages: each persona's desk (a handler's work list, the analyst's triage queue, the enterprise's own
cases), the case page with the moves its reader may make, and the attachments, scoped like the selectors."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from exportwatch.cases.models import Case, CaseEvent, RoutingRule
from exportwatch.cases.services import case_comment, case_transition
from tests.cases.conftest import accepted, dispatched, handler_of, new_case
from tests.conftest import World


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def detail(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


def move(case: Case, to: str) -> str:
    return reverse("cases:move", args=[case.pk, to])


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def text(response: Any) -> str:
    return str(response.content.decode())


# --- Who sees which page -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "target"),
    [
        ("handler", "cases:work"),
        ("analyst", "cases:triage"),
        ("reporter", "cases:mine"),
        ("town_officer", "cases:list"),
        ("leader", "cases:list"),
    ],
)
def test_the_cases_entry_leads_each_role_to_its_desk(routed: World, persona: str, target: str) -> None:
    response = login(getattr(routed, persona)).get(reverse("cases:home"))
    assert response.status_code == 302 and response["Location"] == reverse(target)


@pytest.mark.parametrize(
    ("page", "allowed"),
    [
        ("cases:work", {"handler"}),
        ("cases:triage", {"analyst", "outsider"}),
        ("cases:mine", {"reporter", "other_reporter"}),
        ("cases:list", {"town_officer", "analyst", "leader", "outsider", "admin"}),
    ],
)
def test_a_desk_is_a_403_for_a_role_that_never_uses_it(routed: World, page: str, allowed: set[str]) -> None:
    for persona in ("reporter", "other_reporter", "town_officer", "analyst", "leader", "handler", "outsider", "admin"):
        status = login(getattr(routed, persona)).get(reverse(page)).status_code
        assert status == (200 if persona in allowed else 403), (persona, status)


def test_an_anonymous_visitor_is_sent_to_log_in(routed: World) -> None:
    response = Client().get(reverse("cases:work"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- The work list -----------------------------------------------------------------------------------------------


def test_a_handler_s_work_list_shows_their_department_s_open_cases_overdue_first(routed: World) -> None:
    w = routed
    ours = dispatched(w, new_case(w, description="甲的贷款"))
    overdue = dispatched(w, new_case(w, enterprise=w.ent_b, by=w.town_officer, description="乙的贷款"))
    soon = accepted(w, new_case(w, enterprise=w.ent_c, by=w.other_reporter, description="丙的贷款"))
    elsewhere = new_case(w, description="别的部门")
    case_transition(elsewhere, "triaged", actor=w.analyst)
    from exportwatch.cases.services import case_assign

    case_assign(elsewhere, lead="boc", actor=w.analyst)
    Case.objects.filter(pk=overdue.pk).update(clock_state="breached")
    Case.objects.filter(pk=soon.pk).update(clock_state="warning")

    response = login(w.handler).get(reverse("cases:work"))
    assert response.status_code == 200
    rows = [c.pk for c in response.context["paged"]]
    assert rows == [overdue.pk, soon.pk, ours.pk]
    page = text(response)
    assert "别的部门" not in page
    assert f'data-case="{overdue.pk}" data-clock-state="breached"' in page
    assert f'data-case="{soon.pk}" data-clock-state="warning"' in page


def test_the_work_list_shows_a_paused_clock(routed: World) -> None:
    w = routed
    case = accepted(w, new_case(w))
    case_transition(case, "waiting_enterprise", actor=w.handler, note="请补充报关单")
    page = text(login(w.handler).get(reverse("cases:work")))
    assert 'data-clock="paused"' in page


def test_the_work_list_filters_by_state_and_category(routed: World) -> None:
    w = routed
    waiting = accepted(w, new_case(w, description="已签收"))
    assigned = dispatched(w, new_case(w, description="待签收"))
    client = login(w.handler)
    assert [c.pk for c in client.get(reverse("cases:work"), {"state": "accepted"}).context["paged"]] == [waiting.pk]
    assert [c.pk for c in client.get(reverse("cases:work"), {"state": "assigned"}).context["paged"]] == [assigned.pk]
    assert not list(client.get(reverse("cases:work"), {"category": "logistics"}).context["paged"])
    # A state that is never on a desk is not a filter: everything is shown.
    assert len(client.get(reverse("cases:work"), {"state": "closed"}).context["paged"]) == 2


def test_the_work_list_is_paged_in_the_database(routed: World) -> None:
    from exportwatch.cases import views

    w = routed
    for n in range(3):
        dispatched(w, new_case(w, description=f"案件{n}"))
    original = views.PER_PAGE
    views.PER_PAGE = 2
    try:
        first = login(w.handler).get(reverse("cases:work"))
        second = login(w.handler).get(reverse("cases:work"), {"page": 2})
    finally:
        views.PER_PAGE = original
    assert len(first.context["paged"]) == 2 and len(second.context["paged"]) == 1
    assert first.context["paged"].paginator.count == 3


def test_another_department_s_handler_sees_none_of_ours(routed: World) -> None:
    w = routed
    dispatched(w, new_case(w))
    boc = handler_of("boc", "boc_handler")
    assert not list(login(boc).get(reverse("cases:work")).context["paged"])


# --- The triage queue --------------------------------------------------------------------------------------------


def test_the_triage_queue_lists_what_waits_for_the_bureau_with_the_routed_lead(routed: World) -> None:
    w = routed
    # Other modules' clean-ups may have removed the seeded co-handlers with the departments: set them here.
    RoutingRule.objects.get(category="financing").co_departments.set(["finance"])
    submitted = new_case(w, description="新提交")
    taken = new_case(w, enterprise=w.ent_c, by=w.other_reporter, description="已受理")
    case_transition(taken, "triaged", actor=w.analyst)
    with_department = dispatched(w, new_case(w, description="已派单"))
    response = login(w.analyst).get(reverse("cases:triage"))
    assert response.status_code == 200
    rows = {row["case"].pk: row for row in response.context["rows"]}
    assert set(rows) == {submitted.pk, taken.pk}
    assert with_department.pk not in rows
    assert rows[submitted.pk]["take_in"] and not rows[submitted.pk]["moves"].assign
    assert rows[taken.pk]["moves"].assign and rows[taken.pk]["lead"] == "pboc"  # financing → PBoC by the table
    assert rows[taken.pk]["co"] == {"finance"}
    page = text(response)
    assert 'value="pboc" selected' in page


def test_the_outsider_s_triage_queue_holds_none_of_ours(routed: World) -> None:
    w = routed
    new_case(w)
    assert not login(w.outsider).get(reverse("cases:triage")).context["rows"]


def test_the_analyst_takes_in_and_assigns_from_the_queue(routed: World) -> None:
    w = routed
    case = new_case(w)
    client = login(w.analyst)
    response = client.post(
        move(case, "triaged"), {"triaged-to": "triaged", "triaged-seen": "submitted", "next": "triage"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("cases:triage")
    assert fresh(case).state == "triaged"
    response = client.post(
        reverse("cases:assign", args=[case.pk]),
        {"assign-seen": "triaged", "assign-lead": "boc", "assign-co": ["finance", "pboc"], "next": "triage"},
    )
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.lead_department_id) == ("assigned", "boc")
    assert sorted(case.co_departments.values_list("code", flat=True)) == ["finance", "pboc"]


def test_declining_without_a_reason_shows_why_and_changes_nothing(routed: World) -> None:
    w = routed
    case = new_case(w)
    response = login(w.analyst).post(
        move(case, "declined"), {"declined-to": "declined", "declined-seen": "submitted", "declined-note": "  "}
    )
    assert response.status_code == 400
    assert "请说明理由" in text(response)  # the core's problem, in the reader's language
    assert fresh(case).state == "submitted"


def test_the_analyst_merges_a_duplicate_into_another_case(routed: World) -> None:
    w = routed
    primary = new_case(w, description="第一次")
    duplicate = new_case(w, description="重复提交")
    response = login(w.analyst).post(
        reverse("cases:merge", args=[duplicate.pk]), {"merge-seen": "submitted", "merge-primary": primary.pk}
    )
    assert response.status_code == 302
    duplicate = fresh(duplicate)
    assert (duplicate.state, duplicate.merged_into_id) == ("merged", primary.pk)


def test_a_merge_into_a_case_out_of_scope_is_refused_as_if_it_did_not_exist(routed: World) -> None:
    w = routed
    far = new_case(w, enterprise=w.ent_far, by=w.admin, description="远方")
    ours = new_case(w, description="我们的")
    response = login(w.analyst).post(
        reverse("cases:merge", args=[ours.pk]), {"merge-seen": "submitted", "merge-primary": far.pk}
    )
    assert response.status_code == 400
    assert response.context["merge_form"]["primary"].value() == str(far.pk)  # the typed number is kept
    assert fresh(ours).state == "submitted"


# --- The case page -----------------------------------------------------------------------------------------------

SEES_CASE = {
    "reporter": 200,
    "other_reporter": 404,
    "town_officer": 200,
    "analyst": 200,
    "leader": 200,
    "handler": 200,
    "outsider": 404,
    "admin": 200,
}


@pytest.mark.parametrize("persona", sorted(SEES_CASE))
def test_each_persona_reads_a_case_only_in_its_scope(routed: World, persona: str) -> None:
    w = routed
    case = dispatched(w, new_case(w))
    assert login(getattr(w, persona)).get(detail(case)).status_code == SEES_CASE[persona]


def test_a_handler_of_another_department_gets_404(routed: World) -> None:
    w = routed
    case = dispatched(w, new_case(w))
    assert login(handler_of("boc", "boc_handler")).get(detail(case)).status_code == 404


def test_the_case_page_shows_the_facts_the_handler_needs(routed: World) -> None:
    w = routed
    case = dispatched(w, new_case(w, description="需要流动资金贷款500万元\n用于支付原材料"))
    response = login(w.handler).get(detail(case))
    page = text(response)
    for fact in (w.ent_a.name, w.ent_a.town.label, "12,000,000", "500,000", "用于支付原材料", "王会计"):
        assert fact in page
    assert response.context["clocks"][0]["limit"] == case.first_response_days
    assert 'data-kind="transition" data-to="assigned"' in page


@pytest.mark.parametrize(
    ("persona", "targets", "assign", "comment", "supervise"),
    [
        ("handler", ("accepted", "returned"), False, True, False),
        ("analyst", ("triaged",), False, True, True),
        ("reporter", ("withdrawn",), False, True, False),
        ("town_officer", ("withdrawn",), False, True, False),
        ("leader", (), False, False, False),
        ("admin", (), False, False, False),
    ],
)
def test_the_page_offers_exactly_the_moves_its_reader_may_make(
    routed: World, persona: str, targets: tuple[str, ...], assign: bool, comment: bool, supervise: bool
) -> None:
    w = routed
    case = dispatched(w, new_case(w))
    response = login(getattr(w, persona)).get(detail(case))
    moves = response.context["moves"]
    assert moves.targets == targets
    assert (moves.assign, moves.comment, moves.supervise) == (assign, comment, supervise)
    assert moves.merge == (persona == "analyst")
    page = text(response)
    for to in ("accepted", "returned", "triaged", "withdrawn", "replied", "confirmed", "closed", "merged"):
        assert (f'data-move="{to}"' in page) == (to in targets or (to == "merged" and moves.merge)), to


def test_a_leader_reads_without_any_form(routed: World) -> None:
    w = routed
    case = dispatched(w, new_case(w))
    page = text(login(w.leader).get(detail(case)))
    assert 'id="actions"' not in page


def test_a_move_not_offered_is_refused_if_posted_anyway(routed: World) -> None:
    w = routed
    case = dispatched(w, new_case(w))
    for persona, to in (("reporter", "accepted"), ("leader", "accepted"), ("analyst", "accepted")):
        response = login(getattr(w, persona)).post(move(case, to), {f"{to}-to": to, f"{to}-seen": "assigned"})
        assert response.status_code == 403, persona
        assert "您无权对此案件执行此操作" in text(response)
    assert fresh(case).state == "assigned"


def test_a_town_officer_confirms_for_the_enterprise_and_comments(routed: World) -> None:
    w = routed
    case = accepted(w, new_case(w))
    case_transition(case, "replied", actor=w.handler, note="已联系银行")
    client = login(w.town_officer)
    response = client.post(
        move(case, "confirmed"), {"confirmed-to": "confirmed", "confirmed-seen": "replied", "confirmed-rating": "5"}
    )
    assert response.status_code == 302 and fresh(case).state == "confirmed" and fresh(case).rating == 5
    response = client.post(
        reverse("cases:note", args=[case.pk, "comment"]),
        {"comment-seen": "confirmed", "comment-action": "comment", "comment-note": "企业已知悉"},
    )
    assert response.status_code == 302
    assert case.events.filter(kind="comment", actor=w.town_officer).exists()


def test_a_handler_accepts_starts_asks_the_enterprise_and_replies(routed: World) -> None:
    w = routed
    case = dispatched(w, new_case(w))
    client = login(w.handler)
    steps = [
        ("accepted", "assigned", ""),
        ("in_progress", "accepted", ""),
        ("waiting_enterprise", "in_progress", "请提供近三个月的出口报关单"),
    ]
    for to, seen, note in steps:
        response = client.post(move(case, to), {f"{to}-to": to, f"{to}-seen": seen, f"{to}-note": note})
        assert response.status_code == 302, (to, text(response))
    assert fresh(case).state == "waiting_enterprise"
    # The enterprise says it supplied the documents; the department answers.
    response = login(w.reporter).post(
        move(case, "in_progress"), {"in_progress-to": "in_progress", "in_progress-seen": "waiting_enterprise"}
    )
    assert response.status_code == 302
    response = client.post(
        move(case, "replied"),
        {"replied-to": "replied", "replied-seen": "in_progress", "replied-note": "已安排甬贸贷，三日内放款"},
    )
    assert response.status_code == 302
    assert fresh(case).state == "replied"


def test_a_reply_without_text_keeps_the_page_and_says_why(routed: World) -> None:
    w = routed
    case = accepted(w, new_case(w))
    response = login(w.handler).post(
        move(case, "replied"),
        {"replied-to": "replied", "replied-seen": "accepted", "replied-note": ""},
    )
    assert response.status_code == 400
    assert "请填写给企业的答复" in text(response)
    assert fresh(case).state == "accepted"


def test_a_rating_error_keeps_the_typed_comment(routed: World) -> None:
    w = routed
    case = accepted(w, new_case(w))
    case_transition(case, "replied", actor=w.handler, note="已办")
    response = login(w.reporter).post(
        move(case, "confirmed"),
        {"confirmed-to": "confirmed", "confirmed-seen": "replied", "confirmed-note": "银行很快联系了我们"},
    )
    assert response.status_code == 400
    form = next(m["form"] for m in response.context["move_forms"] if m["to"] == "confirmed")
    assert form["note"].value() == "银行很快联系了我们"
    assert form.errors["rating"]
    assert "银行很快联系了我们" in text(response)
    assert fresh(case).state == "replied"


def test_the_enterprise_reads_the_answer_and_rates_it(routed: World) -> None:
    w = routed
    case = accepted(w, new_case(w))
    case_transition(case, "replied", actor=w.handler, note="已安排甬贸贷")
    client = login(w.reporter)
    page = text(client.get(detail(case)))
    assert 'id="answer"' in page and "已安排甬贸贷" in page and 'data-move="confirmed" open' in page
    response = client.post(
        move(case, "confirmed"),
        {"confirmed-to": "confirmed", "confirmed-seen": "replied", "confirmed-rating": "4", "confirmed-note": "满意"},
    )
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.rating, case.rating_comment) == ("confirmed", 4, "满意")


def test_a_move_on_a_case_that_changed_meanwhile_is_refused_as_stale(routed: World) -> None:
    w = routed
    case = dispatched(w, new_case(w))
    case_transition(case, "accepted", actor=w.handler)
    response = login(w.analyst).post(
        move(case, "triaged"), {"triaged-to": "triaged", "triaged-seen": "assigned", "triaged-note": "改派"}
    )
    assert response.status_code == 400
    assert "此案件已被他人修改" in text(response)
    assert fresh(case).state == "accepted"


def test_the_analyst_supervises_and_the_handler_comments(routed: World) -> None:
    w = routed
    case = accepted(w, new_case(w))
    response = login(w.analyst).post(
        reverse("cases:note", args=[case.pk, "supervise"]),
        {"supervise-seen": "accepted", "supervise-action": "supervise", "supervise-note": "请本周内答复"},
    )
    assert response.status_code == 302
    response = login(w.handler).post(
        reverse("cases:note", args=[case.pk, "supervise"]),
        {"supervise-seen": "accepted", "supervise-action": "supervise", "supervise-note": "自己督办"},
    )
    assert response.status_code == 403  # only the bureau supervises
    response = login(w.handler).post(
        reverse("cases:note", args=[case.pk, "comment"]),
        {"comment-seen": "accepted", "comment-action": "comment", "comment-note": ""},
    )
    assert response.status_code == 400
    assert list(case.events.exclude(kind="transition").values_list("kind", "note")) == [("supervise", "请本周内答复")]


def test_a_post_without_the_csrf_token_is_refused(routed: World) -> None:
    w = routed
    case = dispatched(w, new_case(w))
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.handler)
    response = client.post(move(case, "accepted"), {"accepted-to": "accepted", "accepted-seen": "assigned"})
    assert response.status_code == 403 and fresh(case).state == "assigned"


def test_a_move_needs_a_post(routed: World) -> None:
    w = routed
    case = dispatched(w, new_case(w))
    assert login(w.handler).get(move(case, "accepted")).status_code == 405


def test_an_outsider_cannot_move_a_case_it_cannot_see(routed: World) -> None:
    w = routed
    case = new_case(w)
    response = login(w.outsider).post(move(case, "triaged"), {"triaged-to": "triaged", "triaged-seen": "submitted"})
    assert response.status_code == 404 and fresh(case).state == "submitted"


# --- Attachments -------------------------------------------------------------------------------------------------


def test_an_attachment_is_downloaded_only_by_a_reader_of_its_case(routed: World) -> None:
    w = routed
    case = accepted(w, new_case(w))
    response = login(w.handler).post(
        reverse("cases:note", args=[case.pk, "comment"]),
        {
            "comment-seen": "accepted",
            "comment-action": "comment",
            "comment-note": "贷款方案见附件",
            "comment-attachment": SimpleUploadedFile("方案.pdf", b"%PDF-1.4 plan", content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    event = CaseEvent.objects.get(case=case, kind="comment")
    url = reverse("cases:attachment", args=[case.pk, event.pk])
    download = login(w.reporter).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 plan"
    assert "attachment" in download["Content-Disposition"]
    assert url in text(login(w.reporter).get(detail(case)))
    for persona in ("other_reporter", "outsider"):
        assert login(getattr(w, persona)).get(url).status_code == 404
    assert login(handler_of("boc", "boc_handler")).get(url).status_code == 404
    other = new_case(w, description="另一件")
    assert login(w.reporter).get(reverse("cases:attachment", args=[other.pk, event.pk])).status_code == 404


def test_an_attachment_of_a_forbidden_kind_is_refused_and_the_note_kept(routed: World) -> None:
    w = routed
    case = accepted(w, new_case(w))
    response = login(w.handler).post(
        reverse("cases:note", args=[case.pk, "comment"]),
        {
            "comment-seen": "accepted",
            "comment-action": "comment",
            "comment-note": "见附件",
            "comment-attachment": SimpleUploadedFile("run.exe", b"MZ"),
        },
    )
    assert response.status_code == 400
    assert response.context["comment_form"]["note"].value() == "见附件"
    assert not case.events.filter(kind="comment").exists()


def test_an_event_without_an_attachment_has_nothing_to_download(routed: World) -> None:
    w = routed
    case = accepted(w, new_case(w))
    event = case_comment(case, actor=w.handler, note="无附件")
    assert login(w.handler).get(reverse("cases:attachment", args=[case.pk, event.pk])).status_code == 404


# --- The enterprise's own cases ----------------------------------------------------------------------------------


def test_the_enterprise_sees_its_own_cases_with_those_waiting_for_it_marked(routed: World) -> None:
    w = routed
    answered = accepted(w, new_case(w, description="已答复的"))
    case_transition(answered, "replied", actor=w.handler, note="已办")
    quiet = new_case(w, description="刚提交的")
    new_case(w, enterprise=w.ent_c, by=w.other_reporter, description="别人的")
    response = login(w.reporter).get(reverse("cases:mine"))
    assert [c.pk for c in response.context["paged"]] == [quiet.pk, answered.pk]
    page = text(response)
    assert "别人的" not in page
    assert page.count("data-yours") == 1


def test_the_reporter_s_home_links_to_its_cases(routed: World) -> None:
    page = text(login(routed.reporter).get(reverse("reporting:mine")))
    assert reverse("cases:mine") in page


def test_the_bureau_list_is_scoped_and_filtered(routed: World) -> None:
    w = routed
    a = new_case(w, description="甲")
    c = new_case(w, enterprise=w.ent_c, by=w.other_reporter, description="丙")
    new_case(w, enterprise=w.ent_far, by=w.admin, description="远")
    assert {x.pk for x in login(w.town_officer).get(reverse("cases:list")).context["paged"]} == {a.pk}
    assert {x.pk for x in login(w.analyst).get(reverse("cases:list")).context["paged"]} == {a.pk, c.pk}
    case_transition(c, "triaged", actor=w.analyst)
    filtered = login(w.analyst).get(reverse("cases:list"), {"state": "triaged"})
    assert [x.pk for x in filtered.context["paged"]] == [c.pk]


def test_the_enterprise_does_not_see_the_bureau_s_supervision_of_its_case(routed: World) -> None:
    from exportwatch.cases.services import case_supervise

    w = routed
    case = accepted(w, new_case(w))
    case_supervise(case, actor=w.analyst, note="请加快办理，三日内答复")
    for persona, sees in (("reporter", False), ("town_officer", True), ("handler", True), ("analyst", True)):
        page = text(login(getattr(w, persona)).get(detail(case)))
        assert ("请加快办理" in page) == sees, persona
