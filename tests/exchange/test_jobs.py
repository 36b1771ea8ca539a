"""Import jobs as restartable steps: claiming, running, progress, stale workers, failures and the worker command."""

from __future__ import annotations

import datetime as dt
import io
import threading
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from exportwatch.exchange import jobs
from exportwatch.exchange.jobs import (
    MAX_ATTEMPTS,
    handle_one_import,
    handle_one_stale,
    import_job_claim,
    import_job_create,
    import_job_run,
    worker_run,
)
from exportwatch.exchange.models import ImportJob
from exportwatch.reporting.models import Report
from tests.conftest import World

HEADER = (
    "uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,capacity_utilization_pct,"
    "new_orders_trend,outlook_3m\n"
)
ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def reports_csv(uscc: str, *periods: str, exports: str = "100000") -> bytes:
    rows = "".join(f"{uscc},{p},{exports},80000,500000,300000,75,down,same\n" for p in periods)
    return (HEADER + rows).encode()


def queued(world: World, data: bytes | None = None, **options: Any) -> ImportJob:
    return import_job_create(
        user=world.reporter,
        name="reports.csv",
        data=data if data is not None else reports_csv(world.ent_a.uscc, "2020-03"),
        **options,
    )


def running(job: ImportJob, *, worker: str = "w1", heartbeat_age: dt.timedelta = dt.timedelta(0)) -> None:
    assert import_job_claim(job_id=job.pk, worker=worker)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - heartbeat_age)


# --- Claiming ----------------------------------------------------------------------------------------------


def test_only_one_of_two_claims_on_a_job_wins(world: World) -> None:
    job = queued(world)

    first = import_job_claim(job_id=job.pk, worker="w1")
    second = import_job_claim(job_id=job.pk, worker="w2")

    assert (first, second) == (True, False)
    job.refresh_from_db()
    assert (job.state, job.claimed_by, job.attempts) == ("running", "w1", 1)
    assert job.claimed_at is not None and job.heartbeat_at is not None


def test_handle_one_import_is_false_when_the_queue_is_empty(world: World) -> None:
    assert handle_one_import(worker="w1") is False


def test_handle_one_import_runs_the_oldest_job_first(world: World) -> None:
    first = queued(world, reports_csv(world.ent_a.uscc, "2020-01"))
    second = queued(world, reports_csv(world.ent_a.uscc, "2020-02"))

    assert handle_one_import(worker="w1") is True

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("done", "queued")
    assert list(Report.objects.values_list("period", flat=True)) == ["2020-01"]


