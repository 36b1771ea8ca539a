"""The briefs' wording: each sentence states the finding its numbers show."""

from __future__ import annotations

import datetime as dt

from exportwatch.core.brief import (
    Item,
    brief_title,
    cases_sentence,
    change,
    difficulties_sentences,
    finance_sentence,
    headline_sentence,
    money,
    order_book_sentence,
    outlook_sentence,
    percent,
    structure_sentences,
    target_sentence,
    visits_sentence,
    warnings_sentence,
    week_cases_sentence,
    week_disruptions_sentence,
    week_finance_sentence,
    week_label,
    week_reports_sentence,
    week_warnings_sentence,
    weekly_title,
)


def test_money_is_in_ten_thousands_below_a_hundred_million_and_in_hundred_millions_above() -> None:
    assert money(1_234_500) == "123.45万美元"
    assert money(250_000_000) == "2.50亿美元"


def test_change_says_growth_fall_flat_and_unknown() -> None:
    assert change(0.123) == "同比增长12.3%"
    assert change(-0.04) == "同比下降4.0%"
    assert change(0.0004) == "同比基本持平"
    assert change(0.001) == "同比增长0.1%"
    assert change(None) == "无上年同期数据"
    assert percent(None) == "—"


def test_the_title_names_the_month_and_the_kind() -> None:
    assert brief_title(period="2020-03", kind="monthly") == "2020年3月外贸形势监测分析（月报）"
    assert brief_title(period="2020-03", kind="weekly") == "2020年3月外贸形势监测分析（周报）"


def test_the_headline_states_the_three_figures_and_their_change() -> None:
    text = headline_sentence(
        period="2020-03",
        enterprises=3,
        exports=1_500_000,
        exports_growth=0.0,
        new_orders=1_400_000,
        new_orders_growth=-0.4166,
        backlog=5_600_000,
        backlog_growth=-0.2,
    )
    assert text == (
        "2020年3月，全区3家监测企业填报出口150.00万美元，同比基本持平；"
        "新接订单140.00万美元，同比下降41.7%；在手订单560.00万美元，同比下降20.0%。"
    )


def test_the_headline_says_when_nobody_reported() -> None:
    text = headline_sentence(
        period="2020-03",
        enterprises=0,
        exports=0,
        exports_growth=None,
        new_orders=0,
        new_orders_growth=None,
        backlog=0,
        backlog_growth=None,
    )
    assert text == "2020年3月尚无企业填报，暂无监测数据。"


def test_the_structure_names_the_largest_the_market_that_fell_most_and_by_how_much() -> None:
    items = [Item("美国", 3_000_000, 4_000_000), Item("德国", 1_000_000, 1_250_000), Item("日本", 500_000, 400_000)]
    assert structure_sentences(dimension="市场", items=items) == [
        "分市场看，美国规模最大，出口300.00万美元，占66.7%，同比下降25.0%。",
        "降幅最大的是美国，出口300.00万美元，同比下降25.0%，减少100.00万美元。",
        "增幅最大的是日本，同比增长25.0%。",
    ]


def test_the_structure_leaves_out_a_fall_when_nothing_fell() -> None:
    found = structure_sentences(dimension="行业", items=[Item("机械", 100, 100), Item("纺织", 50, None)])
    assert found == [
        "分行业看，机械规模最大，出口0.01万美元，占66.7%，同比基本持平。",
        "各行业出口与上年同期基本持平。",
    ]


def test_the_structure_does_not_name_a_value_too_small_to_matter() -> None:
    items = [Item("美国", 990, 1000), Item("马耳他", 5, 50)]
    assert (
        structure_sentences(dimension="市场", items=items)[1]
        == "降幅最大的是美国，出口0.10万美元，同比下降1.0%，减少0.00万美元。"
    )


def test_the_structure_says_when_there_is_no_breakdown() -> None:
    assert structure_sentences(dimension="镇街", items=[]) == ["本期无分镇街数据。"]


def test_the_difficulties_give_one_sentence_each_with_the_markets_worst_first() -> None:
    found = difficulties_sentences(
        blocked_amount=200_000,
        blocked_enterprises=2,
        falling_enterprises=1,
        falling_assessed=4,
        falling_markets=[("德国", -0.35), ("美国", -0.6)],
        external_amount=2_500_000,
        external_share=0.625,
        financial_amount=0,
        financial_enterprises=0,
    )
    assert found == [
        "订单受阻：2家企业报告订单受阻，涉及金额20.00万美元。",
        "订单下滑：可比的4家企业中，1家新接订单同比下降20%以上，占25.0%。",
        "外部风险：2个市场新接订单同比下降30%以上，依次为美国（-60.0%）、德国（-35.0%）；"
        "对这些市场的出口250.00万美元，占出口的62.5%。",
        "资金困难：本期无企业提出资金需求。",
    ]


