"""Mail delivery waits as long as mail servers do (issue 12, finding 6): a real SMTP server on loopback.

Transient failures (refused connections, 4xx replies) are retried by the every-minute sweep at the time the
Dispatch row holds, with capped, jittered backoff, for 48 hours; permanent ones (5xx) stop at once; a failure
is shown to the freelancer and in the admin, which can retry it.
"""

from __future__ import annotations

import smtplib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from crm.models import Dispatch
from crm.reminders import outbox, tasks
from tests.factories import make_client, make_promise
from tests.reminders.smtp_server import MailServer

MONDAY_EIGHT_PARIS = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # alice's digest moment


@pytest.fixture
def mail_server(settings: Any) -> Iterator[MailServer]:
    server = MailServer()
    for name, value in server.email_settings().items():
        setattr(settings, name, value)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def alice_due(alice: Any) -> Any:
    with time_machine.travel(MONDAY_EIGHT_PARIS - timedelta(days=3), tick=False):
        make_promise(make_client(alice, name="Atelier Dupont"), description="Send the mock-up")
    alice.profile.nudges_enabled = False
    alice.profile.save()
    return alice


def sweep_at(moment: datetime) -> list[str]:
    """One beat sweep at `moment`, with the workers' sends done inline; return the states reached."""
    with time_machine.travel(moment, tick=True):
        return [outbox.deliver(pk) for pk in tasks.sweep()]


def digest(owner: Any) -> Dispatch:
    return Dispatch.objects.get(owner=owner, kind=Dispatch.Kind.DIGEST)


def test_an_hour_long_smtp_outage_delivers_the_digest_exactly_once(
    alice_due: Any, mail_server: MailServer
) -> None:
    mail_server.stop()
    moment, outcomes = MONDAY_EIGHT_PARIS, []
    while moment < MONDAY_EIGHT_PARIS + timedelta(hours=1):  # the sweep runs every minute through the outage
        outcomes += sweep_at(moment)
        moment += timedelta(minutes=1)
    row = digest(alice_due)
    assert (row.state, row.sent_at) == ("retrying", None)
    assert set(outcomes) == {"retrying"}
    # Backoff: 1, 2, 4, 8, 16, 30 minutes at most (jittered to half of each at least): 5 to 11 tries an hour.
    assert 5 <= row.attempts == len(outcomes) <= 11
    assert "ConnectionRefusedError" in row.last_error
    assert row.failing_since - MONDAY_EIGHT_PARIS < timedelta(seconds=1)
    # Nothing was due at the last sweep (its moment plus the jitter's fraction of a second may fall before 8:00).
    assert moment - timedelta(minutes=1) < row.next_attempt_at

    mail_server.start()
    while moment < MONDAY_EIGHT_PARIS + timedelta(hours=3):  # back up: the next retry sends it, once
        outcomes += sweep_at(moment)
        moment += timedelta(minutes=1)
    assert outcomes.count("sent") == 1
    assert len(mail_server.received) == 1
    [message] = mail_server.received
    assert (message["To"], message["Subject"]) == ("alice@example.com", "Your week in promises, November 23")
    assert "Send the mock-up" in message.get_body(("plain",)).get_content()
    row.refresh_from_db()
    assert (row.state, row.last_error, row.next_attempt_at) == ("sent", "", None)
    assert row.failing_since is None
    assert row.sent_at <= MONDAY_EIGHT_PARIS + timedelta(hours=1, minutes=31)


@pytest.mark.parametrize(
    ("reply", "state"),
    [
        ("550 5.1.1 No such user here", "failed"),  # permanent: stops at once
        ("451 4.3.0 Greylisted, try again later", "retrying"),  # transient: tried again
    ],
)
def test_a_5xx_refusal_fails_at_once_and_a_4xx_is_retried(
    alice_due: Any, mail_server: MailServer, reply: str, state: str
) -> None:
    mail_server.refuse["alice@example.com"] = reply
    assert sweep_at(MONDAY_EIGHT_PARIS) == [state]
    row = digest(alice_due)
    assert (row.state, row.attempts) == (state, 1)
    assert reply.split()[0] in row.last_error
    # The sweeps of the next hours: a failed row is never handed over again; a retrying one is.
    later = [sweep_at(MONDAY_EIGHT_PARIS + timedelta(minutes=m)) for m in range(5, 65, 5)]
    assert (sum(map(len, later)) > 0) is (state == "retrying")
    assert mail_server.received == []


