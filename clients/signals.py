from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from clients import devices, twofactor
from clients.models import Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(
    sender: type, instance: object, created: bool, raw: bool = False, **kwargs: object
) -> None:
    """Give every new account its freelancer profile."""
    if created and not raw:
        Profile.objects.get_or_create(user=instance)


@receiver(user_logged_in)
def session_opened(sender: type, request: Any, user: Any, **kwargs: object) -> None:
    """List the new session in Settings → Sessions, and ask for its second factor when the account has one
    (or for its set-up, staff without one). Every way in sends this signal: the login page, the admin's,
    sign-up, a test's force_login."""
    if request is None or not hasattr(request, "session"):
        return
    devices.record_login(request, user)
    twofactor.after_login(request, user)


@receiver(user_logged_out)
def session_closed(sender: type, request: Any, user: Any, **kwargs: object) -> None:
    if request is not None:
        devices.forget_logout(request)
