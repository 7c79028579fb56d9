"""The signed link in every reminder: preferences without logging in, and one-click unsubscribe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from crm.reminders.digest import digest_message
from crm.reminders.emails import preferences_token, preferences_url, read_preferences_token


def url(user: Any, kind: str = "digest") -> str:
    return reverse("web:email_preferences", kwargs={"token": preferences_token(user.pk, kind)})


def test_signed_link_opens_the_preferences_without_login(client: Any, bob: Any) -> None:
    page = client.get(url(bob)).content.decode()
    assert 'name="nudges_enabled"' in page and 'name="digest_enabled"' in page
    assert '<html lang="fr">' in page  # bob's language, though nobody is logged in


def test_preferences_form_turns_nudges_off(client: Any, alice: Any) -> None:
    response = client.post(url(alice), {"digest_enabled": "on", "digest_when_empty": "on"})
    assert response.status_code == 200
    assert "Your email preferences are saved." in response.content.decode()
    alice.profile.refresh_from_db()
    assert (alice.profile.digest_enabled, alice.profile.nudges_enabled) == (True, False)


def test_one_click_unsubscribe_turns_off_that_kind_only(client: Any, alice: Any) -> None:
    response = client.post(url(alice, "nudge"), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    alice.profile.refresh_from_db()
    assert (alice.profile.digest_enabled, alice.profile.nudges_enabled) == (True, False)
    client.post(url(alice, "digest"), {"List-Unsubscribe": "One-Click"})
    alice.profile.refresh_from_db()
    assert alice.profile.digest_enabled is False


def test_a_tampered_link_is_a_404(client: Any, alice: Any, bob: Any) -> None:
    token = preferences_token(alice.pk, "digest")
    forged = reverse("web:email_preferences", kwargs={"token": token[:-3] + "abc"})
    assert client.get(forged).status_code == 404
    assert client.post(forged, {"List-Unsubscribe": "One-Click"}).status_code == 404
    alice.profile.refresh_from_db()
    assert alice.profile.digest_enabled is True


# -- finding 8: links expire and can be revoked ------------------------------------------------------------


def test_a_link_expires_after_the_documented_age(client: Any, alice: Any, settings: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        link = url(alice)
        assert client.get(link).status_code == 200
    with time_machine.travel(start + settings.EMAIL_LINK_MAX_AGE - timedelta(minutes=1), tick=False):
        assert client.get(link).status_code == 200
    with time_machine.travel(start + settings.EMAIL_LINK_MAX_AGE + timedelta(minutes=1), tick=False):
        expired = client.get(link)
        assert expired.status_code == 410
        assert "This link has expired or was turned off." in expired.content.decode()
        client.post(link, {"List-Unsubscribe": "One-Click"})
    alice.profile.refresh_from_db()
    assert alice.profile.digest_enabled is True
    assert timedelta(days=60) == settings.EMAIL_LINK_MAX_AGE


def test_every_link_sent_so_far_can_be_revoked(client: Any, alice: Any) -> None:
    old = url(alice)
    page = client.post(old, {"revoke": "all"})
    assert "Every link sent so far is turned off." in page.content.decode()
    assert client.get(old).status_code == 410
    assert client.post(old, {"List-Unsubscribe": "One-Click"}).status_code == 410
    alice.profile.refresh_from_db()
    assert alice.profile.digest_enabled is True
    fresh = preferences_url(alice.pk, "digest", alice.profile.email_links_version)
    assert client.get(fresh.removeprefix(django_settings.SITE_URL)).status_code == 200


def test_each_email_carries_a_fresh_link_with_the_current_version(alice: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    alice.profile.revoke_email_links()
    message = digest_message(
        get_user_model().objects.select_related("profile").get(pk=alice.pk), timezone.now()
    )
    assert message is not None
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert read_preferences_token(token) == (alice.pk, "digest", 1)
