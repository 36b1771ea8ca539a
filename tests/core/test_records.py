"""The data contract in exportwatch.core.records: clean_* functions and cross-record checks."""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest

from exportwatch.core.records import (
    DISRUPTION_COLUMNS,
    DISRUPTION_REQUIRED,
    ENTERPRISE_COLUMNS,
    ENTERPRISE_REQUIRED,
    LINE_COLUMNS,
    LINE_REQUIRED,
    NEED_COLUMNS,
    NEED_REQUIRED,
    PROBLEM_CODES,
    REPORT_COLUMNS,
    REPORT_REQUIRED,
    Context,
    DisruptionIn,
    EnterpriseIn,
    LineIn,
    NeedIn,
    Problem,
    ReportIn,
    check_report_lines,
    clean_disruption,
    clean_enterprise,
    clean_line,
    clean_need,
    clean_report,
    parse_number,
)

CTX = Context(
    today=date(2024, 3, 20),
    markets=frozenset({"US", "DE", "JP"}),
    hs_codes=frozenset({"01", "61", "84", "850440"}),
    towns={"T01": "T01", "城关镇": "T01", "T02": "T02", "南屿镇": "T02"},
    industries=frozenset({"textiles", "machinery"}),
    segments=frozenset({"smes", "key_enterprise", "new_entrant"}),
    enterprises=frozenset({"91350100M000100Y43", "914403001922038216"}),
)

ENTERPRISE = {
    "uscc": "91330100799655058B",
    "name": "福州示例纺织有限公司",
    "customs_code": "3501960123",
    "town": "T01",
    "industry": "textiles",
    "exports_last_year_usd": "1,200,000",
    "imports_last_year_usd": "300000",
    "contact_name": "王芳",
    "contact_phone": "0591-12345678",
    "segments": "smes;key_enterprise",
}
REPORT = {
    "uscc": "91350100M000100Y43",
    "period": "2024-02",
    "exports_usd": "500000",
    "new_orders_usd": "400000",
    "backlog_usd": "900000",
    "backlog_due_3m_usd": "600000",
    "capacity_utilization_pct": "85",
    "new_orders_trend": "up",
    "outlook_3m": "same",
}
LINE = {
    "uscc": "91350100M000100Y43",
    "period": "2024-02",
    "market": "US",
    "hs": "8471",
    "backlog_usd": "300000",
    "new_orders_usd": "100000",
    "exports_usd": "200000",
}
DISRUPTION = {
    "uscc": "91350100M000100Y43",
    "date": "2024-03-01",
    "kind": "shipment_delayed",
    "amount_usd": "50000",
    "market": "US",
    "hs": "8471",
    "note": "Vessel delayed two weeks",
}
NEED = {
    "uscc": "91350100M000100Y43",
    "date": "2024-03-01",
    "category": "financing",
    "amount_usd": "200000",
    "urgency": "high",
    "description": "Working capital for raw cotton",
}


def fields_and_codes(problems: list[Problem]) -> list[tuple[str, str]]:
    """The (field, code) pairs of problems, in order."""
    return [(p.field, p.code) for p in problems]


# --- Columns ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "required", "optional"),
    [
        (
            ENTERPRISE_COLUMNS,
            ENTERPRISE_REQUIRED,
            {"customs_code", "contact_name", "contact_phone", "segments"},
        ),
        (REPORT_COLUMNS, REPORT_REQUIRED, {"capacity_utilization_pct"}),
        (LINE_COLUMNS, LINE_REQUIRED, set()),
        (DISRUPTION_COLUMNS, DISRUPTION_REQUIRED, {"amount_usd", "market", "hs", "note"}),
        (NEED_COLUMNS, NEED_REQUIRED, {"amount_usd"}),
    ],
)
def test_it_makes_only_the_listed_columns_optional(
    columns: tuple[str, ...], required: tuple[str, ...], optional: set[str]
) -> None:
    assert set(columns) - set(required) == optional


@pytest.mark.parametrize(
    ("columns", "required"),
    [
        (ENTERPRISE_COLUMNS, ENTERPRISE_REQUIRED),
        (REPORT_COLUMNS, REPORT_REQUIRED),
        (LINE_COLUMNS, LINE_REQUIRED),
        (DISRUPTION_COLUMNS, DISRUPTION_REQUIRED),
        (NEED_COLUMNS, NEED_REQUIRED),
    ],
)
def test_it_lists_required_columns_in_column_order(columns: tuple[str, ...], required: tuple[str, ...]) -> None:
    assert [c for c in columns if c in required] == list(required)


def test_it_keeps_the_column_order_of_the_stable_csv_format() -> None:
    assert REPORT_COLUMNS == (
        "uscc",
        "period",
        "exports_usd",
        "new_orders_usd",
        "backlog_usd",
        "backlog_due_3m_usd",
        "capacity_utilization_pct",
        "new_orders_trend",
        "outlook_3m",
    )


def test_it_declares_every_problem_code_of_the_contract() -> None:
    assert set(PROBLEM_CODES) == {
        "required",
        "not_a_number",
        "negative",
        "too_large",
        "due_exceeds_backlog",
        "lines_exceed_total",
        "unknown_market",
        "unknown_hs",
        "future_period",
        "bad_period",
        "bad_date",
        "future_date",
        "bad_choice",
        "uscc_check",
        "uscc_length",
        "uscc_charset",
        "unknown_enterprise",
        "unknown_town",
        "unknown_industry",
        "unknown_segment",
        "customs_code_format",
        "hs_format",
        "market_format",
        "duplicate_line",
        "too_long",
        "out_of_range",
        "duplicate_row",
        "lines_without_report",
        "stored_lines_exceed_total",
    }


