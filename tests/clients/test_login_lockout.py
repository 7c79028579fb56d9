"""No stranger can lock a freelancer out (issue 25, defect 1): failures lock an address (for one account, or for
all), an account is only slowed down, and its owner gets in from a known device, after the wait, or through the
emailed one-time unlock link; after logging in the owner is told of the failed attempts."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from clients.throttle import KNOWN_DEVICE_COOKIE, slowdown
from tests.factories import PASSWORD

LOGIN = "/accounts/login/"
WRONG = "not the password"
ATTACKERS = ("203.0.113.1", "203.0.113.2")
OWNER_HOME = "198.51.100.7"
START = "2026-03-10 09:00 +01:00"


def _login(http: Any, username: str, password: str, ip: str) -> Any:
    return http.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _attack(rounds: int, clock: Any) -> None:
    """`rounds` wrong passwords for alice from each attacker address, each try as early as it is let in."""
    tried = 0
    for ip in ATTACKERS:
        for _ in range(rounds):
            clock.shift(slowdown(tried))
            _login(HttpClient(), "alice", WRONG, ip)
            tried += 1


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_the_slowdown_doubles_and_is_bounded(settings: Any) -> None:
    settings.LOGIN_SLOWDOWN_AFTER, settings.LOGIN_SLOWDOWN_MAX = 5, 300
    assert [slowdown(n) for n in range(4, 10)] == [0, 1, 2, 4, 8, 16]
    assert slowdown(13) == 256 and slowdown(14) == 300 and slowdown(10_000) == 300


def test_strangers_on_two_addresses_cannot_lock_the_owner_out(alice: Any, settings: Any, clock: Any) -> None:
    # The owner's laptop logged in last week: a known device.
    laptop = HttpClient()
    assert _login(laptop, "alice", PASSWORD, OWNER_HOME).status_code == 302
    assert KNOWN_DEVICE_COOKIE in laptop.cookies
    laptop.post(reverse("logout"))

    _attack(settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP, clock)  # 5 from each address: 10 failures for alice

    # Each attacker address is locked out of alice's account, even with the right password.
    for ip in ATTACKERS:
        refused = _login(HttpClient(), "alice", PASSWORD, ip)
        assert refused.status_code == 429
    # The owner's known device gets in at once, from anywhere.
    assert _login(laptop, "alice", PASSWORD, "192.0.2.50").status_code == 302

    # A new phone, on another address: slowed down (10 failures: 2**5 = 32 s after the last), told how long.
    phone = HttpClient()
    slowed = _login(phone, "alice", PASSWORD, "192.0.2.77")
    assert slowed.status_code == 429
    wait = int(slowed["Retry-After"])
    assert wait == 32
    assert f"Try again in {wait} seconds" in slowed.content.decode()
    # Trying again too early is refused without lengthening the wait (a refusal is not a failure).
    assert int(_login(phone, "alice", WRONG, "192.0.2.77")["Retry-After"]) == 32
    clock.shift(wait)
    assert _login(phone, "alice", PASSWORD, "192.0.2.77").status_code == 302


def test_the_account_is_never_closed_only_delayed_within_the_bound(
    alice: Any, settings: Any, clock: Any
) -> None:
    settings.LOGIN_SLOWDOWN_MAX = 60
    # Twenty addresses, two wrong passwords each, every try as soon as it is let in: never a wait past 60 s.
    wait = 0
    for n in range(20):
        for _ in range(2):
            clock.shift(wait)
            response = _login(HttpClient(), "alice", WRONG, f"10.1.0.{n}")
            wait = int(response["Retry-After"]) if response.status_code == 429 else 0
            assert wait <= 60
    assert wait == 60  # the bound reached
    owner = _login(HttpClient(), "alice", PASSWORD, OWNER_HOME)
    assert owner.status_code == 429 and int(owner["Retry-After"]) <= 60
    clock.shift(60)
    assert _login(HttpClient(), "alice", PASSWORD, OWNER_HOME).status_code == 302


def test_the_emailed_unlock_link_lets_the_owner_in_once(alice: Any, settings: Any, clock: Any) -> None:
    _attack(settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP, clock)
    browser = HttpClient()
    locked = _login(browser, "alice", PASSWORD, OWNER_HOME)
    assert locked.status_code == 429
    assert reverse("login_unlock_request") in locked.content.decode()

    browser.post(reverse("login_unlock_request"), {"username": "Alice"}, REMOTE_ADDR=OWNER_HOME)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    path = re.search(r"https?://[^/\s]+(/accounts/unlock/\S+/)", mail.outbox[0].body).group(1)

    assert browser.get(path).status_code == 200  # a mail scanner opening the link uses nothing
    assert browser.post(path, REMOTE_ADDR=OWNER_HOME).status_code == 302
    assert _login(browser, "alice", PASSWORD, OWNER_HOME).status_code == 302  # at once: a known device

    other = HttpClient()
    assert other.post(path, REMOTE_ADDR=OWNER_HOME).status_code == 400  # once
    assert other.get(path).status_code == 400


def test_an_unlock_request_for_no_account_says_the_same_and_sends_nothing(db: None) -> None:
    response = HttpClient().post(reverse("login_unlock_request"), {"username": "nobody"}, follow=True)
    assert "If this account exists" in response.content.decode()
    assert mail.outbox == []
    assert HttpClient().get(reverse("login_unlock", kwargs={"token": "forged"})).status_code == 400


def test_a_known_device_cookie_of_another_account_or_an_old_password_does_not_count(
    alice: Any, bob: Any, settings: Any, clock: Any
) -> None:
    bobs = HttpClient()
    assert _login(bobs, "bob", PASSWORD, OWNER_HOME).status_code == 302
    laptop = HttpClient()
    assert _login(laptop, "alice", PASSWORD, OWNER_HOME).status_code == 302
    alice.set_password("a new passphrase for alice")
    alice.save()
    _attack(settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP, clock)
    assert _login(bobs, "alice", "a new passphrase for alice", "192.0.2.9").status_code == 429
    assert _login(laptop, "alice", "a new passphrase for alice", "192.0.2.9").status_code == 429


def test_the_owner_is_told_of_the_failed_attempts_since_the_previous_login(alice: Any, clock: Any) -> None:
    assert _login(HttpClient(), "alice", PASSWORD, OWNER_HOME).status_code == 302
    clock.shift(60)
    _login(HttpClient(), "alice", WRONG, "203.0.113.1")
    _login(HttpClient(), "alice", WRONG, "203.0.113.2")
    _login(HttpClient(), "alice", WRONG, "203.0.113.2")
    browser = HttpClient()
    page = browser.post(
        LOGIN, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=OWNER_HOME, follow=True
    ).content.decode()
    assert "3 failed login attempts since your previous login, from 203.0.113.1, 203.0.113.2" in page
    browser.post(reverse("logout"))
    clock.shift(60)
    again = browser.post(
        LOGIN, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=OWNER_HOME, follow=True
    ).content.decode()
    assert "failed login attempt" not in again


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_deleting_the_account_forgets_its_logins_and_failures(alice: Any) -> None:
    from axes.models import AccessFailureLog, AccessLog

    from clients.account import delete_account

    _login(HttpClient(), "alice", WRONG, "203.0.113.1")
    assert _login(HttpClient(), "alice", PASSWORD, OWNER_HOME).status_code == 302
    _login(HttpClient(), "alice", WRONG, "203.0.113.1")
    _login(HttpClient(), "bob", WRONG, "203.0.113.1")
    delete_account(alice)
    for model in (AccessFailureLog, AccessLog):
        assert not model.objects.filter(username="alice").exists()
    assert AccessFailureLog.objects.filter(username="bob").exists()


@pytest.mark.usefixtures("one_rate_window")
def test_unlock_links_are_limited_per_account_whatever_the_address(alice: Any) -> None:
    answers = [
        HttpClient().post(reverse("login_unlock_request"), {"username": "alice"}, REMOTE_ADDR=f"10.7.0.{n}")
        for n in range(6)
    ]
    assert [a.status_code for a in answers] == [302] * 5 + [429]
    assert len(mail.outbox) == 5


def test_a_login_without_an_address_is_logged_without_one(alice: Any, client: Any) -> None:
    """A peer with no address (force_login, a Unix socket) is stored as NULL: PostgreSQL refuses "unknown"."""
    from axes.models import AccessLog

    client.force_login(alice)
    assert AccessLog.objects.get(username="alice").ip_address is None
