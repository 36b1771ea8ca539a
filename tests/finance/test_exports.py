"""``exportwatch export whitelist``: the contract's columns, refreshed from the data, with referrals and grants."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command

from exportwatch.exchange.exports import EXPORTABLES
from exportwatch.finance.services import referral_record_outcome
from tests.finance.conftest import World

pytestmark = pytest.mark.django_db

COLUMNS = ["uscc", "eligible", "reason", "approved", "priority", "products", "referred_to", "granted_usd"]


def exported() -> list[dict[str, str]]:
    out = io.StringIO()
    call_command("export_data", "whitelist", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == COLUMNS
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]]


def test_the_whitelist_export_is_registered_for_the_bureau_with_its_columns() -> None:
    table = EXPORTABLES["whitelist"]
    assert list(table.columns) == COLUMNS and table.bureau_only and table.refresh is not None


def test_the_export_refreshes_the_list_first(world: World) -> None:
    rows = exported()
    assert [r["uscc"] for r in rows] == sorted([world.ent_a.uscc, world.ent_b.uscc, world.ent_far.uscc])
    b = next(r for r in rows if r["uscc"] == world.ent_b.uscc)
    assert b["eligible"] == "true" and b["approved"] == "false" and b["priority"] == "normal"
    assert b["reason"].startswith("上年进出口额110万美元") and b["referred_to"] == "" and b["granted_usd"] == "0"


def test_the_export_holds_the_approval_referrals_and_granted_amounts(referred: Any) -> None:
    w, to_abc, _to_boc = referred
    referral_record_outcome(
        referral=to_abc, outcome="granted", granted_usd="650000.5", granted_on=dt.date(2020, 4, 15), actor=w.handler
    )
    rows = {r["uscc"]: r for r in exported()}
    a, b = rows[w.ent_a.uscc], rows[w.ent_b.uscc]
    assert a["approved"] == "true" and a["products"] == "credit_loan"
    assert a["referred_to"] == "abc" and a["granted_usd"] == "650000.5"
    assert b["referred_to"] == "boc" and b["granted_usd"] == "0"


def test_the_xlsx_export_has_chinese_headers_above_the_keys(listed: World, tmp_path: Any) -> None:
    target = tmp_path / "whitelist.xlsx"
    call_command("export_data", "whitelist", "--format", "xlsx", "-o", str(target), stdout=io.StringIO())
    sheet = openpyxl.load_workbook(target).worksheets[0]
    header, keys = (list(r) for r in sheet.iter_rows(max_row=2, values_only=True))
    assert keys == COLUMNS
    assert header[2] == "入选理由" and header[7] == "获批金额（美元）"
