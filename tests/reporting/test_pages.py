"""Reporter-facing pages: start page, monthly form, drafts, conflicts, events and needs, and who may see them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from exportwatch.common.problems import problem_message
from exportwatch.core.records import Problem
from exportwatch.reporting.models import Disruption, Need, Report, ReportDraft, ReportLine
from tests.conftest import World
from tests.reporting.factories import line_in, submit

LINE_KEYS = ("market", "hs", "exports_usd", "new_orders_usd", "backlog_usd")
VALID_LINES = (
    {"market": "US", "hs": "84", "exports_usd": "400,000", "new_orders_usd": "300000", "backlog_usd": "1000000"},
    {"market": "DE", "hs": "8471", "exports_usd": "250000", "new_orders_usd": "100000", "backlog_usd": "500000"},
)


def form_data(
    *,
    base_version: int = 0,
    action: str = "submit",
    lines: tuple[dict[str, str], ...] = VALID_LINES,
    blank_rows: int = 3,
    **report: str,
) -> dict[str, str]:
    """What the browser posts: the totals, the line formset (with empty extra rows) and the button pressed."""
    data = {
        "base_version": str(base_version),
        "action": action,
        "exports_usd": "1,000,000",
        "new_orders_usd": "800000",
        "backlog_usd": "3000000",
        "backlog_due_3m_usd": "2000000",
        "capacity_utilization_pct": "75",
        "new_orders_trend": "down",
        "outlook_3m": "same",
    }
    data.update(report)
    rows = [*lines, *({} for _ in range(blank_rows))]
    data.update(
        {
            "lines-TOTAL_FORMS": str(len(rows)),
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "200",
        }
    )
    for i, row in enumerate(rows):
        for key in LINE_KEYS:
            data[f"lines-{i}-{key}"] = row.get(key, "")
    return data


def message(code: str, field: str = "", language: str = "zh-hans", **params: str) -> str:
    """A problem's sentence as the page shows it (HTML-escaped) in ``language``."""
    with translation.override(language):
        return escape(problem_message(Problem(field=field, code=code, params=tuple(params.items()))))


def text(language: str, english: str) -> str:
    with translation.override(language):
        return escape(translation.gettext(english))


def edit_url(enterprise: Any, period: str = "2020-03") -> str:
    return f"/report/{enterprise.uscc}/{period}/edit/"


def detail_url(enterprise: Any, period: str = "2020-03") -> str:
    return f"/report/{enterprise.uscc}/{period}/"


def html(response: Any) -> str:
    return str(response.content.decode())


@pytest.fixture
def reporter(client: Client, world: World) -> Client:
    client.force_login(world.reporter)
    return client


# --- The start page --------------------------------------------------------------------------


def test_the_start_page_shows_the_reporters_enterprise_and_the_period_due(reporter: Client, world: World) -> None:
    response = reporter.get("/report/")
    assert response.status_code == 200
    assert response.context["enterprise"] == world.ent_a
    assert response.context["due_period"] == "2020-03"
    assert response.context["deadline"] == dt.date(2020, 4, 5)
    page = html(response)
    assert world.ent_a.name in page
    assert world.ent_a.uscc in page
    assert edit_url(world.ent_a) in page
    assert "2020-04-05" in page
    assert world.ent_c.name not in page


def test_the_start_page_links_to_the_submitted_report(reporter: Client, world: World) -> None:
    submit(world.ent_a, "2020-03", by=world.reporter)
    response = reporter.get("/report/")
    assert response.context["due_report"].version == 1
    assert detail_url(world.ent_a) in html(response)


def test_the_start_page_lists_the_reporters_history(reporter: Client, world: World) -> None:
    submit(world.ent_a, "2020-01")
    submit(world.ent_a, "2020-02")
    submit(world.ent_c, "2020-02")
    response = reporter.get("/report/")
    assert [r.period for r in response.context["history"]] == ["2020-02", "2020-01"]


# --- Opening the form ------------------------------------------------------------------------


def test_the_form_opens_for_the_due_period(reporter: Client, world: World) -> None:
    response = reporter.get(edit_url(world.ent_a))
    assert response.status_code == 200
    assert response.context["period"] == "2020-03"
    assert response.context["form"].initial["base_version"] == 0
    assert 'name="base_version"' in html(response)


