"""Status updates sent from the app, as the freelancer edited them, through their own SMTP server: the rows and
the transport. The message itself is built and sent by the outbox like every other (crm/reminders/kinds.py:
the "update" kind), so it leaves exactly once.

The one "status update sent" action (`status_update_sent` in crm/web/views/actions.py) logs the status update
in the journal first (the cadence restarts, undo is offered) and, when asked to send, calls `prepare`: the
`OutgoingStatusUpdate`, its queued `Dispatch` and the `CapturedMessage` that ties its Message-ID to the logged
interaction, in one transaction, so the sync meeting the message in the sent folder logs nothing more.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from email.utils import make_msgid
from typing import Any

from django.core.mail.backends.smtp import EmailBackend
from django.db import transaction

from clients.models import Client
from crm.capture.connection import TIMEOUT, smtp_endpoint
from crm.models import CapturedMessage, Dispatch, Interaction, Mailbox, OutgoingStatusUpdate


def prepare(
    owner: Any, client: Client, subject: str, body: str, now: datetime, logged: Interaction
) -> OutgoingStatusUpdate:
    """Write the status update to send, its queued dispatch and its Message-ID tied to the interaction `logged`;
    the caller hands the dispatch to the broker after the commit."""
    box = Mailbox.objects.get(owner=owner)
    with transaction.atomic():
        dispatch = Dispatch.objects.create(
            owner=owner,
            kind=Dispatch.Kind.UPDATE,
            # Unique per send (the (owner, kind, period) constraint): a double click is stopped by the form's token.
            period=uuid.uuid4().hex[:16],
            state=Dispatch.State.QUEUED,
            due_at=now,
            queued_at=now,
        )
        domain = box.address.rpartition("@")[2] or "confiance.invalid"
        update = OutgoingStatusUpdate.objects.create(
            dispatch=dispatch,
            client=client,
            to=client.email,
            subject=subject,
            body=body,
            message_id=make_msgid(domain=domain),
        )
        CapturedMessage.objects.create(
            owner=owner,
            message_id=update.message_id,
            interaction=logged,
            client=client,
            direction=Interaction.Direction.TO_CLIENT,
            sent_at=now,
            sender=box.address,
            recipients=update.to,
            subject=subject[:500],
        )
    return update


def transport(owner_id: int) -> tuple[Mailbox, EmailBackend] | None:
    """Return the freelancer's mailbox and a connection to its SMTP server, or None when it cannot send."""
    box = Mailbox.objects.filter(owner_id=owner_id).first()
    if box is None or not box.can_send:
        return None
    endpoint = smtp_endpoint(box)
    connection = EmailBackend(
        host=endpoint.host,
        port=endpoint.port,
        username=endpoint.user or None,
        password=endpoint.password or None,
        use_tls=endpoint.security == "starttls",
        use_ssl=endpoint.security == "tls",
        timeout=TIMEOUT,
        fail_silently=False,
    )
    return box, connection


def taken_back(update: OutgoingStatusUpdate) -> bool:
    """Return True when the status update was taken back (undo) before it left: its interaction is gone."""
    return not CapturedMessage.objects.filter(
        owner_id=update.dispatch.owner_id, message_id=update.message_id, interaction__isnull=False
    ).exists()


def mark_sent(update: OutgoingStatusUpdate, sent_at: datetime) -> None:
    """Record when the message really left (the capture row was written with the moment it was asked for)."""
    CapturedMessage.objects.filter(owner_id=update.dispatch.owner_id, message_id=update.message_id).update(
        sent_at=sent_at
    )