# --- Valid records ---------------------------------------------------------------------------


def test_it_accepts_a_valid_enterprise() -> None:
    assert clean_enterprise(ENTERPRISE, ctx=CTX) == (
        EnterpriseIn(
            uscc="91330100799655058B",
            name="福州示例纺织有限公司",
            customs_code="3501960123",
            town="T01",
            industry="textiles",
            exports_last_year_usd=Decimal("1200000.00"),
            imports_last_year_usd=Decimal("300000.00"),
            contact_name="王芳",
            contact_phone="0591-12345678",
            segments=("smes", "key_enterprise"),
        ),
        [],
    )


def test_it_accepts_a_valid_report() -> None:
    assert clean_report(REPORT, ctx=CTX) == (
        ReportIn(
            uscc="91350100M000100Y43",
            period="2024-02",
            exports_usd=Decimal("500000.00"),
            new_orders_usd=Decimal("400000.00"),
            backlog_usd=Decimal("900000.00"),
            backlog_due_3m_usd=Decimal("600000.00"),
            capacity_utilization_pct=Decimal("85.00"),
            new_orders_trend="up",
            outlook_3m="same",
        ),
        [],
    )


def test_it_accepts_a_valid_line() -> None:
    assert clean_line(LINE, ctx=CTX) == (
        LineIn(
            uscc="91350100M000100Y43",
            period="2024-02",
            market="US",
            hs="8471",
            backlog_usd=Decimal("300000.00"),
            new_orders_usd=Decimal("100000.00"),
            exports_usd=Decimal("200000.00"),
        ),
        [],
    )


def test_it_accepts_a_valid_disruption() -> None:
    assert clean_disruption(DISRUPTION, ctx=CTX) == (
        DisruptionIn(
            uscc="91350100M000100Y43",
            date=date(2024, 3, 1),
            kind="shipment_delayed",
            amount_usd=Decimal("50000.00"),
            market="US",
            hs="8471",
            note="Vessel delayed two weeks",
        ),
        [],
    )


def test_it_accepts_a_valid_need() -> None:
    assert clean_need(NEED, ctx=CTX) == (
        NeedIn(
            uscc="91350100M000100Y43",
            date=date(2024, 3, 1),
            category="financing",
            amount_usd=Decimal("200000.00"),
            urgency="high",
            description="Working capital for raw cotton",
        ),
        [],
    )


def test_it_accepts_a_disruption_with_only_the_required_columns() -> None:
    record, _ = clean_disruption({"uscc": "91350100M000100Y43", "date": "2024-03-01", "kind": "held_at_port"}, ctx=CTX)
    assert record == DisruptionIn(
        uscc="91350100M000100Y43",
        date=date(2024, 3, 1),
        kind="held_at_port",
        amount_usd=None,
        market="",
        hs="",
        note="",
    )


def test_it_accepts_a_need_without_an_amount() -> None:
    record, _ = clean_need({**NEED, "amount_usd": ""}, ctx=CTX)
    assert record is not None and record.amount_usd is None


def test_it_accepts_a_report_without_capacity_utilisation() -> None:
    record, _ = clean_report({**REPORT, "capacity_utilization_pct": None}, ctx=CTX)
    assert record is not None and record.capacity_utilization_pct is None


def test_it_accepts_an_enterprise_with_only_the_required_columns() -> None:
    record, _ = clean_enterprise(
        {
            "uscc": "91330100799655058B",
            "name": "示例公司",
            "town": "T02",
            "industry": "machinery",
            "exports_last_year_usd": 0,
            "imports_last_year_usd": 0,
        },
        ctx=CTX,
    )
    assert record == EnterpriseIn(
        uscc="91330100799655058B",
        name="示例公司",
        customs_code="",
        town="T02",
        industry="machinery",
        exports_last_year_usd=Decimal("0.00"),
        imports_last_year_usd=Decimal("0.00"),
        contact_name="",
        contact_phone="",
        segments=(),
    )


def test_it_ignores_columns_outside_the_contract() -> None:
    record, problems = clean_line({**LINE, "remarks": "anything"}, ctx=CTX)
    assert record is not None and problems == []


# --- Required columns ------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   ", "\t\n", None])
def test_it_treats_a_blank_value_as_missing(blank: object) -> None:
    _, problems = clean_need({**NEED, "description": blank}, ctx=CTX)
    assert problems == [Problem("description", "required")]


def test_it_reports_every_missing_enterprise_column() -> None:
    record, problems = clean_enterprise({}, ctx=CTX)
    assert record is None and fields_and_codes(problems) == [
        ("uscc", "required"),
        ("name", "required"),
        ("town", "required"),
        ("industry", "required"),
        ("exports_last_year_usd", "required"),
        ("imports_last_year_usd", "required"),
    ]


def test_it_reports_every_missing_report_column() -> None:
    _, problems = clean_report({}, ctx=CTX)
    assert fields_and_codes(problems) == [
        ("uscc", "required"),
        ("period", "required"),
        ("exports_usd", "required"),
        ("new_orders_usd", "required"),
        ("backlog_usd", "required"),
        ("backlog_due_3m_usd", "required"),
        ("new_orders_trend", "required"),
        ("outlook_3m", "required"),
    ]


def test_it_reports_every_missing_line_column() -> None:
    _, problems = clean_line({}, ctx=CTX)
    assert fields_and_codes(problems) == [
        ("uscc", "required"),
        ("period", "required"),
        ("market", "required"),
        ("hs", "required"),
        ("backlog_usd", "required"),
        ("new_orders_usd", "required"),
        ("exports_usd", "required"),
    ]