def test_48_hours_of_outage_fail_the_digest_and_tell_the_freelancer(
    alice_due: Any, mail_server: MailServer, client: Any, admin_client: Any
) -> None:
    mail_server.stop()
    moment = MONDAY_EIGHT_PARIS
    while digest_state(alice_due) != "failed" and moment < MONDAY_EIGHT_PARIS + timedelta(hours=60):
        sweep_at(moment)
        moment += timedelta(minutes=10)
    row = digest(alice_due)
    assert row.state == "failed"
    # Retried for at least 48 hours, and not much longer (the last wait is at most 30 minutes).
    assert timedelta(hours=48) <= moment - MONDAY_EIGHT_PARIS <= timedelta(hours=48, minutes=50)
    assert row.last_error.startswith("Gave up after")
    assert "ConnectionRefusedError" in row.last_error

    client.force_login(alice_due)
    with time_machine.travel(moment, tick=False):
        page = client.get(reverse("web:dashboard")).content.decode()
    assert "Your weekly digest of November 23 could not be delivered to alice@example.com" in page
    alice_due.profile.language = "fr"
    alice_due.profile.save()
    with time_machine.travel(moment, tick=False):
        french = client.get(reverse("web:dashboard")).content.decode()
    assert "n’a pas pu être remis à alice@example.com" in french

    # The admin sees it and retries it by hand once the mail server is back: delivered once.
    listing = admin_client.get(reverse("admin:crm_dispatch_changelist"), {"state": "failed"})
    assert "Gave up after" in listing.content.decode()
    mail_server.start()
    with time_machine.travel(moment, tick=True):
        admin_client.post(
            reverse("admin:crm_dispatch_changelist"),
            {"action": "retry_now", "_selected_action": [row.pk]},
        )
        row.refresh_from_db()
        assert (row.state, row.attempts, row.failing_since) == ("queued", 0, None)
        assert outbox.deliver(row.pk) == "sent"
    assert len(mail_server.received) == 1
    with time_machine.travel(moment + timedelta(minutes=1), tick=False):
        assert "could not be delivered" not in client.get(reverse("web:dashboard")).content.decode()


def digest_state(owner: Any) -> str:
    row = Dispatch.objects.filter(owner=owner, kind=Dispatch.Kind.DIGEST).first()
    return row.state if row else ""


def test_send_digests_by_hand_leaves_a_refused_connection_to_the_sweep(
    alice_due: Any, mail_server: MailServer
) -> None:
    mail_server.stop()
    out = StringIO()
    call_command("send_digests", "--user", "alice", "--now", MONDAY_EIGHT_PARIS.isoformat(), stdout=out)
    assert "alice: digest 2026-W48: not sent yet, will retry at 2026-11-23 07:0" in out.getvalue()
    row = digest(alice_due)
    assert (row.state, row.attempts) == ("retrying", 1)  # before: "failed" after one attempt
    mail_server.start()
    assert sweep_at(row.next_attempt_at) == ["sent"]
    assert len(mail_server.received) == 1


def test_retry_waits_double_up_to_half_an_hour_with_jitter() -> None:
    waits = [outbox.retry_delay(attempt) for attempt in range(1, 12)]
    bounds = [min(2 ** (attempt - 1), 30) for attempt in range(1, 12)]
    for wait, bound in zip(waits, bounds, strict=True):
        assert timedelta(minutes=bound) / 2 <= wait <= timedelta(minutes=bound)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (smtplib.SMTPDataError(451, b"Try again later"), True),
        (smtplib.SMTPAuthenticationError(535, b"Bad credentials"), True),  # our settings, not the message
        (smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"Mailbox busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"No such user")}), False),
        (smtplib.SMTPDataError(552, b"Message too big"), False),
        (smtplib.SMTPSenderRefused(553, b"Sender refused", "confiance@localhost"), False),
        (ValueError("Invalid address"), False),
        (KeyError("digest"), False),
    ],
)
def test_which_failures_are_worth_waiting_for(error: Exception, transient: bool) -> None:
    assert outbox.is_transient(error) is transient


def test_48_hours_without_smtp_then_back_deliver_each_mail_once(
    alice: Any, bob: Any, mail_server: MailServer
) -> None:
    """Issue 25, item 8: two freelancers (Paris and New York), their digests and daily nudges falling due all
    through 48 hours without a mail server: once it is back, every mail arrives, each exactly once. (The first
    ones have failed for 48 hours by then, which RETRY_FOR still allows: their next retry sends them.)"""
    bob.profile.time_zone = "America/New_York"
    bob.profile.save()
    with time_machine.travel(MONDAY_EIGHT_PARIS - timedelta(days=3), tick=False):
        for owner in (alice, bob):
            # A status update every day, never given: a nudge is due every day.
            client = make_client(owner, name=f"Atelier {owner.username}", cadence_days=1)
            make_promise(client, description="Send the mock-up")
    mail_server.stop()
    back = MONDAY_EIGHT_PARIS + timedelta(hours=48)
    moment, outcomes = MONDAY_EIGHT_PARIS, Counter[str]()
    while moment < back + timedelta(hours=3):  # the sweep every 10 minutes, down for 48 hours, then up again
        if moment >= back and not mail_server.running:
            mail_server.start()
        outcomes.update(sweep_at(moment))
        moment += timedelta(minutes=10)

    rows = Dispatch.objects.exclude(state=Dispatch.State.SKIPPED).select_related("owner")
    assert set(rows.values_list("state", flat=True)) == {"sent"}
    assert min(row.sent_at for row in rows) >= back  # nothing slipped through during the outage
    # Each sent row reached the server at least once (its send succeeded); as many messages as rows, per
    # recipient: so each exactly once.
    received = Counter(message["To"] for message in mail_server.received)
    assert received == Counter(row.owner.email for row in rows)
    assert {row.kind for row in rows} == {Dispatch.Kind.DIGEST, Dispatch.Kind.NUDGE}
    assert received["alice@example.com"] == 4  # Monday's digest, the nudges of Monday, Tuesday and Wednesday
    assert outcomes["sent"] == rows.count() and outcomes["failed"] == 0
    attempts = sum(row.attempts for row in rows)
    print(  # noqa: T201 (the figures of the closing note, shown with -s)
        f"\n48 h SMTP outage: {rows.count()} mails, {attempts} attempts, {len(mail_server.received)} deliveries, "
        f"duplicates {len(mail_server.received) - rows.count()}, given up 0"
    )
