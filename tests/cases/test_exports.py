"""The ``cases`` export contract: ``exportwatch export cases [-o FILE]`` and the bureau's web download."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from exportwatch.cases.models import Case
from exportwatch.cases.services import case_transition
from exportwatch.common import clock
from exportwatch.exchange.xlsx import table_columns
from tests.cases.conftest import CST, accepted, dispatched, new_case
from tests.conftest import World

COLUMNS = [
    "id",
    "uscc",
    "category",
    "status",
    "lead_department",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "due_at",
    "breached",
    "rating",
]


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


def export(tmp_path: Path, *args: str) -> list[dict[str, str]]:
    out = tmp_path / "cases.csv"
    call_command("export_data", "cases", *args, "-o", str(out))
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def book(routed: World) -> dict[str, Case]:
    """Three cases built step by step at known instants:

    * ``late``: filed Wed 1 April 10:00, accepted Tue 7 April 09:00 (after its 2-working-day first response limit,
      Qingming 4-6 April being a holiday), replied 8 April 16:00 and confirmed with a 4 on 9 April;
    * ``silent``: filed 20 March 10:00 and never answered: past both limits by the demo date;
    * ``fresh``: filed 14 April 10:00, waiting to be taken in, within its limits.
    """
    w = routed
    with clock.replaying(at(2020, 4, 1, 10)):
        late = new_case(w, description="迟到的签收")
    with clock.replaying(at(2020, 4, 1, 11)):
        dispatched(w, late)
    with clock.replaying(at(2020, 4, 7, 9)):
        case_transition(late, "accepted", actor=w.handler)
    with clock.replaying(at(2020, 4, 8, 16)):
        case_transition(late, "replied", actor=w.handler, note="已放款")
    with clock.replaying(at(2020, 4, 9, 10, 30)):
        case_transition(late, "confirmed", actor=w.reporter, rating=4, note="满意")
    with clock.replaying(at(2020, 3, 20, 10)):
        silent = new_case(w, enterprise=w.ent_c, by=w.other_reporter, description="没人理")
    with clock.replaying(at(2020, 4, 14, 10)):
        fresh = new_case(w, enterprise=w.ent_b, by=w.town_officer, description="刚提交")
    return {"late": late, "silent": silent, "fresh": fresh}


def test_it_has_exactly_the_contract_columns(routed: World, tmp_path: Path) -> None:
    assert export(tmp_path) == []


def test_a_case_answered_late_and_rated_shows_its_times_lateness_and_rating(
    book: dict[str, Case], routed: World, tmp_path: Path
) -> None:
    rows = {int(r["id"]): r for r in export(tmp_path)}

    assert rows[book["late"].pk] == {
        "id": str(book["late"].pk),
        "uscc": routed.ent_a.uscc,
        "category": "financing",
        "status": "confirmed",
        "lead_department": routed.handler.department_id,
        "opened_at": "2020-04-01T10:00:00+08:00",
        "first_response_at": "2020-04-07T09:00:00+08:00",
        "resolved_at": "2020-04-08T16:00:00+08:00",
        "due_at": "",  # answered: no clock runs
        "breached": "true",  # the first response came after 2020-04-03 10:00
        "rating": "4",
    }


def test_a_case_never_answered_is_breached_and_due_in_the_past(
    book: dict[str, Case], routed: World, tmp_path: Path
) -> None:
    row = next(r for r in export(tmp_path) if int(r["id"]) == book["silent"].pk)

    assert (row["status"], row["lead_department"], row["first_response_at"], row["resolved_at"]) == (
        "submitted",
        "",
        "",
        "",
    )
    assert row["due_at"] == "2020-03-24T10:00:00+08:00"  # two working days after Friday 20 March 10:00
    assert (row["breached"], row["rating"]) == ("true", "")
    assert Case.objects.get(pk=book["silent"].pk).escalated_at is not None  # the export read the clocks first


def test_a_fresh_case_is_within_its_limits(book: dict[str, Case], routed: World, tmp_path: Path) -> None:
    row = next(r for r in export(tmp_path) if int(r["id"]) == book["fresh"].pk)

    assert (row["status"], row["opened_at"], row["due_at"], row["breached"]) == (
        "submitted",
        "2020-04-14T10:00:00+08:00",
        "2020-04-16T10:00:00+08:00",
        "false",
    )


def test_a_reopened_case_is_no_longer_resolved_nor_rated(routed: World, tmp_path: Path) -> None:
    case = accepted(routed, new_case(routed, description="没解决"))
    case_transition(case, "replied", actor=routed.handler, note="已答复")
    case_transition(case, "confirmed", actor=routed.reporter, rating=2)
    case_transition(case, "reopened", actor=routed.analyst, note="回访发现未解决")

    (row,) = export(tmp_path)

    assert (row["status"], row["resolved_at"], row["rating"]) == ("reopened", "", "")
    assert row["first_response_at"] and row["due_at"]


def test_the_period_keeps_the_cases_filed_in_that_month(book: dict[str, Case], tmp_path: Path) -> None:
    assert {int(r["id"]) for r in export(tmp_path, "--period", "2020-03")} == {book["silent"].pk}
    assert {int(r["id"]) for r in export(tmp_path, "--period", "2020-04")} == {book["late"].pk, book["fresh"].pk}


def test_rows_come_oldest_case_first(book: dict[str, Case], tmp_path: Path) -> None:
    got = [int(r["id"]) for r in export(tmp_path)]

    # "silent" was filed on 20 March but created after "late" (1 April): filing time orders, not the number.
    assert got == [book["silent"].pk, book["late"].pk, book["fresh"].pk]


def test_the_spreadsheet_headers_are_chinese(db: None) -> None:
    headers = dict(table_columns("cases", language="zh-hans"))

    assert (
        headers["id"] == "案件编号" and headers["lead_department"] == "牵头单位" and headers["breached"] == "是否超时"
    )
    assert headers["uscc"] == "统一社会信用代码"


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def download_ids(user: Any) -> set[int]:
    response = logged_in(user).get("/export/cases.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return {int(r["id"]) for r in csv.DictReader(io.StringIO(body))}


def test_the_web_download_holds_the_users_scope(book: dict[str, Case], routed: World) -> None:
    assert download_ids(routed.analyst) == {c.pk for c in book.values()}
    assert download_ids(routed.town_officer) == {book["late"].pk, book["fresh"].pk}
    assert download_ids(routed.outsider) == set()


@pytest.mark.parametrize("persona", ["reporter", "handler"])
def test_enterprises_and_departments_cannot_download_it(book: dict[str, Case], routed: World, persona: str) -> None:
    assert logged_in(getattr(routed, persona)).get("/export/cases.csv").status_code == 404
