"""The data contract: how one raw record becomes a clean, typed record, or a list of problems.

The same rules apply whichever way a record arrives (web form, CSV, Excel, API), so every
channel calls the ``clean_*`` functions here and only translates the :class:`Problem` codes
(see ``exportwatch.common.problems``).

A raw record is a mapping from column key (``ENTERPRISE_COLUMNS`` etc.) to a value that may be
a ``str`` (form or CSV; surrounding blanks are stripped and ``""`` means missing), ``int``,
``float``, ``Decimal``, ``date``/``datetime`` or ``None``. A key that is absent counts as missing.
Every problem of a record is reported, not just the first.

All money is in US dollars, rounded half-up to cents (2 decimal places).
"""

from __future__ import annotations

import functools
import math
import operator
import re
import unicodedata
from collections.abc import Collection, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from exportwatch.core import codes
from exportwatch.core.periods import coerce_date, coerce_period, period_of

# --- Choices ---------------------------------------------------------------------------------

TRENDS = ("up", "same", "down")
TREND_ALIASES: Mapping[str, str] = {
    "up": "up",
    "上升": "up",
    "增加": "up",
    "增长": "up",
    "same": "same",
    "持平": "same",
    "不变": "same",
    "down": "down",
    "下降": "down",
    "减少": "down",
}
DISRUPTION_KINDS = (
    "shipment_delayed",
    "terms_extended",
    "held_at_port",
    "order_reduced",
    "order_cancelled",
    "order_transferred",
)
NEED_CATEGORIES = (
    "financing",
    "credit_insurance",
    "logistics",
    "customs_clearance",
    "trade_friction",
    "certification",
    "labour",
    "raw_materials",
    "payment_collection",
    "exchange_rate",
    "contract_dispute",
    "market_expansion",
    "domestic_sales",
    "policy_consultation",
    "other",
)
URGENCIES = ("low", "normal", "high", "urgent")

# The Chinese words clerks write (and the templates' drop-downs offer) for the stable keys.
DISRUPTION_KIND_ALIASES: Mapping[str, str] = {
    "延期发货": "shipment_delayed",
    "延长账期": "terms_extended",
    "货物滞港": "held_at_port",
    "滞港": "held_at_port",
    "订单缩减": "order_reduced",
    "订单取消": "order_cancelled",
    "订单转移": "order_transferred",
}
NEED_CATEGORY_ALIASES: Mapping[str, str] = {
    "融资需求": "financing",
    "融资": "financing",
    "出口信用保险": "credit_insurance",
    "信用保险": "credit_insurance",
    "物流运输": "logistics",
    "物流": "logistics",
    "通关便利": "customs_clearance",
    "通关": "customs_clearance",
    "贸易摩擦与关税": "trade_friction",
    "贸易摩擦": "trade_friction",
    "认证与检测": "certification",
    "认证检测": "certification",
    "用工": "labour",
    "原材料供应": "raw_materials",
    "原材料": "raw_materials",
    "货款回收": "payment_collection",
    "汇率风险": "exchange_rate",
    "汇率": "exchange_rate",
    "合同纠纷": "contract_dispute",
    "市场开拓与展会": "market_expansion",
    "市场开拓": "market_expansion",
    "出口转内销": "domestic_sales",
    "政策咨询": "policy_consultation",
    "其他": "other",
}
URGENCY_ALIASES: Mapping[str, str] = {"低": "low", "一般": "normal", "普通": "normal", "高": "high", "紧急": "urgent"}

# --- Limits ----------------------------------------------------------------------------------

MAX_AMOUNT_USD = Decimal("1e12")  # USD; anything larger is a typing or unit error
CENT = Decimal("0.01")
MAX_NAME_LENGTH = 200  # characters
MAX_CONTACT_NAME_LENGTH = 100
MAX_PHONE_LENGTH = 40
MAX_TEXT_LENGTH = 2000  # note, description
MIN_PERCENT = Decimal(0)
MAX_PERCENT = Decimal(100)

# --- Columns ---------------------------------------------------------------------------------

