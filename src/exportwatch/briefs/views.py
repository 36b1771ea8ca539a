"""Brief pages: generate a brief, preview it as HTML, download it; the archive of past briefs."""

from __future__ import annotations

import base64
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from exportwatch.briefs import selectors as sel
from exportwatch.briefs.charts import chart_png
from exportwatch.briefs.models import Kind
from exportwatch.briefs.services import brief_generate
from exportwatch.common import clock
from exportwatch.core.periods import period_add

PER_PAGE = 50
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class BriefForm(forms.Form):
    """A monthly brief names its month; a weekly one its last day (default today) and, optionally, the month
    whose headline it quotes (default: the latest month with reports by the week's end)."""

    period = forms.RegexField(
        label=gettext_lazy("Month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        error_messages={"invalid": gettext_lazy("Give the month as YYYY-MM, e.g. 2020-03.")},
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Kind.choices, initial=Kind.MONTHLY)
    week_ending = forms.DateField(
        label=gettext_lazy("Week ending"),
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": gettext_lazy("Give the day as YYYY-MM-DD, e.g. 2020-04-15.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Kind.MONTHLY and not data.get("period"):
            self.add_error("period", _("A monthly brief needs its month."))
        if data.get("kind") == Kind.MONTHLY:
            data["week_ending"] = None
        elif data.get("kind") == Kind.WEEKLY and not data.get("week_ending"):
            data["week_ending"] = clock.today()
        return data


def _brief_args(form: BriefForm) -> dict[str, Any]:
    d = form.cleaned_data
    return {"period": d["period"] or None, "kind": d["kind"], "week_ending": d["week_ending"]}


def _require(request: HttpRequest) -> None:
    """403 for a role that may never use the briefs; 404 for an analyst or leader who sees part only."""
    if not sel.brief_role(request.user):
        raise PermissionDenied
    if not sel.may_use_briefs(request.user):
        raise Http404


@login_required
def brief_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = BriefForm(
        initial={"period": period_add(clock.current_period(), -1), "kind": Kind.MONTHLY, "week_ending": clock.today()}
    )
    paged = Paginator(sel.briefs_archived(), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "briefs/list.html", {"form": form, "paged": paged, "query": ""})


@login_required
def brief_preview(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = BriefForm(request.GET)
    if not form.is_valid():
        paged = Paginator(sel.briefs_archived(), PER_PAGE).get_page(1)
        return render(request, "briefs/list.html", {"form": form, "paged": paged, "query": ""}, status=400)
    content = sel.brief_content(reader=request.user, **_brief_args(form))
    images = {
        c.key: "data:image/png;base64," + base64.b64encode(chart_png(c)).decode()
        for s in content.sections
        for c in s.charts
    }
    return render(request, "briefs/preview.html", {"content": content, "images": images, "form": form})


@login_required
@require_POST
def brief_create(request: HttpRequest) -> HttpResponseBase:
    _require(request)
    form = BriefForm(request.POST)
    if not form.is_valid():
        paged = Paginator(sel.briefs_archived(), PER_PAGE).get_page(1)
        return render(request, "briefs/list.html", {"form": form, "paged": paged, "query": ""}, status=400)
    brief = brief_generate(actor=request.user, **_brief_args(form))
    if brief.pdf_error:
        messages.error(
            request,
            _("The brief was written as a Word document, but the PDF could not be made: %(e)s")
            % {"e": brief.pdf_error},
        )
    else:
        messages.success(request, _("The brief is ready: %(title)s") % {"title": brief.title})
    return redirect("briefs:list")


@login_required
def brief_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    _require(request)
    brief = get_object_or_404(sel.briefs_archived(), pk=pk)
    file: Any = brief.docx if fmt == "docx" else brief.pdf
    if fmt not in ("docx", "pdf") or not file:
        raise Http404
    name = f"{brief.title}.{fmt}"
    return FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=DOCX_TYPE if fmt == "docx" else "application/pdf",
    )
