"""The approval page: each waiting reminder as the client will read it; send it, or not; only one's own."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import translation

from crm.core.dates import LONG_DAY, written_day
from crm.models import Interaction, LatePaymentRate, PaymentReminder
from tests.factories import confirm_rate, make_client, make_invoice

NOW = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def waiting_reminder(owner: Any, language: str = "en", **client: Any) -> PaymentReminder:
    confirm_rate("ecb_mro", date(2026, 7, 1), "2.15")  # the shipped file stops at 2026 H1
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


def _rates_section(page: str) -> str:
    start = page.index('id="late-payment-rates"')
    return re.sub(r"[ \n]+", " ", page[start : page.index("</section>", start)])  # no-break spaces kept


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "Late-payment rates in force",
                "The rates that apply on {day}.",
                "French late-payment rate between businesses (ECB rate + 10 points)</th>"
                '<td class="amount">12.15 %</td><td>{start}</td>',
                'ECB main refinancing rate</th><td class="amount">2.15 %</td><td>{start}</td>',
                'French legal interest rate (all other cases)</th><td class="amount">2.76 %</td>',
                'French legal interest rate (private-person creditors)</th><td class="amount">6.65 %</td>',
                "publications on {checked};",
            ],
        ),
        (
            "fr",
            [
                "Taux des pénalités de retard en vigueur",
                "Les taux qui s’appliquent le {day}.",
                "Taux des pénalités de retard entre professionnels (taux de la BCE + 10 points)</th>"
                '<td class="amount">12,15 %</td><td>{start}</td>',
                'Taux de refinancement principal de la BCE</th><td class="amount">2,15 %</td>',
                "Banque de France le {checked}\u00a0;",
            ],
        ),
    ],
)
def test_the_page_shows_the_rates_in_force_on_the_day_and_from_when(
    alice: Any, alice_client: Any, language: str, expected: list[str]
) -> None:
    alice.profile.language = language
    alice.profile.save()
    with time_machine.travel(datetime(2025, 9, 15, 8, tzinfo=UTC), tick=False):
        page = alice_client.get(reverse("web:payment_reminders")).content.decode()
    section = _rates_section(page)
    with translation.override(language):  # the dates as the page writes them in that language
        days = {
            name: written_day(day, LONG_DAY)
            for name, day in [
                ("day", date(2025, 9, 15)),
                ("start", date(2025, 7, 1)),
                ("checked", date(2025, 12, 31)),
            ]
        }
    assert days["start"] == {"en": "July 1, 2025", "fr": "1 juillet 2025"}[language]
    for text in expected:
        assert text.format(**days) in section
    assert "admin" not in page.lower().replace("administrator", "")


def test_the_page_says_when_the_rate_of_the_half_year_is_not_known(alice: Any, alice_client: Any) -> None:
    # 5 October 2026: the shipped file knows the ECB's rate up to 1 January 2026 and no 2026 legal rate.
    section = _rates_section(alice_client.get(reverse("web:payment_reminders")).content.decode())
    assert section.count("not known to Confiance for this half-year: no interest is claimed for it") == 4
    assert "Enter the new one" not in section


def test_the_invoice_page_says_which_half_year_has_no_known_rate(alice: Any, alice_client: Any) -> None:
    reminder = waiting_reminder(alice, claim_late_payment=True)
    LatePaymentRate.objects.filter(series="ecb_mro", starts_on=date(2026, 7, 1)).delete()  # back to the file
    page = alice_client.get(
        reverse("web:invoice", kwargs={"invoice_id": reminder.invoice_id})
    ).content.decode()
    assert "the rate for this period is not known to Confiance: no interest is counted for it" in page
    assert "Interest for 4 days late" in page and "0.00\u00a0EUR" in page  # nothing guessed
    assert "40.00\u00a0EUR" in page
