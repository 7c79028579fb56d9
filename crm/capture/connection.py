"""Connections to the freelancer's mail servers, and their failures in words the freelancer can act on.

Every failure becomes a `MailboxError` whose `kind` says what went wrong (wrong password, no TLS, unknown host,
timeout, refused) and whose message says it in the freelancer's language. Passwords never enter a message.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from crm.capture.secrets import decrypt

# A mail server that does not answer within this many seconds is "not answering" (the test button, the sync).
TIMEOUT = 15.0

LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}


@dataclass(frozen=True)
class Endpoint:
    """Where and how to log in: one server of a mailbox, the password already decrypted."""

    host: str
    port: int
    security: str  # crm.models.capture.Security
    user: str
    password: str


class MailboxError(Exception):
    """A mail server could not be used; `kind` is one of the KINDS, `str()` is for the freelancer."""

    KINDS = ("login", "tls", "host", "timeout", "refused", "protocol")

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def retry_helps(self) -> bool:
        """A refused login or a TLS mismatch will not go away by itself: only new settings fix it."""
        return self.kind not in ("login", "tls")


def explain(exc: BaseException, endpoint: Endpoint) -> MailboxError:
    """Return `exc`, raised while talking to `endpoint`, as a MailboxError in words."""
    where = {"host": endpoint.host, "port": endpoint.port}
    if isinstance(exc, MailboxError):
        return exc
    if isinstance(exc, LoginError | smtplib.SMTPAuthenticationError):
        return MailboxError(
            "login",
            _(
                "The server refused the user name or password. Check them (many providers want an app password)."
            ),
        )
    if isinstance(exc, socket.gaierror):
        return MailboxError("host", _("Unknown server “%(host)s”: check its name.") % where)
    if isinstance(exc, TimeoutError | socket.timeout):
        return MailboxError(
            "timeout", _("%(host)s:%(port)s did not answer in time: check the server and port.") % where
        )
    if isinstance(exc, ssl.SSLError):
        return MailboxError(
            "tls",
            _("%(host)s:%(port)s does not speak TLS as chosen: try the other security setting or port.")
            % where,
        )
    if isinstance(exc, ConnectionRefusedError):
        return MailboxError("refused", _("%(host)s:%(port)s refused the connection: check the port.") % where)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailboxError("tls", _("%(host)s:%(port)s does not offer STARTTLS.") % where)
    if isinstance(exc, OSError | IMAPClientError | smtplib.SMTPException):
        # imaplib's abort and error, a connection reset: the server went away or answered nonsense.
        return MailboxError(
            "protocol", _("%(host)s:%(port)s stopped answering or answered unexpectedly.") % where
        )
    raise exc


def open_imap(endpoint: Endpoint) -> IMAPClient:
    """Return an IMAP connection logged in to `endpoint`; raise MailboxError in words."""
    try:
        client = IMAPClient(
            endpoint.host,
            port=endpoint.port,
            ssl=endpoint.security == "tls",
            ssl_context=ssl.create_default_context(),
            timeout=TIMEOUT,
        )
        try:
            if endpoint.security == "starttls":
                if b"STARTTLS" not in client.capabilities():
                    raise MailboxError(
                        "tls",
                        _("%(host)s:%(port)s does not offer STARTTLS: choose TLS, or another port.")
                        % {"host": endpoint.host, "port": endpoint.port},
                    )
                client.starttls(ssl.create_default_context())
            client.login(endpoint.user, endpoint.password)
        except BaseException:
            _close_quietly(client)
            raise
        return client
    except Exception as exc:
        raise explain(exc, endpoint) from None


def _close_quietly(client: IMAPClient) -> None:
    # Already failing: the first error is the one to report.
    with contextlib.suppress(Exception):
        client.shutdown()


def open_smtp(endpoint: Endpoint) -> smtplib.SMTP:
    """Return an SMTP connection logged in to `endpoint` (when it has a user); raise MailboxError in words."""
    try:
        if endpoint.security == "tls":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                endpoint.host, endpoint.port, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(endpoint.host, endpoint.port, timeout=TIMEOUT)
        try:
            if endpoint.security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if endpoint.user:
                server.login(endpoint.user, endpoint.password)
        except BaseException:
            server.close()
            raise
        return server
    except Exception as exc:
        raise explain(exc, endpoint) from None


def check_imap(endpoint: Endpoint) -> None:
    """Log in and out of the IMAP server; raise MailboxError in words."""
    client = open_imap(endpoint)
    try:
        client.logout()
    except Exception as exc:
        raise explain(exc, endpoint) from None


def check_smtp(endpoint: Endpoint) -> None:
    """Log in and out of the SMTP server; raise MailboxError in words."""
    server = open_smtp(endpoint)
    try:
        server.quit()
    except Exception as exc:
        raise explain(exc, endpoint) from None


def imap_endpoint(mailbox: Any) -> Endpoint:
    """Return where `mailbox` (a crm.models.Mailbox) reads mail, its password decrypted."""
    return Endpoint(
        mailbox.imap_host,
        mailbox.imap_port,
        mailbox.imap_security,
        mailbox.imap_user,
        decrypt(mailbox.imap_secret),
    )


def smtp_endpoint(mailbox: Any) -> Endpoint:
    """Return where `mailbox` sends mail; without its own SMTP user and password, the IMAP ones."""
    if mailbox.smtp_user:
        user, secret = mailbox.smtp_user, mailbox.smtp_secret
    else:
        user, secret = mailbox.imap_user, mailbox.imap_secret
    return Endpoint(
        mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security, user, decrypt(secret) if secret else ""
    )
