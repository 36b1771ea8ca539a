"""Writes for reporting: versioned reports, drafts, and idempotent disruption and need filings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from exportwatch.common.models import AuditEvent
from exportwatch.core.records import DisruptionIn, NeedIn
from exportwatch.reporting import selectors
from exportwatch.reporting.models import Disruption, Need, Report, ReportDraft, ReportLine, Source
from exportwatch.reporting.services import (
    ReportConflict,
    disruption_file,
    need_file,
    report_draft_save,
    report_submit,
)
from tests.conftest import World
from tests.reporting.factories import line_in, report_in, submit


def _counts() -> tuple[int, int, int]:
    return Report.objects.count(), ReportLine.objects.count(), AuditEvent.objects.count()


def test_a_first_submission_stores_version_1_with_its_lines(world: World) -> None:
    lines = [line_in(world.ent_a, market="US", hs="84"), line_in(world.ent_a, market="DE", hs="8471")]
    result = submit(world.ent_a, by=world.reporter, lines=lines)
    report = result.report
    assert result.created
    assert (report.version, report.is_current, report.period) == (1, True, "2020-03")
    assert report.exports_usd == Decimal("1000000.00")
    assert report.submitted_by == world.reporter
    assert report.source == Source.WEB
    assert sorted((ln.market_id, ln.hs) for ln in report.lines.all()) == [("DE", "8471"), ("US", "84")]


def test_a_submission_is_stamped_with_the_clock_of_the_configured_day(world: World) -> None:
    report = submit(world.ent_a, on=dt.date(2020, 4, 3)).report
    assert timezone.localtime(report.submitted_at).date() == dt.date(2020, 4, 3)


def test_a_submission_writes_an_audit_event(world: World) -> None:
    submit(world.ent_a, by=world.reporter)
    event = AuditEvent.objects.get()
    assert event.action == "report.submit"
    assert event.actor == world.reporter
    assert event.object_key == f"{world.ent_a.uscc}/2020-03"
    assert event.old is None
    assert event.new["version"] == 1
    assert event.new["lines"] == 1
    assert event.new["exports_usd"] == "1000000.00"


def test_resubmitting_makes_version_2_and_keeps_version_1(world: World) -> None:
    submit(world.ent_a, by=world.reporter)
    result = submit(world.ent_a, by=world.reporter, exports_usd=Decimal("1200000.00"))
    assert result.created
    v1, v2 = Report.objects.filter(enterprise=world.ent_a, period="2020-03").order_by("version")
    assert (v1.version, v1.is_current, v1.exports_usd) == (1, False, Decimal("1000000.00"))
    assert (v2.version, v2.is_current, v2.exports_usd) == (2, True, Decimal("1200000.00"))
    assert v1.lines.count() == 1
    assert v2.lines.count() == 1
    assert selectors.report_current(enterprise=world.ent_a, period="2020-03") == v2


def test_a_resubmission_is_audited_with_the_old_and_new_values(world: World) -> None:
    submit(world.ent_a, by=world.reporter)
    submit(world.ent_a, by=world.reporter, exports_usd=Decimal("1200000.00"))
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert event.action == "report.resubmit"
    assert event.old["version"] == 1
    assert event.old["exports_usd"] == "1000000.00"
    assert event.new["version"] == 2
    assert event.new["exports_usd"] == "1200000.00"


def test_changing_only_a_line_makes_a_new_version(world: World) -> None:
    submit(world.ent_a)
    result = submit(world.ent_a, lines=[line_in(world.ent_a, market="JP")])
    assert result.created
    assert result.report.version == 2


def test_an_identical_submission_writes_nothing(world: World) -> None:
    first = submit(world.ent_a, by=world.reporter)
    before = _counts()
    again = submit(world.ent_a, by=world.reporter)
    assert again.created is False
    assert again.report.pk == first.report.pk
    assert _counts() == before


def test_an_identical_submission_with_lines_in_another_order_writes_nothing(world: World) -> None:
    us, de = line_in(world.ent_a, market="US"), line_in(world.ent_a, market="DE")
    submit(world.ent_a, lines=[us, de])
    before = _counts()
    assert submit(world.ent_a, lines=[de, us]).created is False
    assert _counts() == before


def test_a_stale_base_version_raises_a_conflict_and_writes_nothing(world: World) -> None:
    submit(world.ent_a, by=world.other_reporter)
    before = _counts()
    with pytest.raises(ReportConflict) as caught:
        submit(world.ent_a, by=world.reporter, base_version=0, exports_usd=Decimal("5"))
    assert caught.value.current is not None
    assert caught.value.current.version == 1
    assert _counts() == before


def test_a_base_version_for_a_report_that_does_not_exist_is_a_conflict(world: World) -> None:
    with pytest.raises(ReportConflict) as caught:
        submit(world.ent_a, base_version=1)
    assert caught.value.current is None
    assert Report.objects.count() == 0


def test_the_matching_base_version_is_accepted(world: World) -> None:
    submit(world.ent_a)
    assert submit(world.ent_a, base_version=1, exports_usd=Decimal("5")).report.version == 2


def test_a_submission_removes_the_draft_of_its_period(world: World) -> None:
    report_draft_save(
        enterprise=world.ent_a, period="2020-03", data={"report": {}}, base_version=0, user=world.reporter
    )
    report_draft_save(
        enterprise=world.ent_a, period="2020-02", data={"report": {}}, base_version=0, user=world.reporter
    )
    submit(world.ent_a, by=world.reporter)
    assert list(ReportDraft.objects.values_list("period", flat=True)) == ["2020-02"]


def test_the_database_refuses_two_current_versions_of_a_period(world: World) -> None:
    report = submit(world.ent_a).report
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(
            enterprise=world.ent_a,
            period="2020-03",
            version=2,
            is_current=True,
            exports_usd=0,
            new_orders_usd=0,
            backlog_usd=0,
            backlog_due_3m_usd=0,
            new_orders_trend="same",
            outlook_3m="same",
            source=Source.WEB,
            submitted_at=report.submitted_at,
        )


def test_the_database_refuses_a_repeated_version_number(world: World) -> None:
    report = submit(world.ent_a).report
    Report.objects.filter(pk=report.pk).update(is_current=False)
    report.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        report.save()


def test_the_database_refuses_a_due_part_larger_than_the_backlog(world: World) -> None:
    report = submit(world.ent_a).report
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.filter(pk=report.pk).update(backlog_due_3m_usd=report.backlog_usd + 1)


def test_the_service_refuses_a_due_part_larger_than_the_backlog_even_without_the_form(world: World) -> None:
    bad = report_in(world.ent_a, backlog_usd=Decimal("10"), backlog_due_3m_usd=Decimal("11"))
    with pytest.raises(IntegrityError):
        report_submit(enterprise=world.ent_a, data=bad, lines=[], submitted_by=None, source=Source.API)
    assert Report.objects.count() == 0


def test_a_draft_is_saved_and_read_back(world: World) -> None:
    data = {"report": {"exports_usd": "-5", "backlog_usd": "abc"}, "lines": [{"market": "US", "hs": "99x"}]}
    report_draft_save(enterprise=world.ent_a, period="2020-03", data=data, base_version=0, user=world.reporter)
    draft = selectors.report_draft(enterprise=world.ent_a, period="2020-03")
    assert draft is not None
    assert draft.data == data
    assert draft.updated_by == world.reporter


def test_saving_a_draft_again_replaces_it(world: World) -> None:
    for value in ("1", "2"):
        report_draft_save(
            enterprise=world.ent_a,
            period="2020-03",
            data={"report": {"exports_usd": value}},
            base_version=0,
            user=world.reporter,
        )
    draft = ReportDraft.objects.get()
    assert draft.data == {"report": {"exports_usd": "2"}}


def _disruption(world: World, **overrides: object) -> DisruptionIn:
    values: dict[str, object] = {
        "uscc": world.ent_a.uscc,
        "date": dt.date(2020, 4, 10),
        "kind": "order_cancelled",
        "amount_usd": Decimal("250000"),
        "market": "US",
        "hs": "84",
        "note": "客户取消订单",
    }
    values.update(overrides)
    return DisruptionIn(**values)  # type: ignore[arg-type]


def _need(world: World, **overrides: object) -> NeedIn:
    values: dict[str, object] = {
        "uscc": world.ent_a.uscc,
        "date": dt.date(2020, 4, 10),
        "category": "financing",
        "amount_usd": Decimal("500000"),
        "urgency": "high",
        "description": "需要流动资金贷款",
    }
    values.update(overrides)
    return NeedIn(**values)  # type: ignore[arg-type]


def test_filing_a_disruption_records_it_with_an_audit_event(world: World) -> None:
    result = disruption_file(
        enterprise=world.ent_a, data=_disruption(world), created_by=world.reporter, source=Source.WEB
    )
    assert result.created
    event = Disruption.objects.get()
    assert (event.kind, event.market_id, event.amount_usd) == ("order_cancelled", "US", Decimal("250000.00"))
    assert AuditEvent.objects.filter(action="disruption.file", object_key=str(event.pk)).exists()


def test_filing_the_same_disruption_twice_adds_nothing(world: World) -> None:
    first = disruption_file(
        enterprise=world.ent_a, data=_disruption(world), created_by=world.reporter, source=Source.WEB
    )
    again = disruption_file(enterprise=world.ent_a, data=_disruption(world), created_by=None, source=Source.CSV)
    assert again.created is False
    assert again.obj.pk == first.obj.pk
    assert Disruption.objects.count() == 1
    assert AuditEvent.objects.count() == 1


def test_a_disruption_differing_in_one_value_is_a_new_record(world: World) -> None:
    disruption_file(enterprise=world.ent_a, data=_disruption(world), created_by=None, source=Source.WEB)
    disruption_file(
        enterprise=world.ent_a, data=_disruption(world, amount_usd=Decimal("1")), created_by=None, source=Source.WEB
    )
    assert Disruption.objects.count() == 2


def test_filing_a_need_records_it_with_an_audit_event(world: World) -> None:
    result = need_file(enterprise=world.ent_a, data=_need(world), created_by=world.reporter, source=Source.WEB)
    assert result.created
    need = Need.objects.get()
    assert (need.category, need.urgency, need.description) == ("financing", "high", "需要流动资金贷款")
    assert AuditEvent.objects.filter(action="need.file").count() == 1


def test_filing_the_same_need_twice_adds_nothing(world: World) -> None:
    first = need_file(enterprise=world.ent_a, data=_need(world), created_by=world.reporter, source=Source.WEB)
    again = need_file(enterprise=world.ent_a, data=_need(world), created_by=world.reporter, source=Source.API)
    assert again.created is False
    assert again.obj.pk == first.obj.pk
    assert Need.objects.count() == 1


def test_the_same_need_of_two_enterprises_is_two_records(world: World) -> None:
    need_file(enterprise=world.ent_a, data=_need(world), created_by=None, source=Source.WEB)
    need_file(enterprise=world.ent_c, data=_need(world, uscc=world.ent_c.uscc), created_by=None, source=Source.WEB)
    assert Need.objects.count() == 2


def test_a_submission_keeps_its_market_mix_on_the_report(world: World) -> None:
    lines = [
        line_in(world.ent_a, market="US", hs="84", exports_usd=Decimal(600)),
        line_in(world.ent_a, market="DE", hs="8471", exports_usd=Decimal(200)),
        line_in(world.ent_a, market="US", hs="8471", exports_usd=Decimal(200)),
    ]
    report = submit(world.ent_a, by=world.reporter, lines=lines).report
    report.refresh_from_db()
    assert report.main_market == "US"
    assert report.market_hhi == pytest.approx(0.8**2 + 0.2**2)