def test_the_form_opens_with_last_periods_markets_and_products(reporter: Client, world: World) -> None:
    submit(
        world.ent_a,
        "2020-02",
        lines=[
            line_in(world.ent_a, "2020-02", market="US", hs="84", exports_usd=Decimal("400000")),
            line_in(world.ent_a, "2020-02", market="DE", hs="8471", exports_usd=Decimal("250000")),
        ],
    )
    response = reporter.get(edit_url(world.ent_a))
    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.initial == [{"market": "US", "hs": "84"}, {"market": "DE", "hs": "8471"}]
    page = html(response)
    assert '<option value="US" selected>' in page
    assert '<option value="DE" selected>' in page
    assert 'value="8471"' in page
    # Last period's amounts are hints, not values: only the figures need typing.
    assert formset.forms[0].initial.get("exports_usd") is None
    assert "400,000" in page


def test_the_form_of_an_existing_report_opens_with_its_figures(reporter: Client, world: World) -> None:
    submit(world.ent_a, "2020-03", exports_usd=Decimal("1234567.50"))
    response = reporter.get(edit_url(world.ent_a))
    assert response.context["form"].initial["exports_usd"] == "1234567.5"
    assert response.context["form"].initial["base_version"] == 1
    assert 'value="1234567.5"' in html(response)


def test_a_future_period_redirects_with_a_message_and_stores_nothing(reporter: Client, world: World) -> None:
    get = reporter.get(edit_url(world.ent_a, "2020-05"))
    post = reporter.post(edit_url(world.ent_a, "2020-05"), form_data())
    for response in (get, post):
        assert response.status_code == 302
        assert response["Location"] == "/report/"
    assert len(list(get_messages(get.wsgi_request))) == 1
    assert "2020-05" in str(next(iter(get_messages(post.wsgi_request))))
    assert not Report.objects.exists()
    assert not ReportDraft.objects.exists()


def test_the_current_month_may_be_reported(reporter: Client, world: World) -> None:
    assert reporter.get(edit_url(world.ent_a, "2020-04")).status_code == 200


@pytest.mark.parametrize("period", ["2020-13", "202003", "2020-3", "latest"])
def test_a_malformed_period_is_404(reporter: Client, world: World, period: str) -> None:
    assert reporter.get(edit_url(world.ent_a, period)).status_code == 404


def test_a_period_with_a_trailing_newline_is_404(reporter: Client, world: World) -> None:
    assert reporter.get(edit_url(world.ent_a, "2020-03%0A")).status_code == 404


# --- Submitting ------------------------------------------------------------------------------


def test_a_valid_report_is_stored_as_version_1_and_shown(reporter: Client, world: World) -> None:
    response = reporter.post(edit_url(world.ent_a), form_data())
    assert response.status_code == 302
    assert response["Location"] == detail_url(world.ent_a)
    report = Report.objects.get(enterprise=world.ent_a, period="2020-03")
    assert (report.version, report.is_current) == (1, True)
    assert report.exports_usd == Decimal("1000000.00")
    assert report.capacity_utilization_pct == Decimal("75.0")
    assert report.submitted_by == world.reporter
    assert report.source == "web"
    lines = {(ln.market_id, ln.hs): ln.exports_usd for ln in report.lines.all()}
    assert lines == {("US", "84"): Decimal("400000.00"), ("DE", "8471"): Decimal("250000.00")}

    page = reporter.get(response["Location"])
    assert page.status_code == 200
    assert page.context["current"] == report
    assert 'data-version="1"' in html(page)
    assert "8471" in html(page)


def test_a_report_without_lines_is_accepted(reporter: Client, world: World) -> None:
    response = reporter.post(edit_url(world.ent_a), form_data(lines=()))
    assert response.status_code == 302
    assert Report.objects.get().lines.count() == 0


def test_submitting_again_creates_version_2_and_the_page_shows_what_changed(reporter: Client, world: World) -> None:
    reporter.post(edit_url(world.ent_a), form_data())
    response = reporter.post(edit_url(world.ent_a), form_data(base_version=1, exports_usd="1100000"))
    assert response.status_code == 302
    assert list(Report.objects.order_by("version").values_list("version", "is_current")) == [(1, False), (2, True)]
    page = reporter.get(detail_url(world.ent_a))
    assert [v.version for v in page.context["versions"]] == [2, 1]
    (_label, old, new), *_ = page.context["changes"][2]
    assert (old, new) == (Decimal("1000000.00"), Decimal("1100000.00"))


