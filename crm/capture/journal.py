"""Kept messages into the journal: one email interaction per message, once per freelancer, answers linked.

1. Messages already kept (the (owner, Message-ID) unique constraint) are skipped: a second sync, a folder whose
   UIDVALIDITY changed, an import of a file already synced, or the status update sent from the app and met
   again in the sent folder, log nothing twice.
2. Each message becomes an interaction (email, from or to the client); an outgoing one whose subject holds the
   freelancer's keyword is a status update, which restarts the cadence.
3. An answer is linked to the message it answers, the nearest known one of its thread (In-Reply-To, then
   References, newest first), when that one is of the same client, from the other side and earlier (one of
   the same side makes it a follow-up, not an answer); and a kept message answered by a newcomer is linked
   the other way. Responsiveness then reads true reply times in both directions.
   An auto-reply or a mailing (crm.capture.automatic, RFC 3834) is logged marked as such (`Interaction.automatic`)
   and never linked, neither as an answer nor as what is answered: an out-of-office message is no answer, and
   neither counts as a contact. An auto-reply announcing an absence carries the day it ends as a suggestion.
4. Trust health follows: each client touched is rescored once per batch (once per sync for a sync), not
   once per message.
A batch is written in one transaction: kept in full, or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from crm.capture.automatic import away_until_in
from crm.capture.messages import Facts
from crm.core.dates import END_MOMENT, FIRST_MOMENT
from crm.models import CapturedMessage, Interaction
from crm.models.journal import SUMMARY_LENGTH, truncate_code_points
from crm.trust.door import journal_changed


@dataclass
class Placed:
    """A message the privacy sieve kept, with its client and direction."""

    facts: Facts
    client_id: int
    direction: str
    contact_id: int | None = None


def is_status_update(facts: Facts, direction: str, keyword: str) -> bool:
    """Return True for an outgoing message whose subject holds the freelancer's status-update keyword."""
    keyword = keyword.strip().casefold()
    return (
        bool(keyword) and direction == Interaction.Direction.TO_CLIENT and keyword in facts.subject.casefold()
    )


def _summary(facts: Facts) -> str:
    text = facts.subject or "(no subject)"
    if facts.snippet:
        text = f"{text}\n\n{facts.snippet}"
    return truncate_code_points(text, SUMMARY_LENGTH)


def _away_until(facts: Facts) -> Any:
    """Return the last day of the absence an auto-reply announces (in its subject or kept snippet), or None."""
    if facts.automatic != Interaction.Automatic.AUTO_REPLY:
        return None
    return away_until_in(f"{facts.subject}\n{facts.snippet}", facts.sent_at.date())


def _answerable(parent: tuple[int, int, str, datetime], client_id: int, direction: str, at: datetime) -> bool:
    _interaction_id, parent_client, parent_direction, parent_at = parent
    return parent_client == client_id and parent_direction != direction and parent_at <= at


def record(
    owner: Any,
    placed: list[Placed],
    *,
    status_keyword: str = "",
    now: datetime | None = None,
    touched: set[int] | None = None,
) -> int:
    """Log the new messages of `placed` in `owner`'s journal; return how many were logged.

    The clients touched are rescored at once, or, when a `touched` set is given (a sync of many batches),
    added to it for the caller to rescore once at the end (`rescore`). Retried once when another writer (an
    import beside a sync) kept one of the same messages meanwhile.
    """
    now = now or timezone.now()
    mine: set[int] = set()
    try:
        logged = _record(owner, placed, status_keyword, now, mine)
    except IntegrityError:
        mine.clear()
        logged = _record(owner, placed, status_keyword, now, mine)
    if touched is None:
        rescore(mine, now)
    else:
        touched |= mine
    return logged


def rescore(client_ids: set[int], now: datetime | None = None) -> None:
    """Refresh the contact clocks and trust health of the given clients: the journal's door, once for all."""
    journal_changed(client_ids, now=now)


