"""A database that cannot answer gives a clear 503 (page in the user's language, or JSON in the API), never a
500 traceback, and leaves nothing half-written: a full disk (SQLite's ``max_page_count``), a lock held past the
timeout, and (PostgreSQL) a connection the server terminated between or during requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client

from exportwatch.accounts.models import ApiToken
from exportwatch.reporting import services
from exportwatch.reporting.models import Report, ReportLine
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)

PERIOD = "2020-03"
MARKETS = [
    "US",
    "DE",
    "JP",
    "GB",
    "FR",
    "IT",
    "NL",
    "KR",
    "VN",
    "AU",
    "CA",
    "MX",
    "BR",
    "IN",
    "RU",
    "SG",
    "MY",
    "TH",
    "ID",
    "PH",
    "ES",
    "BE",
    "PL",
    "SE",
    "CH",
    "AE",
    "SA",
    "TR",
    "ZA",
    "EG",
]
CHAPTERS = ("84", "85", "61", "62", "39")
LINES = 150  # enough rows that they cannot all fit into the free room of pages the database already has


def pair(i: int) -> tuple[str, str]:
    return MARKETS[i % len(MARKETS)], CHAPTERS[i // len(MARKETS)]


def report_payload(uscc: str, lines: int = LINES) -> dict[str, Any]:
    return {
        "uscc": uscc,
        "period": PERIOD,
        "exports_usd": 1_000_000,
        "new_orders_usd": 800_000,
        "backlog_usd": 5_000_000,
        "backlog_due_3m_usd": 3_000_000,
        "capacity_utilization_pct": 75,
        "new_orders_trend": "down",
        "outlook_3m": "same",
        "lines": [
            {
                "market": pair(i)[0],
                "hs": pair(i)[1],
                "backlog_usd": 1000,
                "new_orders_usd": 10,
                "exports_usd": 100,
            }
            for i in range(lines)
        ],
    }


def form_data(lines: int = LINES) -> dict[str, str]:
    data = {
        "base_version": "0",
        "action": "submit",
        "exports_usd": "1000000",
        "new_orders_usd": "800000",
        "backlog_usd": "5000000",
        "backlog_due_3m_usd": "3000000",
        "capacity_utilization_pct": "75",
        "new_orders_trend": "down",
        "outlook_3m": "same",
        "lines-TOTAL_FORMS": str(lines),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    for i in range(lines):
        data.update(
            {
                f"lines-{i}-market": pair(i)[0],
                f"lines-{i}-hs": pair(i)[1],
                f"lines-{i}-exports_usd": "100",
                f"lines-{i}-new_orders_usd": "10",
                f"lines-{i}-backlog_usd": "1000",
            }
        )
    return data


def api_post(user: Any, payload: dict[str, Any]) -> Any:
    _token, raw = ApiToken.objects.issue(user=user, name="faults")
    return Client().post(
        "/api/reports",
        json.dumps(payload),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"},
    )


def stored() -> tuple[int, int]:
    return Report.objects.count(), ReportLine.objects.count()


# --- Full disk (SQLite) ----------------------------------------------------------------------------------------


@pytest.fixture
def full_disk(world_tx: World) -> Iterator[None]:
    """The database may not grow by a single page: SQLite answers "database or disk is full"."""
    if connection.vendor != "sqlite":
        pytest.skip("simulated with SQLite's max_page_count")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM")  # no free page left inside the file to write into
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA max_page_count = 1073741823")


def test_a_full_disk_shows_the_reporter_a_503_page_in_their_language_and_saves_nothing(
    world_tx: World, full_disk: None
) -> None:
    client = Client(headers={"accept-language": "en"})
    client.force_login(world_tx.reporter)
    before = stored()

    response = client.post(f"/report/{world_tx.ent_a.uscc}/{PERIOD}/edit/", form_data())

    page = response.content.decode()
    assert response.status_code == 503
    assert '<html lang="en">' in page
    assert "The database is full" in page
    assert "What you sent was not saved." in page
    assert "Traceback" not in page
    assert stored() == before


def test_the_503_page_speaks_chinese_to_a_chinese_browser(world_tx: World, full_disk: None) -> None:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(world_tx.reporter)

    response = client.post(f"/report/{world_tx.ent_a.uscc}/{PERIOD}/edit/", form_data())

    assert response.status_code == 503
    assert '<html lang="zh-hans">' in response.content.decode()


def test_a_full_disk_gives_the_api_a_json_503_and_saves_nothing(world_tx: World, full_disk: None) -> None:
    before = stored()

    response = api_post(world_tx.reporter, report_payload(world_tx.ent_a.uscc))

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "database_full"
    assert body["detail"].startswith("The database is full.")
    assert body["detail"].endswith("Nothing of this request was saved.")
    assert stored() == before


def test_once_space_is_freed_the_same_submission_succeeds(world_tx: World, full_disk: None) -> None:
    assert api_post(world_tx.reporter, report_payload(world_tx.ent_a.uscc)).status_code == 503
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA max_page_count = 1073741823")

    response = api_post(world_tx.reporter, report_payload(world_tx.ent_a.uscc))

    assert response.status_code == 201, response.content
    assert stored() == (1, LINES)


# --- A lock held past the timeout ------------------------------------------------------------------------------


def test_a_database_locked_past_the_timeout_is_a_busy_503_with_retry_after(
    world_tx: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(**kwargs: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr("exportwatch.api.router.report_submit", locked)

    response = api_post(world_tx.reporter, report_payload(world_tx.ent_a.uscc))

    assert response.status_code == 503
    assert response.json()["code"] == "database_busy"
    assert response["Retry-After"] == "30"


# --- A dropped PostgreSQL connection ---------------------------------------------------------------------------


def _terminate(pid: int) -> None:
    """``pg_terminate_backend`` from a connection of its own, as an administrator or a failover would."""
    import psycopg

    s = connection.settings_dict
    params = {"host": s["HOST"], "port": s["PORT"], "user": s["USER"], "password": s["PASSWORD"]}
    with psycopg.connect(dbname=s["NAME"], autocommit=True, **{k: v for k, v in params.items() if v}) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


@pytest.fixture
def postgresql(world_tx: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL connections")


def test_a_connection_dropped_between_requests_gives_one_503_then_the_next_request_reconnects(
    world_tx: World, postgresql: None
) -> None:
    client = Client(headers={"accept-language": "en"})
    client.force_login(world_tx.analyst)
    assert client.get("/bureau/enterprises/").status_code == 200
    _terminate(_backend_pid())

    failed = client.get("/bureau/enterprises/")
    again = client.get("/bureau/enterprises/")

    assert failed.status_code == 503
    assert "The database is unavailable" in failed.content.decode()
    assert failed["Retry-After"] == "30"
    assert again.status_code == 200


def test_a_connection_dropped_during_a_submission_writes_nothing_and_the_retry_succeeds(
    world_tx: World, postgresql: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_audit = services.audit_record
    dropped: list[int] = []

    def audit_after_the_drop(*args: Any, **kwargs: Any) -> Any:
        if not dropped:  # the report and its lines are written; the transaction is open
            dropped.append(_backend_pid())
            _terminate(dropped[0])
        return real_audit(*args, **kwargs)

    monkeypatch.setattr(services, "audit_record", audit_after_the_drop)

    failed = api_post(world_tx.reporter, report_payload(world_tx.ent_a.uscc))
    counts_after_failure = stored()
    retried = api_post(world_tx.reporter, report_payload(world_tx.ent_a.uscc))

    assert dropped
    assert failed.status_code == 503
    assert failed.json()["code"] == "database_unavailable"
    assert counts_after_failure == (0, 0)
    assert retried.status_code == 201, retried.content
    assert stored() == (1, LINES)
