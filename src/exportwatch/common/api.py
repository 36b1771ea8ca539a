"""The audit trail in the REST API, at /api/audit: read only, the readers and the scope of the page ``/bureau/audit/``.

Analysts, leaders and administrators read the events of their jurisdiction (``selectors.audit_events_visible``),
newest first, with the same filters as the page; anyone else gets 403. The list is not counted (a province's trail
holds millions of events): ``more`` says whether another page follows.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from exportwatch.api.errors import MessageOut
from exportwatch.common.selectors import AuditFilter, audit_events_filter, audit_events_visible, audit_may_read

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    at: dt.datetime
    actor: str | None
    action: str
    object_type: str
    object_key: str
    uscc: str
    region_path: str
    note: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None


class AuditPage(Schema):
    more: bool
    items: list[AuditEventOut]


@router.get("", response={200: AuditPage, 403: MessageOut}, summary="The audit trail of your jurisdiction")
def audit_list(
    request: HttpRequest,
    object_type: str = Query("", description="report, disruption, need, case, whitelist_entry, warning, …"),
    action: str = Query("", description="e.g. report.submit, report.resubmit, case.assign"),
    uscc: str = Query("", description="one enterprise's history"),
    date_from: Annotated[dt.date | None, Query(description="YYYY-MM-DD, inclusive")] = None,
    date_to: Annotated[dt.date | None, Query(description="YYYY-MM-DD, inclusive")] = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),  # a larger one overflows the SQL OFFSET
) -> Any:
    """Who changed what and when, with the values before and after (``old`` is null for a creation), newest first."""
    if not audit_may_read(request.user):
        return 403, {"detail": _("The audit trail is for the bureau's analysts, leaders and administrators.")}
    found = AuditFilter(object_type=object_type, action=action, uscc=uscc, date_from=date_from, date_to=date_to)
    events = list(audit_events_filter(audit_events_visible(request.user), found)[offset : offset + limit + 1])
    return 200, {
        "more": len(events) > limit,
        "items": [
            {
                "at": e.at,
                "actor": e.actor.get_username() if e.actor is not None else None,
                "action": e.action,
                "object_type": e.object_type,
                "object_key": e.object_key,
                "uscc": e.uscc,
                "region_path": e.region_path,
                "note": e.note,
                "old": e.old,
                "new": e.new,
            }
            for e in events[:limit]
        ],
    }
