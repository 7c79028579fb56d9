"""`send_digests` and `send_nudges`: preview or send by hand, never twice for one period."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from crm.models import Dispatch
from tests.factories import make_client, make_promise, make_user

MONDAY_EIGHT_PARIS = "2026-11-23T08:00:00+01:00"


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def alice_with_a_promise(alice: Any) -> Any:
    with time_machine.travel(datetime(2026, 11, 20, 9, 0, tzinfo=UTC), tick=False):
        make_promise(make_client(alice, name="Atelier Dupont"), description="Send the mock-up")
    return alice


def test_dry_run_prints_the_plain_text_digest_and_sends_nothing(alice_with_a_promise: Any) -> None:
    output = run("send_digests", "--user", "alice", "--dry-run", "--now", MONDAY_EIGHT_PARIS)
    assert "# Subject: Your week in promises, November 23" in output
    assert "Send the mock-up" in output
    assert "<html" not in output
    assert mail.outbox == []
    assert not Dispatch.objects.exists()


def test_sending_by_hand_sends_once_per_week(alice_with_a_promise: Any) -> None:
    first = run("send_digests", "--user", "alice", "--now", MONDAY_EIGHT_PARIS)
    assert first.strip() == "alice: digest 2026-W48: sent"
    second = run("send_digests", "--user", "alice", "--now", "2026-11-25T10:00:00+01:00")
    assert second.strip() == "alice: digest 2026-W48: not sent again (already sent)"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]


def test_without_user_only_the_freelancers_due_now_get_theirs(alice: Any) -> None:
    make_user("newyork", time_zone="America/New_York")
    output = run("send_digests", "--now", MONDAY_EIGHT_PARIS)
    assert output.strip() == "alice: digest 2026-W48: sent"  # 02:00 in New York: not yet
    output = run("send_digests", "--now", "2026-11-23T08:00:00-05:00")
    assert output.splitlines() == [
        "alice: digest 2026-W48: not sent again (already sent)",  # still within her catch-up window
        "newyork: digest 2026-W48: sent",
    ]
    assert [m.to for m in mail.outbox] == [["alice@example.com"], ["newyork@example.com"]]


def test_send_nudges_dry_run_prints_the_drafts(alice: Any) -> None:
    with time_machine.travel(datetime(2026, 11, 10, 9, 0, tzinfo=UTC), tick=False):
        make_client(alice, name="Atelier Dupont")
    output = run("send_nudges", "--user", "alice", "--dry-run", "--now", MONDAY_EIGHT_PARIS)
    assert "1 client is waiting for a status update" in output
    assert "Atelier Dupont: lapsed 6 days ago" in output
    assert mail.outbox == []


def test_unknown_user_and_bad_date_are_errors(alice: Any) -> None:
    with pytest.raises(CommandError, match="No freelancer named"):
        run("send_digests", "--user", "nobody")
    with pytest.raises(CommandError, match="not an ISO 8601"):
        run("send_nudges", "--now", "next monday")


def test_now_without_offset_is_read_in_the_default_time_zone(alice_with_a_promise: Any) -> None:
    run("send_digests", "--user", "alice", "--now", "2026-11-23T08:00")
    digest = Dispatch.objects.get()
    assert (digest.period, digest.due_at, digest.state) == (
        "2026-W48",
        datetime(2026, 11, 23, 7, 0, tzinfo=UTC),  # 08:00 in Paris, the default time zone
        "sent",
    )
