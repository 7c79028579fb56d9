"""A payment reminder on the wire: received by a real SMTP server and parsed (both parts, the client's language),
and sent once through a real Celery worker even when its task is delivered twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from crm.models import Dispatch, Interaction, PaymentReminder
from crm.reminders import outbox, payment_follow_up
from crm.reminders.tasks import send_dispatch
from tests.factories import make_client, make_invoice, make_user, seed_late_payment_rates
from tests.reminders.smtp_server import MailServer
from tests.reminders.test_reminders_worker import (  # noqa: F401 (broker_url and finished_tasks are fixtures)
    broker_url,
    finished_tasks,
    wait_for,
    worker_on,
)


@pytest.fixture
def mail_server(settings: Any) -> Iterator[MailServer]:
    server = MailServer()
    for name, value in server.email_settings().items():
        setattr(settings, name, value)
    server.start()
    yield server
    server.stop()


def approved_reminder(owner: Any, language: str) -> Dispatch:
    """An invoice 20 days late, its courteous reminder approved: the outbox row to deliver."""
    seed_late_payment_rates()
    today = timezone.localdate()
    customer = make_client(
        owner,
        name="Atelier Dupont",
        email="compta@dupont.example",
        language=language,
        claim_late_payment=True,
    )
    invoice = make_invoice(
        customer,
        number="F-2026-014",
        amount=Decimal("2400.00"),
        issued_on=today - timedelta(days=50),
        due_on=today - timedelta(days=20),
    )
    reminder = PaymentReminder.objects.create(
        owner=owner, invoice=invoice, step=1, due_basis=invoice.due_on, due_on=today
    )
    dispatch = payment_follow_up.approve(reminder, timezone.now())
    assert dispatch is not None
    return dispatch


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "subject", "text", "html"),
    [
        (
            "fr",
            "Facture F-2026-014\u00a0: petit rappel",
            "Sauf erreur de ma part",
            "Si votre paiement a croisé ce message",
        ),
        (
            "en",
            "Invoice F-2026-014: a friendly reminder",
            "Unless I am mistaken",
            "If the payment has crossed this",
        ),
    ],
)
def test_the_smtp_server_receives_both_parts_in_the_clients_language(
    alice: Any, mail_server: MailServer, language: str, subject: str, text: str, html: str
) -> None:
    dispatch = approved_reminder(alice, language)
    assert outbox.deliver(dispatch.pk) == "sent"
    [received] = mail_server.received
    [(sender, recipients)] = mail_server.envelopes
    assert set(recipients) == {"compta@dupont.example", "alice@example.com"}  # alice gets a copy
    assert received["Subject"] == subject
    assert received["Reply-To"] == "alice@example.com"
    plain = received.get_body(preferencelist=("plain",))
    rich = received.get_body(preferencelist=("html",))
    assert plain is not None and rich is not None
    assert text in plain.get_content()
    assert f'<html lang="{language}">' in rich.get_content()
    assert html in rich.get_content()
    # The claim, in the language's number format: 40 € compensation.
    assert ("40,00\u00a0EUR" if language == "fr" else "40.00\u00a0EUR") in plain.get_content()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_delivered_twice_sends_one_reminder_through_a_real_worker(
    broker_url: str,  # noqa: F811 (the imported fixture)
    monkeypatch: pytest.MonkeyPatch,
    finished_tasks: list[str],  # noqa: F811 (the imported fixture)
) -> None:
    owner = make_user("carol", email="carol@example.com")
    dispatch = approved_reminder(owner, "fr")
    with worker_on(broker_url, monkeypatch):
        # The same message twice: a redelivery after a lost acknowledgement, or a retried task.
        send_dispatch.delay(dispatch.pk)
        send_dispatch.delay(dispatch.pk)
        wait_for(lambda: finished_tasks.count("crm.send_dispatch") == 2, "both deliveries")
    assert [message.subject for message in mail.outbox] == ["Facture F-2026-014\u00a0: petit rappel"]
    dispatch.refresh_from_db()
    assert (dispatch.state, dispatch.attempts) == ("sent", 1)
    reminder = PaymentReminder.objects.get(dispatch=dispatch)
    assert reminder.state == "sent"
    assert Interaction.objects.filter(client=reminder.invoice.client).count() == 1
