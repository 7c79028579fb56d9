"""The address the app's absolute links (emails, the calendar feed) point at.

In production it is SITE_URL, always set. In development, without SITE_URL, it is the address the last request
came in on (`make run` on another port, a phone on the local network): the web process writes it to
`VAR_DIR/site-url`, which the worker sending the digest reads, so links never point at a port nobody serves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REMEMBERED = "site-url"


def _remembered_file() -> Path:
    return Path(settings.VAR_DIR) / REMEMBERED


def _follows_requests() -> bool:
    return settings.DEBUG and not settings.SITE_URL_FROM_ENVIRONMENT


def site_url() -> str:
    """Return the scheme and host absolute links start with, without a trailing slash."""
    if _follows_requests():
        try:
            remembered = _remembered_file().read_text(encoding="utf-8").strip()
        except OSError:
            remembered = ""
        if remembered:
            return remembered
    return settings.SITE_URL


class RememberRequestSiteMiddleware:
    """In development without SITE_URL, remember the address requests come in on (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.written = ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _follows_requests():
            origin = f"{request.scheme}://{request.get_host()}"
            if origin != self.written:
                path = _remembered_file()
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(origin, encoding="utf-8")
                self.written = origin
        return self.get_response(request)