def test_it_reports_every_missing_disruption_column() -> None:
    _, problems = clean_disruption({}, ctx=CTX)
    assert fields_and_codes(problems) == [("uscc", "required"), ("date", "required"), ("kind", "required")]


def test_it_reports_every_missing_need_column() -> None:
    _, problems = clean_need({}, ctx=CTX)
    assert fields_and_codes(problems) == [
        ("uscc", "required"),
        ("date", "required"),
        ("category", "required"),
        ("urgency", "required"),
        ("description", "required"),
    ]


def test_it_reports_all_problems_of_a_record_not_just_the_first() -> None:
    record, problems = clean_line(
        {
            "uscc": "91350100M000100Y44",
            "period": "2024-13",
            "market": "USA",
            "hs": "99",
            "backlog_usd": "-1",
            "new_orders_usd": "abc",
            "exports_usd": "2e12",
        },
        ctx=CTX,
    )
    assert record is None and fields_and_codes(problems) == [
        ("uscc", "uscc_check"),
        ("period", "bad_period"),
        ("market", "market_format"),
        ("hs", "unknown_hs"),
        ("backlog_usd", "negative"),
        ("new_orders_usd", "not_a_number"),
        ("exports_usd", "too_large"),
    ]


# --- Amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("1234", Decimal("1234.00")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("1 234", Decimal("1234.00")),
        ("1 234 567", Decimal("1234567.00")),
        ("1\u00a0234", Decimal("1234.00")),
        ("１２３，４５６", Decimal("123456.00")),
        ("１２３４．５", Decimal("1234.50")),
        ("1234美元", Decimal("1234.00")),
        ("1,234 美元", Decimal("1234.00")),
        ("1234 USD", Decimal("1234.00")),
        ("1234usd", Decimal("1234.00")),
        ("$1,234", Decimal("1234.00")),
        ("US$ 1,234", Decimal("1234.00")),
        ("  12  ", Decimal("12.00")),
        ("+12", Decimal("12.00")),
        ("12.", Decimal("12.00")),
        (".5", Decimal("0.50")),
        ("1.5E+06", Decimal("1500000.00")),
        ("0", Decimal("0.00")),
        ("-0", Decimal("0.00")),
        ("0.005", Decimal("0.01")),
        ("0.004", Decimal("0.00")),
        ("2.675", Decimal("2.68")),
        ("1000000000000", Decimal("1000000000000.00")),
        (1234, Decimal("1234.00")),
        (1234.5, Decimal("1234.50")),
        (0.1, Decimal("0.10")),
        (Decimal("1234.565"), Decimal("1234.57")),
    ],
)
def test_it_reads_an_amount_in_the_accepted_spellings_and_rounds_it_to_cents(raw: object, amount: Decimal) -> None:
    record, _ = clean_line({**LINE, "exports_usd": raw}, ctx=CTX)
    assert record is not None and str(record.exports_usd) == str(amount)


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "1,5",
        "12,34",
        "1,2345",
        "1.2.3",
        "12万",
        "1234元",
        "1234 EUR",
        "NaN",
        "nan",
        "inf",
        "-Infinity",
        "1e",
        "--1",
        "1 2",
        Decimal("NaN"),
        Decimal("Infinity"),
        float("nan"),
        float("inf"),
        True,
    ],
)
def test_it_rejects_an_amount_that_is_not_a_finite_number(raw: object) -> None:
    _, problems = clean_line({**LINE, "exports_usd": raw}, ctx=CTX)
    assert fields_and_codes(problems) == [("exports_usd", "not_a_number")]


def test_it_repeats_the_bad_amount_in_the_problem() -> None:
    _, problems = clean_line({**LINE, "exports_usd": " abc "}, ctx=CTX)
    assert problems == [Problem("exports_usd", "not_a_number", (("value", "abc"),))]


def test_it_shortens_a_long_bad_value_repeated_in_the_problem() -> None:
    _, problems = clean_line({**LINE, "exports_usd": "x" * 100}, ctx=CTX)
    assert problems[0].params == (("value", "x" * 39 + "…"),)


@pytest.mark.parametrize("raw", ["-1", "-1,000", "-0.01", -5, -0.5, Decimal("-0.01"), "-1e13"])
def test_it_rejects_a_negative_amount(raw: object) -> None:
    _, problems = clean_line({**LINE, "exports_usd": raw}, ctx=CTX)
    assert fields_and_codes(problems) == [("exports_usd", "negative")]


def test_it_repeats_the_negative_amount_in_the_problem() -> None:
    _, problems = clean_line({**LINE, "exports_usd": "-1,000"}, ctx=CTX)
    assert problems == [Problem("exports_usd", "negative", (("value", "-1000"),))]


@pytest.mark.parametrize("raw", ["1000000000000.01", "1e13", "2,000,000,000,000", 10000000000000, 1e13])
def test_it_rejects_an_amount_above_one_trillion_dollars(raw: object) -> None:
    _, problems = clean_line({**LINE, "exports_usd": raw}, ctx=CTX)
    assert problems == [Problem("exports_usd", "too_large", (("max", "1000000000000"),))]


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("1,234.5", Decimal("1234.5")),
        ("0.001", Decimal("0.001")),
        (7, Decimal(7)),
        ("-3", Decimal(-3)),
    ],
)
def test_it_parses_a_number_without_rounding_it(raw: object, number: Decimal) -> None:
    assert parse_number(raw) == number


