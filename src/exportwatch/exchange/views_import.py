"""Import on the web: upload (with a dry run and the valid-rows option), the job page with its progress bar and
result, re-runs of the same stored file, and the workbook back with the bad cells marked.

Everyone who may report for an enterprise may import, within the same scope (``enterprises_reportable``);
a job is seen by its owner and by administrators only. Anything else is a 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from exportwatch.common import clock
from exportwatch.common.problems import column_label
from exportwatch.common.scoping import enterprises_reportable, is_admin
from exportwatch.exchange.annotate import annotate
from exportwatch.exchange.jobs import (
    SYNC_MAX_BYTES,
    import_job_actions,
    import_job_create,
    import_job_process,
    import_job_rerun,
    problems_of_result,
    worker_name,
)
from exportwatch.exchange.models import ImportJob
from exportwatch.exchange.services import TABLE_ORDER

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPT = ".xlsx,.xls,.csv"
RECENT_JOBS = 10
WAITING_LONG_SECONDS = 60
TABLE_LABELS = {
    "enterprises": gettext_lazy("Enterprises"),
    "reports": gettext_lazy("Monthly reports"),
    "report_lines": gettext_lazy("Report lines (market and HS code)"),
    "disruptions": gettext_lazy("Disruptions"),
    "needs": gettext_lazy("Requests for help"),
    "customs_exports": gettext_lazy("Customs exports"),
}


def _max_bytes() -> int:
    return int(settings.EXPORTWATCH_IMPORT_MAX_MB) * 1024 * 1024


def _too_large_message(size: int | None) -> str:
    if size is None:
        return _("The file is larger than %(limit)s MB, the most that can be imported.") % {
            "limit": settings.EXPORTWATCH_IMPORT_MAX_MB
        }
    return _("The file is %(size)s MB; at most %(limit)s MB can be imported.") % {
        "size": round(size / 1024 / 1024, 1),
        "limit": settings.EXPORTWATCH_IMPORT_MAX_MB,
    }


class _UploadLimit(FileUploadHandler):
    """Stops reading an upload once it passes the limit, so an oversized file is never stored, not even in /tmp."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)  # the rest of the body is read and dropped
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler stores the file


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    dry_run = forms.BooleanField(label=gettext_lazy("Dry run — check only, save nothing"), required=False)
    valid_rows_only = forms.BooleanField(
        label=gettext_lazy("Import the valid rows and skip the others"), required=False
    )
    confirm_units = forms.BooleanField(
        label=gettext_lazy("I confirm the amounts flagged as unusually large are right"), required=False
    )

    def __init__(self, *args: Any, cut_off: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cut_off = cut_off
        if cut_off:
            self.fields["file"].required = False

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if self.cut_off:
            raise forms.ValidationError(_too_large_message(None))
        if upload is not None and upload.size > _max_bytes():
            raise forms.ValidationError(_too_large_message(upload.size))
        return upload


def _require_importer(request: HttpRequest) -> Any:
    """The user, if they may import at all (handlers and leaders report for no enterprise: 404)."""
    user: Any = request.user
    if not (is_admin(user) or enterprises_reportable(user).exists()):
        raise Http404
    return user


def _job_of(request: HttpRequest, job_id: int) -> ImportJob:
    jobs = ImportJob.objects.defer("file", "annotated").select_related("user")
    if not is_admin(request.user):
        jobs = jobs.filter(user=request.user)
    return get_object_or_404(jobs, pk=job_id)


def _run_now_if_small(job: ImportJob) -> None:
    # Same path as the worker: a small file is claimed and run here, so the clerk sees the answer at once.
    if job.file_size < SYNC_MAX_BYTES:
        import_job_process(job_id=job.pk, worker=worker_name("web"))


@csrf_exempt  # checked in _import_post, after the upload limit is in place (Django's documented pattern)
@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    user = _require_importer(request)
    if request.method == "POST":
        limit = _UploadLimit(request, _max_bytes())
        request.upload_handlers.insert(0, limit)
        return _import_post(request, limit)
    return _import_form(request, user, ImportForm())


@csrf_protect
def _import_post(request: HttpRequest, limit: _UploadLimit) -> HttpResponse:
    user: Any = request.user
    form = ImportForm(request.POST, request.FILES, cut_off=limit.exceeded)
    if not form.is_valid():
        return _import_form(request, user, form, status=400)
    upload = form.cleaned_data["file"]
    job = import_job_create(
        user=user,
        name=upload.name or "upload",
        data=upload.read(),
        dry_run=form.cleaned_data["dry_run"],
        valid_rows_only=form.cleaned_data["valid_rows_only"],
        confirm_units=form.cleaned_data["confirm_units"],
    )
    _run_now_if_small(job)
    return redirect("exchange:import_job", job_id=job.pk)


def _import_form(request: HttpRequest, user: Any, form: ImportForm, *, status: int = 200) -> HttpResponse:
    recent = ImportJob.objects.defer("file", "annotated", "result").filter(user=user).order_by("-id")[:RECENT_JOBS]
    context = {
        "form": form,
        "recent": recent,
        "max_mb": settings.EXPORTWATCH_IMPORT_MAX_MB,
        "sync_bytes": SYNC_MAX_BYTES,
    }
    return render(request, "exchange/import_page.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    _require_importer(request)
    job = _job_of(request, job_id)
    if request.method == "POST":
        if job.user_id != request.user.pk:
            raise Http404  # an administrator may look, but re-runs are the owner's
        action = request.POST.get("action", "")
        if action not in import_job_actions(job):
            messages.error(request, _("This can no longer be done for this import."))
            return redirect("exchange:import_job", job_id=job.pk)
        new = import_job_rerun(job=job, action=action)
        _run_now_if_small(new)
        return redirect("exchange:import_job", job_id=new.pk)
    return render(request, "exchange/import_job.html", _job_context(job, request.user))


def _job_context(job: ImportJob, user: Any) -> dict[str, Any]:
    result = job.result or {}
    problems = _display(result.get("problems", []))
    skipped = _display(result.get("skipped", []))
    warnings = _display(result.get("warnings", []))
    tables = [
        {
            "label": TABLE_LABELS.get(t, t),
            "written": result.get("written", {}).get(t, 0),
            "unchanged": result.get("unchanged", {}).get(t, 0),
        }
        for t in TABLE_ORDER
    ]
    return {
        "job": job,
        "result": result,
        "outcome": job.status,
        "actions": import_job_actions(job) if job.user_id == user.pk else [],
        "problems": problems,
        "skipped": skipped,
        "warnings": warnings,
        "has_sheets": any(p["sheet"] for p in (*problems, *skipped, *warnings)),
        "has_marks": job.state == ImportJob.State.DONE
        and bool(problems or skipped or (warnings and not job.confirm_units)),
        "tables": [t for t in tables if t["written"] or t["unchanged"]],
        "waiting_long": _waiting_long(job),
    }


def _display(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored problems with the column's label (in the reader's language) and the cell reference, e.g. C5."""
    out = []
    for p in items:
        column = p.get("column", "")
        out.append(
            {
                "sheet": p.get("sheet", ""),
                "row": p.get("row", 0),
                "column": column,
                "label": column_label(column) if column else "",
                "cell": _cell_ref(int(p.get("col") or 0), int(p.get("row") or 0)),
                "message": p.get("message", ""),
            }
        )
    return out


def _cell_ref(col: int, row: int) -> str:
    if col <= 0 or row <= 0:
        return ""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return f"{letters}{row}"


def _waiting_long(job: ImportJob) -> bool:
    waited = clock.now() - job.created_at  # created_at is on the business clock too
    return job.state == ImportJob.State.QUEUED and waited.total_seconds() > WAITING_LONG_SECONDS


@login_required
@require_GET
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The live part of the job page (htmx polls it every second); a finished job reloads the whole page."""
    _require_importer(request)
    job = _job_of(request, job_id)
    if job.is_finished and getattr(request, "htmx", False):
        return HttpResponseClientRefresh()
    return render(request, "exchange/import_progress.html", {"job": job, "waiting_long": _waiting_long(job)})


@login_required
@require_GET
def import_annotated(request: HttpRequest, job_id: int) -> HttpResponse:
    """The uploaded workbook (a CSV becomes one) with every problem's cell highlighted and commented."""
    _require_importer(request)
    job = _job_of(request, job_id)
    problems = problems_of_result(job.result)
    if job.state != ImportJob.State.DONE or not problems:
        raise Http404

    stored = ImportJob.objects.filter(pk=job.pk).values_list("annotated_name", "annotated").get()
    if stored[1] is not None:  # built by the job when it finished
        filename, content = stored[0], bytes(stored[1])
    else:
        data = ImportJob.objects.filter(pk=job.pk).values_list("file", flat=True).get()
        filename, content = annotate(job.file_name, bytes(data), problems)
    content_type = XLSX if filename.lower().endswith(".xlsx") else "application/octet-stream"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
