"""The problem list's closed loop as its users live it, in a real browser: the enterprise asks for a loan, the
analyst takes it in and dispatches it to the People's Bank, its handler accepts and answers, the enterprise rates
the answer, and the performance page counts it."""

from __future__ import annotations

from typing import Any

import pytest

from exportwatch.accounts.models import Role, User
from exportwatch.cases.models import Case
from exportwatch.cases.services import routing_defaults_ensure
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_financing_need_goes_round_the_loop_and_the_performance_page_counts_it(
    live_server: Any, world_tx: Any, new_page: Any
) -> None:
    w = world_tx
    base = live_server.url
    routing_defaults_ensure()  # the flushed test database lost the table the migration seeded
    banker = User(username="pboc_handler", role=Role.HANDLER, department_id="pboc")
    banker.set_password(w.password)
    banker.save()

    # The enterprise asks for help with financing.
    enterprise = new_page()
    login(enterprise, base, w.reporter.username, w.password)
    enterprise.goto(f"{base}/report/{w.ent_a.uscc}/needs/new/")
    enterprise.select_option('select[name="category"]', "financing")
    enterprise.select_option('select[name="urgency"]', "high")
    enterprise.fill('input[name="amount_usd"]', "800000")
    enterprise.fill('textarea[name="description"]', "订单回款慢，需要流动资金贷款80万美元")
    enterprise.click('form.event-form button[type="submit"]')
    enterprise.wait_for_load_state("networkidle")
    case = Case.objects.get(enterprise=w.ent_a)
    assert (case.state, case.category, case.routed_department_id) == ("submitted", "financing", "pboc")

    # The analyst takes it in and dispatches it to the People's Bank, the routing table's choice.
    analyst = new_page()
    login(analyst, base, w.analyst.username, w.password)
    analyst.goto(f"{base}/cases/")
    row = analyst.locator(f'#triage-table tr[data-case="{case.pk}"]')
    row.locator('[data-action="triage"]').click()
    analyst.wait_for_load_state("networkidle")
    row = analyst.locator(f'#triage-table tr[data-case="{case.pk}"]')
    row.locator('summary[data-action="assign"]').click()
    assert row.locator('select[name="assign-lead"]').input_value() == "pboc"
    row.locator('textarea[name="assign-note"]').fill("请尽快对接甬贸贷")
    row.locator('form[action$="/assign/"] button[type="submit"]').click()
    analyst.wait_for_load_state("networkidle")
    case.refresh_from_db()
    assert (case.state, case.lead_department_id) == ("assigned", "pboc")

    # The bank's handler finds it on the work list, accepts it and answers.
    bank = new_page()
    login(bank, base, banker.username, w.password)
    bank.goto(f"{base}/cases/")
    bank.locator(f'#work-table tr[data-case="{case.pk}"] a').first.click()
    bank.wait_for_load_state("networkidle")
    assert "订单回款慢" in bank.locator("#case-description").inner_text()
    bank.locator('details[data-move="accepted"] summary').click()
    bank.locator('button[data-submit="accepted"]').click()
    bank.wait_for_load_state("networkidle")
    bank.locator('details[data-move="replied"] summary').click()
    bank.fill('textarea[name="replied-note"]', "已安排甬贸贷专项额度，客户经理三日内上门")
    bank.locator('button[data-submit="replied"]').click()
    bank.wait_for_load_state("networkidle")
    case.refresh_from_db()
    assert case.state == "replied"

    # The enterprise reads the answer among its cases and rates it.
    enterprise.goto(f"{base}/cases/mine/")
    enterprise.locator(f'#my-cases tr[data-case="{case.pk}"] a').first.click()
    enterprise.wait_for_load_state("networkidle")
    assert "甬贸贷专项额度" in enterprise.locator("#answer").inner_text()
    enterprise.check('input[name="confirmed-rating"][value="5"]')
    enterprise.fill('textarea[name="confirmed-note"]', "响应很快")
    enterprise.locator('button[data-submit="confirmed"]').click()
    enterprise.wait_for_load_state("networkidle")
    case.refresh_from_db()
    assert (case.state, case.rating) == ("confirmed", 5)
    assert enterprise.locator("[data-rating]").inner_text().startswith("5")

    # The analyst's performance page counts it.
    analyst.goto(f"{base}/cases/performance/")
    totals = analyst.locator("#totals")
    assert totals.locator("[data-filed]").inner_text() == "1"
    assert totals.locator("[data-resolved]").inner_text() == "1"
    assert totals.locator("[data-satisfaction]").inner_text() == "5.00"
    pboc = analyst.locator('#by-department tr[data-key="pboc"]')
    assert pboc.locator("[data-resolved]").inner_text() == "1"
    assert pboc.locator("[data-satisfaction]").inner_text().startswith("5.00")

    # Another enterprise's reporter cannot open the case.
    other = new_page()
    login(other, base, w.other_reporter.username, w.password)
    response = other.goto(f"{base}/cases/{case.pk}/")
    assert response is not None and response.status == 404
