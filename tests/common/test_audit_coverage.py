"""Every kind of change to reported figures, rules, cases, the white list and customs figures leaves an audit event
with who, the values before and after, and whose it is (the enterprise's code and its town's path)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from exportwatch.cases.models import Case
from exportwatch.cases.services import (
    calendar_day_remove,
    calendar_day_set,
    case_assign,
    case_merge,
    case_transition,
    routing_defaults_ensure,
    routing_rule_update,
)
from exportwatch.common.models import AuditEvent
from exportwatch.core.records import CustomsExportIn, DisruptionIn, EnterpriseIn
from exportwatch.core.stress import Shock
from exportwatch.core.warning_rules import DEFAULT_RULES
from exportwatch.customs.services import customs_upsert_many
from exportwatch.directory.models import Department, Region
from exportwatch.directory.services import enterprise_upsert
from exportwatch.exchange.services import import_files
from exportwatch.finance.models import WhitelistEntry
from exportwatch.finance.services import entry_decide, referral_create, referral_record_outcome, whitelist_refresh
from exportwatch.forecasting.services import target_set
from exportwatch.reporting.models import Source
from exportwatch.reporting.services import disruption_file
from exportwatch.stress.services import scenario_create
from exportwatch.warnings.adapters import rule_fields
from exportwatch.warnings.models import RuleVersion, Warning
from exportwatch.warnings.services import rule_version_create, warning_transition
from tests.cases.conftest import file_need
from tests.conftest import World
from tests.reporting.factories import submit

DISTRICT_PATH = "330000/330200/330213/"
TOWN_A_PATH = "330000/330200/330213/330213001/"


def last(action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action).order_by("-id").first()
    assert event is not None, f"no {action} event"
    return event


# --- Reported figures ---------------------------------------------------------------------------------------------


def test_a_web_correction_of_a_report_is_audited_with_old_and_new_figures(world: World) -> None:
    submit(world.ent_a, by=world.reporter)
    submit(world.ent_a, by=world.town_officer, exports_usd=Decimal("1200000.00"))

    event = last("report.resubmit")
    assert event.actor == world.town_officer
    assert (event.old["exports_usd"], event.new["exports_usd"]) == ("1000000.00", "1200000.00")
    assert (event.old["version"], event.new["version"]) == (1, 2)
    assert (event.uscc, event.region_path) == (world.ent_a.uscc, TOWN_A_PATH)


def _report_csv(uscc: str, exports: str) -> bytes:
    header = "uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,capacity_utilization_pct,"
    header += "new_orders_trend,outlook_3m\n"
    return (header + f"{uscc},2020-03,{exports},800000,3000000,2000000,75,down,same\n").encode()


def test_an_import_replacing_a_report_is_audited_per_report_and_once_per_file(world: World) -> None:
    submit(world.ent_a, by=world.reporter)

    outcome = import_files([("reports.csv", _report_csv(world.ent_a.uscc, "1500000"))], user=world.analyst)

    assert outcome.committed and outcome.written["reports"] == 1
    event = last("report.resubmit")
    assert event.actor == world.analyst
    assert (event.old["exports_usd"], event.new["exports_usd"]) == ("1000000.00", "1500000.00")
    assert event.new["source"] == "csv"
    assert (event.uscc, event.region_path) == (world.ent_a.uscc, TOWN_A_PATH)
    summary = last("import.files")
    assert summary.actor == world.analyst
    assert summary.old is None
    assert summary.new["files"] == ["reports.csv"] and summary.new["written"] == {"reports": 1}
    assert summary.region_path == DISTRICT_PATH  # the importer's region


def test_a_reimport_of_the_same_file_writes_no_event(world: World) -> None:
    data = _report_csv(world.ent_a.uscc, "1500000")
    import_files([("reports.csv", data)], user=world.analyst)
    before = AuditEvent.objects.count()

    import_files([("reports.csv", data)], user=world.analyst)

    assert AuditEvent.objects.count() == before


def test_a_filed_disruption_is_audited_with_its_values(world: World) -> None:
    data = DisruptionIn(
        uscc=world.ent_a.uscc,
        date=dt.date(2020, 4, 1),
        kind="shipment_delayed",
        amount_usd=Decimal("250000"),
        market="US",
        hs="84",
        note="买方要求延期",
    )
    disruption_file(enterprise=world.ent_a, data=data, created_by=world.reporter, source=Source.WEB)

    event = last("disruption.file")
    assert event.actor == world.reporter
    assert event.old is None and event.new["amount_usd"] == "250000.00"
    assert event.uscc == world.ent_a.uscc


def test_a_registry_change_is_audited_with_old_and_new_values(world: World) -> None:
    e = world.ent_b
    data = EnterpriseIn(
        uscc=e.uscc,
        name="宁波乙服饰集团有限公司",
        customs_code=e.customs_code,
        town=e.town_id,
        industry=e.industry_id,
        exports_last_year_usd=Decimal("800000.00"),
        imports_last_year_usd=Decimal("300000.00"),
        contact_name=e.contact_name,
        contact_phone=e.contact_phone,
        segments=(),
    )
    enterprise_upsert(data=data, actor=world.admin)

    event = last("enterprise.update")
    assert event.actor == world.admin
    assert (event.old["name"], event.new["name"]) == ("宁波乙服饰有限公司", "宁波乙服饰集团有限公司")
    assert (event.uscc, event.region_path) == (e.uscc, TOWN_A_PATH)


def test_a_changed_customs_figure_is_audited_with_old_and_new_values(world: World) -> None:
    row = CustomsExportIn(uscc=world.ent_c.uscc, period="2020-03", market="US", hs="84", exports_usd=Decimal(100))
    customs_upsert_many(rows=[row], user=world.analyst, source_file="a.csv")
    changed = CustomsExportIn(uscc=world.ent_c.uscc, period="2020-03", market="US", hs="84", exports_usd=Decimal(150))

    customs_upsert_many(rows=[changed], user=world.analyst, source_file="b.csv")

    event = last("customs.update")
    assert event.actor == world.analyst
    assert (event.old["exports_usd"], event.new["exports_usd"]) == ("100.00", "150.00")
    assert (event.uscc, event.region_path) == (world.ent_c.uscc, world.ent_c.town.path)
    assert last("customs.load").new["updated"] == 1


# --- Rules and warnings -------------------------------------------------------------------------------------------


def _current_rule(key: str = "new_orders_yoy") -> RuleVersion:
    current = RuleVersion.objects.filter(key=key).order_by("-version").first()
    if current is None:  # a transactional test elsewhere emptied the table the data migration seeded
        rule = next(r for r in DEFAULT_RULES if r.key == key)
        current = RuleVersion.objects.create(
            **rule_fields(rule), version=1, enabled=True, created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        )
    return current


def test_a_rule_change_is_audited_with_old_and_new_thresholds(world: World) -> None:
    current = _current_rule()
    new = {"red": -0.6, "orange": -0.4, "yellow": -0.25}

    row = rule_version_create(current=current, changes={"thresholds": new}, actor=world.analyst, note="calmer")

    event = last("rule.change")
    assert event.actor == world.analyst
    assert event.old["thresholds"] == current.thresholds
    assert event.new["thresholds"] == new
    assert (event.old["version"], event.new["version"]) == (current.version, row.version)
    assert event.region_path == DISTRICT_PATH  # the jurisdiction's


def test_a_warning_status_change_is_audited(world: World) -> None:
    warning = Warning.objects.create(
        period="2020-03",
        scope="enterprise",
        key=world.ent_a.uscc,
        name=world.ent_a.name,
        rule="new_orders_yoy",
        level="red",
        first_period="2020-03",
        evaluated_at=dt.datetime(2020, 4, 10, tzinfo=dt.UTC),
        town=world.ent_a.town_id,
    )

    warning_transition(warning=warning, to="acknowledged", actor=world.town_officer)

    event = last("warning.transition")
    assert event.actor == world.town_officer
    assert (event.old, event.new) == ({"status": "new"}, {"status": "acknowledged"})
    assert (event.uscc, event.region_path) == (world.ent_a.uscc, TOWN_A_PATH)


# --- Cases, routing and calendar ----------------------------------------------------------------------------------


@pytest.fixture
def routed(world: World) -> World:
    routing_defaults_ensure()
    return world


def test_every_case_move_is_audited_with_the_state_before_and_after(routed: World) -> None:
    w = routed
    case = Case.objects.get(need=file_need(w.ent_a, by=w.reporter))
    assert last("case.file").actor == w.reporter

    case_transition(case, "triaged", actor=w.analyst)

    event = last("case.transition")
    assert event.actor == w.analyst
    assert (event.old, event.new) == ({"state": "submitted"}, {"state": "triaged"})
    assert (event.object_key, event.uscc, event.region_path) == (str(case.pk), w.ent_a.uscc, TOWN_A_PATH)


def test_an_assignment_is_audited_with_the_lead_department_before_and_after(routed: World) -> None:
    w = routed
    case = Case.objects.get(need=file_need(w.ent_a, by=w.reporter))
    case_transition(case, "triaged", actor=w.analyst)

    case_assign(case, lead=w.handler.department, actor=w.analyst)

    event = last("case.transition")
    assert event.actor == w.analyst
    assert (event.old["state"], event.new["state"]) == ("triaged", "assigned")
    assert (event.old["lead"], event.new["lead"]) == ("", w.handler.department.code)


def test_a_merge_is_audited_on_the_duplicate(routed: World) -> None:
    w = routed
    first = Case.objects.get(need=file_need(w.ent_a, by=w.reporter))
    second = Case.objects.get(need=file_need(w.ent_a, by=w.town_officer, description="流动资金紧张，需贷款"))
    case_transition(first, "triaged", actor=w.analyst)
    case_transition(second, "triaged", actor=w.analyst)

    case_merge(second, first, actor=w.analyst, note="同一诉求")

    event = last("case.merge")
    assert event.actor == w.analyst
    assert (event.old, event.new) == ({"state": "triaged"}, {"state": "merged", "primary": first.pk})


def test_a_routing_change_is_audited_with_old_and_new_values(routed: World) -> None:
    w = routed
    other = Department.objects.exclude(code=w.handler.department.code).order_by("code").first()
    assert other is not None

    routing_rule_update(category="financing", lead=other, first_response_days=3, resolution_days=20, actor=w.analyst)

    event = last("routing.change")
    assert event.actor == w.analyst
    assert event.new["lead"] == other.code and event.new["first_response_days"] == 3
    assert event.old is not None and event.old != event.new
    assert event.region_path == DISTRICT_PATH


def test_calendar_days_set_and_removed_are_audited(routed: World) -> None:
    w = routed
    calendar_day_set(date=dt.date(2027, 2, 5), kind="holiday", note="春节", actor=w.analyst)
    calendar_day_set(date=dt.date(2027, 2, 5), kind="ordinary", actor=w.analyst)
    calendar_day_remove(date=dt.date(2027, 2, 5), actor=w.admin)

    changed = last("calendar.set")
    assert (changed.actor, changed.old["kind"], changed.new["kind"]) == (w.analyst, "holiday", "ordinary")
    removed = last("calendar.remove")
    assert (removed.actor, removed.old["kind"], removed.new) == (w.admin, "ordinary", None)


# --- White list ---------------------------------------------------------------------------------------------------


def test_the_white_list_decisions_referrals_and_outcomes_are_audited(world: World) -> None:
    whitelist_refresh(actor=world.analyst)
    added = AuditEvent.objects.get(action="whitelist.add", object_key=world.ent_b.uscc)
    assert (added.old, added.new["eligible"], added.region_path) == (None, True, TOWN_A_PATH)

    entry = WhitelistEntry.objects.get(enterprise=world.ent_b)
    entry_decide(entry=entry, decision="approved", actor=world.analyst)
    decided = last("whitelist.approve")
    assert (decided.actor, decided.old["approval"], decided.new["approval"]) == (world.analyst, "pending", "approved")

    bank = Department.objects.filter(kind="bank").order_by("code").first()
    assert bank is not None
    referral = referral_create(entry=entry, product="credit_loan", institution=bank, actor=world.analyst)
    referred = last("whitelist.refer")
    assert (referred.actor, referred.new["institution"], referred.uscc) == (world.analyst, bank.code, world.ent_b.uscc)

    referral_record_outcome(
        referral=referral, outcome="granted", granted_usd="100000", granted_on=dt.date(2020, 4, 15), actor=world.handler
    )
    referral_record_outcome(
        referral=referral, outcome="granted", granted_usd="120000", granted_on=dt.date(2020, 4, 15), actor=world.handler
    )
    corrected = last("whitelist.outcome")
    assert corrected.actor == world.handler
    assert (corrected.old["granted_usd"], corrected.new["granted_usd"]) == ("100000.00", "120000.00")


# --- Targets, scenarios, quotas -----------------------------------------------------------------------------------


def test_an_export_target_change_is_audited(world: World) -> None:
    target_set(year=2020, amount_usd=Decimal(1_000_000_000), note="", user=world.analyst)
    target_set(year=2020, amount_usd=Decimal(900_000_000), note="下调", user=world.analyst)

    event = last("export_target_set")
    assert event.actor == world.analyst
    assert (Decimal(event.old["amount_usd"]), Decimal(event.new["amount_usd"])) == (
        Decimal(1_000_000_000),
        Decimal(900_000_000),
    )


def test_a_stress_scenario_belongs_to_its_authors_region(world: World) -> None:
    scenario_create(name="美国−30%", shocks=[Shock("market", "US", -0.3, 3)], actor=world.outsider)

    event = last("stress_scenario.create")
    assert event.actor == world.outsider
    assert event.region_path == world.outsider.region.path


def test_a_town_quota_belongs_to_its_town(world: World) -> None:
    from exportwatch.campaign.services import town_quota_set

    town = Region.objects.get(code="330213001")
    town_quota_set(town=town, expected=10, actor=world.analyst)
    town_quota_set(town=town, expected=12, actor=world.analyst)

    event = last("quota.set")
    assert (event.actor, event.old["expected"], event.new["expected"]) == (world.analyst, 10, 12)
    assert event.region_path == TOWN_A_PATH
