"""The client's page in a real browser (Debian's Chromium through Playwright): accessible (axe), readable on a
390 × 844 phone (nothing wider than the screen), the answer given through the date picker, and the freelancer's
panel loaded into the workspace by htmx.

It also takes the README's screenshots of the page (French and English, desktop and phone): into a temporary
folder on every run, into docs/screenshots/ with `UPDATE_SCREENSHOTS=1`:

    UPDATE_SCREENSHOTS=1 .venv/bin/pytest tests/portal/test_browser_client_page.py -m browser -k screenshots
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import ClientPage, Interaction, Invoice, Promise
from tests.factories import make_client, make_invoice, make_project, make_promise
from tests.web.test_browser import _browser_page, log_in, serious_violations, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def browser_page(live_server: Any) -> Iterator[Any]:
    yield from _browser_page(bypass_csp=True)


def _client_with_history(owner: Any, name: str, language: str, words: dict[str, str]) -> ClientPage:
    """A client a few weeks into a website: goals, two status updates, promises on both sides, invoices."""
    today, now = timezone.localdate(), timezone.now()
    client = make_client(owner, name=name, company=words["company"], language=language)
    project = make_project(
        client, title=words["project"], goals=words["goals"], due_on=today + timedelta(days=40)
    )
    for days, subject, body in (
        (16, words["update1"], words["body1"]),
        (2, words["update2"], words["body2"]),
    ):
        Interaction.objects.log_status_update(client, subject, body, now - timedelta(days=days))
    kept = make_promise(
        client,
        description=words["mockup"],
        made_on=today - timedelta(days=30),
        due_on=today - timedelta(days=12),
    )
    kept.keep(today - timedelta(days=13))
    explained = make_promise(
        client,
        description=words["shop"],
        made_on=today - timedelta(days=25),
        due_on=today - timedelta(days=3),
    )
    explained.explain(words["explanation"], now - timedelta(days=4))
    explained.break_(today - timedelta(days=3))
    make_promise(
        client,
        description=words["launch"],
        made_on=today - timedelta(days=3),
        due_on=today + timedelta(days=9),
    )
    make_promise(
        client,
        promisor=Promise.Promisor.CLIENT,
        description=words["texts"],
        made_on=today - timedelta(days=20),
        due_on=today - timedelta(days=6),
    ).keep(today - timedelta(days=7))
    make_promise(
        client,
        promisor=Promise.Promisor.CLIENT,
        description=words["photos"],
        made_on=today - timedelta(days=5),
        due_on=today + timedelta(days=4),
    )
    make_invoice(
        client,
        number=words["late_invoice"],
        project=project,
        amount=Decimal("1800.00"),
        issued_on=today - timedelta(days=45),
        due_on=today - timedelta(days=15),
    )
    make_invoice(
        client,
        number=words["due_invoice"],
        project=project,
        amount=Decimal("2400.00"),
        issued_on=today - timedelta(days=4),
        due_on=today + timedelta(days=26),
    )
    return ClientPage.objects.create(client=client)  # fmt: skip


FRENCH = {
    "company": "Boulangerie Morel", "project": "Boutique en ligne",
    "goals": "Vendre les commandes de fêtes en ligne avant le 15 décembre ; moins d’appels pour les réservations.",
    "update1": "Point d’étape — maquette validée", "update2": "Point d’étape — catalogue en ligne",
    "body1": "Maquette validée jeudi ; je monte le catalogue.",
    "body2": "Le catalogue est en ligne sur le site de test ; reste le paiement.",
    "mockup": "Envoyer la maquette de la page d’accueil", "shop": "Brancher le paiement en ligne",
    "explanation": "Le prestataire de paiement a demandé un justificatif de plus ; branchement lundi.",
    "launch": "Mettre la boutique en ligne", "texts": "Envoyer les textes des fiches produits",
    "photos": "Envoyer les photos des bûches", "late_invoice": "2026-031", "due_invoice": "2026-044",
}  # fmt: skip
ENGLISH = {
    "company": "Hart & Lowe Architects", "project": "Portfolio site",
    "goals": "Show the twelve best projects; two enquiries a month from the contact form.",
    "update1": "Status update — design approved", "update2": "Status update — projects online",
    "body1": "You approved the design on Thursday; building the project pages now.",
    "body2": "Eight of the twelve projects are online on the staging site.",
    "mockup": "Send the home page design", "shop": "Connect the contact form to the CRM",
    "explanation": "The CRM's API keys were delayed by their IT; connecting on Monday.",
    "launch": "Put the site live", "texts": "Send the project descriptions", "photos": "Send the team photos",
    "late_invoice": "2026-027", "due_invoice": "2026-045",
}  # fmt: skip


@pytest.fixture
def pages(alice: Any) -> dict[str, ClientPage]:
    return {
        "fr": _client_with_history(alice, "Claire Morel", "fr", FRENCH),
        "en": _client_with_history(alice, "James Hart", "en", ENGLISH),
    }


def _open(page: Any, live_server: Any, client_page: ClientPage) -> None:
    page.goto(live_server.url + reverse("portal:page", kwargs={"token": client_page.token}))
    settled(page)


def _overflow(page: Any) -> int:
    """Return how many pixels the page is wider than the screen (0: nothing to scroll sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_page_is_accessible_and_fits_a_phone(
    browser_page: Any, live_server: Any, pages: dict[str, ClientPage], language: str
) -> None:
    page = browser_page
    page.set_viewport_size(DESKTOP)
    _open(page, live_server, pages[language])
    assert page.get_attribute("html", "lang") == language
    assert serious_violations(page) == []
    page.set_viewport_size(PHONE)
    _open(page, live_server, pages[language])
    assert _overflow(page) == 0
    assert serious_violations(page) == []


def test_the_page_keeps_the_content_security_policy(live_server: Any, pages: dict[str, ClientPage]) -> None:
    """No inline script or style: the browser reports no violation of the site's strict policy."""
    violations: list[str] = []
    for page in _browser_page(bypass_csp=False):
        page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else None)
        _open(page, live_server, pages["fr"])
        assert violations == []


