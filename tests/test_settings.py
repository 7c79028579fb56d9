"""Settings from the environment: zero-setup defaults, EMAIL_URL parsing, and a production mode that insists."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import cache_settings, email_settings, env_bool, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 20 + "-random-enough-for-tests-0123456789"
# A Fernet key for the mailbox secrets (crm/capture/secrets.py), for tests only.
MAILBOX_KEY = "Y29uZmlhbmNlLXRlc3RzLW9ubHktbWFpbGJveC1rZXk="
CONFIG_VARS = [
    "CONFIANCE_ENV",
    "SECRET_KEY",
    "DEBUG",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "EMAIL_URL",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "TIME_ZONE",
    "VAR_DIR",
    "SIGNUP_ENABLED",
    "CACHE_URL",
    "TRUSTED_PROXIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
]
SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'engine': s.DATABASES['default']['ENGINE'], "
    "'db': str(s.DATABASES['default']['NAME']), 'broker': s.CELERY_BROKER_URL, "
    "'email': s.EMAIL_BACKEND, 'mail_path': getattr(s, 'EMAIL_FILE_PATH', ''), 'key': s.SECRET_KEY, "
    "'hosts': s.ALLOWED_HOSTS, 'secure_cookies': s.SESSION_COOKIE_SECURE, 'tz': s.TIME_ZONE, "
    "'signup': s.SIGNUP_ENABLED}))"
)


def _django(tmp_path: Path, code: str = SHOW, **env: str) -> subprocess.CompletedProcess[str]:
    """Start Django in a fresh interpreter with only the given configuration variables set."""
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path / "var"), **env})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )


def _settings(tmp_path: Path, **env: str) -> dict[str, Any]:
    done = _django(tmp_path, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- production refuses to start without what it needs -----------------------------------------------------


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    done = _django(tmp_path, "import django; django.setup()", CONFIANCE_ENV="production")
    assert done.returncode != 0
    assert "Production needs SECRET_KEY set to a random string of 50+ characters." in done.stderr


# Django's deploy check (security.W009) wants 50+ characters, 5+ of them distinct.
@pytest.mark.parametrize(
    "key",
    ["short", "django-insecure-" + "x" * 40, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", "ab" * 30],
)
def test_production_refuses_a_weak_secret_key(tmp_path: Path, key: str) -> None:
    done = _django(tmp_path, "import django; django.setup()", CONFIANCE_ENV="production", SECRET_KEY=key)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr


def test_production_refuses_debug(tmp_path: Path) -> None:
    done = _django(
        tmp_path, "import django; django.setup()", CONFIANCE_ENV="production", SECRET_KEY=GOOD_KEY, DEBUG="1"
    )
    assert done.returncode != 0
    assert "DEBUG must be off in production." in done.stderr


def test_production_starts_with_a_real_secret_and_secure_defaults(tmp_path: Path) -> None:
    shown = _settings(
        tmp_path,
        CONFIANCE_ENV="production",
        SECRET_KEY=GOOD_KEY,
        MAILBOX_KEYS=MAILBOX_KEY,
        ALLOWED_HOSTS="crm.example.com, www.example.com",
    )
    assert shown["debug"] is False
    assert shown["key"] == GOOD_KEY
    assert shown["hosts"] == ["crm.example.com", "www.example.com"]
    assert shown["secure_cookies"] is True
    assert not (tmp_path / "var" / "secret_key").exists()  # production never invents a key


PRODUCTION = {
    "CONFIANCE_ENV": "production",
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": "crm.example.com",
    "CACHE_URL": "redis://127.0.0.1:6379/6",  # a shared cache, as production needs (nothing connects here)
    "MAILBOX_KEYS": MAILBOX_KEY,
}


def test_check_deploy_passes_at_warning_level_in_production(tmp_path: Path) -> None:
    """`manage.py check --deploy --fail-level WARNING` exits 0: HSTS, SSL redirect, secure cookies, a long key."""
    # The browser tests allow async-unsafe calls in this process; a deployment never does.
    ignored = {*CONFIG_VARS, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in ignored}
    clean.update(
        {"DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path / "var"), **PRODUCTION}
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_production_answers_with_hsts_csp_and_a_redirect_to_https(tmp_path: Path) -> None:
    code = (
        "import django, json; django.setup(); from django.test import Client; from django.test.utils import "
        "setup_test_environment; setup_test_environment(); c = Client(); "
        "plain = c.get('/accounts/login/', HTTP_HOST='crm.example.com'); "
        "print(json.dumps({'plain': plain.status_code, 'to': plain.get('Location'), "
        "'hsts': c.head('/static/css/confiance.css', HTTP_HOST='crm.example.com', secure=True).get("
        "'Strict-Transport-Security')}))"
    )
    done = _django(tmp_path, code, **PRODUCTION)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["plain"] == 301
    assert shown["to"] == "https://crm.example.com/accounts/login/"
    assert shown["hsts"] == "max-age=31536000; includeSubDomains; preload"


# -- development defaults: nothing to install, nothing to configure ------------------------------------------


def test_defaults_use_sqlite_under_var_an_embedded_broker_and_files_for_mail(tmp_path: Path) -> None:
    shown = _settings(tmp_path)
    var = tmp_path / "var"
    assert shown["debug"] is True
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["db"] == str(var / "confiance.sqlite3")
    assert shown["broker"] == f"sqla+sqlite:///{var / 'celery-broker.sqlite3'}"
    assert shown["email"] == "django.core.mail.backends.filebased.EmailBackend"
    assert shown["mail_path"] == str(BASE_DIR / "var" / "mail")
    assert shown["tz"] == "Europe/Paris"
    assert shown["signup"] is True


def test_the_default_sqlite_database_is_opened_in_wal_mode_and_read_through_a_memory_map(
    tmp_path: Path,
) -> None:
    pragmas = (
        "import django, json; django.setup(); from django.db import connection as c; cur = c.cursor(); "
        "print(json.dumps([cur.execute(f'PRAGMA {name}').fetchone()[0] for name in "
        "('journal_mode', 'synchronous', 'mmap_size')]))"
    )
    for env, mmap_size in (({}, 2**30), ({"SQLITE_MMAP_SIZE": "0"}, 0)):
        done = _django(tmp_path, pragmas, **env)
        assert done.returncode == 0, done.stderr
        # synchronous: 1 is NORMAL.
        assert json.loads(done.stdout.strip().splitlines()[-1]) == ["wal", 1, mmap_size]


def test_development_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = _settings(tmp_path)["key"]
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.read_text().strip() == first
    assert len(first) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert _settings(tmp_path)["key"] == first


def test_environment_overrides_the_defaults(tmp_path: Path) -> None:
    shown = _settings(
        tmp_path,
        DATABASE_URL="postgres://confiance:secret@db.internal:5432/confiance",
        CELERY_BROKER_URL="redis://cache.internal:6379/1",
        EMAIL_URL="smtp://mailer:pw@smtp.example.com:587?tls=1",
        TIME_ZONE="America/Montreal",
        SIGNUP_ENABLED="false",
        DEBUG="0",
    )
    assert shown["engine"] == "django.db.backends.postgresql"
    assert shown["db"] == "confiance"
    assert shown["broker"] == "redis://cache.internal:6379/1"
    assert shown["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert shown["tz"] == "America/Montreal"
    assert shown["signup"] is False
    assert shown["debug"] is False


# -- EMAIL_URL ---------------------------------------------------------------------------------------------


def test_smtp_url_with_tls_and_an_encoded_password() -> None:
    parsed = email_settings("smtp://me%40example.com:p%40ss%2Fword@smtp.example.com:587?tls=1", BASE_DIR)
    assert parsed == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "me@example.com",
        "EMAIL_HOST_PASSWORD": "p@ss/word",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 20,
    }


def test_smtps_url_uses_ssl_on_port_465() -> None:
    parsed = email_settings("smtps://user:pw@mail.example.com", BASE_DIR)
    assert (parsed["EMAIL_USE_SSL"], parsed["EMAIL_USE_TLS"], parsed["EMAIL_PORT"]) == (True, False, 465)


def test_smtp_url_without_credentials_defaults_to_port_25() -> None:
    parsed = email_settings("smtp://localhost", BASE_DIR)
    assert (parsed["EMAIL_HOST"], parsed["EMAIL_PORT"], parsed["EMAIL_HOST_USER"]) == ("localhost", 25, "")


def test_file_url_relative_to_the_project_or_absolute(tmp_path: Path) -> None:
    assert email_settings("file://var/mail", BASE_DIR)["EMAIL_FILE_PATH"] == str(BASE_DIR / "var" / "mail")
    assert email_settings(f"file://{tmp_path}/out", BASE_DIR)["EMAIL_FILE_PATH"] == str(tmp_path / "out")


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("console://", "django.core.mail.backends.console.EmailBackend"),
        ("locmem://", "django.core.mail.backends.locmem.EmailBackend"),
    ],
)
def test_console_and_locmem_urls(url: str, backend: str) -> None:
    assert email_settings(url, BASE_DIR) == {"EMAIL_BACKEND": backend}


def test_an_unknown_email_scheme_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="unsupported scheme: 'pigeon'"):
        email_settings("pigeon://loft", BASE_DIR)


# -- small readers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("Yes", True), ("on", True), ("0", False), ("false", False), ("", True)],
)
def test_env_bool_reads_words_and_falls_back_on_empty(monkeypatch: Any, raw: str, expected: bool) -> None:
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", default=True) is expected


def test_env_list_splits_on_commas_and_trims(monkeypatch: Any) -> None:
    monkeypatch.setenv("SOME_LIST", " a.example.com ,b.example.com,, ")
    assert env_list("SOME_LIST", []) == ["a.example.com", "b.example.com"]
    monkeypatch.delenv("SOME_LIST")
    assert env_list("SOME_LIST", ["default"]) == ["default"]


def test_cache_url_picks_redis_or_per_process_memory() -> None:
    redis = cache_settings("redis://127.0.0.1:6379/1")
    assert redis == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
    assert cache_settings("locmem://")["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        cache_settings("memcached://127.0.0.1")


@pytest.mark.services
def test_the_configured_cache_keeps_what_it_is_given() -> None:
    # With CACHE_URL=redis://... (as in CI) this talks to the real Redis: a missing server fails the test.
    from django.core.cache import cache

    cache.set_many({"test:a": "<li>un</li>", "test:b": "<li>deux</li>"}, 60)
    assert cache.get_many(["test:a", "test:b", "test:c"]) == {
        "test:a": "<li>un</li>",
        "test:b": "<li>deux</li>",
    }


def test_production_refuses_to_start_without_mailbox_keys(tmp_path: Path) -> None:
    env = {key: value for key, value in PRODUCTION.items() if key != "MAILBOX_KEYS"}
    done = _django(tmp_path, "import django; django.setup()", **env)
    assert done.returncode != 0
    assert "Production needs MAILBOX_KEYS" in done.stderr
