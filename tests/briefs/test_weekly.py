"""The weekly brief: what happened in the seven days ending on a day, on a hand-built week with records just
inside and just outside its edges (the week ending 2020-04-15 runs from 2020-04-09 00:00 to 2020-04-16 00:00,
Beijing time)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from django.core.management import call_command

from exportwatch.briefs.documents import brief_docx
from exportwatch.briefs.selectors import BriefContent, Section, brief_content, week_of
from exportwatch.cases.models import Case
from exportwatch.common import clock
from exportwatch.core.records import NeedIn
from exportwatch.directory.models import Department, Enterprise, Market
from exportwatch.finance.models import Outcome, Referral, WhitelistEntry
from exportwatch.finance.services import entry_decide, referral_create, whitelist_refresh
from exportwatch.reporting.models import Disruption, Report, Source
from exportwatch.reporting.services import need_file
from exportwatch.warnings.models import Warning
from tests.conftest import World

CST = dt.timezone(dt.timedelta(hours=8))
WEEK_END = dt.date(2020, 4, 15)
FIRST = dt.datetime(2020, 4, 9, 0, 0, tzinfo=CST)  # the week's first instant
AFTER = dt.datetime(2020, 4, 16, 0, 0, tzinfo=CST)  # the first instant after it
JUST_BEFORE = FIRST - dt.timedelta(seconds=1)
LAST = AFTER - dt.timedelta(seconds=1)
MID = dt.datetime(2020, 4, 12, 10, 0, tzinfo=CST)


def _section(content: BriefContent, heading: str) -> Section:
    return next(s for s in content.sections if s.heading.endswith(heading))


def _disruption(ent: Enterprise, at: dt.datetime, kind: str, market: str, amount: int, n: int) -> None:
    Disruption.objects.create(
        enterprise=ent,
        date=at.date(),
        amount_usd=Decimal(amount),
        source=Source.WEB,
        created_at=at,
        kind=kind,
        market=Market.objects.get(code=market),
        fingerprint=f"weekly-{n}",
    )


def _warning(key: str, name: str, level: str, *, period: str, first: str, at: dt.datetime) -> None:
    Warning.objects.create(
        period=period,
        scope="market",
        key=key,
        name=name,
        rule="exports_yoy",
        level=level,
        value=-0.5,
        threshold=-0.3,
        first_period=first,
        evaluated_at=at,
    )


@pytest.fixture
def week(month: World) -> World:
    """The month's book and warnings, and the week:

    - reports: ent_a's March report at the week's first instant and ent_c's at its last (in); ent_b's March
      report at the first instant after (out); every other version long before;
    - disruptions: an order cancelled for the US (30 000) at the first instant and a delayed shipment for Japan
      (10 000) mid-week (in); goods held at port one second before and at the first instant after (out);
    - a need filed mid-week (its case with it); the March case ended mid-week and escalated before the week;
    - warnings of 2020-03: ent_a's red re-evaluated at the week's last instant (first fired in March: in); the
      US orange evaluated in March (out); Germany orange, carried over from an orange February (out); Japan
      orange, risen from a yellow February (in);
    - the white list: ent_a referred mid-week and granted 80 000 on the week's last day (in); ent_b referred one
      second before the week (out) and granted on the day after it (out).
    """
    w = month
    Report.objects.update(submitted_at=dt.datetime(2020, 3, 5, 9, 0, tzinfo=CST))
    Report.objects.filter(period="2020-03", enterprise=w.ent_a).update(submitted_at=FIRST)
    Report.objects.filter(period="2020-03", enterprise=w.ent_c).update(submitted_at=LAST)
    Report.objects.filter(period="2020-03", enterprise=w.ent_b).update(submitted_at=AFTER)

    _disruption(w.ent_a, FIRST, "order_cancelled", "US", 30_000, 1)
    _disruption(w.ent_c, MID, "shipment_delayed", "JP", 10_000, 2)
    _disruption(w.ent_a, JUST_BEFORE, "held_at_port", "DE", 99_000, 3)
    _disruption(w.ent_b, AFTER, "held_at_port", "DE", 99_000, 4)

    march_case = Case.objects.get()
    Case.objects.filter(pk=march_case.pk).update(closed_at=MID, escalated_at=JUST_BEFORE)
    with clock.replaying(MID):
        need_file(
            enterprise=w.ent_b,
            data=NeedIn(
                uscc=w.ent_b.uscc,
                date=MID.date(),
                category="logistics",
                amount_usd=None,
                urgency="normal",
                description="海运舱位紧张",
            ),
            created_by=w.town_officer,
            source=Source.WEB,
        )

    Warning.objects.filter(scope="enterprise", key=w.ent_a.uscc).update(evaluated_at=LAST)
    _warning("DE", "德国", "orange", period="2020-02", first="2020-02", at=dt.datetime(2020, 2, 20, tzinfo=CST))
    _warning("DE", "德国", "orange", period="2020-03", first="2020-02", at=MID)
    _warning("JP", "日本", "yellow", period="2020-02", first="2020-02", at=dt.datetime(2020, 2, 20, tzinfo=CST))
    _warning("JP", "日本", "orange", period="2020-03", first="2020-02", at=MID)

    Enterprise.objects.filter(pk=w.ent_c.pk).update(exports_last_year_usd=Decimal(2_000_000))
    whitelist_refresh()
    bank = Department.objects.get(code="abc")
    for ent, referred_at, granted_on in ((w.ent_a, MID, WEEK_END), (w.ent_b, JUST_BEFORE, AFTER.date())):
        entry = entry_decide(entry=WhitelistEntry.objects.get(enterprise=ent), decision="approved", actor=w.analyst)
        r = referral_create(entry=entry, product="credit_loan", institution=bank, actor=w.analyst)
        Referral.objects.filter(pk=r.pk).update(
            referred_at=referred_at, outcome=Outcome.GRANTED, granted_usd=Decimal(80_000), granted_on=granted_on
        )
    return w


@pytest.fixture
def weekly(week: World) -> BriefContent:
    return brief_content(period=None, kind="weekly", week_ending=WEEK_END, now=LAST)


def test_the_week_is_the_seven_local_days_ending_on_its_day() -> None:
    w = week_of(WEEK_END)
    assert (w.start, w.end) == (dt.date(2020, 4, 9), WEEK_END)
    assert (w.since, w.until) == (FIRST, AFTER)


def test_the_weekly_brief_is_named_by_its_week_and_quotes_the_latest_reported_month(weekly: BriefContent) -> None:
    assert weekly.title == "2020年4月9日至4月15日外贸形势监测分析（周报）"
    assert weekly.period == "2020-03"
    assert (weekly.headline["week_start"], weekly.headline["week_end"]) == ("2020-04-09", "2020-04-15")
    assert [s.heading for s in weekly.sections] == [
        "一、本周报送情况",
        "二、本周订单受阻事件",
        "三、本周问题清单",
        "四、本周新发预警",
        "五、本周白名单融资",
        "六、2020年3月总体情况",
        "七、建议走访企业",
    ]


def test_the_reports_of_the_week_are_those_submitted_inside_its_edges(week: World, weekly: BriefContent) -> None:
    s = _section(weekly, "本周报送情况")
    a, c = week.ent_a.town.name, week.ent_c.town.name
    assert s.paragraphs == [
        "本周共提交报表2份，涉及2家企业，其中溪口镇1份、锦屏街道1份；截至本周末，2020年3月应报企业3家，已报2家，报送率66.7%。"
    ]
    assert sorted(s.tables[0].rows) == sorted([[a, "1"], [c, "1"]]) == [["溪口镇", "1"], ["锦屏街道", "1"]]


def test_the_disruptions_of_the_week_are_those_filed_inside_its_edges(weekly: BriefContent) -> None:
    assert _section(weekly, "本周订单受阻事件").paragraphs == [
        "本周新增订单受阻事件2起，涉及金额4.00万美元，以延期发货1起、订单取消1起为主；涉及市场主要为日本1起、美国1起。"
    ]


def test_the_problem_list_counts_the_weeks_needs_new_cases_ended_cases_and_breaches(weekly: BriefContent) -> None:
    assert _section(weekly, "本周问题清单").paragraphs == ["本周企业新提诉求1项，问题清单新增1件、办结1件，无超时件。"]


def test_the_weeks_warnings_are_the_new_and_the_risen_evaluated_in_it(week: World, weekly: BriefContent) -> None:
    assert _section(weekly, "本周新发预警").paragraphs == [
        f"本周新发或升级至橙色及以上预警2条，其中红色1条、橙色1条，涉及{week.ent_a.name}、日本。"
    ]


def test_the_white_list_counts_the_referrals_and_grants_dated_in_the_week(weekly: BriefContent) -> None:
    assert _section(weekly, "本周白名单融资").paragraphs == [
        "本周向金融机构推送白名单企业1次，新获融资1笔、金额8.00万美元。"
    ]


def test_the_weekly_docx_opens_with_the_weekly_headings(weekly: BriefContent) -> None:
    document = docx.Document(io.BytesIO(brief_docx(weekly)))
    text = [p.text for p in document.paragraphs]
    assert "2020年4月9日至4月15日外贸形势监测分析（周报）" in text
    for heading in ("一、本周报送情况", "四、本周新发预警", "六、2020年3月总体情况"):
        assert heading in text


def test_the_command_writes_the_weekly_brief_of_the_week_ending_on_a_day(week: World, tmp_path: Path) -> None:
    out = tmp_path / "weekly.docx"
    stdout = io.StringIO()
    call_command("brief", "--kind", "weekly", "--week-ending", "2020-04-15", "-o", str(out), stdout=stdout)
    assert "2020年4月9日至4月15日外贸形势监测分析（周报）" in stdout.getvalue()
    text = [p.text for p in docx.Document(str(out)).paragraphs]
    assert "一、本周报送情况" in text
