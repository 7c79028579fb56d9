"""The API's one language per request: the first language of `Accept-Language` that the app speaks, else
English, whatever the token owner's own language (a script's output must not change with its owner's settings)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

DEFAULT = "en"


def requested_language(request: HttpRequest) -> str:
    """Return the language an API request asks for in `Accept-Language` (by its q-values), else English."""
    ranked = []
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        try:
            quality = (
                float(parameters.strip().removeprefix("q=")) if parameters.strip().startswith("q=") else 1.0
            )
        except ValueError:
            continue
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag))
    spoken = {code for code, _name in settings.LANGUAGES}
    for _quality, _position, tag in sorted(ranked):
        code = tag.split("-")[0].lower()
        if code in spoken:
            return code
    return DEFAULT


def in_requested_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run an API view in the request's language, and say which in the response (`Content-Language`)."""

    @wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = requested_language(request)
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        patch_vary_headers(response, ["Accept-Language"])
        return response

    return answer