def test_it_tolerates_a_unit_only_when_asked_to() -> None:
    assert parse_number("12%") is None


@pytest.mark.parametrize("raw", [None, date(2024, 1, 1), [1]])
def test_it_does_not_parse_a_value_of_another_type_as_a_number(raw: object) -> None:
    assert parse_number(raw) is None


def test_it_rejects_an_optional_amount_that_is_not_a_number() -> None:
    _, problems = clean_disruption({**DISRUPTION, "amount_usd": "about 5000"}, ctx=CTX)
    assert fields_and_codes(problems) == [("amount_usd", "not_a_number")]


def test_it_rejects_a_negative_optional_amount() -> None:
    _, problems = clean_need({**NEED, "amount_usd": "-5"}, ctx=CTX)
    assert fields_and_codes(problems) == [("amount_usd", "negative")]


# --- Capacity utilisation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "pct"),
    [
        ("85", Decimal("85.00")),
        ("85%", Decimal("85.00")),
        (" 85.5 % ", Decimal("85.50")),
        ("８５％", Decimal("85.00")),
        ("0", Decimal("0.00")),
        ("100", Decimal("100.00")),
        (72.25, Decimal("72.25")),
        (90, Decimal("90.00")),
    ],
)
def test_it_reads_capacity_utilisation_as_a_percentage(raw: object, pct: Decimal) -> None:
    record, _ = clean_report({**REPORT, "capacity_utilization_pct": raw}, ctx=CTX)
    assert record is not None and str(record.capacity_utilization_pct) == str(pct)


@pytest.mark.parametrize("raw", ["100.01", "101%", "-1", -0.5, "250"])
def test_it_rejects_capacity_utilisation_outside_0_to_100(raw: object) -> None:
    _, problems = clean_report({**REPORT, "capacity_utilization_pct": raw}, ctx=CTX)
    assert problems == [Problem("capacity_utilization_pct", "out_of_range", (("min", "0"), ("max", "100")))]


def test_it_rejects_capacity_utilisation_that_is_not_a_number() -> None:
    _, problems = clean_report({**REPORT, "capacity_utilization_pct": "high"}, ctx=CTX)
    assert fields_and_codes(problems) == [("capacity_utilization_pct", "not_a_number")]


# --- Backlog due within 3 months -------------------------------------------------------------


def test_it_rejects_a_backlog_due_within_3_months_larger_than_the_backlog() -> None:
    _, problems = clean_report({**REPORT, "backlog_usd": "1000", "backlog_due_3m_usd": "1000.01"}, ctx=CTX)
    assert problems == [
        Problem("backlog_due_3m_usd", "due_exceeds_backlog", (("due", "1,000.01"), ("backlog", "1,000")))
    ]


def test_it_accepts_a_backlog_due_within_3_months_equal_to_the_backlog() -> None:
    record, _ = clean_report({**REPORT, "backlog_usd": "1000", "backlog_due_3m_usd": "1,000.00"}, ctx=CTX)
    assert record is not None


def test_it_does_not_compare_the_due_backlog_with_a_backlog_that_is_not_a_number() -> None:
    _, problems = clean_report({**REPORT, "backlog_usd": "n/a", "backlog_due_3m_usd": "1000"}, ctx=CTX)
    assert fields_and_codes(problems) == [("backlog_usd", "not_a_number")]


# --- Periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "period"),
    [
        ("2024-02", "2024-02"),
        ("2024/02", "2024-02"),
        ("2024-2", "2024-02"),
        ("202402", "2024-02"),
        (202402, "2024-02"),
        (202402.0, "2024-02"),
        (Decimal(202402), "2024-02"),
        ("2024.02", "2024-02"),
        ("2024年2月", "2024-02"),
        ("２０２４年２月", "2024-02"),
        (date(2024, 2, 15), "2024-02"),
        (datetime(2024, 2, 1, 0, 0), "2024-02"),
        ("2024/2/1", "2024-02"),
        ("2024-03", "2024-03"),
    ],
)
def test_it_normalises_a_period_to_yyyy_mm(raw: object, period: str) -> None:
    record, _ = clean_report({**REPORT, "period": raw}, ctx=CTX)
    assert record is not None and record.period == period


@pytest.mark.parametrize(
    "raw", ["2024-13", "24-02", "Feb 2024", "2024", "20242", "2024-00", "2024.1", 2024.02, 2024.1, 202402.5]
)
def test_it_rejects_a_value_that_is_not_a_period(raw: object) -> None:
    _, problems = clean_report({**REPORT, "period": raw}, ctx=CTX)
    assert fields_and_codes(problems) == [("period", "bad_period")]


def test_it_repeats_the_bad_period_in_the_problem() -> None:
    _, problems = clean_line({**LINE, "period": "Feb 2024"}, ctx=CTX)
    assert problems == [Problem("period", "bad_period", (("value", "Feb 2024"),))]


@pytest.mark.parametrize("raw", ["2024-04", "2025-01", date(2024, 4, 1)])
def test_it_rejects_a_future_period(raw: object) -> None:
    _, problems = clean_report({**REPORT, "period": raw}, ctx=CTX)
    assert fields_and_codes(problems) == [("period", "future_period")]


def test_it_names_the_future_period_and_the_current_month() -> None:
    _, problems = clean_line({**LINE, "period": "2024-04"}, ctx=CTX)
    assert problems == [Problem("period", "future_period", (("value", "2024-04"), ("current", "2024-03")))]


