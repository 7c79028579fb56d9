"""Reminders that keep the word: what is due lives in `Dispatch` rows, never in the broker.

1. `create_due_dispatches(now)` writes one row per (freelancer, kind, period) whose moment has come:
   the weekly digest at the profile's local weekday and hour, the daily nudge at the profile's local hour.
2. `queue_due_dispatches(now)` marks pending rows (and rows stuck too long) queued; the sweep task
   (`crm/reminders/tasks.py`) hands them to the broker.
3. `deliver(dispatch_id)` claims a row in a transaction, sends it, and records the outcome.
See docs/reminders.md for why, and for the one duplicate this allows.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import zoneinfo
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from clients.models import Client, Profile
from crm.models import Dispatch
from crm.reminders.digest import build_digest, clients_due_for_status_update
from crm.reminders.emails import absolute, client_url, preferences_url, render_email, unsubscribe_headers
from crm.reminders.status_updates import status_update_draft

logger = logging.getLogger(__name__)

# SMTP refusals and network failures are worth retrying; anything else is a bug and fails at once.
RETRYABLE_ERRORS: tuple[type[BaseException], ...] = (
    smtplib.SMTPException,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
)
# A reminder whose moment passed longer ago than this (an outage) is not sent late; the next one will be.
CATCH_UP = timedelta(hours=24)
# A row queued or sending for longer than this lost its message (broker restart, killed worker): re-enqueue.
# Longer than the task's hard time limit plus its longest retry backoff, so a live task is never doubled.
REQUEUE_AFTER = timedelta(minutes=10)
# Hand-offs of one row to a worker, across retries and re-enqueues, before it is recorded as failed.
MAX_ATTEMPTS = 8
ENQUEUE_BATCH = 500


def digest_period_and_moment(
    zone: zoneinfo.ZoneInfo, weekday: int, hour: int, now: datetime
) -> tuple[str, datetime]:
    """Return the ISO week ("2026-W47") around `now` in `zone`, and the digest's moment in that week."""
    local = now.astimezone(zone)
    year, week, _ = local.isocalendar()
    day = local.date() - timedelta(days=local.weekday()) + timedelta(days=weekday)
    # zoneinfo resolves wall-clock times itself, so 08:00 stays 08:00 on both sides of a DST change.
    moment = datetime.combine(day, time(hour), tzinfo=zone)
    return f"{year}-W{week:02d}", moment.astimezone(UTC)


def nudge_period_and_moment(zone: zoneinfo.ZoneInfo, hour: int, now: datetime) -> tuple[str, datetime]:
    """Return the local day ("2026-11-22") around `now` in `zone`, and the nudge's moment that day."""
    day = now.astimezone(zone).date()
    return day.isoformat(), datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def _is_due(moment: datetime, now: datetime) -> bool:
    return moment <= now < moment + CATCH_UP


def create_due_dispatches(now: datetime) -> int:
    """Write the digest and nudge rows whose moment has come; return how many were new.

    Three queries whatever the number of freelancers; safe to run any number of times (unique rows).
    """
    profiles = Profile.objects.filter(Q(digest_enabled=True) | Q(nudges_enabled=True)).values_list(
        "user_id", "time_zone", "digest_weekday", "digest_hour", "digest_enabled", "nudges_enabled"
    )
    candidates: list[Dispatch] = []
    for user_id, time_zone, weekday, hour, digest_enabled, nudges_enabled in profiles:
        zone = zoneinfo.ZoneInfo(time_zone)
        if digest_enabled:
            period, moment = digest_period_and_moment(zone, weekday, hour, now)
            if _is_due(moment, now):
                candidates.append(
                    Dispatch(owner_id=user_id, kind=Dispatch.Kind.DIGEST, period=period, due_at=moment)
                )
        if nudges_enabled:
            period, moment = nudge_period_and_moment(zone, hour, now)
            if _is_due(moment, now):
                candidates.append(
                    Dispatch(owner_id=user_id, kind=Dispatch.Kind.NUDGE, period=period, due_at=moment)
                )
    if not candidates:
        return 0
    existing = set(
        Dispatch.objects.filter(period__in={c.period for c in candidates}).values_list(
            "owner_id", "kind", "period"
        )
    )
    new = [c for c in candidates if (c.owner_id, c.kind, c.period) not in existing]
    _skip_nudges_with_nothing_due(new, now)
    # ignore_conflicts: another beat (or sweep) may have written the same row meanwhile; the constraint wins.
    Dispatch.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _skip_nudges_with_nothing_due(rows: list[Dispatch], now: datetime) -> None:
    """Mark as skipped the nudges of freelancers with no status update due, so the day is settled once."""
    nudges = {row.owner_id: row for row in rows if row.kind == Dispatch.Kind.NUDGE}
    if not nudges:
        return
    zones = dict(Profile.objects.filter(user_id__in=nudges).values_list("user_id", "time_zone"))
    clients: dict[int, list[Client]] = {}
    for client in Client.objects.filter(owner_id__in=nudges, status=Client.Status.ACTIVE).only(
        "owner_id", "cadence_days", "last_status_update_at", "created_at", "name"
    ):
        clients.setdefault(client.owner_id, []).append(client)
    for owner_id, row in nudges.items():
        zone = zoneinfo.ZoneInfo(zones[owner_id])
        if not clients_due_for_status_update(clients.get(owner_id, []), now.astimezone(zone).date(), zone):
            row.state = Dispatch.State.SKIPPED


