"""Reminders that keep the word: what is due lives in `Dispatch` rows, never in the broker.

1. `create_due_dispatches(now)` writes one row per (freelancer, kind, period) whose moment has come:
   the weekly digest at the profile's local weekday and hour, the daily nudge at the profile's local hour.
2. `queue_due_dispatches(now)` marks pending rows, retries whose time has come (and rows stuck too long)
   queued; the sweep task (`crm/reminders/tasks.py`) hands them to the broker.
3. `deliver(dispatch_id)` claims a row in a transaction, sends it, and records the outcome: sent, skipped,
   retrying at a time the row holds (network failures, 4xx replies, for 48 hours), or failed (5xx, a bug);
   once sent, it runs the kind's after-send step.
What each kind says and what its send changes is the kind's own (its builder and after-send step), registered
in one fixed list, `crm/reminders/kinds.py`: this module imports no kind module.
See docs/reminders.md for why, and for the one duplicate this allows.
"""

from __future__ import annotations

import logging
import random
import smtplib
import zoneinfo
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from clients.models import Profile
from crm.models import Dispatch
from crm.reminders.kinds import KINDS

logger = logging.getLogger(__name__)

# A reminder whose moment passed longer ago than this (an outage) is not sent late; the next one will be.
CATCH_UP = timedelta(hours=24)
# A row queued or sending for longer than this lost its message (broker restart, killed worker): re-enqueue.
# Longer than the task's hard time limit (90 s), so a live task is never doubled.
REQUEUE_AFTER = timedelta(minutes=10)
# Mail servers are down for hours, not minutes: a transient failure is tried again for this long (as long as
# mail servers themselves keep a message in their queue, RFC 5321 4.5.4.1 suggests 4-5 days; two is plenty
# for a weekly digest), then the dispatch is failed and shown to the freelancer and in the admin.
RETRY_FOR = timedelta(hours=48)
# The wait before the next attempt doubles from RETRY_FIRST up to RETRY_LONGEST; each wait is drawn at random
# between half of it and all of it (jitter), so a recovering mail server is not hit by every row at once.
RETRY_FIRST = timedelta(minutes=1)
RETRY_LONGEST = timedelta(minutes=30)
# Hand-offs of one row to a worker (attempts, re-enqueues of lost messages) before it is failed whatever the
# time: a safety net for a message that kills its worker every time. 48 h of retries take about 130.
MAX_ATTEMPTS = 400
# Rows claimed per update, and at most per sweep (docs/scaling.md).
CLAIM_BATCH = 500
QUEUE_AT_MOST = 50_000


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


def create_due_dispatches(now: datetime, failures: dict[int, str] | None = None) -> int:
    """Write the digest and nudge rows whose moment has come; return how many were new.

    Three queries whatever the number of freelancers; safe to run any number of times (unique rows). Each
    freelancer is looked at on their own: one whose settings cannot be read (a time zone that no longer
    exists, an hour out of range) goes into `failures` with the error, and the next sweep tries again.
    """
    failures = {} if failures is None else failures
    profiles = Profile.objects.filter(Q(digest_enabled=True) | Q(nudges_enabled=True)).values_list(
        "user_id", "time_zone", "digest_weekday", "digest_hour", "digest_enabled", "nudges_enabled"
    )
    candidates: list[Dispatch] = []
    for user_id, time_zone, weekday, hour, digest_enabled, nudges_enabled in profiles:
        try:
            candidates += _due_rows(user_id, time_zone, weekday, hour, digest_enabled, nudges_enabled, now)
        except Exception as exc:
            logger.exception("Reminders of freelancer %s not looked at", user_id)
            failures[user_id] = f"{type(exc).__name__}: {exc}"[:500]
    if not candidates:
        return 0
    existing = set(
        Dispatch.objects.filter(period__in={c.period for c in candidates}).values_list(
            "owner_id", "kind", "period"
        )
    )
    new = [c for c in candidates if (c.owner_id, c.kind, c.period) not in existing]
    # Each kind may settle at once the rows it has nothing to send for (a nudge with no client due).
    for kind in KINDS.values():
        if kind.screen is not None:
            new = kind.screen(new, now, failures)
    # ignore_conflicts: another beat (or sweep) may have written the same row meanwhile; the constraint wins.
    Dispatch.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _due_rows(
    user_id: int, time_zone: str, weekday: int, hour: int, digest: bool, nudges: bool, now: datetime
) -> list[Dispatch]:
    """Return the unsaved rows of one freelancer whose moment has come at `now`."""
    zone = zoneinfo.ZoneInfo(time_zone)
    rows = []
    if digest:
        period, moment = digest_period_and_moment(zone, weekday, hour, now)
        if _is_due(moment, now):
            rows.append(Dispatch(owner_id=user_id, kind=Dispatch.Kind.DIGEST, period=period, due_at=moment))
    if nudges:
        period, moment = nudge_period_and_moment(zone, hour, now)
        if _is_due(moment, now):
            rows.append(Dispatch(owner_id=user_id, kind=Dispatch.Kind.NUDGE, period=period, due_at=moment))
    return rows


