"""Fan-out in chunks (issue 27): one sweep queues a whole Monday morning, the workers take it in chunks of
CHUNK_SIZE through one SMTP session each, and a chunk run twice (a redelivered message) sends nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail

from crm.models import Dispatch
from crm.reminders import outbox
from crm.reminders.tasks import send_dispatch_chunk
from tests.factories import make_client, make_promise, make_user

pytestmark = pytest.mark.django_db
MONDAY_EIGHT_PARIS = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def _freelancers(n: int) -> list[Any]:
    people = []
    for i in range(n):
        user = make_user(f"monday{i}", time_zone="Europe/Paris", digest_weekday=0, digest_hour=8)
        make_promise(make_client(user, name=f"Client {i}"), description=f"Promise of monday{i}")
        people.append(user)
    return people


def test_one_sweep_queues_more_than_a_claim_batch_each_row_once(alice: Any) -> None:
    due = MONDAY_EIGHT_PARIS - timedelta(minutes=1)
    rows = [
        Dispatch(owner=alice, kind=Dispatch.Kind.DIGEST, period=f"p{i}", due_at=due)
        for i in range(outbox.CLAIM_BATCH * 2 + 7)
    ]
    Dispatch.objects.bulk_create(rows)

    handed = outbox.queue_due_dispatches(MONDAY_EIGHT_PARIS)

    assert len(handed) == len(set(handed)) == len(rows)
    assert set(Dispatch.objects.values_list("state", flat=True)) == {Dispatch.State.QUEUED}
    assert outbox.queue_due_dispatches(MONDAY_EIGHT_PARIS + timedelta(minutes=1)) == []


def test_a_chunk_sends_each_digest_once_even_when_run_twice() -> None:
    people = _freelancers(4)
    outbox.create_due_dispatches(MONDAY_EIGHT_PARIS)
    ids = outbox.queue_due_dispatches(MONDAY_EIGHT_PARIS)
    assert len(ids) == 4

    first = send_dispatch_chunk(ids)
    again = send_dispatch_chunk(ids)  # a redelivered message: every row is claimed already

    assert first == {Dispatch.State.SENT: 4}
    assert again == {"": 4}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in people)
    digests = Dispatch.objects.filter(kind=Dispatch.Kind.DIGEST)
    assert set(digests.values_list("state", "attempts")) == {(Dispatch.State.SENT, 1)}


def test_a_chunk_skips_what_another_worker_sent_and_sends_the_rest() -> None:
    _freelancers(3)
    outbox.create_due_dispatches(MONDAY_EIGHT_PARIS)
    ids = outbox.queue_due_dispatches(MONDAY_EIGHT_PARIS)
    assert outbox.deliver(ids[1]) == Dispatch.State.SENT  # a single send got there first

    assert send_dispatch_chunk(ids) == {Dispatch.State.SENT: 2, "": 1}
    assert len(mail.outbox) == 3
