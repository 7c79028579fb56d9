"""The mailbox sync: incremental, under a lock, resumable, and quiet when the server says no.

1. `claim` takes the mailbox with one conditional update (`locked_until` in the past or empty): of two workers,
   the row count says which one syncs; the other returns at once. The lock expires by itself (LOCK_FOR) if
   its worker dies, and each batch renews it.
2. For the inbox and the sent folder (found through SPECIAL-USE \\Sent), the folder's UIDVALIDITY is compared
   with the stored one: unchanged, only UIDs above the last one read are fetched; changed (or never read),
   the last FIRST_SYNC_DAYS are read again, and the Message-ID constraint keeps that from doubling anything.
3. Messages are read in batches of BATCH_SIZE: headers only (the whole message only for the kept ones, and only
   when a snippet is wanted), through the privacy sieve, into the journal; the batch, the folder's last UID
   and the visible progress are committed together. A server that stops mid-sync loses nothing: the next sync
   resumes after the last committed batch.
4. The outcome is written on the mailbox for Settings: a refused login or a TLS mismatch waits for new
   settings (no storm of failed logins), any other failure is retried with a doubling backoff.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.imapclient import SENT

from crm.capture import journal
from crm.capture.connection import MailboxError, explain, imap_endpoint, open_imap
from crm.capture.messages import read
from crm.capture.privacy import Sieve
from crm.capture.secrets import InvalidToken
from crm.models import Mailbox, MailFolder

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
FIRST_SYNC_DAYS = 365
# Longer than the sync task's hard time limit (crm/capture/tasks.py), so a live sync is never doubled.
LOCK_FOR = timedelta(minutes=15)
SYNC_EVERY = timedelta(minutes=5)
BACKOFF_FIRST = timedelta(minutes=5)
BACKOFF_LONGEST = timedelta(hours=6)


def backoff(failures: int) -> timedelta:
    """Return the wait after `failures` failures in a row: doubling from BACKOFF_FIRST up to BACKOFF_LONGEST."""
    return min(BACKOFF_LONGEST, BACKOFF_FIRST * 2 ** min(max(failures - 1, 0), 16))


def next_sync_at(owner_id: int, now: datetime) -> datetime:
    """Return the next sync of `owner_id`'s mailbox: on the owner's own phase of the SYNC_EVERY cycle, between
    half a cycle and one and a half from `now` (one cycle on average).

    The phase spreads the mailboxes over the cycle (a multiplicative hash: neighbouring owners fall far
    apart), and keeps them spread after anything that made them due together (an outage, a deploy).
    """
    period = int(SYNC_EVERY.total_seconds())
    phase = (owner_id * 2654435761) % period
    earliest = now.timestamp() + period / 2
    slot = math.ceil((earliest - phase) / period) * period + phase
    return datetime.fromtimestamp(slot, tz=UTC)


def due_mailboxes(now: datetime) -> list[int]:
    """Return the ids of the mailboxes whose next sync has come (not those waiting for new settings, nor
    those a sync holds: a hanging server's mailbox is not queued again every minute)."""
    return list(
        Mailbox.objects.exclude(state=Mailbox.State.NEEDS_ATTENTION)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .exclude(locked_until__gt=now)
        .values_list("pk", flat=True)
    )


def claim(mailbox_id: int, now: datetime) -> bool:
    """Take the mailbox for syncing; return False when another sync holds it (or it is gone)."""
    free = Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    return bool(Mailbox.objects.filter(free, pk=mailbox_id).update(locked_until=now + LOCK_FOR))


def release(mailbox_id: int) -> None:
    Mailbox.objects.filter(pk=mailbox_id).update(locked_until=None)


def sync_mailbox(mailbox_id: int, *, now: datetime | None = None) -> str:
    """Sync one mailbox; return "synced", "failing", "attention", or "" when another sync holds it."""
    now = now or timezone.now()
    if not claim(mailbox_id, now):
        return ""
    try:
        mailbox = Mailbox.objects.select_related("owner__profile").get(pk=mailbox_id)
        with translation.override(mailbox.owner.profile.language):
            try:
                _sync(mailbox, now)
            except MailboxError as exc:
                return _failed(mailbox, exc, now)
            except InvalidToken:
                return _failed(mailbox, MailboxError("login", _key_lost_message()), now)
        Mailbox.objects.filter(pk=mailbox_id).update(
            state=Mailbox.State.IDLE,
            failures=0,
            last_error="",
            last_sync_at=timezone.now(),
            next_attempt_at=next_sync_at(mailbox.owner_id, now),
            progress_done=0,
            progress_total=0,
        )
        return "synced"
    finally:
        release(mailbox_id)


def _key_lost_message() -> str:
    return _("The saved password can no longer be read (the encryption keys changed): enter it again.")


def _failed(mailbox: Mailbox, exc: MailboxError, now: datetime) -> str:
    logger.warning("Mailbox %s not synced: %s", mailbox.pk, exc.kind)
    if not exc.retry_helps:
        Mailbox.objects.filter(pk=mailbox.pk).update(
            state=Mailbox.State.NEEDS_ATTENTION, last_error=str(exc), next_attempt_at=None
        )
        return "attention"
    failures = mailbox.failures + 1
    Mailbox.objects.filter(pk=mailbox.pk).update(
        state=Mailbox.State.FAILING,
        failures=failures,
        last_error=str(exc),
        next_attempt_at=now + backoff(failures),
    )
    return "failing"


def _sync(mailbox: Mailbox, now: datetime) -> None:
    endpoint = imap_endpoint(mailbox)
    imap = open_imap(endpoint)
    # Clients whose journal changed: rescored once at the end, even when the sync stops half-way.
    touched: set[int] = set()
    try:
        _read_folders(imap, mailbox, now, touched)
    except Exception as exc:
        _close(imap)
        raise explain(exc, endpoint) from None
    finally:
        journal.rescore(touched, now)


def _read_folders(imap: IMAPClient, mailbox: Mailbox, now: datetime, touched: set[int]) -> None:
    sieve = Sieve.for_owner(
        mailbox.owner,
        own={mailbox.address, mailbox.imap_user},
        match_domains=mailbox.match_domains,
        excluded=mailbox.excluded_entries(),
    )
    plans = [_plan(imap, mailbox, role, name, now) for role, name in _folders(imap)]
    Mailbox.objects.filter(pk=mailbox.pk).update(
        progress_done=0, progress_total=sum(len(uids) for _folder, uids in plans)
    )
    for folder, uids in plans:
        imap.select_folder(folder.name, readonly=True)
        for start in range(0, len(uids), BATCH_SIZE):
            _read_batch(imap, mailbox, folder, uids[start : start + BATCH_SIZE], sieve, now, touched)
    # Everything is committed; a failed goodbye changes nothing.
    with contextlib.suppress(Exception):
        imap.logout()


def _close(imap: IMAPClient) -> None:
    # Already failing.
    with contextlib.suppress(Exception):
        imap.shutdown()


def _folders(imap: IMAPClient) -> list[tuple[str, str]]:
    """Return the (role, name) of the folders to read: the inbox, and the sent folder when the server names one."""
    folders = [(MailFolder.Role.INBOX, "INBOX")]
    sent = imap.find_special_folder(SENT)
    if sent:
        folders.append((MailFolder.Role.SENT, sent))
    return folders


def _plan(
    imap: IMAPClient, mailbox: Mailbox, role: str, name: str, now: datetime
) -> tuple[MailFolder, list[int]]:
    """Return the folder's state and the UIDs to read in it, in order."""
    folder, _created = MailFolder.objects.get_or_create(mailbox=mailbox, role=role, defaults={"name": name})
    selected = imap.select_folder(name, readonly=True)
    uidvalidity = int(selected[b"UIDVALIDITY"])
    if folder.uidvalidity != uidvalidity or folder.name != name:
        # Never read, or the server renumbered the folder (a restored backup, a migration): read it again.
        folder.uidvalidity, folder.name, folder.last_uid = uidvalidity, name, 0
        folder.save(update_fields=["uidvalidity", "name", "last_uid"])
    if folder.last_uid == 0:
        since = (now - timedelta(days=FIRST_SYNC_DAYS)).date()
        uids = imap.search(["SINCE", since])
    else:
        # "n:*" always answers the last message, even when its UID is below n: keep only the new ones.
        uids = imap.search(["UID", f"{folder.last_uid + 1}:*"])
    return folder, sorted(uid for uid in uids if uid > folder.last_uid)


def _read_batch(
    imap: IMAPClient,
    mailbox: Mailbox,
    folder: MailFolder,
    uids: list[int],
    sieve: Sieve,
    now: datetime,
    touched: set[int],
) -> None:
    fetched = imap.fetch(uids, ["BODY.PEEK[HEADER]", "INTERNALDATE"])
    sent_folder = folder.role == MailFolder.Role.SENT
    placed: dict[int, journal.Placed] = {}
    for uid, data in fetched.items():
        facts = read(data.get(b"BODY[HEADER]", b""), fallback_date=_aware(data.get(b"INTERNALDATE")))
        spot = sieve.place(facts, sent_folder=sent_folder) if facts else None
        if facts and spot:
            placed[uid] = journal.Placed(facts, *spot)
    if placed and mailbox.keep_snippet:
        _add_snippets(imap, placed)
    with transaction.atomic():
        logged = journal.record(
            mailbox.owner,
            list(placed.values()),
            status_keyword=mailbox.status_keyword,
            now=now,
            touched=touched,
        )
        MailFolder.objects.filter(pk=folder.pk).update(last_uid=max(uids))
        Mailbox.objects.filter(pk=mailbox.pk).update(
            messages_logged=F("messages_logged") + logged,
            progress_done=F("progress_done") + len(uids),
            locked_until=timezone.now() + LOCK_FOR,
        )
    folder.last_uid = max(uids)


def _add_snippets(imap: IMAPClient, placed: dict[int, journal.Placed]) -> None:
    """Read the whole of the kept messages only, for their snippet."""
    for uid, data in imap.fetch(list(placed), ["BODY.PEEK[]"]).items():
        full = read(data.get(b"BODY[]", b""), with_snippet=True)
        if full and uid in placed:
            placed[uid].facts.snippet = full.snippet


def _aware(moment: Any) -> datetime | None:
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo else timezone.make_aware(moment)


def sync_all(mailbox_ids: Iterable[int]) -> dict[int, str]:
    """Sync the given mailboxes one after the other (the bench, `manage.py` use); return their outcomes."""
    return {pk: sync_mailbox(pk) for pk in mailbox_ids}
