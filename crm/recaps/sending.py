"""A recap's email to the client: the outbox's "recap" kind (registered in crm/reminders/kinds.py), sent once.

From the freelancer's own mailbox when mail capture can send (crm/capture/sending.py: the client sees the
freelancer's address, and the sent folder keeps it), else from the app's address with the freelancer's as the
Reply-To and in copy, as a payment reminder is. In the client's language, signed with the business identity.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone, translation

from crm.capture import sending
from crm.models import ClientPage, Dispatch, Recap
from crm.reminders.emails import absolute, render_email


def recap_of(dispatch: Dispatch) -> Recap | None:
    """Return the recap a "recap" dispatch sends (its period is "rc<id>"), or None when it is gone."""
    number = dispatch.period.removeprefix("rc")
    if not number.isdigit():
        return None
    return (
        Recap.objects.filter(pk=int(number), owner_id=dispatch.owner_id)
        .select_related("client", "interaction", "owner__profile")
        .first()
    )


def email_context(recap: Recap) -> dict[str, Any]:
    """Return what the recap's email (and the page's section) says: the call, the decisions, both sides'
    promises in order, the open questions, the client's page when its link is on."""
    client = recap.client
    profile = recap.owner.profile
    lines = list(recap.lines.select_related("promise").order_by("position", "pk"))
    page = ClientPage.objects.filter(client=client, is_on=True).first()
    token = page.token if page is not None and page.show_promises else None
    return {
        "recap": recap,
        "client": client,
        "identity": profile,
        "freelancer": profile.client_facing_name,
        "day": timezone.localtime(recap.interaction.happened_at, profile.zone).date(),
        "kind": recap.interaction.get_kind_display(),
        "lines": lines,
        "client_page_url": absolute(reverse("portal:page", kwargs={"token": token})) + f"#recap-{recap.pk}"
        if token
        else "",
    }


def message(dispatch: Dispatch, now: datetime) -> EmailMultiAlternatives | None:
    """Return the recap's email, or None (skipped) when the recap is gone or the client has no address."""
    recap = recap_of(dispatch)
    if recap is None or not recap.client.email:
        return None
    profile = recap.owner.profile
    found = sending.transport(dispatch.owner_id)
    with translation.override(recap.client.language), timezone.override(profile.zone):
        context = email_context(recap)  # in the client's language: the kind of call too ("appel", "réunion")
        if found is not None:
            box, connection = found
            return render_email(
                "recap", context, to=[recap.client.email], from_email=profile.sender(box.address),
                connection=connection,
            )  # fmt: skip
        email = render_email(
            "recap", context, to=[recap.client.email], from_email=profile.sender(settings.DEFAULT_FROM_EMAIL)
        )
    reply_to = profile.business_email or recap.owner.email
    if reply_to:
        email.reply_to = [reply_to]
    if recap.owner.email:
        email.cc = [recap.owner.email]
    return email


def record_sent(dispatch: Dispatch, email: Any, sent_at: datetime) -> None:
    """Stamp the moment the recap left (once: a recap already stamped keeps its first moment)."""
    recap = recap_of(dispatch)
    if recap is not None:
        Recap.objects.filter(pk=recap.pk, sent_at__isnull=True).update(sent_at=sent_at)
