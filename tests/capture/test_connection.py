""" "Test the connection": each way a mailbox's settings can be wrong is said in words, against real servers."""

from __future__ import annotations

import socket
import threading

import pytest

from crm.capture.connection import Endpoint, MailboxError, check_imap, check_smtp
from tests.reminders.smtp_server import MailServer, free_port


def _kind(check, endpoint: Endpoint) -> tuple[str, str]:
    with pytest.raises(MailboxError) as error:
        check(endpoint)
    return error.value.kind, str(error.value)


def test_the_right_password_logs_in(dovecot, imap_user) -> None:
    check_imap(Endpoint(dovecot.host, dovecot.port, "none", imap_user, dovecot.users[imap_user]))


def test_a_wrong_password_is_said_so(dovecot, imap_user) -> None:
    kind, message = _kind(check_imap, Endpoint(dovecot.host, dovecot.port, "none", imap_user, "nope"))
    assert kind == "login"
    assert "refused the user name or password" in message
    assert "nope" not in message


def test_tls_against_a_server_without_tls_is_said_so(dovecot, imap_user) -> None:
    kind, message = _kind(check_imap, Endpoint(dovecot.host, dovecot.port, "tls", imap_user, "x"))
    assert kind == "tls"
    assert "does not speak TLS" in message


def test_starttls_not_offered_is_said_so(dovecot, imap_user) -> None:
    kind, message = _kind(check_imap, Endpoint(dovecot.host, dovecot.port, "starttls", imap_user, "x"))
    assert (kind, "does not offer STARTTLS" in message) == ("tls", True)


def test_an_unknown_host_is_said_so() -> None:
    kind, message = _kind(check_imap, Endpoint("no-such-host.invalid", 993, "tls", "u", "p"))
    assert kind == "host"
    assert "no-such-host.invalid" in message


def test_a_server_that_never_answers_is_a_timeout(monkeypatch) -> None:
    from crm.capture import connection

    monkeypatch.setattr(connection, "TIMEOUT", 0.5)
    # A listening socket that accepts and never says a word (a firewall that swallows packets looks the same).
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    port = silent.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    try:
        kind, message = _kind(check_imap, Endpoint("127.0.0.1", port, "none", "u", "p"))
    finally:
        silent.close()
    assert kind == "timeout"
    assert "did not answer in time" in message


def test_a_closed_port_is_refused() -> None:
    kind, _message = _kind(check_imap, Endpoint("127.0.0.1", free_port(), "none", "u", "p"))
    assert kind == "refused"


def test_smtp_is_checked_too() -> None:
    server = MailServer()
    server.start()
    try:
        check_smtp(Endpoint("127.0.0.1", server.port, "none", "", ""))
        kind, _message = _kind(check_smtp, Endpoint("127.0.0.1", server.port, "starttls", "", ""))
    finally:
        server.stop()
    assert kind == "tls"
