"""Throttle failed logins without letting a stranger lock the owner out, with django-axes.

Axes records every failed `authenticate()` (the login page, the admin's, any other form) in its database
table, refuses to even try a password once locked, and shows its attempts in the admin. What is axes' own:
the lockout parameters (`AXES_LOCKOUT_PARAMETERS`: one count per account *and* address, one per address),
the window (`AXES_COOLOFF_TIME`), the lockout page (`AXES_LOCKOUT_CALLABLE`), its failure log
(`AXES_ENABLE_ACCESS_FAILURE_LOG`: every failure with its time and address) and its access log (the previous
login's time). What is ours, here:

1. Lock an address for an account after `LOGIN_FAILURES_PER_ACCOUNT_AND_IP` failures, and an address for
   everyone after `LOGIN_FAILURES_PER_IP`, for `LOGIN_FAILURE_WINDOW`. Failures from other addresses never
   close an account: five wrong passwords from anywhere no longer lock the owner out everywhere.
2. Slow an account down instead of closing it: once it has had `LOGIN_SLOWDOWN_AFTER` failures from any
   addresses within `LOGIN_SLOWDOWN_WINDOW` (from axes' failure log), each next try waits 1, 2, 4… seconds after
   the last failure, never more than `LOGIN_SLOWDOWN_MAX`. Nothing sleeps: a try too early is refused with
   "try again in N seconds" (429 and Retry-After), and a refused try is not a failure, so hammering does not
   lengthen the wait.
3. Let the owner in all the same: from a known device (a signed cookie set at every successful login, bound
   to the account's password, `KNOWN_DEVICE_COOKIE`), or through a one-time link emailed from the lockout
   page, which makes the browser that opens it a known device. Neither lifts a lock on an address.
4. After a login, tell the owner how many failed attempts there were since their previous login, and from
   where (`LoginThrottleHandler.user_logged_in`).

The client's address is the one the proxies in `TRUSTED_PROXIES` report (`client_ip`, from `crm/core/ratelimit.py`,
which the rate limits count by too).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import ngettext

from crm.core.ratelimit import client_ip

# What the database column holds (axes stores usernames in a varchar(255)).
USERNAME_LENGTH = 255


def axes_client_ip(request: HttpRequest) -> str | None:
    """Return the client's address as axes stores it (AXES_CLIENT_IP_CALLABLE): None when there is none (a
    test client's force_login, a peer on a Unix socket), which its address columns keep as NULL, not "unknown"
    (which PostgreSQL refuses in an inet column)."""
    address = client_ip(request)
    return None if address == "unknown" else address


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


KNOWN_DEVICE_COOKIE = "confiance_device"
_DEVICE_SALT = "confiance.throttle.known-device"
_UNLOCK_SALT = "confiance.throttle.unlock"


def _last(attempts: Any) -> tuple[int, datetime | None]:
    found = attempts.aggregate(failures=Count("id"), last=Max("attempt_time"))
    return found["failures"], found["last"]


def _stamp(user: Any, purpose: str) -> str:
    # Bound to the password (a reset revokes every known device and unlock link) and, for an unlock link, to
    # the last login (the link works until the owner is in).
    extra = str(user.last_login) if purpose == _UNLOCK_SALT else ""
    return salted_hmac(purpose, f"{user.pk}:{user.password}:{extra}").hexdigest()[:24]


def known_device_value(user: Any) -> str:
    """Return what the known-device cookie holds for `user` (signed when set)."""
    return f"{user.pk}:{_stamp(user, _DEVICE_SALT)}"


def is_known_device(request: HttpRequest, username: str) -> bool:
    """Whether this browser logged in to the account `username` before (its signed cookie says so)."""
    value = request.get_signed_cookie(
        KNOWN_DEVICE_COOKIE, default=None, salt=_DEVICE_SALT, max_age=settings.KNOWN_DEVICE_MAX_AGE
    )
    if not value or ":" not in value:
        return False
    pk, _stamp_value = value.split(":", 1)
    user = get_user_model().objects.filter(pk=pk if pk.isdigit() else 0).first()
    return (
        user is not None
        and normalise_username(user.get_username()) == username
        and constant_time_compare(value, known_device_value(user))
    )


def slowdown(failures: int) -> int:
    """Return the seconds an account waits after its last failure, having had `failures` from any address."""
    if failures < settings.LOGIN_SLOWDOWN_AFTER:
        return 0
    return min(settings.LOGIN_SLOWDOWN_MAX, 2 ** min(failures - settings.LOGIN_SLOWDOWN_AFTER, 30))


def _left(last: datetime | None, wait: timedelta, now: datetime) -> int:
    return 0 if last is None else max(0, math.ceil((last + wait - now).total_seconds()))


def wait_seconds(request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
    """Return how long this login must wait before a password is even tried (0: now), by the three rules."""
    now = timezone.now()
    username = attempted_username(request, credentials)
    address = axes_client_ip(request)
    window = settings.LOGIN_FAILURE_WINDOW
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - window)
    waits = [0]
    for attempts, limit in (
        (recent.filter(ip_address=address), settings.LOGIN_FAILURES_PER_IP),
        (recent.filter(ip_address=address, username=username), settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP),
    ):
        found = attempts.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        if (found["failures"] or 0) >= limit:
            waits.append(_left(found["last"], window, now))
    if username:
        since = now - settings.LOGIN_SLOWDOWN_WINDOW
        failures, last = _last(AccessFailureLog.objects.filter(username=username, attempt_time__gte=since))
        pause = _left(last, timedelta(seconds=slowdown(failures)), now)
        if pause and not is_known_device(request, username):
            waits.append(pause)
    return max(waits)


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
    """Axes' database handler with our rules (the module's docstring): locked while there is a wait."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        # Axes compares one count with one limit: the limit when there is a wait, nothing otherwise.
        return settings.AXES_FAILURE_LIMIT if wait_seconds(request, credentials) else 0

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        # A successful login proves the password from this address: its count for the account starts again.
        # The slowdown is left to decay (an attacker gains no fresh tries each time the owner logs in), and
        # the address's failures against other accounts still count.
        username = get_client_username(request, credentials)
        return clear_account(username, ip_address=request.axes_ip_address)

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        """Tell the owner about the failed attempts since their previous login; remember this device."""
        username = normalise_username(user.get_username())
        previous = AccessLog.objects.filter(username=user.get_username()).aggregate(last=Max("attempt_time"))
        failures = AccessFailureLog.objects.filter(username=username)
        if previous["last"] is not None:
            failures = failures.filter(attempt_time__gt=previous["last"])
        count, _last_time = _last(failures)
        if count:
            addresses = sorted(set(failures.values_list("ip_address", flat=True)[:100]))
            text = ngettext(
                "%(count)d failed login attempt since your previous login, from %(addresses)s. If it was not "
                "you, choose a stronger password.",
                "%(count)d failed login attempts since your previous login, from %(addresses)s. If it was not "
                "you, choose a stronger password.",
                count,
            ) % {"count": count, "addresses": ", ".join(str(a) for a in addresses[:5])}
            messages.warning(request, text, fail_silently=True)
        request.known_device_value = known_device_value(user)  # type: ignore[attr-defined]  # set on the way out
        super().user_logged_in(sender, request, user, **kwargs)


