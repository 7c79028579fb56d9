"""Status updates ("faire le point régulièrement"): the prepared draft, and logging one as sent."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone, translation

from clients.models import Client, Project
from crm.models import ClientPage, Interaction, Promise
from crm.reminders.emails import absolute, render_text


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
    context = {
        "client": client,
        "freelancer": profile.name,
        "projects": projects,
        "deliveries": deliveries,
        "my_promises": [p for p in promises if p.promisor == Promise.Promisor.FREELANCER],
        "their_promises": [p for p in promises if p.promisor == Promise.Promisor.CLIENT],
        "today": timezone.localtime(now, zone).date(),
        "since": timezone.localtime(since, zone).date(),
        # The client's private page (crm/portal), when its link is on: the update points to it.
        "client_page_url": absolute(reverse("portal:page", kwargs={"token": page.token})) if page else "",
    }
    with translation.override(client.language), timezone.override(zone):
        return render_text("status-update", context)


def mailto_link(address: str, subject: str, body: str) -> str:
    """Return a `mailto:` URI (RFC 6068) that opens the draft in the freelancer's mail client."""
    body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    return f"mailto:{quote(address, safe='@')}?subject={quote(subject, safe='')}&body={quote(body, safe='')}"
