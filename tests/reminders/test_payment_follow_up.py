"""Payment follow-up: which reminder is prepared when (in the freelancer's own day), what stops it, and that an
approved reminder reaches the client once, in the client's language, logged as an interaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from conflicts.models import ConflictSignal
from crm.models import ClientHealth, Dispatch, Interaction, Invoice, PaymentReminder
from crm.reminders import outbox, payment_follow_up
from crm.trust.health import recompute_book, recompute_client
from tests.factories import make_client, make_conflict, make_invoice, make_user

DUE = date(2026, 10, 1)
# 4 October 2026, 09:30 in Paris: the courteous reminder's day (due + 3).
COURTEOUS_DAY = datetime(2026, 10, 4, 7, 30, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(alice: Any) -> Any:
    """Alice's French business client, late on a 2,400 € invoice due 1 October; she claims what the law allows."""
    alice.profile.digest_hour = 9
    alice.profile.save()
    with time_machine.travel(datetime(2026, 9, 1, 8, tzinfo=UTC), tick=False):
        client = make_client(
            alice,
            name="Atelier Dupont",
            email="compta@dupont.example",
            language="fr",
            claim_late_payment=True,
        )
        invoice = make_invoice(
            client, number="F-2026-014", amount=Decimal("2400.00"), issued_on=date(2026, 9, 1), due_on=DUE
        )
    return invoice


def plan_at(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return payment_follow_up.plan(timezone.now())


def deliver_at(dispatch: Dispatch, moment: datetime) -> str:
    with time_machine.travel(moment, tick=False):
        return outbox.deliver(dispatch.pk)


def approve_at(reminder: PaymentReminder, moment: datetime) -> Dispatch | None:
    with time_machine.travel(moment, tick=False):
        return payment_follow_up.approve(reminder, timezone.now())


def test_the_courteous_reminder_is_prepared_on_its_day_and_only_once(book: Invoice) -> None:
    assert plan_at(COURTEOUS_DAY - timedelta(days=1)) == 0
    assert plan_at(COURTEOUS_DAY) == 1
    assert plan_at(COURTEOUS_DAY + timedelta(minutes=1)) == 0
    [reminder] = PaymentReminder.objects.all()
    assert (reminder.step, reminder.state, reminder.due_on, reminder.due_basis) == (
        1,
        "proposed",
        date(2026, 10, 4),
        DUE,
    )
    assert reminder.dispatch is None  # nothing leaves before alice approves it


def test_the_day_is_the_freelancers_own(book: Invoice) -> None:
    """At one instant, a freelancer in Kiritimati is already on the reminder's day, one in Pago Pago is not."""
    carol = make_user("carol", time_zone="Pacific/Kiritimati")
    dave = make_user("dave", time_zone="Pacific/Pago_Pago")
    for owner in (carol, dave):
        client = make_client(owner, email=f"client-of-{owner.username}@example.com")
        make_invoice(client, issued_on=date(2026, 9, 1), due_on=DUE)
    # 3 October 10:30 UTC: 4 October 00:30 in Kiritimati (UTC+14), 2 October 23:30 in Pago Pago (UTC-11).
    plan_at(datetime(2026, 10, 3, 10, 30, tzinfo=UTC))
    owners = set(PaymentReminder.objects.values_list("owner__username", flat=True))
    assert owners == {"carol"}


def test_an_automatic_reminder_goes_out_at_the_freelancers_hour_across_dst(book: Invoice, alice: Any) -> None:
    alice.profile.payment_reminders_auto = True
    alice.profile.save()
    # The courteous reminder falls on 26 October, the day after Paris left summer time: 09:00 is 08:00 UTC.
    Invoice.objects.filter(pk=book.pk).update(due_on=date(2026, 10, 23))
    plan_at(datetime(2026, 10, 26, 0, 30, tzinfo=UTC))
    [reminder] = PaymentReminder.objects.select_related("dispatch")
    assert reminder.state == "approved"
    assert reminder.dispatch.due_at == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 10, 26, 7, 59, tzinfo=UTC), tick=False):
        assert outbox.queue_due_dispatches(timezone.now()) == []
    with time_machine.travel(datetime(2026, 10, 26, 8, 0, tzinfo=UTC), tick=False):
        assert outbox.queue_due_dispatches(timezone.now()) == [reminder.dispatch.pk]


