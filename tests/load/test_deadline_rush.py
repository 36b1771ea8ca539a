"""The deadline rush, short: 40 enterprises and 8 concurrent clients against a real production server in its own
process, on a scratch database of the engine under test (a SQLite file, or a PostgreSQL database ``rush_<pid>``).
The 500-enterprise run is ``python -m benchmarks.deadline_rush`` in ``make bench``; the code is the same."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import quote

import pytest
from benchmarks.deadline_rush import TOTALS, Plan, Run, RushResult, Submission, compare, deadline_rush
from django.conf import settings

ENTERPRISES = 40
CLIENTS = 8


def _engine() -> str:
    return "postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite"


def _pg_admin_url() -> str:
    """The server the tests run on, its maintenance database (the scratch database is created from there)."""
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "postgres")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgresql://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/postgres"


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    yield deadline_rush(
        engine=_engine(), enterprises=ENTERPRISES, clients=CLIENTS, seed=7, pg_admin_url=_pg_admin_url()
    )


# --- the rush against the real server --------------------------------------------------------------------------


def test_every_enterprise_logs_in_and_submits(run: Run) -> None:
    assert run.result.logins == ENTERPRISES
    assert sorted(run.result.accepted) == sorted(uscc for uscc, _user in run.plan.enterprises)
    assert run.result.submissions > ENTERPRISES  # some corrected once or twice more
    assert run.result.failed_submissions == []
    assert run.result.unexpected == []


def test_no_submission_is_lost(run: Run) -> None:
    assert run.check.missing == []
    assert run.check.lost == []
    assert run.check.lines_wrong == []


def test_no_report_is_duplicated(run: Run) -> None:
    assert run.check.duplicated == []


def test_no_server_error_reaches_a_user(run: Run) -> None:
    assert run.result.server_errors == 0
    assert run.result.transport_errors == []
    assert set(run.result.statuses) <= {200, 302}
    assert run.server_log_errors == 0


def test_database_is_locked_never_reaches_a_user(run: Run) -> None:
    assert run.result.locked == 0
    assert run.server_log_locked == 0


def test_the_dashboard_totals_equal_the_sum_of_what_was_submitted(run: Run) -> None:
    expected = run.check.expected
    assert expected["enterprises"] == ENTERPRISES
    assert expected["exports_usd"] == sum(Decimal(s.figures["exports_usd"]) for s in run.result.last.values())
    assert run.check.dashboard == expected
    assert run.check.database == expected


# --- the check itself, on literals -----------------------------------------------------------------------------

USCC = "91330213MA2XXXXX0X"
FIRST = Submission(
    figures={
        "exports_usd": "100",
        "new_orders_usd": "200",
        "backlog_usd": "300",
        "backlog_due_3m_usd": "50",
        "capacity_utilization_pct": "80.5",
        "new_orders_trend": "up",
        "outlook_3m": "same",
    },
    lines=[["US", "85", "10", "20", "30"]],
)
SECOND = Submission(figures={**FIRST.figures, "exports_usd": "150"}, lines=[["US", "85", "10", "20", "40"]])


def _stored(sub: Submission, *, versions: list[int], current: int = 1) -> dict[str, object]:
    figures = {k: f"{v}.00" if k.endswith("_usd") else v for k, v in sub.figures.items()}
    lines = [[m, h, *(f"{a}.00" for a in amounts)] for m, h, *amounts in sub.lines]
    return {USCC: {"versions": versions, "current": current, "figures": figures, "lines": lines}}


def _after_two_submissions() -> tuple[Plan, RushResult]:
    result = RushResult(submissions=2, accepted={USCC: 2}, last={USCC: SECOND})
    return Plan(enterprises=[(USCC, "rush0000")], markets=["US"], hs=["85"]), result


def _shown(sub: Submission) -> dict[str, Decimal]:
    return {"enterprises": Decimal(1), **{k: Decimal(sub.figures[k]) for k in list(TOTALS)[1:]}}


def test_check_passes_when_the_last_submission_is_stored_once() -> None:
    plan, result = _after_two_submissions()
    checked = compare(plan, result, stored=_stored(SECOND, versions=[1, 2]), dashboard=_shown(SECOND))
    assert (checked.missing, checked.duplicated, checked.lost, checked.lines_wrong) == ([], [], [], [])
    assert checked.totals_equal


def test_check_finds_a_lost_correction() -> None:
    plan, result = _after_two_submissions()
    checked = compare(plan, result, stored=_stored(FIRST, versions=[1, 2]), dashboard=_shown(FIRST))
    assert checked.lost == [USCC]
    assert checked.lines_wrong == [USCC]
    assert not checked.totals_equal


def test_check_finds_a_missing_report() -> None:
    plan, result = _after_two_submissions()
    checked = compare(plan, result, stored={}, dashboard=_shown(SECOND))
    assert checked.missing == [USCC]
    assert checked.database["enterprises"] == 0


def test_check_finds_a_version_written_twice() -> None:
    plan, result = _after_two_submissions()
    checked = compare(plan, result, stored=_stored(SECOND, versions=[1, 2, 3]), dashboard=_shown(SECOND))
    assert checked.duplicated == [USCC]


def test_check_finds_two_current_reports() -> None:
    plan, result = _after_two_submissions()
    checked = compare(plan, result, stored=_stored(SECOND, versions=[1, 2], current=2), dashboard=_shown(SECOND))
    assert checked.duplicated == [USCC]


def test_check_finds_a_dashboard_that_missed_a_submission() -> None:
    plan, result = _after_two_submissions()
    checked = compare(plan, result, stored=_stored(SECOND, versions=[1, 2]), dashboard=_shown(FIRST))
    assert checked.dashboard["exports_usd"] == Decimal(100)
    assert not checked.totals_equal
