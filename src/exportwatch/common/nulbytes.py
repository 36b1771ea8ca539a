"""Refuse a request whose address, query or JSON body holds a NUL character (400).

No text the application stores or looks up may hold one, and PostgreSQL refuses it in any text parameter: a
``?q=%00`` or a credit code ``"\\u0000"`` in an API body reached the database and came back as a server error
(found by tests/security). Form fields need no check here: Django's form ``CharField`` already refuses a NUL, and
reading the form in a middleware would read an upload before its view sets its size limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

NUL = "\x00"


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def request_holds_nul(request: HttpRequest) -> bool:
    if NUL in request.path or any(NUL in k or any(NUL in v for v in vs) for k, vs in request.GET.lists()):
        return True
    if request.content_type == "application/json" and b"\\u0000" in request.body:
        try:
            return _holds_nul(json.loads(request.body))
        except ValueError:
            return False  # not JSON: the view says so
    return False


class NulByteMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request_holds_nul(request):
            message = _("The request holds a NUL character, which no field may contain.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
