"""`/health/` for the load balancer: is this web process able to serve, and is the background work alive?

Four checks, each answered with `ok` and a short detail (never an address, a password or an exception's
message, which can hold both): the database answers a query, the cache stores and reads a value, the broker
accepts a connection, and the beat sweep ran within `HEALTH_BEAT_MAX_AGE` seconds (it stamps its time in the
shared cache every minute: a stale stamp means beat, or every worker, is down). 200 when all is well, 503
with what failed otherwise; no login, never cached.

`?only=database,cache` runs only those checks: what the proxy should route on (a web process that reaches its
database and cache can serve, even while beat is down), where monitoring polls the whole `/health/`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.celery import app as celery_app
from crm.core.heartbeat import SWEEP_HEARTBEAT_KEY

Check = dict[str, Any]


def _database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _cache() -> Check:
    key, value = "confiance:health:probe", uuid.uuid4().hex
    cache.set(key, value, timeout=30)
    return {"ok": cache.get(key) == value}


def _broker() -> Check:
    with celery_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=3)
    return {"ok": True}


def _beat() -> Check:
    stamp = cache.get(SWEEP_HEARTBEAT_KEY)
    if stamp is None:
        # `cache` is Django's proxy to the default backend, never a LocMemCache itself: ask the backend.
        if isinstance(caches["default"], LocMemCache):
            # Each process has its own locmem cache: this one cannot see the worker's stamp (development).
            return {"ok": True, "detail": "not checked: the cache is not shared (CACHE_URL=locmem://)"}
        return {"ok": False, "detail": "the sweep never ran"}
    age = round(time.time() - float(stamp))
    return {"ok": age <= settings.HEALTH_BEAT_MAX_AGE, "last_sweep_seconds_ago": age}


CHECKS: dict[str, Callable[[], Check]] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "beat": _beat,
}


def _run(check: Callable[[], Check]) -> Check:
    try:
        return check()
    except Exception as exc:
        # The exception's name only: its message may carry a host, a user or a password.
        return {"ok": False, "detail": f"unreachable ({type(exc).__name__})"}


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """Answer 200 with every check (or those named by `?only=`) when all is well, 503 when any failed."""
    only = [name for name in request.GET.get("only", "").split(",") if name in CHECKS] or list(CHECKS)
    checks = {name: _run(CHECKS[name]) for name in only}
    healthy = all(result["ok"] for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": checks}, status=200 if healthy else 503
    )
