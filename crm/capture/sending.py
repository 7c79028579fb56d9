"""Status updates sent from the app, as the freelancer edited them, through their own SMTP server.

The send goes through the reminders' outbox (crm/reminders/outbox.py), so it happens exactly once: the view
writes an `OutgoingStatusUpdate` and its `Dispatch` (kind "update", queued) in one transaction; the worker
claims the dispatch, builds the message here, sends it, and calls `log_sent`, which logs the status update
(the cadence restarts) and keeps its Message-ID, so the sync meeting it again in the sent folder logs nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from email.utils import make_msgid
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend
from django.db import transaction
from django.utils import timezone

from clients.models import Client
from crm.capture.connection import TIMEOUT, smtp_endpoint
from crm.models import CapturedMessage, Dispatch, Interaction, Mailbox, OutgoingStatusUpdate
from crm.trust.door import journal_changed


def prepare(owner: Any, client: Client, subject: str, body: str, now: datetime) -> OutgoingStatusUpdate:
    """Write the status update and its queued dispatch; the caller hands the dispatch to the broker."""
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
        return OutgoingStatusUpdate.objects.create(
            dispatch=dispatch,
            client=client,
            to=client.email,
            subject=subject,
            body=body,
            message_id=make_msgid(domain=domain),
        )


def message(dispatch: Dispatch) -> EmailMessage | None:
    """Return the email of a status-update dispatch, with a connection to the freelancer's SMTP server."""
    update = OutgoingStatusUpdate.objects.select_related("client").get(dispatch=dispatch)
    box = Mailbox.objects.filter(owner_id=dispatch.owner_id).first()
    if box is None or not box.can_send or not update.to:
        return None  # disconnected meanwhile, or the client has no address: skipped
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
    return EmailMessage(
        subject=update.subject,
        body=update.body,
        from_email=box.address,
        to=[update.to],
        headers={"Message-ID": update.message_id},
        connection=connection,
    )


def log_sent(dispatch: Dispatch, now: datetime | None = None) -> Interaction:
    """Log the sent status update in the journal (restarting the cadence) and keep its Message-ID."""
    now = now or timezone.now()
    update = OutgoingStatusUpdate.objects.select_related("client").get(dispatch=dispatch)
    with transaction.atomic():
        logged = Interaction.objects.log_status_update(update.client, update.subject, update.body, now)
        journal_changed([update.client_id], now=now)
        CapturedMessage.objects.get_or_create(
            owner_id=dispatch.owner_id,
            message_id=update.message_id,
            defaults={
                "interaction": logged,
                "client": update.client,
                "direction": Interaction.Direction.TO_CLIENT,
                "sent_at": now,
                "sender": Mailbox.objects.filter(owner_id=dispatch.owner_id)
                .values_list("address", flat=True)
                .first()
                or "",
                "recipients": update.to,
                "subject": update.subject[:500],
            },
        )
    return logged
