"""Mailbox syncs spread over the cycle (issue 27): each owner's mailbox on its own phase of SYNC_EVERY, so a
thousand mailboxes never fall due in the same minute, and a mailbox a sync holds is not queued again."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm.capture import sync
from crm.capture.secrets import encrypt
from crm.models import Mailbox

NOW = datetime(2026, 11, 23, 7, 0, 13, tzinfo=UTC)
PERIOD = sync.SYNC_EVERY.total_seconds()


def test_each_owner_syncs_on_its_own_phase_about_once_a_cycle() -> None:
    for owner_id in range(1, 200):
        first = sync.next_sync_at(owner_id, NOW)
        assert NOW + sync.SYNC_EVERY / 2 <= first < NOW + sync.SYNC_EVERY * 1.5
        # The next one, from the sync that starts then, is exactly one cycle later: the same phase.
        assert sync.next_sync_at(owner_id, first) == first + sync.SYNC_EVERY


def test_a_thousand_consecutive_owners_spread_over_every_minute_of_the_cycle() -> None:
    minutes = Counter(
        int(sync.next_sync_at(owner_id, NOW).timestamp() % PERIOD // 60) for owner_id in range(1000)
    )
    assert sorted(minutes) == list(range(int(PERIOD // 60)))
    assert max(minutes.values()) <= 1.2 * 1000 / len(minutes)


@pytest.mark.django_db
def test_a_mailbox_held_by_a_sync_is_not_queued_again(alice: Any, bob: Any) -> None:
    boxes = [
        Mailbox.objects.create(
            owner=owner, imap_host="127.0.0.1", imap_port=1, imap_user="u", imap_secret=encrypt("s")
        )
        for owner in (alice, bob)
    ]
    assert sync.claim(boxes[0].pk, NOW)

    assert sync.due_mailboxes(NOW + timedelta(minutes=1)) == [boxes[1].pk]
    assert sorted(sync.due_mailboxes(NOW + sync.LOCK_FOR)) == sorted(b.pk for b in boxes)
