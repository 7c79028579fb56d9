# ruff: noqa: F811
"""Real-browser tests, in French: edit a promise in place in the timeline, undo "kept" from the toast with the
keyboard, delete a client and restore it from the trash (Playwright on Debian's Chromium, as test_browser.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from clients.models import Client
from crm.models import Promise, TrashItem
from tests.factories import make_client, make_interaction, make_project, make_promise

# The `page` fixture (Chromium through Playwright) is shared with test_browser.py: its name as a test argument
# "redefines" the import for ruff.
from tests.web.test_browser import log_in, page, serious_violations, settled  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(alice: Any) -> dict[str, Any]:
    alice.profile.language = "fr"
    alice.profile.save()
    today = timezone.localdate()
    rita = make_client(alice, name="Rita Risque", company="Risque SARL")
    project = make_project(rita, title="Boutique en ligne")
    make_interaction(rita, project=project, summary="Appel de lancement")
    promise = make_promise(
        rita,
        description="Livrer la maquette",
        made_on=today - timedelta(days=5),
        due_on=today + timedelta(days=1),
    )
    return {"rita": rita, "promise": promise}


def test_inline_edit_a_promise_in_the_timeline(page: Any, live_server: Any, book: dict) -> None:
    promise = book["promise"]
    log_in(page, live_server)
    page.goto(f"{live_server.url}/clients/{book['rita'].pk}/")
    page.evaluate("window.__noReload = true")
    item = page.locator(f"#timeline #promise-{promise.pk}")
    item.get_by_role("link", name="Modifier").click()
    field = page.locator(f"#edit-promise-{promise.pk}-description")
    field.wait_for()
    # Escape puts the item back as it was, unchanged.
    field.fill("Jamais enregistré")
    field.press("Escape")
    page.locator(f"#promise-{promise.pk}:not(.event-editing)").wait_for()
    assert "Livrer la maquette" in page.inner_text(f"#promise-{promise.pk}")
    # Edit again, save: the item comes back in place with the new text.
    page.locator(f"#timeline #promise-{promise.pk}").get_by_role("link", name="Modifier").click()
    field.wait_for()
    field.fill("Livrer la maquette validée")
    page.locator(f"#promise-{promise.pk}").get_by_role("button", name="Enregistrer").click()
    page.locator(
        f"#timeline #promise-{promise.pk}:not(.event-editing)", has_text="Livrer la maquette validée"
    ).wait_for()
    assert page.evaluate("window.__noReload") is True
    promise.refresh_from_db()
    assert promise.description == "Livrer la maquette validée"


def test_kept_then_undone_from_the_toast_by_keyboard(page: Any, live_server: Any, book: dict) -> None:
    promise = book["promise"]
    log_in(page, live_server)
    page.goto(f"{live_server.url}/clients/{book['rita'].pk}/")
    page.evaluate("window.__noReload = true")
    page.locator(f"#timeline #promise-{promise.pk}").get_by_role("button", name="Tenue", exact=True).click()
    toast = page.locator("main #toasts[role=status][aria-live=polite] [data-toast]")
    toast.wait_for()
    page.locator(f"#timeline #promise-{promise.pk}").get_by_role("button", name="Rouvrir").wait_for()
    settled(page)  # the timeline and score panel have refreshed themselves
    assert "Promesse marquée comme tenue." in toast.inner_text()
    promise.refresh_from_db()
    assert promise.state == Promise.State.KEPT
    # The Undo is a real button: reached with Tab from the element just before it, pressed with Enter.
    page.locator("#toasts .toast-text").evaluate("node => { node.tabIndex = -1; node.focus(); }")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Annuler l’action"
    page.keyboard.press("Enter")
    page.locator("#toasts", has_text="Annulé.").wait_for()
    page.locator(f"#timeline #promise-{promise.pk}").get_by_role(
        "button", name="Tenue", exact=True
    ).wait_for()
    assert page.evaluate("window.__noReload") is True
    promise.refresh_from_db()
    assert (promise.state, promise.kept_on) == (Promise.State.OPEN, None)
    assert serious_violations(page) == []


def test_delete_a_client_and_restore_it_from_the_trash(page: Any, live_server: Any, book: dict) -> None:
    rita = book["rita"]
    log_in(page, live_server)
    page.goto(f"{live_server.url}/clients/{rita.pk}/")
    page.get_by_role("link", name="Supprimer le client").click()
    summary = page.locator("[data-testid=delete-summary]")
    assert "1 projet" in summary.inner_text() and "1 promesse" in summary.inner_text()
    page.locator("main form").get_by_role("button", name="Supprimer").click()
    page.locator("#toasts", has_text="Rita Risque supprimé").wait_for()
    assert not Client.objects.filter(pk=rita.pk).exists()
    page.get_by_role("link", name="Corbeille").click()
    page.locator(".trash-list", has_text="Rita Risque").wait_for()
    page.locator(".trash-list li", has_text="Rita Risque").get_by_role("button", name="Restaurer").click()
    page.locator("#client-title", has_text="Rita Risque").wait_for()
    page.locator("#timeline", has_text="Livrer la maquette").wait_for()
    assert Client.objects.filter(pk=rita.pk).exists() and not TrashItem.objects.exists()
    assert Promise.objects.filter(pk=book["promise"].pk, description="Livrer la maquette").exists()


def test_the_toast_stays_at_least_ten_seconds_and_while_focused(
    page: Any, live_server: Any, book: dict
) -> None:
    promise = book["promise"]
    page.clock.install()
    log_in(page, live_server)
    page.goto(f"{live_server.url}/clients/{book['rita'].pk}/")
    page.locator(f"#timeline #promise-{promise.pk}").get_by_role("button", name="Tenue", exact=True).click()
    toast = page.locator("#toasts [data-toast]")
    toast.wait_for()
    page.locator("#client-title").click()  # focus and pointer away from the toast
    page.clock.run_for(10_500)
    assert toast.is_visible()  # more than 10 s later, still there
    toast.locator("button.undo").focus()
    page.clock.run_for(30_000)
    assert toast.is_visible()  # never dismissed under the keyboard
    page.locator("#client-title").click()
    page.clock.run_for(5_000)
    assert toast.count() == 0  # gone once left alone
