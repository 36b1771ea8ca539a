"""The customs exports contract in exportwatch.core.records: CUSTOMS_COLUMNS and clean_customs_export."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from exportwatch.core.records import (
    CUSTOMS_COLUMNS,
    CUSTOMS_REQUIRED,
    PROBLEM_CODES,
    Context,
    CustomsExportIn,
    Problem,
    clean_customs_export,
)

CTX = Context(
    today=date(2024, 3, 20),
    markets=frozenset({"US", "DE", "JP"}),
    hs_codes=frozenset({"01", "61", "84", "850440"}),
    towns={"T01": "T01"},
    industries=frozenset({"textiles"}),
    segments=frozenset(),
    enterprises=frozenset({"91350100M000100Y43", "914403001922038216"}),
)

CUSTOMS = {
    "uscc": "91350100M000100Y43",
    "period": "2024-02",
    "market": "US",
    "hs": "8471",
    "exports_usd": "200000",
}


def fields_and_codes(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in problems]


def with_(**changes: object) -> dict[str, object]:
    return {**CUSTOMS, **changes}


def test_the_columns_are_those_of_the_data_contract_and_all_required() -> None:
    assert CUSTOMS_COLUMNS == ("uscc", "period", "market", "hs", "exports_usd")
    assert CUSTOMS_REQUIRED == CUSTOMS_COLUMNS


def test_it_accepts_a_valid_record() -> None:
    assert clean_customs_export(CUSTOMS, ctx=CTX) == (
        CustomsExportIn(
            uscc="91350100M000100Y43", period="2024-02", market="US", hs="8471", exports_usd=Decimal("200000.00")
        ),
        [],
    )


def test_it_reports_every_missing_column() -> None:
    assert fields_and_codes(clean_customs_export({}, ctx=CTX)[1]) == [
        ("uscc", "required"),
        ("period", "required"),
        ("market", "required"),
        ("hs", "required"),
        ("exports_usd", "required"),
    ]


def test_blank_cells_count_as_missing() -> None:
    obj, problems = clean_customs_export(with_(market="  ", exports_usd=None), ctx=CTX)
    assert obj is None
    assert fields_and_codes(problems) == [("market", "required"), ("exports_usd", "required")]


def test_it_normalises_what_a_spreadsheet_or_a_clerk_gives() -> None:
    raw = {
        "uscc": " 91350100m000100y43 ",  # lower case and blanks
        "period": datetime(2024, 2, 1),  # a spreadsheet turned 2024-02 into a date
        "market": "us",
        "hs": 8471.0,  # a number cell
        "exports_usd": "US$1,234,567.891",  # unit, thousands separators, fractions of a cent
    }
    assert clean_customs_export(raw, ctx=CTX) == (
        CustomsExportIn(
            uscc="91350100M000100Y43", period="2024-02", market="US", hs="8471", exports_usd=Decimal("1234567.89")
        ),
        [],
    )


def test_an_hs_number_that_lost_its_leading_zero_gets_it_back() -> None:
    obj, problems = clean_customs_export(with_(hs=101), ctx=CTX)
    assert problems == []
    assert obj is not None and obj.hs == "0101"


def test_a_zero_amount_is_a_record() -> None:
    obj, _ = clean_customs_export(with_(exports_usd=0), ctx=CTX)
    assert obj is not None and obj.exports_usd == Decimal("0.00")


def test_the_current_month_is_accepted() -> None:
    obj, problems = clean_customs_export(with_(period="2024-03"), ctx=CTX)
    assert problems == []
    assert obj is not None and obj.period == "2024-03"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("uscc", "91330100799655058B", "unknown_enterprise"),  # valid but not registered
        ("uscc", "91350100M000100Y44", "uscc_check"),
        ("uscc", "9135", "uscc_length"),
        ("period", "2024-04", "future_period"),
        ("period", "March", "bad_period"),
        ("market", "ZZ", "unknown_market"),
        ("market", "USA", "market_format"),
        ("hs", "9999", "unknown_hs"),
        ("hs", "84A", "hs_format"),
        ("exports_usd", "-1", "negative"),
        ("exports_usd", "lots", "not_a_number"),
        ("exports_usd", "2e12", "too_large"),
    ],
)
def test_it_refuses_a_bad_value(field: str, value: object, code: str) -> None:
    obj, problems = clean_customs_export(with_(**{field: value}), ctx=CTX)
    assert obj is None
    assert fields_and_codes(problems) == [(field, code)]
    assert code in PROBLEM_CODES


def test_it_reports_every_problem_of_a_record_not_just_the_first() -> None:
    raw = {"uscc": "91330100799655058B", "period": "2024-05", "market": "ZZ", "hs": "9999", "exports_usd": "-5"}
    assert fields_and_codes(clean_customs_export(raw, ctx=CTX)[1]) == [
        ("uscc", "unknown_enterprise"),
        ("period", "future_period"),
        ("market", "unknown_market"),
        ("hs", "unknown_hs"),
        ("exports_usd", "negative"),
    ]


def test_a_problem_carries_the_values_for_its_message() -> None:
    _, problems = clean_customs_export(with_(period="2024-04"), ctx=CTX)
    assert problems == [Problem("period", "future_period", (("value", "2024-04"), ("current", "2024-03")))]
