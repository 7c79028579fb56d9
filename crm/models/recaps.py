"""Recaps: what was decided in a call or a meeting, who promised what by when, and what stays open, written down
and sent to the client, who confirms it or corrects a line on their page ("je dis – je fais", written).

Each line of a recap is a `Promise` of the journal (the freelancer's or the client's), so it is kept, broken or
dropped like any other; the line holds what the client answered about it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.models import BookHistory, Client, OwnedThroughClient, OwnedThroughClientQuerySet
from crm.core.checks import CheckConstraint
from crm.core.dates import validate_moment_in_window, window_constraint
from crm.models.journal import SUMMARY_LENGTH, Interaction, Promise, truncate_code_points

# A recap is written after a spoken exchange: a call or a meeting (a video call is logged as a meeting).
RECAP_KINDS = (Interaction.Kind.CALL, Interaction.Kind.MEETING)
# What a recap's texts may hold: a recap is short, or it is not read.
RECAP_TEXT_LENGTH = 2000
CORRECTION_LENGTH = 1000
# A recap the client has not answered this many days after it was written shows on the dashboard as something to
# clarify (docs/trust-model.md, "Recaps"): a week is the cadence most freelancers agree on.
RECAP_CLARIFY_AFTER_DAYS = 7


class RecapQuerySet(OwnedThroughClientQuerySet):
    def for_owner(self, user: object) -> RecapQuerySet:
        return self.filter(owner=user)

    def awaiting_answer(self) -> RecapQuerySet:
        return self.filter(answered_at__isnull=True)

    def unanswered_written_by(self, moment: datetime) -> RecapQuerySet:
        """Return the recaps written at `moment` or before and still unanswered, oldest first: the recaps to
        clarify, since `clarify_written_by(now)` (the dashboard's read, compiled once, takes the moment as a
        value)."""
        return self.awaiting_answer().filter(written_at__lte=moment).order_by("written_at", "pk")


def clarify_written_by(now: datetime) -> datetime:
    """Return when a recap still unanswered at `now` must have been written to be something to clarify
    (RECAP_CLARIFY_AFTER_DAYS before)."""
    return now - timedelta(days=RECAP_CLARIFY_AFTER_DAYS)


class Recap(OwnedThroughClient):
    """The written trace of one call or meeting, sent to the client to confirm."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="recaps", verbose_name=_("client")
    )
    interaction = models.OneToOneField(
        Interaction, on_delete=models.CASCADE, related_name="recap", verbose_name=_("call or meeting")
    )
    decided = models.TextField(_("what was decided"), max_length=RECAP_TEXT_LENGTH, blank=True)
    open_questions = models.TextField(_("open questions"), max_length=RECAP_TEXT_LENGTH, blank=True)
    written_at = models.DateTimeField(
        _("written at"), default=timezone.now, validators=[validate_moment_in_window]
    )
    # When the email left (the outbox's "recap" kind); None while it waits, or when the client has no address.
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    # The client confirmed the recap as a whole (every line not answered yet is confirmed with it).
    confirmed_at = models.DateTimeField(
        _("confirmed by the client at"), null=True, blank=True, editable=False
    )
    # Every line answered (confirmed or corrected), or the whole confirmed: no longer something to clarify.
    answered_at = models.DateTimeField(_("answered by the client at"), null=True, blank=True, editable=False)

    history = BookHistory()

    objects = RecapQuerySet.as_manager()

    class Meta:
        verbose_name = _("recap")
        verbose_name_plural = _("recaps")
        ordering = ["-written_at", "-pk"]
        constraints = [
            window_constraint("recap", "written_at", moment=True),
            CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(answered_at__isnull=False),
                name="recap_confirmed_is_answered",
            ),
        ]
        indexes = [
            # The dashboard's "to clarify": WHERE owner = ? AND answered_at IS NULL AND written_at <= ?.
            models.Index(fields=["owner", "answered_at", "written_at"], name="recap_owner_answer_idx"),
        ]

    def __str__(self) -> str:
        return gettext("Recap of %(what)s") % {"what": self.interaction}

    def clean(self) -> None:
        if self.interaction_id and self.client_id and self.interaction.client_id != self.client_id:
            raise ValidationError({"interaction": _("This call belongs to another client.")})
        if self.confirmed_at is not None and self.answered_at is None:
            raise ValidationError({"answered_at": _("A confirmed recap is answered.")})

    @property
    def period(self) -> str:
        """The outbox row's period (`Dispatch`: unique per owner and kind)."""
        return f"rc{self.pk}"

    def is_to_clarify(self, now: datetime) -> bool:
        return self.answered_at is None and self.written_at <= clarify_written_by(now)

    def confirm(self, at: datetime) -> list[RecapLine]:
        """Record that the client confirmed the whole recap: every line not answered yet is confirmed; return
        those lines. Confirming again changes nothing (a double click)."""
        with transaction.atomic():
            recap = Recap.objects.select_for_update().get(pk=self.pk)
            if recap.confirmed_at is not None:
                return []
            lines = list(self.lines.select_for_update().filter(answer=RecapLine.Answer.AWAITING))
            for line in lines:  # one by one: each line's history says when the client confirmed it
                line.client = self.client
                line.answer, line.answered_at = RecapLine.Answer.CONFIRMED, at
                line.save(update_fields=["answer", "answered_at"])
            self.confirmed_at, self.answered_at = at, recap.answered_at or at
            self.save(update_fields=["confirmed_at", "answered_at"])
        return lines

    def settle_if_answered(self, at: datetime) -> None:
        """Mark the recap answered once every line is (the client answered them one by one)."""
        if self.answered_at is None and not self.lines.filter(answer=RecapLine.Answer.AWAITING).exists():
            self.answered_at = at
            self.save(update_fields=["answered_at"])