@transaction.atomic
def _record(owner: Any, placed: list[Placed], status_keyword: str, now: datetime, touched: set[int]) -> int:
    fresh: dict[str, Placed] = {}
    for item in placed:
        if FIRST_MOMENT <= item.facts.sent_at < END_MOMENT:
            fresh.setdefault(item.facts.message_id, item)
    if not fresh:
        return 0
    seen = set(
        CapturedMessage.objects.filter(owner=owner, message_id__in=list(fresh)).values_list(
            "message_id", flat=True
        )
    )
    items = sorted((p for mid, p in fresh.items() if mid not in seen), key=lambda p: p.facts.sent_at)
    if not items:
        return 0
    # The kept messages these may answer: (interaction, client, direction, time) by Message-ID (none sent by a
    # machine: an auto-reply is not answered, it answers nothing).
    wanted = {parent for item in items if not item.facts.automatic for parent in item.facts.thread_parents}
    parents: dict[str, tuple[int, int, str, datetime]] = {
        mid: (interaction_id, client_id, direction, at)
        for mid, interaction_id, client_id, direction, at in CapturedMessage.objects.filter(
            owner=owner, message_id__in=list(wanted), interaction__isnull=False, interaction__automatic=""
        ).values_list("message_id", "interaction_id", "client_id", "direction", "sent_at")
    }
    interactions = [
        Interaction(
            client_id=item.client_id,
            contact_id=item.contact_id,
            kind=(
                Interaction.Kind.STATUS_UPDATE
                if not item.facts.automatic and is_status_update(item.facts, item.direction, status_keyword)
                else Interaction.Kind.EMAIL
            ),
            direction=item.direction,
            # A sender's clock set in the future does not log a message that has not happened yet.
            happened_at=min(item.facts.sent_at, now),
            summary=_summary(item.facts),
            automatic=item.facts.automatic,
            away_until_suggested=_away_until(item.facts),
        )
        for item in items
    ]
    bulk_create_with_history(interactions, Interaction, batch_size=500)
    answered: list[Interaction] = []
    for item, interaction in zip(items, interactions, strict=True):
        if item.facts.automatic:
            continue
        # The parent is the nearest known message of the thread; one from the same side means a follow-up.
        known = [parents[mid] for mid in item.facts.thread_parents if mid in parents]
        if known and _answerable(known[0], item.client_id, item.direction, interaction.happened_at):
            interaction.answers_id = known[0][0]
            answered.append(interaction)
        # Later messages of this batch may answer this one.
        parents[item.facts.message_id] = (
            interaction.pk,
            item.client_id,
            item.direction,
            interaction.happened_at,
        )
    if answered:
        Interaction.objects.bulk_update(answered, ["answers"], batch_size=500)
    CapturedMessage.objects.bulk_create(
        [
            CapturedMessage(
                owner=owner,
                message_id=item.facts.message_id,
                interaction=interaction,
                client_id=item.client_id,
                direction=item.direction,
                sent_at=item.facts.sent_at,
                sender=item.facts.sender,
                recipients="\n".join(item.facts.recipients),
                subject=item.facts.subject,
                in_reply_to=item.facts.in_reply_to,
                references="\n".join(item.facts.references),
                snippet=item.facts.snippet,
            )
            for item, interaction in zip(items, interactions, strict=True)
        ],
        batch_size=500,
    )
    _link_earlier_answers(
        owner,
        {item.facts.message_id: parents[item.facts.message_id] for item in items if not item.facts.automatic},
    )
    touched |= {item.client_id for item in items}
    return len(items)


def _link_earlier_answers(owner: Any, new: dict[str, tuple[int, int, str, datetime]]) -> None:
    """Link kept messages that answer one of `new` (read before it: the inbox before the sent folder)."""
    if not new:
        return
    waiting = CapturedMessage.objects.filter(
        owner=owner,
        in_reply_to__in=list(new),
        interaction__isnull=False,
        interaction__answers__isnull=True,
        interaction__automatic="",
    ).values_list("interaction_id", "in_reply_to", "client_id", "direction", "sent_at")
    for interaction_id, in_reply_to, client_id, direction, at in waiting:
        parent = new[in_reply_to]
        if parent[0] != interaction_id and _answerable(parent, client_id, direction, at):
            Interaction.objects.filter(pk=interaction_id, answers__isnull=True).update(answers_id=parent[0])