# --- Dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2024-03-15", date(2024, 3, 15)),
        ("2024/3/15", date(2024, 3, 15)),
        ("2024.3.15", date(2024, 3, 15)),
        ("2024年3月15日", date(2024, 3, 15)),
        ("２０２４－０３－１５", date(2024, 3, 15)),
        ("2024-03-15 00:00:00", date(2024, 3, 15)),
        (date(2024, 3, 15), date(2024, 3, 15)),
        (datetime(2024, 3, 15, 8, 30), date(2024, 3, 15)),
        ("2024-03-20", date(2024, 3, 20)),
    ],
)
def test_it_reads_a_date_in_the_accepted_spellings(raw: object, day: date) -> None:
    record, _ = clean_disruption({**DISRUPTION, "date": raw}, ctx=CTX)
    assert record is not None and record.date == day


@pytest.mark.parametrize("raw", ["2024-02-30", "15/03/2024", "2024-03", "yesterday", "20240315", 20240315])
def test_it_rejects_a_value_that_is_not_a_date(raw: object) -> None:
    _, problems = clean_disruption({**DISRUPTION, "date": raw}, ctx=CTX)
    assert fields_and_codes(problems) == [("date", "bad_date")]


def test_it_repeats_the_bad_date_in_the_problem() -> None:
    _, problems = clean_need({**NEED, "date": "2024-02-30"}, ctx=CTX)
    assert problems == [Problem("date", "bad_date", (("value", "2024-02-30"),))]


@pytest.mark.parametrize("raw", ["2024-03-21", date(2025, 1, 1)])
def test_it_rejects_a_future_date(raw: object) -> None:
    _, problems = clean_disruption({**DISRUPTION, "date": raw}, ctx=CTX)
    assert fields_and_codes(problems) == [("date", "future_date")]


def test_it_names_the_future_date_and_today() -> None:
    _, problems = clean_need({**NEED, "date": "2024/3/21"}, ctx=CTX)
    assert problems == [Problem("date", "future_date", (("value", "2024-03-21"), ("today", "2024-03-20")))]


# --- USCC ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "91350100M000100Y43",
        " 91350100m000100y43 ",
        "9135 0100 M000 100Y 43",
        "９１３５０１００Ｍ０００１００Ｙ４３",
    ],
)
def test_it_normalises_the_uscc_before_checking_it(raw: str) -> None:
    record, _ = clean_report({**REPORT, "uscc": raw}, ctx=CTX)
    assert record is not None and record.uscc == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("91350100M000100Y44", "3"), ("914403001922038210", "6"), ("91330100799655058A", "B")],
)
def test_it_rejects_a_wrong_uscc_check_character_and_names_the_right_one(raw: str, expected: str) -> None:
    _, problems = clean_enterprise({**ENTERPRISE, "uscc": raw}, ctx=CTX)
    assert problems == [Problem("uscc", "uscc_check", (("expected", expected),))]


@pytest.mark.parametrize(("raw", "length"), [("91350100M000100Y4", "17"), ("91350100M000100Y433", "19")])
def test_it_rejects_a_uscc_of_the_wrong_length(raw: str, length: str) -> None:
    _, problems = clean_report({**REPORT, "uscc": raw}, ctx=CTX)
    assert problems == [Problem("uscc", "uscc_length", (("length", length),))]


@pytest.mark.parametrize(
    ("raw", "chars"),
    [("91350100O000100Y43", "O"), ("91350100I00010SY43", "I S"), ("91350100-000100Y43", "-")],
)
def test_it_rejects_a_uscc_with_characters_never_used_and_names_them(raw: str, chars: str) -> None:
    _, problems = clean_report({**REPORT, "uscc": raw}, ctx=CTX)
    assert problems == [Problem("uscc", "uscc_charset", (("chars", chars),))]


def test_it_rejects_a_report_of_an_enterprise_not_in_the_registry() -> None:
    _, problems = clean_report({**REPORT, "uscc": "91330100799655058B"}, ctx=CTX)
    assert problems == [Problem("uscc", "unknown_enterprise", (("value", "91330100799655058B"),))]


@pytest.mark.parametrize(
    ("clean", "raw"),
    [(clean_line, LINE), (clean_disruption, DISRUPTION), (clean_need, NEED)],
)
def test_it_rejects_records_of_an_enterprise_not_in_the_registry(
    clean: Callable[..., tuple[object, list[Problem]]], raw: dict[str, object]
) -> None:
    _, problems = clean({**raw, "uscc": "91330100799655058B"}, ctx=CTX)
    assert fields_and_codes(problems) == [("uscc", "unknown_enterprise")]


def test_it_does_not_look_up_an_invalid_uscc_in_the_registry() -> None:
    _, problems = clean_report({**REPORT, "uscc": "91330100799655058C"}, ctx=CTX)
    assert fields_and_codes(problems) == [("uscc", "uscc_check")]


def test_it_registers_an_enterprise_that_is_not_yet_in_the_registry() -> None:
    record, _ = clean_enterprise({**ENTERPRISE, "uscc": "91330100799655058B"}, ctx=CTX)
    assert record is not None and record.uscc == "91330100799655058B"


# --- Choices ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "trend"),
    [
        ("up", "up"),
        ("UP", "up"),
        (" Up ", "up"),
        ("上升", "up"),
        ("增加", "up"),
        ("增长", "up"),
        ("same", "same"),
        ("Same", "same"),
        ("持平", "same"),
        ("不变", "same"),
        ("down", "down"),
        ("DOWN", "down"),
        ("下降", "down"),
        ("减少", "down"),
    ],
)
def test_it_reads_a_trend_from_its_key_or_chinese_alias(raw: str, trend: str) -> None:
    record, _ = clean_report({**REPORT, "new_orders_trend": raw, "outlook_3m": raw}, ctx=CTX)
    assert record is not None and (record.new_orders_trend, record.outlook_3m) == (trend, trend)