def test_submitting_the_same_figures_again_adds_no_version(reporter: Client, world: World) -> None:
    reporter.post(edit_url(world.ent_a), form_data())
    response = reporter.post(edit_url(world.ent_a), form_data(base_version=1))
    assert response.status_code == 302
    assert Report.objects.count() == 1


def test_a_town_officer_reports_on_behalf_of_an_enterprise_of_the_town(client: Client, world: World) -> None:
    client.force_login(world.town_officer)
    response = client.post(edit_url(world.ent_b), form_data())
    assert response.status_code == 302
    report = Report.objects.get(enterprise=world.ent_b)
    assert report.submitted_by == world.town_officer


@pytest.mark.parametrize(
    ("changes", "field", "code", "params"),
    [
        ({"exports_usd": "-5"}, "exports_usd", "negative", {}),
        (
            {"backlog_usd": "100", "backlog_due_3m_usd": "200"},
            "backlog_due_3m_usd",
            "due_exceeds_backlog",
            {"due": "200", "backlog": "100"},
        ),
        ({"new_orders_usd": "12,34"}, "new_orders_usd", "not_a_number", {"value": "12,34"}),
        ({"capacity_utilization_pct": "120"}, "capacity_utilization_pct", "out_of_range", {"min": "0", "max": "100"}),
    ],
)
def test_a_report_with_a_bad_total_is_refused_with_the_reason_and_the_typed_values_kept(
    reporter: Client, world: World, changes: dict[str, str], field: str, code: str, params: dict[str, str]
) -> None:
    response = reporter.post(edit_url(world.ent_a), form_data(**changes))
    assert response.status_code == 400
    assert not Report.objects.exists()
    assert not ReportLine.objects.exists()
    page = html(response)
    for key, value in changes.items():
        assert f'name="{key}" value="{escape(value)}"' in page
    assert 'value="8471"' in page  # the lines typed are kept as well
    assert response.context["form"].errors[field]
    assert message(code, field, **params) in page


def test_a_report_whose_lines_exceed_its_totals_is_refused(reporter: Client, world: World) -> None:
    lines = ({"market": "US", "hs": "84", "exports_usd": "2000000", "new_orders_usd": "0", "backlog_usd": "0"},)
    response = reporter.post(edit_url(world.ent_a), form_data(lines=lines))
    assert response.status_code == 400
    assert not Report.objects.exists()
    assert response.context["form"].non_field_errors()
    assert message("lines_exceed_total", lines="2,000,000", total="1,000,000") in html(response)
    assert 'value="2000000"' in html(response)


def test_a_line_with_an_unknown_hs_code_is_refused(reporter: Client, world: World) -> None:
    lines = (VALID_LINES[0], {**VALID_LINES[1], "hs": "9901"})
    response = reporter.post(edit_url(world.ent_a), form_data(lines=lines))
    assert response.status_code == 400
    assert not Report.objects.exists()
    line_form = response.context["formset"].forms[1]
    assert line_form.errors["hs"]
    assert message("unknown_hs", "hs", value="9901") in html(response)
    assert 'value="9901"' in html(response)


def test_a_line_without_a_market_is_refused(reporter: Client, world: World) -> None:
    lines = ({**VALID_LINES[0], "market": ""},)
    response = reporter.post(edit_url(world.ent_a), form_data(lines=lines))
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["market"]
    assert not Report.objects.exists()


def test_the_same_market_and_product_twice_is_refused(reporter: Client, world: World) -> None:
    response = reporter.post(edit_url(world.ent_a), form_data(lines=(VALID_LINES[0], VALID_LINES[0])))
    assert response.status_code == 400
    assert message("duplicate_line", market="US", hs="84", count="2") in html(response)
    assert not Report.objects.exists()


def test_a_missing_trend_is_refused(reporter: Client, world: World) -> None:
    data = form_data()
    del data["new_orders_trend"]
    response = reporter.post(edit_url(world.ent_a), data)
    assert response.status_code == 400
    assert response.context["form"].errors["new_orders_trend"]
    assert not Report.objects.exists()


