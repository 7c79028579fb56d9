"""The relationship journal: what happened with a client, what was promised, what was invoiced."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from clients.models import (
    BookHistory,
    Client,
    Contact,
    OwnedThroughClient,
    OwnedThroughClientQuerySet,
    Project,
)
from crm.core import queries, rules
from crm.core.checks import CheckConstraint, LoadedRelationsChecked
from crm.core.dates import validate_day_in_window, validate_moment_in_window, window_constraint

SUMMARY_LENGTH = 500


def truncate_code_points(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` code points, ending with "…" when cut.

    A varchar(n) holds n code points; Django's Truncator counts a letter and its combining marks as one
    character, so its "500 characters" can be 1,000 code points that the database refuses.
    """
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


class InteractionQuerySet(models.QuerySet["Interaction"]):
    def for_owner(self, user: object) -> InteractionQuerySet:
        return self.filter(client__owner=user)

    def status_updates(self) -> InteractionQuerySet:
        return self.filter(kind=Interaction.Kind.STATUS_UPDATE, direction=Interaction.Direction.TO_CLIENT)

    def contacts(self) -> InteractionQuerySet:
        """Return the interactions that are a contact with the client: not an auto-reply, not a bulk mailing
        (RFC 3834). Only these move the last contact and count in the trust formula."""
        return self.filter(automatic="")

    def log_status_update(self, client: Client, subject: str, body: str, at: datetime) -> Interaction:
        """Record a status update sent to the client; it restarts the client's cadence clock."""
        summary = truncate_code_points(f"{subject}\n\n{body}".strip(), SUMMARY_LENGTH)
        # Saving it moves the client's cadence clock: the caller takes it through the journal's door
        # (crm.trust.door.journal_changed), which keeps the contact times and the score.
        with transaction.atomic():
            update = self.create(
                client=client,
                kind=Interaction.Kind.STATUS_UPDATE,
                direction=Interaction.Direction.TO_CLIENT,
                happened_at=at,
                summary=summary,
            )
        client.refresh_from_db(fields=["last_status_update_at", "last_contact_at"])
        return update


