"""The demo's freelancer: who logs in to the demo book, and the account every seeded book belongs to."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "confiance-demo"
DEMO_ZONE = "Europe/Paris"


def get_or_create_freelancer(
    username: str, password: str, *, display_name: str = "", language: str = "fr"
) -> tuple[Any, bool]:
    """Return the freelancer `username` (created with `password` and a French Paris profile when missing)."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = User.objects.create_user(username=username, email=f"{username}@example.com", password=password)
    profile = user.profile
    profile.display_name = display_name
    profile.language = language
    profile.time_zone = DEMO_ZONE
    profile.save()
    return user, True
