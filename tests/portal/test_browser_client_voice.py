"""The client's voice in a real browser (Debian's Chromium through Playwright), issue 26: the client, on their page
without logging in, answers a check-in and presses "something bothers me"; the freelancer, in another browser
context, sees each effect in the timeline, on the dashboard and in the trust reasons.

It also takes the screenshots of the page with the check-in (French and English): into a temporary folder on
every run, into docs/screenshots/ with `UPDATE_SCREENSHOTS=1`:

    UPDATE_SCREENSHOTS=1 .venv/bin/pytest tests/portal/test_browser_client_voice.py -m browser -k screenshots
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from conflicts.models import ConflictSignal
from crm.models import CheckIn, ClientPage
from tests.conftest import chromium_path, require_service
from tests.portal.test_browser_client_page import ENGLISH, FRENCH, SCREENSHOTS, _client_with_history
from tests.web.test_browser import CHROMIUM_ARGS, log_in, serious_violations, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def contexts(live_server: Any) -> Iterator[dict[str, Any]]:
    """Two separate browser contexts (cookies apart): the client's, never logged in, and the freelancer's."""
    require_service(chromium_path() is not None, "Debian chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        pages = {}
        for who in ("client", "freelancer"):
            page = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True).new_page()
            page.set_default_timeout(10_000)
            pages[who] = page
        yield pages
        browser.close()


def _open(page: Any, live_server: Any, client_page: ClientPage) -> None:
    page.goto(live_server.url + reverse("portal:page", kwargs={"token": client_page.token}))
    settled(page)


def test_the_client_says_how_it_goes_and_what_bothers_them_and_the_freelancer_sees_it(
    contexts: dict[str, Any], live_server: Any, alice: Any
) -> None:
    client_page = _client_with_history(alice, "Claire Morel", "fr", FRENCH)
    client, freelancer = contexts["client"], contexts["freelancer"]

    # The client, without logging in, on their page in French.
    _open(client, live_server, client_page)
    client.check("#check-in input[value=mixed]")
    client.fill("#check-in textarea", "Le catalogue avance, mais lentement.")
    client.click("#check-in button[type=submit]")
    client.wait_for_selector("text=Merci : votre réponse est enregistrée.")
    client.click("details.concern summary")
    client.check("#concern input[value=ideas]")
    client.fill("#concern textarea", "Le périmètre change à chaque appel.")
    client.click("#concern button[type=submit]")
    client.wait_for_selector("text=Alice Martin en est informé tout de suite")
    said = client.locator("ul.said")
    assert "Le catalogue avance, mais lentement." in said.inner_text()
    assert "Le périmètre change à chaque appel." in said.inner_text()
    assert serious_violations(client) == []
    assert CheckIn.objects.get(client=client_page.client).level == "mixed"
    assert ConflictSignal.objects.get(client=client_page.client).raised_by == "client"

    # The freelancer, in another context, logged in (in English).
    log_in(freelancer, live_server)
    concerns = freelancer.locator("#client-concerns")
    assert "Claire Morel says something bothers them (ideas)" in concerns.inner_text()
    freelancer.click("#client-concerns a")
    freelancer.wait_for_load_state()
    freelancer.goto(live_server.url + reverse("web:client", kwargs={"client_id": client_page.client_id}))
    settled(freelancer)
    timeline = freelancer.locator("#timeline").inner_text().lower()  # the kinds are drawn in capitals
    assert "the client said: so-so" in timeline and "le catalogue avance, mais lentement." in timeline
    assert "the client said: something bothers me" in timeline
    reasons = freelancer.locator("#score-panel").inner_text()
    assert "The client said the work is going so-so" in reasons
    assert "The client said something bothers them about the ideas of the work" in reasons

    # The client takes the concern back; the freelancer's page no longer counts it.
    client.click(f"#concern-{ConflictSignal.objects.get().pk} button[type=submit]")
    client.wait_for_selector("text=Retiré : cela ne compte plus")
    freelancer.reload()
    settled(freelancer)
    assert "The client said something bothers them" not in freelancer.locator("#score-panel").inner_text()
    assert "withdrawn by the client" in freelancer.locator("#timeline").inner_text().lower()
    freelancer.goto(live_server.url + reverse("web:dashboard"))
    assert freelancer.locator("#client-concerns").count() == 0


def test_screenshots(contexts: dict[str, Any], live_server: Any, alice: Any, tmp_path: Path) -> None:
    """The client's page with the check-in, in French and English (docs/screenshots/ when asked)."""
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    page = contexts["client"]
    for language, client_page in (
        ("fr", _client_with_history(alice, "Claire Morel", "fr", FRENCH)),
        ("en", _client_with_history(alice, "James Hart", "en", ENGLISH)),
    ):
        CheckIn.objects.create(
            client=client_page.client,
            level="good",
            note="Très clair, merci." if language == "fr" else "Clear and on time, thank you.",
        )
        _open(page, live_server, client_page)
        page.check("#check-in input[value=good]")
        page.locator("#voice").scroll_into_view_if_needed()
        path = folder / f"client-page-check-in-{language}.png"
        page.locator("#voice").screenshot(path=str(path))
        assert path.stat().st_size > 10_000
