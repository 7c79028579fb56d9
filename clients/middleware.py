from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


class ProfileLocaleMiddleware:
    """Speak the signed-in freelancer's language and show times in their time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        profile = getattr(user, "profile", None) if user is not None and user.is_authenticated else None
        if profile is not None:
            translation.activate(profile.language)
            request.LANGUAGE_CODE = profile.language
            timezone.activate(profile.zone)
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        if profile is not None:
            response.headers.setdefault("Content-Language", profile.language)
        return response
