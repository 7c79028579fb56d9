"""The outbox's registry: every kind of `Dispatch`, what builds its message and what follows its send.

One fixed list, read by `crm/reminders/outbox.py`, which imports no kind module but through this one: a new kind
is a builder and an after-send step in its own module and one line here. Every builder renders an email triple
of `templates/emails/` with `crm.reminders.emails.render_email`; a kind sent over another transport (the
freelancer's own SMTP server) gives the email that connection.

- build(dispatch, now): the email, or None when there is nothing to send (the row is then "skipped");
- after_send(dispatch, email, sent_at): what the send changes (a reminder marked sent and logged in the journal),
  run once, after the row is recorded sent; a failure there is logged, never turned into a second send;
- screen(rows, now, failures): optional, at the sweep: settle as skipped the new rows with nothing to send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.mail import EmailMessage

from crm.models import Dispatch
from crm.recaps import sending as recaps
from crm.reminders import check_ins, digest, payment_follow_up, status_updates


@dataclass(frozen=True)
class DispatchKind:
    build: Callable[[Dispatch, datetime], EmailMessage | None]
    after_send: Callable[[Dispatch, Any, datetime], object] | None = None
    screen: Callable[[list[Dispatch], datetime, dict[int, str]], list[Dispatch]] | None = None


KINDS: dict[str, DispatchKind] = {
    # To the freelancer, at their weekday and hour.
    Dispatch.Kind.DIGEST: DispatchKind(build=digest.message),
    # To the freelancer, daily at their hour, only when a status update is due.
    Dispatch.Kind.NUDGE: DispatchKind(
        build=status_updates.nudge, screen=status_updates.skip_nudges_with_nothing_due
    ),
    # To a client about an overdue invoice; once sent, the reminder is marked sent and logged in the journal.
    Dispatch.Kind.PAYMENT_REMINDER: DispatchKind(
        build=payment_follow_up.message, after_send=payment_follow_up.record_sent
    ),
    # To a client, as the freelancer edited it, through the freelancer's own SMTP server (crm/capture/sending.py).
    Dispatch.Kind.UPDATE: DispatchKind(
        build=status_updates.sent_update, after_send=status_updates.update_sent
    ),
    # To a client, at the cadence the freelancer chose: "How is our work going?", with their page's link.
    Dispatch.Kind.CHECK_IN: DispatchKind(build=check_ins.invitation),
    # To the freelancer, at once: the client said "something bothers me" on their page.
    Dispatch.Kind.CLIENT_SIGNAL: DispatchKind(build=check_ins.alert),
    # To a client, the recap of a call or meeting: from the freelancer's mailbox when capture can send, else the
    # app's (crm/recaps/sending.py); once sent, the recap is stamped.
    Dispatch.Kind.RECAP: DispatchKind(build=recaps.message, after_send=recaps.record_sent),
}
