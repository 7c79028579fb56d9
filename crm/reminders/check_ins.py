"""The client's voice (issue 26), as the outbox sends it: check-in invitations to the client, and the alert the
freelancer gets at once when the client says "something bothers me".

1. `plan(now)` (every sweep) reads only the client pages whose `check_in_invite_at` has come (an index over that
   column, as the payment planner reads `Invoice.next_reminder_at`), never the whole book. For each, it claims the
   page with a conditional UPDATE (the row count says which sweep won: never twice) and writes one `Dispatch` of
   kind CHECK_IN due now (unique per page and local day). Every N weeks: the invitation is due N weeks after the
   clock started (the cadence chosen, the last invitation, the client's last check-in). After each delivery: the
   page is looked at once a day at the freelancer's hour and invited when a delivery was logged since; otherwise
   it is looked at again the next day. Off, or the link off: never (the column is None).
2. `invitation(dispatch, now)` builds the email in the client's language with the page's link (None, "skipped",
   when the page was turned off or the cadence set to off meanwhile, or the client has no address).
3. `raise_alert(signal, now)` writes the freelancer's alert row due now (the caller enqueues it after the commit);
   `alert(dispatch, now)` builds it in the freelancer's language.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from conflicts.models import ConflictSignal
from crm.core.days import local_day
from crm.models import ClientPage, Dispatch, Interaction
from crm.models.portal import CheckInCadence, check_in_invite_at
from crm.reminders.emails import absolute, client_url, render_email

# Pages looked at per sweep at most (the rest wait for the next minute).
PLAN_AT_MOST = 2000


def _delivered_since(client_id: int, since: datetime | None) -> bool:
    deliveries = Interaction.objects.filter(
        client_id=client_id,
        kind=Interaction.Kind.DELIVERY,
        direction=Interaction.Direction.TO_CLIENT,
    )
    if since is not None:
        deliveries = deliveries.filter(happened_at__gt=since)
    return deliveries.exists()  # interaction_client_time_idx


def plan(now: datetime) -> int:
    """Write the check-in invitations whose moment has come; return how many. One query when none is due."""
    due = list(
        ClientPage.objects.filter(check_in_invite_at__lte=now)
        .order_by()
        .select_related("client", "client__owner__profile")[:PLAN_AT_MOST]
    )
    written = 0
    for page in due:
        written += _plan_page(page, now)
    return written


def _plan_page(page: ClientPage, now: datetime) -> int:
    profile = page.client.owner.profile
    stored = page.check_in_invite_at
    pages = ClientPage.objects.filter(pk=page.pk, check_in_invite_at=stored)
    if not page.is_on or page.check_in_cadence == CheckInCadence.OFF:
        pages.update(check_in_invite_at=None)
        return 0
    if page.check_in_cadence == CheckInCadence.MILESTONES and not _delivered_since(
        page.client_id, page.check_in_since
    ):
        # Looked at again at the freelancer's next hour (never every minute, even after an outage).
        pages.update(
            check_in_invite_at=check_in_invite_at(
                page.check_in_cadence, now, profile.zone, profile.digest_hour
            )
        )
        return 0
    following = check_in_invite_at(page.check_in_cadence, now, profile.zone, profile.digest_hour)
    try:
        with transaction.atomic():
            # The claim: only the sweep whose UPDATE finds the row as it read it writes the invitation.
            if not pages.update(check_in_since=now, check_in_invite_at=following):
                return 0
            Dispatch.objects.create(
                owner_id=page.owner_id,
                kind=Dispatch.Kind.CHECK_IN,
                period=f"{page.pk}:{local_day(now, profile.zone).toordinal()}",
                due_at=now,
            )
    except IntegrityError:  # invited already today (the cadence changed back and forth): not twice
        return 0
    return 1


def page_link(page: ClientPage) -> str:
    """Return the absolute link of the client's page, or "" when it cannot be shown."""
    token = page.token
    return absolute(reverse("portal:page", kwargs={"token": token})) if token else ""


def invitation(dispatch: Dispatch, now: datetime) -> EmailMultiAlternatives | None:
    """Return the check-in invitation of `dispatch` in the client's language, or None when it must not go."""
    page_id = dispatch.period.partition(":")[0]
    page = (
        ClientPage.objects.filter(pk=int(page_id) if page_id.isdigit() else 0, owner_id=dispatch.owner_id)
        .select_related("client")
        .first()
    )
    if page is None or not page.is_on or page.check_in_cadence == CheckInCadence.OFF or not page.client.email:
        return None
    link = page_link(page)
    if not link:
        return None
    profile = dispatch.owner.profile
    context = {
        "client": page.client,
        "freelancer": profile.client_facing_name,
        "identity": profile,
        "link": link + "#check-in",
        "after_delivery": page.check_in_cadence == CheckInCadence.MILESTONES,
    }
    with translation.override(page.client.language), timezone.override(profile.zone):
        email = render_email(
            "check-in-invitation",
            context,
            to=[page.client.email],
            from_email=profile.sender(settings.DEFAULT_FROM_EMAIL),
        )
    reply_to = profile.business_email or dispatch.owner.email
    if reply_to:
        email.reply_to = [reply_to]
    return email


def raise_alert(signal: ConflictSignal, now: datetime) -> Dispatch:
    """Write the freelancer's alert about a concern the client raised, due now (the caller enqueues it)."""
    dispatch, _ = Dispatch.objects.get_or_create(
        owner_id=signal.owner_id,
        kind=Dispatch.Kind.CLIENT_SIGNAL,
        period=f"s{signal.pk}",
        defaults={"due_at": now},
    )
    return dispatch


def alert(dispatch: Dispatch, now: datetime) -> EmailMultiAlternatives | None:
    """Return the alert of `dispatch` in the freelancer's language, or None when the concern is gone."""
    signal_id = dispatch.period.removeprefix("s")
    signal = (
        ConflictSignal.objects.filter(
            pk=int(signal_id) if signal_id.isdigit() else 0, owner_id=dispatch.owner_id
        )
        .select_related("client")
        .first()
    )
    owner = dispatch.owner
    if signal is None or not owner.email:
        return None
    profile = owner.profile
    context = {
        "signal": signal,
        "client": signal.client,
        "profile": profile,
        "withdrawn": signal.withdrawn_at is not None,
        "client_url": client_url(signal.client_id),
        "signal_url": absolute(reverse("web:conflict", kwargs={"signal_id": signal.pk})),
    }
    with translation.override(profile.language), timezone.override(profile.zone):
        return render_email("client-concern", context, to=[owner.email])
