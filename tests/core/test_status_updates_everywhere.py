"""The dashboard, the digest and the nudge planner list the same clients with a status update due (the rule of
crm/core/rules.py, `status_update_listed`): they used to look ahead two days by the clock and one by the calendar,
so a client due the day after tomorrow was on the dashboard and missing from the digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from clients.models import Absence, Client
from crm.models import Interaction
from crm.reminders.digest import build_digest, clients_due_for_status_update
from crm.web.views import board
from tests.factories import make_client, make_interaction, make_project, make_user

# Monday 23 November 2026, 08:00 in Paris.
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)


def _sent(client: Client, days_ago: float) -> None:
    make_interaction(
        client,
        kind=Interaction.Kind.STATUS_UPDATE,
        direction=Interaction.Direction.TO_CLIENT,
        happened_at=NOW - timedelta(days=days_ago),
    )


@pytest.fixture
def book(alice: Any) -> dict[str, Client]:
    """Clients on a weekly cadence, their last status update sent so that the next one falls due on the day
    named, plus an away and a paused client whose update lapsed long ago."""
    with time_machine.travel(NOW - timedelta(days=60), tick=False):
        clients = {
            name: make_client(alice, name=name, cadence_days=7)
            for name in (
                "lapsed",
                "today",
                "tomorrow",
                "after tomorrow",
                "away",
                "back",
                "paused",
                "project paused",
                "one project of two paused",
            )
        }
    # Sent at 06:00 Paris time: due 7 days later at the same hour, within 48 hours of now for "after tomorrow".
    for name, days_ago in (("lapsed", 10), ("today", 7), ("tomorrow", 6), ("after tomorrow", 5)):
        _sent(clients[name], days_ago + 2 / 24)
    Absence.objects.create(client=clients["away"], start_on=TODAY - timedelta(days=20), end_on=TODAY)
    Absence.objects.create(
        client=clients["back"], start_on=TODAY - timedelta(days=20), end_on=TODAY - timedelta(days=1)
    )
    Client.objects.filter(pk=clients["paused"].pk).update(status=Client.Status.PAUSED)
    # A client otherwise active whose only project is paused owes no status update; with a second project still
    # running, it does.
    make_project(clients["project paused"]).pause(TODAY - timedelta(days=30))
    make_project(clients["one project of two paused"]).pause(TODAY - timedelta(days=30))
    make_project(clients["one project of two paused"])
    return clients


LISTED = ["back", "lapsed", "one project of two paused", "today", "tomorrow"]


def test_the_dashboard_and_the_digest_list_the_same_clients(alice: Any, book: dict[str, Client]) -> None:
    alice = type(alice).objects.get(pk=alice.pk)  # a fresh user: no client cached on it
    with time_machine.travel(NOW, tick=False):
        week = board.week(alice, TODAY, NOW)
        digest = build_digest(alice, NOW)

    on_the_dashboard = sorted(client.name for client in week.status_updates)
    in_the_digest = sorted(item.client.name for item in digest.status_updates)
    assert on_the_dashboard == in_the_digest == LISTED
    assert week.counts["status_updates"] == len(LISTED)


def test_the_nudge_planner_lists_them_too(alice: Any, book: dict[str, Client]) -> None:
    active = list(Client.objects.filter(owner=alice, status=Client.Status.ACTIVE))
    due = clients_due_for_status_update(active, TODAY, alice.profile.zone)
    assert sorted(item.client.name for item in due) == LISTED
    assert {item.client.name: item.days_late for item in due}["tomorrow"] == -1


def test_both_say_the_same_days_late(alice: Any, book: dict[str, Client]) -> None:
    with time_machine.travel(NOW, tick=False):
        week = board.week(alice, TODAY, NOW)
        digest = build_digest(alice, NOW)
    assert {c.name: c.days_late for c in week.status_updates} == {
        item.client.name: item.days_late for item in digest.status_updates
    }


def test_a_freelancer_across_the_date_line_gets_the_same_lists(db: None) -> None:
    # 07:00 UTC on Monday is 20:00 on Sunday 22 November in Niue (UTC-11): that is the freelancer's today.
    niue = make_user("niue", time_zone="Pacific/Niue", language="en")
    with time_machine.travel(NOW - timedelta(days=60), tick=False):
        tomorrow = make_client(niue, name="due tomorrow", cadence_days=7)
        after_tomorrow = make_client(niue, name="due after tomorrow", cadence_days=7)
    _sent(tomorrow, 6)  # Monday 16 November, 20:00 in Niue: due Monday 23
    _sent(after_tomorrow, 5 + 2 / 24)  # Tuesday 17 November, 18:00 in Niue: due Tuesday 24, 46 hours from now
    today = niue.profile.local_today(NOW)
    assert today == date(2026, 11, 22)
    with time_machine.travel(NOW, tick=False):
        week = board.week(niue, today, NOW)
        digest = build_digest(niue, NOW)
    assert (
        [c.name for c in week.status_updates]
        == [i.client.name for i in digest.status_updates]
        == ["due tomorrow"]
    )
