"""Two-factor authentication (clients/twofactor.py, django-otp): set up with the app's code, the password alone
is half a login, recovery codes work once, staff cannot go without it, and the password step is still django-axes'.
The same in a real browser: tests/web/test_browser_two_factor.py."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client as HttpClient
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients import twofactor
from tests.factories import PASSWORD, authenticator_code, make_user

LOGIN = "/accounts/login/"


def _code(device: TOTPDevice, ahead: int = 0) -> str:
    return authenticator_code(device.bin_key, ahead)


def _password(http: Any, username: str, password: str = PASSWORD) -> Any:
    return http.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR="10.0.0.1")


def _turn_on(http: Any, user: Any) -> tuple[TOTPDevice, list[str]]:
    assert http.get(reverse("two_factor_setup")).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    answer = http.post(reverse("two_factor_setup"), {"code": _code(device)})
    assert answer.status_code == 302 and answer["Location"] == reverse("two_factor_codes")
    page = http.get(reverse("two_factor_codes")).content.decode()
    codes = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(codes) == 10 and all(code in page for code in codes)
    # Shown once: the page does not draw them again.
    assert http.get(reverse("two_factor_codes"))["Location"] == reverse("two_factor")
    device.refresh_from_db()
    return device, codes


@pytest.fixture
def alice_with_two_factor(alice_client: Any, alice: Any) -> tuple[TOTPDevice, list[str]]:
    return _turn_on(alice_client, alice)


def test_setup_refuses_a_wrong_code_and_stays_off(alice_client: Any, alice: Any) -> None:
    alice_client.get(reverse("two_factor_setup"))
    answer = alice_client.post(reverse("two_factor_setup"), {"code": "000000"})
    assert answer.status_code == 200
    assert "This code does not match" in answer.content.decode()
    assert not twofactor.is_enabled(alice)


def test_the_setup_page_draws_the_qr_code_and_the_key(alice_client: Any, alice: Any) -> None:
    html = alice_client.get(reverse("two_factor_setup")).content.decode()
    assert "<svg" in html and 'class="segno"' in html and "<script" not in html.split("<main", 1)[1]
    device = TOTPDevice.objects.get(user=alice)
    assert twofactor.secret(device) in html


def test_the_password_alone_is_half_a_login(alice: Any, alice_with_two_factor: Any) -> None:
    device, _codes = alice_with_two_factor
    http = HttpClient()
    answer = _password(http, "alice")
    assert answer.status_code == 302
    assert http.get("/clients/")["Location"].startswith(reverse("two_factor_verify"))
    assert http.get(reverse("profile"))["Location"].startswith(reverse("two_factor_verify"))
    assert http.post(reverse("sessions_end_others")).status_code == 302  # held too, nothing done
    wrong = http.post(reverse("two_factor_verify"), {"code": "123456"})
    assert "This code is not valid" in wrong.content.decode()
    device.throttle_reset()
    right = http.post(reverse("two_factor_verify") + "?next=/clients/", {"code": _code(device, ahead=1)})
    assert right["Location"] == "/clients/"
    assert http.get("/clients/").status_code == 200


def test_an_offsite_next_is_not_followed(alice: Any, alice_with_two_factor: Any) -> None:
    device, _codes = alice_with_two_factor
    http = HttpClient()
    _password(http, "alice")
    answer = http.post(
        reverse("two_factor_verify") + "?next=https://evil.example/", {"code": _code(device, 1)}
    )
    assert answer["Location"] == reverse("web:dashboard")


def test_a_recovery_code_works_once(alice: Any, alice_with_two_factor: Any) -> None:
    _device, codes = alice_with_two_factor
    first = HttpClient()
    _password(first, "alice")
    assert first.post(reverse("two_factor_verify"), {"code": codes[0].upper()})["Location"] == "/"
    second = HttpClient()
    _password(second, "alice")
    again = second.post(reverse("two_factor_verify"), {"code": codes[0]})
    assert again.status_code == 200 and "This code is not valid" in again.content.decode()
    assert twofactor.recovery_codes_left(alice) == 9


def test_new_recovery_codes_replace_the_old_ones(
    alice_client: Any, alice: Any, alice_with_two_factor: Any
) -> None:
    _device, old = alice_with_two_factor
    alice_client.post(reverse("two_factor_codes"))
    new = alice_client.get(reverse("two_factor_codes")).content.decode()
    assert not any(code in new for code in old)
    assert twofactor.recovery_codes_left(alice) == 10


def test_turning_it_off_needs_the_password(alice_client: Any, alice: Any, alice_with_two_factor: Any) -> None:
    refused = alice_client.post(reverse("two_factor_disable"), {"password": "nope"})
    assert refused.status_code == 400 and twofactor.is_enabled(alice)
    alice_client.post(reverse("two_factor_disable"), {"password": PASSWORD})
    assert not twofactor.is_enabled(alice) and twofactor.recovery_codes_left(alice) == 0
    http = HttpClient()
    _password(http, "alice")
    assert http.get("/clients/").status_code == 200  # the password is the whole login again


def test_staff_without_two_factor_are_sent_to_set_it_up(db: None) -> None:
    root = make_user("root")
    root.is_staff = True
    root.save()
    http = HttpClient()
    _password(http, "root")
    for page in ("/", "/admin/", reverse("profile"), reverse("two_factor")):
        assert http.get(page)["Location"] == reverse("two_factor_setup"), page
    _turn_on(http, root)
    assert http.get("/admin/").status_code == 200
    # And cannot turn it off.
    http.post(reverse("two_factor_disable"), {"password": PASSWORD})
    assert twofactor.is_enabled(root)


def test_staff_rule_can_be_turned_off(db: None, settings: Any) -> None:
    settings.TWO_FACTOR_REQUIRED_FOR_STAFF = False
    root = make_user("root")
    root.is_staff = True
    root.save()
    http = HttpClient()
    _password(http, "root")
    assert http.get(reverse("profile")).status_code == 200


def test_the_password_step_is_still_counted_by_axes(alice: Any, alice_with_two_factor: Any) -> None:
    # The lockout rules are clients/throttle.py's (tests/clients/test_login_throttle.py); here: the login page
    # of an account with two factors is the same axes-guarded Django login.
    http = HttpClient()
    assert _password(http, "alice", "wrong").status_code == 200
    assert AccessAttempt.objects.filter(username="alice").exists()
    answer = _password(http, "alice")
    assert http.get(answer["Location"])["Location"].startswith(reverse("two_factor_verify"))


def test_the_pages_speak_french(alice: Any) -> None:
    alice.profile.language = "fr"
    alice.profile.save()
    http = HttpClient()
    http.force_login(alice)
    assert "Authentification à deux facteurs" in http.get(reverse("two_factor")).content.decode()
    assert "Saisissez le code à six chiffres" in http.get(reverse("two_factor_setup")).content.decode()


def test_an_account_with_two_factor_is_deleted_whole(
    alice_client: Any, alice: Any, alice_with_two_factor: Any
) -> None:
    alice_client.post(reverse("account_delete"), {"password": PASSWORD})
    assert not TOTPDevice.objects.exists() and not StaticToken.objects.exists()


def test_moving_it_to_another_phone_needs_the_password(
    alice_client: Any, alice: Any, alice_with_two_factor: Any
) -> None:
    old, _codes = alice_with_two_factor
    alice_client.get(reverse("two_factor_setup"))
    new = TOTPDevice.objects.get(user=alice, confirmed=False)
    refused = alice_client.post(reverse("two_factor_setup"), {"code": _code(new), "password": "wrong"})
    assert refused.status_code == 200 and "This is not your password" in refused.content.decode()
    assert TOTPDevice.objects.get(user=alice, confirmed=True) == old
    alice_client.post(reverse("two_factor_setup"), {"code": _code(new), "password": PASSWORD})
    assert TOTPDevice.objects.get(user=alice, confirmed=True) == new  # the old phone's key no longer works
