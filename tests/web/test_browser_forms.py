"""In a real browser, in French: forms keep what they draw (issue 11, "every form round-trips in every language").

Chromium shows a `type="date"` input drawn `05/09/2026` as empty and submits it empty: on main, saving a project
unchanged erased its dates, and new promises, invoices and conflict signals were refused ("Ce champ est
obligatoire") because their default day was drawn that way. Same launch pattern as tests/web/test_browser.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from clients.models import Project
from conflicts.models import ConflictSignal
from crm.models import Invoice, Promise
from tests.factories import make_client, make_project
from tests.web import test_browser
from tests.web.test_browser import log_in

# The Chromium page fixture of tests/web/test_browser.py (its launch pattern), shared.
page = test_browser.page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def french_book(alice: Any) -> dict[str, Any]:
    alice.profile.language = "fr"
    alice.profile.save()
    client = make_client(alice, name="Zoé Dupont", company="Dupont SARL")
    project = make_project(
        client,
        title="Refonte du site",
        start_on=date(2026, 9, 5),
        due_on=date(2026, 12, 24),
        budget=Decimal("12345.67"),
    )
    return {"client": client, "project": project}


def test_saving_a_project_unchanged_in_french_keeps_its_dates_and_budget(
    page: Any,
    live_server: Any,
    french_book: dict,
) -> None:
    project = french_book["project"]
    log_in(page, live_server)
    page.goto(f"{live_server.url}/projects/{project.pk}/edit/")
    assert page.input_value("#id_start_on") == "2026-09-05"  # the browser shows it: it is ISO
    assert page.input_value("#id_budget") == "12345,67"
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/clients/{french_book['client'].pk}/**")
    stored = Project.objects.get(pk=project.pk)
    assert (stored.start_on, stored.due_on, stored.budget) == (
        date(2026, 9, 5),
        date(2026, 12, 24),
        Decimal("12345.67"),
    )


def test_a_promise_an_invoice_and_a_conflict_signal_with_their_drawn_day_are_stored_in_french(
    page: Any,
    live_server: Any,
    french_book: dict,
) -> None:
    client = french_book["client"]
    today = timezone.localdate()
    log_in(page, live_server)
    page.goto(f"{live_server.url}/clients/{client.pk}/")

    page.click("summary:has-text('Faire une promesse')")
    page.fill("#promise-description", "Envoyer la maquette")
    page.fill("#promise-due_on", (today + timedelta(days=7)).isoformat())
    assert page.input_value("#promise-made_on") == today.isoformat()  # drawn, not blank
    page.click("#new-promise button[type=submit]")
    page.wait_for_selector("#new-promise >> text=Promesse enregistrée.")

    page.click("summary:has-text('Enregistrer une facture')")
    page.fill("#invoice-number", "F-2026-042")
    page.fill("#invoice-amount", "1 234,56")  # as a French freelancer types it
    page.fill("#invoice-due_on", (today + timedelta(days=30)).isoformat())
    page.click("#new-invoice button[type=submit]")
    page.wait_for_selector("#new-invoice >> text=Facture enregistrée.")

    page.click("summary:has-text('Signaler un conflit')")
    page.select_option("#conflict-kind", "payment")
    page.click("#new-conflict button[type=submit]")
    page.wait_for_selector("#new-conflict >> text=Signal de conflit enregistré.")

    promise = Promise.objects.get(client=client)
    assert (promise.description, promise.made_on, promise.due_on) == (
        "Envoyer la maquette",
        today,
        today + timedelta(days=7),
    )
    invoice = Invoice.objects.get(client=client)
    assert (invoice.amount, invoice.issued_on) == (Decimal("1234.56"), today)
    signal = ConflictSignal.objects.get(client=client)
    assert (signal.kind, signal.observed_on) == ("payment", today)