def test_a_missing_trend_is_reported_once(reporter: Client, world: World) -> None:
    data = form_data()
    del data["new_orders_trend"]
    response = reporter.post(edit_url(world.ent_a), data)
    assert len(response.context["form"].errors["new_orders_trend"]) == 1


def test_the_error_messages_are_in_chinese_by_default(reporter: Client, world: World) -> None:
    response = reporter.post(edit_url(world.ent_a), form_data(exports_usd="-5"))
    assert "金额不能为负数" in html(response)
    assert message("negative", language="en") not in html(response)


# --- Drafts ----------------------------------------------------------------------------------


def test_saving_a_draft_keeps_invalid_input_and_restores_it_on_the_next_visit(reporter: Client, world: World) -> None:
    lines = ({**VALID_LINES[0], "hs": "9901"},)
    response = reporter.post(edit_url(world.ent_a), form_data(action="draft", lines=lines, exports_usd="-5"))
    assert response.status_code == 302
    assert response["Location"] == edit_url(world.ent_a)
    assert not Report.objects.exists()
    draft = ReportDraft.objects.get(enterprise=world.ent_a, period="2020-03")
    assert draft.data["report"]["exports_usd"] == "-5"

    again = reporter.get(edit_url(world.ent_a))
    assert again.status_code == 200
    assert again.context["form"].initial["exports_usd"] == "-5"
    assert again.context["formset"].initial[0]["hs"] == "9901"
    page = html(again)
    assert 'name="exports_usd" value="-5"' in page
    assert 'value="9901"' in page
    assert text("zh-hans", "Your saved draft has been restored.") in page


def test_a_draft_does_not_count_as_a_report(reporter: Client, world: World) -> None:
    reporter.post(edit_url(world.ent_a), form_data(action="draft"))
    response = reporter.get("/report/")
    assert response.context["due_report"] is None
    assert response.context["draft"] is not None


def test_submitting_removes_the_draft(reporter: Client, world: World) -> None:
    reporter.post(edit_url(world.ent_a), form_data(action="draft", exports_usd="-5"))
    reporter.post(edit_url(world.ent_a), form_data())
    assert not ReportDraft.objects.exists()
    assert reporter.get(edit_url(world.ent_a)).context["form"].initial["exports_usd"] == "1000000"


def test_a_draft_saved_after_another_submission_landed_still_meets_the_conflict_check(
    reporter: Client, world: World
) -> None:
    opened = reporter.get(edit_url(world.ent_a))
    assert opened.context["form"].initial["base_version"] == 0
    submit(world.ent_a, "2020-03", by=world.town_officer)  # lands while the reporter is typing
    reporter.post(edit_url(world.ent_a), form_data(action="draft", base_version=0, exports_usd="4,321,000"))
    reopened = reporter.get(edit_url(world.ent_a))
    assert reopened.context["form"].initial["base_version"] == 0
    response = reporter.post(edit_url(world.ent_a), form_data(base_version=0, exports_usd="4,321,000"))
    assert response.status_code == 400
    assert response.context["conflict"].version == 1
    assert Report.objects.filter(enterprise=world.ent_a).count() == 1


def test_a_saved_draft_survives_a_submission_by_someone_else(reporter: Client, world: World) -> None:
    reporter.post(edit_url(world.ent_a), form_data(action="draft", exports_usd="4,321,000"))
    submit(world.ent_a, "2020-03", by=world.town_officer)
    reopened = reporter.get(edit_url(world.ent_a))
    assert reopened.context["form"].initial["exports_usd"] == "4,321,000"
    assert reopened.context["form"].initial["base_version"] == 0


def test_a_prefilled_line_left_without_amounts_is_dropped(reporter: Client, world: World) -> None:
    lines = (VALID_LINES[0], {"market": "DE", "hs": "8471"})
    response = reporter.post(edit_url(world.ent_a), form_data(lines=lines))
    assert response.status_code == 302
    assert [(ln.market_id, ln.hs) for ln in Report.objects.get().lines.all()] == [("US", "84")]


