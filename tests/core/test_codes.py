"""Identifier checks in exportwatch.core.codes (USCC, customs code, HS, ISO 3166, period)."""

import pytest

from exportwatch.core.codes import (
    customs_code_problem,
    hs_chapter,
    hs_problem,
    iso2_problem,
    normalize_uscc,
    parse_period,
    uscc_check_char,
    uscc_problem,
)

# --- USCC ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["91350100M000100Y43", "914403001922038216", "91330100799655058B"])
def test_it_accepts_real_unified_social_credit_codes(code: str) -> None:
    assert uscc_problem(code) is None


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("91350100M000100Y4", "3"),
        ("91440300192203821", "6"),
        ("91330100799655058", "B"),
    ],
)
def test_it_computes_the_check_character_of_real_codes(first17: str, expected: str) -> None:
    assert uscc_check_char(first17) == expected


def test_it_maps_a_check_value_of_31_to_zero() -> None:
    assert uscc_check_char("91350100M0001000D") == "0"


@pytest.mark.parametrize("code", ["91350100M000100Y44", "914403001922038217", "91330100799655058C"])
def test_it_rejects_a_code_whose_last_character_was_changed(code: str) -> None:
    assert uscc_problem(code) == "uscc_check"


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y433"])
def test_it_rejects_a_code_that_is_not_18_characters_long(code: str) -> None:
    assert uscc_problem(code) == "uscc_length"


@pytest.mark.parametrize(
    "code",
    [
        "91350100I000100Y43",  # I is never used
        "91350100O000100Y43",  # O is never used
        "91350100Z000100Y43",  # Z is never used
        "91350100S000100Y43",  # S is never used
        "91350100V000100Y43",  # V is never used
        "91350100m000100y43",  # lower case is not normalised here
        "91350100-000100Y43",
    ],
)
def test_it_rejects_a_code_with_characters_outside_the_alphabet(code: str) -> None:
    assert uscc_problem(code) == "uscc_charset"


@pytest.mark.parametrize("first17", ["9135010", "91350100M000100Y43", "91350100I000100Y4"])
def test_it_refuses_to_compute_a_check_character_from_a_bad_prefix(first17: str) -> None:
    with pytest.raises(ValueError, match="17 characters"):
        uscc_check_char(first17)


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("  91350100m000100y43\n", "91350100M000100Y43"),
        ("9135 0100 M000 100Y 43", "91350100M000100Y43"),
        ("91330100799655058b", "91330100799655058B"),
        ("", ""),
    ],
)
def test_it_normalises_a_typed_code_by_removing_blanks_and_upper_casing(typed: str, normalised: str) -> None:
    assert normalize_uscc(typed) == normalised


# --- Customs registration code ---------------------------------------------------------------


@pytest.mark.parametrize("code", ["", "3501960123", "35019601AB", "4403961X2Z"])
def test_it_accepts_an_empty_or_well_formed_customs_code(code: str) -> None:
    assert customs_code_problem(code) is None


@pytest.mark.parametrize("code", ["350196012", "35019601234", "350A960123", "35019601ab", "3501-60123"])
def test_it_rejects_a_malformed_customs_code(code: str) -> None:
    assert customs_code_problem(code) == "customs_code_format"


# --- HS --------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["84", "8471", "847130", "01"])
def test_it_accepts_an_hs_code_of_2_4_or_6_digits(code: str) -> None:
    assert hs_problem(code) is None


@pytest.mark.parametrize("code", ["", "8", "847", "84713", "8471300", "84a1", "8471.30"])
def test_it_rejects_an_hs_code_of_another_shape(code: str) -> None:
    assert hs_problem(code) == "hs_format"


@pytest.mark.parametrize(("code", "chapter"), [("84", "84"), ("8471", "84"), ("010121", "01")])
def test_it_takes_the_first_two_digits_as_the_hs_chapter(code: str, chapter: str) -> None:
    assert hs_chapter(code) == chapter


# --- ISO 3166-1 alpha-2 ----------------------------------------------------------------------


@pytest.mark.parametrize("code", ["US", "DE", "CN"])
def test_it_accepts_two_capital_letters_as_a_market(code: str) -> None:
    assert iso2_problem(code) is None


@pytest.mark.parametrize("code", ["", "U", "USA", "us", "U1", "U S"])
def test_it_rejects_a_market_that_is_not_two_capital_letters(code: str) -> None:
    assert iso2_problem(code) == "market_format"


# --- Period ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("period", "parts"), [("2020-03", (2020, 3)), ("1999-12", (1999, 12))])
def test_it_splits_a_period_into_year_and_month(period: str, parts: tuple[int, int]) -> None:
    assert parse_period(period) == parts


@pytest.mark.parametrize("period", ["", "2020-3", "2020-13", "2020-00", "202003", "2020/03", "20-03"])
def test_it_does_not_split_a_string_that_is_not_yyyy_mm(period: str) -> None:
    assert parse_period(period) is None
