"""Digests and nudges are due at the freelancer's own local hour, and sent exactly once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError, connection

from crm.models import Dispatch
from crm.reminders import outbox, tasks
from tests.factories import make_client, make_user, store_unchecked
from tests.reminders.email_backends import FlakySMTPBackend


def run_sweep(now: datetime) -> list[str]:
    """What the beat sweep and the workers do together, without a broker: return the states reached."""
    outbox.create_due_dispatches(now)
    handed = tasks.enqueue_due_dispatches(now)  # messages wait for a commit that never comes in tests
    return [outbox.deliver(pk, now=now) for pk in handed]


@pytest.fixture
def paris_and_new_york(db: None) -> tuple[Any, Any]:
    paris = make_user("paris", time_zone="Europe/Paris", digest_weekday=0, digest_hour=8)
    new_york = make_user("newyork", time_zone="America/New_York", digest_weekday=0, digest_hour=8)
    return paris, new_york


@pytest.mark.parametrize(
    ("monday", "paris_utc_hour", "new_york_utc_hour"),
    [
        (datetime(2026, 10, 19, tzinfo=UTC), 6, 12),  # both on summer time
        (datetime(2026, 10, 26, tzinfo=UTC), 7, 12),  # Paris changed on 25 October, New York not yet
        (datetime(2026, 11, 2, tzinfo=UTC), 7, 13),  # New York changed on 1 November
    ],
)
def test_each_freelancer_gets_the_digest_at_their_own_eight_oclock(
    paris_and_new_york: tuple[Any, Any], monday: datetime, paris_utc_hour: int, new_york_utc_hour: int
) -> None:
    paris, new_york = paris_and_new_york
    received: dict[str, datetime] = {}
    moment = monday
    while moment < monday + timedelta(hours=16):
        mail.outbox.clear()
        run_sweep(moment)
        for message in mail.outbox:
            received.setdefault(message.to[0], moment)
        moment += timedelta(minutes=30)
    assert received == {
        "paris@example.com": monday.replace(hour=paris_utc_hour),
        "newyork@example.com": monday.replace(hour=new_york_utc_hour),
    }
    digests = Dispatch.objects.filter(kind=Dispatch.Kind.DIGEST).order_by("owner__username")
    assert [(d.owner.username, d.period, d.state) for d in digests] == [
        ("newyork", received["newyork@example.com"].strftime("%G-W%V"), "sent"),
        ("paris", received["paris@example.com"].strftime("%G-W%V"), "sent"),
    ]


def test_not_due_before_the_local_hour(paris_and_new_york: tuple[Any, Any]) -> None:
    seven_fifty_nine_in_paris = datetime(2026, 11, 23, 6, 59, tzinfo=UTC)
    assert outbox.create_due_dispatches(seven_fifty_nine_in_paris) == 0


def test_same_week_twice_sends_one_digest(alice: Any) -> None:
    monday_eight = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert run_sweep(monday_eight) == ["sent"]
    for later in (monday_eight, monday_eight + timedelta(hours=1), monday_eight + timedelta(days=2)):
        assert run_sweep(later) == []
    digest = Dispatch.objects.get(owner=alice, kind=Dispatch.Kind.DIGEST)
    assert (digest.period, digest.state, digest.attempts) == ("2026-W48", "sent", 1)
    assert len(mail.outbox) == 1
    # Delivering the same row again (a redelivered message, a retried task) sends nothing.
    assert outbox.deliver(digest.pk) == ""
    assert len(mail.outbox) == 1


def test_next_week_brings_the_next_digest(alice: Any) -> None:
    monday_eight = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    run_sweep(monday_eight)
    run_sweep(monday_eight + timedelta(days=7))
    digests = Dispatch.objects.filter(kind=Dispatch.Kind.DIGEST)
    assert sorted(digests.values_list("period", flat=True)) == ["2026-W48", "2026-W49"]
    assert len(mail.outbox) == 2


def test_two_sweeps_enqueue_a_row_once(alice: Any) -> None:
    now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    outbox.create_due_dispatches(now)
    outbox.create_due_dispatches(now)
    assert Dispatch.objects.filter(kind=Dispatch.Kind.DIGEST).count() == 1
    assert len(tasks.enqueue_due_dispatches(now)) == 1
    assert tasks.enqueue_due_dispatches(now + timedelta(minutes=1)) == []


def test_stuck_rows_are_enqueued_again(alice: Any) -> None:
    now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    outbox.create_due_dispatches(now)
    [pk] = tasks.enqueue_due_dispatches(now)
    # The message was lost (broker restarted, worker killed): nothing happens until the row looks stuck.
    assert tasks.enqueue_due_dispatches(now + outbox.REQUEUE_AFTER - timedelta(seconds=1)) == []
    assert tasks.enqueue_due_dispatches(now + outbox.REQUEUE_AFTER + timedelta(seconds=1)) == [pk]
    assert outbox.deliver(pk) == "sent"
    assert len(mail.outbox) == 1


def test_a_digest_missed_by_a_long_outage_is_not_sent_days_late(alice: Any) -> None:
    wednesday = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    outbox.create_due_dispatches(wednesday)
    assert not Dispatch.objects.filter(kind=Dispatch.Kind.DIGEST).exists()


def test_turned_off_digest_is_not_created(alice: Any) -> None:
    alice.profile.digest_enabled = False
    alice.profile.nudges_enabled = False
    alice.profile.save()
    assert outbox.create_due_dispatches(datetime(2026, 11, 23, 7, 0, tzinfo=UTC)) == 0


def test_nudge_is_daily_and_only_when_a_cadence_lapses(alice: Any) -> None:
    alice.profile.digest_enabled = False
    alice.profile.save()
    tuesday_eight = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    with time_machine.travel(tuesday_eight - timedelta(days=5), tick=False):
        make_client(alice, name="Atelier Dupont", cadence_days=7)
    assert run_sweep(tuesday_eight) == []  # due in 2 days: nothing yet, and the day is settled
    assert Dispatch.objects.get().state == "skipped"
    assert run_sweep(tuesday_eight + timedelta(days=1)) == ["sent"]  # due within a day
    assert run_sweep(tuesday_eight + timedelta(days=1, hours=3)) == []  # once a day
    assert run_sweep(tuesday_eight + timedelta(days=2)) == ["sent"]
    assert [m.subject for m in mail.outbox] == ["1 client is waiting for a status update"] * 2


def test_smtp_errors_wait_in_the_row_for_the_sweep_then_send(alice: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.reminders.email_backends.FlakySMTPBackend"
    FlakySMTPBackend.fail_next(2)
    now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    outbox.create_due_dispatches(now)
    [pk] = tasks.enqueue_due_dispatches(now)
    assert outbox.deliver(pk, now=now) == "retrying"
    row = Dispatch.objects.get(pk=pk)
    assert (row.state, row.attempts, row.failing_since) == ("retrying", 1, now)
    assert "SMTPServerDisconnected" in row.last_error
    # The next attempt's time lives in the row: the sweep leaves the row alone until then.
    assert now + timedelta(seconds=30) <= row.next_attempt_at <= now + timedelta(minutes=1)
    assert tasks.enqueue_due_dispatches(row.next_attempt_at - timedelta(seconds=1)) == []
    assert tasks.enqueue_due_dispatches(row.next_attempt_at) == [pk]
    assert outbox.deliver(pk, now=row.next_attempt_at) == "retrying"
    row.refresh_from_db()
    assert (row.attempts, row.failing_since) == (2, now)  # the 48 hours count from the first failure
    [again] = tasks.enqueue_due_dispatches(row.next_attempt_at)
    assert outbox.deliver(again) == "sent"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error, row.next_attempt_at) == ("sent", 3, "", None)
    assert outbox.deliver(pk) == ""  # sent stays sent
    assert len(mail.outbox) == 1


def test_a_template_bug_fails_the_row_at_once(alice: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> None:
        raise KeyError("digest")

    monkeypatch.setattr(outbox, "build_message", broken)
    now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert run_sweep(now) == ["failed"]
    assert Dispatch.objects.get(kind=Dispatch.Kind.DIGEST).last_error == "KeyError: 'digest'"
    assert run_sweep(now + timedelta(hours=1)) == []


def test_one_freelancers_broken_settings_do_not_stop_the_sweep(alice: Any) -> None:
    """Issue 12, finding 2, for the sweep: each freelancer is looked at on their own."""
    from clients.models import Profile
    from crm.models import JobRun

    broken = make_user("broken")
    Profile.objects.filter(user=broken).update(time_zone="Mars/Olympus_Mons")
    now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        handed = tasks.sweep()
    assert [outbox.deliver(pk, now=now) for pk in handed] == ["sent"]
    assert mail.outbox[0].to == ["alice@example.com"]
    [run] = JobRun.objects.filter(job=JobRun.Job.SWEEP)
    assert (run.failed, run.failed_ids) == (1, [broken.pk])
    assert "ZoneInfoNotFoundError" in run.failures[0]["error"]
    # Tried again by the next sweep (still broken: counted on the same row of the day).
    with time_machine.travel(now + timedelta(minutes=1), tick=False):
        tasks.sweep()
    run.refresh_from_db()
    assert (run.failed, run.failed_ids) == (2, [broken.pk])


def test_a_year_one_status_update_stops_only_its_own_freelancers_reminders(db: None) -> None:
    """Issue 12, finding 2, for the sweep and the digests: before, the sweep raised OverflowError and nobody's
    reminders were even created that minute."""
    from clients.models import Client
    from crm.models import JobRun

    broken = make_user("broken", time_zone="America/New_York")
    fine = make_user("fine", time_zone="America/New_York")
    bad = make_client(broken)
    make_client(fine, cadence_days=7)
    # Stored before dates were bounded, without validation: in New York's time it is before year 1.
    store_unchecked(Client.objects.filter(pk=bad.pk), last_status_update_at=datetime(1, 1, 1, 1, tzinfo=UTC))
    monday_eight_new_york = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    with time_machine.travel(monday_eight_new_york, tick=False):
        handed = tasks.sweep()
        states = {outbox.deliver(pk): pk for pk in handed}
    rows = {(d.owner.username, d.kind): (d.state, d.last_error) for d in Dispatch.objects.all()}
    assert rows[("fine", "digest")] == ("sent", "")
    assert rows[("broken", "digest")] == ("failed", "OverflowError: date value out of range")
    # The nudge does no date arithmetic at the sweep (the clients' `status_update_listed_at`, computed when the
    # journal changed): it is settled like anyone's, none of this freelancer's clients listed.
    assert rows[("broken", "nudge")] == ("skipped", "")
    assert set(states) == {"sent", "failed"}
    assert [m.to for m in mail.outbox] == [["fine@example.com"]]
    # Nothing failed at the sweep itself: only the broken digest, on its own row.
    assert not JobRun.objects.filter(job=JobRun.Job.SWEEP).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_have_one_winner() -> None:
    owner = make_user("racer")
    dispatch = Dispatch.objects.create(owner=owner, kind=Dispatch.Kind.DIGEST, period="2026-W48")
    Dispatch.objects.filter(pk=dispatch.pk).update(state=Dispatch.State.QUEUED)
    now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    barrier = threading.Barrier(4)
    won: list[bool] = []

    def worker() -> None:
        try:
            barrier.wait()
            while True:
                try:
                    won.append(outbox.claim(dispatch.pk, now) is not None)
                    return
                except OperationalError as exc:
                    # The tests' in-memory SQLite (shared cache) fails at once where a file database
                    # waits for the lock (busy timeout); wait here instead. PostgreSQL never gets here.
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False, False, False, True]
    dispatch.refresh_from_db()
    assert (dispatch.state, dispatch.attempts) == ("sending", 1)
    # A redelivered message for a row in flight sends nothing.
    assert outbox.deliver(dispatch.pk) == ""
    assert mail.outbox == []
