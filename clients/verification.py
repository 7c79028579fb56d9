"""Email verification: at sign-up, and before a new address replaces the old one in Settings.

The link carries a signed, dated token naming the account and the address it verifies (no table: the profile's
`email_verified` and `pending_email` say what is waiting). It works for `EMAIL_VERIFICATION_MAX_AGE`, once in
effect: after it the address is verified, or the change done, and the same link finds nothing left to do. An
account whose address is not verified can sign in and keep its book, but nothing is emailed on its behalf
(`Profile.may_send_email`, read by crm/reminders/outbox.py).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from config.site import site_url

logger = logging.getLogger(__name__)

SALT = "clients.verification.email"


def token(user: Any, email: str) -> str:
    return signing.dumps({"u": user.pk, "e": email}, salt=SALT, compress=True)


def link(user: Any, email: str) -> str:
    return site_url() + reverse("verify_email", kwargs={"token": token(user, email)})


def send(user: Any, email: str) -> bool:
    """Email `email` its verification link, in the account's language; return False when the mail server
    refused it or could not be reached (the page offers to send it again)."""
    with translation.override(user.profile.language):
        context = {"user": user, "email": email, "link": link(user, email)}
        subject = " ".join(render_to_string("emails/verify-email-subject.txt", context).split())
        text = render_to_string("emails/verify-email-body.txt", context).strip() + "\n"
        message = EmailMultiAlternatives(subject, text, to=[email])
        message.attach_alternative(render_to_string("emails/verify-email-body.html", context), "text/html")
    try:
        message.send()
    except OSError:  # smtplib's errors are OSErrors, as are refused connections and timeouts
        logger.warning("Verification email to account %s not sent", user.pk, exc_info=True)
        return False
    return True


def confirm(value: str) -> Any | None:
    """Verify the address a link names; return its account, or None for a link that is forged, expired, or
    for an address the account no longer has or waits for."""
    try:
        data = signing.loads(value, salt=SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.BadSignature:
        return None
    user = get_user_model().objects.select_related("profile").filter(pk=data.get("u")).first()
    if user is None or not user.profile.confirm_email(str(data.get("e", ""))):
        return None
    return user
