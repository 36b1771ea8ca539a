"""A database that cannot answer (disk full, connection lost, locked past the timeout) gives a clear 503.

Without this, a ``django.db.OperationalError`` or ``InterfaceError`` reaches the user as the generic 500 page
(or, in the API, as an HTML 500). Here it becomes the "database unavailable" page in the user's language, or a
JSON ``{"detail": ..., "code": ...}`` under ``/api/``, with ``Retry-After``; the error is logged. Writes run in
one transaction each, so what the request was saving was rolled back, and the page says so.

The broken connection is closed at once, so the next request opens a new one (Django also does this when a
request finishes, except under the test client).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
DATABASE_ERRORS = (OperationalError, InterfaceError)


def database_problem(exc: BaseException) -> str:
    """What kind of trouble a database error means: "full", "busy" or "unavailable"."""
    text = str(exc).lower()
    if "disk is full" in text or "no space left" in text or "could not extend file" in text:
        return "full"
    if "database is locked" in text or "database table is locked" in text or "lock timeout" in text:
        return "busy"
    return "unavailable"


def _messages(problem: str) -> tuple[str, str]:
    if problem == "full":
        return (
            _("The database is full"),
            _("The server has run out of storage, so nothing could be saved. Tell the system administrator."),
        )
    if problem == "busy":
        return (
            _("The database is busy"),
            _("The database is busy with other work (a large import, perhaps). Please try again in a moment."),
        )
    return (
        _("The database is unavailable"),
        _("The database cannot be reached at the moment. Please try again in a moment."),
    )


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        problem = database_problem(exception)
        logger.error("database %s during %s %s", problem, request.method, request.path, exc_info=exception)
        _drop_broken_connections()
        title, detail = _messages(problem)
        not_saved = _("Nothing of this request was saved.")
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                {"detail": f"{title}. {detail} {not_saved}", "code": f"database_{problem}"}, status=503
            )
        else:
            html = render_to_string(
                "errors/database_unavailable.html",
                {"title": title, "detail": detail, "problem": problem, "method": request.method},
            )
            response = HttpResponse(html, status=503)
        if problem != "full":
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


def _drop_broken_connections() -> None:
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            continue  # an outer transaction (a test's) owns it; it is closed with it
        try:
            conn.close_if_unusable_or_obsolete()
        except Exception:  # closing a dead connection may fail too; it is rebuilt on next use either way
            logger.warning("closing the database connection %s failed", conn.alias, exc_info=True)
