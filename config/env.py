"""Read configuration from the environment (12-factor), with defaults that run on a fresh machine."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else raw.strip().lower() in TRUE_WORDS


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def development_secret_key(var_dir: Path) -> str:
    """Return the development secret kept under var/, creating it on first use."""
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def email_settings(url: str, base_dir: Path) -> dict[str, object]:
    """Turn EMAIL_URL into Django email settings.

    Supported: smtp://user:password@host:port (add ?tls=1 or ?ssl=1), file:///abs/path or file://relative/path,
    console://, locmem://.
    """
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme == "file":
        location = unquote(parts.netloc + parts.path)
        path = Path(location)
        if not path.is_absolute():
            path = base_dir / path
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(path),
        }
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme in {"smtp", "smtps"}:
        query = parse_qs(parts.query)
        use_ssl = scheme == "smtps" or query.get("ssl", ["0"])[0] in TRUE_WORDS
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or (465 if use_ssl else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": query.get("tls", ["0"])[0] in TRUE_WORDS,
            "EMAIL_USE_SSL": use_ssl,
            "EMAIL_TIMEOUT": 20,
        }
    raise ImproperlyConfigured(f"EMAIL_URL has an unsupported scheme: {scheme!r}")


def cache_settings(url: str) -> dict[str, object]:
    """Turn CACHE_URL into the default cache: redis://host:port/db (shared by every process), or
    locmem:// (each process its own; the default)."""
    scheme = urlsplit(url).scheme
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "locmem":
        # Enough for a few books' rendered rows and items (about 1 kB each) per process.
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    raise ImproperlyConfigured(f"CACHE_URL has an unsupported scheme: {scheme!r}")