def test_the_warnings_sentence_counts_red_and_orange_and_names_the_subjects() -> None:
    assert warnings_sentence(red=1, orange=2, names=["甲公司", "美国"]) == (
        "本期橙色及以上预警3条，其中红色1条、橙色2条，涉及甲公司、美国。"
    )
    assert warnings_sentence(red=0, orange=0, names=[]) == "本期无橙色及以上预警。"


def test_the_cases_sentence_states_the_resolution_rate_and_the_breaches() -> None:
    text = cases_sentence(filed=4, resolved=3, resolution_rate=0.75, breached=1, mean_rating=4.5)
    assert text == "本期问题清单新增诉求4件，已办结3件，办结率75.0%；超时1件，企业满意度平均4.5分。"


def test_the_finance_sentence_states_the_referrals_and_the_money_granted() -> None:
    text = finance_sentence(eligible=10, approved=8, referrals=5, granted=2, granted_usd=3_000_000, awaiting=3)
    assert (
        text == "白名单符合条件企业10家，已审核通过8家；累计推送金融机构5次，已获融资2笔、金额300.00万美元，待反馈3笔。"
    )


def test_the_target_sentence_states_the_gap_when_the_forecast_falls_short() -> None:
    text = target_sentence(year=2020, target=1e9, year_to_date=2e8, expected=9e8, gap=-0.1, probability=0.2)
    assert text == (
        "2020年出口目标10.00亿美元，1月至今已完成2.00亿美元（20.0%）；"
        "按预测全年出口9.00亿美元，预计低于目标10.0%，缺口1.00亿美元，完成目标的概率约20.0%。"
    )


def test_the_visits_sentence_gives_the_reasons() -> None:
    assert (
        visits_sentence(enterprises=3, red=2, urgent=1) == "建议重点走访3家企业：2家处于红色预警，1家有紧急诉求未办结。"
    )
    assert visits_sentence(enterprises=0, red=0, urgent=0) == "本期无需重点走访的企业。"


# The weekly brief.


def test_a_week_is_labelled_with_its_year_once_unless_it_spans_two() -> None:
    assert week_label(start=dt.date(2020, 4, 9), end=dt.date(2020, 4, 15)) == "2020年4月9日至4月15日"
    assert week_label(start=dt.date(2019, 12, 26), end=dt.date(2020, 1, 1)) == "2019年12月26日至2020年1月1日"
    assert weekly_title(start=dt.date(2020, 4, 9), end=dt.date(2020, 4, 15)) == (
        "2020年4月9日至4月15日外贸形势监测分析（周报）"
    )


def test_the_weeks_reports_are_counted_by_town_against_the_months_expected_reporters() -> None:
    assert week_reports_sentence(
        reports=5,
        enterprises=4,
        period="2020-03",
        reported=30,
        expected=40,
        towns=[("甲镇", 3), ("乙镇", 1), ("丙镇", 1), ("丁镇", 0)],
    ) == (
        "本周共提交报表5份，涉及4家企业，其中甲镇3份、乙镇1份、丙镇1份等；截至本周末，2020年3月应报企业40家，已报30家，报送率75.0%。"
    )
    assert week_reports_sentence(reports=0, enterprises=0, period="2020-03", reported=0, expected=0, towns=[]) == (
        "本周无企业提交报表；截至本周末，2020年3月应报企业0家，已报0家，报送率—。"
    )


def test_the_weeks_disruptions_name_the_commonest_kinds_and_markets() -> None:
    assert (
        week_disruptions_sentence(
            events=4, amount=1_250_000, kinds=[("订单取消", 3), ("延期发货", 1)], markets=[("美国", 4)]
        )
        == "本周新增订单受阻事件4起，涉及金额125.00万美元，以订单取消3起、延期发货1起为主；涉及市场主要为美国4起。"
    )
    assert week_disruptions_sentence(events=0, amount=0, kinds=[], markets=[]) == "本周未新增订单受阻事件。"


def test_the_weeks_problem_list_calls_for_supervision_only_when_a_case_overran() -> None:
    assert week_cases_sentence(needs=3, filed=2, closed=1, breached=1) == (
        "本周企业新提诉求3项，问题清单新增2件、办结1件，另有1件超出办理时限，需督办。"
    )
    assert week_cases_sentence(needs=0, filed=0, closed=0, breached=0) == (
        "本周企业新提诉求0项，问题清单新增0件、办结0件，无超时件。"
    )


