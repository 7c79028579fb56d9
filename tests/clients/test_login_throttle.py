"""Login throttling by django-axes: the real client address behind proxies, every login form (the admin's too),
a password reset that unlocks, lockouts in the admin, and the rate limits on pages reached without a password."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.urls import reverse

from crm.core.ratelimit import client_ip
from tests.factories import PASSWORD

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
WRONG = "not the password"
LOCKED = "Too many failed attempts. Try again in"


def _login(http: Any, username: str, password: str, url: str = LOGIN, **meta: str) -> Any:
    meta.setdefault("REMOTE_ADDR", "10.0.0.1")
    return http.post(url, {"username": username, "password": password}, **meta)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Any:
    cache.clear()
    yield
    cache.clear()


# -- the client's address ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        ([], "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # no proxy configured: the header is ignored
        (["127.0.0.1"], "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # from an untrusted peer: ignored
        (["127.0.0.1"], "127.0.0.1", "198.51.100.7", "198.51.100.7"),  # the proxy says who it saw
        (["127.0.0.1"], "127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # a forged left part
        (["127.0.0.1", "10.0.0.0/8"], "127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3", "198.51.100.7"),
        (["127.0.0.1"], "127.0.0.1", "", "127.0.0.1"),  # the proxy itself
        (["127.0.0.1"], "127.0.0.1", "not-an-address", "127.0.0.1"),
        (["::1"], "::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_client_ip_believes_only_trusted_proxies(
    settings: Any, proxies: list[str], remote: str, forwarded: str, expected: str
) -> None:
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# -- finding 1: forged X-Forwarded-For must not lock everyone out ------------------------------------------


@pytest.mark.parametrize("proxies", [[], ["127.0.0.1"]])
def test_forged_forwarded_for_failures_never_lock_everyone_out(
    alice: Any, settings: Any, proxies: list[str]
) -> None:
    """Twenty failures for random accounts, each with another forged X-Forwarded-For, through the proxy (or
    straight to the app): the attacker's address is locked, alice's is not."""
    settings.TRUSTED_PROXIES = proxies
    via_proxy = {"REMOTE_ADDR": "127.0.0.1"} if proxies else {"REMOTE_ADDR": "203.0.113.66"}
    attacker = "203.0.113.66"
    for n in range(settings.LOGIN_FAILURES_PER_IP):
        forged = f"10.{n}.{n}.{n}"
        chain = f"{forged}, {attacker}" if proxies else forged
        _login(HttpClient(), f"user{n}", WRONG, HTTP_X_FORWARDED_FOR=chain, **via_proxy)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {attacker}

    alice_meta = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"} if proxies else {}
    alice_meta.setdefault("REMOTE_ADDR", "198.51.100.7")
    assert _login(HttpClient(), "alice", PASSWORD, **alice_meta).status_code == 302
    attacker_meta = {**via_proxy, "HTTP_X_FORWARDED_FOR": f"1.1.1.1, {attacker}" if proxies else "1.1.1.1"}
    locked = _login(HttpClient(), "alice", PASSWORD, **attacker_meta)
    assert locked.status_code == 429
    assert LOCKED in locked.content.decode()


def test_the_limits_keep_their_meaning(alice: Any, settings: Any) -> None:
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP = 2
    settings.LOGIN_FAILURES_PER_IP = 4
    _login(HttpClient(), "alice", WRONG, REMOTE_ADDR="10.0.0.1")
    assert _login(HttpClient(), "alice", PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 302
    for ip in ("10.0.0.1", "10.0.0.2"):
        _login(HttpClient(), "alice", WRONG, REMOTE_ADDR=ip)
    assert _login(HttpClient(), "alice", PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 429  # (alice, .1)
    assert _login(HttpClient(), "alice", PASSWORD, REMOTE_ADDR="10.0.0.3").status_code == 302  # not alice
    for name in ("carol", "dave", "erin"):
        _login(HttpClient(), name, WRONG, REMOTE_ADDR="10.0.0.9")
    get_user_model().objects.create_user("zoe", password=PASSWORD)
    assert _login(HttpClient(), "zoe", PASSWORD, REMOTE_ADDR="10.0.0.9").status_code == 302  # 3 < 4
    _login(HttpClient(), "frank", WRONG, REMOTE_ADDR="10.0.0.9")
    assert _login(HttpClient(), "zoe", PASSWORD, REMOTE_ADDR="10.0.0.9").status_code == 429  # the address


def test_a_successful_login_does_not_clear_the_addresss_failures_against_others(
    alice: Any, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_IP = 3
    for name in ("carol", "dave"):
        _login(HttpClient(), name, WRONG)
    assert _login(HttpClient(), "alice", PASSWORD).status_code == 302
    _login(HttpClient(), "erin", WRONG)
    assert _login(HttpClient(), "alice", PASSWORD).status_code == 429


# -- finding 4: a 300-character username is a failed login, not a 500 -----------------------------------------


def test_a_300_character_username_is_refused_without_an_error(db: None) -> None:
    response = _login(HttpClient(), "é" * 300, WRONG)
    assert response.status_code == 200
    stored = AccessAttempt.objects.get()
    assert stored.username == "é" * 255


# -- finding 3: the admin's login is throttled, a password reset unlocks -------------------------------------


def test_the_admin_login_is_throttled_too(db: None, settings: Any) -> None:
    get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    for _ in range(30):
        _login(HttpClient(), "root", WRONG, url=ADMIN_LOGIN)
    http = HttpClient()
    response = _login(http, "root", PASSWORD, url=ADMIN_LOGIN)
    assert response.status_code == 429
    assert http.get("/admin/").status_code == 302  # still not in
    assert (
        AccessAttempt.objects.get(username="root").failures_since_start
        == settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP
    )


def test_a_password_reset_clears_the_lock(alice: Any, settings: Any) -> None:
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP):
        _login(HttpClient(), "alice", WRONG)
    assert _login(HttpClient(), "alice", PASSWORD).status_code == 429

    http = HttpClient()
    http.post(reverse("password_reset"), {"email": "alice@example.com"})
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body)
    assert link
    set_password_url = http.get(link.group(1), follow=True).redirect_chain[-1][0]
    new = "reset passphrase for alice 7"
    assert http.post(set_password_url, {"new_password1": new, "new_password2": new}).status_code == 302

    assert not AccessAttempt.objects.filter(username="alice").exists()
    assert _login(HttpClient(), "alice", new).status_code == 302


def test_lockouts_are_listed_in_the_admin(admin_client: Any, settings: Any) -> None:
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP):
        _login(HttpClient(), "mallory", WRONG, REMOTE_ADDR="192.0.2.44")
    page = admin_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "mallory" in page
    assert "192.0.2.44" in page


# -- rate limits on pages reached without a password --------------------------------------------------------


@pytest.mark.usefixtures("one_rate_window")
def test_password_reset_requests_are_rate_limited(alice: Any, settings: Any) -> None:
    settings.RATE_LIMIT_PASSWORD_RESET = "3/h"
    http = HttpClient()
    answers = [
        http.post(reverse("password_reset"), {"email": "alice@example.com"}).status_code for _ in range(4)
    ]
    assert answers == [302, 302, 302, 429]
    assert len(mail.outbox) == 3


@pytest.mark.usefixtures("one_rate_window")
def test_signups_are_rate_limited_with_a_clear_page(db: None, settings: Any) -> None:
    settings.RATE_LIMIT_SIGNUP = "2/h"
    password = "a long and fine passphrase"
    answers = []
    for n in range(3):
        response = HttpClient().post(
            reverse("signup"),
            {"username": f"u{n}", "email": f"u{n}@example.com", "password1": password, "password2": password},
        )
        answers.append(response.status_code)
    assert answers == [302, 302, 429]
    assert "Too many requests" in response.content.decode()
    assert get_user_model().objects.count() == 2


@pytest.mark.usefixtures("one_rate_window")
def test_token_pages_are_rate_limited(alice: Any, settings: Any) -> None:
    settings.RATE_LIMIT_TOKEN_PAGES = "5/m"
    feed = reverse("web:calendar_feed", kwargs={"token": "guess"})
    answers = [HttpClient().get(feed).status_code for _ in range(6)]
    assert answers == [404] * 5 + [429]
    prefs = reverse("web:email_preferences", kwargs={"token": "guess"})
    assert HttpClient().get(prefs).status_code == 429  # the same address, the same budget
    assert HttpClient().get(prefs, REMOTE_ADDR="10.9.9.9").status_code == 404
