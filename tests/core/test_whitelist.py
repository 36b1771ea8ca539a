"""The white-list rules on literals: eligibility, priority and product matching, each with its reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exportwatch.core import whitelist as wl
from exportwatch.core.whitelist import FinanceFacts, NeedItem

M = Decimal(1_000_000)


def facts(exports: int = 3_000_000, imports: int = 500_000, **kw: object) -> FinanceFacts:
    return FinanceFacts(exports_usd=Decimal(exports), imports_usd=Decimal(imports), **kw)  # type: ignore[arg-type]


def products(f: FinanceFacts) -> list[str]:
    return [m.product for m in wl.products_for(f, threshold_usd=M)]


# --- eligibility -------------------------------------------------------------------------------------------------


def test_it_qualifies_an_enterprise_whose_trade_reaches_the_threshold_exactly() -> None:
    e = wl.eligibility_of(exports_usd=Decimal(600_000), imports_usd=Decimal(400_000), threshold_usd=M)
    assert e.eligible and e.trade_usd == M
    assert e.reason.zh == "上年进出口额100万美元（出口60万美元，进口40万美元），达到白名单标准100万美元"
    assert "1,000,000 USD" in e.reason.en and "exports 600,000 USD" in e.reason.en


def test_it_leaves_out_an_enterprise_one_dollar_short_and_says_so() -> None:
    e = wl.eligibility_of(exports_usd=Decimal("999999"), imports_usd=Decimal(0), threshold_usd=M)
    assert not e.eligible
    assert e.reason.code == "trade_below_threshold" and "低于白名单标准100万美元" in e.reason.zh


def test_imports_count_as_much_as_exports() -> None:
    assert wl.eligibility_of(exports_usd=Decimal(0), imports_usd=M, threshold_usd=M).eligible


def test_the_threshold_is_configurable() -> None:
    e = wl.eligibility_of(exports_usd=Decimal(1_500_000), imports_usd=Decimal(0), threshold_usd=Decimal(2_000_000))
    assert not e.eligible and "200万美元" in e.reason.zh


def test_amounts_are_written_in_wan_usd_with_at_most_two_decimals() -> None:
    assert wl.wan_usd(Decimal(12_345_678)) == "1,234.57万美元"
    assert wl.wan_usd(Decimal(1_000_000)) == "100万美元"
    assert wl.wan_usd(Decimal(15_000)) == "1.5万美元"
    assert wl.usd(Decimal("1234567.5")) == "1,234,568 USD"


# --- priority ----------------------------------------------------------------------------------------------------


def test_no_warning_and_no_money_need_is_normal_priority() -> None:
    p = wl.priority_of(facts())
    assert p.level == wl.NORMAL and p.rank == 1 and p.reasons[0].code == "no_pressure"


def test_a_red_warning_alone_is_high_priority() -> None:
    p = wl.priority_of(facts(worst_level="red"))
    assert p.level == wl.HIGH and p.reasons[0].zh == "存在未关闭的红色预警"


def test_an_orange_warning_alone_is_medium_and_with_a_money_need_high() -> None:
    assert wl.priority_of(facts(worst_level="orange")).level == wl.MEDIUM
    need = (NeedItem("exchange_rate"),)
    assert wl.priority_of(facts(worst_level="orange", needs=need)).level == wl.HIGH


def test_an_urgent_or_large_money_need_is_high_priority_without_a_warning() -> None:
    assert wl.priority_of(facts(needs=(NeedItem("financing", Decimal(50_000), "urgent"),))).level == wl.HIGH
    assert wl.priority_of(facts(needs=(NeedItem("financing", M, "normal"),))).level == wl.HIGH
    assert wl.priority_of(facts(needs=(NeedItem("financing", Decimal(999_999), "high"),))).level == wl.MEDIUM


def test_needs_outside_money_do_not_count() -> None:
    p = wl.priority_of(facts(needs=(NeedItem("logistics", Decimal(5_000_000), "urgent"),)))
    assert p.level == wl.NORMAL and p.money_needs_usd == 0


def test_the_priority_reason_counts_the_money_needs_and_sums_their_amounts() -> None:
    p = wl.priority_of(
        facts(
            worst_level="yellow",
            needs=(
                NeedItem("financing", Decimal(300_000)),
                NeedItem("financing", None),
                NeedItem("credit_insurance", Decimal(200_000)),
            ),
        )
    )
    assert p.level == wl.MEDIUM and p.money_needs_usd == Decimal(500_000)
    assert [r.code for r in p.reasons] == ["warning_yellow", "money_needs"]
    assert p.reasons[1].zh == "未办结的资金类诉求：融资2项、出口信用保险1项，金额合计50万美元"


# --- products ----------------------------------------------------------------------------------------------------


def test_nothing_matches_a_small_enterprise_without_needs_or_trouble() -> None:
    assert products(facts()) == []


def test_a_main_market_in_warning_calls_for_export_credit_insurance() -> None:
    found = wl.products_for(facts(main_market_in_warning=True), threshold_usd=M)
    assert [m.product for m in found] == [wl.EXPORT_CREDIT_INSURANCE]
    assert found[0].reason.zh == "主要出口市场处于预警"


@pytest.mark.parametrize(
    "kw",
    [
        {"needs": (NeedItem("payment_collection", Decimal(80_000)),)},
        {"payment_terms_extended": True},
        {"needs": (NeedItem("credit_insurance"),)},
    ],
)
def test_payment_trouble_or_an_insurance_request_calls_for_export_credit_insurance(kw: dict[str, object]) -> None:
    assert products(facts(**kw)) == [wl.EXPORT_CREDIT_INSURANCE]  # type: ignore[arg-type]


def test_an_importer_that_exports_nothing_gets_no_export_credit_insurance() -> None:
    assert products(facts(exports=0, imports=2_000_000, main_market_in_warning=True)) == []


def test_an_exporter_asking_for_financing_gets_an_insured_loan_and_a_guaranteed_one() -> None:
    found = wl.products_for(facts(needs=(NeedItem("financing", Decimal(200_000)),)), threshold_usd=M)
    assert [m.product for m in found] == [wl.CREDIT_INSURANCE_LOAN, wl.GUARANTEED_LOAN]
    assert "出口占上年进出口额86%" in found[0].reason.zh
    assert found[1].reason.code == "no_collateral"


def test_collateral_mentioned_means_no_guaranteed_loan() -> None:
    need = NeedItem("financing", Decimal(200_000), description="可用厂房抵押申请贷款")
    assert products(facts(needs=(need,))) == [wl.CREDIT_INSURANCE_LOAN]


def test_a_mostly_importing_enterprise_gets_an_insured_loan_only_when_it_names_policy_financing() -> None:
    plain = NeedItem("financing", Decimal(200_000))
    assert products(facts(exports=300_000, imports=900_000, needs=(plain,))) == [wl.GUARANTEED_LOAN]
    policy = NeedItem("financing", Decimal(200_000), description="申请出口信用保险保单融资")
    found = wl.products_for(facts(exports=300_000, imports=900_000, needs=(policy,)), threshold_usd=M)
    assert [m.product for m in found] == [wl.CREDIT_INSURANCE_LOAN, wl.GUARANTEED_LOAN]
    assert "保单融资" in found[0].reason.zh


def test_a_large_steady_trader_gets_a_credit_loan_instead_of_a_guaranteed_one() -> None:
    f = facts(exports=4_000_000, imports=1_000_000, worst_level="yellow", needs=(NeedItem("financing"),))
    found = wl.products_for(f, threshold_usd=M)
    assert [m.product for m in found] == [wl.CREDIT_INSURANCE_LOAN, wl.CREDIT_LOAN]
    assert "不低于500万美元" in found[1].reason.zh


def test_a_red_or_orange_warning_rules_out_a_credit_loan() -> None:
    f = facts(exports=40_000_000, imports=0, worst_level="orange")
    assert wl.CREDIT_LOAN not in products(f)
    assert wl.CREDIT_LOAN in products(facts(exports=40_000_000, imports=0, worst_level="blue"))


def test_assess_judges_eligibility_priority_and_products_together() -> None:
    a = wl.assess(facts(worst_level="red", main_market_in_warning=True), threshold_usd=M)
    assert a.eligibility.eligible and a.priority.level == wl.HIGH
    assert [m.product for m in a.products] == [wl.EXPORT_CREDIT_INSURANCE]


def test_every_product_has_a_chinese_name_and_an_institution_kind() -> None:
    assert set(wl.PRODUCT_LABELS_ZH) == set(wl.PRODUCTS) == set(wl.PRODUCT_INSTITUTION_KINDS)
    assert wl.PRODUCT_INSTITUTION_KINDS[wl.EXPORT_CREDIT_INSURANCE] == ("credit_insurer",)
