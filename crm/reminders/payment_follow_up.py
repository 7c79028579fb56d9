"""Payment follow-up: the reminders of each overdue invoice, prepared, approved, sent once through the outbox.

1. `plan(now)` (every sweep) stops the reminders that must not go out any more (the invoice was paid, a new due
   date was agreed, a payment conflict is open) and prepares each overdue invoice's next step when its local day
   has come (crm/payments/schedule.py): "proposed", waiting for the freelancer's approval, or, for a freelancer
   who opted in, approved at once with its `Dispatch` due at their hour. It reads only the invoices whose
   `next_reminder_at` has come (crm/payments/due.py keeps it), never the whole book.
2. `approve(reminder, now)` turns a proposed reminder into an outbox `Dispatch` due now (the caller enqueues it);
   `skip` leaves it unsent and lets the sequence go on.
3. The outbox's `deliver` claims the dispatch (exactly once, docs/reminders.md), asks `message` for the email
   (None, and the reminder stops, when a stop condition arose meanwhile), sends it, and calls `record_sent`,
   which logs the email as an interaction, once.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation

from clients.models import ClientKind, Tone
from conflicts.models import ConflictSignal
from crm.core import rules
from crm.models import Dispatch, Interaction, Invoice, PaymentReminder
from crm.models.journal import SUMMARY_LENGTH, truncate_code_points
from crm.payments import due, schedule
from crm.payments.claims import RatesBySeries, claim_for, load_rates
from crm.reminders.emails import render_email, render_text
from crm.trust.door import journal_changed

# Stop reasons that end when their cause does: the same step is proposed again then.
PAUSED = (PaymentReminder.StopReason.DISPUTED, PaymentReminder.StopReason.NO_EMAIL)
PENDING = (PaymentReminder.State.PROPOSED, PaymentReminder.State.APPROVED)


def disputed_client_ids(client_ids: Any) -> set[int]:
    """Return the clients among `client_ids` with an open payment conflict signal (one query)."""
    return set(
        ConflictSignal.objects.filter(
            client_id__in=client_ids, kind=ConflictSignal.Kind.PAYMENT, state=ConflictSignal.State.OPEN
        ).values_list("client_id", flat=True)
    )


def _stop(reminder: PaymentReminder, reason: str, now: datetime) -> bool:
    """Stop a pending reminder for `reason`; return False when it was no longer pending (decided meanwhile)."""
    stopped = bool(
        PaymentReminder.objects.filter(pk=reminder.pk, state=reminder.state).update(
            state=PaymentReminder.State.STOPPED, stop_reason=reason, decided_at=now
        )
    )
    if stopped:
        # No step awaits a decision any more: the invoice's next one is scheduled again (a paused step comes
        # back once its cause ends).
        due.refresh_invoices(Q(pk=reminder.invoice_id))
    return stopped


def _open_payment_conflict(client: str) -> Exists:
    """Return "the client (the `client` column of the outer query) has an open payment conflict signal"."""
    return Exists(
        ConflictSignal.objects.filter(
            client_id=OuterRef(client), kind=ConflictSignal.Kind.PAYMENT, state=ConflictSignal.State.OPEN
        )
    )


def stop_where_needed(now: datetime) -> int:
    """Stop every pending reminder whose invoice was paid or renegotiated, or whose client disputes or has no
    email address; return how many (one query when none must stop).

    The database picks the pending reminders where one of `PaymentReminder.stop_reason_now`'s reasons holds,
    so a sweep reads none of the others; the model's rule then says which reason, row by row."""
    must_stop = (
        Q(invoice__paid_on__isnull=False)
        | ~Q(invoice__current_due_on=F("due_basis"))
        | Q(invoice__client__email="")
        | _open_payment_conflict("invoice__client_id")
    )
    # Ids first (a sweep compiles and reads little when none must stop), then the few rows.
    ids = list(
        PaymentReminder.objects.filter(state__in=PENDING)
        .filter(must_stop)
        .order_by()
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    pending = list(
        PaymentReminder.objects.filter(pk__in=ids).select_related("invoice__client").order_by("pk")
    )
    disputed = disputed_client_ids({r.invoice.client_id for r in pending})
    stopped = 0
    for reminder in pending:
        reason = reminder.stop_reason_now(reminder.invoice.client_id in disputed)
        if reason and _stop(reminder, reason, now):
            stopped += 1
    return stopped


# The columns of a due invoice the planner reads (no model object: a sweep builds none for rows it skips).
DUE_COLUMNS = (
    "pk",
    "owner_id",
    "due_on",
    "renegotiated_due_on",
    "client__reminder_courteous_days",
    "client__reminder_firm_days",
    "client__reminder_notice_days",
    "owner__profile__time_zone",
    "owner__profile__reminder_courteous_days",
    "owner__profile__reminder_firm_days",
    "owner__profile__reminder_notice_days",
    "owner__profile__payment_reminders_auto",
    "owner__profile__digest_hour",
)


def due_invoices(now: datetime) -> list[dict[str, Any]]:
    """Return the unpaid invoices whose next reminder's day has come (`Invoice.next_reminder_at`, kept by
    `crm.payments.due`), as plain rows, without those of a client who disputes or has no email address (their
    step waits, and comes once that ends). One query over `invoice_next_reminder_idx` (ids only): the rest of
    the book is not read; a second one reads the due rows, when there are some."""
    # No ORDER BY: sorting by id would have SQLite walk the whole table in id order instead of the index.
    ids = list(Invoice.objects.filter(next_reminder_at__lte=now).order_by().values_list("pk", flat=True))
    if not ids:
        return []
    rows = (
        Invoice.objects.filter(pk__in=ids, paid_on__isnull=True)
        .exclude(client__email="")
        .exclude(_open_payment_conflict("client_id"))
        .order_by("pk")
        .values(*DUE_COLUMNS)
    )
    return list(rows)


def plan(now: datetime) -> int:
    """Stop what must stop, then prepare the next reminder of every invoice whose day has come; return how many
    were prepared. Safe to run any number of times, at once too (one row per step: a unique constraint).

    Two queries when nothing is due, whatever the size of the books (`due_invoices`)."""
    stop_where_needed(now)
    invoices = due_invoices(now)
    if not invoices:
        return 0
    reminders: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for reminder in PaymentReminder.objects.filter(invoice_id__in=[row["pk"] for row in invoices]).values(
        "pk", "invoice_id", "step", "due_basis", "state", "stop_reason", "decided_at"
    ):
        reminders[reminder["invoice_id"]].append(reminder)
    prepared = 0
    for invoice in invoices:
        if _prepare_next(invoice, reminders[invoice["pk"]], now):
            prepared += 1
    # Each invoice read moves on: to None once its step awaits a decision, to its next step's day otherwise.
    due.refresh_invoices(Q(pk__in=[row["pk"] for row in invoices]))
    return prepared


def _prepare_next(invoice: dict[str, Any], existing: list[dict[str, Any]], now: datetime) -> bool:
    zone = zoneinfo.ZoneInfo(invoice["owner__profile__time_zone"])
    today = timezone.localtime(now, zone).date()
    basis = rules.effective_due_on(invoice["due_on"], invoice["renegotiated_due_on"])
    if basis >= today:
        return False
    mine = [r for r in existing if r["due_basis"] == basis]
    if any(r["state"] in PENDING for r in mine):
        return False  # one step at a time
    decided = {
        r["step"]: timezone.localtime(r["decided_at"], zone).date()
        for r in mine
        if r["state"] in (PaymentReminder.State.SENT, PaymentReminder.State.SKIPPED) and r["decided_at"]
    }
    days = due.reminder_days(
        (
            invoice["client__reminder_courteous_days"],
            invoice["client__reminder_firm_days"],
            invoice["client__reminder_notice_days"],
        ),
        (
            invoice["owner__profile__reminder_courteous_days"],
            invoice["owner__profile__reminder_firm_days"],
            invoice["owner__profile__reminder_notice_days"],
        ),
    )
    step = schedule.next_step(basis, days, decided)
    if step is None or step[1] > today:
        return False
    number, day = step
    paused = next((r for r in mine if r["step"] == number and r["stop_reason"] in PAUSED), None)
    auto = invoice["owner__profile__payment_reminders_auto"]
    state = PaymentReminder.State.APPROVED if auto else PaymentReminder.State.PROPOSED
    try:
        with transaction.atomic():
            if paused is not None:
                # The dispute was resolved (or an email address added): the paused step comes back.
                if not PaymentReminder.objects.filter(
                    pk=paused["pk"], state=PaymentReminder.State.STOPPED
                ).update(state=state, stop_reason="", decided_at=None, due_on=today):
                    return False
                reminder_id = paused["pk"]
            else:
                reminder_id = PaymentReminder.objects.create(
                    owner_id=invoice["owner_id"],
                    invoice_id=invoice["pk"],
                    step=number,
                    due_basis=basis,
                    due_on=day,
                    state=state,
                ).pk
            if auto:
                moment = schedule.send_moment(today, invoice["owner__profile__digest_hour"], zone)
                # Due at the freelancer's hour today: already past when the day was reached later, then due now.
                _attach_dispatch(reminder_id, invoice["owner_id"], moment, now)
    except IntegrityError:  # another sweep prepared it at the same moment
        return False
    return True


def _attach_dispatch(reminder_id: int, owner_id: int, due_at: datetime, now: datetime) -> Dispatch:
    dispatch = Dispatch.objects.create(
        owner_id=owner_id,
        kind=Dispatch.Kind.PAYMENT_REMINDER,
        period=f"pr{reminder_id}",
        due_at=due_at,
    )
    PaymentReminder.objects.filter(pk=reminder_id).update(
        state=PaymentReminder.State.APPROVED, dispatch=dispatch, decided_at=now
    )
    return dispatch


def approve(reminder: PaymentReminder, now: datetime) -> Dispatch | None:
    """Send a proposed reminder now: return its outbox row (the caller enqueues it after the commit), or None
    when it was decided meanwhile or must stop (then it is stopped, with its reason)."""
    with transaction.atomic():
        locked = PaymentReminder.objects.select_for_update(of=("self",)).select_related("invoice__client")
        reminder = locked.get(pk=reminder.pk)
        if reminder.state != PaymentReminder.State.PROPOSED:
            return None
        reason = reminder.stop_reason_now(bool(disputed_client_ids([reminder.invoice.client_id])))
        if reason:
            _stop(reminder, reason, now)
            return None
        return _attach_dispatch(reminder.pk, reminder.owner_id, now, now)


def skip(reminder: PaymentReminder, now: datetime) -> bool:
    """Leave a proposed reminder unsent (the next step comes in its time); return False if it was decided."""
    skipped = bool(
        PaymentReminder.objects.filter(pk=reminder.pk, state=PaymentReminder.State.PROPOSED).update(
            state=PaymentReminder.State.SKIPPED, decided_at=now
        )
    )
    if skipped:
        due.refresh_invoices(Q(pk=reminder.invoice_id))  # the next step is scheduled from this decision
    return skipped


# -- the email ----------------------------------------------------------------------------------------------------


def email_context(
    reminder: PaymentReminder, now: datetime, rates: RatesBySeries | None = None
) -> dict[str, Any]:
    """Return what the reminder's email says: the invoice, how late, and the claim when the freelancer makes one."""
    invoice = reminder.invoice
    client = invoice.client
    profile = reminder.owner.profile
    today = timezone.localtime(now, profile.zone).date()
    rates = load_rates() if rates is None else rates
    notice_on = today if reminder.is_formal_notice else None
    claim = claim_for(invoice, today, rates, formal_notice_on=notice_on)
    compensation_in_currency = claim is not None and invoice.currency == "EUR"
    extra = claim.total if compensation_in_currency else claim.interest if claim is not None else 0
    return {
        "total_due": invoice.amount + extra,
        "compensation_in_currency": compensation_in_currency,
        "reminder": reminder,
        "invoice": invoice,
        "client": client,
        # Who the client deals with, signed and (in a formal notice) named as the creditor: never the login name.
        "freelancer": profile.client_facing_name,
        "identity": profile,
        "friendly": client.tone == Tone.FRIENDLY,
        "days_late": reminder.lateness(today),
        "claim": claim,
        "business": client.kind == ClientKind.BUSINESS,
        "today": today,
    }


def render_preview(
    reminder: PaymentReminder, now: datetime, rates: RatesBySeries | None = None
) -> dict[str, Any]:
    """Return the subject and text the client will read, in the client's language (for the approval page), and
    whether a half-year of the delay has no known rate (the letter says so)."""
    context = email_context(reminder, now, rates)
    with (
        translation.override(reminder.invoice.client.language),
        timezone.override(reminder.owner.profile.zone),
    ):
        subject, text = render_text("payment-reminder", context)
    claim = context["claim"]
    return {"subject": subject, "text": text, "rate_missing": bool(claim and claim.rate_missing)}


def message(dispatch: Dispatch, now: datetime) -> EmailMultiAlternatives | None:
    """Return the email of a payment-reminder dispatch, or None (and stop the reminder) when it must not go."""
    try:
        reminder = PaymentReminder.objects.select_related("invoice__client", "owner__profile").get(
            dispatch=dispatch
        )
    except PaymentReminder.DoesNotExist:
        return None
    if reminder.state != PaymentReminder.State.APPROVED:
        return None
    reason = reminder.stop_reason_now(bool(disputed_client_ids([reminder.invoice.client_id])))
    if reason:
        _stop(reminder, reason, now)
        return None
    client = reminder.invoice.client
    context = email_context(reminder, now)
    with translation.override(client.language), timezone.override(reminder.owner.profile.zone):
        email = render_email(
            "payment-reminder",
            context,
            to=[client.email],
            from_email=reminder.owner.profile.sender(settings.DEFAULT_FROM_EMAIL),
        )
    reply_to = reminder.owner.profile.business_email or reminder.owner.email
    if reply_to:
        email.reply_to = [reply_to]
    if reminder.owner.email:
        email.cc = [reminder.owner.email]
    return email


def record_sent(dispatch: Dispatch, email: EmailMultiAlternatives, now: datetime) -> Interaction | None:
    """Mark the reminder sent and log its email as an interaction with the client, once; return it."""
    with transaction.atomic():
        try:
            reminder = (
                PaymentReminder.objects.select_for_update(of=("self",))
                .select_related("invoice")
                .get(dispatch=dispatch, state=PaymentReminder.State.APPROVED)
            )
        except PaymentReminder.DoesNotExist:
            return None
        # The reminder sent counts in the invoice's payment facts, the email in the journal: the door, once both
        # are written.
        PaymentReminder.objects.filter(pk=reminder.pk).update(state=PaymentReminder.State.SENT, sent_at=now)
        interaction = Interaction.objects.create(
            client_id=reminder.invoice.client_id,
            project_id=reminder.invoice.project_id,
            kind=Interaction.Kind.EMAIL,
            direction=Interaction.Direction.TO_CLIENT,
            happened_at=now,
            summary=truncate_code_points(f"{email.subject}\n\n{email.body}".strip(), SUMMARY_LENGTH),
        )
        PaymentReminder.objects.filter(pk=reminder.pk).update(interaction=interaction)
        journal_changed([interaction.client_id], now=now)
    return interaction