def test_asking_for_more_rows_keeps_what_was_typed_without_judging_it(reporter: Client, world: World) -> None:
    response = reporter.post(edit_url(world.ent_a), form_data(action="more", exports_usd="-5"))
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == len(VALID_LINES) + 6
    assert 'name="exports_usd" value="-5"' in html(response)
    assert 'value="8471"' in html(response)
    assert not Report.objects.exists()
    assert not ReportDraft.objects.exists()


# --- Two edits at once -----------------------------------------------------------------------


def test_a_submission_that_crossed_another_is_refused_and_can_then_replace_it(reporter: Client, world: World) -> None:
    opened = reporter.get(edit_url(world.ent_a))
    assert opened.context["form"].initial["base_version"] == 0
    submit(world.ent_a, "2020-03", by=world.town_officer)  # lands while the reporter is typing

    response = reporter.post(edit_url(world.ent_a), form_data(base_version=0, exports_usd="4,321,000"))
    assert response.status_code == 400
    assert Report.objects.filter(enterprise=world.ent_a, period="2020-03").count() == 1
    page = html(response)
    with translation.override("zh-hans"):
        conflict = escape(
            translation.gettext(
                "Someone else submitted this report (version %(version)s) after you opened it. "
                "Their figures are shown below; your typed figures are kept. Check both, then submit "
                "again to replace theirs."
            )
            % {"version": 1}
        )
    assert conflict in page
    assert response.context["conflict"].version == 1
    assert 'name="exports_usd" value="4,321,000"' in page
    assert 'name="base_version" value="1"' in page

    retry = reporter.post(edit_url(world.ent_a), form_data(base_version=1, exports_usd="4,321,000"))
    assert retry.status_code == 302
    current = Report.objects.get(enterprise=world.ent_a, period="2020-03", is_current=True)
    assert (current.version, current.exports_usd, current.submitted_by) == (2, Decimal("4321000.00"), world.reporter)


# --- Disruptions and needs -------------------------------------------------------------------

DISRUPTION = {
    "date": "2020-04-10",
    "kind": "order_cancelled",
    "amount_usd": "250,000",
    "market": "US",
    "hs": "84",
    "note": "客户取消订单",
}
NEED = {
    "date": "2020-04-10",
    "category": "financing",
    "urgency": "high",
    "amount_usd": "500000",
    "description": "需要流动资金贷款",
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_event_forms_open_with_today_in_the_date_pickers_format(
    reporter: Client, world: World, language: str
) -> None:
    for url in (f"/report/{world.ent_a.uscc}/disruptions/new/", f"/report/{world.ent_a.uscc}/needs/new/"):
        response = reporter.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        assert 'type="date" name="date" value="2020-04-15"' in html(response)


def test_a_disruption_is_recorded(reporter: Client, world: World) -> None:
    response = reporter.post(f"/report/{world.ent_a.uscc}/disruptions/new/", DISRUPTION)
    assert response.status_code == 302
    assert response["Location"] == "/report/"
    event = Disruption.objects.get()
    assert (event.enterprise, event.kind, event.amount_usd, event.market_id, event.hs) == (
        world.ent_a,
        "order_cancelled",
        Decimal("250000.00"),
        "US",
        "84",
    )
    assert event.created_by == world.reporter


def test_the_same_disruption_posted_twice_is_recorded_once(reporter: Client, world: World) -> None:
    reporter.post(f"/report/{world.ent_a.uscc}/disruptions/new/", DISRUPTION)
    reporter.post(f"/report/{world.ent_a.uscc}/disruptions/new/", DISRUPTION)
    assert Disruption.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "code", "params"),
    [
        ({"date": "2020-05-01"}, "date", "future_date", {"value": "2020-05-01", "today": "2020-04-15"}),
        ({"amount_usd": "-1"}, "amount_usd", "negative", {}),
        ({"hs": "9901"}, "hs", "unknown_hs", {"value": "9901"}),
        ({"amount_usd": "lots"}, "amount_usd", "not_a_number", {"value": "lots"}),
    ],
)
def test_a_bad_disruption_is_refused_with_the_reason_and_the_input_kept(
    reporter: Client, world: World, changes: dict[str, str], field: str, code: str, params: dict[str, str]
) -> None:
    response = reporter.post(f"/report/{world.ent_a.uscc}/disruptions/new/", {**DISRUPTION, **changes})
    assert response.status_code == 400
    assert not Disruption.objects.exists()
    assert response.context["form"].errors[field]
    page = html(response)
    assert message(code, field, **params) in page
    for value in changes.values():
        assert f'value="{value}"' in page
    assert "客户取消订单" in page