def test_the_client_confirms_a_payment_date_with_the_date_picker(
    browser_page: Any, live_server: Any, pages: dict[str, ClientPage]
) -> None:
    page = browser_page
    page.set_viewport_size(PHONE)
    _open(page, live_server, pages["fr"])
    day = timezone.localdate() + timedelta(days=10)
    page.fill("form.payment-date input[type=date]", day.isoformat())
    page.click("form.payment-date button[type=submit]")
    page.wait_for_selector("text=votre nouvelle date de paiement est enregistrée")
    assert page.locator("form.payment-date").count() == 0
    invoice = Invoice.objects.get(client=pages["fr"].client, number=FRENCH["late_invoice"])
    assert invoice.renegotiated_due_on == day
    assert Promise.objects.filter(client=pages["fr"].client, promisor="client", due_on=day).count() == 1


def test_the_panel_loads_in_the_workspace_and_makes_the_link(
    browser_page: Any, live_server: Any, alice: Any
) -> None:
    page = browser_page
    client = make_client(alice, name="Zoé Lemaire", language="fr")
    log_in(page, live_server)
    page.goto(live_server.url + reverse("web:client", kwargs={"client_id": client.pk}))
    page.locator("#client-page-panel", has_text="There is no link yet.").wait_for()
    page.evaluate("window.__noReload = true")
    page.click("#client-page-panel button:has-text('Make the link')")
    page.locator("#client-page-panel .link-field").wait_for()
    settled(page)
    link = page.input_value("#client-page-panel .link-field")
    assert link.endswith(
        reverse("portal:page", kwargs={"token": ClientPage.objects.get(client=client).token})
    )
    assert page.evaluate("window.__noReload") is True
    assert serious_violations(page) == []


def test_screenshots(
    browser_page: Any, live_server: Any, pages: dict[str, ClientPage], tmp_path: Path
) -> None:
    """Take the client's page in French and English, desktop and phone (docs/screenshots/ when asked)."""
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    page = browser_page
    for language, client_page in pages.items():
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            _open(page, live_server, client_page)
            path = folder / f"client-page-{language}-{size}.png"
            page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 10_000
