"""Errors as `application/problem+json` (RFC 9457): one shape for every refusal of the API.

`{"type": "about:blank", "title": "Not Found", "status": 404, "detail": "…"}`, and for refused input an
`errors` member mapping each field to its messages (the same messages the forms show).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import wraps
from http import HTTPStatus
from typing import Any

from django.core.exceptions import ValidationError as ModelValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as InputValidationError

from crm.api.language import in_requested_language

MEDIA_TYPE = "application/problem+json"
# Statuses every operation may answer with a problem (documented in the schema; see app.py).
ERROR_STATUSES = frozenset({400, 401, 403, 404, 409, 422, 429})


# The status's name in the request's language (RFC 9457 lets a title change only by its localisation).
TITLES = {
    400: _lazy("Bad Request"),
    401: _lazy("Unauthorized"),
    403: _lazy("Forbidden"),
    404: _lazy("Not Found"),
    405: _lazy("Method Not Allowed"),
    409: _lazy("Conflict"),
    422: _lazy("Unprocessable Entity"),
    429: _lazy("Too Many Requests"),
}


class Problem(Schema):
    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: dict[str, list[str]] | None = None


class Refused(Exception):
    """A refusal that is not the input's fault: 403 (scope) or 429 (rate), with its headers."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


def problem(
    status: int,
    detail: str = "",
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """Return the problem response for `status`."""
    title = TITLES.get(status, HTTPStatus(status).phrase)
    body: dict[str, Any] = {"type": "about:blank", "title": str(title), "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False), status=status, content_type=MEDIA_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_of(location: Iterable[Any]) -> str:
    """Return the field a pydantic error location names: ("body", "payload", "due_on") -> "due_on"."""
    parts = [str(part) for part in location if part not in ("body", "payload", "query", "filters", "path")]
    return ".".join(parts) or "__all__"


# pydantic's error types in our words (its own messages are English only, and a validator's ValueError comes back
# as "Value error, <our message>").
INPUT_ERRORS = {
    "missing": _lazy("This field is required."),
    "int_parsing": _lazy("Enter a whole number."),
    "int_type": _lazy("Enter a whole number."),
    "int_from_float": _lazy("Enter a whole number."),
    "float_parsing": _lazy("Enter a number."),
    "decimal_parsing": _lazy("Enter a number."),
    "decimal_type": _lazy("Enter a number."),
    "bool_parsing": _lazy("Enter true or false."),
    "bool_type": _lazy("Enter true or false."),
    "string_type": _lazy("Enter a text."),
    "string_too_long": _lazy("This text is too long."),
    "list_type": _lazy("Enter a list."),
    "dict_type": _lazy("Enter an object."),
    "model_attributes_type": _lazy("Enter an object."),
    "extra_forbidden": _lazy("This field is not expected here."),
    "literal_error": _lazy("Choose one of the values the documentation lists."),
    "enum": _lazy("Choose one of the values the documentation lists."),
    "json_invalid": _lazy("The body is not valid JSON."),
}


def _input_message(error: dict[str, Any]) -> str:
    if error.get("type") == "value_error":
        context = error.get("ctx", {})
        return str(context.get("error", "")) or str(error.get("msg", "")).removeprefix("Value error, ")
    known = INPUT_ERRORS.get(str(error.get("type", "")))
    return str(known) if known is not None else str(error.get("msg", ""))


def input_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in errors:
        found.setdefault(_field_of(error.get("loc", ())), []).append(_input_message(error))
    return found


def model_errors(error: ModelValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            field: [str(m) for m in ModelValidationError(items).messages]
            for field, items in error.error_dict.items()
        }
    return {"__all__": [str(m) for m in error.messages]}


def install(api: Any) -> None:
    """Answer each kind of failure of `api` with its problem."""

    def invalid_input(request: HttpRequest, exc: InputValidationError) -> HttpResponse:
        return problem(422, _("The request is not valid."), input_errors(exc.errors))

    def invalid_record(request: HttpRequest, exc: ModelValidationError) -> HttpResponse:
        if any(error.code == "number_taken" for error in getattr(exc, "error_dict", {}).get("number", [])):
            # Not a malformed request: it collides with a record the book already holds (RFC 9110, 409).
            return problem(409, _("This number is already taken."), model_errors(exc))
        return problem(422, _("The request is not valid."), model_errors(exc))

    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        detail = _("Send a valid access token: Authorization: Bearer <token>.")
        return problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="api"'})

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(404, _("There is no such record in your book."))

    def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
        return problem(exc.status, exc.detail, headers=exc.headers)

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(exc.status_code, str(exc))

    def conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # A constraint the validation could not see coming (another request took the same invoice number
        # between our check and our insert): the savepoint of the write was rolled back, nothing was stored.
        return problem(409, _("This conflicts with another record of your book; nothing was changed."))

    api.add_exception_handler(InputValidationError, invalid_input)
    api.add_exception_handler(ModelValidationError, invalid_record)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(Refused, refused)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(IntegrityError, conflict)


@csrf_exempt  # no session: nothing to forge (crm/api/auth.py)
@in_requested_language
def not_found_view(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Answer a URL under /api/ that names no endpoint (or an id that is not a number); a trailing slash is
    forgiven: `/api/clients/` is `/api/clients`, whatever the method (no redirect, which would lose a body)."""
    if rest.endswith("/"):
        try:
            match = resolve(request.path_info.rstrip("/"))
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found_view:
            return match.func(request, *match.args, **match.kwargs)
    return problem(404, _("There is no such endpoint."))


def method_problems(patterns: list[Any]) -> list[Any]:
    """Return the API's URL patterns with each view answering a method it does not take (405) as a problem too;
    django-ninja answers it with Django's plain page. The `Allow` header is kept."""
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            method_problems(pattern.url_patterns)
        else:
            pattern.callback = in_requested_language(_problem_when_not_allowed(pattern.callback))
    return patterns


def _problem_when_not_allowed(view: Any) -> Any:
    @wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(MEDIA_TYPE):
            return problem(
                405,
                _("This endpoint does not take %(method)s.") % {"method": request.method},
                headers={"Allow": response.get("Allow", "")},
            )
        return response

    return answer
