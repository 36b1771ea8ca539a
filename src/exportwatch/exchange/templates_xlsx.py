"""Excel templates for the DESIGN §5 tables, written with xlsxwriter into memory.

Three templates share one writer:

* ``template_enterprise``: one enterprise and one month. A ``reports`` row prefilled with its credit code and the
  month, a ``report_lines`` sheet prefilled with last period's market x HS lines (amounts empty), last period's
  figures on a separate sheet "参考：上期数据" (never in the data columns, so an unchanged template cannot
  re-submit old figures), and the registry facts in a title row above the header.
* ``template_town``: one ``reports`` row per enterprise of a town (its name as a cell comment and on the sheet
  "企业名单"), and an empty ``report_lines`` sheet whose credit-code cells drop down the town's codes.
* ``template_blank``: one empty sheet per table, for the bureau.

Every data sheet carries the Chinese header (the unit, 美元 or 万美元, on every amount column) with the stable
column keys on the row beneath it, which is exactly what the importer (``grid.py``) recognises; the data starts
on the next row. Drop-down lists point at defined names over a hidden ``_codes`` sheet: openpyxl keeps such
validations, whereas lists pointing straight at another sheet are stored by Excel in an extension openpyxl drops
(STACK.md). Code cells are formatted as text so that Excel keeps ``2020-03`` and ``0101`` as typed. The prefilled
credit code and month are locked; the sheet protection has no password, so "撤销工作表保护" works.

Other sheets (说明, 参考, 企业名单, 代码表) must never look like a table to the importer, which scans the first
``HEADER_SCAN_ROWS`` rows of every sheet for a header: text written there passes through ``_inert``.

The workbook is Chinese whatever the user's language (generated documents are in Chinese, DESIGN §11).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import xlsxwriter
from django.utils import translation

from exportwatch.core import records
from exportwatch.core.codes import parse_period, uscc_check_char
from exportwatch.directory.models import Enterprise, HSCode, Industry, Market, Region, Segment
from exportwatch.exchange.grid import HEADER_SCAN_ROWS
from exportwatch.exchange.tables import TABLES, normalise_header
from exportwatch.exchange.xlsx import header_text
from exportwatch.reporting.models import DisruptionKind, NeedCategory, Report, ReportLine, Urgency
from exportwatch.reporting.selectors import lines_to_prefill

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNITS = ("usd", "wan")
TEN_THOUSAND = Decimal(10_000)
BLANK_ROWS = 200  # formatted empty rows of a blank table
EXTRA_LINE_ROWS = 50  # empty line rows after the prefilled ones in an enterprise template
CHINESE = "zh-hans"

INSTRUCTIONS_SHEET = "说明"
REFERENCE_SHEET = "参考：上期数据"
ROSTER_SHEET = "企业名单"
CODE_TABLE_SHEET = "代码表"
CODES_SHEET = "_codes"

TABLE_TITLES = {
    "enterprises": "企业名录",
    "reports": "月度订单报表",
    "report_lines": "订单结构（按市场和商品）",
    "disruptions": "订单受阻事件",
    "needs": "问题清单（需求）",
    "customs_exports": "海关出口数据",
}

TEXT_COLUMNS = frozenset(
    {
        "uscc",
        "name",
        "customs_code",
        "town",
        "industry",
        "contact_name",
        "contact_phone",
        "segments",
        "period",
        "new_orders_trend",
        "outlook_3m",
        "market",
        "hs",
        "kind",
        "note",
        "category",
        "urgency",
        "description",
    }
)
WIDTHS = {
    "uscc": 22,
    "name": 30,
    "customs_code": 13,
    "town": 12,
    "industry": 9,
    "contact_name": 10,
    "contact_phone": 15,
    "segments": 24,
    "period": 10,
    "market": 9,
    "hs": 10,
    "date": 12,
    "kind": 18,
    "note": 36,
    "category": 20,
    "urgency": 10,
    "description": 48,
    "capacity_utilization_pct": 12,
    "new_orders_trend": 12,
    "outlook_3m": 14,
}

# What each column means, in the words of DESIGN §5 (the 说明 sheet).
MEANINGS = {
    "uscc": "企业的18位统一社会信用代码",
    "name": "企业登记的全称",
    "customs_code": "海关注册编码（10位），没有可不填",
    "town": "企业所属镇（街道）",
    "industry": "国民经济行业分类（GB/T 4754-2017）大类代码",
    "exports_last_year_usd": "上一年度出口总额",
    "imports_last_year_usd": "上一年度进口总额",
    "contact_name": "负责填报的联系人",
    "contact_phone": "联系人的手机或电话",
    "segments": "企业分类标签，可不填",
    "period": "报表所属月份",
    "exports_usd": "本月实际出运的出口金额",
    "new_orders_usd": "本月新签的出口订单金额",
    "backlog_usd": "月末已签约、尚未出运的出口订单金额",
    "backlog_due_3m_usd": "在手订单中三个月内交货的部分，不能大于在手订单",
    "capacity_utilization_pct": "本月产能利用率，可不填",
    "new_orders_trend": "本月新订单与上月相比",
    "outlook_3m": "对未来三个月出口的预期",
    "market": "出口目的国家或地区",
    "hs": "出口商品的HS编码",
    "date": "事件发生或提出需求的日期",
    "kind": "订单受阻事件的类型",
    "amount_usd": "涉及的金额，可不填",
    "note": "补充说明，可不填",
    "category": "需要帮助解决的问题类别",
    "urgency": "紧急程度",
    "description": "具体问题和希望得到的帮助",
}

_EXAMPLE_USCC = "91330213MA0000001" + uscc_check_char("91330213MA0000001")
EXAMPLES: dict[str, str] = {
    "uscc": _EXAMPLE_USCC,
    "name": "宁波某某进出口有限公司",
    "customs_code": "3302960001",
    "town": "330213001",
    "industry": "34",
    "contact_name": "张三",
    "contact_phone": "13800000000",
    "segments": "canton_fair;us_exporter",
    "period": "2020-03",
    "capacity_utilization_pct": "75",
    "new_orders_trend": "减少",
    "outlook_3m": "持平",
    "market": "US",
    "hs": "84",
    "date": "2020-03-15",
    "kind": "shipment_delayed",
    "note": "买方要求推迟一个月发货",
    "category": "financing",
    "urgency": "high",
    "description": "需要短期流动资金贷款",
}
EXAMPLE_AMOUNTS_USD = {
    "exports_last_year_usd": 12_000_000,
    "imports_last_year_usd": 500_000,
    "exports_usd": 1_000_000,
    "new_orders_usd": 800_000,
    "backlog_usd": 3_000_000,
    "backlog_due_3m_usd": 2_000_000,
    "amount_usd": 200_000,
}
# Up/same/down in the words a clerk uses; the core reads them as aliases of up/same/down.
TREND_WORDS = ("增加", "持平", "减少")
assert all(records.TREND_ALIASES[w] == t for w, t in zip(TREND_WORDS, records.TRENDS, strict=True))

AMOUNT_COLUMNS = frozenset(k for t in TABLES.values() for k in t.columns if k.endswith("_usd"))
_ALL_KEYS = frozenset(k for t in TABLES.values() for k in t.columns)


# --- Reference lists ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeList:
    """A drop-down list: its defined name, its values (what goes into a cell) and their Chinese meaning."""

    name: str
    values: tuple[str, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Codes:
    lists: Mapping[str, CodeList]  # by defined name

    def get(self, name: str) -> CodeList | None:
        found = self.lists.get(name)
        return found if found is not None and found.values else None


def _named(model: Any, qs: Any = None) -> list[tuple[str, str]]:
    rows = (qs if qs is not None else model.objects.all()).order_by("code").values_list("code", "name")
    return [(c, n) for c, n in rows]


def _worded(keys: Sequence[str], aliases: Mapping[str, str], choices: Any) -> list[tuple[str, str]]:
    """(the first Chinese word for each key, its label)."""
    words: dict[str, str] = {}
    for word, key in aliases.items():
        words.setdefault(key, word)
    return [(words.get(k, k), str(choices(k).label)) for k in keys]


def _codes(*, towns: Iterable[Region] | None = None, usccs: Sequence[tuple[str, str]] = (), period: str = "") -> Codes:
    """The reference lists of a template, read from the registry; labels in Chinese."""
    # Drop-downs offer the Chinese words the importer reads (core.records *_ALIASES), not the stable keys.
    with translation.override(CHINESE):
        kinds = _worded(records.DISRUPTION_KINDS, records.DISRUPTION_KIND_ALIASES, DisruptionKind)
        categories = _worded(records.NEED_CATEGORIES, records.NEED_CATEGORY_ALIASES, NeedCategory)
        urgencies = _worded(records.URGENCIES, records.URGENCY_ALIASES, Urgency)
    town_rows = (
        [(t.code, t.name) for t in towns]
        if towns is not None
        else _named(Region, Region.objects.filter(level=Region.Level.TOWN))
    )
    pairs: dict[str, list[tuple[str, str]]] = {
        "markets": _named(Market),
        "hs_chapters": [(c, n) for c, n in _named(HSCode) if len(c) == 2],
        "disruption_kinds": kinds,
        "need_categories": categories,
        "urgencies": urgencies,
        "trends": [(w, w) for w in TREND_WORDS],
        "towns": town_rows,
        "industries": _named(Industry),
        "segments": _named(Segment),
        "enterprise_usccs": list(usccs),
        "report_periods": [(period, period)] if period else [],
    }
    return Codes(
        {
            name: CodeList(name, tuple(v for v, _l in rows), tuple(lbl for _v, lbl in rows))
            for name, rows in pairs.items()
        }
    )


# --- Columns --------------------------------------------------------------------------------------------------


def column_header(key: str, unit: str) -> str:
    """The Chinese header of a column, with the template's money unit on amounts (the importer scales 万美元)."""
    text = header_text(key, language=CHINESE)
    if key.endswith("_usd") and unit == "wan":
        text = text.replace("万美元", "美元").replace("美元", "万美元")
    return text


