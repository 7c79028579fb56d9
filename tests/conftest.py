"""Shared personas: alice owns the data, bob is another freelancer who must never see it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as project_settings
from django.utils import translation

from tests.factories import PASSWORD, make_user

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(available: bool, what: str) -> None:
    """Skip a test whose service is missing on a developer's machine; fail it in CI, where it must run."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI (CI=true) but is not available.")
    pytest.skip(f"{what} is not available here.")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(autouse=True)
def _isolated_email(settings: Any, tmp_path: Any) -> None:
    # Tests read mail.outbox; never write into the developer's var/mail.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request through LocaleMiddleware leaves its language active in the thread: each test starts in the
    # default language, whatever the test before it requested.
    with translation.override(project_settings.LANGUAGE_CODE):
        yield


@pytest.fixture(scope="session", autouse=True)
def _temporary_embedded_broker(tmp_path_factory: Any) -> None:
    # A task queued by a test goes to a throwaway broker file, never var/celery-broker.sqlite3.
    from config.celery import app

    if app.conf.broker_url.startswith("sqla+"):
        app.conf.broker_url = f"sqla+sqlite:///{tmp_path_factory.mktemp('broker') / 'celery-broker.sqlite3'}"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    # Rendered items are cached by content (crm/web/fragments.py); each test starts with none, whatever the backend.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2 costs about a second per persona here; tests check logins, not the hash's strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def one_rate_window() -> Iterator[None]:
    """Hold the clock still: the window of a rate limit (django-ratelimit's, each key's offset within the period)
    must not turn between the requests a test counts against it."""
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now(), tick=False):
        yield


@pytest.fixture
def alice(db: None) -> Any:
    return make_user("alice", display_name="Alice Martin", language="en", time_zone="Europe/Paris")


@pytest.fixture
def bob(db: None) -> Any:
    return make_user("bob", display_name="Bob Durand", language="fr", time_zone="Europe/Paris")


@pytest.fixture
def alice_client(client: Any, alice: Any) -> Any:
    """Django's test client, logged in as alice."""
    client.force_login(alice)
    return client


@pytest.fixture
def admin_client(admin_user: Any) -> Any:
    """pytest-django's admin client (a test client of its own, beside `client`), past the second factor staff
    must have (tests/factories.py)."""
    from django.test import Client as HttpClient

    from tests.factories import log_in_staff

    return log_in_staff(HttpClient(), admin_user)


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def eager_celery(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run tasks (and the groups they send) inline in the test's thread and transaction, errors raised."""
    from config.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    monkeypatch.setattr(app.conf, "task_eager_propagates", True)


# Fixtures through which a test reaches the database or a service (the closure of a test's fixtures is checked).
_DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_setup",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """In CI's second database pass (SECOND_DATABASE_PASS=1), leave out the tests that touch neither the database
    nor a service: the first pass ran them on the same code, and they cannot answer differently on PostgreSQL."""
    if os.environ.get("SECOND_DATABASE_PASS") != "1":
        return
    kept, left_out = [], []
    for item in items:
        reaches_a_service = (
            item.get_closest_marker("django_db")
            or item.get_closest_marker("worker")
            or item.get_closest_marker("postgresql")
            or item.get_closest_marker("services")
            or _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        (kept if reaches_a_service else left_out).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Report what the fuzz (tests/test_fuzz.py) sent and how it was answered, when it ran."""
    import sys

    fuzz = sys.modules.get("tests.test_fuzz")
    if fuzz is None or not fuzz.REQUESTS:
        return
    total = sum(fuzz.REQUESTS.values())
    errors = sum(count for status, count in fuzz.STATUSES.items() if status >= 500)
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(fuzz.STATUSES.items()))
    database = project_settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    terminalreporter.write_line(
        f"fuzz ({database}): {total} requests over {len(fuzz.REQUESTS)} forms and searches, "
        f"{errors} answered 500 ({statuses})"
    )
