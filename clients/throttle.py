"""Throttle failed logins per account and per real client address, with django-axes.

Axes records every failed `authenticate()` (the login page, the admin's, any other form) in its database
table, refuses to even try a password once locked, and shows its attempts in the admin. This module gives it
what is ours: the client's address as the proxies in `TRUSTED_PROXIES` report it (`client_ip`, from
`crm/core/ratelimit.py`, which the rate limits count by too), the account named the way the limits count it, the two limits (`LOGIN_FAILURES_PER_ACCOUNT`, `LOGIN_FAILURES_PER_IP`), the lockout page,
and the unlocking that a password reset promises.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.core.ratelimit import client_ip

# What the database column holds (axes stores usernames in a varchar(255)).
USERNAME_LENGTH = 255


def normalise_username(username: object) -> str:
    """Return the account a login attempt counts against: trimmed, lower-cased, as long as the column allows."""
    return str(username or "").strip().lower()[:USERNAME_LENGTH]


def attempted_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """Name the account a login attempt was for (axes' AXES_USERNAME_CALLABLE)."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username", "")
    return normalise_username(username)


def login_window(request: HttpRequest | None = None) -> timedelta:
    """Return how long failures count and a lockout lasts (axes' AXES_COOLOFF_TIME)."""
    return settings.LOGIN_FAILURE_WINDOW


def _failures(attempts: Any) -> int:
    return sum(attempts.values_list("failures_since_start", flat=True))


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' backend (refuse to check a password once locked out), for logins that come with a request.

    A login form always passes its request (Django's and the admin's do); `authenticate()` without one (the
    test client's `login()`, a shell) has no client address to count against and is left to the next backend.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class LoginThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per account and another per address.

    Axes compares one count with one limit; the count it gets here is the limit itself when either of ours is
    reached, and below it otherwise.
    """

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        by_account, by_ip = (_failures(attempts) for attempts in self.get_user_attempts(request, credentials))
        limit = settings.AXES_FAILURE_LIMIT
        if by_account >= settings.LOGIN_FAILURES_PER_ACCOUNT or by_ip >= settings.LOGIN_FAILURES_PER_IP:
            return limit
        return min(max(by_account, by_ip), limit - 1)

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        # A successful login proves the account's password, not the address's innocence: the failures from
        # that address against other accounts still count.
        return clear_account(get_client_username(request, credentials))


def clear_account(username: str) -> int:
    """Forget an account's failed logins (after a successful login or password reset)."""
    deleted, _ = AccessAttempt.objects.filter(username=normalise_username(username)).delete()
    return deleted


def clear_after_password_reset(request: HttpRequest, username: str) -> None:
    """Unlock the account whose password was just reset, and the address that reset it (it proved who it is)."""
    clear_account(username)
    AccessAttempt.objects.filter(ip_address=client_ip(request)).delete()


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """Answer a locked-out login: 429, saying how to get back in."""
    return render(request, "registration/locked_out.html", status=429)
