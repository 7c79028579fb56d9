"""Accounts: log in and out, change and reset a password, sign up (or not), the profile, the login throttle."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

LOGIN = "/accounts/login/"
WRONG = "not the password"
LOCKED = "Too many failed attempts. Try again in"


def _login(http: Any, username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return http.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _logged_in(http: Any) -> bool:
    return http.get(reverse("web:dashboard")).status_code == 200


# -- log in, log out ---------------------------------------------------------------------------------------


def test_login_page_is_served_with_reset_and_signup_links(client: Any, db: None) -> None:
    page = client.get(LOGIN).content.decode()
    assert 'name="username"' in page
    assert reverse("password_reset") in page
    assert reverse("signup") in page


def test_alice_logs_in_and_lands_on_her_dashboard(client: Any, alice: Any) -> None:
    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("web:dashboard")
    assert _logged_in(client)


def test_a_wrong_password_is_refused_with_a_message(client: Any, alice: Any) -> None:
    response = _login(client, "alice", WRONG)
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert not _logged_in(client)


def test_pages_need_a_login(client: Any, db: None) -> None:
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_logout_ends_the_session(alice_client: Any) -> None:
    response = alice_client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert not _logged_in(alice_client)


# -- passwords ---------------------------------------------------------------------------------------------


def test_password_change_takes_the_new_password(alice_client: Any, alice: Any) -> None:
    new = "a brand new passphrase 42"
    response = alice_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)


def test_password_change_refuses_a_wrong_old_password(alice_client: Any, alice: Any) -> None:
    new = "a brand new passphrase 42"
    response = alice_client.post(
        reverse("password_change"), {"old_password": WRONG, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_reset_emails_a_link_that_sets_a_new_password(client: Any, alice: Any) -> None:
    response = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body)
    assert link, message.body

    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    new = "reset passphrase for alice 7"
    done = client.post(set_password_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert _login(HttpClient(), "alice", new).status_code == 302


def test_password_reset_for_an_unknown_email_sends_nothing(client: Any, alice: Any) -> None:
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302  # same answer: it does not reveal who has an account
    assert mail.outbox == []


# -- sign-up -----------------------------------------------------------------------------------------------


def _signup(http: Any, username: str = "chloe", email: str = "chloe@example.com") -> Any:
    password = "a long and fine passphrase"
    return http.post(
        reverse("signup"),
        {"username": username, "email": email, "password1": password, "password2": password},
    )


def test_signup_creates_a_freelancer_with_a_profile_and_logs_them_in(client: Any, db: None) -> None:
    response = _signup(client)
    assert response.status_code == 302
    assert response.url == reverse("web:dashboard")  # the first run: where to start (issue 14)
    user = get_user_model().objects.get(username="chloe")
    assert user.email == "chloe@example.com"
    assert user.profile.time_zone == "Europe/Paris"
    assert _logged_in(client)


def test_signup_refuses_an_email_already_in_use(client: Any, alice: Any) -> None:
    response = _signup(client, email="ALICE@example.com")
    assert response.status_code == 200
    assert "An account already uses this email." in response.content.decode()
    assert not get_user_model().objects.filter(username="chloe").exists()


def test_signup_can_be_turned_off(client: Any, settings: Any, db: None) -> None:
    settings.SIGNUP_ENABLED = False
    assert client.get(reverse("signup")).status_code == 404
    assert _signup(client).status_code == 404
    assert not get_user_model().objects.filter(username="chloe").exists()
    assert reverse("signup") not in client.get(LOGIN).content.decode()


# -- profile -----------------------------------------------------------------------------------------------


def _profile_data(**overrides: Any) -> dict[str, Any]:
    return {
        "display_name": "Alice M.",
        "language": "fr",
        "time_zone": "America/Montreal",
        "digest_weekday": "4",
        "digest_hour": "9",
        "digest_enabled": "on",
        "nudges_enabled": "on",
        **overrides,
    }


def test_profile_saves_language_and_time_zone(alice_client: Any, alice: Any) -> None:
    response = alice_client.post(reverse("profile"), _profile_data())
    assert response.status_code == 302
    alice.profile.refresh_from_db()
    assert (alice.profile.language, alice.profile.time_zone) == ("fr", "America/Montreal")
    assert (alice.profile.digest_weekday, alice.profile.digest_hour) == (4, 9)
    page = alice_client.get(reverse("profile"))
    assert page.headers["Content-Language"] == "fr"


def test_profile_refuses_an_unknown_time_zone(alice_client: Any, alice: Any) -> None:
    response = alice_client.post(reverse("profile"), _profile_data(time_zone="Mars/Olympus_Mons"))
    assert response.status_code == 200
    assert "is not a known time zone." in response.content.decode()
    alice.profile.refresh_from_db()
    assert alice.profile.time_zone == "Europe/Paris"


def test_profile_refuses_a_digest_hour_out_of_range(alice_client: Any, alice: Any) -> None:
    response = alice_client.post(reverse("profile"), _profile_data(digest_hour="24"))
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 23." in response.content.decode()


# -- the failed-login throttle -----------------------------------------------------------------------------


@pytest.fixture
def limits(settings: Any) -> Any:
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP = 3
    settings.LOGIN_FAILURES_PER_IP = 5
    settings.LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
    return settings


def test_failures_are_counted_in_the_database_across_requests(client: Any, alice: Any, limits: Any) -> None:
    for _ in range(2):
        _login(HttpClient(), "Alice", WRONG)  # a fresh browser each time: nothing kept in a session
    rows = AccessAttempt.objects.filter(username="alice", ip_address="10.0.0.1")
    assert [row.failures_since_start for row in rows] == [2]


def test_an_address_is_locked_out_of_an_account_after_too_many_failures_even_with_the_right_password(
    client: Any, alice: Any, limits: Any
) -> None:
    for _ in range(3):
        _login(client, "alice", WRONG, ip="10.0.0.1")
    response = _login(client, "alice", PASSWORD, ip="10.0.0.1")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not _logged_in(client)
    assert _login(client, "alice", PASSWORD, ip="10.0.0.2").status_code == 302  # the owner, elsewhere


def test_an_ip_is_locked_after_too_many_failures_across_accounts(
    client: Any, alice: Any, limits: Any
) -> None:
    for name in ["carol", "dave", "erin", "frank", "gina"]:
        _login(client, name, WRONG, ip="10.9.9.9")
    locked = _login(client, "alice", PASSWORD, ip="10.9.9.9")
    assert LOCKED in locked.content.decode()
    assert _login(client, "alice", PASSWORD, ip="10.0.0.3").status_code == 302


def test_a_successful_login_clears_the_account_counter(client: Any, alice: Any, limits: Any) -> None:
    for _ in range(2):
        _login(client, "alice", WRONG)
    assert _login(client, "alice", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="alice").exists()
    client.post(reverse("logout"))
    for _ in range(2):
        _login(client, "alice", WRONG)
    assert _login(client, "alice", PASSWORD).status_code == 302


def test_the_lockout_ends_when_the_window_expires(client: Any, alice: Any, limits: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            _login(client, "alice", WRONG)
        assert LOCKED in _login(client, "alice", PASSWORD).content.decode()
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        _login(client, "alice", WRONG)
        assert AccessAttempt.objects.get(username="alice").failures_since_start == 1  # a fresh window
        assert _login(client, "alice", PASSWORD).status_code == 302