class Interaction(LoadedRelationsChecked, models.Model):
    class Kind(models.TextChoices):
        MEETING = "meeting", _("meeting")
        CALL = "call", _("call")
        EMAIL = "email", _("email")
        MESSAGE = "message", _("message")
        STATUS_UPDATE = "status_update", _("status update")
        DELIVERY = "delivery", _("delivery")
        OTHER = "other", _("other")

    class Direction(models.TextChoices):
        FROM_CLIENT = "from_client", _("from the client")
        TO_CLIENT = "to_client", _("to the client")

    class Automatic(models.TextChoices):
        """What mail capture saw in a message's headers (RFC 3834): sent by a machine, not written to you."""

        NO = "", _("written by a person")
        AUTO_REPLY = "auto_reply", _("auto-reply")
        BULK = "bulk", _("bulk mail")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="interactions", verbose_name=_("client")
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("project"),
    )
    # Who at the client it was with (a contact of the same client: clean()).
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("contact"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.EMAIL)
    direction = models.CharField(
        _("direction"), max_length=12, choices=Direction, default=Direction.TO_CLIENT
    )
    happened_at = models.DateTimeField(
        _("when"), default=timezone.now, validators=[validate_moment_in_window]
    )
    summary = models.CharField(_("summary"), max_length=SUMMARY_LENGTH, blank=True)
    # The message this one answers: only an answer closes the other side's wait (crm.trust.formula.journals).
    answers = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answered_by",
        verbose_name=_("answers"),
        help_text=_("The message this one answers, if it answers one."),
    )
    # An auto-reply or a mailing (crm.capture.automatic.automatic_kind): shown in the timeline, never an answer nor
    # a contact (`InteractionQuerySet.contacts`, crm.trust.formula.journals).
    automatic = models.CharField(
        _("sent automatically"), max_length=12, choices=Automatic, blank=True, default=Automatic.NO
    )
    # The last day of an absence an auto-reply announces ("Absent jusqu'au 14 décembre"): a suggestion shown on
    # the entry, which the freelancer confirms by setting the client away (Client.away_until).
    away_until_suggested = models.DateField(_("away until (as the auto-reply says)"), null=True, blank=True)

    history = BookHistory()

    objects = InteractionQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-happened_at", "-pk"]
        constraints = [
            CheckConstraint(
                condition=Q(
                    kind__in=["meeting", "call", "email", "message", "status_update", "delivery", "other"]
                ),
                name="interaction_kind_valid",
            ),
            CheckConstraint(
                condition=Q(direction__in=["from_client", "to_client"]), name="interaction_direction_valid"
            ),
            CheckConstraint(
                condition=Q(automatic__in=["", "auto_reply", "bulk"]), name="interaction_automatic_valid"
            ),
            # Every date within the book's window (crm/core/dates.py); "not in the future" is the form's rule.
            window_constraint("interaction", "happened_at", moment=True),
            window_constraint("interaction", "away_until_suggested", nullable=True),
        ]
        indexes = [
            # The timeline and the trust engine read a client's interactions in time order.
            models.Index(fields=["client", "happened_at"], name="interaction_client_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.summary[:40]}"

    @property
    def is_status_update(self) -> bool:
        return self.kind == self.Kind.STATUS_UPDATE and self.direction == self.Direction.TO_CLIENT

    def clean(self) -> None:
        if self.project_id and self.client_id and self.project.client_id != self.client_id:
            raise ValidationError({"project": _("This project belongs to another client.")})
        if self.contact_id and self.client_id and self.contact.client_id != self.client_id:
            raise ValidationError({"contact": _("This contact belongs to another client.")})
        if self.answers_id is not None:
            self._clean_answer()

    def _clean_answer(self) -> None:
        """Refuse an answer to another client's message, to a message of the same side, or to a later one."""
        answered = self.answers
        if answered.pk == self.pk or answered.client_id != self.client_id:
            raise ValidationError({"answers": _("Choose a message of this client.")})
        if answered.direction == self.direction:
            raise ValidationError(
                {"answers": _("An answer goes the other way: choose a message from the other side.")}
            )
        if self.happened_at and answered.happened_at > self.happened_at:
            raise ValidationError({"answers": _("An answer cannot come before the message it answers.")})


class PromiseQuerySet(OwnedThroughClientQuerySet):
    def for_owner(self, user: object) -> PromiseQuerySet:
        return self.filter(owner=user)

    def open(self) -> PromiseQuerySet:
        return self.filter(state=Promise.State.OPEN)

    def overdue(self, today: date) -> PromiseQuerySet:
        """Open promises past their due day (`crm.core.rules.is_overdue`)."""
        return self.open().filter(queries.past_due("due_on", today))

    def to_settle(self, today: date) -> PromiseQuerySet:
        """Open promises so long past due that they should be settled (`crm.core.rules.is_to_settle`)."""
        return self.open().filter(queries.to_settle("due_on", today))

    def due_between(self, first: date, last: date) -> PromiseQuerySet:
        return self.open().filter(due_on__gte=first, due_on__lte=last)

    def by_freelancer(self) -> PromiseQuerySet:
        return self.filter(promisor=Promise.Promisor.FREELANCER)


class Promise(OwnedThroughClient):
    """A word given: by the freelancer to the client, or by the client to the freelancer (reciprocity)."""

    class Promisor(models.TextChoices):
        FREELANCER = "freelancer", _("I promised the client")
        CLIENT = "client", _("the client promised me")

    # A promise is feminine in French ("une promesse ouverte"): its "open" is told apart from a conflict's.
    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("a promise", "open")
        KEPT = "kept", _("kept")
        BROKEN = "broken", _("broken")
        DROPPED = "dropped", _("dropped by agreement")

    class Outcome(models.TextChoices):
        OPEN = "open", pgettext_lazy("a promise", "open")
        OVERDUE = "overdue", _("overdue")
        TO_SETTLE = "to_settle", _("long overdue: to settle")
        DROPPED = "dropped", _("dropped by agreement")
        KEPT_ON_TIME = "kept_on_time", _("kept on time")
        KEPT_LATE = "kept_late", _("kept late")
        BROKEN_EXPLAINED = "broken_explained", _("broken but explained in time")
        BROKEN_EXPLAINED_LATE = "broken_explained_late", _("broken, explained late")
        BROKEN_SILENTLY = "broken_silently", _("broken without a word")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="promises", verbose_name=_("client")
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="promises",
        verbose_name=_("project"),
    )
    promisor = models.CharField(
        _("who promised"), max_length=10, choices=Promisor, default=Promisor.FREELANCER
    )
    # The invoice a client's promise to pay is about (a new payment date confirmed on the client's page): paying
    # the invoice keeps it, so a client who paid never reads as having broken their word.
    invoice = models.ForeignKey(
        "Invoice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="payment_promises",
        verbose_name=_("invoice"),
    )
    description = models.CharField(_("what was promised"), max_length=300)
    made_on = models.DateField(_("made on"), default=timezone.localdate, validators=[validate_day_in_window])
    due_on = models.DateField(_("due on"), validators=[validate_day_in_window])
    state = models.CharField(_("state"), max_length=8, choices=State, default=State.OPEN)
    kept_on = models.DateField(_("kept on"), null=True, blank=True, validators=[validate_day_in_window])
    broken_on = models.DateField(_("broken on"), null=True, blank=True, validators=[validate_day_in_window])
    dropped_on = models.DateField(_("dropped on"), null=True, blank=True, validators=[validate_day_in_window])
    clarification = models.TextField(
        _("explanation of the delay"),
        blank=True,
        help_text=_("What you told the client about the unforeseen."),
    )
    clarified_at = models.DateTimeField(
        _("explained at"), null=True, blank=True, validators=[validate_moment_in_window]
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = BookHistory()

    objects = PromiseQuerySet.as_manager()

    class Meta:
        verbose_name = _("promise")
        verbose_name_plural = _("promises")
        ordering = ["due_on", "pk"]
        constraints = [
            CheckConstraint(condition=Q(due_on__gte=F("made_on")), name="promise_due_not_before_made"),
            CheckConstraint(
                condition=Q(state__in=["open", "kept", "broken", "dropped"]),
                name="promise_state_with_dropped_valid",
            ),
            CheckConstraint(
                condition=Q(promisor__in=["freelancer", "client"]), name="promise_promisor_valid"
            ),
            # kept_on is set exactly when the promise is kept, broken_on exactly when broken, dropped_on when dropped.
            CheckConstraint(
                condition=(
                    Q(state="kept")
                    & Q(kept_on__isnull=False)
                    & Q(broken_on__isnull=True)
                    & Q(dropped_on__isnull=True)
                )
                | (
                    Q(state="broken")
                    & Q(kept_on__isnull=True)
                    & Q(broken_on__isnull=False)
                    & Q(dropped_on__isnull=True)
                )
                | (
                    Q(state="dropped")
                    & Q(kept_on__isnull=True)
                    & Q(broken_on__isnull=True)
                    & Q(dropped_on__isnull=False)
                )
                | (
                    Q(state="open")
                    & Q(kept_on__isnull=True)
                    & Q(broken_on__isnull=True)
                    & Q(dropped_on__isnull=True)
                ),
                name="promise_dates_match_state_with_dropped",
            ),
            CheckConstraint(
                condition=Q(kept_on__isnull=True) | Q(kept_on__gte=F("made_on")),
                name="promise_kept_not_before_made",
            ),
            # An explanation has its text and its time together.
            CheckConstraint(
                condition=(Q(clarified_at__isnull=True) & Q(clarification=""))
                | (Q(clarified_at__isnull=False) & ~Q(clarification="")),
                name="promise_clarification_has_time",
            ),
            window_constraint("promise", "made_on"),
            window_constraint("promise", "due_on"),
            window_constraint("promise", "kept_on", nullable=True),
            window_constraint("promise", "broken_on", nullable=True),
            window_constraint("promise", "dropped_on", nullable=True),
            window_constraint("promise", "clarified_at", moment=True, nullable=True),
            window_constraint("promise", "created_at", moment=True),
        ]
        indexes = [
            # Dashboard, digest and calendar: a client's open promises by due date.
            models.Index(fields=["client", "state", "due_on"], name="promise_client_state_due_idx"),
            # Dashboard and lists: the freelancer's open (overdue, coming) promises by due date.
            models.Index(fields=["owner", "state", "due_on"], name="promise_owner_state_due_idx"),
            # The dashboard's refresh after a change: a few clients' open promises, read for their owner. Without
            # the client in an owner's index, SQLite (which keeps no statistics unless told) may take the one
            # above and read every open promise of the book: 0.6 ms at 2,000 clients, growing with the book.
            models.Index(fields=["owner", "client", "state", "due_on"], name="promise_owner_client_idx"),
            # The list's Kept and Broken tabs, latest first: a page read from the index, not a sort of every kept
            # promise with its client (16,000 of them in the bench's book: 17 ms for the first page, 31 for the third).
            models.Index(fields=["owner", "state", "kept_on", "id"], name="promise_owner_kept_idx"),
            models.Index(fields=["owner", "state", "broken_on", "id"], name="promise_owner_broken_idx"),
        ]

    def __str__(self) -> str:
        return self.description

    def clean(self) -> None:
        if self.made_on and self.due_on and self.due_on < self.made_on:
            raise ValidationError(
                {"due_on": _("The due date cannot be before the day the promise was made.")}
            )
        if self.kept_on and self.made_on and self.kept_on < self.made_on:
            raise ValidationError({"kept_on": _("A promise cannot be kept before it was made.")})
        if self.project_id and self.client_id and self.project.client_id != self.client_id:
            raise ValidationError({"project": _("This project belongs to another client.")})
        self._clean_state_dates()
        if self.clarification.strip() and self.clarified_at is None:
            raise ValidationError({"clarified_at": _("Say when you explained the delay.")})
        if self.clarified_at is not None and not self.clarification.strip():
            raise ValidationError({"clarification": _("Say what you told the client.")})

    def _clean_state_dates(self) -> None:
        """Refuse a kept or broken date that does not match the state (the database refuses it too)."""
        if self.state == self.State.KEPT and (self.kept_on is None or self.broken_on is not None):
            raise ValidationError(
                {"kept_on": _("A kept promise needs the day it was kept, and no broken date.")}
            )
        if self.state == self.State.BROKEN and (self.broken_on is None or self.kept_on is not None):
            raise ValidationError(
                {"broken_on": _("A broken promise needs the day it was broken, and no kept date.")}
            )
        if self.state == self.State.OPEN and (self.kept_on is not None or self.broken_on is not None):
            raise ValidationError({"state": _("An open promise has neither a kept nor a broken date.")})
        if (self.state == self.State.DROPPED) != (self.dropped_on is not None):
            raise ValidationError(
                {
                    "dropped_on": _(
                        "A promise dropped by agreement needs the day, and only such a promise has one."
                    )
                }
            )

    def explained_in_time(self, zone: object = None) -> bool:
        """Return True when the delay was explained no later than the due date ("l'éclaircissement sur les imprévus")."""
        if self.clarified_at is None:
            return False
        return timezone.localtime(self.clarified_at, zone).date() <= self.due_on

    def is_overdue(self, today: date) -> bool:
        """Return True when the promise is open past its due day (`crm.core.rules.is_overdue`)."""
        return self.state == self.State.OPEN and rules.is_overdue(self.due_on, today)

    def is_to_settle(self, today: date) -> bool:
        """Return True when the promise has stayed open so long past due that it should be settled (kept late,
        broken, or dropped by agreement): `crm.core.rules.is_to_settle`."""
        return self.state == self.State.OPEN and rules.is_to_settle(self.due_on, today)

    def days_overdue(self, today: date) -> int:
        """Return how many days the open promise is past its due day (0 when not yet due)."""
        return rules.days_late(self.due_on, today)

    def outcome(self, today: date, zone: object = None) -> str:
        """Return one of `Promise.Outcome`, telling kept late, broken silently, broken but explained in time and
        broken but explained late apart."""
        if self.state == self.State.KEPT:
            return self.Outcome.KEPT_ON_TIME if self.kept_on <= self.due_on else self.Outcome.KEPT_LATE
        if self.state == self.State.BROKEN:
            if self.clarified_at is None:
                return self.Outcome.BROKEN_SILENTLY
            # Explained after the due date: not silence, but not the timely warning either (its own weight).
            return (
                self.Outcome.BROKEN_EXPLAINED
                if self.explained_in_time(zone)
                else self.Outcome.BROKEN_EXPLAINED_LATE
            )
        if self.state == self.State.DROPPED:
            return self.Outcome.DROPPED
        if self.is_to_settle(today):
            return self.Outcome.TO_SETTLE
        return self.Outcome.OVERDUE if self.is_overdue(today) else self.Outcome.OPEN

    def keep(self, on: date) -> None:
        """Mark the promise kept on `on`. Keeping a kept promise again changes nothing (a double click)."""
        if self.state == self.State.KEPT:
            return
        if on < self.made_on:
            raise ValidationError({"kept_on": _("A promise cannot be kept before it was made.")})
        self.state, self.kept_on, self.broken_on, self.dropped_on = self.State.KEPT, on, None, None
        self.save(update_fields=["state", "kept_on", "broken_on", "dropped_on"])

    def break_(self, on: date) -> None:
        """Mark the open promise broken on `on`; a kept one must be reopened first, never overwritten."""
        if self.state == self.State.BROKEN:
            return
        self._refuse_when_kept()
        self.state, self.kept_on, self.broken_on, self.dropped_on = self.State.BROKEN, None, on, None
        self.save(update_fields=["state", "kept_on", "broken_on", "dropped_on"])

    def drop(self, on: date) -> None:
        """Record that both sides agreed to drop the promise: it weighs neither for nor against anyone."""
        if self.state == self.State.DROPPED:
            return
        self._refuse_when_kept()
        if on < self.made_on:
            raise ValidationError({"dropped_on": _("A promise cannot be dropped before it was made.")})
        self.state, self.kept_on, self.broken_on, self.dropped_on = self.State.DROPPED, None, None, on
        self.save(update_fields=["state", "kept_on", "broken_on", "dropped_on"])

    def explain(self, text: str, at: datetime | None = None) -> None:
        self._refuse_when_kept()
        text = text.strip()
        if not text:
            raise ValidationError({"clarification": _("Say what you told the client.")})
        self.clarification, self.clarified_at = text, at or timezone.now()
        self.save(update_fields=["clarification", "clarified_at"])

    def reopen(self) -> None:
        """Open a kept, broken or dropped promise again (its outcome forgotten, its explanation kept: it was
        said), so it can be kept or broken anew."""
        if self.state == self.State.OPEN:
            raise ValidationError({"state": _("This promise is already open.")})
        self.state, self.kept_on, self.broken_on, self.dropped_on = self.State.OPEN, None, None, None
        self.save(update_fields=["state", "kept_on", "broken_on", "dropped_on"])

    def _refuse_when_kept(self) -> None:
        if self.state == self.State.KEPT:
            raise ValidationError(
                {"state": _("This promise was kept. Reopen it first if that was a mistake.")}, code="kept"
            )


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def for_owner(self, user: object) -> InvoiceQuerySet:
        return self.filter(owner=user)

    def unpaid(self) -> InvoiceQuerySet:
        return self.filter(paid_on__isnull=True)

    def paid(self) -> InvoiceQuerySet:
        return self.filter(paid_on__isnull=False)

    def overdue(self, today: date) -> InvoiceQuerySet:
        """Unpaid invoices past their (renegotiated, if any) due date (`crm.core.rules.is_overdue` on
        `current_due_on`, the database's copy of `crm.core.rules.effective_due_on`)."""
        return self.unpaid().filter(queries.past_due("current_due_on", today))


class Invoice(LoadedRelationsChecked, models.Model):
    # The owner is stored (it is also the client's) so that numbers can be unique per freelancer.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invoices")
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="invoices", verbose_name=_("client")
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("project"),
    )
    number = models.CharField(_("number"), max_length=40)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    issued_on = models.DateField(
        _("issued on"), default=timezone.localdate, validators=[validate_day_in_window]
    )
    due_on = models.DateField(_("due on"), validators=[validate_day_in_window])
    paid_on = models.DateField(_("paid on"), null=True, blank=True, validators=[validate_day_in_window])
    renegotiated_due_on = models.DateField(
        _("renegotiated due date"),
        null=True,
        blank=True,
        validators=[validate_day_in_window],
        help_text=_("A new due date agreed with the client."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # `effective_due_on` kept by the database, so that overdue invoices are found, counted and sorted through
    # an index. For queries only: Django does not refresh it on an instance after a save; read the property.
    current_due_on = models.GeneratedField(
        expression=Coalesce("renegotiated_due_on", "due_on"), output_field=models.DateField(), db_persist=True
    )

    # The instant the payment follow-up's planner prepares the next reminder: the start, in the freelancer's
    # time zone, of `crm.payments.schedule.preparation_day`; None when paid, when a reminder awaits a decision or
    # the sequence is over. Written by `crm.payments.due` (through the journal's door, which every change of an
    # invoice passes, and by the planner's own steps): the planner reads only `next_reminder_at <= now`.
    next_reminder_at = models.DateTimeField(
        _("next reminder prepared at"), null=True, blank=True, editable=False
    )

    # The generated due date follows the two it is made of, which the history keeps; the planner's column is
    # derived.
    history = BookHistory(excluded_fields=["current_due_on", "next_reminder_at"])

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "number"], name="invoice_number_unique_per_owner"),
            CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            CheckConstraint(condition=Q(due_on__gte=F("issued_on")), name="invoice_due_not_before_issued"),
            CheckConstraint(
                condition=Q(paid_on__isnull=True) | Q(paid_on__gte=F("issued_on")),
                name="invoice_paid_not_before_issued",
            ),
            CheckConstraint(
                condition=Q(renegotiated_due_on__isnull=True) | Q(renegotiated_due_on__gte=F("issued_on")),
                name="invoice_renegotiated_not_before_issued",
            ),
            window_constraint("invoice", "issued_on"),
            window_constraint("invoice", "due_on"),
            window_constraint("invoice", "paid_on", nullable=True),
            window_constraint("invoice", "renegotiated_due_on", nullable=True),
            window_constraint("invoice", "created_at", moment=True),
        ]
        indexes = [
            # Trust engine and invoice list: a client's invoices; overdue list: unpaid by due date.
            models.Index(fields=["client", "issued_on"], name="invoice_client_issued_idx"),
            models.Index(fields=["owner", "paid_on", "current_due_on"], name="invoice_owner_paid_due_idx"),
            # The payment follow-up's planner, every minute: WHERE next_reminder_at <= now (the few due rows).
            models.Index(
                fields=["next_reminder_at"],
                name="invoice_next_reminder_idx",
                condition=Q(next_reminder_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        # However the payment is recorded or taken back (the buttons, an edit, the API, an undo), the client's
        # promises to pay this invoice follow it: kept by the payment, reopened when it is taken back.
        adding, before = self._state.adding, getattr(self, "_stored_paid_on", None)
        super().save(*args, **kwargs)
        if not adding and self.paid_on != before:
            self._payment_moved(before)
        self._stored_paid_on = self.paid_on

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Invoice:
        invoice = super().from_db(db, field_names, values)
        invoice._stored_paid_on = invoice.__dict__.get("paid_on")
        return invoice

    @property
    def effective_due_on(self) -> date:
        """The day the invoice is listed as overdue from (`crm.core.rules.effective_due_on`)."""
        return rules.effective_due_on(self.due_on, self.renegotiated_due_on)

    def clean(self) -> None:
        errors = {}
        if self.issued_on and self.due_on and self.due_on < self.issued_on:
            errors["due_on"] = _("The due date cannot be before the issue date.")
        if self.issued_on and self.paid_on and self.paid_on < self.issued_on:
            errors["paid_on"] = _("An invoice cannot be paid before it was issued.")
        if self.issued_on and self.renegotiated_due_on and self.renegotiated_due_on < self.issued_on:
            errors["renegotiated_due_on"] = _("The new due date cannot be before the issue date.")
        if self.currency and not (len(self.currency) == 3 and self.currency.isalpha()):
            errors["currency"] = _("Use a three-letter currency code, such as EUR.")
        if self.project_id and self.client_id and self.project.client_id != self.client_id:
            errors["project"] = _("This project belongs to another client.")
        taken = self.number_taken_by()
        if taken is not None:
            errors["number"] = ValidationError(
                _("You already have an invoice numbered %(number)s (%(client)s, issued on %(issued_on)s)."),
                code="number_taken",
                params={
                    "number": taken.number,
                    "client": taken.client.name,
                    "issued_on": date_format(taken.issued_on),
                },
            )
        if errors:
            raise ValidationError(errors)
        self.currency = (self.currency or "").upper()

    def number_taken_by(self) -> Invoice | None:
        """Return the freelancer's other invoice with this number, whatever its case and surrounding spaces
        ("f-1" is "F-1" to an accountant and to the tax office: one number, one invoice), or None."""
        number = (self.number or "").strip()
        if not number or self.owner_id is None:
            return None
        others = Invoice.objects.filter(owner_id=self.owner_id, number__iexact=number).exclude(pk=self.pk)
        return others.select_related("client").order_by("pk").first()

    def lateness(self, today: date) -> int:
        """Return how many days late the payment is (or was, once paid), from the invoice's own due date even when
        a new one was agreed; 0 when on time (`crm.core.rules.days_late` of the original `due_on`)."""
        return rules.days_late(self.due_on, today, self.paid_on)

    def is_overdue(self, today: date) -> bool:
        """Return True when the invoice is unpaid past its effective due day (`crm.core.rules.is_overdue`)."""
        return self.paid_on is None and rules.is_overdue(self.effective_due_on, today)

    def mark_paid(self, on: date) -> None:
        """Record the payment on `on` (the client's promises to pay it are kept that day: see `save`)."""
        if on < self.issued_on:
            raise ValidationError({"paid_on": _("An invoice cannot be paid before it was issued.")})
        self.paid_on = on
        self.save(update_fields=["paid_on"])

    def reopen(self) -> None:
        """Mark a paid invoice unpaid again (a payment recorded by mistake, or returned)."""
        if self.paid_on is None:
            raise ValidationError({"paid_on": _("This invoice is not paid.")})
        self.paid_on = None
        self.save(update_fields=["paid_on"])

    def _payment_moved(self, paid_before: date | None) -> None:
        """Reopen the client's promises to pay that the payment of `paid_before` had kept, then keep the open ones
        on the new payment day (late, when after the date the client gave)."""
        if paid_before is not None:
            for promise in self.payment_promises.filter(state=Promise.State.KEPT, kept_on=paid_before):
                promise.reopen()
        if self.paid_on is not None:
            for promise in self.payment_promises.filter(state=Promise.State.OPEN, made_on__lte=self.paid_on):
                promise.keep(self.paid_on)

    def renegotiate(self, new_due_on: date) -> None:
        if new_due_on < self.issued_on:
            raise ValidationError(
                {"renegotiated_due_on": _("The new due date cannot be before the issue date.")}
            )
        self.renegotiated_due_on = new_due_on
        self.save(update_fields=["renegotiated_due_on"])

    def confirm_new_date_by_client(self, new_due_on: date, today: date) -> Promise:
        """Record the client's word to pay this overdue invoice by `new_due_on` (from the client's page): the
        invoice's renegotiated due date and the client's promise, together in one transaction.

        `today` is the day as the client's page shows it. Confirming the date already recorded again (a double
        submit) changes nothing and returns the same promise. Raise ValidationError, changing nothing, for a
        paid or not yet overdue invoice, or a day before `today` or outside the window.
        """
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update().select_related("client").get(pk=self.pk)
            description = invoice.client_promise_description()
            if invoice.renegotiated_due_on == new_due_on and invoice.paid_on is None:
                earlier = invoice.payment_promises.filter(due_on=new_due_on).first()
                if earlier is not None:
                    return earlier
            validate_day_in_window(new_due_on)
            if not invoice.is_overdue(today):
                raise ValidationError(
                    {"new_due_on": _("This invoice is not overdue: there is no new date to confirm.")},
                    code="not_overdue",
                )
            if new_due_on < today:
                raise ValidationError({"new_due_on": _("Choose today or a later day.")}, code="in_the_past")
            invoice.renegotiate(new_due_on)
            promise = Promise.objects.create(
                client=invoice.client,
                project=invoice.project,
                invoice=invoice,
                promisor=Promise.Promisor.CLIENT,
                description=description,
                made_on=today,
                due_on=new_due_on,
            )
        self.renegotiated_due_on = new_due_on
        return promise

    def client_promise_description(self) -> str:
        """Return what the client promises when confirming a new payment date, in the client's language."""
        with translation.override(self.client.language):
            return gettext("Pay invoice %(number)s") % {"number": self.number}


class Feeling(OwnedThroughClient):
    """The freelancer's own feeling about a client ("la confiance est une prise de risque volontaire", 002).

    It weighs in the trust health for 30 days from the day it was given (crm.core.rules.FEELING_DAYS), shown as
    the freelancer's, then expires; only the latest one counts.
    """

    class Rating(models.TextChoices):
        TRUST = "trust", _("I trust them")
        DOUBT = "doubt", _("Something is off")
        DISTRUST = "distrust", _("I no longer trust them")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="feelings", verbose_name=_("client")
    )
    rating = models.CharField(_("your feeling"), max_length=10, choices=Rating)
    note = models.CharField(_("note"), max_length=500, blank=True)
    felt_on = models.DateField(_("day"), default=date.today)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("feeling")
        verbose_name_plural = _("feelings")
        ordering = ["-felt_on", "-pk"]
        constraints = [
            CheckConstraint(
                condition=Q(rating__in=["trust", "doubt", "distrust"]), name="feeling_rating_valid"
            ),
        ]
        indexes = [
            # The trust loader reads each client's latest feeling: WHERE client_id = ? ORDER BY felt_on DESC.
            models.Index(fields=["client", "felt_on"], name="feeling_client_day_idx"),
        ]

    def __str__(self) -> str:
        return self.get_rating_display()

    def expires_on(self) -> date:
        """Return the first day the feeling no longer counts (`crm.core.rules.feeling_expires_on`)."""
        return rules.feeling_expires_on(self.felt_on)

    def is_current(self, today: date) -> bool:
        return rules.feeling_in_force(self.felt_on, today)


__all__ = ["Feeling", "Interaction", "Invoice", "Promise"]