@pytest.mark.parametrize("raw", ["rising", "好", "upward", "0"])
def test_it_rejects_a_trend_that_is_not_a_choice_and_lists_the_choices(raw: str) -> None:
    _, problems = clean_report({**REPORT, "outlook_3m": raw}, ctx=CTX)
    assert problems == [Problem("outlook_3m", "bad_choice", (("value", raw), ("choices", "up, same, down")))]


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("held_at_port", "held_at_port"),
        ("Held at port", "held_at_port"),
        ("HELD-AT-PORT", "held_at_port"),
        ("order_cancelled", "order_cancelled"),
        ("terms_extended", "terms_extended"),
    ],
)
def test_it_reads_a_disruption_kind_ignoring_case_and_separators(raw: str, kind: str) -> None:
    record, _ = clean_disruption({**DISRUPTION, "kind": raw}, ctx=CTX)
    assert record is not None and record.kind == kind


def test_it_rejects_an_unknown_disruption_kind() -> None:
    _, problems = clean_disruption({**DISRUPTION, "kind": "strike"}, ctx=CTX)
    assert fields_and_codes(problems) == [("kind", "bad_choice")]


@pytest.mark.parametrize(("raw", "category"), [("financing", "financing"), ("Credit Insurance", "credit_insurance")])
def test_it_reads_a_need_category(raw: str, category: str) -> None:
    record, _ = clean_need({**NEED, "category": raw}, ctx=CTX)
    assert record is not None and record.category == category


def test_it_rejects_an_unknown_need_category() -> None:
    _, problems = clean_need({**NEED, "category": "money"}, ctx=CTX)
    assert fields_and_codes(problems) == [("category", "bad_choice")]


@pytest.mark.parametrize(("raw", "urgency"), [("low", "low"), ("Normal", "normal"), ("URGENT", "urgent")])
def test_it_reads_an_urgency(raw: str, urgency: str) -> None:
    record, _ = clean_need({**NEED, "urgency": raw}, ctx=CTX)
    assert record is not None and record.urgency == urgency


def test_it_rejects_an_unknown_urgency_and_lists_the_choices() -> None:
    _, problems = clean_need({**NEED, "urgency": "asap"}, ctx=CTX)
    assert problems == [Problem("urgency", "bad_choice", (("value", "asap"), ("choices", "low, normal, high, urgent")))]


# --- Markets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "market"), [("US", "US"), ("us", "US"), (" de ", "DE"), ("ＪＰ", "JP")])
def test_it_upper_cases_a_market_code(raw: str, market: str) -> None:
    record, _ = clean_line({**LINE, "market": raw}, ctx=CTX)
    assert record is not None and record.market == market


@pytest.mark.parametrize("raw", ["USA", "U", "U1", "美国"])
def test_it_rejects_a_market_that_is_not_two_letters(raw: str) -> None:
    _, problems = clean_line({**LINE, "market": raw}, ctx=CTX)
    assert fields_and_codes(problems) == [("market", "market_format")]


def test_it_rejects_a_market_code_that_is_not_known() -> None:
    _, problems = clean_line({**LINE, "market": "zz"}, ctx=CTX)
    assert problems == [Problem("market", "unknown_market", (("value", "ZZ"),))]


def test_it_checks_an_optional_disruption_market_when_given() -> None:
    _, problems = clean_disruption({**DISRUPTION, "market": "XX"}, ctx=CTX)
    assert fields_and_codes(problems) == [("market", "unknown_market")]


# --- HS codes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "hs"),
    [
        ("84", "84"),
        ("8471", "8471"),
        ("847130", "847130"),
        ("8471.30", "847130"),
        ("8471 30", "847130"),
        ("850440", "850440"),
        ("0101", "0101"),
        (101, "0101"),
        (10121, "010121"),
        (8471, "8471"),
        (8471.0, "8471"),
        ("８４７１", "8471"),
    ],
)
def test_it_reads_an_hs_code_known_by_itself_or_by_its_chapter(raw: object, hs: str) -> None:
    record, _ = clean_line({**LINE, "hs": raw}, ctx=CTX)
    assert record is not None and record.hs == hs


@pytest.mark.parametrize("raw", ["847", "84713", "8471300", "84a1", "101", "HS84"])
def test_it_rejects_an_hs_code_that_is_not_2_4_or_6_digits(raw: object) -> None:
    _, problems = clean_line({**LINE, "hs": raw}, ctx=CTX)
    assert fields_and_codes(problems) == [("hs", "hs_format")]


@pytest.mark.parametrize("raw", ["99", "9901", "850441"])
def test_it_rejects_an_hs_code_whose_chapter_is_not_known(raw: str) -> None:
    _, problems = clean_line({**LINE, "hs": raw}, ctx=CTX)
    assert problems == [Problem("hs", "unknown_hs", (("value", raw),))]


def test_it_checks_an_optional_disruption_hs_code_when_given() -> None:
    _, problems = clean_disruption({**DISRUPTION, "hs": "12345"}, ctx=CTX)
    assert fields_and_codes(problems) == [("hs", "hs_format")]


# --- Enterprise registry fields --------------------------------------------------------------


