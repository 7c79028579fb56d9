"""The approval page: each waiting reminder as the client will read it; send it, or not; only one's own."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from crm.models import Interaction, PaymentReminder
from tests.factories import make_client, make_invoice

NOW = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def waiting_reminder(owner: Any, language: str = "en", **client: Any) -> PaymentReminder:
    customer = make_client(owner, name="Northwind", email="ap@northwind.example", language=language, **client)
    invoice = make_invoice(
        customer,
        number="INV-7",
        amount=Decimal("1500.00"),
        issued_on=date(2026, 9, 1),
        due_on=date(2026, 10, 1),
    )
    return PaymentReminder.objects.create(
        owner=owner, invoice=invoice, step=1, due_basis=invoice.due_on, due_on=date(2026, 10, 4)
    )


def test_the_page_shows_the_reminder_as_the_client_will_read_it(alice: Any, alice_client: Any) -> None:
    waiting_reminder(alice, language="fr")
    page = alice_client.get(reverse("web:payment_reminders")).content.decode()
    # Alice reads English; her client reads French: the preview is in the client's language.
    assert "To ap@northwind.example, in French" in page
    assert "Facture INV-7\u00a0: petit rappel" in page
    assert "la facture INV-7 de 1\u00a0500,00\u00a0EUR, échue le 1 octobre 2026" in page


def test_bob_sees_none_of_alices_reminders_and_cannot_send_or_skip_them(
    alice: Any, bob: Any, client: Any
) -> None:
    reminder = waiting_reminder(alice)
    client.force_login(bob)
    assert "INV-7" not in client.get(reverse("web:payment_reminders")).content.decode()
    for name in ("web:payment_reminder_approve", "web:payment_reminder_skip"):
        assert client.post(reverse(name, kwargs={"reminder_id": reminder.pk})).status_code == 404
    reminder.refresh_from_db()
    assert (reminder.state, reminder.dispatch_id) == ("proposed", None)
    assert mail.outbox == []


def test_send_it_delivers_the_email_once_and_logs_it(
    alice: Any, alice_client: Any, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    reminder = waiting_reminder(alice)
    url = reverse("web:payment_reminder_approve", kwargs={"reminder_id": reminder.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url, follow=True)
        alice_client.post(url)  # the double click
    assert "The reminder is on its way to Northwind." in response.content.decode()
    [message] = mail.outbox
    assert (message.to, message.subject) == (["ap@northwind.example"], "Invoice INV-7: a friendly reminder")
    reminder.refresh_from_db()
    assert reminder.state == "sent"
    assert Interaction.objects.filter(client=reminder.invoice.client).count() == 1


def test_do_not_send_leaves_it_unsent(alice: Any, alice_client: Any) -> None:
    reminder = waiting_reminder(alice)
    alice_client.post(reverse("web:payment_reminder_skip", kwargs={"reminder_id": reminder.pk}))
    reminder.refresh_from_db()
    assert (reminder.state, reminder.dispatch_id) == ("skipped", None)
    page = alice_client.get(reverse("web:payment_reminders")).content.decode()
    assert "No reminder is waiting for your approval." in page
    assert "not sent (your choice)" in page


def test_the_invoice_page_shows_the_claim_when_alice_makes_one(alice: Any, alice_client: Any) -> None:
    reminder = waiting_reminder(alice, claim_late_payment=True)
    page = alice_client.get(
        reverse("web:invoice", kwargs={"invoice_id": reminder.invoice_id})
    ).content.decode()
    # 4 days late at 2.15 + 10 %: 1,500 × 0.1215 × 4 / 365 = 2.00 €, and the fixed 40 €.
    assert "Interest for 4 days late" in page and "2.00\u00a0EUR" in page
    assert "40.00\u00a0EUR" in page
    assert "Courteous reminder — awaiting your approval" in page


def test_the_invoice_page_says_when_alice_waives_the_claim(alice: Any, alice_client: Any) -> None:
    reminder = waiting_reminder(alice)
    page = alice_client.get(
        reverse("web:invoice", kwargs={"invoice_id": reminder.invoice_id})
    ).content.decode()
    assert "You do not claim late-payment interest from this client" in page
    assert "40.00" not in page