def test_an_approved_reminder_reaches_the_client_once_in_their_language_and_is_logged(book: Invoice) -> None:
    plan_at(COURTEOUS_DAY)
    reminder = PaymentReminder.objects.get()
    dispatch = approve_at(reminder, COURTEOUS_DAY + timedelta(hours=1))
    assert dispatch is not None and dispatch.kind == "payment"
    assert (
        approve_at(reminder, COURTEOUS_DAY + timedelta(hours=1)) is None
    )  # a double click sends nothing more

    assert deliver_at(dispatch, COURTEOUS_DAY + timedelta(hours=1)) == "sent"
    # The task delivered again (a redelivered message, a retried task): nothing more is sent or logged.
    assert deliver_at(dispatch, COURTEOUS_DAY + timedelta(hours=1, minutes=1)) == ""

    [message] = mail.outbox
    assert message.to == ["compta@dupont.example"]
    assert message.reply_to == ["alice@example.com"]
    assert message.subject == "Facture F-2026-014\u00a0: petit rappel"
    assert (
        "Sauf erreur de ma part, la facture F-2026-014 de 2\u00a0400,00\u00a0EUR, échue le 1 octobre 2026"
        in message.body
    )
    html = message.alternatives[0][0]
    assert 'lang="fr"' in html and "Madame, Monsieur," in html
    reminder.refresh_from_db()
    assert (reminder.state, reminder.sent_at) == ("sent", datetime(2026, 10, 4, 8, 30, tzinfo=UTC))
    interaction = Interaction.objects.get()
    assert reminder.interaction == interaction
    assert (interaction.kind, interaction.direction) == ("email", "to_client")
    assert interaction.summary.startswith("Facture F-2026-014\u00a0: petit rappel\n\nMadame, Monsieur,")


def test_the_formal_notice_states_the_claim_to_the_cent(book: Invoice) -> None:
    """Courteous, firm, then the formal notice on 31 October, 30 days late: 2,400 € at 2.15 + 10 % for 30 days."""
    moment = COURTEOUS_DAY
    for step in (1, 2, 3):
        plan_at(moment)
        reminder = PaymentReminder.objects.get(step=step)
        deliver_at(approve_at(reminder, moment), moment)
        moment = {1: datetime(2026, 10, 16, 8, tzinfo=UTC), 2: datetime(2026, 10, 31, 8, tzinfo=UTC)}.get(
            step, moment
        )
    assert [m.subject for m in mail.outbox] == [
        "Facture F-2026-014\u00a0: petit rappel",
        "Facture F-2026-014\u00a0: paiement en retard",
        "Mise en demeure\u00a0: facture F-2026-014",
    ]
    notice = mail.outbox[2].body
    # 2,400 × 12.15 % × 30 / 365 = 23.97 €, plus 40 €: 2,463.97 € in all.
    assert "Pénalités de retard au 31 octobre 2026\u00a0: 23,97\u00a0EUR" in notice
    assert (
        "Indemnité forfaitaire pour frais de recouvrement (article D441-5 du Code de commerce)\u00a0: 40,00\u00a0EUR"
        in notice
    )
    assert "Total dû\u00a0: 2\u00a0463,97\u00a0EUR" in notice
    assert "je vous mets en demeure de régler la somme de 2\u00a0463,97\u00a0EUR" in notice
    assert plan_at(moment + timedelta(days=30)) == 0  # the sequence is over


def test_a_freelancer_who_waives_the_claim_asks_for_the_invoice_alone(book: Invoice) -> None:
    book.client.claim_late_payment = False
    book.client.save()
    plan_at(COURTEOUS_DAY)
    deliver_at(approve_at(PaymentReminder.objects.get(), COURTEOUS_DAY), COURTEOUS_DAY)
    assert "Pénalités" not in mail.outbox[0].body and "40,00" not in mail.outbox[0].body


def test_payment_stops_a_waiting_reminder(book: Invoice) -> None:
    plan_at(COURTEOUS_DAY)
    Invoice.objects.filter(pk=book.pk).update(paid_on=date(2026, 10, 4))
    plan_at(COURTEOUS_DAY + timedelta(minutes=1))
    reminder = PaymentReminder.objects.get()
    assert (reminder.state, reminder.stop_reason) == ("stopped", "paid")
    assert approve_at(reminder, COURTEOUS_DAY) is None


def test_payment_between_approval_and_sending_stops_the_email(book: Invoice) -> None:
    plan_at(COURTEOUS_DAY)
    dispatch = approve_at(PaymentReminder.objects.get(), COURTEOUS_DAY)
    Invoice.objects.filter(pk=book.pk).update(paid_on=date(2026, 10, 4))
    assert deliver_at(dispatch, COURTEOUS_DAY) == "skipped"
    assert mail.outbox == []
    assert PaymentReminder.objects.get().stop_reason == "paid"
    assert not Interaction.objects.exists()


