"""What a client reads from the freelancer names their business identity (issue 24), never their login name: the
status-update draft's signature, the payment reminders' signature and From name, and the formal notice naming the
creditor (trade name, legal form, registration number, address) as the law expects."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from crm.models import PaymentReminder
from crm.reminders import outbox, payment_follow_up
from crm.reminders.status_updates import status_update_draft
from tests.factories import make_client, make_invoice, make_user, seed_late_payment_rates

pytestmark = pytest.mark.django_db

LOGIN = "cml-login-7"
IDENTITY = {
    "display_name": "Camille Martin",
    "trade_name": "Studio Martin",
    "legal_form": "ei",
    "registration_number": "732829320",
    "address_line1": "12 rue de la Paix",
    "postcode": "75002",
    "city": "Paris",
    "country": "FR",
    "business_email": "contact@studio-martin.example",
    "signature": "Sites pour artisans",
}
DUE = date(2026, 10, 1)


@pytest.fixture
def freelancer(db: None) -> Any:
    return make_user(LOGIN, language="fr", **IDENTITY)


def _invoice(owner: Any, language: str) -> Any:
    with time_machine.travel(datetime(2026, 9, 1, 8, tzinfo=UTC), tick=False):
        client = make_client(
            owner,
            name="Atelier Dupont",
            email="compta@dupont.example",
            language=language,
            claim_late_payment=True,
        )
        return make_invoice(
            client, number="F-7", amount=Decimal("2400.00"), issued_on=date(2026, 9, 1), due_on=DUE
        )


def _send_the_three_reminders() -> list[Any]:
    seed_late_payment_rates()
    moments = [datetime(2026, 10, 4, 8, tzinfo=UTC), datetime(2026, 10, 16, 8, tzinfo=UTC),
               datetime(2026, 10, 31, 8, tzinfo=UTC)]  # fmt: skip
    for step, moment in enumerate(moments, start=1):
        with time_machine.travel(moment, tick=False):
            payment_follow_up.plan(timezone.now())
            reminder = PaymentReminder.objects.get(step=step)
            dispatch = payment_follow_up.approve(reminder, timezone.now())
            assert outbox.deliver(dispatch.pk) == "sent"
    return list(mail.outbox)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_status_update_draft_is_signed_with_the_identity(freelancer: Any, language: str) -> None:
    client = make_client(freelancer, language=language)
    _subject, body = status_update_draft(client, timezone.now())
    assert LOGIN not in body
    assert body.rstrip().endswith("Camille Martin\nStudio Martin\nSites pour artisans")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_payment_reminders_come_from_the_business_and_the_notice_names_the_creditor(
    freelancer: Any, language: str
) -> None:
    _invoice(freelancer, language)
    courteous, firm, notice = _send_the_three_reminders()
    for message in (courteous, firm, notice):
        html = message.alternatives[0][0]
        assert LOGIN not in message.body and LOGIN not in html and LOGIN not in message.from_email
        assert message.from_email.startswith('"Studio Martin" <') or message.from_email.startswith(
            "Studio Martin <"
        )
        assert message.reply_to == ["contact@studio-martin.example"]
        assert "Camille Martin\nStudio Martin\nSites pour artisans" in message.body
    creditor = {"fr": "Créancier\u00a0:", "en": "Creditor:"}[language]
    legal_form = {"fr": "entrepreneur individuel, micro-entrepreneur", "en": "sole trader"}[language]
    assert notice.body.startswith(creditor)
    head = notice.body.split("\n\n")[0]
    assert f"Studio Martin ({legal_form}" in head
    assert "SIREN 732829320" in head and "12 rue de la Paix" in head and "75002 Paris" in head
    assert "SIREN 732829320" in notice.alternatives[0][0]
    assert creditor not in courteous.body and creditor not in firm.body


def test_before_the_identity_a_reminder_is_signed_with_the_display_name_never_the_login(db: None) -> None:
    user = make_user(LOGIN, language="fr", display_name="Camille")
    _invoice(user, "fr")
    courteous, _firm, notice = _send_the_three_reminders()
    assert LOGIN not in courteous.body and LOGIN not in notice.body and LOGIN not in courteous.from_email
    assert "Camille" in courteous.body.splitlines()[-1]


def test_with_no_name_at_all_the_reminder_speaks_neutrally(db: None) -> None:
    user = make_user(LOGIN, language="fr")
    _invoice(user, "fr")
    courteous, _firm, _notice = _send_the_three_reminders()
    assert LOGIN not in courteous.body and LOGIN not in courteous.from_email
    assert courteous.body.rstrip().endswith("votre prestataire")
