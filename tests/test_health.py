"""`/health/` for the load balancer: database, cache, broker and beat freshness, no login, no secrets."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from config.celery import app as celery_app
from crm.core.heartbeat import SWEEP_HEARTBEAT_KEY
from crm.reminders import tasks

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def health(client: Any) -> tuple[int, dict[str, Any], str]:
    response = client.get(reverse("health"))
    body = response.content.decode()
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, json.loads(body), body


def test_all_well_answers_200_without_login(
    client: Any, db: None, django_assert_max_num_queries: Any
) -> None:
    tasks.sweep()  # what beat sends every minute: it stamps its time
    with django_assert_max_num_queries(1):  # SELECT 1
        status, answer, _ = health(client)
    assert status == 200
    assert answer["status"] == "ok"
    assert set(answer["checks"]) == {"database", "cache", "broker", "beat"}
    assert all(check["ok"] for check in answer["checks"].values())
    assert answer["checks"]["beat"]["last_sweep_seconds_ago"] <= 5


def test_a_stale_sweep_means_beat_is_down(client: Any, db: None, settings: Any) -> None:
    cache.set(SWEEP_HEARTBEAT_KEY, time.time() - settings.HEALTH_BEAT_MAX_AGE - 60, timeout=None)
    status, answer, _ = health(client)
    assert status == 503
    assert answer["status"] == "failing"
    assert answer["checks"]["beat"] == {
        "ok": False,
        "last_sweep_seconds_ago": settings.HEALTH_BEAT_MAX_AGE + 60,
    }
    assert answer["checks"]["database"]["ok"] is True


def test_a_sweep_that_never_ran_fails_on_a_shared_cache(client: Any, db: None, settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "x"}}
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)
    status, answer, _ = health(client)
    assert (status, answer["checks"]["beat"]) == (503, {"ok": False, "detail": "the sweep never ran"})


def test_a_sweep_that_never_ran_is_not_checked_on_a_per_process_cache(
    client: Any, db: None, settings: Any
) -> None:
    """The default cache (locmem://, development): this process cannot see the worker's stamp, so /health/
    says so instead of answering 503 for ever."""
    settings.CACHES = LOCMEM
    assert cache.get(tasks.SWEEP_HEARTBEAT_KEY) is None
    status, answer, _ = health(client)
    assert status == 200
    assert answer["checks"]["beat"] == {
        "ok": True,
        "detail": "not checked: the cache is not shared (CACHE_URL=locmem://)",
    }


def test_an_unreachable_broker_and_cache_fail_without_telling_where(
    client: Any, db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "redis://:s3cret-password@127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setenv("CELERY_BROKER_URL", secret)  # Celery reads this variable before its settings
    monkeypatch.setattr(celery_app.conf, "broker_url", secret)
    monkeypatch.setattr(celery_app, "_pool", None)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": secret}
    }
    status, answer, body = health(client)
    assert status == 503
    assert answer["checks"]["broker"]["ok"] is False
    assert answer["checks"]["cache"]["ok"] is False
    assert answer["checks"]["database"] == {"ok": True}
    assert "s3cret" not in body and "127.0.0.1" not in body


def test_the_proxy_routes_on_what_a_web_process_needs(client: Any, db: None, settings: Any) -> None:
    cache.set(SWEEP_HEARTBEAT_KEY, time.time() - settings.HEALTH_BEAT_MAX_AGE - 60, timeout=None)
    response = client.get(reverse("health"), {"only": "database,cache,nonsense"})
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "cache"}


def test_only_reads_are_allowed(client: Any, db: None) -> None:
    assert client.post(reverse("health")).status_code == 405
