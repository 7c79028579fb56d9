"""Benchmark settings: the project's own, plus a trivial 'floor' view; no debug overhead."""

from __future__ import annotations

from config.settings import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Fast hashing so building 1,000 freelancers doesn't spend minutes in PBKDF2 (bench accounts only).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The bench's own broker file, so a bench never drains or fills the development broker.
if CELERY_BROKER_URL.startswith("sqla+sqlite"):  # noqa: F405
    CELERY_BROKER_URL = f"sqla+sqlite:///{VAR_DIR / 'bench-broker.sqlite3'}"  # noqa: F405