def queue_due_dispatches(now: datetime) -> list[int]:
    """Move the due pending rows, and the rows stuck too long, to queued; return their ids.

    The caller hands these ids to the broker (`crm.reminders.tasks.enqueue_due_dispatches`): this module
    holds the rules and knows nothing of Celery.
    """
    handed: list[int] = []
    pending = Dispatch.objects.filter(state=Dispatch.State.PENDING, due_at__lte=now).values_list(
        "pk", flat=True
    )
    for pk in pending[:ENQUEUE_BATCH]:
        # The row count says which sweep won the row; only the winner enqueues it.
        if Dispatch.objects.filter(pk=pk, state=Dispatch.State.PENDING).update(
            state=Dispatch.State.QUEUED, queued_at=now
        ):
            handed.append(pk)
    stuck = Dispatch.objects.filter(
        state__in=[Dispatch.State.QUEUED, Dispatch.State.SENDING], queued_at__lt=now - REQUEUE_AFTER
    ).values_list("pk", "state", "queued_at")
    for pk, state, queued_at in stuck[:ENQUEUE_BATCH]:
        if Dispatch.objects.filter(pk=pk, state=state, queued_at=queued_at).update(
            state=Dispatch.State.QUEUED, queued_at=now
        ):
            logger.warning("Re-enqueuing dispatch %s, %s since %s", pk, state, queued_at)
            handed.append(pk)
    return handed


def claim(dispatch_id: int, now: datetime) -> Dispatch | None:
    """Take the row for sending (→ sending) and return it; None if it is done, in flight, or gone."""
    with transaction.atomic():
        # The owner and profile come along for the message; only the dispatch row is locked (`of`).
        rows = Dispatch.objects.select_for_update(of=("self",)).select_related("owner__profile")
        try:
            dispatch = rows.get(pk=dispatch_id)
        except Dispatch.DoesNotExist:
            return None
        if dispatch.state not in (Dispatch.State.PENDING, Dispatch.State.QUEUED):
            return None
        if dispatch.attempts >= MAX_ATTEMPTS:
            dispatch.state = Dispatch.State.FAILED
            dispatch.last_error = f"Gave up after {dispatch.attempts} attempts. {dispatch.last_error}".strip()
            dispatch.save(update_fields=["state", "last_error"])
            return None
        dispatch.state = Dispatch.State.SENDING
        dispatch.attempts += 1
        dispatch.queued_at = now
        dispatch.save(update_fields=["state", "attempts", "queued_at"])
        return dispatch


def _finish(dispatch: Dispatch, state: str, *, error: str = "", now: datetime | None = None) -> None:
    fields: dict[str, Any] = {"state": state, "last_error": error[:2000]}
    if state == Dispatch.State.SENT:
        fields["sent_at"] = now or timezone.now()
    if state == Dispatch.State.QUEUED:
        fields["queued_at"] = now or timezone.now()
    Dispatch.objects.filter(pk=dispatch.pk, state=Dispatch.State.SENDING).update(**fields)