def queue_due_dispatches(now: datetime) -> list[int]:
    """Move to queued the due pending rows, the retries whose time has come and the rows stuck too long;
    return their ids.

    The caller hands these ids to the broker (`crm.reminders.tasks.enqueue_due_dispatches`): this module
    holds the rules and knows nothing of Celery. Rows are claimed CLAIM_BATCH at a time, up to QUEUE_AT_MOST
    per sweep: a Monday 08:00 of 10,000 digests is queued by one sweep in twenty updates.
    """
    handed: list[int] = []
    due = [
        (Dispatch.State.PENDING, Q(state=Dispatch.State.PENDING, due_at__lte=now)),
        (Dispatch.State.RETRYING, Q(state=Dispatch.State.RETRYING, next_attempt_at__lte=now)),
    ]
    for _state, condition in due:
        while len(handed) < QUEUE_AT_MOST:
            batch = _claim_batch(condition, now)
            handed += batch
            if len(batch) < CLAIM_BATCH:
                break
    stuck = Dispatch.objects.filter(
        state__in=[Dispatch.State.QUEUED, Dispatch.State.SENDING], queued_at__lt=now - REQUEUE_AFTER
    ).values_list("pk", "state", "queued_at")
    for pk, state, queued_at in stuck[:CLAIM_BATCH]:
        if Dispatch.objects.filter(pk=pk, state=state, queued_at=queued_at).update(
            state=Dispatch.State.QUEUED, queued_at=now
        ):
            logger.warning("Re-enqueuing dispatch %s, %s since %s", pk, state, queued_at)
            handed.append(pk)
    return handed


def _claim_batch(condition: Q, now: datetime) -> list[int]:
    """Mark queued up to CLAIM_BATCH rows matching `condition`; return their ids.

    The rows are locked first (skipping those another sweep holds), so each row is won by one sweep only:
    once this commits they are queued and match no more. (SQLite has no row locks: it runs one write at a
    time, which gives the same.)
    """
    with transaction.atomic():
        ids = list(
            Dispatch.objects.filter(condition)
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:CLAIM_BATCH]
        )
        if ids:
            Dispatch.objects.filter(pk__in=ids).update(state=Dispatch.State.QUEUED, queued_at=now)
    return ids


def retry_now(dispatch_ids: Any, now: datetime) -> list[int]:
    """Move failed or waiting rows back to queued for a fresh 48 hours of retries; return the ids moved.

    The admin's "retry now": the caller hands the ids to the broker, as the sweep does.
    """
    moved = []
    for pk in dispatch_ids:
        if Dispatch.objects.filter(pk=pk, state__in=[Dispatch.State.FAILED, Dispatch.State.RETRYING]).update(
            state=Dispatch.State.QUEUED, queued_at=now, attempts=0, failing_since=None, next_attempt_at=None
        ):
            moved.append(pk)
    return moved


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


