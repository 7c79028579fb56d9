"""Issue 14 in a real browser: a French sign-up through the first client to the first score, the empty states,
the phone layout (the first row in view at 390×844, no page scrolling sideways with long unbroken strings), focus
and its announcement after one-click actions, the shortcuts, and dark mode checked by axe.

Same Chromium launch as tests/web/test_browser.py, with a browser context for the locale and colour scheme.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from crm.models import ClientHealth, Promise
from tests.conftest import chromium_path, require_service
from tests.factories import (
    make_client,
    make_conflict,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
)
from tests.web.test_browser import CHROMIUM_ARGS, log_in, serious_violations, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser_context(live_server: Any) -> Iterator[Callable[..., Any]]:
    """Open pages in contexts of a given locale, viewport and colour scheme (all in one Chromium)."""
    require_service(chromium_path() is not None, "Debian chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)

        def open_page(
            locale: str = "en-GB", viewport: dict | None = None, color_scheme: str = "light"
        ) -> Any:
            context = browser.new_context(
                viewport=viewport or {"width": 1280, "height": 900},
                locale=locale,
                color_scheme=color_scheme,
                timezone_id="Europe/Paris",
                # Playwright's waits and axe evaluate code in the page, which the CSP forbids.
                bypass_csp=True,
            )
            page = context.new_page()
            page.set_default_timeout(10_000)
            return page

        yield open_page
        browser.close()


def test_sign_up_in_a_french_browser_through_the_first_client_to_the_first_score(
    browser_context: Callable[..., Any], live_server: Any
) -> None:
    page = browser_context(locale="fr-FR")
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_username", "camille")
    page.fill("#id_email", "camille@example.com")
    page.fill("#id_password1", "un-long-mot-de-passe-42")
    page.fill("#id_password2", "un-long-mot-de-passe-42")
    page.click("main button[type=submit]")
    page.wait_for_selector(".first-run")
    assert page.get_attribute("html", "lang") == "fr"
    assert "Bienvenue" in page.inner_text("#toasts")
    assert "Commencez votre carnet" in page.inner_text(".first-run")

    page.click(".first-run a.button >> nth=0")
    page.fill("#id_name", "Boulangerie Roux")
    page.fill("#id_cadence_days", "14")
    page.fill("#id_project_title", "Site vitrine")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#score-panel")
    assert "Site vitrine" in page.inner_text("main")

    # The first promise, kept: the score appears.
    page.click("summary:has-text('Faire une promesse')")
    page.fill("#promise-description", "Envoyer la maquette")
    page.fill("#promise-made_on", (timezone.localdate() - timedelta(days=3)).isoformat())
    page.fill("#promise-due_on", timezone.localdate().isoformat())
    page.click("#new-promise button[type=submit]")
    item = page.locator("#timeline li.event-promise", has_text="Envoyer la maquette")
    item.wait_for()
    item.locator("button.ok", has_text="Tenue").click()
    page.locator("#timeline li.outcome-kept_on_time").wait_for()
    settled(page)
    client = Client.objects.get(name="Boulangerie Roux")
    assert client.owner.profile.language == "fr"
    assert client.projects.get().title == "Site vitrine"
    assert ClientHealth.objects.filter(client=client).exists()
    assert page.inner_text("#score-panel h2") == "Santé de la confiance"


def test_the_empty_states_explain_and_the_sample_book_comes_and_goes(
    browser_context: Callable[..., Any], live_server: Any, alice: Any
) -> None:
    page = browser_context()
    log_in(page, live_server)
    groups = page.locator(".week-group .nothing")
    assert groups.count() == 5
    for text in groups.all_inner_texts():
        assert len(text.split()) > 8, text  # a sentence that explains, not "Nothing here."
    assert serious_violations(page) == []
    page.click(".first-run button:has-text('Explore a sample book')")
    page.wait_for_selector(".sample-note")
    assert page.locator("table.clients tbody tr").count() >= 10
    page.click(".sample-note button")
    page.wait_for_selector(".first-run-paths")
    assert not Client.objects.filter(owner=alice).exists()


LONG = "x" * 300
LONG_NAME = "Aubigné" * 28  # 196 characters, no space
LONG_EMAIL = ("prenom.nom.tres.long" * 6) + "@exemple-de-domaine-vraiment-tres-long.fr"


@pytest.fixture
def long_book(alice: Any) -> dict[str, Any]:
    today = timezone.localdate()
    client = make_client(
        alice, name=LONG_NAME, company=LONG, email=LONG_EMAIL, notes=LONG,
        created_at=timezone.now() - timedelta(days=40),
    )  # fmt: skip
    for n in range(2):
        make_client(alice, name=f"Client {n}")
    project = make_project(client, title=LONG, goals=LONG)
    promise = make_promise(
        client,
        project=project,
        description=LONG,
        made_on=today - timedelta(days=9),
        due_on=today - timedelta(days=2),
    )
    invoice = make_invoice(
        client, number="N" * 50, issued_on=today - timedelta(days=60), due_on=today - timedelta(days=30)
    )
    signal = make_conflict(client, description=LONG)
    interaction = make_interaction(client, summary=LONG)
    return {
        "client": client, "project": project, "promise": promise, "invoice": invoice, "signal": signal,
        "interaction": interaction,
    }  # fmt: skip


def _pages(book: dict[str, Any]) -> list[str]:
    c = {"client_id": book["client"].pk}
    return [
        reverse("web:dashboard"),
        reverse("web:clients"),
        reverse("web:client", kwargs=c),
        reverse("web:client_edit", kwargs=c),
        reverse("web:project_edit", kwargs={"project_id": book["project"].pk}),
        reverse("web:promises") + "?show=overdue",
        reverse("web:promise", kwargs={"promise_id": book["promise"].pk}),
        reverse("web:promise_edit", kwargs={"promise_id": book["promise"].pk}),
        reverse("web:invoices") + "?show=overdue",
        reverse("web:invoice", kwargs={"invoice_id": book["invoice"].pk}),
        reverse("web:conflicts"),
        reverse("web:conflict", kwargs={"signal_id": book["signal"].pk}),
        reverse("web:interaction", kwargs={"interaction_id": book["interaction"].pk}),
        reverse("web:promise_new"),
        reverse("web:client_promise_new", kwargs=c),
        reverse("web:status_update_draft", kwargs=c),
        reverse("web:calendar_settings"),
        reverse("web:trash"),
        reverse("web:guide"),
        reverse("profile"),
    ]


def test_no_page_scrolls_sideways_on_a_phone_with_long_unbroken_strings(
    browser_context: Callable[..., Any], live_server: Any, long_book: dict[str, Any]
) -> None:
    page = browser_context(viewport=PHONE)
    log_in(page, live_server)
    overflowing = []
    for path in _pages(long_book):
        page.goto(f"{live_server.url}{path}")
        settled(page)
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            overflowing.append(f"{path}: {width[0]} px wide in {width[1]}")
    assert overflowing == []


def test_the_dashboards_first_client_row_is_in_view_on_a_phone(
    browser_context: Callable[..., Any], live_server: Any, long_book: dict[str, Any]
) -> None:
    for locale in ("en-GB", "fr-FR"):
        page = browser_context(viewport=PHONE, locale=locale)
        log_in(page, live_server)
        box = page.locator("table.clients tbody tr").first.bounding_box()
        assert box is not None and box["y"] + min(box["height"], 120) <= PHONE["height"], box
        # The sticky "log something" button stays in view and leads to the logging links.
        fab = page.locator(".log-fab")
        assert fab.is_visible()
        fab_box = fab.bounding_box()
        assert fab_box["y"] + fab_box["height"] <= PHONE["height"]


def test_a_workspaces_log_button_opens_the_form_for_that_client_on_a_phone(
    browser_context: Callable[..., Any], live_server: Any, long_book: dict[str, Any]
) -> None:
    page = browser_context(viewport=PHONE)
    log_in(page, live_server)
    page.goto(f"{live_server.url}/clients/{long_book['client'].pk}/")
    page.click(".log-fab")
    page.locator("#new-interaction-box[open] #new-interaction").wait_for()
    settled(page)
    # The cursor is in the form's first field, for this client (its id is the form's hidden client).
    page.wait_for_function("() => document.activeElement.closest('#new-interaction') !== null")
    assert page.input_value("#new-interaction [name=client]") == str(long_book["client"].pk)
    top, bottom = page.evaluate(
        "() => { const r = document.activeElement.getBoundingClientRect(); return [r.top, r.bottom]; }"
    )
    assert top >= 0 and bottom <= PHONE["height"]  # the focused field is in view


def _focused_in(page: Any, selector: str) -> bool:
    return page.evaluate(
        "s => { const a = document.activeElement; return a !== document.body && !!a.closest(s); }", selector
    )


def test_focus_follows_each_one_click_action_and_the_change_is_announced(
    browser_context: Callable[..., Any], live_server: Any, alice: Any
) -> None:
    today = timezone.localdate()
    client = make_client(alice, name="Rita Risque", created_at=timezone.now() - timedelta(days=30))
    promises = [
        make_promise(client, description=f"Promesse {n}", made_on=today - timedelta(days=5), due_on=today + timedelta(days=n))
        for n in range(1, 4)
    ]  # fmt: skip
    invoice = make_invoice(client, issued_on=today - timedelta(days=60), due_on=today - timedelta(days=20))
    page = browser_context()
    log_in(page, live_server)
    page.goto(f"{live_server.url}/clients/{client.pk}/")

    actions = [
        (f"#promise-{promises[0].pk}", "Kept", f"#promise-{promises[0].pk}"),
        (f"#promise-{promises[1].pk}", "Broken", f"#promise-{promises[1].pk}"),
        (f"#invoice-{invoice.pk}", "Paid", f"#invoice-{invoice.pk}"),
    ]
    for item, button, changed in actions:
        page.locator(f"#timeline {item} button", has_text=button).first.focus()
        page.keyboard.press("Enter")
        page.wait_for_function("s => document.activeElement.closest(s) !== null", arg=changed)
        settled(page)
        assert _focused_in(page, changed), (button, page.evaluate("document.activeElement.outerHTML"))
        page.wait_for_function("() => document.getElementById('announcer').textContent.trim() !== ''")
    assert Promise.objects.get(pk=promises[0].pk).state == "kept"

    # On the dashboard, a status update sent takes its row away: focus stays in the week's work.
    page.goto(f"{live_server.url}/")
    group = ".week-group[data-group=status_updates]"
    page.locator(f"{group} button", has_text="Status update sent").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('[data-count=status_updates]').innerText === '0'")
    settled(page)
    page.wait_for_function("() => document.activeElement !== document.body")
    assert _focused_in(page, "#board")


def test_question_mark_lists_the_shortcuts_and_they_work(
    browser_context: Callable[..., Any], live_server: Any, alice: Any
) -> None:
    make_client(alice, name="Rita Risque")
    page = browser_context()
    log_in(page, live_server)
    page.keyboard.press("?")
    dialog = page.locator("dialog#shortcuts")
    dialog.wait_for(state="visible")
    assert "Log something" in dialog.inner_text()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    page.keyboard.press("?")
    dialog.locator("[data-dialog-close]").click()
    dialog.wait_for(state="hidden")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "board-q"
    page.keyboard.type("c")  # typed into the search, not a shortcut
    assert page.url.rstrip("/") == live_server.url
    page.locator("#board-q").press("Escape")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("c")
    page.wait_for_url(f"{live_server.url}/clients/")
    page.keyboard.press("g")
    page.wait_for_url(f"{live_server.url}/guide/")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_band_colour_passes_axe_in_light_and_dark(
    browser_context: Callable[..., Any], live_server: Any, alice: Any, scheme: str
) -> None:
    for n, band in enumerate(["healthy", "watch", "at_risk", "insufficient"]):
        client = make_client(alice, name=f"Client {band}")
        ClientHealth.objects.update_or_create(
            client=client, defaults={"owner": alice, "score": 20 + 20 * n, "band": band, "reasons": []}
        )
    page = browser_context(color_scheme=scheme)
    log_in(page, live_server)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(17, 21, 27)") == (scheme == "dark")
    assert page.locator(".band-healthy").count() and page.locator(".band-at_risk").count()
    assert serious_violations(page) == []
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    assert serious_violations(page) == []
    page.goto(f"{live_server.url}/guide/")
    assert serious_violations(page) == []
