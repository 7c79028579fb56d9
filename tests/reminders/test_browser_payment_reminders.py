"""The payment reminder in a real browser: the approval page (axe clean, desktop and phone) and the email as the
client's mail app draws it.

It also takes the README's screenshots of both when asked:

    TAKE_SCREENSHOTS=1 .venv/bin/pytest tests/reminders/test_browser_payment_reminders.py -m browser

writes docs/screenshots/payment-reminder-approval-en.png and docs/screenshots/payment-reminder-email-fr.png.
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from crm.models import PaymentReminder
from crm.reminders import outbox, payment_follow_up
from tests.factories import make_client, make_invoice, seed_late_payment_rates
from tests.web.test_browser import log_in, page, serious_violations  # noqa: F401 (page is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"


def shot(page: Any, tmp_path: Path, name: str) -> None:  # noqa: F811 (the fixture's name)
    """Screenshot the page into the test's folder, and into docs/screenshots when TAKE_SCREENSHOTS=1."""
    folder = SCREENSHOTS if os.environ.get("TAKE_SCREENSHOTS") == "1" else tmp_path
    page.screenshot(path=str(folder / name), full_page=True)
    assert (folder / name).stat().st_size > 1000


@pytest.fixture
def reminder(alice: Any) -> PaymentReminder:
    """A French business client 20 days late on 2,400 €: its courteous reminder waits for alice's approval."""
    seed_late_payment_rates()
    today = timezone.localdate()
    client = make_client(
        alice,
        name="Atelier Dupont",
        company="Dupont SARL",
        email="compta@dupont.example",
        language="fr",
        claim_late_payment=True,
    )
    invoice = make_invoice(
        client,
        number="F-2026-014",
        amount=Decimal("2400.00"),
        issued_on=today - timedelta(days=50),
        due_on=today - timedelta(days=20),
    )
    return PaymentReminder.objects.create(
        owner=alice, invoice=invoice, step=2, due_basis=invoice.due_on, due_on=today
    )


def test_the_approval_page_reads_well_and_passes_axe(
    page: Any,  # noqa: F811 (the imported fixture)
    live_server: Any,
    reminder: PaymentReminder,
    tmp_path: Path,
) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/payment-reminders/")
    article = page.locator(f"#reminder-{reminder.pk}")
    assert "Facture F-2026-014\u00a0: paiement en retard" in article.inner_text()
    assert serious_violations(page) == []
    shot(page, tmp_path, "payment-reminder-approval-en.png")
    # On a phone the preview wraps: nothing wider than the screen.
    page.set_viewport_size({"width": 375, "height": 812})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_email_as_the_client_reads_it(
    page: Any,  # noqa: F811 (the imported fixture)
    reminder: PaymentReminder,
    tmp_path: Path,
) -> None:
    dispatch = payment_follow_up.approve(reminder, timezone.now())
    assert dispatch is not None and outbox.deliver(dispatch.pk) == "sent"
    html = mail.outbox[0].alternatives[0][0]
    page.set_viewport_size({"width": 720, "height": 600})
    page.set_content(html)
    text = page.inner_text("body")
    assert "Madame, Monsieur," in text and "Total dû" in text
    shot(page, tmp_path, "payment-reminder-email-fr.png")
