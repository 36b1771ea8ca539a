"""What the brief says about the hand-built month: the numbers, and the sentences that state them."""

from __future__ import annotations

import datetime as dt

import pytest

from exportwatch.briefs.selectors import BriefContent, Section, brief_content
from tests.conftest import World

NOW = dt.datetime(2020, 4, 15, 10, 0, tzinfo=dt.UTC)


def _section(content: BriefContent, heading: str) -> Section:
    return next(s for s in content.sections if s.heading.endswith(heading))


@pytest.fixture
def monthly(month: World) -> BriefContent:
    return brief_content(period="2020-03", kind="monthly", now=NOW)


def test_the_headline_numbers_are_the_months_sums_and_their_change(monthly: BriefContent) -> None:
    h = monthly.headline
    assert (h["enterprises"], h["exports"], h["new_orders"], h["backlog"]) == (3, 1500.0, 1400.0, 5600.0)
    assert h["exports_growth"] == 0.0
    assert h["new_orders_growth"] == pytest.approx(1400 / 2400 - 1)
    assert h["backlog_growth"] == pytest.approx(-0.2)
    assert _section(monthly, "总体情况").paragraphs[0] == (
        "2020年3月，全区3家监测企业填报出口0.15万美元，同比基本持平；"
        "新接订单0.14万美元，同比下降41.7%；在手订单0.56万美元，同比下降20.0%。"
    )


def test_the_monthly_brief_has_every_section_numbered_in_order(monthly: BriefContent) -> None:
    assert [s.heading for s in monthly.sections] == [
        "一、总体情况",
        "二、分市场情况",
        "三、分产品情况",
        "四、分行业情况",
        "五、分镇街情况",
        "六、企业面临的主要困难",
        "七、预警情况",
        "八、问题清单办理情况",
        "九、白名单融资进展",
        "十、出口预测与目标缺口",
        "十一、建议走访企业",
    ]
    assert monthly.title == "2020年3月外贸形势监测分析（月报）"


def test_the_market_that_fell_most_is_named_with_its_fall(monthly: BriefContent) -> None:
    markets = _section(monthly, "分市场情况")
    assert markets.paragraphs == [
        "分市场看，美国规模最大，出口0.11万美元，占73.3%，同比下降15.4%。",
        "降幅最大的是美国，出口0.11万美元，同比下降15.4%，减少0.02万美元。",
        "增幅最大的是德国，同比增长50.0%。",
    ]
    assert markets.tables[0].rows[0] == ["美国", "0.1", "73.3%", "-15.4%", "0.1", "-68.4%"]
    assert markets.charts[0].labels == ["美国", "德国", "日本"]


def test_the_towns_are_broken_down(monthly: BriefContent) -> None:
    towns = _section(monthly, "分镇街情况")
    assert [r[0] for r in towns.tables[0].rows] == ["锦屏街道", "溪口镇"]
    assert [r[2] for r in towns.tables[0].rows] == ["66.7%", "33.3%"]


def test_the_difficulties_count_the_falling_enterprises_and_markets_and_the_need(monthly: BriefContent) -> None:
    assert _section(monthly, "企业面临的主要困难").paragraphs == [
        "订单受阻：本期无企业报告订单受阻。",
        "订单下滑：可比的2家企业中，2家新接订单同比下降20%以上，占100.0%。",
        "外部风险：1个市场新接订单同比下降30%以上，依次为美国（-68.4%）；对这些市场的出口0.11万美元，占出口的73.3%。",
        "资金困难：1家企业提出资金需求，金额5.00万美元。",
    ]


def test_only_the_warnings_at_orange_and_above_are_listed_red_first(monthly: BriefContent, month: World) -> None:
    warnings = _section(monthly, "预警情况")
    assert warnings.paragraphs == ["本期橙色及以上预警2条，其中红色1条、橙色1条，涉及宁波甲气动有限公司、美国。"]
    assert [row[:3] for row in warnings.tables[0].rows] == [
        ["红色", "企业", month.ent_a.name],
        ["橙色", "市场", "美国"],
    ]


def test_the_problem_list_counts_the_case_filed_in_the_month(monthly: BriefContent) -> None:
    assert _section(monthly, "问题清单办理情况").paragraphs[0].startswith("本期问题清单新增诉求1件，已办结0件")


def test_the_enterprises_to_visit_are_the_red_ones_and_those_with_an_open_urgent_need(
    monthly: BriefContent, month: World
) -> None:
    visits = _section(monthly, "建议走访企业")
    assert visits.paragraphs == ["建议重点走访2家企业：1家处于红色预警，1家有紧急诉求未办结。"]
    assert visits.tables[0].rows == [
        [month.ent_a.name, "锦屏街道", "红色预警"],
        [month.ent_c.name, "溪口镇", "紧急诉求：急需流动资金"],
    ]


def test_without_a_forecast_the_brief_says_the_gap_cannot_be_measured(monthly: BriefContent) -> None:
    assert _section(monthly, "出口预测与目标缺口").paragraphs == ["暂无本年度的出口预测或目标，无法测算目标缺口。"]


def test_the_weekly_brief_quotes_the_headline_of_the_month_it_is_given(month: World) -> None:
    weekly = brief_content(period="2020-02", kind="weekly", week_ending=dt.date(2020, 4, 15), now=NOW)
    assert weekly.title == "2020年4月9日至4月15日外贸形势监测分析（周报）"
    assert weekly.period == "2020-02"
    assert weekly.headline["exports"] == 600.0
    assert [s.heading for s in weekly.sections][5] == "六、2020年2月总体情况"


def test_a_monthly_brief_needs_its_month(month: World) -> None:
    with pytest.raises(ValueError):
        brief_content(period=None, kind="monthly")


def test_a_town_officers_brief_holds_only_their_town(month: World) -> None:
    content = brief_content(period="2020-03", kind="monthly", reader=month.town_officer, now=NOW)
    assert content.headline["enterprises"] == 2
    assert content.headline["exports"] == 1000.0
    assert "出口预测与目标缺口" not in [s.heading.split("、")[1] for s in content.sections]
    warnings = _section(content, "预警情况")
    assert [row[2] for row in warnings.tables[0].rows] == [month.ent_a.name]  # not the market's


def test_an_unknown_kind_or_period_is_refused(month: World) -> None:
    with pytest.raises(ValueError):
        brief_content(period="2020-03", kind="daily")
    with pytest.raises(ValueError):
        brief_content(period="2020-13", kind="monthly")