def test_the_weeks_warnings_count_red_and_orange_and_name_six_as_five_and_more() -> None:
    names = ["甲", "乙", "丙", "丁", "戊", "己"]
    assert week_warnings_sentence(red=2, orange=4, names=names) == (
        "本周新发或升级至橙色及以上预警6条，其中红色2条、橙色4条，涉及甲、乙、丙、丁、戊等。"
    )
    assert week_warnings_sentence(red=0, orange=0, names=[]) == "本周无新发或升级至橙色及以上的预警。"


def test_the_weeks_white_list_counts_referrals_and_grants() -> None:
    assert week_finance_sentence(referrals=3, granted=2, granted_usd=150_000_000) == (
        "本周向金融机构推送白名单企业3次，新获融资2笔、金额1.50亿美元。"
    )
    assert week_finance_sentence(referrals=0, granted=0, granted_usd=0) == "本周白名单无新推送，也无新获融资。"


def test_the_difficulties_state_the_thresholds_the_counts_were_made_with() -> None:
    found = difficulties_sentences(
        blocked_amount=0,
        blocked_enterprises=0,
        falling_enterprises=1,
        falling_assessed=2,
        falling_markets=[],
        external_amount=0,
        external_share=None,
        financial_amount=0,
        financial_enterprises=0,
        falling_threshold=-0.25,
        market_fall=-0.4,
    )
    assert "同比下降25%以上" in found[1] and found[2] == "外部风险：本期没有市场新接订单同比下降40%以上。"


def test_the_outlook_sentence_sums_the_months_against_a_year_before_and_gives_each_interval() -> None:
    months = [("2020-04", 4e7, 3e7, 5e7), ("2020-05", 4.5e7, 3.2e7, 5.8e7), ("2020-06", 5e7, 3.5e7, 6.5e7)]
    assert outlook_sentence(months=months, expected=1.35e8, year_ago=1.5e8) == (
        "预计2020年4月至6月全区出口1.35亿美元，同比下降10.0%；"
        "各月80%预测区间（万美元）：4月3,000.00—5,000.00，5月3,200.00—5,800.00，6月3,500.00—6,500.00。"
    )
    across = [("2020-12", 4e6, 3e6, 5e6), ("2021-01", 3e6, 2e6, 4e6)]
    assert outlook_sentence(months=across, expected=7e6, year_ago=None) == (
        "预计2020年12月至2021年1月全区出口700.00万美元，无上年同期数据；"
        "各月80%预测区间（万美元）：12月300.00—500.00，2021年1月200.00—400.00。"
    )


def test_the_order_book_sentence_states_the_three_months_and_the_cover() -> None:
    assert order_book_sentence(
        period="2020-03", orders_change=-0.174, exports_change=-0.353, cover=6.84, cover_year_ago=4.1
    ) == (
        "截至2020年3月的三个月，新增订单同比下降17.4%，出口同比下降35.3%；3月末在手订单可支撑6.8个月出口（上年同期4.1个月）。"
    )
    assert (
        order_book_sentence(period="2020-03", orders_change=None, exports_change=None, cover=2.0, cover_year_ago=None)
        == "2020年3月末在手订单可支撑2.0个月出口。"
    )
    assert (
        order_book_sentence(period="2020-03", orders_change=None, exports_change=None, cover=None, cover_year_ago=None)
        == "预测起点月份无订单数据。"
    )


def test_the_order_book_sentence_says_how_far_the_orders_reported_reach() -> None:
    assert order_book_sentence(
        period="2020-03", orders_change=-0.174, exports_change=None, cover=None, cover_year_ago=None, lead=(4, 6)
    ) == (
        "截至2020年3月的三个月，新增订单同比下降17.4%，出口无上年同期数据；按历史规律，出口与此前4至6个月签订的新订单最为吻合，已报告订单可预示至7月的出口。"
    )
    assert order_book_sentence(
        period="2019-11", orders_change=None, exports_change=None, cover=2.0, cover_year_ago=None, lead=(2, 4)
    ).endswith("已报告订单可预示至2020年1月的出口。")  # the next year named
    assert (
        order_book_sentence(
            period="2020-03", orders_change=None, exports_change=None, cover=None, cover_year_ago=None, lead=(4, 6)
        )
        == "预测起点月份无订单数据。"
    )
