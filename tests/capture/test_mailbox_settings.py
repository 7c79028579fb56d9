"""The mailbox settings page: saving (passwords encrypted, never drawn again), the connection test, the status
line, syncing now, disconnecting (and forgetting), and bob's 404s."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from crm.capture import sync
from crm.capture.secrets import decrypt
from crm.models import CapturedMessage, Interaction, Mailbox
from tests.capture.conftest import mail, make_mailbox
from tests.factories import make_client


def _settings(dovecot: Any, user: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "address": "alice@example.com",
        "imap_host": dovecot.host,
        "imap_port": dovecot.port,
        "imap_security": "none",
        "imap_user": user,
        "password": dovecot.users[user],
        "smtp_host": "",
        "smtp_port": 465,
        "smtp_security": "tls",
        "smtp_user": "",
        "smtp_password": "",
        "excluded": "",
        "status_keyword": "",
    }
    data.update(overrides)
    return data


def test_saving_stores_the_password_encrypted_and_never_draws_it(
    alice_client, alice, dovecot, imap_user
) -> None:
    answer = alice_client.post(reverse("web:mailbox"), _settings(dovecot, imap_user))
    assert answer.status_code == 302
    box = Mailbox.objects.get(owner=alice)
    assert decrypt(box.imap_secret) == dovecot.users[imap_user]
    page = alice_client.get(reverse("web:mailbox")).content.decode()
    assert dovecot.users[imap_user] not in page
    assert box.imap_secret not in page


def test_an_empty_password_keeps_the_saved_one_but_not_for_another_server(
    alice_client, alice, dovecot, imap_user
) -> None:
    alice_client.post(reverse("web:mailbox"), _settings(dovecot, imap_user))
    secret = Mailbox.objects.get(owner=alice).imap_secret
    assert (
        alice_client.post(
            reverse("web:mailbox"), _settings(dovecot, imap_user, password="", status_keyword="Point")
        ).status_code
        == 302
    )
    box = Mailbox.objects.get(owner=alice)
    assert (box.imap_secret, box.status_keyword) == (secret, "Point")

    moved = alice_client.post(
        reverse("web:mailbox"), _settings(dovecot, imap_user, password="", imap_host="imap.other.example")
    )
    assert moved.status_code == 400
    assert "Enter the password of this mailbox." in moved.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("imap_host", "imap://mail.example.com", "without “imap://”"),
        ("imap_security", "none", "Without TLS your password would cross the network in clear"),
        ("excluded", "compta@acme.fr\nnot an address!", "is neither an address nor a domain"),
        ("imap_port", "70000", "Ensure this value is less than or equal to"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(
    alice_client, alice, dovecot, imap_user, field, value, error
) -> None:
    data = _settings(dovecot, imap_user, **{field: value})
    if field == "imap_security":
        data["imap_host"] = "imap.example.com"
    answer = alice_client.post(reverse("web:mailbox"), data)
    assert answer.status_code == 400
    assert error in answer.content.decode()
    assert not Mailbox.objects.exists()


def test_the_connection_test_says_what_is_wrong_and_saves_nothing(alice_client, dovecot, imap_user) -> None:
    answer = alice_client.post(reverse("web:mailbox_test"), _settings(dovecot, imap_user, password="wrong"))
    html = answer.content.decode()
    assert "refused the user name or password" in html
    assert not Mailbox.objects.exists()
    works = alice_client.post(reverse("web:mailbox_test"), _settings(dovecot, imap_user)).content.decode()
    assert "Reading mail (IMAP): <strong>it works.</strong>" in works


def test_the_status_line_shows_progress_last_sync_and_the_last_error(
    alice_client, alice, dovecot, imap_user
) -> None:
    box = make_mailbox(alice, dovecot, imap_user)
    make_client(alice, email="paul@acme.fr")
    dovecot.append(
        imap_user,
        "INBOX",
        mail("paul@acme.fr", "alice@example.com", "Devis", "<1@acme.fr>", sync.timezone.now()),
    )
    assert sync.sync_mailbox(box.pk) == "synced"
    html = alice_client.get(reverse("web:mailbox")).content.decode()
    assert "Last sync:" in html
    assert "1 email logged." in html
    Mailbox.objects.filter(pk=box.pk).update(
        last_error="The server refused the user name or password.",
        state="attention",
        locked_until=sync.timezone.now() + sync.LOCK_FOR,
        progress_done=200,
        progress_total=5000,
    )
    html = alice_client.get(reverse("web:mailbox")).content.decode()
    assert "200 of 5000 messages read" in html
    assert 'hx-trigger="every 3s"' in html
    assert "Last error: The server refused the user name or password." in html


def test_the_page_speaks_french(client, bob) -> None:
    client.force_login(bob)
    html = client.get(reverse("web:mailbox")).content.decode()
    assert "Boîte mail" in html
    assert "Tester la connexion" in html


def test_disconnecting_deletes_the_passwords_and_if_asked_what_was_captured(
    alice_client, alice, dovecot, imap_user
) -> None:
    box = make_mailbox(alice, dovecot, imap_user)
    acme = make_client(alice, email="paul@acme.fr")
    typed = Interaction.objects.create(client=acme, kind="call", summary="Typed by hand")
    dovecot.append(
        imap_user,
        "INBOX",
        mail("paul@acme.fr", "alice@example.com", "Devis", "<1@acme.fr>", sync.timezone.now()),
    )
    sync.sync_mailbox(box.pk)
    assert Interaction.objects.count() == 2

    alice_client.post(reverse("web:mailbox_disconnect"), {"forget": "on"})

    assert not Mailbox.objects.exists()
    assert not CapturedMessage.objects.exists()
    assert list(Interaction.objects.all()) == [typed]


def test_disconnecting_keeps_the_journal_unless_asked(alice_client, alice, dovecot, imap_user) -> None:
    make_mailbox(alice, dovecot, imap_user)
    make_client(alice, email="paul@acme.fr")
    dovecot.append(
        imap_user,
        "INBOX",
        mail("paul@acme.fr", "alice@example.com", "Devis", "<1@acme.fr>", sync.timezone.now()),
    )
    sync.sync_mailbox(Mailbox.objects.get().pk)
    alice_client.post(reverse("web:mailbox_disconnect"), {})
    assert not Mailbox.objects.exists()
    assert Interaction.objects.count() == 1


def test_sync_now_waits_no_longer_for_a_backoff(
    alice_client, alice, dovecot, imap_user, eager_celery, django_capture_on_commit_callbacks
) -> None:
    box = make_mailbox(alice, dovecot, imap_user)
    Mailbox.objects.filter(pk=box.pk).update(
        state="failing", next_attempt_at=sync.timezone.now() + sync.BACKOFF_LONGEST
    )
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("web:mailbox_sync"))
    box.refresh_from_db()
    assert box.state == "idle"
    assert box.last_sync_at is not None


def test_bob_cannot_touch_alices_mailbox(client, bob, alice, dovecot, imap_user) -> None:
    make_mailbox(alice, dovecot, imap_user)
    client.force_login(bob)
    assert client.post(reverse("web:mailbox_sync")).status_code == 404
    assert client.post(reverse("web:mailbox_disconnect"), {"forget": "on"}).status_code == 404
    assert "No mailbox connected." in client.get(reverse("web:mailbox")).content.decode().replace(
        "Aucune boîte mail connectée.", "No mailbox connected."
    )
    assert Mailbox.objects.filter(owner=alice).exists()
