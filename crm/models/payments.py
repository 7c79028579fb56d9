"""Payment follow-up: the dated rates of the late-payment law, and the reminders of an overdue invoice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core import rules
from crm.core.checks import CheckConstraint
from crm.core.dates import validate_day_in_window, window_constraint
from crm.models.journal import Interaction, Invoice
from crm.models.reminders import Dispatch


class LatePaymentRate(models.Model):
    """A yearly rate (percent) of one series, in force from `starts_on`: docs/payments.md lists the sources."""

    class Series(models.TextChoices):
        # The values are crm.payments.interest's series names (the models never import it).
        ECB_MAIN_REFINANCING = "ecb_mro", _("ECB main refinancing rate")
        FR_LEGAL_PROFESSIONAL = "fr_legal_pro", _("French legal interest rate (all other cases)")
        FR_LEGAL_PERSONAL = "fr_legal_personal", _("French legal interest rate (private-person creditors)")

    series = models.CharField(_("series"), max_length=20, choices=Series)
    starts_on = models.DateField(
        _("in force from"),
        validators=[validate_day_in_window],
        help_text=_("The 1 January or 1 July of the half-year it applies to."),
    )
    percent = models.DecimalField(
        _("rate (%)"),
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("-5")), MaxValueValidator(Decimal("100"))],
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    # The day the rates file this row came from was last checked against the publications: the ECB's rate,
    # published as dated changes, is known up to that day (crm.payments.interest.RateTable).
    checked_on = models.DateField(_("checked on"), null=True, blank=True, validators=[validate_day_in_window])

    class Meta:
        verbose_name = _("late-payment rate")
        verbose_name_plural = _("late-payment rates")
        ordering = ["series", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["series", "starts_on"], name="late_payment_rate_once_per_day"),
            window_constraint("late_payment_rate", "starts_on"),
        ]

    def __str__(self) -> str:
        return f"{self.get_series_display()} {self.starts_on}: {self.percent} %"


class Rate(models.Model):
    """A reference exchange rate: how many units of `currency` one euro bought on `day` (the ECB's euro foreign
    exchange reference rates, published each working day). Reference data, not a freelancer's: no owner.

    The trust health weighs what a client owes against what they were billed across currencies with the rate of
    each invoice's day (the nearest earlier day known; docs/trust-model.md, "Money in several currencies").
    """

    currency = models.CharField(_("currency"), max_length=3)
    day = models.DateField(_("day"), validators=[validate_day_in_window])
    per_euro = models.DecimalField(
        _("units for one euro"),
        max_digits=18,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
    )

    class Meta:
        verbose_name = _("exchange reference rate")
        verbose_name_plural = _("exchange reference rates")
        ordering = ["currency", "-day"]
        constraints = [
            # Also the index of the trust loader's lookup: WHERE currency = ? AND day <= ? ORDER BY day DESC.
            models.UniqueConstraint(fields=["currency", "day"], name="rate_once_per_currency_and_day"),
            CheckConstraint(condition=Q(per_euro__gt=0), name="rate_per_euro_positive"),
            window_constraint("rate", "day"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.day}: {self.per_euro}"


class PaymentReminderQuerySet(models.QuerySet["PaymentReminder"]):
    def for_owner(self, user: object) -> PaymentReminderQuerySet:
        return self.filter(owner=user)

    def awaiting_approval(self) -> PaymentReminderQuerySet:
        return self.filter(state=PaymentReminder.State.PROPOSED)


class PaymentReminder(models.Model):
    """One reminder of one overdue invoice: prepared when its day comes, approved (or sent by itself), sent once.

    The steps are counted from the invoice's due date at the time (`due_basis`): a renegotiated due date starts
    a new sequence, and the old one stops.
    """

    class Step(models.IntegerChoices):
        COURTEOUS = 1, _("courteous reminder")
        FIRM = 2, _("firmer reminder")
        FORMAL_NOTICE = 3, _("formal notice")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("awaiting your approval")
        APPROVED = "approved", _("approved, being sent")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("not sent (your choice)")
        STOPPED = "stopped", _("stopped")

    class StopReason(models.TextChoices):
        PAID = "paid", _("the invoice was paid")
        RENEGOTIATED = "renegotiated", _("a new due date was agreed")
        DISPUTED = "disputed", _("a payment conflict is open")
        NO_EMAIL = "no_email", _("the client has no email address")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("invoice")
    )
    step = models.PositiveSmallIntegerField(_("step"), choices=Step)
    due_basis = models.DateField(_("counted from the due date"), validators=[validate_day_in_window])
    due_on = models.DateField(_("due on"), validators=[validate_day_in_window])
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PROPOSED)
    stop_reason = models.CharField(_("why it stopped"), max_length=12, choices=StopReason, blank=True)
    dispatch = models.OneToOneField(
        Dispatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="payment_reminder"
    )
    interaction = models.OneToOneField(
        Interaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="payment_reminder"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = PaymentReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment reminder")
        verbose_name_plural = _("payment reminders")
        ordering = ["due_on", "invoice_id", "step"]
        constraints = [
            # The planner may run any number of times (and in two beats at once): each step is written once.
            models.UniqueConstraint(
                fields=["invoice", "step", "due_basis"], name="payment_reminder_once_per_step"
            ),
            CheckConstraint(condition=Q(step__gte=1, step__lte=3), name="payment_reminder_step_1_3"),
            CheckConstraint(
                condition=Q(state="stopped") ^ Q(stop_reason=""), name="payment_reminder_stop_has_reason"
            ),
            window_constraint("payment_reminder", "due_on"),
        ]
        indexes = [
            # The approval page and the dashboard's count: WHERE owner_id = ? AND state = 'proposed'.
            models.Index(fields=["owner", "state"], name="payment_reminder_owner_idx"),
            # The planner's stop pass, every minute: WHERE state IN (proposed, approved), then each one's invoice
            # and basis read from the index alone (not the table's rows).
            models.Index(fields=["state", "invoice", "due_basis"], name="payment_reminder_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} step {self.step} ({self.state})"

    def stop_reason_now(self, open_payment_conflict: bool) -> str:
        """Return why this reminder must not go out now ("" when it may)."""
        invoice = self.invoice
        if invoice.paid_on is not None:
            return self.StopReason.PAID
        if invoice.effective_due_on != self.due_basis:
            return self.StopReason.RENEGOTIATED
        if open_payment_conflict:
            return self.StopReason.DISPUTED
        if not invoice.client.email:
            return self.StopReason.NO_EMAIL
        return ""

    @property
    def is_formal_notice(self) -> bool:
        return self.step == self.Step.FORMAL_NOTICE

    def lateness(self, today: date) -> int:
        """Return how many days the invoice is late on `today`, counted from the due date this reminder was
        prepared against (`crm.core.rules.days_late`)."""
        return rules.days_late(self.due_basis, today)
