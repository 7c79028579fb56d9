"""Mailbox passwords encrypted at rest with `cryptography`'s MultiFernet.

The keys come from the environment: `MAILBOX_KEYS`, comma-separated Fernet keys, the first one encrypting,
every one decrypting. Rotation (docs/capture.md): put a new key first, run `manage.py rotate_mailbox_keys`
(every stored secret re-encrypted with it), then drop the old key. Without `MAILBOX_KEYS`, development and tests
use a key derived from SECRET_KEY, so `make run` needs no setup; production settings refuse to start without it.
Secrets are never logged: errors name the mailbox, never the token or the password.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "decrypt", "encrypt", "fernet", "rotate"]


def development_key(secret_key: str) -> str:
    """Return a Fernet key derived from the Django secret key (development and tests only)."""
    digest = hashlib.sha256(b"confiance mailbox secrets\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def fernet() -> MultiFernet:
    """Return the MultiFernet of the configured keys (the first one encrypts)."""
    keys = list(getattr(settings, "MAILBOX_KEYS", []))
    if not keys:
        if settings.PRODUCTION:
            raise ImproperlyConfigured(
                "Production needs MAILBOX_KEYS (Fernet keys) to store mailbox passwords."
            )
        keys = [development_key(settings.SECRET_KEY)]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("MAILBOX_KEYS holds a key that is not a Fernet key.") from exc


def encrypt(secret: str) -> str:
    return fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    """Return the secret of `token`; raise InvalidToken if no configured key opens it."""
    return fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Return `token` encrypted again with the first key (it may have been encrypted with any of them)."""
    return fernet().rotate(token.encode()).decode()
