"""``exportwatch indicators``: the CSV contract of the monitoring issue, on the hand-built book."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from exportwatch.monitoring.selectors import INDICATOR_COLUMNS
from tests.conftest import World


def run(*args: str) -> list[dict[str, str]]:
    out = io.StringIO()
    call_command("indicators", *args, stdout=out)
    reader = csv.DictReader(io.StringIO(out.getvalue()))
    assert tuple(reader.fieldnames or ()) == INDICATOR_COLUMNS
    return list(reader)


def test_district_row(book: World) -> None:
    (row,) = run("--period", "2020-03", "--by", "district")
    assert row["key"] == "all" and row["name"] == "全部企业"
    assert (row["enterprises"], row["exports_usd"], row["new_orders_usd"]) == ("3", "1500", "1400")
    assert row["exports_yoy"] == "0"
    assert row["new_orders_yoy"] == "-0.416667"  # 1,400 / 2,400 − 1
    assert row["coverage_months"] == "5.6"
    assert row["short_order_share"] == "0.875"  # 4,900 / 5,600
    assert row["di_new_orders"] == "33.333333"  # one up, two down
    assert row["balance_new_orders"] == "-33.333333"


def test_by_market_leaves_undefined_ratios_blank(book: World) -> None:
    rows = {r["key"]: r for r in run("--period", "2020-03", "--by", "market")}
    assert set(rows) == {"US", "DE", "JP"}
    assert rows["US"]["name"] == "美国"
    assert rows["US"]["backlog_due_3m_usd"] == ""  # lines do not split the backlog by due date
    assert rows["JP"]["new_orders_yoy"] == ""  # no JP line a year before
    assert rows["US"]["hhi_markets"] == "1"


def test_every_dimension_writes_a_file(book: World, tmp_path: Path) -> None:
    for by in ("district", "market", "market_group", "hs", "industry", "town", "tier"):
        target = tmp_path / f"{by}.csv"
        call_command("indicators", "--period", "2020-03", "--by", by, "-o", str(target), stderr=io.StringIO())
        assert target.read_text(encoding="utf-8").startswith("key,name,enterprises,")


def test_a_bad_month_is_refused(book: World) -> None:
    with pytest.raises(CommandError):
        call_command("indicators", "--period", "2020-3x", "--by", "town")