@pytest.mark.parametrize(("raw", "town"), [("T01", "T01"), ("城关镇", "T01"), (" 南屿镇 ", "T02"), ("t02", "T02")])
def test_it_resolves_a_town_by_code_or_name_to_its_code(raw: str, town: str) -> None:
    record, _ = clean_enterprise({**ENTERPRISE, "town": raw}, ctx=CTX)
    assert record is not None and record.town == town


def test_it_rejects_an_unknown_town() -> None:
    _, problems = clean_enterprise({**ENTERPRISE, "town": "北京"}, ctx=CTX)
    assert problems == [Problem("town", "unknown_town", (("value", "北京"),))]


@pytest.mark.parametrize(("raw", "industry"), [("textiles", "textiles"), ("Machinery", "machinery")])
def test_it_reads_an_industry_ignoring_case(raw: str, industry: str) -> None:
    record, _ = clean_enterprise({**ENTERPRISE, "industry": raw}, ctx=CTX)
    assert record is not None and record.industry == industry


def test_it_rejects_an_unknown_industry() -> None:
    _, problems = clean_enterprise({**ENTERPRISE, "industry": "mining"}, ctx=CTX)
    assert problems == [Problem("industry", "unknown_industry", (("value", "mining"),))]


@pytest.mark.parametrize(
    ("raw", "segments"),
    [
        ("smes;key_enterprise", ("smes", "key_enterprise")),
        ("smes；key_enterprise", ("smes", "key_enterprise")),
        ("smes, key_enterprise", ("smes", "key_enterprise")),
        ("smes，key_enterprise", ("smes", "key_enterprise")),
        ("smes、key_enterprise", ("smes", "key_enterprise")),
        ("key_enterprise;smes", ("key_enterprise", "smes")),
        ("SMES", ("smes",)),
        ("smes;smes", ("smes",)),
        ("smes;;", ("smes",)),
        ("", ()),
        (None, ()),
    ],
)
def test_it_splits_segments_on_semicolons_and_commas(raw: object, segments: tuple[str, ...]) -> None:
    record, _ = clean_enterprise({**ENTERPRISE, "segments": raw}, ctx=CTX)
    assert record is not None and record.segments == segments


def test_it_reports_each_unknown_segment() -> None:
    _, problems = clean_enterprise({**ENTERPRISE, "segments": "smes;exporters;big"}, ctx=CTX)
    assert problems == [
        Problem("segments", "unknown_segment", (("value", "exporters"),)),
        Problem("segments", "unknown_segment", (("value", "big"),)),
    ]


@pytest.mark.parametrize(
    ("raw", "code"),
    [("3501960123", "3501960123"), (" 35019601ab ", "35019601AB"), ("", ""), (3501960123, "3501960123")],
)
def test_it_normalises_an_optional_customs_code(raw: object, code: str) -> None:
    record, _ = clean_enterprise({**ENTERPRISE, "customs_code": raw}, ctx=CTX)
    assert record is not None and record.customs_code == code


@pytest.mark.parametrize("raw", ["350A960123", "350196012", "海关3501960123"])
def test_it_rejects_a_malformed_customs_code(raw: str) -> None:
    _, problems = clean_enterprise({**ENTERPRISE, "customs_code": raw}, ctx=CTX)
    assert fields_and_codes(problems) == [("customs_code", "customs_code_format")]


def test_it_keeps_a_phone_number_stored_by_a_spreadsheet_as_a_number() -> None:
    record, _ = clean_enterprise({**ENTERPRISE, "contact_phone": 13800138000.0}, ctx=CTX)
    assert record is not None and record.contact_phone == "13800138000"


def test_it_keeps_full_width_brackets_in_an_enterprise_name() -> None:
    record, _ = clean_enterprise({**ENTERPRISE, "name": "示例（福州）有限公司"}, ctx=CTX)
    assert record is not None and record.name == "示例（福州）有限公司"


# --- Text lengths ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"),
    [("name", 200), ("contact_name", 100), ("contact_phone", 40)],
)
def test_it_accepts_enterprise_text_at_its_length_limit(field: str, limit: int) -> None:
    record, _ = clean_enterprise({**ENTERPRISE, field: "字" * limit}, ctx=CTX)
    assert record is not None


@pytest.mark.parametrize(
    ("field", "limit"),
    [("name", 200), ("contact_name", 100), ("contact_phone", 40)],
)
def test_it_rejects_enterprise_text_over_its_length_limit(field: str, limit: int) -> None:
    _, problems = clean_enterprise({**ENTERPRISE, field: "字" * (limit + 1)}, ctx=CTX)
    assert problems == [Problem(field, "too_long", (("max", str(limit)), ("length", str(limit + 1))))]


def test_it_rejects_a_disruption_note_over_2000_characters() -> None:
    _, problems = clean_disruption({**DISRUPTION, "note": "x" * 2001}, ctx=CTX)
    assert problems == [Problem("note", "too_long", (("max", "2000"), ("length", "2001")))]


def test_it_rejects_a_need_description_over_2000_characters() -> None:
    _, problems = clean_need({**NEED, "description": "x" * 2001}, ctx=CTX)
    assert problems == [Problem("description", "too_long", (("max", "2000"), ("length", "2001")))]


def test_it_measures_text_after_stripping_surrounding_blanks() -> None:
    record, _ = clean_need({**NEED, "description": "  " + "x" * 2000 + "  "}, ctx=CTX)
    assert record is not None and len(record.description) == 2000


# --- Report lines ----------------------------------------------------------------------------

