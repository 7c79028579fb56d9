"""Two-factor authentication with django-otp: a code from an authenticator app (TOTP, RFC 6238) and ten
one-time recovery codes, optional for a freelancer, required for staff (`TWO_FACTOR_REQUIRED_FOR_STAFF`).

The login itself stays Django's (so django-axes counts and locks it, `clients/throttle.py`); a password is then
half a login when the account has a second factor:

1. At login, `after_login` marks the session: `PENDING` when the account has a confirmed authenticator,
   `SETUP_REQUIRED` when it is staff without one. The flags live in the session, so the pages after it cost no
   query to tell.
2. `TwoFactorMiddleware` (clients/middleware.py) sends every request of a marked session to the second step
   (`two_factor_verify`) or to the set-up page (`two_factor_setup`); only those, logout and static files pass.
3. `verify` checks a code against the authenticator, then against the recovery codes (each works once);
   django-otp's devices slow down guessing themselves (a doubling delay after each failure) and refuse a code
   already used (no replay). Success clears the flag.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

PENDING = "two_factor_pending"
SETUP_REQUIRED = "two_factor_setup_required"
# Recovery codes just made, shown once on the next page then forgotten.
NEW_CODES = "two_factor_new_codes"
RECOVERY_CODES = 10
DEVICE_NAME = "authenticator"
RECOVERY_NAME = "recovery"


def authenticator(user: Any) -> TOTPDevice | None:
    """Return the account's confirmed authenticator, or None when it has no second factor."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enabled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_required(user: Any) -> bool:
    """Return whether the account may not go without a second factor (staff, unless turned off)."""
    return bool(user.is_staff and settings.TWO_FACTOR_REQUIRED_FOR_STAFF)


def after_login(request: HttpRequest, user: Any) -> None:
    """Mark a session that has passed the password but still owes its second factor (or its set-up)."""
    request.session.pop(PENDING, None)
    request.session.pop(SETUP_REQUIRED, None)
    if is_enabled(user):
        request.session[PENDING] = True
    elif is_required(user):
        request.session[SETUP_REQUIRED] = True


def unfinished_setup(user: Any) -> TOTPDevice:
    """Return the authenticator being set up (a new secret the first time), not yet confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret(device: TOTPDevice) -> str:
    """Return the device's key as an authenticator app takes it typed in: base32, in groups of four."""
    text = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """Return the QR code of the device's otpauth:// address as an SVG element (drawn by the server: no script,
    no inline style, so the page keeps its content security policy)."""
    title = gettext("QR code of the key for your authenticator app")
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2, title=title)


@transaction.atomic
def confirm_setup(device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator being set up when `code` is its current code; return the new recovery codes,
    or None when the code is wrong (the device stays unconfirmed)."""
    if not device.verify_token(_digits(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # One authenticator per account: an older one (set up again after a lost phone) stops working.
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    return new_recovery_codes(device.user)


@transaction.atomic
def new_recovery_codes(user: Any) -> list[str]:
    """Replace the account's recovery codes with ten new ones and return them (stored as they are: each is a
    one-time code of 8 random base32 characters, throttled like the authenticator)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME).count()


def _digits(code: str) -> str:
    return "".join(code.split())


def verify(user: Any, code: str) -> bool:
    """Return whether `code` is the account's current authenticator code or one of its unused recovery codes
    (used up by this call)."""
    code = _digits(code).lower()
    if not code:
        return False
    device = authenticator(user)
    if device is not None and code.isdigit() and device.verify_token(code):
        return True
    recovery = StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()
    return recovery is not None and recovery.verify_token(code)


def passed(request: HttpRequest) -> None:
    """Record that this session gave its second factor."""
    request.session.pop(PENDING, None)
    request.session.pop(SETUP_REQUIRED, None)


@transaction.atomic
def disable(user: Any) -> None:
    """Remove the account's authenticator and recovery codes."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
