"""Validation of the identifiers ExportWatch exchanges: USCC, customs code, HS, ISO 3166, periods.

Every function is pure. ``*_problem`` functions return ``None`` for a valid value or a short
machine-readable problem code (``exportwatch.common.problems`` turns them into sentences) that the edge translates.
"""

from __future__ import annotations

import re

# GB 32100-2015: the 31 characters allowed in a unified social credit code (no I, O, Z, S, V).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}

_CUSTOMS_RE = re.compile(r"^[0-9]{4}[0-9A-Z]{6}$")
_HS_RE = re.compile(r"^(?:[0-9]{2}|[0-9]{4}|[0-9]{6})$")
_ISO2_RE = re.compile(r"^[A-Z]{2}$")
_PERIOD_RE = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a USCC.

    Args:
        first17: 17 characters from ``USCC_ALPHABET``.

    Returns:
        The 18th character: ``C18 = 31 - (sum(value_i * weight_i) mod 31)``, 31 mapped to 0.

    Raises:
        ValueError: when ``first17`` is not 17 characters of the alphabet.
    """
    if len(first17) != 17 or any(ch not in _USCC_VALUE for ch in first17):
        raise ValueError("expected 17 characters of the USCC alphabet")
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    """Strip blanks and upper-case a USCC as typed by a person."""
    return re.sub(r"\s+", "", value or "").upper()


def uscc_problem(value: str) -> str | None:
    """Why ``value`` (already normalised) is not a valid USCC, or ``None``.

    Returns one of ``uscc_length``, ``uscc_charset``, ``uscc_check``.
    """
    if len(value) != 18:
        return "uscc_length"
    if any(ch not in _USCC_VALUE for ch in value):
        return "uscc_charset"
    if uscc_check_char(value[:17]) != value[17]:
        return "uscc_check"
    return None


def customs_code_problem(value: str) -> str | None:
    """Why ``value`` is not a customs registration code (10 characters, 4-digit area first)."""
    if value == "":
        return None
    return None if _CUSTOMS_RE.fullmatch(value) else "customs_code_format"


def hs_problem(value: str) -> str | None:
    """Why ``value`` is not an HS code of 2, 4 or 6 digits (format only; existence is checked by the caller)."""
    return None if _HS_RE.fullmatch(value) else "hs_format"


def hs_chapter(value: str) -> str:
    """The 2-digit HS chapter of an HS code of 2 to 6 digits."""
    return value[:2]


def iso2_problem(value: str) -> str | None:
    """Why ``value`` is not shaped like an ISO 3166-1 alpha-2 code (existence is checked by the caller)."""
    return None if _ISO2_RE.fullmatch(value) else "market_format"


def parse_period(value: str) -> tuple[int, int] | None:
    """``'2020-03'`` -> ``(2020, 3)``; ``None`` when not a ``YYYY-MM`` period."""
    m = _PERIOD_RE.fullmatch(value)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2))
