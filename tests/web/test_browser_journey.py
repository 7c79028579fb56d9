"""One French freelancer's session in a real browser, as issue 11 asks: create one of each record, edit each (first
saved unchanged, which must store nothing new, then with one field changed), undo a kept promise from its toast,
delete the client and restore it from the trash.

Everything goes through the pages, by clicking and typing: the freelancer's profile and the browser speak French
(fr-FR, Europe/Paris), amounts are typed the French way (`12 345,67`), and each edit form must give back, unchanged,
what it drew (the round trip that erased a project's dates in French before). Same Chromium launch pattern as
tests/web/test_browser.py, with the browser context's locale and time zone set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import models
from django.utils import timezone

from clients.models import Client, Project
from conflicts.models import ConflictSignal
from crm.models import ClientHealth, Interaction, Invoice, Promise, TrashItem
from tests.conftest import chromium_path, require_service
from tests.web.test_browser import CHROMIUM_ARGS, log_in, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIENT_NAME = (
    "Hélène d’Aubigné-Château & Fils, Conseil en éco-conception pour l'hôtellerie de la Côte d'Émeraude"
)


@pytest.fixture
def french_page(live_server: Any, alice: Any) -> Iterator[Any]:
    """A Chromium page whose browser speaks French, for Alice whose profile is in French, in Paris."""
    require_service(chromium_path() is not None, "Debian chromium")
    alice.profile.language = "fr"
    alice.profile.time_zone = "Europe/Paris"
    alice.profile.save()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        # bypass_csp: Playwright's waits evaluate code in the page, which the Content Security Policy forbids.
        context = browser.new_context(
            viewport={"width": 1280, "height": 900},
            bypass_csp=True,
            locale="fr-FR",
            timezone_id="Europe/Paris",
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        browser.close()


def stored(record: models.Model, *, volatile: tuple[str, ...] = ("updated_at",)) -> dict[str, Any]:
    """Read `record`'s row again: every concrete field but the `volatile` ones (a save's own timestamp)."""
    fresh = type(record)._default_manager.get(pk=record.pk)
    return {
        field.attname: getattr(fresh, field.attname)
        for field in fresh._meta.concrete_fields
        if field.attname not in volatile
    }


def enter_day(page: Any, selector: str, day: date) -> None:
    """Enter a day in a date input as the browser's own picker does (its value is ISO whatever the language).

    Typed digit by digit, headless Chromium here orders the segments by the machine's locale (en-US: month first)
    whatever the page's or the browser context's language, so typing "jj/mm/aaaa" would test the machine."""
    page.locator(selector).fill(day.isoformat())
    assert page.input_value(selector) == day.isoformat()


def score_text(page: Any) -> str:
    return page.inner_text("[data-testid=score]")


def health_of(client: Client) -> int:
    return ClientHealth.objects.get(client=client).score


def save_inline_unchanged_then_change(
    page: Any, kind: str, record: models.Model, field: str, new_value: str
) -> None:
    """In the timeline, open `record`'s form in place, save it unchanged (nothing stored changes), then again with
    `field` typed anew: the item comes back in place showing it, and only that field changed."""
    item = f"#timeline #{kind}-{record.pk}"
    before = stored(record)
    for value in (None, new_value):
        page.locator(item).get_by_role("link", name="Modifier").click()
        input_ = page.locator(f"#edit-{kind}-{record.pk}-{field}")
        input_.wait_for()
        if value is not None:
            input_.fill(value)
        page.locator(f"#{kind}-{record.pk}").get_by_role("button", name="Enregistrer", exact=True).click()
        page.locator(f"{item}:not(.event-editing)").wait_for()
        settled(page)
        if value is None:
            assert stored(record) == before, f"saving the {kind} unchanged changed it"
    page.locator(item, has_text=new_value).wait_for()
    assert stored(record) == {**before, field: new_value}


def test_a_french_freelancer_creates_edits_undoes_deletes_and_restores(
    french_page: Any, live_server: Any, alice: Any
) -> None:
    page = french_page
    today = timezone.localdate()
    log_in(page, live_server)
    assert page.get_attribute("html", "lang") == "fr"

    # 1. A client through its form, then a project for it.
    page.get_by_role("navigation").get_by_role("link", name="Clients", exact=True).click()
    page.get_by_role("link", name="Ajouter un client").click()
    page.fill("#id_name", CLIENT_NAME)
    page.fill("#id_email", "helene@aubigne-conseil.fr")
    page.locator("main form").get_by_role("button", name="Enregistrer").click()
    page.locator("#client-title", has_text=CLIENT_NAME).wait_for()
    assert "Client ajouté." in page.inner_text("body")
    settled(page)
    client = Client.objects.get(owner=alice)
    assert (client.name, client.email, client.language) == (CLIENT_NAME, "helene@aubigne-conseil.fr", "fr")

    page.get_by_role("link", name="Ajouter un projet").click()
    page.fill("#id_title", "Refonte du site de réservation")
    enter_day(page, "#id_start_on", date(2026, 9, 5))
    enter_day(page, "#id_due_on", date(2026, 12, 24))
    page.fill("#id_budget", "12 345,67")
    page.locator("main form").get_by_role("button", name="Enregistrer").click()
    page.locator(".projects", has_text="Refonte du site de réservation").wait_for()
    assert "Projet ajouté." in page.inner_text("body")
    assert "échéance le 24 décembre 2026" in page.inner_text(".projects")
    settled(page)
    project = Project.objects.get(client=client)
    assert (project.start_on, project.due_on, project.budget) == (
        date(2026, 9, 5),
        date(2026, 12, 24),
        Decimal("12345.67"),
    )

    # 2. From the workspace, one of each journal record, through the logging forms as they open.
    yesterday = today - timedelta(days=1)
    page.click("summary:has-text('Noter un échange')")
    page.fill("#interaction-summary", "Appel de lancement : périmètre validé")
    page.select_option("#interaction-project", str(project.pk))
    page.locator("#interaction-happened_at").fill(f"{yesterday.isoformat()}T10:30")
    page.click("#new-interaction button[type=submit]")
    page.wait_for_selector("#new-interaction >> text=Échange noté.")

    page.click("summary:has-text('Faire une promesse')")
    page.fill("#promise-description", "Envoyer la maquette de la page d’accueil")
    enter_day(page, "#promise-due_on", today + timedelta(days=7))
    page.click("#new-promise button[type=submit]")
    page.wait_for_selector("#new-promise >> text=Promesse enregistrée.")

    page.click("summary:has-text('Enregistrer une facture')")
    page.fill("#invoice-number", "F-2026-042")
    page.fill("#invoice-amount", "1 234,56")
    enter_day(page, "#invoice-due_on", today + timedelta(days=30))
    page.click("#new-invoice button[type=submit]")
    page.wait_for_selector("#new-invoice >> text=Facture enregistrée.")

    page.click("summary:has-text('Signaler un conflit')")
    page.select_option("#conflict-kind", "payment")
    page.fill("#conflict-description", "Relance restée sans réponse")
    page.click("#new-conflict button[type=submit]")
    page.wait_for_selector("#new-conflict >> text=Signal de conflit enregistré.")
    page.locator("#timeline", has_text="Relance restée sans réponse").wait_for()
    settled(page)

    interaction = Interaction.objects.get(client=client)
    happened = timezone.make_aware(datetime.combine(yesterday, time(10, 30)))
    assert (interaction.summary, interaction.project_id, interaction.happened_at) == (
        "Appel de lancement : périmètre validé",
        project.pk,
        happened,
    )
    promise = Promise.objects.get(client=client)
    assert (promise.made_on, promise.due_on, promise.state) == (today, today + timedelta(days=7), "open")
    invoice = Invoice.objects.get(client=client)
    assert (invoice.amount, invoice.issued_on, invoice.due_on) == (
        Decimal("1234.56"),
        today,
        today + timedelta(days=30),
    )
    signal = ConflictSignal.objects.get(client=client)
    assert (signal.kind, signal.observed_on, signal.state) == ("payment", today, "open")

    # 3. Edit each record: saved unchanged first (nothing stored moves), then with one visible field changed.
    before = stored(client)
    page.get_by_role("link", name="Modifier le client").click()
    assert page.input_value("#id_name") == CLIENT_NAME
    page.locator("main form").get_by_role("button", name="Enregistrer").click()
    page.locator("main", has_text="Client enregistré.").wait_for()
    settled(page)
    assert stored(client) == before
    page.get_by_role("link", name="Modifier le client").click()
    page.fill("#id_company", "Aubigné Conseil SARL")
    page.locator("main form").get_by_role("button", name="Enregistrer").click()
    page.locator(".client-card .company", has_text="Aubigné Conseil SARL").wait_for()
    settled(page)
    assert stored(client) == {**before, "company": "Aubigné Conseil SARL"}

    before = stored(project)
    project_edit = page.locator(".projects").get_by_role("link", name=re.compile(r"^modifier"))
    project_edit.click()
    assert page.input_value("#id_start_on") == "2026-09-05"
    assert page.input_value("#id_budget") == "12345,67"
    page.locator("main form").get_by_role("button", name="Enregistrer").click()
    page.locator("main", has_text="Projet enregistré.").wait_for()
    settled(page)
    assert stored(project) == before
    project_edit.click()
    page.fill("#id_title", "Refonte du site de réservation, phase 2")
    page.locator("main form").get_by_role("button", name="Enregistrer").click()
    page.locator(".projects", has_text="phase 2").wait_for()
    settled(page)
    assert stored(project) == {**before, "title": "Refonte du site de réservation, phase 2"}

    page.evaluate("window.__noReload = true")  # the journal records are edited in place: no page load
    save_inline_unchanged_then_change(page, "interaction", interaction, "summary", "Appel de cadrage")
    save_inline_unchanged_then_change(page, "promise", promise, "description", "Envoyer la maquette validée")
    save_inline_unchanged_then_change(page, "invoice", invoice, "number", "F-2026-043")
    save_inline_unchanged_then_change(page, "conflict", signal, "description", "Relance enfin entendue")
    assert page.evaluate("window.__noReload") is True

    # 4. The promise kept, then undone from the toast: open again, and the trust health back where it was.
    health_before, shown_before = health_of(client), score_text(page)
    assert shown_before == str(health_before)
    page.locator(f"#timeline #promise-{promise.pk}").get_by_role("button", name="Tenue", exact=True).click()
    toast = page.locator("#toasts [data-toast]", has_text="Promesse marquée comme tenue.")
    toast.wait_for()
    page.locator(f"#timeline #promise-{promise.pk}").get_by_role("button", name="Rouvrir").wait_for()
    page.wait_for_function(  # the score panel refreshed itself: a kept promise moves the trust health
        "before => document.querySelector('[data-testid=score]').innerText !== before", arg=shown_before
    )
    settled(page)
    assert Promise.objects.get(pk=promise.pk).state == Promise.State.KEPT
    assert health_of(client) != health_before
    toast.get_by_role("button", name="Annuler l’action").click()
    page.locator("#toasts", has_text="Annulé.").wait_for()
    page.locator(f"#timeline #promise-{promise.pk}").get_by_role(
        "button", name="Tenue", exact=True
    ).wait_for()
    page.wait_for_function(
        "before => document.querySelector('[data-testid=score]').innerText === before", arg=shown_before
    )
    settled(page)
    assert "tenue" not in page.inner_text(f"#timeline #promise-{promise.pk} .outcome").lower()
    kept_again = Promise.objects.get(pk=promise.pk)
    assert (kept_again.state, kept_again.kept_on) == (Promise.State.OPEN, None)
    assert health_of(client) == health_before
    assert score_text(page) == shown_before
    assert page.evaluate("window.__noReload") is True

    # 5. Delete the client (the page says what goes with it), then restore it from the trash: all of it.
    records = [client, project, interaction, promise, invoice, signal]
    # Restored to the microsecond, the client's "updated" time included.
    book = {(type(record).__name__, record.pk): stored(record, volatile=()) for record in records}
    page.get_by_role("link", name="Supprimer le client").click()
    counts = page.locator("[data-testid=delete-summary] li").all_inner_texts()
    assert counts == ["1 contact", "1 projet", "1 échange", "1 promesse", "1 facture", "1 signal de conflit"]
    page.locator("main form").get_by_role("button", name="Supprimer").click()
    page.locator("#toasts", has_text="supprimé, avec tout ce qui s’y rattachait.").wait_for()
    settled(page)
    assert not any(type(record)._default_manager.filter(pk=record.pk).exists() for record in records)
    assert not ClientHealth.objects.filter(client_id=client.pk).exists()

    page.get_by_role("link", name="Corbeille").click()
    row = page.locator(".trash-list li", has_text=CLIENT_NAME)
    row.get_by_role("button", name="Restaurer").click()
    page.locator("#client-title", has_text=CLIENT_NAME).wait_for()
    assert f"{CLIENT_NAME} (Aubigné Conseil SARL) restauré." in page.inner_text("main")
    page.locator("#timeline", has_text="Appel de cadrage").wait_for()
    settled(page)
    assert {(type(record).__name__, record.pk): stored(record, volatile=()) for record in records} == book
    assert not TrashItem.objects.exists()
    assert health_of(client) == health_before
    assert score_text(page) == str(health_before)
    timeline = re.sub(r"[\u00a0\u202f]", " ", page.inner_text("#timeline"))  # French spaces are no-break
    for text in ("Envoyer la maquette validée", "F-2026-043", "Relance enfin entendue", "1 234,56"):
        assert text in timeline
    assert "phase 2" in page.inner_text(".projects")