def unit_word(unit: str) -> str:
    return "万美元" if unit == "wan" else "美元"


def _column_unit(key: str, unit: str) -> str:
    if key.endswith("_usd"):
        return unit_word(unit)
    if key == "capacity_utilization_pct":
        return "%"
    return ""


def _allowed(key: str, codes: Codes) -> str:
    """The allowed values of a column, said once for the 说明 sheet and the cell's input message."""

    def listed(name: str) -> str:
        cl = codes.lists[name]
        return "；".join(v if v == lbl else f"{v}＝{lbl}" for v, lbl in zip(cl.values, cl.labels, strict=True))

    if key in ("kind",):
        return listed("disruption_kinds") + "（也可填英文代码：" + "、".join(records.DISRUPTION_KINDS) + "）"
    if key == "category":
        return listed("need_categories") + "（也可填英文代码：" + "、".join(records.NEED_CATEGORIES) + "）"
    if key == "urgency":
        return listed("urgencies") + "（也可填 " + "、".join(records.URGENCIES) + "）"
    if key in ("new_orders_trend", "outlook_3m"):
        return "、".join(TREND_WORDS) + "（也可填 up、same、down）"
    if key == "segments":
        return "多个标签用英文分号 ; 分隔：" + listed("segments")
    texts = {
        "uscc": "18位数字或大写字母，须为已登记企业",
        "customs_code": "10位，前4位为数字",
        "town": "镇街代码或中文名称，见「代码表」",
        "industry": "两位行业大类代码，见「代码表」",
        "period": "年-月，例如 2020-03（按文本填写）",
        "market": "ISO 3166-1 两位字母代码，见「代码表」，例如 US＝美国、DE＝德国",
        "hs": "2、4或6位数字；下拉列表为2位章节，见「代码表」",
        "date": "年-月-日，例如 2020-03-15",
        "capacity_utilization_pct": "0到100之间的数字",
        "name": f"不超过{records.MAX_NAME_LENGTH}字",
        "contact_name": f"不超过{records.MAX_CONTACT_NAME_LENGTH}字",
        "contact_phone": f"不超过{records.MAX_PHONE_LENGTH}个字符",
        "note": f"不超过{records.MAX_TEXT_LENGTH}字",
        "description": f"不超过{records.MAX_TEXT_LENGTH}字",
    }
    if key.endswith("_usd"):
        return "不小于0的数字，不要带单位或千分位逗号"
    return texts.get(key, "")