def test_a_new_due_date_stops_the_sequence_and_starts_another_from_it(book: Invoice) -> None:
    plan_at(COURTEOUS_DAY)
    Invoice.objects.filter(pk=book.pk).update(renegotiated_due_on=date(2026, 10, 20))
    assert plan_at(COURTEOUS_DAY + timedelta(days=1)) == 0
    assert PaymentReminder.objects.get().stop_reason == "renegotiated"
    assert plan_at(datetime(2026, 10, 23, 8, tzinfo=UTC)) == 1  # the new date + 3 days
    fresh = PaymentReminder.objects.get(state="proposed")
    assert (fresh.step, fresh.due_basis) == (1, date(2026, 10, 20))


def test_an_open_payment_dispute_pauses_the_reminders_until_it_is_resolved(book: Invoice) -> None:
    plan_at(COURTEOUS_DAY)
    signal = make_conflict(book.client, kind=ConflictSignal.Kind.PAYMENT, observed_on=date(2026, 10, 4))
    plan_at(COURTEOUS_DAY + timedelta(minutes=1))
    reminder = PaymentReminder.objects.get()
    assert (reminder.state, reminder.stop_reason) == ("stopped", "disputed")
    assert plan_at(COURTEOUS_DAY + timedelta(days=2)) == 0  # nothing prepared while it is open
    # Another kind of conflict does not pause payment reminders; resolving the payment one resumes them.
    signal.state, signal.resolved_on = ConflictSignal.State.RESOLVED, date(2026, 10, 8)
    signal.save()
    assert plan_at(datetime(2026, 10, 8, 8, tzinfo=UTC)) == 1
    reminder.refresh_from_db()
    assert (reminder.state, reminder.stop_reason, reminder.due_on) == ("proposed", "", date(2026, 10, 8))


def test_a_skipped_reminder_lets_the_next_step_come_in_its_time(book: Invoice) -> None:
    plan_at(COURTEOUS_DAY)
    with time_machine.travel(COURTEOUS_DAY, tick=False):
        assert payment_follow_up.skip(PaymentReminder.objects.get(), timezone.now())
    assert plan_at(datetime(2026, 10, 15, 8, tzinfo=UTC)) == 0
    assert plan_at(datetime(2026, 10, 16, 8, tzinfo=UTC)) == 1
    assert PaymentReminder.objects.get(state="proposed").step == 2
    assert mail.outbox == []


def test_a_client_without_an_email_gets_no_reminder(book: Invoice) -> None:
    book.client.email = ""
    book.client.save()
    assert plan_at(COURTEOUS_DAY) == 0


def test_a_client_may_have_its_own_reminder_days(book: Invoice) -> None:
    client = book.client
    client.reminder_courteous_days, client.reminder_firm_days, client.reminder_notice_days = 10, 20, 40
    client.save()
    assert plan_at(COURTEOUS_DAY) == 0
    assert plan_at(datetime(2026, 10, 11, 8, tzinfo=UTC)) == 1


def test_a_sent_reminder_weighs_on_the_clients_word_and_bulk_equals_single(book: Invoice, alice: Any) -> None:
    with time_machine.travel(COURTEOUS_DAY, tick=False):
        before = recompute_client(book.client_id)
    plan_at(COURTEOUS_DAY)
    deliver_at(approve_at(PaymentReminder.objects.get(), COURTEOUS_DAY), COURTEOUS_DAY)
    with time_machine.travel(COURTEOUS_DAY + timedelta(minutes=5), tick=False):
        single = recompute_client(book.client_id)
        assert single is not None and before is not None
        assert single.score < before.score
        assert "payment_reminder_sent" in {reason["code"] for reason in single.reasons}
        stored = ClientHealth.objects.values().get(client_id=book.client_id)
        recompute_book(alice)
        bulk = ClientHealth.objects.values().get(client_id=book.client_id)
    assert {k: v for k, v in bulk.items() if k != "computed_at"} == {
        k: v for k, v in stored.items() if k != "computed_at"
    }


def test_an_invoice_deleted_and_restored_keeps_its_reminders(book: Invoice, alice: Any) -> None:
    from crm.trash.snapshot import restore, to_trash

    plan_at(COURTEOUS_DAY)
    deliver_at(approve_at(PaymentReminder.objects.get(), COURTEOUS_DAY), COURTEOUS_DAY)
    before = list(PaymentReminder.objects.values())
    with time_machine.travel(COURTEOUS_DAY + timedelta(hours=1), tick=False):
        item = to_trash(Invoice.objects.get(pk=book.pk), alice)
        assert not PaymentReminder.objects.exists()
        restore(item)
    assert list(PaymentReminder.objects.values()) == before
    assert plan_at(COURTEOUS_DAY + timedelta(days=1)) == 0  # the sequence goes on where it was