def test_a_job_claimed_meanwhile_is_left_to_its_worker(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    job = queued(world)
    real_claim = jobs.import_job_claim

    def claimed_first_by_another(*, job_id: int, worker: str) -> bool:
        real_claim(job_id=job_id, worker="other")
        return real_claim(job_id=job_id, worker=worker)

    monkeypatch.setattr(jobs, "import_job_claim", claimed_first_by_another)

    assert handle_one_import(worker="w1") is True  # the queue was not empty

    job.refresh_from_db()
    assert (job.state, job.claimed_by) == ("running", "other")
    assert not Report.objects.exists()


# --- Running -----------------------------------------------------------------------------------------------


def test_the_job_runs_within_the_owners_scope(world: World) -> None:
    job = queued(world, reports_csv(world.ent_c.uscc, "2020-03"))  # ent_c is not the reporter's

    handle_one_import(worker="w1")

    job.refresh_from_db()
    assert (job.state, job.status) == ("done", "problems")
    assert job.result["problems"][0]["column"] == "uscc"
    assert not Report.objects.exists()


def test_the_messages_are_in_the_language_of_the_upload(world: World) -> None:
    english = queued(world, reports_csv(world.ent_a.uscc, "2020-03", exports="12x4"), language="en")

    handle_one_import(worker="w1")

    english.refresh_from_db()
    assert "is not a number" in english.result["problems"][0]["message"]


def test_an_exception_marks_the_job_failed_and_keeps_the_file(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    job = queued(world)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs, "import_files", broken)

    assert handle_one_import(worker="w1") is True

    job.refresh_from_db()
    assert job.state == "failed"
    assert job.error == "RuntimeError: disk on fire"
    assert job.finished_at is not None
    assert bytes(job.file) == reports_csv(world.ent_a.uscc, "2020-03")
    assert jobs.import_job_actions(job) == ["retry"]


def test_a_failed_job_can_be_run_again_from_the_stored_file(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    job = queued(world)
    monkeypatch.setattr(jobs, "import_files", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("once")))
    handle_one_import(worker="w1")
    monkeypatch.undo()
    job.refresh_from_db()

    again = jobs.import_job_rerun(job=job, action="retry")
    handle_one_import(worker="w1")

    again.refresh_from_db()
    assert (again.state, again.status) == ("done", "imported")
    assert Report.objects.filter(enterprise=world.ent_a, period="2020-03").exists()


def test_only_the_worker_holding_the_claim_writes_the_end(world: World) -> None:
    job = queued(world)
    running(job, worker="w1", heartbeat_age=dt.timedelta(minutes=10))
    handle_one_stale()
    assert import_job_claim(job_id=job.pk, worker="w2")

    import_job_run(job_id=job.pk, worker="w1")  # the first worker was slow, not dead

    job.refresh_from_db()
    assert (job.state, job.claimed_by) == ("running", "w2")
    import_job_run(job_id=job.pk, worker="w2")
    job.refresh_from_db()
    assert (job.state, job.status) == ("done", "imported")
    assert Report.objects.filter(enterprise=world.ent_a, period="2020-03").count() == 1  # no duplicate


def test_problems_are_capped_in_the_result_and_counted_in_full(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "MAX_STORED_PROBLEMS", 2)
    job = queued(world, reports_csv(world.ent_a.uscc, "2020-01", "2020-02", "2020-03", exports="12x4"))

    handle_one_import(worker="w1")

    job.refresh_from_db()
    assert job.result["problem_count"] == 3
    assert len(job.result["problems"]) == 2


@override_settings(EXPORTWATCH_IMPORT_MAX_MB=1)
def test_a_job_is_not_created_for_a_file_over_the_limit(world: World) -> None:
    with pytest.raises(ValueError, match="EXPORTWATCH_IMPORT_MAX_MB"):
        queued(world, b"x" * (1024 * 1024 + 1))
    assert not ImportJob.objects.exists()


def test_the_stored_name_is_the_base_name_of_the_upload(world: World) -> None:
    job = import_job_create(user=world.reporter, name="C:\\Users\\王\\订单.csv", data=b"x")

    assert job.file_name == "订单.csv"


# --- Progress ----------------------------------------------------------------------------------------------


def test_progress_reaches_the_total(world: World) -> None:
    periods = [f"2019-{m:02d}" for m in range(1, 13)]
    job = queued(world, reports_csv(world.ent_a.uscc, *periods))

    handle_one_import(worker="w1")

    job.refresh_from_db()
    assert job.progress_total >= 12
    assert job.progress_done == job.progress_total
    assert job.percent == 100


def test_progress_is_written_at_most_twice_a_second(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    job = queued(world)
    running(job)
    clock = iter([100.0, 100.1, 100.2, 100.7, 100.8])
    monkeypatch.setattr(jobs, "monotonic", lambda: next(clock))
    writes: list[tuple[int, int]] = []
    progress = jobs._Progress(job.pk)
    monkeypatch.setattr(progress, "_write", lambda: writes.append((progress.done, progress.total)))

    for done in (1, 2, 3, 4):
        progress(done, 10)
    progress(10, 10)  # the last one always

    assert writes == [(1, 10), (4, 10), (10, 10)]
    progress.close()


def test_a_progress_write_moves_the_heartbeat(world: World) -> None:
    job = queued(world)
    running(job, heartbeat_age=dt.timedelta(minutes=4))
    before = ImportJob.objects.get(pk=job.pk).heartbeat_at

    progress = jobs._Progress(job.pk)
    if progress._side is not None:
        pytest.skip("on PostgreSQL progress goes through its own connection; see the transactional test below")
    progress(5, 10)
    progress.close()

    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (5, 10)
    assert job.heartbeat_at > before


# --- Stale jobs --------------------------------------------------------------------------------------------


def test_a_running_job_without_a_heartbeat_for_five_minutes_is_requeued(world: World) -> None:
    job = queued(world)
    running(job, heartbeat_age=dt.timedelta(minutes=6))

    assert handle_one_stale() is True

    job.refresh_from_db()
    assert (job.state, job.claimed_by, job.heartbeat_at) == ("queued", "", None)
    assert handle_one_stale() is False
    assert handle_one_import(worker="w2") is True
    job.refresh_from_db()
    assert (job.state, job.claimed_by, job.attempts) == ("done", "w2", 2)


def test_a_running_job_with_a_recent_heartbeat_is_left_alone(world: World) -> None:
    job = queued(world)
    running(job, heartbeat_age=dt.timedelta(minutes=4))

    assert handle_one_stale() is False

    job.refresh_from_db()
    assert (job.state, job.claimed_by) == ("running", "w1")


def test_a_job_that_stopped_its_worker_too_often_fails(world: World) -> None:
    job = queued(world)
    running(job, heartbeat_age=dt.timedelta(minutes=6))
    ImportJob.objects.filter(pk=job.pk).update(attempts=MAX_ATTEMPTS)

    assert handle_one_stale() is True

    job.refresh_from_db()
    assert job.state == "failed"
    assert "stopped 3 times" in job.error
    assert bytes(job.file)  # still there


# --- The worker loop and command ---------------------------------------------------------------------------


def test_the_worker_command_with_once_runs_the_queue_and_exits(world: World) -> None:
    first = queued(world, reports_csv(world.ent_a.uscc, "2020-01"))
    second = queued(world, reports_csv(world.ent_a.uscc, "2020-02"))
    out = io.StringIO()

    call_command("worker", "--once", "--name", "cron", stdout=out)

    assert "stopped after 2 step(s)" in out.getvalue()
    assert set(ImportJob.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", "claimed_by")) == {
        ("done", "cron")
    }


def test_the_worker_command_with_once_exits_on_an_empty_queue(world: World) -> None:
    out = io.StringIO()

    call_command("worker", "--once", stdout=out)

    assert "stopped after 0 step(s)" in out.getvalue()


class RecordingStop(threading.Event):
    """A stop event that records the waits instead of sleeping, and stops the loop after ``limit`` of them."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout or 0.0)
        if len(self.waits) >= self.limit:
            self.set()
        return self.is_set()


def test_the_worker_backs_off_after_failures_and_recovers(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    results: list[Any] = [RuntimeError("db down"), RuntimeError("db down"), RuntimeError("db down"), True, False]

    def step(*, worker: str) -> bool:
        outcome = results.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return bool(outcome)

    monkeypatch.setattr(jobs, "handle_one_import", step)
    stop = RecordingStop(limit=4)

    steps = worker_run(worker="w1", stop=stop, sleep=1.0)

    assert stop.waits == [1.0, 2.0, 4.0, 1.0]  # doubling after each failure, back to the idle sleep after success
    assert steps == 1


def test_the_worker_stops_when_asked(world: World) -> None:
    stop = threading.Event()
    stop.set()
    queued(world)

    assert worker_run(worker="w1", stop=stop) == 0
    assert ImportJob.objects.get().state == "queued"


# Last in the module: a transactional test empties the tables (and the reference data) when it ends.
@pytest.mark.skipif(not ON_POSTGRESQL, reason="SQLite has one writer: there progress shares the import's transaction")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_progress_commits_while_the_import_transaction_is_open() -> None:
    from exportwatch.accounts.models import User

    user = User.objects.create(username="progress-on-postgresql", role="admin")
    job = import_job_create(user=user, name="reports.csv", data=b"x")
    running(job)
    progress = jobs._Progress(job.pk)
    try:
        with transaction.atomic():
            progress(7, 10)
            transaction.set_rollback(True)  # the import fails: its progress stays on record
        job.refresh_from_db()
        assert (job.progress_done, job.progress_total) == (7, 10)
    finally:
        progress.close()
        ImportJob.objects.filter(pk=job.pk).delete()
        user.delete()
