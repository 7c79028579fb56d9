"""Email verification (clients/verification.py) through a real SMTP server (aiosmtpd): sign-up sends the link,
the link verifies; a new address in Settings is used only once verified (the old one stays until then); and an
unverified account sends nothing on its behalf (crm/reminders/outbox.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from crm.models import Dispatch
from crm.reminders.outbox import deliver
from tests.factories import PASSWORD
from tests.reminders.smtp_server import MailServer

LINK = re.compile(r"https?://\S+/accounts/email/verify/[^/\s]+/")


@pytest.fixture
def mail_server(settings: Any) -> Iterator[MailServer]:
    server = MailServer()
    for name, value in server.email_settings().items():
        setattr(settings, name, value)
    server.start()
    yield server
    server.stop()


def _link(server: MailServer, to: str) -> str:
    (message,) = [message for message in server.received if message["To"] == to]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    (link,) = set(LINK.findall(text))
    assert link in html
    return link


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _sign_up(http: HttpClient, username: str, email: str, language: str = "en") -> Any:
    return http.post(
        reverse("signup"),
        {"username": username, "email": email, "password1": "un-long-mot-de-passe-42",
         "password2": "un-long-mot-de-passe-42"},
        HTTP_ACCEPT_LANGUAGE=language,
    )  # fmt: skip


def test_sign_up_sends_a_link_through_smtp_and_the_link_verifies(
    db: None, mail_server: MailServer, django_capture_on_commit_callbacks: Any
) -> None:
    http = HttpClient()
    with django_capture_on_commit_callbacks(execute=True):
        assert _sign_up(http, "camille", "camille@example.com").status_code == 302
    user = get_user_model().objects.get(username="camille")
    assert not user.profile.email_verified
    assert mail_server.envelopes[0][1] == ["camille@example.com"]
    assert mail_server.received[0]["Subject"] == "Confiance: confirm your email address"
    link = _link(mail_server, "camille@example.com")
    # Opening the link shows a button (a mail scanner fetching links verifies nothing)...
    assert http.get(_path(link)).status_code == 200
    user.profile.refresh_from_db()
    assert not user.profile.email_verified
    # ...which verifies.
    assert http.post(_path(link))["Location"] == reverse("profile")
    user.profile.refresh_from_db()
    assert user.profile.email_verified


def test_the_mail_speaks_the_sign_up_pages_language(
    db: None, mail_server: MailServer, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(HttpClient(), "camille", "camille@example.com", language="fr")
    message = mail_server.received[0]
    assert message["Subject"] == "Confiance : confirmez votre adresse e-mail"
    assert "Bonjour camille" in message.get_body(("plain",)).get_content()


def test_a_forged_or_expired_link_verifies_nothing(
    db: None, mail_server: MailServer, django_capture_on_commit_callbacks: Any
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        _sign_up(HttpClient(), "camille", "camille@example.com")
    path = _path(_link(mail_server, "camille@example.com"))
    assert HttpClient().post(path[:-3] + "xx/").status_code == 400
    with time_machine.travel(start + timedelta(days=4), tick=False):
        assert HttpClient().post(path).status_code == 400
    assert not get_user_model().objects.get(username="camille").profile.email_verified


def test_a_new_email_is_used_only_once_verified(
    alice_client: Any, alice: Any, mail_server: MailServer, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        answer = alice_client.post(
            reverse("email_change"), {"email": "alice@new.example", "password": PASSWORD}
        )
    assert answer["Location"] == reverse("profile")
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"  # the old one stays until the link is opened
    assert alice.profile.pending_email == "alice@new.example"
    assert (
        "Waiting for confirmation: alice@new.example" in alice_client.get(reverse("profile")).content.decode()
    )
    link = _link(mail_server, "alice@new.example")
    assert [to for _sender, to in mail_server.envelopes] == [["alice@new.example"]]
    HttpClient().post(_path(link))  # from the phone's mail app: no login needed
    alice.refresh_from_db()
    assert alice.email == "alice@new.example"
    assert alice.profile.pending_email == "" and alice.profile.email_verified
    # The same link again changes nothing more (the address is already the account's, verified).
    assert HttpClient().post(_path(link)).status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@new.example"


def test_an_older_change_link_does_not_win_over_a_newer_one(
    alice_client: Any, alice: Any, mail_server: MailServer, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("email_change"), {"email": "first@new.example", "password": PASSWORD})
        alice_client.post(reverse("email_change"), {"email": "second@new.example", "password": PASSWORD})
    assert HttpClient().post(_path(_link(mail_server, "first@new.example"))).status_code == 400
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    HttpClient().post(_path(_link(mail_server, "second@new.example")))
    alice.refresh_from_db()
    assert alice.email == "second@new.example"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"email": "bob@example.com", "password": PASSWORD}, "An account already uses this email."),
        ({"email": "alice@example.com", "password": PASSWORD}, "This is already your email."),
        (
            {"email": "new@example.com", "password": "wrong"},
            "This is not your password. Nothing was changed.",
        ),
        ({"email": "not an address", "password": PASSWORD}, "Enter a valid email address."),
    ],
)
def test_the_email_change_form_refuses_with_a_clear_message(
    alice_client: Any, alice: Any, bob: Any, typed: dict[str, str], message: str
) -> None:
    answer = alice_client.post(reverse("email_change"), typed)
    assert answer.status_code == 200 and message in answer.content.decode()
    alice.profile.refresh_from_db()
    assert alice.profile.pending_email == ""


def test_an_unverified_account_can_log_in_but_nothing_is_emailed_on_its_behalf(
    alice: Any, mail_server: MailServer
) -> None:
    from tests.reminders.test_payment_reminder_delivery import approved_reminder

    alice.profile.email_verified = False
    alice.profile.save(update_fields=["email_verified"])
    http = HttpClient()
    assert http.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    assert "not confirmed yet" in http.get(reverse("profile")).content.decode()
    reminder = approved_reminder(alice, "fr")
    digest = Dispatch.objects.create(owner=alice, kind=Dispatch.Kind.DIGEST, period="2026-W48")
    assert deliver(reminder.pk) == Dispatch.State.SKIPPED
    assert deliver(digest.pk) == Dispatch.State.SKIPPED
    assert mail_server.received == []


def test_a_verified_account_sends_as_before(alice: Any, mail_server: MailServer) -> None:
    from tests.reminders.test_payment_reminder_delivery import approved_reminder

    reminder = approved_reminder(alice, "fr")
    assert deliver(reminder.pk) == Dispatch.State.SENT
    (envelope,) = mail_server.envelopes
    assert envelope[1][0] == "compta@dupont.example"


def test_the_link_can_be_sent_again(
    alice_client: Any, alice: Any, mail_server: MailServer, django_capture_on_commit_callbacks: Any
) -> None:
    alice.profile.email_verified = False
    alice.profile.save(update_fields=["email_verified"])
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("email_resend"))
    alice_client.post(_path(_link(mail_server, "alice@example.com")))
    alice.profile.refresh_from_db()
    assert alice.profile.email_verified


def test_a_mail_server_down_at_sign_up_loses_no_account(
    db: None, mail_server: MailServer, django_capture_on_commit_callbacks: Any
) -> None:
    mail_server.stop()
    http = HttpClient()
    with django_capture_on_commit_callbacks(execute=True):
        assert _sign_up(http, "camille", "camille@example.com").status_code == 302
    assert http.get(reverse("profile")).status_code == 200  # signed up and in, link to send again
    mail_server.start()
    with django_capture_on_commit_callbacks(execute=True):
        http.post(reverse("email_resend"))
    http.post(_path(_link(mail_server, "camille@example.com")))
    assert get_user_model().objects.get(username="camille").profile.email_verified


def test_an_address_taken_by_another_account_meanwhile_stays_theirs(
    alice_client: Any, alice: Any, bob: Any, mail_server: MailServer, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("email_change"), {"email": "shared@example.com", "password": PASSWORD})
    get_user_model().objects.filter(pk=bob.pk).update(email="shared@example.com")
    assert HttpClient().post(_path(_link(mail_server, "shared@example.com"))).status_code == 400
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
