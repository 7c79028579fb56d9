"""Secret links: a public key that finds the row, and a secret compared in constant time, stored hashed.

A link's token is `<key><secret>`. The key (KEY_LENGTH characters, 72 random bits, indexed) is only there to find
the row: the database's index lookup on it tells a guesser nothing about the secret. The secret (256 bits) is
the credential; the row keeps its SHA-256 only, compared with `hmac.compare_digest`, so neither the comparison's
time nor a copy of the database gives it away. A secret that is random and this long needs no slow hash (nothing
to brute-force, unlike a password).

So that the freelancer can still see and copy a link (the calendar settings, the client's page panel, the
status-update draft), a new link's secret is derived from its key with the site's SECRET_KEY (an HMAC):
`token_for` gives it back while that derivation still matches the stored hash. A link made otherwise (before
links were hashed) or under an older SECRET_KEY keeps working but cannot be shown again; renewing it makes one
that can. Renewing or turning a link off replaces its key, so the old token finds no row.

Used by the calendar feed (`crm/reminders/calendar.py`) and the client's page (`crm/models/portal.py`). The email
preference links keep Django's signing (`crm/reminders/emails.py`): they are stateless, expire, and name the kind
of email they turn off, which a row-less signed value does best.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.utils.crypto import salted_hmac

KEY_LENGTH = 12  # secrets.token_urlsafe(9)
SECRET_LENGTH = 43  # 32 bytes in URL-safe base64, unpadded
# Secrets of links made before this module are shorter (the calendar's were 20 characters after their key).
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 64


def new_key() -> str:
    """Return a fresh public key (72 random bits)."""
    return secrets.token_urlsafe(9)


def derived_secret(purpose: str, key: str) -> str:
    """Return the secret of the link `key` made for `purpose` ("calendar", "portal"), derived with SECRET_KEY."""
    digest = salted_hmac(f"confiance.links.{purpose}", key, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def hashed(secret: str) -> str:
    """Return the stored form of a secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(purpose: str) -> tuple[str, str]:
    """Return a new link's (key, secret hash); its token is `token_for(purpose, key, secret hash)`."""
    key = new_key()
    return key, hashed(derived_secret(purpose, key))


def split(token: object) -> tuple[str, str] | None:
    """Return (key, secret) of a token, or None for anything that cannot be one (wrong type, length, characters)."""
    if not isinstance(token, str) or not token.isascii():
        return None
    if not KEY_LENGTH + MIN_SECRET_LENGTH <= len(token) <= KEY_LENGTH + MAX_SECRET_LENGTH:
        return None
    return token[:KEY_LENGTH], token[KEY_LENGTH:]


def matches(secret: str, secret_hash: str) -> bool:
    """Return True if `secret` is the one whose hash is stored, compared in constant time."""
    return bool(secret_hash) and hmac.compare_digest(hashed(secret), secret_hash)


def token_for(purpose: str, key: str, secret_hash: str) -> str | None:
    """Return the link's token to show the freelancer, or None when it cannot be derived again (see above)."""
    secret = derived_secret(purpose, key)
    return f"{key}{secret}" if matches(secret, secret_hash) else None
