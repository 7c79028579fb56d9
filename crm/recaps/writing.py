"""Write a recap and its promises, once, in one transaction; hand its email to the outbox; record the client's
answers. The rules every face applies (the web form, the API, the client's page) live here, once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.days import local_day
from crm.models import Dispatch, Interaction, Promise, Recap, RecapLine
from crm.models.recaps import RECAP_KINDS
from crm.reminders.tasks import enqueue
from crm.trust.door import journal_changed

logger = logging.getLogger(__name__)

# A recap is short: past ten promises, it is a plan, not a recap.
MOST_LINES = 10


@dataclass(frozen=True)
class Line:
    """One line of a recap as typed: who promised, what, by when."""

    promisor: str
    description: str
    due_on: date


def made_on(interaction: Interaction) -> date:
    """Return the day the recap's promises were made: the call's local day, in the freelancer's time zone."""
    return local_day(interaction.happened_at, interaction.client.owner.profile.zone)


def check(interaction: Interaction, decided: str, open_questions: str, lines: list[Line]) -> None:
    """Raise ValidationError (field-keyed where a field is at fault) unless these make a recap of `interaction`."""
    if interaction.kind not in RECAP_KINDS:
        raise ValidationError(
            {"interaction": _("A recap follows a call or a meeting: this interaction is neither.")},
            code="not_spoken",
        )
    if Recap.objects.filter(interaction=interaction).exists():
        raise ValidationError({"interaction": _("This call already has its recap.")}, code="recap_exists")
    if len(lines) > MOST_LINES:
        raise ValidationError(
            {"lines": _("At most %(n)d promises per recap.") % {"n": MOST_LINES}}, code="too_many"
        )
    if not (decided.strip() or open_questions.strip() or lines):
        raise ValidationError(
            _("Write what was decided, a promise or an open question: an empty recap says nothing."),
            code="empty",
        )
    first = made_on(interaction)
    for line in lines:
        if line.due_on < first:
            raise ValidationError(
                {"lines": _("A promise made in this call cannot be due before the call's day.")},
                code="due_before_call",
            )


def write(
    interaction: Interaction,
    decided: str,
    open_questions: str,
    lines: list[Line],
    now: datetime | None = None,
) -> Recap:
    """Write the recap of `interaction` with a promise per line, in one transaction, through the journal's door
    once; queue its email to the client (when the client has an address). Raise ValidationError, writing
    nothing, when `check` refuses."""
    now = now or timezone.now()
    client = interaction.client
    with transaction.atomic():
        # One recap per call, even for two posts at once: the second waits here, then finds the first.
        locked = Interaction.objects.select_for_update().get(pk=interaction.pk)
        locked.client = client  # loaded with its owner's profile by the caller
        interaction = locked
        check(interaction, decided, open_questions, lines)
        recap = Recap(
            client=client,
            interaction=interaction,
            decided=decided.strip(),
            open_questions=open_questions.strip(),
            written_at=now,
        )
        recap.full_clean(exclude=["interaction"])
        recap.save()
        day = made_on(interaction)
        for position, line in enumerate(lines, start=1):
            promise = Promise(
                client=client,
                project_id=interaction.project_id,
                promisor=line.promisor,
                description=line.description.strip(),
                made_on=day,
                due_on=line.due_on,
            )
            promise.full_clean()
            promise.save()
            RecapLine.objects.create(recap=recap, client=client, promise=promise, position=position)
        dispatch = None
        if client.email:
            dispatch = Dispatch.objects.create(
                owner=client.owner,
                kind=Dispatch.Kind.RECAP,
                period=recap.period,
                state=Dispatch.State.QUEUED,
                due_at=now,
                queued_at=now,
            )
        journal_changed([client.pk], now=now)
    if dispatch is not None:
        enqueue([dispatch.pk])  # after the commit (delay_on_commit)
    return recap


def confirm_recap(recap: Recap, now: datetime) -> bool:
    """The client confirmed the whole recap: through the door when it changed anything; return whether it did."""
    if recap.confirmed_at is not None:
        return False
    recap.confirm(now)
    journal_changed([recap.client_id], now=now)
    return True


def confirm_line(line: RecapLine, now: datetime) -> bool:
    """The client confirmed one line: through the door when it changed anything; return whether it did."""
    if not line.confirm(now):
        return False
    journal_changed([line.client_id], now=now)
    return True


def correct_line(line: RecapLine, text: str, now: datetime) -> Interaction | None:
    """The client corrected one line (a message from the client in the journal): through the door; return it."""
    message = line.correct(text, now)
    if message is not None:
        journal_changed([line.client_id], now=now)
    return message


def lines_of(recaps: list[Recap]) -> dict[int, list[RecapLine]]:
    """Return the lines of these recaps with their promises, by recap id (one query)."""
    found: dict[int, list[RecapLine]] = {recap.pk: [] for recap in recaps}
    for line in (
        RecapLine.objects.filter(recap__in=recaps).select_related("promise").order_by("position", "pk")
    ):
        found[line.recap_id].append(line)
    return found


__all__ = [
    "MOST_LINES",
    "Line",
    "check",
    "confirm_line",
    "confirm_recap",
    "correct_line",
    "lines_of",
    "write",
]
