"""Password change and reset: the app's own pages and email, in the freelancer's language, end to end."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

NEW_PASSWORD = "a brand new secret 2026"

WORDS = {
    "en": {
        "change_title": "Change your password",
        "change_button": "Change my password",
        "changed": "Your password is changed.",
        "reset_title": "Reset your password",
        "reset_button": "Send me the link",
        "sent": "a link to choose a new password is on its way",
        "subject": "Confiance: choose a new password",
        "body": "asked to reset the password of your Confiance account",
        "confirm_title": "Choose a new password",
        "saved": "Your new password is saved.",
        "bad_link": "This link has expired or was already used.",
        "login_link": "Forgot your password?",
    },
    "fr": {
        "change_title": "Changer de mot de passe",
        "change_button": "Changer mon mot de passe",
        "changed": "Votre mot de passe est changé.",
        "reset_title": "Réinitialiser votre mot de passe",
        "reset_button": "M’envoyer le lien",
        "sent": "un lien pour choisir un nouveau mot de passe est en route",
        "subject": "Confiance\u00a0: choisissez un nouveau mot de passe",
        "body": "a demandé à réinitialiser le mot de passe de votre compte Confiance",
        "confirm_title": "Choisir un nouveau mot de passe",
        "saved": "Votre nouveau mot de passe est enregistré.",
        "bad_link": "Ce lien a expiré ou a déjà servi.",
        "login_link": "Mot de passe oublié\u00a0?",
    },
}
LANGUAGES = ["en", "fr"]


def _page(response: Any) -> str:
    return html.unescape(response.content.decode())


def _app_layout(page: str) -> None:
    # The app's own layout (base.html), not Django admin's screens.
    assert "/static/css/confiance.css" in page or "confiance" in page.lower()
    assert "Django administration" not in page and "Administration de Django" not in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_password_change_in_the_freelancers_language(client: Any, alice: Any, language: str) -> None:
    alice.profile.language = language
    alice.profile.save()
    client.force_login(alice)
    words = WORDS[language]
    settings_page = _page(client.get(reverse("profile")))
    assert f'href="{reverse("password_change")}"' in settings_page
    page = _page(client.get(reverse("password_change")))
    _app_layout(page)
    assert words["change_title"] in page and words["change_button"] in page
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert words["changed"] in _page(response)
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wrong_old_password_changes_nothing(client: Any, alice: Any, language: str) -> None:
    alice.profile.language = language
    alice.profile.save()
    client.force_login(alice)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    said = (
        "Your old password was entered incorrectly"
        if language == "en"
        else "ancien mot de passe est incorrect"
    )
    assert said in _page(response)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


@pytest.mark.parametrize("language", LANGUAGES)
def test_password_reset_end_to_end_in_the_accounts_language(client: Any, alice: Any, language: str) -> None:
    # The request comes from a logged-out browser in the other language: the email follows the account's.
    alice.profile.language = language
    alice.profile.save()
    browser = "fr" if language == "en" else "en"
    words, browser_words = WORDS[language], WORDS[browser]
    client.cookies["django_language"] = browser

    login_page = _page(client.get(reverse("login"), headers={"accept-language": browser}))
    assert f'href="{reverse("password_reset")}"' in login_page
    assert browser_words["login_link"] in login_page

    page = _page(client.get(reverse("password_reset"), headers={"accept-language": browser}))
    _app_layout(page)
    assert browser_words["reset_title"] in page and browser_words["reset_button"] in page

    response = client.post(
        reverse("password_reset"), {"email": alice.email}, follow=True, headers={"accept-language": browser}
    )
    assert response.redirect_chain[-1][0] == reverse("password_reset_done")
    assert browser_words["sent"] in _page(response)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [alice.email]
    assert email.subject == words["subject"]
    assert words["body"] in email.body
    assert words["body"] in html.unescape(email.alternatives[0][0])
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", email.body).group(1)

    confirm = client.get(link, follow=True, headers={"accept-language": browser})
    form_url = confirm.redirect_chain[-1][0]
    confirm_page = _page(confirm)
    _app_layout(confirm_page)
    assert browser_words["confirm_title"] in confirm_page
    done = client.post(
        form_url,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
        headers={"accept-language": browser},
    )
    assert done.redirect_chain[-1][0] == reverse("password_reset_complete")
    assert browser_words["saved"] in _page(done)
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)

    # The link served once: opening it again says so, in the page's language.
    again = client.get(link, follow=True, headers={"accept-language": browser})
    assert browser_words["bad_link"] in _page(again)


def test_an_unknown_email_sends_nothing_and_says_the_same(client: Any, db: None) -> None:
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("password_reset_done")
    assert mail.outbox == []
