"""One error shape for the whole API, and an OpenAPI document that lists every answer an operation may give.

Every refusal is ``{"detail": "..."}`` (401, 403, 404, 409; 400 for a NUL character; 503 adds ``"code"``), except a
request the API cannot act on, which is 422 ``{"detail": [{"field", "code", "message"}]}``: the same ``ProblemsOut``
whether the figures break a rule of the data contract (the services' problems) or the request does not fit the
operation's parameters at all (a missing field, text where a number goes, an offset past its maximum). For the
latter ``field`` is where it is (``lines[0].market``, ``offset``), ``code`` is pydantic's error type (``missing``,
``decimal_parsing``, ``less_than_equal``...) and ``message`` Django's own wording in the caller's language.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import ValidationError
from ninja.openapi.schema import OpenAPISchema

DATABASE_CODES = ("database_full", "database_busy", "database_unavailable")


class MessageOut(Schema):
    """A refusal: what is wrong, in the caller's language."""

    detail: str


class ProblemOut(Schema):
    field: str
    code: str
    message: str


class ProblemsOut(Schema):
    """A request the API cannot act on: every problem at once."""

    detail: list[ProblemOut]


_LOCATIONS = ("body", "query", "path", "header", "cookie", "form", "file")


# pydantic names the member of a union each failed try was for, after the field: ``("lines", 0, "market", "int")``.
_UNION_MEMBERS = {"int", "float", "str", "bool", "none", "decimal", "date", "datetime", "list", "dict"}


def _field(location: list[Any]) -> str:
    """``["body", "data", "lines", 0, "market"]`` → ``lines[0].market``; ``["query", "offset"]`` → ``offset``."""
    parts = list(location)
    if parts and parts[0] in _LOCATIONS:
        kind = parts.pop(0)
        if kind == "body" and len(parts) > 1:
            parts.pop(0)  # the operation's parameter that holds the body
    while parts and isinstance(parts[-1], str) and (parts[-1] in _UNION_MEMBERS or "[" in parts[-1]):
        parts.pop()
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _message(code: str, context: dict[str, Any]) -> str:
    if code == "missing":
        return _("This field is required.")
    if code in ("less_than_equal", "less_than") and ("le" in context or "lt" in context):
        return _("Ensure this value is less than or equal to %(limit_value)s.") % {
            "limit_value": context.get("le", context.get("lt"))
        }
    if code in ("greater_than_equal", "greater_than") and ("ge" in context or "gt" in context):
        return _("Ensure this value is greater than or equal to %(limit_value)s.") % {
            "limit_value": context.get("ge", context.get("gt"))
        }
    return _("Enter a valid value.")


def validation_problems(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """ninja's request-validation errors as ``ProblemsOut`` items, one per field (a value that fits none of a
    union's types is one problem, code ``invalid``, not one per type tried)."""
    problems: dict[str, dict[str, str]] = {}
    for error in errors:
        field, code = _field(list(error.get("loc", ()))), str(error.get("type", "invalid"))
        if field in problems:
            problems[field].update(code="invalid", message=_message("invalid", {}))
            continue
        problems[field] = {"field": field, "code": code, "message": _message(code, dict(error.get("ctx") or {}))}
    return list(problems.values())


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _component(model: type[Schema]) -> dict[str, str]:
    """A reference to ``model``'s schema among the document's components (the operations that name it put it there:
    ``errors_document`` checks)."""
    return {"$ref": f"#/components/schemas/{model.__name__}"}


_UNAVAILABLE = {  # only this answer has it: written here, not a component
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string", "enum": list(DATABASE_CODES)}},
    "required": ["detail", "code"],
}
_EVERY_OPERATION = {
    "400": _answer("A NUL character in the query or the body", _component(MessageOut)),
    "401": _answer("No token, or not a valid one (nor a signed-in session)", _component(MessageOut)),
    "404": _answer("Not in your scope, unknown, or a malformed period", _component(MessageOut)),
    "503": _answer("The database is full, busy or unreachable; nothing was written", _UNAVAILABLE),
}
_PROBLEMS = _answer(
    "The request cannot be acted on: each problem with its field, code and message", _component(ProblemsOut)
)


def errors_document(schema: OpenAPISchema) -> OpenAPISchema:
    """Add the answers every operation may give (and 422 wherever it takes input) to those it documents itself."""
    components = schema.get("components", {}).get("schemas", {})
    missing = [m.__name__ for m in (MessageOut, ProblemsOut) if m.__name__ not in components]
    if missing:  # no operation names them any more: the references below would point nowhere
        raise RuntimeError(f"the API document lacks the error schemas {missing}")
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            documented = {str(status) for status in responses}  # ninja keys them by int: 422 and "422" are one
            added = dict(_EVERY_OPERATION)
            if operation.get("parameters") or operation.get("requestBody"):
                added["422"] = _PROBLEMS
            for status, response in added.items():
                if status not in documented:
                    responses[status] = response
    return schema


class ExportWatchAPI(NinjaAPI):
    """The API with one error shape (:func:`validation_problems`) and every answer in its OpenAPI document."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_exception_handler(ValidationError, self._validation_error)

    def _validation_error(self, request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return self.create_response(request, {"detail": validation_problems(list(exc.errors))}, status=422)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        return errors_document(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))
