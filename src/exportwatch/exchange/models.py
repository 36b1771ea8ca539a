"""Import jobs: an uploaded file and what became of it, run by a worker (``jobs.py``) or in the request."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One upload to import, with its options, its progress and its result.

    The uploaded bytes live in the row itself (bounded by ``EXPORTWATCH_IMPORT_MAX_MB``), so any worker on any
    machine can run the job and a re-run with other options ("import now", "import only the valid rows") needs
    no second upload.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    created_at = models.DateTimeField(_("uploaded at"))
    file_name = models.CharField(_("file name"), max_length=255)
    file = models.BinaryField(_("file"))
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    language = models.CharField(_("language"), max_length=16, blank=True)  # of the messages in the result

    dry_run = models.BooleanField(_("dry run"), default=False)
    valid_rows_only = models.BooleanField(_("import the valid rows only"), default=False)
    confirm_units = models.BooleanField(_("large amounts confirmed"), default=False)

    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    claimed_by = models.CharField(_("worker"), max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)

    result = models.JSONField(null=True, blank=True)
    # When done, in one word (jobs.outcome_of): imported, partial, checked, problems or confirm.
    outcome = models.CharField(_("outcome"), max_length=10, blank=True)
    error = models.TextField(blank=True)
    # The file offered back with its problems marked (exchange/annotate.py), built by the job when it finishes
    # with problems, so a large workbook's copy is ready to download instead of being built in a request.
    annotated = models.BinaryField(_("annotated workbook"), null=True, blank=True)
    annotated_name = models.CharField(max_length=255, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "id"], name="importjob_state_id")]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def status(self) -> str:
        """The outcome once done, else the state: what a list of jobs shows."""
        return self.outcome if self.state == self.State.DONE and self.outcome else str(self.state)

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)
