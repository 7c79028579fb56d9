"""Throttle failed logins per account and per IP with counters in the database."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from clients.models import LoginThrottle


def client_ip(request: HttpRequest) -> str:
    # Behind a proxy, configure it to set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _limits(username: str, ip: str) -> list[tuple[str, str, int]]:
    return [
        (LoginThrottle.Scope.ACCOUNT, username.strip().lower(), settings.LOGIN_FAILURES_PER_ACCOUNT),
        (LoginThrottle.Scope.IP, ip, settings.LOGIN_FAILURES_PER_IP),
    ]


def is_locked_out(username: str, ip: str) -> bool:
    """Return True when the account or the IP reached its failure limit within the window."""
    since = timezone.now() - settings.LOGIN_FAILURE_WINDOW
    for scope, key, limit in _limits(username, ip):
        if LoginThrottle.objects.filter(
            scope=scope, key=key, window_started_at__gte=since, failures__gte=limit
        ).exists():
            return True
    return False


def record_failure(username: str, ip: str) -> None:
    """Count one failed login against the account and the IP, restarting expired windows."""
    now = timezone.now()
    since = now - settings.LOGIN_FAILURE_WINDOW
    with transaction.atomic():
        for scope, key, _limit in _limits(username, ip):
            row, created = LoginThrottle.objects.select_for_update().get_or_create(
                scope=scope, key=key, defaults={"failures": 1, "window_started_at": now}
            )
            if created:
                continue
            if row.window_started_at < since:
                row.failures, row.window_started_at = 1, now
                row.save(update_fields=["failures", "window_started_at"])
            else:
                LoginThrottle.objects.filter(pk=row.pk).update(failures=F("failures") + 1)


def clear_account(username: str) -> None:
    """Forget an account's failures after a successful login."""
    LoginThrottle.objects.filter(scope=LoginThrottle.Scope.ACCOUNT, key=username.strip().lower()).delete()
