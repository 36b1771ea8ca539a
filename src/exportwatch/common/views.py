"""The audit trail page (``/bureau/audit/``): the events of the reader's jurisdiction, newest first, filtered, each
with what changed field by field; the same list downloads as .xlsx or CSV (``?format=xlsx|csv``).

Read only: the page offers no way to change or remove an event (nor does the model allow one)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from exportwatch.common.audit_display import (
    ACTION_LABELS,
    OBJECT_TYPE_LABELS,
    action_label,
    changes_text,
    event_changes,
    object_type_label,
)
from exportwatch.common.models import AuditEvent
from exportwatch.common.problems import column_label
from exportwatch.common.selectors import (
    AuditFilter,
    audit_events_filter,
    audit_events_visible,
    audit_may_read,
    audit_page,
)
from exportwatch.exchange.views import FORMATS, list_download
from exportwatch.exchange.xlsx import Column

PER_PAGE = 50


class AuditFilterForm(forms.Form):
    """The filters of the trail (GET); a value that does not parse is not applied and is shown with its error."""

    object_type = forms.ChoiceField(label=gettext_lazy("Object type"), required=False)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    actor = forms.CharField(label=gettext_lazy("Who"), required=False, max_length=150)
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label=gettext_lazy("Object or credit code"), required=False, max_length=80)
    uscc = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = sorted(((k, str(v)) for k, v in OBJECT_TYPE_LABELS.items()), key=lambda kv: kv[1])
        actions = sorted(((k, str(v)) for k, v in ACTION_LABELS.items()), key=lambda kv: kv[1])
        self.fields["object_type"].choices = [("", _("All")), *types]
        self.fields["action"].choices = [("", _("All")), *actions]

    def audit_filter(self) -> AuditFilter:
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return AuditFilter(
            object_type=data.get("object_type") or "",
            action=data.get("action") or "",
            actor=(data.get("actor") or "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            text=(data.get("q") or "").strip(),
            uscc=(data.get("uscc") or "").strip(),
        )

    def query(self) -> str:
        """The valid filters as a query string (for the pager and the downloads)."""
        q = QueryDict(mutable=True)
        for name in self.fields:
            value = self.data.get(name, "")
            if value and name not in self.errors:
                q[name] = value
        return q.urlencode()


def _actor_name(event: AuditEvent) -> str:
    if event.actor is None:
        return _("the system")
    return event.actor.get_full_name() or event.actor.username


@require_GET
@login_required
def audit_list(request: HttpRequest) -> HttpResponseBase:
    if not audit_may_read(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET)
    events = audit_events_filter(audit_events_visible(request.user), form.audit_filter())
    fmt = request.GET.get("format")
    if fmt is not None:
        if fmt not in FORMATS:
            raise Http404
        return _download(fmt, events)
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    number = min(number, 10_000_000)  # a larger page overflows the SQL OFFSET
    page = audit_page(events, number=number, per_page=PER_PAGE)
    rows = [
        {
            "event": e,
            "actor": _actor_name(e),
            "action": action_label(e.action),
            "object_type": object_type_label(e.object_type),
            "changes": event_changes(object_type=e.object_type, old=e.old, new=e.new),
        }
        for e in page.events
    ]
    return render(
        request,
        "common/audit_list.html",
        {"form": form, "rows": rows, "page": page, "query": form.query(), "uscc": form.audit_filter().uscc},
    )


def _download(fmt: str, events: Any) -> HttpResponseBase:
    columns: list[Column] = [
        ("at", _("When")),
        ("actor", _("Who")),
        ("action", _("Action")),
        ("object_type", _("Object type")),
        ("object_key", _("Object")),
        ("uscc", column_label("uscc")),
        ("changes", _("Changes")),
        ("note", _("Note")),
        ("old", _("Before")),
        ("new", _("After")),
    ]

    def rows() -> Iterator[list[Any]]:
        for e in events.iterator(chunk_size=2_000):
            yield [
                e.at,
                _actor_name(e),
                action_label(e.action),
                object_type_label(e.object_type),
                e.object_key,
                e.uscc,
                changes_text(event_changes(object_type=e.object_type, old=e.old, new=e.new)),
                e.note,
                "" if e.old is None else json.dumps(e.old, ensure_ascii=False, sort_keys=True),
                "" if e.new is None else json.dumps(e.new, ensure_ascii=False, sort_keys=True),
            ]

    return list_download(fmt, "audit", columns, rows(), sheet_name="audit")