def deliver(dispatch_id: int, *, now: datetime | None = None, final_attempt: bool = True) -> str:
    """Claim, build and send one dispatch; return the state it ended in ("" if another worker has it).

    A retryable error puts the row back in "queued" (or "failed" on the final attempt) and is re-raised
    so the Celery task retries it with backoff.
    """
    now = now or timezone.now()
    dispatch = claim(dispatch_id, now)
    if dispatch is None:
        return ""
    try:
        message = build_message(dispatch, now)
        if message is None:
            _finish(dispatch, Dispatch.State.SKIPPED)
            return Dispatch.State.SKIPPED
        message.send()
    except RETRYABLE_ERRORS as exc:
        state = Dispatch.State.FAILED if final_attempt else Dispatch.State.QUEUED
        _finish(dispatch, state, error=f"{type(exc).__name__}: {exc}")
        raise
    except Exception as exc:
        _finish(dispatch, Dispatch.State.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    # A crash right here, after the mail server accepted the message, is the one duplicate allowed.
    _finish(dispatch, Dispatch.State.SENT, now=timezone.now())
    return Dispatch.State.SENT


def build_message(dispatch: Dispatch, now: datetime) -> EmailMultiAlternatives | None:
    """Return the email of a dispatch, or None when there is nothing to send (turned off, nothing to say)."""
    owner = dispatch.owner  # loaded with its profile by `claim`
    if not owner.email:
        return None
    if dispatch.kind == Dispatch.Kind.DIGEST:
        return digest_message(owner, now)
    return nudge_message(owner, now)


def _send_context(owner: Any, kind: str) -> tuple[dict[str, Any], dict[str, str]]:
    url = preferences_url(owner.pk, kind, owner.profile.email_links_version)
    return {"preferences_url": url, "site_url": settings.SITE_URL}, unsubscribe_headers(url)


def digest_message(owner: Any, now: datetime) -> EmailMultiAlternatives | None:
    """Return the weekly digest email of `owner`, or None if it is turned off or empty and unwanted."""
    profile = owner.profile
    if not profile.digest_enabled:
        return None
    # The reasons' texts are translated while the digest is built: build it in the freelancer's language.
    with translation.override(profile.language), timezone.override(profile.zone):
        digest = build_digest(owner, now)
        if digest.is_empty and not profile.digest_when_empty:
            return None
        context, headers = _send_context(owner, Dispatch.Kind.DIGEST)
        _link_clients(digest)
        context.update(digest=digest)
        return render_email("digest", context, to=[owner.email], headers=headers)


def _link_clients(digest: Any) -> None:
    """Give every client the digest mentions its absolute workspace link (`client.link`)."""
    clients = [p.client for p in [*digest.kept, *digest.due_soon, *digest.overdue]]
    clients += [item.client for item in [*digest.status_updates, *digest.health_drops]]
    clients += [invoice.client for invoice in digest.overdue_invoices]
    links: dict[int, str] = {}
    for client in clients:
        if client.pk not in links:
            links[client.pk] = client_url(client.pk)
        client.link = links[client.pk]


def nudge_message(owner: Any, now: datetime) -> EmailMultiAlternatives | None:
    """Return the status-update nudge of `owner` with a draft per client due, or None when none is due."""
    profile = owner.profile
    if not profile.nudges_enabled:
        return None
    zone = profile.zone
    clients = list(Client.objects.for_owner(owner).filter(status=Client.Status.ACTIVE))
    due = clients_due_for_status_update(clients, profile.local_today(now), zone)
    if not due:
        return None
    items = []
    for item in due:
        subject, body = status_update_draft(item.client, now)
        prepare = absolute(reverse("reminders:prepare_status_update", kwargs={"client_id": item.client.pk}))
        items.append({"due": item, "subject": subject, "body": body, "prepare_url": prepare})
    context, headers = _send_context(owner, Dispatch.Kind.NUDGE)
    context.update(profile=profile, items=items, today=profile.local_today(now))
    with translation.override(profile.language), timezone.override(zone):
        return render_email("nudge", context, to=[owner.email], headers=headers)


def dispatch_for(owner: Any, kind: str, now: datetime) -> Dispatch:
    """Return the row of `owner`'s `kind` for the period around `now`, creating it (for sending by hand)."""
    profile = owner.profile
    if kind == Dispatch.Kind.DIGEST:
        period, _ = digest_period_and_moment(profile.zone, profile.digest_weekday, profile.digest_hour, now)
    else:
        period, _ = nudge_period_and_moment(profile.zone, profile.digest_hour, now)
    dispatch, _ = Dispatch.objects.get_or_create(
        owner=owner, kind=kind, period=period, defaults={"due_at": now}
    )
    return dispatch


def purge_acknowledged_broker_messages(older_than: timedelta = timedelta(hours=6)) -> int:
    """Delete delivered messages from the embedded (SQLAlchemy) broker; return how many.

    kombu's SQLAlchemy transport marks a delivered message invisible and never deletes it, so the broker
    file grows forever without this. A message stays invisible even if its worker died before acking it;
    the sweep re-enqueues that dispatch, so deleting old invisible messages loses nothing.
    """
    url = settings.CELERY_BROKER_URL
    if not url.startswith("sqla+"):
        return 0
    import sqlalchemy

    engine = sqlalchemy.create_engine(url.removeprefix("sqla+"))
    # kombu stamps the message with naive local time when it is delivered (its `timestamp` column).
    cutoff = datetime.now() - older_than
    try:
        with engine.begin() as connection:
            result = connection.execute(
                sqlalchemy.text("DELETE FROM kombu_message WHERE visible = :no AND timestamp < :cutoff"),
                {"no": False, "cutoff": cutoff},
            )
            return result.rowcount or 0
    except sqlalchemy.exc.OperationalError:  # no message table yet: nothing was ever queued
        return 0
    finally:
        engine.dispose()
