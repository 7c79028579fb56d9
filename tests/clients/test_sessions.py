"""Settings → Sessions (clients/devices.py): each signed-in session with its device, address and last visit;
signing one or all the others out ends them for real; another freelancer's session is a 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.devices import describe
from clients.models import AccountSession
from tests.factories import PASSWORD

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Safari/604.1"
)


def _log_in(username: str, agent: str, address: str) -> HttpClient:
    http = HttpClient(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    answer = http.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert answer.status_code == 302
    return http


def test_each_session_is_listed_with_its_device_address_and_last_visit(alice: Any) -> None:
    laptop = _log_in("alice", FIREFOX, "203.0.113.5")
    _log_in("alice", PHONE, "198.51.100.8")
    html = laptop.get(reverse("sessions")).content.decode()
    assert "Firefox on Windows" in html and "203.0.113.5" in html
    assert "Safari on iPhone" in html and "198.51.100.8" in html
    assert html.count("(this device)") == 1
    assert AccountSession.objects.filter(user=alice).count() == 2


def test_last_seen_moves_at_most_every_five_minutes(alice: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        http = _log_in("alice", FIREFOX, "203.0.113.5")
    row = AccountSession.objects.get(user=alice)
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        http.get(reverse("profile"))
    row.refresh_from_db()
    assert row.last_seen == start
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        http.get(reverse("profile"), REMOTE_ADDR="203.0.113.77")
    row.refresh_from_db()
    assert row.last_seen == start + timedelta(minutes=6) and row.ip_address == "203.0.113.77"


def test_sign_out_everywhere_else_ends_the_other_sessions(alice: Any, bob: Any) -> None:
    laptop = _log_in("alice", FIREFOX, "203.0.113.5")
    phone = _log_in("alice", PHONE, "198.51.100.8")
    bobs = _log_in("bob", FIREFOX, "192.0.2.1")
    answer = laptop.post(reverse("sessions_end_others"))
    assert answer.status_code == 302
    assert phone.get(reverse("profile"))["Location"].startswith(reverse("login"))
    assert laptop.get(reverse("profile")).status_code == 200
    assert bobs.get(reverse("profile")).status_code == 200  # another account's sessions are not touched
    assert list(AccountSession.objects.filter(user=alice).values_list("user_agent", flat=True)) == [FIREFOX]


def test_one_session_signed_out_by_its_id(alice: Any) -> None:
    laptop = _log_in("alice", FIREFOX, "203.0.113.5")
    phone = _log_in("alice", PHONE, "198.51.100.8")
    row = AccountSession.objects.get(user=alice, user_agent=PHONE)
    laptop.post(reverse("session_end", kwargs={"session_id": row.pk}))
    assert phone.get(reverse("profile")).status_code == 302
    assert laptop.get(reverse("profile")).status_code == 200


def test_bob_cannot_end_alices_session(alice: Any, bob: Any) -> None:
    phone = _log_in("alice", PHONE, "198.51.100.8")
    bobs = _log_in("bob", FIREFOX, "192.0.2.1")
    row = AccountSession.objects.get(user=alice)
    assert bobs.post(reverse("session_end", kwargs={"session_id": row.pk})).status_code == 404
    assert phone.get(reverse("profile")).status_code == 200
    assert "198.51.100.8" not in bobs.get(reverse("sessions")).content.decode()


def test_logging_out_removes_the_session_from_the_list(alice: Any) -> None:
    http = _log_in("alice", FIREFOX, "203.0.113.5")
    http.post(reverse("logout"))
    assert not AccountSession.objects.filter(user=alice).exists()


def test_a_password_change_keeps_the_current_session_listed_by_its_new_key(alice: Any) -> None:
    laptop = _log_in("alice", FIREFOX, "203.0.113.5")
    phone = _log_in("alice", PHONE, "198.51.100.8")
    new = "a whole new passphrase 42"
    phone.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    phone.get(reverse("profile"))
    row = AccountSession.objects.get(user=alice, user_agent=PHONE)
    assert row.session_key == phone.session.session_key
    # Signing the phone out from the laptop (which a password change logged out) needs a fresh login.
    laptop = HttpClient(HTTP_USER_AGENT=FIREFOX)
    laptop.post("/accounts/login/", {"username": "alice", "password": new})
    laptop.post(reverse("session_end", kwargs={"session_id": row.pk}))
    assert phone.get(reverse("profile")).status_code == 302


def test_devices_are_summarised_in_french(alice: Any) -> None:
    from django.utils import translation

    with translation.override("fr"):
        assert describe(FIREFOX) == "Firefox sous Windows"
    assert describe("") == "Unknown device"
    assert describe("curl/8.5.0") == "curl/8.5.0"
