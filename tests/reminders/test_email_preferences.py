"""The signed link in every reminder: preferences without logging in, and one-click unsubscribe."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from crm.reminders.emails import preferences_token


def url(user: Any, kind: str = "digest") -> str:
    return reverse("reminders:email_preferences", kwargs={"token": preferences_token(user.pk, kind)})


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
    forged = reverse("reminders:email_preferences", kwargs={"token": token[:-3] + "abc"})
    assert client.get(forged).status_code == 404
    assert client.post(forged, {"List-Unsubscribe": "One-Click"}).status_code == 404
    alice.profile.refresh_from_db()
    assert alice.profile.digest_enabled is True
