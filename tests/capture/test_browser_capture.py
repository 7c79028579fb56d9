"""The mailbox settings and a timeline filled by a sync, in a real browser, in English and French.

With SCREENSHOTS=1 it also writes docs/screenshots/mailbox-{en,fr}.png and timeline-synced-{en,fr}.png:

    SCREENSHOTS=1 .venv/bin/pytest tests/capture/test_browser_capture.py
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from crm.capture import sync
from tests.capture.conftest import mail, make_mailbox
from tests.conftest import chromium_path, require_service
from tests.factories import PASSWORD, make_client, make_project
from tests.web.test_browser import CHROMIUM_ARGS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"


@pytest.fixture
def page(live_server: Any) -> Iterator[Any]:
    require_service(chromium_path() is not None, "Debian chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 820}, bypass_csp=True)
        page.set_default_timeout(10_000)
        yield page
        browser.close()


def _synced_book(alice: Any, dovecot: Any, imap_user: str) -> Any:
    paul = make_client(alice, name="Atelier Paul", company="Atelier Paul", email="paul@atelier-paul.fr")
    make_project(paul, title="Boutique en ligne")
    now = timezone.now()
    box = make_mailbox(alice, dovecot, imap_user, status_keyword="Point", smtp_host="smtp.example.com")
    dovecot.append(
        imap_user,
        "INBOX",
        [
            mail(
                "paul@atelier-paul.fr",
                alice.email,
                "Maquette de la page d’accueil ?",
                "<1@paul>",
                now - timedelta(days=9),
            ),
            mail(
                "paul@atelier-paul.fr",
                alice.email,
                "Re: Point de la semaine",
                "<3@paul>",
                now - timedelta(days=2),
                in_reply_to="<2@me>",
            ),
            mail(
                "newsletter@ailleurs.example", alice.email, "Promo !", "<x@ailleurs>", now - timedelta(days=1)
            ),
        ],
    )
    dovecot.append(
        imap_user,
        "Sent",
        [
            mail(
                alice.email,
                "paul@atelier-paul.fr",
                "Re: Maquette de la page d’accueil ?",
                "<1b@me>",
                now - timedelta(days=8),
                in_reply_to="<1@paul>",
            ),
            mail(
                alice.email, "paul@atelier-paul.fr", "Point de la semaine", "<2@me>", now - timedelta(days=3)
            ),
        ],
    )
    assert sync.sync_mailbox(box.pk) == "synced"
    return paul


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_mailbox_page_and_a_synced_timeline(
    page, live_server, alice, dovecot, imap_user, language
) -> None:
    alice.profile.language = language
    alice.profile.save()
    paul = _synced_book(alice, dovecot, imap_user)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/settings/mailbox/")
    status = page.locator("#mailbox-status").inner_text()
    assert {"en": "4 emails logged.", "fr": "4 e-mails notés."}[language] in status
    assert page.locator("#id_password").input_value() == ""  # never drawn again
    if os.environ.get("SCREENSHOTS"):
        page.screenshot(path=str(SHOTS / f"mailbox-{language}.png"), full_page=False)

    page.goto(f"{live_server.url}/clients/{paul.pk}/")
    timeline = page.locator("#timeline")
    text = timeline.inner_text()
    assert "Re: Maquette de la page d’accueil ?" in text
    assert "Promo !" not in text
    if os.environ.get("SCREENSHOTS"):
        timeline.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"timeline-synced-{language}.png"), full_page=False)