ENTERPRISE_COLUMNS = (
    "uscc",
    "name",
    "customs_code",
    "town",
    "industry",
    "exports_last_year_usd",
    "imports_last_year_usd",
    "contact_name",
    "contact_phone",
    "segments",
)
REPORT_COLUMNS = (
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
REPORT_FIGURES = REPORT_COLUMNS[2:]  # what a report states about its (enterprise, period)
LINE_COLUMNS = ("uscc", "period", "market", "hs", "backlog_usd", "new_orders_usd", "exports_usd")
DISRUPTION_COLUMNS = ("uscc", "date", "kind", "amount_usd", "market", "hs", "note")
NEED_COLUMNS = ("uscc", "date", "category", "amount_usd", "urgency", "description")

# Columns that must be present in a CSV header and filled in every record; the others may be
# left out of the header altogether.
ENTERPRISE_REQUIRED = (
    "uscc",
    "name",
    "town",
    "industry",
    "exports_last_year_usd",
    "imports_last_year_usd",
)
REPORT_REQUIRED = (
    "uscc",
    "period",
    "exports_usd",
    "new_orders_usd",
    "backlog_usd",
    "backlog_due_3m_usd",
    "new_orders_trend",
    "outlook_3m",
)
LINE_REQUIRED = LINE_COLUMNS
DISRUPTION_REQUIRED = ("uscc", "date", "kind")
NEED_REQUIRED = ("uscc", "date", "category", "urgency", "description")

# Every problem code a clean_* or check_* function can return.
PROBLEM_CODES = (
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
    # Raised by the importers across rows; listed here so the message table covers them.
    "duplicate_row",
    "lines_without_report",
    "stored_lines_exceed_total",
)

# --- Records ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a record.

    Attributes:
        field: Column key the problem is about (``"backlog_due_3m_usd"``); ``""`` for the record as
            a whole.
        code: Machine code from ``PROBLEM_CODES``; the edge turns it into a sentence.
        params: ``(name, value)`` pairs, strings only, for the sentence's placeholders.
    """

    field: str
    code: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Context:
    """What the rules need to know about the world.

    Attributes:
        today: The current local date; periods and dates after it are rejected.
        markets: Known ISO 3166-1 alpha-2 codes, upper case.
        hs_codes: Known HS codes (at least the 2-digit chapters). A 4- or 6-digit code is known
            when it is in the set or its 2-digit chapter is.
        towns: Town code -> town code, and town name -> town code.
        industries: Known industry codes.
        segments: Known segment codes.
        enterprises: USCCs of the enterprises in the registry.
    """

    today: date
    markets: frozenset[str]
    hs_codes: frozenset[str]
    towns: Mapping[str, str]
    industries: frozenset[str]
    segments: frozenset[str]
    enterprises: Container[str]
    # Results of checking repeated code values (an enterprise's USCC on each of its lines); bulk imports
    # check a value once. Not part of the context's identity.
    memo: dict[tuple[object, ...], object] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class EnterpriseIn:
    """A clean enterprise registry record; amounts in USD."""

    uscc: str
    name: str
    customs_code: str  # "" when not given
    town: str  # town code
    industry: str
    exports_last_year_usd: Decimal
    imports_last_year_usd: Decimal
    contact_name: str
    contact_phone: str
    segments: tuple[str, ...]


@dataclass(frozen=True)
class ReportIn:
    """A clean monthly report of one enterprise; amounts in USD for the month ``period``."""

    uscc: str
    period: str  # "YYYY-MM"
    exports_usd: Decimal
    new_orders_usd: Decimal
    backlog_usd: Decimal  # orders on hand at the end of the month
    backlog_due_3m_usd: Decimal  # part of backlog_usd to be shipped within 3 months
    capacity_utilization_pct: Decimal | None  # 0..100
    new_orders_trend: str  # one of TRENDS, compared with the previous month
    outlook_3m: str  # one of TRENDS, expected over the next 3 months


@dataclass(frozen=True)
class LineIn:
    """A clean breakdown line of a monthly report by market and HS code; amounts in USD."""

    uscc: str
    period: str
    market: str  # ISO 3166-1 alpha-2
    hs: str  # 2, 4 or 6 digits
    backlog_usd: Decimal
    new_orders_usd: Decimal
    exports_usd: Decimal


@dataclass(frozen=True)
class DisruptionIn:
    """A clean disruption event (delayed shipment, cancelled order, ...)."""

    uscc: str
    date: date
    kind: str  # one of DISRUPTION_KINDS
    amount_usd: Decimal | None
    market: str  # "" when not given
    hs: str  # "" when not given
    note: str


@dataclass(frozen=True)
class NeedIn:
    """A clean request for help from an enterprise."""

    uscc: str
    date: date
    category: str  # one of NEED_CATEGORIES
    amount_usd: Decimal | None
    urgency: str  # one of URGENCIES
    description: str


# --- Reading raw values ----------------------------------------------------------------------

_NUMBER_RE = re.compile(
    r"^[+-]?(?:\d{1,3}(?:[, ]\d{3})+|\d+)(?:\.\d*)?(?:[eE][+-]?\d+)?$"  # 1,234,567.89  1 234  1.5E+06
    r"|^[+-]?\.\d+(?:[eE][+-]?\d+)?$"  # .5
)
_AMOUNT_PREFIXES = ("US$", "$")
_AMOUNT_SUFFIXES = ("美元", "USD")
_PERCENT_SUFFIXES = ("%",)
_LIST_SEPARATORS_RE = re.compile("[;\uff1b,\uff0c\u3001]")  # ; and , in ASCII or full width, and 、
_SHOWN_LENGTH = 40  # characters of a bad value repeated in a problem's params


def _cell_text(value: object) -> str:
    """Any raw value as stripped text; ``""`` for ``None``.

    Whole-number floats lose their ``.0`` (a spreadsheet stores ``13800138000`` as a float).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _code_text(value: object) -> str:
    """A raw code (USCC, HS, market...) with full-width characters made ASCII and blanks stripped."""
    return unicodedata.normalize("NFKC", _cell_text(value)).strip()


def _whole_number(value: object) -> int | None:
    """A ``float`` or ``Decimal`` with nothing after the point as an ``int`` (``202403.0``), else ``None``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return None


def _is_missing(value: object) -> bool:
    return _cell_text(value) == ""


def _show(value: str) -> str:
    """A bad value shortened for repeating it in a message."""
    return value if len(value) <= _SHOWN_LENGTH else value[: _SHOWN_LENGTH - 1] + "…"


def _plain(value: Decimal) -> str:
    """A Decimal written without exponent: ``Decimal('1E+12')`` -> ``'1000000000000'``."""
    return format(value, "f")


def _money(value: Decimal) -> str:
    """An amount as a clerk reads it in a message: ``Decimal('1300000.00')`` -> ``'1,300,000'``."""
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def _strip_affixes(text: str, prefixes: Iterable[str], suffixes: Iterable[str]) -> str:
    upper = text.upper()
    for prefix in prefixes:
        if upper.startswith(prefix.upper()):
            text, upper = text[len(prefix) :].strip(), upper[len(prefix) :].strip()
            break
    for suffix in suffixes:
        if upper.endswith(suffix.upper()):
            text = text[: len(text) - len(suffix)].strip()
            break
    return text


def parse_number(value: object, *, prefixes: Iterable[str] = (), suffixes: Iterable[str] = ()) -> Decimal | None:
    """Read a number as typed by a person or stored by a spreadsheet.

    Accepts ``int``, finite ``float`` and ``Decimal``, and text such as ``"1234.5"``,
    ``"1,234,567.89"``, ``"1 234"``, ``"1.5E+06"``, and the same in full-width digits and commas. Thousands
    separators (``,`` or a blank) must separate groups of exactly three digits, so that a
    decimal comma such as ``"1,5"`` is refused instead of being read as fifteen.

    Args:
        value: The raw value.
        prefixes: Tolerated leading units, matched case-insensitively (e.g. ``"$"``).
        suffixes: Tolerated trailing units, matched case-insensitively (e.g. ``"美元"``).

    Returns:
        The exact value (not rounded), or ``None`` when it is not a finite number.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if not isinstance(value, str):
        return None
    text = _strip_affixes(unicodedata.normalize("NFKC", value).strip(), prefixes, suffixes)
    if not _NUMBER_RE.match(text):
        return None
    try:
        return Decimal(text.replace(",", "").replace(" ", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        return None


def _cents(value: Decimal) -> Decimal:
    """Round half-up to 2 decimal places; ``-0.00`` becomes ``0.00``."""
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


@functools.lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    """Key for matching choices: case-folded, blanks and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", unicodedata.normalize("NFKC", text).strip().casefold())


_LOOKUPS: dict[tuple[tuple[str, ...], int], dict[str, str]] = {}


def _choice_lookup(choices: tuple[str, ...], aliases: Mapping[str, str] | None) -> dict[str, str]:
    """Folded spelling -> choice; built once per set of choices (the alias tables are module constants)."""
    key = (choices, id(aliases))
    table = _LOOKUPS.get(key)
    if table is None:
        table = {_fold(c): c for c in choices}
        if aliases:
            table.update({_fold(alias): value for alias, value in aliases.items()})
        _LOOKUPS[key] = table
    return table


def _resolve(text: str, known: Collection[str]) -> str | None:
    """``text`` itself if it is in ``known``, else the one member equal to it ignoring case."""
    if text in known:
        return text
    folded = text.casefold()
    matches = [item for item in known if item.casefold() == folded]
    return matches[0] if len(matches) == 1 else None


class _Record:
    """Reads the fields of one raw record, collecting every problem on the way.

    Readers of required fields return a placeholder when the field has a problem; the caller
    builds the clean record only when ``problems`` is empty, so placeholders never escape.
    """

    def __init__(self, raw: Mapping[str, object], ctx: Context) -> None:
        self.raw = raw
        self.ctx = ctx
        self.problems: list[Problem] = []

    def add(self, field: str, code: str, **params: str) -> None:
        self.problems.append(Problem(field=field, code=code, params=tuple(params.items())))

    def ok(self, *fields: str) -> bool:
        """Whether none of ``fields`` has a problem so far."""
        return not any(p.field in fields for p in self.problems)

    def get(self, key: str) -> object:
        return self.raw.get(key)

    def missing(self, key: str, *, required: bool) -> bool:
        """Whether ``key`` is empty; records a ``required`` problem if it must not be."""
        if not _is_missing(self.get(key)):
            return False
        if required:
            self.add(key, "required")
        return True

    # text -------------------------------------------------------------------------------------

    def text(self, key: str, *, max_length: int, required: bool = False) -> str:
        if self.missing(key, required=required):
            return ""
        text = _cell_text(self.get(key))
        if len(text) > max_length:
            self.add(key, "too_long", max=str(max_length), length=str(len(text)))
        return text

    # numbers ----------------------------------------------------------------------------------

    def _number(self, key: str, *, prefixes: Iterable[str], suffixes: Iterable[str]) -> Decimal | None:
        raw = self.get(key)
        number = parse_number(raw, prefixes=prefixes, suffixes=suffixes)
        if number is None:
            self.add(key, "not_a_number", value=_show(_cell_text(raw)))
        return number

    def optional_amount(self, key: str) -> Decimal | None:
        """A USD amount, 0..MAX_AMOUNT_USD, rounded to cents; ``None`` when empty or bad."""
        if self.missing(key, required=False):
            return None
        number = self._number(key, prefixes=_AMOUNT_PREFIXES, suffixes=_AMOUNT_SUFFIXES)
        if number is None:
            return None
        if number < 0:
            self.add(key, "negative", value=_show(_plain(number)))
            return None
        if number > MAX_AMOUNT_USD:
            self.add(key, "too_large", max=_plain(MAX_AMOUNT_USD))
            return None
        return _cents(number)

    def amount(self, key: str) -> Decimal:
        """A required USD amount (see :meth:`optional_amount`)."""
        if self.missing(key, required=True):
            return Decimal(0)
        number = self.optional_amount(key)
        return Decimal(0) if number is None else number

    def percent(self, key: str) -> Decimal | None:
        """An optional percentage, 0..100, rounded to 2 decimal places."""
        if self.missing(key, required=False):
            return None
        number = self._number(key, prefixes=(), suffixes=_PERCENT_SUFFIXES)
        if number is None:
            return None
        if not MIN_PERCENT <= number <= MAX_PERCENT:
            self.add(key, "out_of_range", min=_plain(MIN_PERCENT), max=_plain(MAX_PERCENT))
            return None
        return _cents(number)

    # time -------------------------------------------------------------------------------------

    def day(self, key: str) -> date:
        """A required day, not after ``ctx.today``."""
        if self.missing(key, required=True):
            return date.min
        raw = self.get(key)
        day = coerce_date(raw if isinstance(raw, date) else _cell_text(raw))
        if day is None:
            self.add(key, "bad_date", value=_show(_cell_text(raw)))
            return date.min
        if day > self.ctx.today:
            self.add(key, "future_date", value=day.isoformat(), today=self.ctx.today.isoformat())
        return day

    def period(self, key: str) -> str:
        """A required ``'YYYY-MM'`` period, not after the month of ``ctx.today``.

        See :func:`~exportwatch.core.periods.coerce_period` for the accepted spellings; a whole
        ``float`` such as ``202403.0`` is read as the integer ``202403``.
        """
        if self.missing(key, required=True):
            return ""
        raw = self.get(key)
        whole = _whole_number(raw)
        period = coerce_period(raw if whole is None else whole)
        if period is None:
            self.add(key, "bad_period", value=_show(_cell_text(raw)))
            return ""
        current = period_of(self.ctx.today)
        if period > current:
            self.add(key, "future_period", value=period, current=current)
        return period

    # choices ----------------------------------------------------------------------------------

    def choice(self, key: str, choices: Sequence[str], aliases: Mapping[str, str] | None = None) -> str:
        """A required choice, matched ignoring case, with ``-`` or blanks read as ``_``."""
        if self.missing(key, required=True):
            return ""
        text = _cell_text(self.get(key))
        folded = _fold(text)
        value = _choice_lookup(tuple(choices), aliases).get(folded)
        if value is None:
            self.add(key, "bad_choice", value=_show(text), choices=", ".join(choices))
            return ""
        return value

    # codes ------------------------------------------------------------------------------------

    def uscc(self, key: str, *, registered: bool) -> str:
        """A required USCC; with ``registered``, it must also be in ``ctx.enterprises``."""
        if self.missing(key, required=True):
            return ""
        value = codes.normalize_uscc(_code_text(self.get(key)))
        problem = codes.uscc_problem(value)
        if problem == "uscc_length":
            self.add(key, problem, length=str(len(value)))
        elif problem == "uscc_charset":
            bad = sorted({ch for ch in value if ch not in codes.USCC_ALPHABET})
            self.add(key, problem, chars=" ".join(bad))
        elif problem == "uscc_check":
            self.add(key, problem, expected=codes.uscc_check_char(value[:17]))
        elif problem is not None:  # pragma: no cover - codes.uscc_problem has no other codes
            self.add(key, problem)
        elif registered and value not in self.ctx.enterprises:
            self.add(key, "unknown_enterprise", value=value)
        return value

    def customs_code(self, key: str) -> str:
        value = re.sub(r"\s+", "", _code_text(self.get(key))).upper()
        if codes.customs_code_problem(value) is not None:
            self.add(key, "customs_code_format", value=_show(value))
        return value

    def market(self, key: str, *, required: bool) -> str:
        if self.missing(key, required=required):
            return ""
        value = _code_text(self.get(key)).upper()
        if codes.iso2_problem(value) is not None:
            self.add(key, "market_format", value=_show(value))
        elif value not in self.ctx.markets:
            self.add(key, "unknown_market", value=value)
        return value

    def hs(self, key: str, *, required: bool) -> str:
        """An HS code of 2, 4 or 6 digits; dots and blanks are dropped (``"8471.30"``).

        A spreadsheet number loses leading zeros (``0101`` -> ``101``), so a whole number (``int``
        or ``float``) with an odd number of digits gets one ``0`` back in front.
        """
        if self.missing(key, required=required):
            return ""
        raw = self.get(key)
        value = re.sub(r"[\s.]+", "", _code_text(raw))
        from_number = (isinstance(raw, int) and not isinstance(raw, bool)) or (
            isinstance(raw, float) and raw.is_integer()
        )
        if from_number and len(value) % 2 == 1:
            value = "0" + value
        if codes.hs_problem(value) is not None:
            self.add(key, "hs_format", value=_show(value))
        elif value not in self.ctx.hs_codes and codes.hs_chapter(value) not in self.ctx.hs_codes:
            self.add(key, "unknown_hs", value=value)
        return value

    def town(self, key: str) -> str:
        """A required town, given by code or name, returned as its code."""
        if self.missing(key, required=True):
            return ""
        text = _cell_text(self.get(key))
        found = _resolve(text, self.ctx.towns.keys())
        if found is None:
            self.add(key, "unknown_town", value=_show(text))
            return ""
        return self.ctx.towns[found]

    def industry(self, key: str) -> str:
        if self.missing(key, required=True):
            return ""
        text = _cell_text(self.get(key))
        found = _resolve(text, self.ctx.industries)
        if found is None:
            self.add(key, "unknown_industry", value=_show(text))
            return ""
        return found

    def segments(self, key: str) -> tuple[str, ...]:
        """Optional segment codes separated by ``;`` or ``,`` (ASCII or full width) or ``、``.

        Duplicates are dropped; the order is kept.
        """
        found: list[str] = []
        for item in _LIST_SEPARATORS_RE.split(_cell_text(self.get(key))):
            text = item.strip()
            if not text:
                continue
            segment = _resolve(text, self.ctx.segments)
            if segment is None:
                self.add(key, "unknown_segment", value=_show(text))
            elif segment not in found:
                found.append(segment)
        return tuple(found)


# --- Clean functions -------------------------------------------------------------------------


def clean_enterprise(raw: Mapping[str, object], *, ctx: Context) -> tuple[EnterpriseIn | None, list[Problem]]:
    """Check and normalise one enterprise registry record (columns ``ENTERPRISE_COLUMNS``).

    The USCC need not be registered yet (this record registers it). The town may be given by
    code or name and is returned as its code.

    Returns:
        ``(record, [])`` when the record is valid, else ``(None, problems)`` with every problem.
    """
    r = _Record(raw, ctx)
    uscc = r.uscc("uscc", registered=False)
    name = r.text("name", max_length=MAX_NAME_LENGTH, required=True)
    customs_code = r.customs_code("customs_code")
    town = r.town("town")
    industry = r.industry("industry")
    exports = r.amount("exports_last_year_usd")
    imports = r.amount("imports_last_year_usd")
    contact_name = r.text("contact_name", max_length=MAX_CONTACT_NAME_LENGTH)
    contact_phone = r.text("contact_phone", max_length=MAX_PHONE_LENGTH)
    segments = r.segments("segments")
    if r.problems:
        return None, r.problems
    return (
        EnterpriseIn(
            uscc=uscc,
            name=name,
            customs_code=customs_code,
            town=town,
            industry=industry,
            exports_last_year_usd=exports,
            imports_last_year_usd=imports,
            contact_name=contact_name,
            contact_phone=contact_phone,
            segments=segments,
        ),
        [],
    )


def clean_report(raw: Mapping[str, object], *, ctx: Context) -> tuple[ReportIn | None, list[Problem]]:
    """Check and normalise one monthly report (columns ``REPORT_COLUMNS``).

    Besides each field's own rules, the part of the backlog due within 3 months cannot exceed
    the backlog: ``backlog_due_3m_usd <= backlog_usd``, else ``due_exceeds_backlog`` on
    ``backlog_due_3m_usd``.

    Returns:
        ``(record, [])`` when the record is valid, else ``(None, problems)`` with every problem.
    """
    fast = _clean_report_fast(raw, ctx)
    if fast is not None:
        return fast, []
    return _clean_report_general(raw, ctx)


def _clean_report_fast(raw: Mapping[str, object], ctx: Context) -> ReportIn | None:
    """A report of plain text cells with codes seen before, without the general path (None: take it).

    For every record it accepts, the result equals what :func:`clean_report` computes the long way.
    """
    get = raw.get
    texts = (get("exports_usd"), get("new_orders_usd"), get("backlog_usd"), get("backlog_due_3m_usd"))
    match = _PLAIN_AMOUNT.fullmatch
    amounts = []
    for text in texts:
        if type(text) is not str or not match(text):
            return None
        amounts.append(Decimal(text).quantize(CENT))
    if amounts[3] > amounts[2]:
        return None
    capacity_text = get("capacity_utilization_pct")
    capacity: Decimal | None = None
    if capacity_text is not None and capacity_text != "":
        if type(capacity_text) is not str or not _PLAIN_PERCENT.fullmatch(capacity_text):
            return None
        capacity = Decimal(capacity_text).quantize(CENT)
        if capacity > MAX_PERCENT:
            return None
    choices = _choice_lookup(TRENDS, TREND_ALIASES)
    trend_text, outlook_text = get("new_orders_trend"), get("outlook_3m")
    if type(trend_text) is not str or type(outlook_text) is not str:
        return None
    trend, outlook = choices.get(_fold(trend_text)), choices.get(_fold(outlook_text))
    if trend is None or outlook is None or not trend_text.strip() or not outlook_text.strip():
        return None
    uscc_raw, period_raw = get("uscc"), get("period")
    if type(uscc_raw) is not str or type(period_raw) is not str:
        return None
    who = ctx.memo.get(("up", uscc_raw, period_raw), _MISSING)
    if who is _MISSING:
        uscc = _memo_field(ctx, "uscc", uscc_raw)
        period = _memo_field(ctx, "period", period_raw)
        who = ctx.memo[("up", uscc_raw, period_raw)] = (uscc, period) if uscc and period else None
    if not isinstance(who, tuple):
        return None
    return ReportIn(who[0], who[1], amounts[0], amounts[1], amounts[2], amounts[3], capacity, trend, outlook)


def _clean_report_general(raw: Mapping[str, object], ctx: Context) -> tuple[ReportIn | None, list[Problem]]:
    r = _Record(raw, ctx)
    uscc = r.uscc("uscc", registered=True)
    period = r.period("period")
    exports = r.amount("exports_usd")
    new_orders = r.amount("new_orders_usd")
    backlog = r.amount("backlog_usd")
    due_3m = r.amount("backlog_due_3m_usd")
    capacity = r.percent("capacity_utilization_pct")
    trend = r.choice("new_orders_trend", TRENDS, TREND_ALIASES)
    outlook = r.choice("outlook_3m", TRENDS, TREND_ALIASES)
    if r.ok("backlog_usd", "backlog_due_3m_usd") and due_3m > backlog:
        r.add("backlog_due_3m_usd", "due_exceeds_backlog", due=_money(due_3m), backlog=_money(backlog))
    if r.problems:
        return None, r.problems
    return (
        ReportIn(
            uscc=uscc,
            period=period,
            exports_usd=exports,
            new_orders_usd=new_orders,
            backlog_usd=backlog,
            backlog_due_3m_usd=due_3m,
            capacity_utilization_pct=capacity,
            new_orders_trend=trend,
            outlook_3m=outlook,
        ),
        [],
    )


_PLAIN_AMOUNT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?")
_PLAIN_PERCENT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?")
_LINE_GETTER = operator.itemgetter(*LINE_COLUMNS)
_MISSING = object()


def trend_code(text: str) -> str | None:
    """The code (``up``, ``same`` or ``down``) of an answer typed in a report's trend or outlook column, exactly as
    :func:`clean_report` reads it (English, Chinese or the code itself); None when it needs the full rules."""
    if not text.strip():
        return None
    return _choice_lookup(TRENDS, TREND_ALIASES).get(_fold(text))


def memo_code(ctx: Context, method: str, value: str) -> str | None:
    """The normalised value of one code field (``uscc``, ``period``, ``market``, ``hs``) under the rules of a
    line, or None when it has a problem; checked once per distinct value and context."""
    return _memo_field(ctx, method, value)


def _memo_field(ctx: Context, method: str, value: str) -> str | None:
    """The normalised value of one code field, checked once per distinct value; None when it has a problem."""
    key = (method, value)
    found = ctx.memo.get(key, _MISSING)
    if found is _MISSING:
        r = _Record({"v": value}, ctx)
        if method == "uscc":
            result: str | None = r.uscc("v", registered=True)
        elif method == "period":
            result = r.period("v")
        elif method == "market":
            result = r.market("v", required=True)
        else:
            result = r.hs("v", required=True)
        found = None if r.problems else result
        ctx.memo[key] = found
    return found if isinstance(found, str) else None


def _clean_line_fast(raw: Mapping[str, object], ctx: Context) -> LineIn | None:
    """The common case of a bulk import (plain text cells, valid codes seen before) without the general path.

    Returns None whenever the general path is needed; for every record it accepts, the result equals
    what :func:`clean_line` computes the long way.
    """
    try:
        uscc_raw, period_raw, market_raw, hs_raw, backlog, new_orders, exports = _LINE_GETTER(raw)
    except KeyError:
        return None
    if not (type(backlog) is str and type(new_orders) is str and type(exports) is str):
        return None
    match = _PLAIN_AMOUNT.fullmatch
    if not (match(backlog) and match(new_orders) and match(exports)):
        return None
    memo = ctx.memo
    who = memo.get(("up", uscc_raw, period_raw), _MISSING)
    if who is _MISSING:
        if type(uscc_raw) is not str or type(period_raw) is not str:
            return None
        uscc = _memo_field(ctx, "uscc", uscc_raw)
        period = _memo_field(ctx, "period", period_raw)
        who = memo[("up", uscc_raw, period_raw)] = (uscc, period) if uscc and period else None
    what = memo.get(("mh", market_raw, hs_raw), _MISSING)
    if what is _MISSING:
        if type(market_raw) is not str or type(hs_raw) is not str:
            return None
        market = _memo_field(ctx, "market", market_raw)
        hs = _memo_field(ctx, "hs", hs_raw)
        what = memo[("mh", market_raw, hs_raw)] = (market, hs) if market and hs else None
    if not isinstance(who, tuple) or not isinstance(what, tuple):
        return None
    q = CENT
    return LineIn(
        who[0],
        who[1],
        what[0],
        what[1],
        Decimal(backlog).quantize(q),
        Decimal(new_orders).quantize(q),
        Decimal(exports).quantize(q),
    )


def line_row_fast(raw: Mapping[str, object], *, ctx: Context) -> tuple[str, str, str, str, str, str, str] | None:
    """A line already checked in this context, as (uscc, period, market, hs, backlog, new orders, exports).

    The codes come normalised from the context's memo and the amounts as the plain decimal text they were
    typed as (a database stores that text as the number). For the bulk importer's second pass over rows it
    has checked; None when the row needs :func:`clean_line`.
    """
    try:
        uscc_raw, period_raw, market_raw, hs_raw, backlog, new_orders, exports = _LINE_GETTER(raw)
    except KeyError:
        return None
    memo = ctx.memo
    who = memo.get(("up", uscc_raw, period_raw))
    what = memo.get(("mh", market_raw, hs_raw))
    if not isinstance(who, tuple) or not isinstance(what, tuple):
        return None
    if not (type(backlog) is str and type(new_orders) is str and type(exports) is str):
        return None
    match = _PLAIN_AMOUNT.fullmatch
    if not (match(backlog) and match(new_orders) and match(exports)):
        return None
    return who[0], who[1], what[0], what[1], backlog, new_orders, exports


def clean_line(raw: Mapping[str, object], *, ctx: Context) -> tuple[LineIn | None, list[Problem]]:
    """Check and normalise one report line by market and HS code (columns ``LINE_COLUMNS``).

    Returns:
        ``(record, [])`` when the record is valid, else ``(None, problems)`` with every problem.
    """
    fast = _clean_line_fast(raw, ctx)
    if fast is not None:
        return fast, []
    return _clean_line_general(raw, ctx)


def _clean_line_general(raw: Mapping[str, object], ctx: Context) -> tuple[LineIn | None, list[Problem]]:
    r = _Record(raw, ctx)
    uscc = r.uscc("uscc", registered=True)
    period = r.period("period")
    market = r.market("market", required=True)
    hs = r.hs("hs", required=True)
    backlog = r.amount("backlog_usd")
    new_orders = r.amount("new_orders_usd")
    exports = r.amount("exports_usd")
    if r.problems:
        return None, r.problems
    return (
        LineIn(
            uscc=uscc,
            period=period,
            market=market,
            hs=hs,
            backlog_usd=backlog,
            new_orders_usd=new_orders,
            exports_usd=exports,
        ),
        [],
    )


def clean_disruption(raw: Mapping[str, object], *, ctx: Context) -> tuple[DisruptionIn | None, list[Problem]]:
    """Check and normalise one disruption event (columns ``DISRUPTION_COLUMNS``).

    ``amount_usd``, ``market``, ``hs`` and ``note`` are optional.

    Returns:
        ``(record, [])`` when the record is valid, else ``(None, problems)`` with every problem.
    """
    r = _Record(raw, ctx)
    uscc = r.uscc("uscc", registered=True)
    day = r.day("date")
    kind = r.choice("kind", DISRUPTION_KINDS, DISRUPTION_KIND_ALIASES)
    amount = r.optional_amount("amount_usd")
    market = r.market("market", required=False)
    hs = r.hs("hs", required=False)
    note = r.text("note", max_length=MAX_TEXT_LENGTH)
    if r.problems:
        return None, r.problems
    return (
        DisruptionIn(uscc=uscc, date=day, kind=kind, amount_usd=amount, market=market, hs=hs, note=note),
        [],
    )


def clean_need(raw: Mapping[str, object], *, ctx: Context) -> tuple[NeedIn | None, list[Problem]]:
    """Check and normalise one request for help (columns ``NEED_COLUMNS``).

    ``amount_usd`` is optional.

    Returns:
        ``(record, [])`` when the record is valid, else ``(None, problems)`` with every problem.
    """
    r = _Record(raw, ctx)
    uscc = r.uscc("uscc", registered=True)
    day = r.day("date")
    category = r.choice("category", NEED_CATEGORIES, NEED_CATEGORY_ALIASES)
    amount = r.optional_amount("amount_usd")
    urgency = r.choice("urgency", URGENCIES, URGENCY_ALIASES)
    description = r.text("description", max_length=MAX_TEXT_LENGTH, required=True)
    if r.problems:
        return None, r.problems
    return (
        NeedIn(
            uscc=uscc,
            date=day,
            category=category,
            amount_usd=amount,
            urgency=urgency,
            description=description,
        ),
        [],
    )


# --- Cross-record rules ----------------------------------------------------------------------

LINE_AMOUNT_COLUMNS = ("backlog_usd", "new_orders_usd", "exports_usd")


def check_report_lines(report: ReportIn, lines: Sequence[LineIn]) -> list[Problem]:
    """Check the lines of one report against each other and against the report's totals.

    Rules:
        * Each ``(market, hs)`` pair appears at most once: ``duplicate_line`` on ``market`` with
          params ``market``, ``hs`` and ``count`` (one problem per repeated pair).
        * For each of ``backlog_usd``, ``new_orders_usd`` and ``exports_usd``:
          ``sum(line amounts) <= report amount``, else ``lines_exceed_total`` on that column with
          params ``column``, ``lines`` (the sum) and ``total`` (USD). Lines may add up to less,
          since not every market or product must be broken down.

    Args:
        report: A clean report.
        lines: Clean lines of the same enterprise and period.

    Returns:
        The problems, in the order above; empty when the lines are consistent.

    Raises:
        ValueError: when a line belongs to another enterprise or period (a caller's mistake).
    """
    for line in lines:
        if (line.uscc, line.period) != (report.uscc, report.period):
            raise ValueError(
                f"line of {line.uscc} {line.period} checked against report of {report.uscc} {report.period}"
            )
    tally = LineTally()
    for line in lines:
        tally.add(line)
    return tally.problems(report)


class LineTally:
    """What the cross-record rules need to know about a report's lines, gathered one line at a time.

    A bulk import streams lines without keeping them; this keeps the sums per amount column, how often each
    (market, hs) pair came, and an order-independent digest of the lines (to tell an unchanged set of lines
    from a changed one without storing it).
    """

    __slots__ = ("counts", "digest", "n", "sums")

    def __init__(self) -> None:
        self.sums: dict[str, Decimal] = {key: Decimal(0) for key in LINE_AMOUNT_COLUMNS}
        self.counts: dict[tuple[str, str], int] = {}
        self.digest = 0
        self.n = 0

    @classmethod
    def of_sums(cls, sums: Mapping[str, Decimal], n: int) -> LineTally:
        """A tally known only by its sums and count (lines checked elsewhere to be free of repeated pairs)."""
        tally = cls.__new__(cls)  # the sums given, not zeros first: bulk imports make one per report
        tally.sums = {key: sums[key] for key in LINE_AMOUNT_COLUMNS}
        tally.counts = {}
        tally.digest = 0
        tally.n = n
        return tally

    def add(self, line: LineIn) -> None:
        self.n += 1
        pair = (line.market, line.hs)
        self.counts[pair] = self.counts.get(pair, 0) + 1
        for key in LINE_AMOUNT_COLUMNS:
            self.sums[key] += _line_amount(line, key)
        self.digest += line_digest(line)

    def problems(self, report: ReportIn) -> list[Problem]:
        """The rules of :func:`check_report_lines`, on the tallied lines."""
        problems: list[Problem] = []
        for (market, hs), count in self.counts.items():
            if count > 1:
                problems.append(
                    Problem(
                        field="market",
                        code="duplicate_line",
                        params=(("market", market), ("hs", hs), ("count", str(count))),
                    )
                )
        for key in LINE_AMOUNT_COLUMNS:
            lines_total = self.sums[key]
            report_total = _report_amount(report, key)
            if lines_total > report_total:
                problems.append(
                    Problem(
                        field=key,
                        code="lines_exceed_total",
                        params=(("column", key), ("lines", _money(lines_total)), ("total", _money(report_total))),
                    )
                )
        return problems


def line_digest(line: LineIn) -> int:
    """A digest of one line's market, HS code and amounts; summed over lines, it identifies the set.

    Python's own hash: equal amounts hash equally whatever their exponent (``1`` and ``1.00``), and it is
    stable within one process, which is all a comparison of two sets read in the same import needs.
    """
    return hash((line.market, line.hs, line.backlog_usd, line.new_orders_usd, line.exports_usd))


def _line_amount(line: LineIn, key: str) -> Decimal:
    amounts = {
        "backlog_usd": line.backlog_usd,
        "new_orders_usd": line.new_orders_usd,
        "exports_usd": line.exports_usd,
    }
    return amounts[key]


def _report_amount(report: ReportIn, key: str) -> Decimal:
    amounts = {
        "backlog_usd": report.backlog_usd,
        "new_orders_usd": report.new_orders_usd,
        "exports_usd": report.exports_usd,
    }
    return amounts[key]


# --- Customs exports -------------------------------------------------------------------------
# Actual exports from customs statistics, loaded by the bureau (DESIGN §5 ``customs_exports``) and
# reconciled with what enterprises report.

CUSTOMS_COLUMNS = ("uscc", "period", "market", "hs", "exports_usd")
CUSTOMS_REQUIRED = CUSTOMS_COLUMNS


@dataclass(frozen=True)
class CustomsExportIn:
    """A clean customs export record: what customs saw one enterprise ship to a market in a month; USD."""

    uscc: str
    period: str  # "YYYY-MM"
    market: str  # ISO 3166-1 alpha-2
    hs: str  # 2, 4 or 6 digits
    exports_usd: Decimal


def clean_customs_export(raw: Mapping[str, object], *, ctx: Context) -> tuple[CustomsExportIn | None, list[Problem]]:
    """Check and normalise one customs export record (columns ``CUSTOMS_COLUMNS``, all required).

    The rules are those of a report line: a valid USCC of a registered enterprise, a period not in the
    future, a known market and HS code, a non-negative amount.

    Returns:
        ``(record, [])`` when the record is valid, else ``(None, problems)`` with every problem.
    """
    r = _Record(raw, ctx)
    uscc = r.uscc("uscc", registered=True)
    period = r.period("period")
    market = r.market("market", required=True)
    hs = r.hs("hs", required=True)
    exports = r.amount("exports_usd")
    if r.problems:
        return None, r.problems
    return CustomsExportIn(uscc=uscc, period=period, market=market, hs=hs, exports_usd=exports), []
