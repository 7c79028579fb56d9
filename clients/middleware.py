from __future__ import annotations

from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext

from clients import devices, twofactor


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


class TwoFactorMiddleware:
    """Hold a session that owes its second factor (or, for staff, its set-up) on that step: every other page
    redirects there (clients/twofactor.py). Reads only the session's flags, so it costs no query."""

    # The pages each kind of half-login may still open.
    OPEN = {
        twofactor.PENDING: {"two_factor_verify", "logout"},
        twofactor.SETUP_REQUIRED: {"two_factor_setup", "logout"},
    }
    GO_TO = {twofactor.PENDING: "two_factor_verify", twofactor.SETUP_REQUIRED: "two_factor_setup"}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated:
            for flag, open_names in self.OPEN.items():
                if session.get(flag):
                    try:
                        name = resolve(request.path_info).url_name
                    except Resolver404:
                        name = None
                    if name not in open_names:
                        target = reverse(self.GO_TO[flag])
                        if request.method == "GET" and flag == twofactor.PENDING:
                            target += "?" + urlencode({"next": request.get_full_path()})
                        return redirect(target)
        return self.get_response(request)


class SessionSeenMiddleware:
    """Keep Settings → Sessions' "last seen" of the signed-in session (clients/devices.py: a write at most
    every few minutes)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(request, "session", None) is not None and request.user.is_authenticated:
            devices.seen(request)
        return self.get_response(request)


def _has_nul(values: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in items) for key, items in values.lists())


# Where config/urls.py mounts the REST API.
API_PATH = "/api/"


class RejectNulBytesMiddleware:
    """Refuse a request whose query string or form carries a NUL byte: no database stores one (PostgreSQL
    refuses it in text), so it can only be a mistake or a probe. Answer 400 with a page that says so."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            "\x00" in request.path
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            if request.path.startswith(API_PATH):
                # The REST API (crm/api) answers every refusal as RFC 9457 problem details, not as a page.
                problem = {"type": "about:blank", "title": "Bad Request", "status": 400}
                problem["detail"] = gettext("A request may not carry a NUL character.")
                return JsonResponse(problem, status=400, content_type="application/problem+json")
            return render(request, "errors/400_nul.html", status=400)
        return self.get_response(request)


class AtomicWritesMiddleware:
    """Run every request that may write (not GET, HEAD or OPTIONS) in one transaction with its signals.

    A view that fails after its write (a signal receiver, a later query) answers 500 and the write is rolled
    back: nothing half-done is stored. Reads stay out of transactions (on SQLite a write transaction would
    queue every reader behind it).
    """

    SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

    @staticmethod
    def _opted_out(request: HttpRequest) -> bool:
        """Honour Django's `transaction.non_atomic_requests` on a view that writes nothing but waits on
        something slow (the password reset sends its email): on SQLite its transaction would hold the write
        lock all that time."""
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return False
        return DEFAULT_DB_ALIAS in getattr(match.func, "_non_atomic_requests", set())

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in self.SAFE_METHODS or self._opted_out(request):
            return self.get_response(request)
        with transaction.atomic():
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response
