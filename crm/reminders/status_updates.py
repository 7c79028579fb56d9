"""Status updates ("faire le point régulièrement"): the prepared draft, the daily nudge that lists the drafts due
(the outbox's "nudge" kind) and the status update sent from the app through the freelancer's own SMTP server (its
"update" kind). Both kinds are registered in crm/reminders/kinds.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone, translation

from clients.models import Client, Project
from crm.capture import sending
from crm.models import ClientPage, Dispatch, Interaction, OutgoingStatusUpdate, Promise
from crm.reminders.digest import clients_due_for_status_update
from crm.reminders.emails import absolute, preferences_context, render_email, render_text


def status_update_draft(client: Client, now: datetime) -> tuple[str, str]:
    """Return the (subject, body) of a status update for `client`, in the client's language.

    It restates the goals of the active projects, lists what was delivered since the last status update,
    and the open promises (the freelancer's and the client's) with their due dates.
    """
    profile = client.owner.profile
    zone = profile.zone
    since = client.last_status_update_at or client.created_at
    projects = list(
        client.projects.filter(status__in=[Project.Status.ACTIVE, Project.Status.PROPOSED]).order_by("pk")
    )
    deliveries = list(
        client.interactions.filter(kind=Interaction.Kind.DELIVERY, happened_at__gt=since)
        .select_related("project")
        .order_by("happened_at", "pk")
    )
    promises = list(client.promises.open().order_by("due_on", "pk"))
    page = ClientPage.objects.filter(client=client, is_on=True).first()
    token = page.token if page else None  # None for a link that cannot be shown again (crm/core/links.py)
    context = {
        "client": client,
        "freelancer": profile.client_facing_name,
        "identity": profile,
        "projects": projects,
        "deliveries": deliveries,
        "my_promises": [p for p in promises if p.promisor == Promise.Promisor.FREELANCER],
        "their_promises": [p for p in promises if p.promisor == Promise.Promisor.CLIENT],
        "today": timezone.localtime(now, zone).date(),
        "since": timezone.localtime(since, zone).date(),
        # The client's private page (crm/portal), when its link is on: the update points to it.
        "client_page_url": absolute(reverse("portal:page", kwargs={"token": token})) if token else "",
    }
    with translation.override(client.language), timezone.override(zone):
        return render_text("status-update", context)


def mailto_link(address: str, subject: str, body: str) -> str:
    """Return a `mailto:` URI (RFC 6068) that opens the draft in the freelancer's mail client."""
    body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    return f"mailto:{quote(address, safe='@')}?subject={quote(subject, safe='')}&body={quote(body, safe='')}"


# -- the nudge (the outbox's "nudge" kind) ------------------------------------------------------------------------


def skip_nudges_with_nothing_due(
    rows: list[Dispatch], now: datetime, failures: dict[int, str]
) -> list[Dispatch]:
    """Mark as skipped the new nudges of freelancers with no status update due, so the day is settled once; return
    the rows to write.

    One query over `client_update_listed_idx`: the freelancers with a client whose status update is listed
    (`Client.status_update_listed_at <= now`, the instant `crm.core.rules.status_update_listed` becomes true in
    their time zone, kept by the journal's door). The rest of their books is not read."""
    nudges = {row.owner_id: row for row in rows if row.kind == Dispatch.Kind.NUDGE}
    if not nudges:
        return rows
    listed = set(
        Client.objects.filter(owner_id__in=nudges, status_update_listed_at__lte=now)
        .order_by()
        .values_list("owner_id", flat=True)
        .distinct()
    )
    for owner_id, row in nudges.items():
        if owner_id not in listed:
            row.state = Dispatch.State.SKIPPED
    return rows


def nudge(dispatch: Dispatch, now: datetime) -> EmailMultiAlternatives | None:
    """Return the nudge email of a dispatch (its owner loaded with the profile by the claim), or None."""
    return nudge_message(dispatch.owner, now) if dispatch.owner.email else None


def nudge_message(owner: Any, now: datetime) -> EmailMultiAlternatives | None:
    """Return the status-update nudge of `owner` with a draft per client due, or None when none is due."""
    profile = owner.profile
    if not profile.nudges_enabled:
        return None
    zone = profile.zone
    # Only the clients listed (`status_update_listed_at`, crm/payments/due.py), checked again by the rule itself.
    clients = list(Client.objects.for_owner(owner).filter(status_update_listed_at__lte=now).with_absences())
    due = clients_due_for_status_update(clients, profile.local_today(now), zone)
    if not due:
        return None
    items = []
    for item in due:
        subject, body = status_update_draft(item.client, now)
        prepare = absolute(reverse("web:status_update_draft", kwargs={"client_id": item.client.pk}))
        items.append({"due": item, "subject": subject, "body": body, "prepare_url": prepare})
    today = profile.local_today(now)
    # The promises left open long past due (the freelancer's and the client's): the nudge asks to settle them.
    to_settle = list(
        Promise.objects.for_owner(owner).to_settle(today).select_related("client").order_by("due_on", "pk")
    )
    for promise in to_settle:
        promise.days_late = promise.days_overdue(today)
    context, headers = preferences_context(owner, Dispatch.Kind.NUDGE)
    context.update(profile=profile, items=items, today=today, to_settle=to_settle)
    with translation.override(profile.language), timezone.override(zone):
        return render_email("nudge", context, to=[owner.email], headers=headers)


# -- a status update sent from the app (the outbox's "update" kind) ----------------------------------------------


def sent_update(dispatch: Dispatch, now: datetime) -> EmailMultiAlternatives | None:
    """Return the status update as the freelancer edited it, from their address, over their own SMTP server;
    None (skipped) when the mailbox can no longer send, the client has no address, or it was taken back."""
    update = OutgoingStatusUpdate.objects.select_related("client", "dispatch").get(dispatch=dispatch)
    found = sending.transport(dispatch.owner_id)
    if found is None or not update.to or sending.taken_back(update):
        return None
    box, connection = found
    context = {"subject": update.subject, "body": update.body}
    with translation.override(update.client.language):
        return render_email(
            "status-update-sent",
            context,
            to=[update.to],
            from_email=dispatch.owner.profile.sender(box.address),
            headers={"Message-ID": update.message_id},
            connection=connection,
        )


def update_sent(dispatch: Dispatch, message: Any, sent_at: datetime) -> None:
    """After the send: the journal already holds the status update (logged by the action); stamp the moment."""
    sending.mark_sent(OutgoingStatusUpdate.objects.select_related("dispatch").get(dispatch=dispatch), sent_at)