def _example(key: str, unit: str) -> str:
    if key in EXAMPLE_AMOUNTS_USD:
        amount = Decimal(EXAMPLE_AMOUNTS_USD[key])
        return _plain(amount / TEN_THOUSAND if unit == "wan" else amount)
    return EXAMPLES.get(key, "")


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _input_message(key: str, unit: str, codes: Codes) -> tuple[str, str]:
    """(title, message) of the help Excel shows when a cell of the column is selected (255 characters at most)."""
    title = column_header(key, unit)[:32]
    if key.endswith("_usd"):
        if unit == "wan":
            text = "单位：万美元。例如 12.5 表示 125,000 美元。填不小于0的数字，不要带单位。"
        else:
            text = "单位：美元。填不小于0的数字，不要带单位或逗号，例如 1000000。"
    elif key in ("kind", "category", "urgency"):
        text = "请从下拉列表选择：" + _allowed(key, codes)
    elif key == "market":
        text = "请从下拉列表选择两位国家（地区）代码，例如 US＝美国，完整对照见「代码表」。"
    else:
        text = _allowed(key, codes)
    return title, text[:255]


# --- The workbook ---------------------------------------------------------------------------------------------


@dataclass
class SheetPlan:
    """One data sheet: a table's columns, the rows written into it and how it is guarded."""

    table: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    rows: list[dict[str, object]] = field(default_factory=list)  # prefilled values, by column key
    extra_rows: int = BLANK_ROWS  # empty, formatted rows after the prefilled ones
    locked: frozenset[str] = frozenset()  # columns locked in the prefilled rows
    protect: bool = False
    title: str = ""  # a title row above the header
    list_for: Mapping[str, str] = field(default_factory=dict)  # column key -> defined name of its drop-down
    comments: Mapping[int, str] = field(default_factory=dict)  # prefilled row index -> comment on its uscc cell


