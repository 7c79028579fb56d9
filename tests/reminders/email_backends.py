"""Test email backends: a mail server that refuses the first N messages, then accepts (into mail.outbox)."""

from __future__ import annotations

import smtplib
import threading
from typing import Any

from django.core.mail.backends.locmem import EmailBackend


class FlakySMTPBackend(EmailBackend):
    """Raise an SMTP error for the first `failures` sends (class-wide, so every connection counts)."""

    failures = 0
    attempts = 0
    _lock = threading.Lock()

    @classmethod
    def fail_next(cls, failures: int) -> None:
        with cls._lock:
            cls.failures, cls.attempts = failures, 0

    def send_messages(self, messages: Any) -> int:
        with self._lock:
            type(self).attempts += 1
            if type(self).failures > 0:
                type(self).failures -= 1
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed (test mail server)")
        return super().send_messages(messages)
