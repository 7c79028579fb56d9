"""A status update sent from the app, as edited, through the freelancer's own SMTP server (a real aiosmtpd on
loopback), via the outbox: exactly once, logged, the cadence restarted, and not logged again by the sync."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse

from crm.capture import sync
from crm.models import CapturedMessage, Dispatch, Interaction, OutgoingStatusUpdate, Undo
from crm.reminders import outbox
from tests.capture.conftest import make_mailbox
from tests.factories import make_client
from tests.reminders.smtp_server import MailServer


class AuthMailServer(MailServer):
    """The tests' SMTP server, asking for a login (AUTH PLAIN/LOGIN) as a provider's server does."""

    def __init__(self, user: str, password: str) -> None:
        super().__init__()
        self.credentials = (user, password)
        self.logins: list[str] = []

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult

        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login[0])
        return AuthResult(success=login == self.credentials)

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            ready_timeout=10,
            authenticator=self._authenticate,
            auth_require_tls=False,  # loopback only
        )
        self._controller.start()


@pytest.fixture
def smtp(dovecot: Any, imap_user: str) -> Iterator[MailServer]:
    # No SMTP user of its own: the mailbox logs in with its IMAP user and password, as most providers want.
    server = AuthMailServer(imap_user, dovecot.users[imap_user])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ready(alice: Any, dovecot: Any, imap_user: str, smtp: MailServer) -> dict[str, Any]:
    box = make_mailbox(
        alice, dovecot, imap_user, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none"
    )
    return {"box": box, "client": make_client(alice, name="ACME", email="paul@acme.fr")}


def _form(client_id: int, browser: Any) -> dict[str, str]:
    page = browser.get(reverse("web:status_update_draft", kwargs={"client_id": client_id}))
    html = page.content.decode()
    assert "Send from my mailbox" in html
    token = html.split('name="form_token" value="')[1].split('"')[0]
    return {
        "form_token": token,
        "subject": "Point hebdo — édité",
        "body": "Bonjour Paul,\n\nMa version éditée.\n",
    }


def test_the_edited_update_is_sent_once_and_logged(
    alice_client, alice, ready, smtp, eager_celery, django_capture_on_commit_callbacks
) -> None:
    client = ready["client"]
    data = _form(client.pk, alice_client)
    url = reverse("web:status_update_send", kwargs={"client_id": client.pk})
    with django_capture_on_commit_callbacks(execute=True):
        first = alice_client.post(url, data)
        second = alice_client.post(url, data)  # a double click: the same form token
    assert first.status_code == second.status_code == 302

    assert len(smtp.received) == 1
    assert smtp.logins == [ready["box"].imap_user]
    sent = smtp.received[0]
    assert (sent["Subject"], sent["To"], sent["From"]) == (
        "Point hebdo — édité",
        "paul@acme.fr",
        "Alice Martin <alice@example.com>",  # her name as her clients know it (issue 24), never her login
    )
    # Built from its email triple like every email of the outbox: the text as edited, and an HTML part.
    assert (
        sent.get_body(("plain",)).get_content().replace("\r\n", "\n").strip()
        == "Bonjour Paul,\n\nMa version éditée."
    )
    assert "<p>Ma version éditée.</p>" in sent.get_body(("html",)).get_content()
    dispatch = Dispatch.objects.get(kind=Dispatch.Kind.UPDATE)
    assert dispatch.state == Dispatch.State.SENT
    update = Interaction.objects.get()
    assert update.kind == Interaction.Kind.STATUS_UPDATE
    assert update.summary.startswith("Point hebdo — édité")
    client.refresh_from_db()
    assert client.last_status_update_at == update.happened_at  # the cadence restarts
    assert CapturedMessage.objects.get().message_id == sent["Message-ID"]

    # Delivered again (a redelivered task): the claim refuses it, nothing more is sent or logged.
    assert outbox.deliver(dispatch.pk) == ""
    assert (len(smtp.received), Interaction.objects.count()) == (1, 1)


def test_the_sync_meeting_the_sent_update_logs_it_no_second_time(
    alice_client, alice, ready, smtp, dovecot, imap_user, eager_celery, django_capture_on_commit_callbacks
) -> None:
    data = _form(ready["client"].pk, alice_client)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("web:status_update_send", kwargs={"client_id": ready["client"].pk}), data)
    # The freelancer's mail server keeps a copy in the sent folder.
    dovecot.append(imap_user, "Sent", smtp.received[0].as_bytes())
    assert sync.sync_mailbox(ready["box"].pk) == "synced"
    assert Interaction.objects.count() == 1


def test_an_smtp_outage_is_retried_by_the_outbox(alice, ready, smtp) -> None:
    from django.utils import timezone

    from crm.capture import sending

    now = timezone.now()
    logged = Interaction.objects.log_status_update(ready["client"], "Point", "Texte", now)
    update = sending.prepare(alice, ready["client"], "Point", "Texte", now, logged)
    smtp.stop()
    assert outbox.deliver(update.dispatch_id) == Dispatch.State.RETRYING
    smtp.start()
    Dispatch.objects.filter(pk=update.dispatch_id).update(state=Dispatch.State.QUEUED)
    assert outbox.deliver(update.dispatch_id) == Dispatch.State.SENT
    assert len(smtp.received) == 1
    captured = CapturedMessage.objects.get(message_id=OutgoingStatusUpdate.objects.get().message_id)
    assert captured.interaction == logged  # logged once, by the action, whatever the retries
    assert Interaction.objects.count() == 1


def test_sending_offers_the_undo_and_undo_takes_the_status_update_back(
    alice_client, alice, ready, smtp, django_capture_on_commit_callbacks
) -> None:
    """The send ends in the same recorded fact as "Mark as sent", with its undo; taken back before the outbox
    got to it, the email does not leave (the row is skipped)."""
    data = _form(ready["client"].pk, alice_client) | {"send": "mailbox"}
    url = reverse("web:status_update_mark_sent", kwargs={"client_id": ready["client"].pk})
    with django_capture_on_commit_callbacks(execute=False):  # no worker: the dispatch waits, queued
        answer = alice_client.post(url, data, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    logged = Interaction.objects.get()
    assert (logged.kind, logged.summary) == (
        Interaction.Kind.STATUS_UPDATE,
        "Point hebdo — édité\n\nBonjour Paul,\n\nMa version éditée.",
    )
    undo = Undo.objects.get(owner=alice)
    assert f"/undo/{undo.pk}/" in answer.content.decode()
    assert alice_client.post(reverse("web:undo", kwargs={"undo_id": undo.pk})).status_code in (200, 302)
    assert not Interaction.objects.exists()
    dispatch = Dispatch.objects.get(kind=Dispatch.Kind.UPDATE)
    assert outbox.deliver(dispatch.pk) == Dispatch.State.SKIPPED
    assert smtp.received == []


def test_without_smtp_nothing_is_sent_and_the_form_says_why(alice_client, alice, dovecot, imap_user) -> None:
    make_mailbox(alice, dovecot, imap_user)
    client = make_client(alice, email="paul@acme.fr")
    answer = alice_client.post(
        reverse("web:status_update_send", kwargs={"client_id": client.pk}), {"subject": "S", "body": "B"}
    )
    assert answer.status_code == 400
    assert "Connect a mailbox with an SMTP server first" in answer.content.decode()
    assert not Dispatch.objects.exists()


def test_bob_cannot_send_for_alices_client(client, bob, alice) -> None:
    acme = make_client(alice, email="paul@acme.fr")
    client.force_login(bob)
    answer = client.post(
        reverse("web:status_update_send", kwargs={"client_id": acme.pk}), {"subject": "S", "body": "B"}
    )
    assert answer.status_code == 404
    assert not Dispatch.objects.exists()
