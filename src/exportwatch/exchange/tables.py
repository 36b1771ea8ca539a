"""The DESIGN §5 tables as files: their columns, the Chinese headers the importer also accepts, and how a
table is recognised from a header row."""

from __future__ import annotations

import re
from dataclasses import dataclass

from exportwatch.core import records


@dataclass(frozen=True)
class Table:
    key: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    # Columns an export adds (computed, not reported): accepted in a re-imported file and ignored.
    derived: tuple[str, ...] = ()


TABLES: dict[str, Table] = {
    "enterprises": Table(
        "enterprises",
        records.ENTERPRISE_COLUMNS,
        records.ENTERPRISE_REQUIRED,
        derived=("head_enterprise", "whitelist_eligible"),
    ),
    "reports": Table("reports", records.REPORT_COLUMNS, records.REPORT_REQUIRED),
    "report_lines": Table("report_lines", records.LINE_COLUMNS, records.LINE_REQUIRED),
    "disruptions": Table("disruptions", records.DISRUPTION_COLUMNS, records.DISRUPTION_REQUIRED),
    "needs": Table("needs", records.NEED_COLUMNS, records.NEED_REQUIRED),
    "customs_exports": Table("customs_exports", records.CUSTOMS_COLUMNS, records.CUSTOMS_REQUIRED),
}

# Chinese headers, as a clerk would write them, for each stable column key.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "信用代码", "社会信用代码"),
    "name": ("企业名称", "名称"),
    "customs_code": ("海关编码", "海关注册编码"),
    "town": ("镇街", "所属镇街", "镇（街道）"),
    "industry": ("行业代码", "所属行业", "行业"),
    "exports_last_year_usd": ("上年出口额（美元）", "上年出口额"),
    "imports_last_year_usd": ("上年进口额（美元）", "上年进口额"),
    "contact_name": ("联系人",),
    "contact_phone": ("联系电话", "手机"),
    "segments": ("企业标签", "分类标签"),
    "head_enterprise": ("头部企业",),
    "whitelist_eligible": ("白名单候选", "金融帮扶白名单候选"),
    "period": ("月份", "报告期", "所属月份"),
    "exports_usd": (
        "当月出口额（美元）",
        "出口额（美元）",
        "出口额",
        "海关出口额（美元）",
        "海关出口额",
        "海关统计出口额（美元）",
        "海关统计出口额",
    ),
    "new_orders_usd": ("当月新增订单（美元）", "新增订单（美元）", "新增订单"),
    "backlog_usd": ("在手订单（美元）", "在手订单", "在手订单（美元）合计", "在手订单合计", "在手订单（美元）总额"),
    "backlog_due_3m_usd": (
        "三个月内交货在手订单（美元）",
        "三个月内在手订单",
        "在手订单（美元）其中三个月内交货",
        "在手订单其中三个月内交货",
        "在手订单（美元）三个月内交货",
        "在手订单三个月内交货",
    ),
    "capacity_utilization_pct": ("产能利用率（%）", "产能利用率"),
    "new_orders_trend": ("新订单较上月", "新订单趋势"),
    "outlook_3m": ("未来三个月出口预期", "出口预期"),
    "market": ("市场", "国家（地区）代码", "国别代码"),
    "hs": ("HS编码", "商品编码"),
    "date": ("日期", "发生日期"),
    "kind": ("事件类型", "类型"),
    "amount_usd": ("涉及金额（美元）", "金额（美元）", "金额"),
    "note": ("说明", "备注"),
    "category": ("需求类别", "类别"),
    "urgency": ("紧急程度",),
    "description": ("问题描述", "描述"),
}

_ALIAS_TO_KEY = {alias: key for key, aliases in HEADER_ALIASES.items() for alias in aliases}
_KEYS = frozenset(c for t in TABLES.values() for c in (*t.columns, *t.derived))
_UNIT = re.compile(r"（(?:万)?(?:美元|USD|usd)）")


def normalise_header(cell: str) -> str:
    """Map a header cell (a key in any case, or a Chinese header) to its column key; unknown stays as typed."""
    text = (cell or "").strip().lstrip("\ufeff").strip()
    lowered = text.lower()
    if lowered in {c for t in TABLES.values() for c in t.columns}:
        return lowered
    compact = re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）").replace("：", "").replace(":", "")
    for candidate in (
        compact,
        compact.replace("万美元", "美元"),
        _UNIT.sub("", compact),
        _UNIT.sub("（美元）", compact),
    ):
        if candidate in _ALIAS_TO_KEY:
            return _ALIAS_TO_KEY[candidate]
        if candidate.lower() in _KEYS:
            return candidate.lower()
    return text


def recognise(keys: list[str]) -> Table | None:
    """The table whose required columns are all present and which explains the most header cells."""
    best: tuple[int, Table] | None = None
    present = set(keys)
    for table in TABLES.values():
        if not set(table.required) <= present:
            continue
        score = len(present & set(table.columns))
        if best is None or score > best[0]:
            best = (score, table)
    return best[1] if best else None


def closest_table(keys: list[str]) -> Table | None:
    """For an unrecognised header: the table it most resembles, to say which columns are missing."""
    present = set(keys)
    scored = sorted(((len(present & set(t.columns)), t) for t in TABLES.values()), key=lambda pair: -pair[0])
    return scored[0][1] if scored and scored[0][0] > 0 else None
