"""The private calendar feed: open promises and status updates as all-day events, behind a secret link."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from clients.models import Client, Profile
from crm.core import links
from crm.core.dates import add_days
from crm.models import Promise
from crm.reminders.emails import client_url

# The feed's address is a secret link (crm/core/links.py): `/calendar/<key><secret>.ics`.
PURPOSE = "calendar"


def feed_token(profile: Profile) -> str | None:
    """Return the token of the freelancer's feed address, made on first use (or after a replacement); None when
    the current address cannot be shown again (made before addresses were stored hashed: it still works, and
    replacing it makes one that can be shown)."""
    if not profile.calendar_secret_hash:
        profile.calendar_secret_hash = links.hashed(links.derived_secret(PURPOSE, profile.calendar_key))
        Profile.objects.filter(
            pk=profile.pk, calendar_key=profile.calendar_key, calendar_secret_hash=""
        ).update(calendar_secret_hash=profile.calendar_secret_hash)
    return links.token_for(PURPOSE, profile.calendar_key, profile.calendar_secret_hash)


def profile_for_feed(token: str) -> Profile | None:
    """Return the profile whose feed `token` opens: found by its key, its secret compared in constant time."""
    parts = links.split(token)
    if parts is None:
        return None
    key, secret = parts
    profile = Profile.objects.select_related("user").filter(calendar_key=key).first()
    if profile is None or not links.matches(secret, profile.calendar_secret_hash):
        return None
    return profile


def _event(
    uid: str, day: Any, summary: str, url: str, now: datetime, description: str = ""
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", day)
    # An all-day event ends the next day; held at the last representable day rather than overflowing.
    event.add("dtend", add_days(day, 1))
    event.add("summary", summary)
    event.add("url", url)
    if description:
        event.add("description", description)
    event.add("transp", "TRANSPARENT")  # a reminder, not a busy slot
    return event


def calendar_for(owner: Any, now: datetime) -> bytes:
    """Return the iCalendar feed of `owner`: open promise due dates and status-update due dates.

    UIDs are stable (one per promise, one per client's status update), so calendar apps move an event
    when its date changes instead of adding a second one. Two queries.
    """
    profile = owner.profile
    host = urlsplit(settings.SITE_URL).hostname or "confiance"
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Confiance//Reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Confiance")
    calendar.add("x-wr-timezone", profile.time_zone)
    with translation.override(profile.language):
        promises = Promise.objects.for_owner(owner).open().select_related("client").order_by("due_on", "pk")
        for promise in promises:
            if promise.promisor == Promise.Promisor.FREELANCER:
                summary = _("Promise due: %(what)s (%(client)s)")
            else:
                summary = _("%(client)s promised: %(what)s")
            summary %= {"what": promise.description, "client": promise.client.name}
            calendar.add_component(
                _event(
                    f"promise-{promise.pk}@{host}",
                    promise.due_on,
                    summary,
                    client_url(promise.client_id),
                    now,
                )
            )
        for client in Client.objects.for_owner(owner).filter(status=Client.Status.ACTIVE).with_absences():
            due_on = client.status_update_due_on(profile.zone)
            if due_on == date.max:
                continue  # away until further notice: no day to put in a calendar
            summary = _("Status update due: %(client)s") % {"client": client.name}
            calendar.add_component(
                _event(
                    f"status-update-{client.pk}@{host}",
                    due_on,
                    summary,
                    client_url(client.pk),
                    now,
                    _("Every %(days)s days, as agreed.") % {"days": client.cadence_days},
                )
            )
    return calendar.to_ical()