class RecapLine(OwnedThroughClient):
    """One line of a recap: a promise made in the call, and what the client answered about it."""

    class Answer(models.TextChoices):
        AWAITING = "", _("awaiting the client's answer")
        CONFIRMED = "confirmed", _("confirmed by the client")
        CORRECTED = "corrected", _("corrected by the client")

    recap = models.ForeignKey(Recap, on_delete=models.CASCADE, related_name="lines", verbose_name=_("recap"))
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("client"))
    promise = models.OneToOneField(
        Promise, on_delete=models.CASCADE, related_name="recap_line", verbose_name=_("promise")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    answer = models.CharField(_("the client's answer"), max_length=10, choices=Answer, blank=True, default="")
    answered_at = models.DateTimeField(
        _("answered at"), null=True, blank=True, validators=[validate_moment_in_window]
    )
    correction = models.TextField(_("the client's correction"), max_length=CORRECTION_LENGTH, blank=True)
    # The correction as the journal holds it: a message from the client, shown in the timeline and the digest.
    correction_interaction = models.ForeignKey(
        Interaction,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="corrected_recap_lines",
        verbose_name=_("correction message"),
    )

    history = BookHistory()

    objects = OwnedThroughClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("recap line")
        verbose_name_plural = _("recap lines")
        ordering = ["recap", "position", "pk"]
        constraints = [
            CheckConstraint(
                condition=Q(answer__in=["", "confirmed", "corrected"]), name="recapline_answer_valid"
            ),
            # An answer has its time, a correction its text.
            CheckConstraint(
                condition=(Q(answer="") & Q(answered_at__isnull=True))
                | (~Q(answer="") & Q(answered_at__isnull=False)),
                name="recapline_answer_has_time",
            ),
            CheckConstraint(
                condition=~Q(answer="corrected") | ~Q(correction=""), name="recapline_correction_has_text"
            ),
            window_constraint("recapline", "answered_at", moment=True, nullable=True),
        ]

    def __str__(self) -> str:
        return str(self.promise)

    def clean(self) -> None:
        """Refuse what the constraints refuse: an answer without its time (or a time without an answer), a
        correction without its text, a line of another client's recap or promise."""
        if (self.answer == self.Answer.AWAITING) != (self.answered_at is None):
            raise ValidationError({"answered_at": _("An answer has its time, and only an answer has one.")})
        if self.answer == self.Answer.CORRECTED and not self.correction.strip():
            raise ValidationError({"correction": _("Write what should be corrected.")})
        if self.client_id and self.recap_id and self.recap.client_id != self.client_id:
            raise ValidationError({"recap": _("This recap belongs to another client.")})
        if self.client_id and self.promise_id and self.promise.client_id != self.client_id:
            raise ValidationError({"promise": _("This promise belongs to another client.")})

    def confirm(self, at: datetime) -> bool:
        """Record that the client confirmed this line; False when it was answered already (nothing changes)."""
        with transaction.atomic():
            line = RecapLine.objects.select_for_update().get(pk=self.pk)
            if line.answer != self.Answer.AWAITING:
                return False
            self.answer, self.answered_at = self.Answer.CONFIRMED, at
            self.save(update_fields=["answer", "answered_at"])
            self.recap.settle_if_answered(at)
        return True

    def correct(self, text: str, at: datetime) -> Interaction | None:
        """Record the client's correction of this line as a message from the client in the journal; return it,
        or None when the line was answered already."""
        text = text.strip()
        with transaction.atomic():
            line = RecapLine.objects.select_for_update().get(pk=self.pk)
            if line.answer != self.Answer.AWAITING:
                return None
            message = Interaction.objects.create(
                client_id=self.client_id,
                project_id=self.recap.interaction.project_id,
                kind=Interaction.Kind.MESSAGE,
                direction=Interaction.Direction.FROM_CLIENT,
                happened_at=at,
                summary=truncate_code_points(self.correction_summary(text), SUMMARY_LENGTH),
            )
            self.answer, self.answered_at, self.correction = self.Answer.CORRECTED, at, text
            self.correction_interaction = message
            self.save(update_fields=["answer", "answered_at", "correction", "correction_interaction"])
            self.recap.settle_if_answered(at)
        return message

    def correction_summary(self, text: str) -> str:
        """Return the journal's line for a correction, in the freelancer's language (it is their journal)."""
        recap = self.recap
        profile = recap.client.owner.profile
        with translation.override(profile.language):
            day = date_format(timezone.localtime(recap.interaction.happened_at, profile.zone).date())
            return gettext("Correction to the recap of %(day)s — “%(line)s”: %(text)s") % {
                "day": day,
                "line": self.promise.description,
                "text": text,
            }


__all__ = ["RECAP_CLARIFY_AFTER_DAYS", "RECAP_KINDS", "Recap", "RecapLine"]