def is_transient(exc: BaseException) -> bool:
    """Return True if the mail server may well take the message later: network failures and 4xx replies.

    5xx replies (a refused recipient, a rejected message) are permanent, as is anything that is not a mail
    or network error (a bad address, a template bug). A refused login is retried: it is our configuration,
    not the message, and once the admin fixes it every waiting message goes out.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return not 500 <= exc.smtp_code < 600
    # smtplib.SMTPException is an OSError, as are refused connections, timeouts and DNS failures; a database
    # that went away while the message was built comes back too.
    return isinstance(exc, OSError | OperationalError | InterfaceError)


def retry_delay(attempts: int) -> timedelta:
    """Return the wait after the `attempts`-th failed attempt: doubling from RETRY_FIRST, capped, jittered."""
    bound = min(RETRY_LONGEST, RETRY_FIRST * 2 ** min(max(attempts - 1, 0), 20))
    return bound * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not a secret)


def _finish(dispatch: Dispatch, state: str, *, error: str = "", now: datetime | None = None) -> None:
    fields: dict[str, Any] = {"state": state, "last_error": error[:2000]}
    if state == Dispatch.State.SENT:
        fields.update(sent_at=now or timezone.now(), next_attempt_at=None, failing_since=None)
    Dispatch.objects.filter(pk=dispatch.pk, state=Dispatch.State.SENDING).update(**fields)


def _retry_later(dispatch: Dispatch, error: str, now: datetime) -> str:
    """Schedule the next attempt in the row (the sweep honours it), or fail the row once RETRY_FOR has passed."""
    since = dispatch.failing_since or now
    if now - since >= RETRY_FOR:
        error = f"Gave up after {dispatch.attempts} attempts over {now - since}. {error}"
        _finish(dispatch, Dispatch.State.FAILED, error=error)
        return Dispatch.State.FAILED
    Dispatch.objects.filter(pk=dispatch.pk, state=Dispatch.State.SENDING).update(
        state=Dispatch.State.RETRYING,
        last_error=error[:2000],
        failing_since=since,
        next_attempt_at=now + retry_delay(dispatch.attempts),
    )
    return Dispatch.State.RETRYING


def deliver(dispatch_id: int, *, now: datetime | None = None, connection: Any = None) -> str:
    """Claim, build and send one dispatch; return the state it ended in ("" if another worker has it).

    A transient failure (network, 4xx) leaves the row "retrying" with its next attempt's time, which the
    every-minute sweep honours (no Celery countdown: see docs/reminders.md); a permanent one (5xx, a bad
    address, a bug) fails it at once. Nothing is raised: the row records the outcome. `connection`, an open
    mail backend, is used instead of a new one.
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
        if connection is not None:  # a chunk's one SMTP session (crm/reminders/tasks.py)
            message.connection = connection
        message.send()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        if is_transient(exc):
            logger.warning(
                "Dispatch %s not sent (attempt %s), will retry: %s", dispatch.pk, dispatch.attempts, error
            )
            return _retry_later(dispatch, error, now)
        logger.exception("Dispatch %s failed for good", dispatch.pk)
        _finish(dispatch, Dispatch.State.FAILED, error=error)
        return Dispatch.State.FAILED
    # A crash right here, after the mail server accepted the message, is the one duplicate allowed.
    sent_at = timezone.now()
    _finish(dispatch, Dispatch.State.SENT, now=sent_at)
    after_send = KINDS[dispatch.kind].after_send
    if after_send is not None:
        # Once: only this claim reaches here for the row. The email is gone whatever happens now: a failure is
        # logged, never turned into a second send.
        try:
            after_send(dispatch, message, sent_at)
        except Exception:
            logger.exception("Dispatch %s sent, its after-send step failed", dispatch.pk)
    return Dispatch.State.SENT


def build_message(dispatch: Dispatch, now: datetime) -> EmailMessage | None:
    """Return the email of a dispatch from its kind's builder, or None when there is nothing to send."""
    # Nothing is emailed on behalf of an account whose address is not verified yet (clients/verification.py):
    # a sign-up with someone else's address must not reach that person, nor mail a stranger's clients.
    if not dispatch.owner.profile.may_send_email():
        return None
    return KINDS[dispatch.kind].build(dispatch, now)


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