def test_a_disruption_of_an_unknown_kind_is_refused(reporter: Client, world: World) -> None:
    response = reporter.post(f"/report/{world.ent_a.uscc}/disruptions/new/", {**DISRUPTION, "kind": "fire"})
    assert response.status_code == 400
    assert response.context["form"].errors["kind"]
    assert not Disruption.objects.exists()


def test_a_need_is_recorded(reporter: Client, world: World) -> None:
    response = reporter.post(f"/report/{world.ent_a.uscc}/needs/new/", NEED)
    assert response.status_code == 302
    need = Need.objects.get()
    assert (need.enterprise, need.category, need.urgency, need.amount_usd) == (
        world.ent_a,
        "financing",
        "high",
        Decimal("500000.00"),
    )


def test_a_need_without_a_description_is_refused(reporter: Client, world: World) -> None:
    response = reporter.post(f"/report/{world.ent_a.uscc}/needs/new/", {**NEED, "description": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["description"]
    assert not Need.objects.exists()
    assert 'value="500000"' in html(response)


def test_a_need_with_a_bad_amount_is_refused_with_the_input_kept(reporter: Client, world: World) -> None:
    response = reporter.post(f"/report/{world.ent_a.uscc}/needs/new/", {**NEED, "amount_usd": "5万"})
    assert response.status_code == 400
    assert not Need.objects.exists()
    page = html(response)
    assert message("not_a_number", "amount_usd", value="5万") in page
    assert 'value="5万"' in page
    assert "需要流动资金贷款" in page


def test_a_town_officer_records_a_need_and_returns_to_the_enterprise_page(client: Client, world: World) -> None:
    client.force_login(world.town_officer)
    response = client.post(f"/report/{world.ent_b.uscc}/needs/new/", NEED)
    assert response.status_code == 302
    assert response["Location"] == f"/bureau/enterprises/{world.ent_b.uscc}/"
    assert Need.objects.get().enterprise == world.ent_b


# --- Who may open which page -----------------------------------------------------------------

URL_KINDS = ("edit", "detail", "disruption_new", "need_new")


def reporting_url(kind: str, enterprise: Any) -> str:
    return {
        "edit": edit_url(enterprise),
        "detail": detail_url(enterprise),
        "disruption_new": f"/report/{enterprise.uscc}/disruptions/new/",
        "need_new": f"/report/{enterprise.uscc}/needs/new/",
    }[kind]


@pytest.fixture
def reported(world: World) -> World:
    """Every enterprise has a March report, so a 404 on the detail page means 'not yours', not 'not there'."""
    for enterprise in (world.ent_a, world.ent_b, world.ent_c, world.ent_far):
        submit(enterprise, "2020-03")
    return world


REFUSED = [
    ("reporter", "ent_b"),
    ("reporter", "ent_c"),
    ("reporter", "ent_far"),
    ("other_reporter", "ent_a"),
    ("town_officer", "ent_c"),
    ("town_officer", "ent_far"),
    ("handler", "ent_a"),
    ("analyst", "ent_far"),
    ("leader", "ent_far"),
    ("outsider", "ent_a"),
    ("outsider", "ent_c"),
]


@pytest.mark.parametrize("kind", URL_KINDS)
@pytest.mark.parametrize(("persona", "target"), REFUSED)
def test_another_enterprises_reporting_pages_are_404(
    client: Client, reported: World, persona: str, target: str, kind: str
) -> None:
    client.force_login(getattr(reported, persona))
    enterprise = getattr(reported, target)
    url = reporting_url(kind, enterprise)
    before = (Report.objects.count(), Disruption.objects.count(), Need.objects.count(), ReportDraft.objects.count())
    get = client.get(url)
    post = client.post(url, {**form_data(base_version=1), **DISRUPTION, **NEED})
    assert (get.status_code, post.status_code) == (404, 404)
    assert enterprise.name not in html(get)
    after = (Report.objects.count(), Disruption.objects.count(), Need.objects.count(), ReportDraft.objects.count())
    assert after == before


@pytest.mark.parametrize("kind", ["edit", "disruption_new", "need_new"])
def test_a_leader_may_not_write_for_an_enterprise_of_the_district(client: Client, reported: World, kind: str) -> None:
    client.force_login(reported.leader)
    url = reporting_url(kind, reported.ent_a)
    assert client.get(url).status_code == 404
    assert client.post(url, {**form_data(base_version=1), **DISRUPTION, **NEED}).status_code == 404
    assert Report.objects.filter(enterprise=reported.ent_a).count() == 1


@pytest.mark.parametrize("persona", ["leader", "analyst", "town_officer"])
def test_bureau_personas_may_read_a_report_of_their_scope(client: Client, reported: World, persona: str) -> None:
    client.force_login(getattr(reported, persona))
    response = client.get(detail_url(reported.ent_a))
    assert response.status_code == 200
    assert response.context["can_edit"] is (persona != "leader")


@pytest.mark.parametrize("kind", URL_KINDS)
def test_a_reporter_may_open_every_page_of_the_own_enterprise(reporter: Client, reported: World, kind: str) -> None:
    assert reporter.get(reporting_url(kind, reported.ent_a)).status_code == 200


def test_the_detail_of_a_period_not_reported_is_404(reporter: Client, world: World) -> None:
    assert reporter.get(detail_url(world.ent_a, "2020-01")).status_code == 404


@pytest.mark.parametrize("persona", ["town_officer", "analyst", "leader", "handler", "outsider", "admin"])
def test_the_reporters_start_page_is_404_for_everyone_else(client: Client, world: World, persona: str) -> None:
    client.force_login(getattr(world, persona))
    assert client.get("/report/").status_code == 404


@pytest.mark.parametrize("kind", ["mine", *URL_KINDS])
def test_anonymous_users_are_sent_to_log_in(client: Client, reported: World, kind: str) -> None:
    url = "/report/" if kind == "mine" else reporting_url(kind, reported.ent_a)
    for response in (client.get(url), client.post(url, form_data(base_version=1))):
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    assert Report.objects.count() == 4


# --- CSRF and language -----------------------------------------------------------------------


def test_a_post_without_a_csrf_token_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.reporter)
    response = client.post(edit_url(world.ent_a), form_data())
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_a_post_with_the_csrf_token_from_the_form_is_accepted(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.reporter)
    client.get(edit_url(world.ent_a))
    token = client.cookies["csrftoken"].value
    response = client.post(edit_url(world.ent_a), {**form_data(), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Report.objects.count() == 1


def test_the_pages_are_in_chinese_by_default(reporter: Client, world: World) -> None:
    page = html(reporter.get(edit_url(world.ent_a)))
    assert '<html lang="zh-hans">' in page
    assert "当月出口额（美元）" in page
    assert "Exports shipped this month (USD)" not in page


def test_the_form_is_labelled_in_english_for_an_english_browser(reporter: Client, world: World) -> None:
    page = html(reporter.get(edit_url(world.ent_a), HTTP_ACCEPT_LANGUAGE="en"))
    assert '<html lang="en">' in page
    assert "Exports shipped this month (USD)" in page
    assert "Submit report" in page
    assert "当月出口额" not in page


def test_the_form_explains_errors_in_english_for_an_english_browser(reporter: Client, world: World) -> None:
    refused = reporter.post(edit_url(world.ent_a), form_data(exports_usd="-5"), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert message("negative", "exports_usd", language="en") in html(refused)


def test_the_form_accepts_a_report_in_english(reporter: Client, world: World) -> None:
    accepted = reporter.post(edit_url(world.ent_a), form_data(), HTTP_ACCEPT_LANGUAGE="en")
    assert accepted.status_code == 302
    assert Report.objects.count() == 1


def test_the_language_chosen_in_the_menu_sticks(reporter: Client, world: World) -> None:
    response = reporter.post("/i18n/setlang/", {"language": "en", "next": edit_url(world.ent_a)})
    assert response.status_code == 302
    assert '<html lang="en">' in html(reporter.get(edit_url(world.ent_a)))