REPORT_IN = ReportIn(
    uscc="91350100M000100Y43",
    period="2024-02",
    exports_usd=Decimal("500.00"),
    new_orders_usd=Decimal("400.00"),
    backlog_usd=Decimal("900.00"),
    backlog_due_3m_usd=Decimal("600.00"),
    capacity_utilization_pct=None,
    new_orders_trend="up",
    outlook_3m="same",
)


def test_it_accepts_a_report_without_lines() -> None:
    assert check_report_lines(REPORT_IN, []) == []


def test_it_accepts_lines_that_add_up_to_the_totals() -> None:
    lines = [
        LineIn(
            "91350100M000100Y43",
            "2024-02",
            "US",
            "8471",
            Decimal("600.00"),
            Decimal("100.00"),
            Decimal("0.00"),
        ),
        LineIn(
            "91350100M000100Y43",
            "2024-02",
            "DE",
            "8471",
            Decimal("300.00"),
            Decimal("300.00"),
            Decimal("500.00"),
        ),
    ]
    assert check_report_lines(REPORT_IN, lines) == []


def test_it_accepts_lines_that_add_up_to_less_than_the_totals() -> None:
    lines = [LineIn("91350100M000100Y43", "2024-02", "US", "8471", Decimal("1.00"), Decimal("1.00"), Decimal("1.00"))]
    assert check_report_lines(REPORT_IN, lines) == []


def test_it_accepts_the_same_market_with_different_hs_codes() -> None:
    lines = [
        LineIn("91350100M000100Y43", "2024-02", "US", "8471", Decimal("1.00"), Decimal("1.00"), Decimal("1.00")),
        LineIn("91350100M000100Y43", "2024-02", "US", "847130", Decimal("1.00"), Decimal("1.00"), Decimal("1.00")),
    ]
    assert check_report_lines(REPORT_IN, lines) == []


def test_it_reports_a_repeated_market_and_hs_pair_once_with_its_count() -> None:
    lines = [
        LineIn("91350100M000100Y43", "2024-02", "US", "8471", Decimal("1.00"), Decimal("1.00"), Decimal("1.00")),
        LineIn("91350100M000100Y43", "2024-02", "US", "8471", Decimal("2.00"), Decimal("2.00"), Decimal("2.00")),
        LineIn("91350100M000100Y43", "2024-02", "US", "8471", Decimal("3.00"), Decimal("3.00"), Decimal("3.00")),
    ]
    assert check_report_lines(REPORT_IN, lines) == [
        Problem("market", "duplicate_line", (("market", "US"), ("hs", "8471"), ("count", "3")))
    ]


@pytest.mark.parametrize(
    ("backlog", "new_orders", "exports", "column", "lines_sum", "total"),
    [
        ("900.01", "0.00", "0.00", "backlog_usd", "900.01", "900"),
        ("0.00", "400.01", "0.00", "new_orders_usd", "400.01", "400"),
        ("0.00", "0.00", "500.01", "exports_usd", "500.01", "500"),
    ],
)
def test_it_reports_a_column_whose_lines_add_up_to_more_than_the_report_total(
    backlog: str, new_orders: str, exports: str, column: str, lines_sum: str, total: str
) -> None:
    lines = [
        LineIn(
            "91350100M000100Y43",
            "2024-02",
            "US",
            "8471",
            Decimal(backlog),
            Decimal(new_orders),
            Decimal(exports),
        )
    ]
    assert check_report_lines(REPORT_IN, lines) == [
        Problem(column, "lines_exceed_total", (("column", column), ("lines", lines_sum), ("total", total)))
    ]


def test_it_sums_all_lines_before_comparing_with_the_total() -> None:
    lines = [
        LineIn("91350100M000100Y43", "2024-02", "US", "8471", Decimal("0.00"), Decimal("0.00"), Decimal("250.00")),
        LineIn("91350100M000100Y43", "2024-02", "DE", "8471", Decimal("0.00"), Decimal("0.00"), Decimal("250.01")),
    ]
    assert check_report_lines(REPORT_IN, lines) == [
        Problem(
            "exports_usd",
            "lines_exceed_total",
            (("column", "exports_usd"), ("lines", "500.01"), ("total", "500")),
        )
    ]


def test_it_reports_duplicates_before_totals() -> None:
    lines = [
        LineIn("91350100M000100Y43", "2024-02", "US", "8471", Decimal("500.00"), Decimal("0.00"), Decimal("0.00")),
        LineIn("91350100M000100Y43", "2024-02", "US", "8471", Decimal("500.00"), Decimal("0.00"), Decimal("0.00")),
    ]
    assert fields_and_codes(check_report_lines(REPORT_IN, lines)) == [
        ("market", "duplicate_line"),
        ("backlog_usd", "lines_exceed_total"),
    ]


@pytest.mark.parametrize(("uscc", "period"), [("914403001922038216", "2024-02"), ("91350100M000100Y43", "2024-01")])
def test_it_refuses_to_check_lines_of_another_report(uscc: str, period: str) -> None:
    lines = [LineIn(uscc, period, "US", "8471", Decimal("1.00"), Decimal("1.00"), Decimal("1.00"))]
    with pytest.raises(ValueError, match="checked against report"):
        check_report_lines(REPORT_IN, lines)


def test_it_reads_the_chinese_words_for_kinds_categories_and_urgency() -> None:
    d, problems = clean_disruption({**DISRUPTION, "kind": "订单取消"}, ctx=CTX)
    assert problems == [] and d is not None and d.kind == "order_cancelled"
    n, problems = clean_need({**NEED, "category": "融资需求", "urgency": "紧急"}, ctx=CTX)
    assert problems == [] and n is not None and (n.category, n.urgency) == ("financing", "urgent")
