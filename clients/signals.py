from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from clients.models import Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(
    sender: type, instance: object, created: bool, raw: bool = False, **kwargs: object
) -> None:
    """Give every new account its freelancer profile."""
    if created and not raw:
        Profile.objects.get_or_create(user=instance)
