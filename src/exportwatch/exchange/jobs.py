"""Import jobs as small restartable steps (STYLE principle 10).

A job is created from an upload (``import_job_create``) and then claimed by exactly one runner with a conditional
UPDATE (``import_job_claim``): a small file by the request that uploaded it, a large one by ``exportwatch worker``,
which loops over ``handle_one_stale`` and ``handle_one_import``. A runner that dies leaves its job "running" with
an old heartbeat; ``handle_one_stale`` puts it back in the queue (re-importing is idempotent: rows already written
are "unchanged" the second time), and gives up after ``MAX_ATTEMPTS``. The upload stays in the row whatever
happens, so a failed or stale job can always be run again.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from time import monotonic
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F
from django.utils import timezone, translation

from exportwatch.accounts.models import Role
from exportwatch.common import clock
from exportwatch.common.env import env_int
from exportwatch.common.scoping import enterprises_reportable, is_admin
from exportwatch.exchange.annotate import annotate
from exportwatch.exchange.grid import FileProblem
from exportwatch.exchange.models import ImportJob
from exportwatch.exchange.services import ImportOutcome, import_files

logger = logging.getLogger(__name__)

SYNC_MAX_BYTES = 1024 * 1024  # smaller uploads are imported in the request, so a clerk sees the answer at once
# A running job without a heartbeat for this long has lost its worker (EXPORTWATCH_JOB_STALE_SECONDS, default 300).
STALE_AFTER = dt.timedelta(seconds=env_int("EXPORTWATCH_JOB_STALE_SECONDS", 300, minimum=1))
MAX_ATTEMPTS = 3  # a job that stopped its worker this often is marked failed instead of requeued again
MAX_STORED_PROBLEMS = 5_000  # per list in the result; the full count is kept next to it
PROGRESS_INTERVAL = 0.5  # seconds between progress writes (at most two a second)
MAX_BACKOFF = 60.0  # seconds

State = ImportJob.State
RERUN_OPTIONS: dict[str, dict[str, bool]] = {
    "retry": {},
    "import_now": {"dry_run": False},
    "valid_rows": {"dry_run": False, "valid_rows_only": True},
    "confirm_units": {"dry_run": False, "confirm_units": True},
}


def _tick() -> dt.datetime:
    # Liveness is measured in real elapsed time, never on the business clock (which a demo may freeze).
    return timezone.now()


def worker_name(prefix: str = "worker") -> str:
    return f"{prefix}:{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


def import_job_create(
    *,
    user: Any,
    name: str,
    data: bytes,
    dry_run: bool = False,
    valid_rows_only: bool = False,
    confirm_units: bool = False,
    language: str | None = None,
) -> ImportJob:
    """Store an upload as a queued job. Raises ValueError for a file over ``EXPORTWATCH_IMPORT_MAX_MB``."""
    if len(data) > settings.EXPORTWATCH_IMPORT_MAX_MB * 1024 * 1024:
        raise ValueError(f"{name}: {len(data)} bytes is over EXPORTWATCH_IMPORT_MAX_MB")
    base_name = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload"
    return ImportJob.objects.create(
        user=user,
        created_at=clock.now(),
        file_name=base_name[-255:],
        file=data,
        file_size=len(data),
        language=language if language is not None else (translation.get_language() or ""),
        dry_run=dry_run,
        valid_rows_only=valid_rows_only,
        confirm_units=confirm_units,
    )


def outcome_of(*, dry_run: bool, result: dict[str, Any]) -> str:
    """What became of a finished import, in one word: confirm, problems, checked, partial or imported."""
    if result.get("needs_confirmation"):
        return "confirm"
    if result.get("problem_count"):
        return "problems"
    if dry_run:
        return "checked"
    if result.get("skipped_count"):
        return "partial"
    return "imported"


def import_job_actions(job: ImportJob) -> list[str]:
    """The re-runs that make sense after ``job`` (keys of ``RERUN_OPTIONS``), in the order they are offered."""
    if job.state == State.FAILED:
        return ["retry"]
    result = job.result
    if job.state != State.DONE or not result:
        return []
    actions = []
    if result.get("needs_confirmation") and not job.confirm_units:
        actions.append("confirm_units")
    if result.get("problem_count") and not job.valid_rows_only:
        actions.append("valid_rows")
    if job.dry_run and not result.get("problem_count") and not result.get("needs_confirmation"):
        actions.append("import_now")
    return actions


def import_job_rerun(*, job: ImportJob, action: str, language: str | None = None) -> ImportJob:
    """A new job for the same stored file with the options ``action`` changes; no second upload."""
    if action not in import_job_actions(job):
        raise ValueError(f"{action!r} is not offered for import job {job.pk} ({job.state})")
    data = ImportJob.objects.filter(pk=job.pk).values_list("file", flat=True).get()
    options = {"dry_run": job.dry_run, "valid_rows_only": job.valid_rows_only, "confirm_units": job.confirm_units}
    options.update(RERUN_OPTIONS[action])
    return import_job_create(user=job.user, name=job.file_name, data=bytes(data), language=language, **options)


def import_job_claim(*, job_id: int, worker: str) -> bool:
    """Take a queued job for ``worker``; True for exactly one of any number of concurrent callers."""
    now = _tick()
    claimed = ImportJob.objects.filter(pk=job_id, state=State.QUEUED).update(
        state=State.RUNNING,
        claimed_by=worker[:100],
        claimed_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        progress_done=0,
        progress_total=0,
    )
    return claimed == 1


def import_job_process(*, job_id: int, worker: str) -> bool:
    """Claim and run one job; False when someone else has it (or it is no longer queued)."""
    if not import_job_claim(job_id=job_id, worker=worker):
        return False
    import_job_run(job_id=job_id, worker=worker)
    return True


def handle_one_import(*, worker: str) -> bool:
    """Run the oldest queued job. Returns False when the queue is empty."""
    job_id = ImportJob.objects.filter(state=State.QUEUED).order_by("id").values_list("pk", flat=True).first()
    if job_id is None:
        return False
    import_job_process(job_id=job_id, worker=worker)  # lost the race: still True, the queue was not empty
    return True


def handle_one_stale() -> bool:
    """Requeue one job whose worker stopped (no heartbeat for ``STALE_AFTER``). Returns False when none is."""
    stale = ImportJob.objects.filter(state=State.RUNNING, heartbeat_at__lt=_tick() - STALE_AFTER)
    job = stale.order_by("id").values("pk", "attempts").first()
    if job is None:
        return False
    # The same condition again in the UPDATE: a heartbeat that arrives meanwhile keeps the job with its worker.
    this = stale.filter(pk=job["pk"])
    if job["attempts"] >= MAX_ATTEMPTS:
        this.update(
            state=State.FAILED,
            error=f"The worker stopped {job['attempts']} times while importing this file.",
            finished_at=clock.now(),
        )
    else:
        this.update(state=State.QUEUED, claimed_by="", claimed_at=None, heartbeat_at=None)
    return True


def import_job_run(*, job_id: int, worker: str) -> None:
    """Import a claimed job's file and store the result (or the error) on the job.

    Only the worker that holds the claim writes the end state: a job requeued as stale and taken by another
    worker is finished by that one.
    """
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    mine = ImportJob.objects.filter(pk=job_id, state=State.RUNNING, claimed_by=worker[:100])
    progress = _Progress(job_id)
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            outcome = _import(job, progress)
            result = result_from_outcome(outcome, confirmed=job.confirm_units)
    except Exception as exc:
        logger.exception("import job %s (%s) failed", job_id, job.file_name)
        try:
            mine.update(
                state=State.FAILED,
                error=f"{type(exc).__name__}: {exc}"[:4000],
                heartbeat_at=_tick(),
                finished_at=clock.now(),
            )
        except Exception:  # e.g. the database is gone too: the job stays "running" and is requeued when stale
            logger.exception("import job %s: the failure could not be recorded", job_id)
    else:
        total = max(progress.total, progress.done)
        annotated: dict[str, Any] = {}
        problems = problems_of_result(result)
        if problems:
            try:
                with translation.override(job.language or settings.LANGUAGE_CODE):
                    name, content = annotate(job.file_name, bytes(job.file), problems)
                annotated = {"annotated": content, "annotated_name": name}
            except Exception:  # the page builds it on request instead
                logger.exception("import job %s: the annotated workbook could not be built", job_id)
        mine.update(
            **annotated,
            state=State.DONE,
            result=result,
            outcome=outcome_of(dry_run=job.dry_run, result=result),
            progress_done=total,
            progress_total=total,
            heartbeat_at=_tick(),
            finished_at=clock.now(),
        )
    finally:
        progress.close()


def _import(job: ImportJob, progress: _Progress) -> ImportOutcome:
    extra: dict[str, Any] = {}
    accepted = inspect.signature(import_files).parameters
    if "progress" in accepted:
        extra["progress"] = progress
    if "confirm_units" in accepted:
        extra["confirm_units"] = job.confirm_units
    if "customs_allowed" in accepted:
        # Customs statistics are the bureau's: analysts and administrators load them, town officers do not.
        extra["customs_allowed"] = is_admin(job.user) or job.user.role == Role.ANALYST
    # An administrator may also register new enterprises; everyone else imports within their scope.
    scope = None if is_admin(job.user) else enterprises_reportable(job.user)
    return import_files(
        [(job.file_name, bytes(job.file))],
        user=job.user,
        dry_run=job.dry_run,
        valid_rows_only=job.valid_rows_only,
        scope=scope,
        **extra,
    )


class _Progress:
    """The ``progress(done, total)`` callback: writes the counts and the heartbeat at most twice a second.

    On PostgreSQL it writes through a connection of its own, which commits at once while the import's
    transaction is still open, so the progress bar moves. SQLite has one writer at a time, so there it shares the
    import's connection and the figures become visible when the import commits.
    """

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.done = 0
        self.total = 0
        self._last = 0.0
        self._side: BaseDatabaseWrapper | None = None
        if connection.vendor == "postgresql":
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        now = monotonic()
        if now - self._last < PROGRESS_INTERVAL and done < total:
            return
        self._last = now
        try:
            self._write()
        except Exception:  # progress is a courtesy: never let it stop an import
            logger.warning("progress of import job %s not written", self.job_id, exc_info=True)

    def _write(self) -> None:
        if self._side is None:
            ImportJob.objects.filter(pk=self.job_id).update(
                progress_done=self.done, progress_total=self.total, heartbeat_at=_tick()
            )
            return
        qn = self._side.ops.quote_name
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {qn(ImportJob._meta.db_table)} SET {qn('progress_done')} = %s, {qn('progress_total')} = %s,"
                f" {qn('heartbeat_at')} = %s WHERE {qn('id')} = %s",
                [self.done, self.total, _tick(), self.job_id],
            )

    def close(self) -> None:
        if self._side is not None:
            self._side.close()


# --- Result: plain JSON on the job ---------------------------------------------------------------------------


def _problem_dict(p: FileProblem) -> dict[str, Any]:
    return {"file": p.file, "sheet": p.sheet, "row": p.row, "column": p.column, "col": p.col, "message": str(p.message)}


def _capped(problems: Iterable[FileProblem]) -> list[dict[str, Any]]:
    out = []
    for p in problems:
        if len(out) >= MAX_STORED_PROBLEMS:
            break
        out.append(_problem_dict(p))
    return out


def result_from_outcome(outcome: ImportOutcome, *, confirmed: bool = False) -> dict[str, Any]:
    """The outcome as JSON; ``confirmed``: the import ran with ``confirm_units`` (its warnings are then notes)."""
    warnings: list[FileProblem] = list(getattr(outcome, "warnings", []))
    return {
        "committed": outcome.committed,
        "dry_run": outcome.dry_run,
        "needs_confirmation": bool(getattr(outcome, "needs_confirmation", False)) and not confirmed,
        "written": dict(outcome.written),
        "unchanged": dict(outcome.unchanged),
        "problems": _capped(outcome.problems),
        "problem_count": len(outcome.problems),
        "skipped": _capped(outcome.skipped),
        "skipped_count": len(outcome.skipped),
        "warnings": _capped(warnings),
        "warning_count": len(warnings),
    }


def problems_of_result(result: dict[str, Any] | None) -> list[FileProblem]:
    """Every stored problem, skipped row and warning of a result, for the annotated workbook."""
    if not result:
        return []
    return [
        FileProblem(
            file=p.get("file", ""),
            row=int(p.get("row") or 0),
            column=p.get("column", ""),
            message=p.get("message", ""),
            sheet=p.get("sheet", ""),
            col=int(p.get("col") or 0),
        )
        for key in ("problems", "skipped", "warnings")
        for p in result.get(key, [])
    ]


# --- The loop of ``exportwatch worker`` (and of a worker thread inside ``exportwatch serve``) -----------------


# More background steps (``() -> bool``: True when it did something), registered by other apps at start-up (the
# warnings app re-evaluates months an import changed in bulk); run when no import is waiting.
EXTRA_STEPS: list[Callable[[], bool]] = []


def worker_run(*, worker: str, stop: threading.Event, sleep: float = 1.0, once: bool = False) -> int:
    """Requeue stale jobs and run queued ones until ``stop`` is set; returns the number of steps taken.

    ``once``: stop when there is nothing left to do (or at the first failure) instead of waiting for more.
    After a failure the loop waits ``sleep`` seconds, doubling with each further failure up to ``MAX_BACKOFF``.
    """
    steps = 0
    failures = 0
    while not stop.is_set():
        try:
            busy = handle_one_stale() or handle_one_import(worker=worker) or any(step() for step in EXTRA_STEPS)
        except Exception:
            logger.exception("import worker %s: step failed", worker)
            failures += 1
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()  # e.g. the database restarted
            if once:
                break
            stop.wait(min(max(sleep, 0.1) * 2 ** (failures - 1), MAX_BACKOFF))
            continue
        failures = 0
        if busy:
            steps += 1
            continue
        if once:
            break
        stop.wait(sleep)
    return steps
