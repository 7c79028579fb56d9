"""The capture tests' servers: one real Dovecot per test session (a fresh IMAP user per test), and mail to put
in it."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from crm.capture.secrets import encrypt
from crm.models import Mailbox
from tests.capture.dovecot import DOVECOT, Dovecot
from tests.conftest import require_service

_users = itertools.count(1)
ACCOUNTS = 300


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot | None]:
    if DOVECOT is None:
        yield None
        return
    # Not under pytest's temporary folder: as root, Dovecot's unprivileged processes could not reach it (0700).
    root = Path(tempfile.mkdtemp(prefix="confiance-dovecot-"))
    server = Dovecot(root)
    # Every test takes a fresh account; all are written before the start (Dovecot reads its passwd-file once
    # a second at most, so an account added a moment after another one may not be seen yet).
    for number in range(1, ACCOUNTS + 1):
        server.add_user(f"freelancer{number}", f"app-password-{number}")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot(dovecot_server: Dovecot | None) -> Dovecot:
    require_service(dovecot_server is not None, "Dovecot (make dovecot)")
    assert dovecot_server is not None
    if not dovecot_server.running:  # a test stopped it to play an outage
        dovecot_server.start()
    return dovecot_server


@pytest.fixture
def imap_user(dovecot: Dovecot) -> str:
    """A new IMAP account, empty, for this test alone."""
    number = next(_users)
    assert number <= ACCOUNTS, "raise ACCOUNTS in tests/capture/conftest.py"
    return f"freelancer{number}"


def make_mailbox(owner: Any, dovecot: Dovecot, user: str, **overrides: Any) -> Mailbox:
    fields: dict[str, Any] = {
        "imap_host": dovecot.host,
        "imap_port": dovecot.port,
        "imap_security": "none",
        "imap_user": user,
        "imap_secret": encrypt(dovecot.users[user]),
        "address": owner.email,
    }
    fields.update(overrides)
    return Mailbox.objects.create(owner=owner, **fields)


def mail(
    sender: str,
    to: str,
    subject: str,
    message_id: str,
    at: datetime,
    *,
    in_reply_to: str = "",
    references: str = "",
    body: str = "Bonjour,\n\nVoici le point de la semaine.\n",
    headers: dict[str, str] | None = None,
) -> bytes:
    """Return an RFC 5322 message as bytes (with `headers` added: an auto-reply's, a mailing's)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(at.astimezone(UTC))
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = references or in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return bytes(message)