def _default_lists() -> dict[str, str]:
    return {
        "market": "markets",
        "hs": "hs_chapters",
        "kind": "disruption_kinds",
        "category": "need_categories",
        "urgency": "urgencies",
        "new_orders_trend": "trends",
        "outlook_3m": "trends",
        "town": "towns",
        "industry": "industries",
    }


def _inert(text: str) -> str:
    """Text for a sheet that is not a table: never read by the importer as one of its column headers."""
    return text if normalise_header(text) not in _ALL_KEYS else f"{text}（参考）"


class _Book:
    def __init__(self, *, unit: str, codes: Codes) -> None:
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
        self.unit = unit
        self.codes = codes
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(
            self.buffer,
            {
                "in_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self.book.set_properties({"title": "外贸订单监测填报模板", "author": "ExportWatch", "company": "ExportWatch"})
        self._formats: dict[tuple[object, ...], Any] = {}
        self.fmt_title = self.book.add_format({"bold": True, "font_size": 12, "font_color": "#1F3864"})
        self.fmt_note = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.fmt_unit = self.book.add_format({"bold": True, "font_size": 13, "font_color": "#C00000"})
        base = {"bold": True, "text_wrap": True, "valign": "vcenter", "border": 1}
        self.fmt_header = self.book.add_format({**base, "bg_color": "#DDEBF7"})
        self.fmt_header_required = self.book.add_format({**base, "bg_color": "#FCE4D6"})
        self.fmt_key = self.book.add_format({"font_color": "#808080", "font_size": 9, "bg_color": "#F2F2F2"})
        self.fmt_ref_head = self.book.add_format({"bold": True, "bg_color": "#EDEDED", "border": 1, "text_wrap": True})
        self.fmt_ref = self.book.add_format({"num_format": "@"})
        self.fmt_ref_money = self.book.add_format({"num_format": self._money_format()})
        self.instructions = self.book.add_worksheet(INSTRUCTIONS_SHEET)  # first sheet, filled in at the end
        self.plans: list[SheetPlan] = []

    def _money_format(self) -> str:
        return "#,##0.00##" if self.unit == "wan" else "#,##0.00"

    def cell_format(self, key: str, *, locked: bool) -> Any:
        """A data cell's format: text for codes, the unit's number format for amounts, grey when locked."""
        cache_key = (key, locked)
        if cache_key not in self._formats:
            props: dict[str, object] = {"locked": locked}
            if key in TEXT_COLUMNS:
                props["num_format"] = "@"
            elif key.endswith("_usd"):
                props["num_format"] = self._money_format()
            elif key == "capacity_utilization_pct":
                props["num_format"] = "0.##"
            elif key == "date":
                props["num_format"] = "yyyy-mm-dd"
            if locked:
                props["bg_color"] = "#EDEDED"
                props["font_color"] = "#404040"
            if key in ("note", "description"):
                props["text_wrap"] = True
            self._formats[cache_key] = self.book.add_format(props)
        return self._formats[cache_key]

    # data sheets -------------------------------------------------------------------------------------------

    def data_sheet(self, plan: SheetPlan) -> Any:
        self.plans.append(plan)
        ws = self.book.add_worksheet(plan.table)
        header = 1 if plan.title else 0
        first = header + 2  # first data row (0-based)
        n_rows = len(plan.rows) + plan.extra_rows
        last = first + max(n_rows, 1) - 1
        if plan.title:
            ws.set_row(0, 24)
            if len(plan.columns) > 1:
                ws.merge_range(0, 0, 0, len(plan.columns) - 1, plan.title, self.fmt_title)
            else:
                ws.write_string(0, 0, plan.title, self.fmt_title)
        ws.set_row(header, 36)
        for c, key in enumerate(plan.columns):
            text = column_header(key, self.unit)
            # The header wraps; wide enough for about half of it on one line.
            shown = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
            width = max(float(WIDTHS.get(key, 16 if key.endswith("_usd") else 12)), min(shown * 0.6 + 2, 30.0))
            ws.set_column(c, c, width)
            fmt = self.fmt_header_required if key in plan.required else self.fmt_header
            ws.write_string(header, c, text, fmt)
            ws.write_string(header + 1, c, key, self.fmt_key)
        for i, values in enumerate(plan.rows):
            r = first + i
            for c, key in enumerate(plan.columns):
                self._write(ws, r, c, key, values.get(key), locked=key in plan.locked)
            if i in plan.comments and "uscc" in plan.columns:
                ws.write_comment(
                    r, plan.columns.index("uscc"), plan.comments[i], {"author": "ExportWatch", "x_scale": 1.6}
                )
        for r in range(first + len(plan.rows), first + n_rows):
            for c, key in enumerate(plan.columns):
                ws.write_blank(r, c, None, self.cell_format(key, locked=False))
        for c, key in enumerate(plan.columns):
            self._validate(ws, first, last, c, key, plan)
        ws.freeze_panes(first, 0)
        if plan.protect:
            ws.protect(
                "",
                {
                    "select_locked_cells": True,
                    "select_unlocked_cells": True,
                    "format_columns": True,
                    "format_rows": True,
                },
            )
        return ws

    def _write(self, ws: Any, r: int, c: int, key: str, value: object, *, locked: bool) -> None:
        fmt = self.cell_format(key, locked=locked)
        if value is None or value == "":
            ws.write_blank(r, c, None, fmt)
        elif isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            ws.write_number(r, c, float(value), fmt)
        elif isinstance(value, dt.date):
            ws.write_datetime(r, c, value, fmt)
        else:
            ws.write_string(r, c, str(value), fmt)

    def _validate(self, ws: Any, first: int, last: int, c: int, key: str, plan: SheetPlan) -> None:
        title, message = _input_message(key, self.unit, self.codes)
        options: dict[str, object] = {"input_title": title, "input_message": message}
        list_name = plan.list_for.get(key)
        code_list = self.codes.get(list_name) if list_name else None
        if code_list is not None:
            options.update({"validate": "list", "source": f"={code_list.name}"})
            if key in ("hs", "town", "industry"):
                # The list offers the usual values; a 4- or 6-digit HS code or a town's name is also right.
                options.update({"error_type": "information", "error_message": message[:255]})
            else:
                options.update(
                    {"error_title": "请从下拉列表选择", "error_message": ("只能填写下拉列表中的值。" + message)[:255]}
                )
        elif key.endswith("_usd"):
            options.update(
                {
                    "validate": "decimal",
                    "criteria": ">=",
                    "value": 0,
                    "error_title": "请填写不小于0的数字",
                    "error_message": message,
                }
            )
        elif key == "capacity_utilization_pct":
            options.update(
                {
                    "validate": "decimal",
                    "criteria": "between",
                    "minimum": 0,
                    "maximum": 100,
                    "error_title": "请填写0到100之间的数字",
                    "error_message": message,
                }
            )
        elif key == "uscc":
            options.update(
                {
                    "validate": "length",
                    "criteria": "==",
                    "value": 18,
                    "error_title": "统一社会信用代码应为18位",
                    "error_message": message,
                }
            )
        elif key == "customs_code":
            options.update({"validate": "length", "criteria": "==", "value": 10, "error_message": message})
        elif key == "date":
            options.update(
                {
                    "validate": "date",
                    "criteria": "between",
                    "minimum": dt.date(2000, 1, 1),
                    "maximum": dt.date(2099, 12, 31),
                    "error_type": "warning",
                    "error_message": message,
                }
            )
        elif key in ("note", "description", "name", "contact_name", "contact_phone"):
            limit = {
                "name": records.MAX_NAME_LENGTH,
                "contact_name": records.MAX_CONTACT_NAME_LENGTH,
                "contact_phone": records.MAX_PHONE_LENGTH,
            }.get(key, records.MAX_TEXT_LENGTH)
            options.update({"validate": "length", "criteria": "<=", "value": limit, "error_message": message})
        else:
            options["validate"] = "any"
        ws.data_validation(first, c, last, c, options)

    # other sheets ------------------------------------------------------------------------------------------

    def reference_sheet(self, name: str, title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Any:
        """A sheet for reading only, which the importer never takes for a table."""
        ws = self.book.add_worksheet(name)
        ws.set_column(0, 0, 30)
        ws.set_column(1, 6, 20)
        ws.write_string(0, 0, _inert(title), self.fmt_title)
        for c, text in enumerate(header):
            ws.write_string(2, c, _inert(text), self.fmt_ref_head)
        for r, row in enumerate(rows, start=3):
            for c, value in enumerate(row):
                if isinstance(value, Decimal | int | float):
                    ws.write_number(r, c, float(value), self.fmt_ref_money)
                elif value not in (None, ""):
                    text = str(value)
                    ws.write_string(r, c, _inert(text) if r < HEADER_SCAN_ROWS else text, self.fmt_ref)
        ws.freeze_panes(3, 0)
        return ws

    def code_table(self) -> None:
        """The visible table of codes and their Chinese names, side by side, one list per pair of columns."""
        ws = self.book.add_worksheet(CODE_TABLE_SHEET)
        ws.write_string(0, 0, "代码表：下拉列表中的代码及其含义（仅供查阅，不会被导入）", self.fmt_title)
        shown = [
            ("markets", "国家（地区）代码", "国家（地区）中文名"),
            ("hs_chapters", "HS章节", "章节中文名"),
            ("disruption_kinds", "受阻事件代码", "受阻事件含义"),
            ("need_categories", "需求类别代码", "需求类别含义"),
            ("urgencies", "紧急程度代码", "紧急程度含义"),
            ("towns", "镇街代码", "镇街中文名"),
            ("industries", "行业大类代码", "行业中文名"),
            ("segments", "企业标签代码", "企业标签含义"),
        ]
        col = 0
        for name, code_head, label_head in shown:
            cl = self.codes.get(name)
            if cl is None:
                continue
            ws.write_string(2, col, _inert(code_head), self.fmt_ref_head)
            ws.write_string(2, col + 1, _inert(label_head), self.fmt_ref_head)
            ws.set_column(col, col, 12, self.fmt_ref)
            ws.set_column(col + 1, col + 1, 22)
            for r, (value, label) in enumerate(zip(cl.values, cl.labels, strict=True), start=3):
                ws.write_string(r, col, value)
                ws.write_string(r, col + 1, _inert(label) if r < HEADER_SCAN_ROWS else label)
            col += 3
        ws.freeze_panes(3, 0)

    def hidden_codes(self) -> None:
        """The hidden sheet behind every drop-down: one list per column, each under a defined name."""
        ws = self.book.add_worksheet(CODES_SHEET)
        col = 0
        for cl in self.codes.lists.values():
            if not cl.values:
                continue
            for r, value in enumerate(cl.values):
                ws.write_string(r, col, value, self.fmt_ref)
            letter = xlsxwriter.utility.xl_col_to_name(col)
            self.book.define_name(cl.name, f"='{CODES_SHEET}'!${letter}$1:${letter}${len(cl.values)}")
            col += 1
        ws.hide()

    def write_instructions(self, intro: Sequence[str]) -> None:
        """The 说明 sheet: how to fill in the workbook, then every column of every data sheet."""
        ws = self.instructions
        ws.set_column(0, 0, 16)
        ws.set_column(1, 1, 30)
        ws.set_column(2, 2, 34)
        ws.set_column(3, 3, 6)
        ws.set_column(4, 4, 8)
        ws.set_column(5, 5, 60)
        ws.set_column(6, 6, 22)
        ws.write_string(0, 0, _inert("外贸订单监测 填报说明"), self.fmt_title)
        ws.write_string(1, 0, _inert(f"金额单位：{unit_word(self.unit)}（所有金额列均按此单位填写）"), self.fmt_unit)
        r = 3
        for line in intro:
            ws.write_string(r, 0, _inert(line) if r < HEADER_SCAN_ROWS else line)
            r += 1
        # The column list below repeats the headers of the data sheets; it starts below the rows the importer scans.
        r = max(r + 1, HEADER_SCAN_ROWS + 1)
        head = ("工作表", "表头（第1行）", "含义", "必填", "单位", "可填写的值 / 格式", "示例")
        for plan in self.plans:
            ws.write_string(r, 0, f"工作表「{plan.table}」：{TABLE_TITLES.get(plan.table, plan.table)}", self.fmt_title)
            r += 1
            for c, text in enumerate(head):
                ws.write_string(r, c, text, self.fmt_ref_head)
            r += 1
            for key in plan.columns:
                cells = (
                    f"{plan.table}",
                    f"{column_header(key, self.unit)}\n键（第2行）：{key}",
                    MEANINGS.get(key, ""),
                    "是" if key in plan.required else "否",
                    _column_unit(key, self.unit),
                    _allowed(key, self.codes),
                    _example(key, self.unit),
                )
                for c, text in enumerate(cells):
                    ws.write_string(r, c, text, self.fmt_note)
                r += 1
            r += 1
        ws.activate()

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def _intro(unit: str, extra: Sequence[str] = ()) -> list[str]:
    wan = unit == "wan"
    lines = [
        "1. 每个数据工作表第1行为中文表头，第2行（灰色小字）为系统识别用的键，请勿修改或删除这两行；从第3行起填写数据"
        "（有标题行的工作表顺延一行）。",
        "2. 橙色表头为必填列，蓝色表头为选填列。每列的含义、可填写的值和示例见本页下方。",
        f"3. 所有金额均以{unit_word(unit)}为单位，只填数字，不要带单位或千分位逗号"
        + ("；例如 12.5 表示 125,000 美元，系统导入时自动换算为美元。" if wan else "。"),
        "4. 月份按“年-月”文本填写，例如 2020-03；代码列（信用代码、月份、市场、HS编码）已设为文本格式，请勿改为数字或日期。",
        "5. 市场、HS章节、事件类型、需求类别、紧急程度、新订单较上月、出口预期等列可从下拉列表选择，代码含义见「代码表」。",
        "6. 灰色单元格（预填的信用代码和月份）已锁定；如确需修改，可点击“审阅 → 撤销工作表保护”（无密码）。",
        "7. 「说明」「代码表」「参考」「企业名单」等工作表只供查阅，导入时不会读取。",
        "8. 填好后在系统“数据导入”页面上传本文件；如有错误，系统会逐一列出工作表、行、列和原因，整份文件不会写入一半。",
    ]
    return [*lines, *extra]


def _check(period: str, unit: str) -> None:
    if parse_period(period) is None:
        raise ValueError(f"period must be YYYY-MM, not {period!r}")
    _check_unit(unit)


def _check_unit(unit: str) -> None:
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")


def _in_unit(amount: Decimal | None, unit: str) -> Decimal | None:
    if amount is None:
        return None
    return Decimal(amount) / TEN_THOUSAND if unit == "wan" else Decimal(amount)


def _trend_word(value: str) -> str:
    return dict(zip(records.TRENDS, TREND_WORDS, strict=True)).get(value, value)


# --- Public API -----------------------------------------------------------------------------------------------


def template_enterprise(*, enterprise: Enterprise, period: str, unit: str = "usd") -> bytes:
    """The monthly template of one enterprise: its report row and last period's market x HS lines, amounts empty.

    Last period's figures are shown on the sheet "参考：上期数据" only, so an unchanged template imports with
    "required" problems and never re-submits them.
    """
    _check(period, unit)
    codes = _codes(usccs=[(enterprise.uscc, enterprise.name)], period=period)
    book = _Book(unit=unit, codes=codes)
    town = enterprise.town.name
    industry = f"{enterprise.industry_id} {enterprise.industry.name}"
    title = (
        f"{enterprise.name}｜信用代码 {enterprise.uscc}｜镇街：{town}｜行业：{industry}｜报告期：{period}"
        f"｜金额单位：{unit_word(unit)}"
    )
    report_cols = TABLES["reports"].columns
    book.data_sheet(
        SheetPlan(
            table="reports",
            columns=report_cols,
            required=TABLES["reports"].required,
            rows=[{"uscc": enterprise.uscc, "period": period}],
            extra_rows=0,
            locked=frozenset({"uscc", "period"}),
            protect=True,
            title=title,
            list_for=_default_lists(),
            comments={0: enterprise.name},
        )
    )
    previous_lines = lines_to_prefill(enterprise=enterprise, period=period)
    line_cols = TABLES["report_lines"].columns
    book.data_sheet(
        SheetPlan(
            table="report_lines",
            columns=line_cols,
            required=TABLES["report_lines"].required,
            rows=[
                {"uscc": enterprise.uscc, "period": period, "market": ln.market_id, "hs": ln.hs}
                for ln in previous_lines
            ],
            extra_rows=EXTRA_LINE_ROWS,
            locked=frozenset({"uscc", "period"}),
            protect=True,
            title=title,
            list_for={**_default_lists(), "uscc": "enterprise_usccs", "period": "report_periods"},
        )
    )
    _previous_sheet(book, enterprise=enterprise, period=period, unit=unit, lines=previous_lines)
    book.code_table()
    book.hidden_codes()
    book.write_instructions(
        _intro(
            unit,
            (
                f"9. 本模板为 {enterprise.name}（{enterprise.uscc}）{period} 月报。「report_lines」已按上期填报的市场和"
                "商品预填，请填写本期金额；本期没有业务的请填 0，新增的市场或商品填在下面的空行（信用代码和月份可从下拉"
                "列表选择）。上期数据见「参考：上期数据」。",
            ),
        )
    )
    return book.close()


def _previous_sheet(
    book: _Book, *, enterprise: Enterprise, period: str, unit: str, lines: Sequence[ReportLine]
) -> None:
    # The report ``lines`` (from lines_to_prefill) belong to: the latest current one before ``period``.
    previous = (
        Report.objects.filter(enterprise=enterprise, is_current=True, period__lt=period).order_by("-period").first()
    )
    word = unit_word(unit)
    rows: list[Sequence[object]] = []
    if previous is None:
        title = f"参考：{enterprise.name} 在 {period} 之前没有已报数据。本表仅供查阅，不会被导入。"
    else:
        title = f"参考：{enterprise.name} 上期（{previous.period}）已报数据，仅供查阅，不会被导入。金额单位：{word}"
        rows.append(["上期订单情况", "上期数值"])
        for key in ("exports_usd", "new_orders_usd", "backlog_usd", "backlog_due_3m_usd"):
            rows.append([f"上期{column_header(key, unit)}", _in_unit(getattr(previous, key), unit)])
        capacity = previous.capacity_utilization_pct
        rows.append(["上期产能利用率（%）", capacity if capacity is not None else ""])
        rows.append(["上期新订单较上月", _trend_word(previous.new_orders_trend)])
        rows.append(["上期未来三个月出口预期", _trend_word(previous.outlook_3m)])
        rows.append([])
        rows.append([f"上期订单结构（金额单位：{word}）"])
        rows.append(
            [
                "上期市场代码",
                "上期市场名称",
                "上期HS编码",
                f"上期在手订单（{word}）",
                f"上期新增订单（{word}）",
                f"上期出口额（{word}）",
            ]
        )
        for ln in lines:
            rows.append(
                [
                    ln.market_id,
                    ln.market.name,
                    ln.hs,
                    _in_unit(ln.backlog_usd, unit),
                    _in_unit(ln.new_orders_usd, unit),
                    _in_unit(ln.exports_usd, unit),
                ]
            )
    book.reference_sheet(REFERENCE_SHEET, title, (), rows)


def template_town(*, town: Region, enterprises: Iterable[Enterprise], period: str, unit: str = "usd") -> bytes:
    """The monthly template of a town: one report row per enterprise (credit code and month locked), empty lines.

    ``enterprises`` are those the caller may report for (already scoped).
    """
    _check(period, unit)
    ents = sorted(enterprises, key=lambda e: (e.name, e.uscc))
    codes = _codes(usccs=[(e.uscc, e.name) for e in ents], period=period)
    book = _Book(unit=unit, codes=codes)
    title = f"{town.name}（{town.code}）{period} 外贸订单月报｜共 {len(ents)} 家企业｜金额单位：{unit_word(unit)}"
    book.data_sheet(
        SheetPlan(
            table="reports",
            columns=TABLES["reports"].columns,
            required=TABLES["reports"].required,
            rows=[{"uscc": e.uscc, "period": period} for e in ents],
            extra_rows=0,
            locked=frozenset({"uscc", "period"}),
            protect=True,
            title=title,
            list_for=_default_lists(),
            comments={i: e.name for i, e in enumerate(ents)},
        )
    )
    book.data_sheet(
        SheetPlan(
            table="report_lines",
            columns=TABLES["report_lines"].columns,
            required=TABLES["report_lines"].required,
            extra_rows=BLANK_ROWS,
            protect=True,
            title=title,
            list_for={**_default_lists(), "uscc": "enterprise_usccs", "period": "report_periods"},
        )
    )
    with translation.override(CHINESE):
        roster = [[e.uscc, e.name, f"{e.industry_id} {e.industry.name}", e.contact_name, e.contact_phone] for e in ents]
    book.reference_sheet(
        ROSTER_SHEET,
        f"{town.name} 企业名单（共 {len(ents)} 家，仅供查阅，不会被导入）",
        ("企业信用代码", "企业全称", "所属行业大类", "填报联系人", "联系人电话"),
        roster,
    )
    book.code_table()
    book.hidden_codes()
    book.write_instructions(
        _intro(
            unit,
            (
                f"9. 本模板为 {town.name} {period} 月报，「reports」每行一家企业（把鼠标移到信用代码上可看到企业名称，"
                "完整名单见「企业名单」）。未报送的企业可整行留空，导入时选择“只导入有效行”；也可撤销工作表保护后删除该行。",
                "10. 「report_lines」按企业、市场和HS编码填写订单结构，信用代码和月份可从下拉列表选择。",
            ),
        )
    )
    return book.close()


def template_blank(*, unit: str = "usd", towns: Iterable[Region] | None = None) -> bytes:
    """The bureau's blank template: one empty sheet per DESIGN §5 table, with drop-downs and a 说明 sheet."""
    _check_unit(unit)
    book = _Book(unit=unit, codes=_codes(towns=towns))
    # Only the tables the importer reads: a sheet it cannot recognise would make the whole file fail.
    for table in TABLES.values():
        book.data_sheet(
            SheetPlan(
                table=table.key,
                columns=table.columns,
                required=table.required,
                extra_rows=BLANK_ROWS,
                list_for=_default_lists(),
            )
        )
    book.code_table()
    book.hidden_codes()
    book.write_instructions(
        _intro(unit, ("9. 不需要的工作表可以删除；一个工作簿可同时包含多张表，系统按表头识别每个工作表。",))
    )
    return book.close()


# --- File names -----------------------------------------------------------------------------------------------


def filename_enterprise(enterprise: Enterprise, period: str, unit: str) -> str:
    return f"外贸订单填报模板_{enterprise.name}_{period}{_unit_suffix(unit)}.xlsx"


def filename_town(town: Region, period: str, unit: str) -> str:
    return f"外贸订单填报模板_{town.name}_{period}{_unit_suffix(unit)}.xlsx"


def filename_blank(unit: str) -> str:
    return f"外贸订单数据模板_空白{_unit_suffix(unit)}.xlsx"


def _unit_suffix(unit: str) -> str:
    return "_万美元" if unit == "wan" else ""


def content_disposition(filename: str, fallback: str) -> str:
    """``attachment`` with an ASCII fallback name and the real (Chinese) name per RFC 5987/6266."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
