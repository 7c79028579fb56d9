"""Real-browser tests: Playwright driving Debian's Chromium against the live server.

They log in, act through htmx and check that the page updates in place (a marker set on `window` survives:
no reload), then switch to French, and run axe-core on the dashboard and a workspace.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from clients.models import Client
from crm.models import ClientHealth
from tests.conftest import chromium_path, require_service
from tests.factories import PASSWORD, make_client, make_promise

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses that unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_page(bypass_csp: bool) -> Iterator[Any]:
    require_service(chromium_path() is not None, "Debian chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp)
        page.set_default_timeout(10_000)
        yield page
        browser.close()


@pytest.fixture
def page(live_server: Any) -> Iterator[Any]:
    # Playwright's wait_for_function and axe evaluate code in the page, which our Content Security Policy
    # (rightly) forbids; the CSP test below uses a page that keeps the policy.
    yield from _browser_page(bypass_csp=True)


@pytest.fixture
def strict_page(live_server: Any) -> Iterator[Any]:
    yield from _browser_page(bypass_csp=False)


@pytest.fixture
def book(alice: Any) -> dict[str, Any]:
    today = timezone.localdate()
    rita = make_client(alice, name="Rita Risque", company="Risque SARL")
    ClientHealth.objects.update_or_create(
        client=rita, defaults={"owner": alice, "score": 12, "band": "at_risk", "reasons": []}
    )
    slipping = make_promise(
        rita,
        description="Livrer la maquette",
        made_on=today - timedelta(days=5),
        due_on=today + timedelta(days=1),
    )
    # The signal recomputed the score: put the "at risk" row back so the dashboard shows Rita at risk.
    ClientHealth.objects.filter(client=rita).update(score=12, band="at_risk")
    # Rita's weekly status update lapsed long ago.
    Client.objects.filter(pk=rita.pk).update(created_at=timezone.now() - timedelta(days=20))
    return {"rita": rita, "slipping": slipping}


def log_in(page: Any, live_server: Any, username: str = "alice") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("#board")


def settled(page: Any) -> None:
    """Wait until the page has loaded and no htmx request is in flight, swapping or settling (a save answered in
    place makes the timeline and score panel fetch themselves again). `networkidle` alone returns once the page
    has loaded: it does not wait for htmx's requests."""
    page.wait_for_load_state()
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    # Judge the page as it settles, not mid-fade: a refresh still in flight shows the "updating" indicator
    # fading in, whose contrast at half opacity is no colour a reader is left with.
    settled(page)
    page.add_style_tag(
        content="*, *::before, *::after { transition: none !important; animation: none !important; }"
    )
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_make_a_promise_keep_it_and_see_score_and_timeline_change_in_place(
    page: Any, live_server: Any, book: dict
) -> None:
    log_in(page, live_server)
    page.click("table.clients >> text=Rita Risque")
    page.wait_for_selector("#score-panel")
    assert page.inner_text("[data-testid=score]") == "12"
    page.evaluate("window.__noReload = true")

    page.click("summary:has-text('Make a promise')")
    page.fill("#promise-description", "Envoyer le plan du site")
    page.fill("#promise-due_on", (timezone.localdate() + timedelta(days=3)).isoformat())
    page.click("#new-promise button[type=submit]")
    page.wait_for_selector("#new-promise >> text=Promise saved.")
    item = page.locator("#timeline li.event-promise", has_text="Envoyer le plan du site")
    item.wait_for()
    score_after_promise = page.inner_text("[data-testid=score]")
    assert score_after_promise != "12"  # the score panel refreshed itself

    item.locator("button", has_text="Kept").click()
    page.locator("#timeline li.outcome-kept_on_time", has_text="Envoyer le plan du site").wait_for()
    page.wait_for_function(
        "before => document.querySelector('[data-testid=score]').innerText !== before",
        arg=score_after_promise,
    )
    assert page.evaluate("window.__noReload") is True


def test_explain_a_slipping_promise(page: Any, live_server: Any, book: dict) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/clients/{book['rita'].pk}/")
    page.evaluate("window.__noReload = true")
    item = page.locator(f"#promise-{book['slipping'].pk}")
    item.locator("summary", has_text="Explain the delay").click()
    item.locator("textarea").fill("Le prestataire d'hébergement a pris du retard, livraison lundi.")
    item.locator("button", has_text="Save the explanation").click()
    page.locator(f"#promise-{book['slipping'].pk}", has_text="Le prestataire d'hébergement").wait_for()
    assert page.evaluate("window.__noReload") is True
    settled(page)  # the in-memory test database allows no read during a write
    book["slipping"].refresh_from_db()
    assert book["slipping"].clarification.startswith("Le prestataire")


def test_log_a_status_update_from_the_dashboard_in_one_click(page: Any, live_server: Any, book: dict) -> None:
    log_in(page, live_server)
    assert page.inner_text("[data-count=status_updates]") == "1"
    row = page.locator(".week-group[data-group=status_updates] li", has_text="Rita Risque")
    row.locator("button", has_text="Status update sent").click()
    page.wait_for_function("document.querySelector('[data-count=status_updates]').innerText === '0'")
    settled(page)
    book["rita"].refresh_from_db()
    assert book["rita"].last_status_update_at is not None


def test_switch_to_french_and_see_the_dashboard_in_french(page: Any, live_server: Any, book: dict) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/accounts/profile/")
    page.select_option("#id_language", "fr")
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/")
    assert page.get_attribute("html", "lang") == "fr"
    assert "Quels clients ont besoin de vous" in page.inner_text("h1")
    assert "en danger" in page.inner_text("#board")


def test_dashboard_and_workspace_have_no_serious_accessibility_violations(
    page: Any, live_server: Any, book: dict
) -> None:
    log_in(page, live_server)
    assert serious_violations(page) == []
    page.goto(f"{live_server.url}/clients/{book['rita'].pk}/")
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 375, "height": 812})
    assert serious_violations(page) == []


def test_the_content_security_policy_is_kept_by_every_page_and_htmx(
    strict_page: Any, live_server: Any, book: dict
) -> None:
    """No inline script or style anywhere: the browser reports no CSP violation, htmx injected no <style>."""
    page = strict_page
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security" in message.text else None,
    )
    log_in(page, live_server)
    page.goto(f"{live_server.url}/clients/{book['rita'].pk}/")
    page.click("summary:has-text('Make a promise')")
    page.wait_for_selector("#promise-description")
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    page.click("summary:has-text('Log an interaction')")
    page.wait_for_selector("#interaction-summary")
    page.goto(f"{live_server.url}/?q=%00")
    assert violations == []
