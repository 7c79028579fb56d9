"""Dated absences in the stored trust health (issue 22): a past absence still explains the silence during it when
the whole book is recomputed, and a paused project owes no status update while the client stays active."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import time_machine
from django.utils import timezone

from clients.models import Absence, Client
from crm.models import ClientHealth, Interaction
from crm.trust.health import recompute_book
from tests.factories import make_client, make_interaction, make_project, make_promise

NOW = datetime.fromisoformat("2026-06-15T10:00:00+02:00")


def _weekly_with_a_gap(owner: Any, name: str) -> Client:
    """A weekly client with an active project since January: updates every week, but none for five weeks in
    the spring (from 35 to 70 days ago), and promises kept."""
    client = make_client(owner, name=name, cadence_days=7, created_at=NOW - timedelta(days=170))
    make_project(client, start_on=(NOW - timedelta(days=168)).date())
    today = NOW.date()
    for days in range(7, 170, 21):
        day = today - timedelta(days=days)
        make_promise(client, made_on=day - timedelta(days=5), due_on=day, state="kept", kept_on=day)
    for days in [*range(1, 35, 7), *range(70, 168, 7)]:
        make_interaction(
            client,
            kind=Interaction.Kind.STATUS_UPDATE,
            direction=Interaction.Direction.TO_CLIENT,
            happened_at=NOW - timedelta(days=days),
        )
    return client


def _health(client: Client) -> ClientHealth:
    return ClientHealth.objects.get(client=client)


@time_machine.travel(NOW, tick=False)
def test_a_past_holiday_still_explains_the_silence_during_it_after_a_full_recompute(alice: Any) -> None:
    silent = _weekly_with_a_gap(alice, "Silent")
    on_holiday = _weekly_with_a_gap(alice, "On holiday")
    today = timezone.localdate()
    # The client's holiday, long over: it covers the five weeks without news.
    Absence.objects.create(
        client=on_holiday,
        kind=Absence.Kind.HOLIDAY,
        start_on=today - timedelta(days=68),
        end_on=today - timedelta(days=36),
    )
    # And the client was away once more since, a few days only: only the current absence used to be known.
    Absence.objects.create(
        client=on_holiday,
        kind=Absence.Kind.ILLNESS,
        start_on=today - timedelta(days=20),
        end_on=today - timedelta(days=18),
    )
    ClientHealth.objects.all().delete()

    assert recompute_book(alice, now=timezone.now()) == 2

    silent_codes = [reason["code"] for reason in _health(silent).reasons]
    holiday_codes = [reason["code"] for reason in _health(on_holiday).reasons]
    assert "status_update_gap" in silent_codes
    assert "status_update_gap" not in holiday_codes
    assert _health(on_holiday).score > _health(silent).score


@time_machine.travel(NOW, tick=False)
def test_a_paused_project_owes_no_status_update_while_the_client_stays_active(alice: Any) -> None:
    paused, running = (_weekly_with_a_gap(alice, name) for name in ("Paused", "Running"))
    today = timezone.localdate()
    for client in (paused, running):
        # Nothing sent for the last three weeks.
        Interaction.objects.filter(client=client, happened_at__gt=NOW - timedelta(days=21)).delete()
        Client.objects.filter(pk=client.pk).update(last_status_update_at=NOW - timedelta(days=22))
    paused.projects.get().pause(today - timedelta(days=20))

    recompute_book(alice, now=timezone.now())

    paused.refresh_from_db()
    assert paused.status == Client.Status.ACTIVE
    assert not paused.status_update_listed(today)
    assert "status_update_overdue" not in [reason["code"] for reason in _health(paused).reasons]
    assert "status_update_overdue" in [reason["code"] for reason in _health(running).reasons]
    assert Client.objects.filter(owner=alice).status_update_listed(today, alice.profile.zone).get() == running