class KnownDeviceMiddleware:
    """Set the known-device cookie on the answer to a successful login or an unlock, whatever the login page
    (ours, the admin's, a second factor's): `user_logged_in` and `unlock` leave its value on the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        value = getattr(request, "known_device_value", None)
        if value:
            response.set_signed_cookie(
                KNOWN_DEVICE_COOKIE,
                value,
                salt=_DEVICE_SALT,
                max_age=int(settings.KNOWN_DEVICE_MAX_AGE.total_seconds()),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def clear_account(username: str, ip_address: str | None = None) -> int:
    """Forget an account's failed logins (from one address, or all), after a login, a reset or an unlock."""
    attempts = AccessAttempt.objects.filter(username=normalise_username(username))
    if ip_address is not None:
        attempts = attempts.filter(ip_address=ip_address)
    deleted, _ = attempts.delete()
    return deleted


def clear_after_password_reset(request: HttpRequest, username: str) -> None:
    """Unlock the account whose password was just reset, and the address that reset it (it proved who it is)."""
    clear_account(username)
    AccessAttempt.objects.filter(ip_address=axes_client_ip(request)).delete()
    AccessFailureLog.objects.filter(username=normalise_username(username)).delete()  # no slowdown either


# -- the one-time unlock link -----------------------------------------------------------------------------


def unlock_token(user: Any) -> str:
    """Return the token of an unlock link for `user`: signed, valid `LOGIN_UNLOCK_MAX_AGE`, once."""
    return signing.dumps({"u": user.pk, "s": _stamp(user, _UNLOCK_SALT)}, salt=_UNLOCK_SALT, compress=True)


def user_of_unlock_token(token: str) -> Any | None:
    """Return the account an unlock token is for, or None when it is forged, expired or already used."""
    try:
        data = signing.loads(token, salt=_UNLOCK_SALT, max_age=settings.LOGIN_UNLOCK_MAX_AGE)
    except signing.BadSignature:
        return None
    user = get_user_model().objects.filter(pk=data.get("u") or 0, is_active=True).first()
    if user is None or not constant_time_compare(str(data.get("s")), _stamp(user, _UNLOCK_SALT)):
        return None
    return user


def use_unlock_token(token: str) -> bool:
    """Claim an unlock token once (in the shared cache, for as long as it could be valid): False if used."""
    key = "throttle:unlock-used:" + hashlib.sha256(token.encode()).hexdigest()
    return cache.add(key, True, timeout=int(settings.LOGIN_UNLOCK_MAX_AGE.total_seconds()) + 60)


def unlock(request: HttpRequest, user: Any, answer: HttpResponse) -> HttpResponse:
    """Make this browser a known device of `user` and lift the account's lock from this address."""
    clear_account(user.get_username(), ip_address=axes_client_ip(request))
    request.known_device_value = known_device_value(user)  # type: ignore[attr-defined]  # the middleware sets it
    return answer


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """Answer a refused login: 429, how long to wait (Retry-After), and how to get in now."""
    wait = max(1, wait_seconds(request, credentials))
    username = attempted_username(request, credentials)
    response = render(
        request, "registration/locked_out.html", {"wait": wait, "username": username}, status=429
    )
    response["Retry-After"] = str(wait)
    return response
