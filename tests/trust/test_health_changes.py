"""Trust-health moves: written when a change to a client's history moves its score, with the reason that moved most."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from clients.models import Client
from crm.models import ClientHealth, HealthChange, Interaction
from crm.trust.door import journal_changed
from crm.trust.health import HEALTH_CHANGE_MIN_POINTS, reason_that_moved, recompute_book
from tests.factories import make_client, make_interaction, make_project, make_promise

NOW = datetime.fromisoformat("2026-03-04T10:00:00+01:00")


def _steady_client(owner: Any) -> Client:
    """Return a client with an active project, status updates and promises kept: a real score, not a placeholder."""
    client = make_client(owner, cadence_days=7, created_at=timezone.now() - timedelta(days=60))
    today = timezone.localdate()
    make_project(client, start_on=today - timedelta(days=60))
    for weeks in range(3, 7):
        day = today - timedelta(weeks=weeks)
        make_promise(client, made_on=day - timedelta(days=5), due_on=day, state="kept", kept_on=day)
    for weeks in range(1, 8):
        make_interaction(
            client,
            kind=Interaction.Kind.STATUS_UPDATE,
            direction=Interaction.Direction.TO_CLIENT,
            happened_at=timezone.now() - timedelta(weeks=weeks),
        )
    return client


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_breaking_a_promise_silently_records_the_drop_and_why(alice: Any, frozen: Any) -> None:
    client = _steady_client(alice)
    today = timezone.localdate()
    promise = make_promise(client, made_on=today - timedelta(days=20), due_on=today - timedelta(days=1))
    before = ClientHealth.objects.get(client=client).score
    HealthChange.objects.all().delete()

    promise.break_(today)
    journal_changed([promise.client_id])

    change = HealthChange.objects.get(client=client)
    after = ClientHealth.objects.get(client=client)
    assert (change.old_score, change.new_score) == (before, after.score)
    assert change.new_score < change.old_score
    assert change.reason["code"] == "promise_broken_silently"
    assert change.reason["params"]["count"] == 1
    assert not change.reason.get("gone")
    assert change.at == timezone.now()


def test_keeping_an_overdue_promise_records_the_rise_and_the_reason_that_went(
    alice: Any, frozen: Any
) -> None:
    client = _steady_client(alice)
    today = timezone.localdate()
    promise = make_promise(client, made_on=today - timedelta(days=30), due_on=today - timedelta(days=10))
    HealthChange.objects.all().delete()

    promise.keep(today)
    journal_changed([promise.client_id])

    change = HealthChange.objects.get(client=client)
    assert change.new_score > change.old_score
    assert change.reason == {
        "code": "promise_overdue",
        "params": change.reason["params"],
        "gone": True,
    }


def test_a_new_clients_first_events_record_no_move(alice: Any, frozen: Any) -> None:
    # From "not enough history" (a placeholder 50, not a score) to its first scores: nothing moved yet.
    client = make_client(alice)
    make_interaction(client)
    assert not HealthChange.objects.filter(client=client).exists()


def test_a_change_that_leaves_the_score_and_band_as_they_were_records_nothing(
    alice: Any, frozen: Any
) -> None:
    client = _steady_client(alice)
    HealthChange.objects.all().delete()
    interaction = client.interactions.first()
    interaction.summary = "Same facts, new words"
    interaction.save()
    assert HEALTH_CHANGE_MIN_POINTS == 1
    assert not HealthChange.objects.exists()


def test_the_nightly_recompute_records_no_move(alice: Any, frozen: Any) -> None:
    # Decay alone moves scores every day: the bulk recompute would fill every timeline.
    client = _steady_client(alice)
    HealthChange.objects.all().delete()
    before = ClientHealth.objects.get(client=client).score
    frozen.shift(timedelta(days=40))
    recompute_book(alice)
    assert ClientHealth.objects.get(client=client).score != before
    assert not HealthChange.objects.exists()


def test_deleting_an_event_records_the_move_back(alice: Any, frozen: Any) -> None:
    client = _steady_client(alice)
    today = timezone.localdate()
    promise = make_promise(client, made_on=today - timedelta(days=20), due_on=today - timedelta(days=1))
    promise.break_(today)
    journal_changed([promise.client_id])
    HealthChange.objects.all().delete()
    promise.delete()
    journal_changed([promise.client_id])
    change = HealthChange.objects.get(client=client)
    assert change.new_score > change.old_score


def test_the_reason_that_moved_most_in_the_direction_of_the_move() -> None:
    old = [{"code": "promise_overdue", "impact": -10.0, "params": {"count": 1}}]
    new = [
        {"code": "promise_broken_silently", "impact": -14.0, "params": {"count": 1}},
        {"code": "status_updates_sent", "impact": 3.0, "params": {"count": 4}},
    ]
    assert reason_that_moved(old, new, -4) == {"code": "promise_broken_silently", "params": {"count": 1}}
    # A rise: what went away helped most.
    assert reason_that_moved(new, old, 4) == {
        "code": "promise_broken_silently",
        "params": {"count": 1},
        "gone": True,
    }
    # "Not enough history" is a state, not a reason that moved; nothing moved: no reason.
    assert reason_that_moved([], [{"code": "not_enough_history", "impact": 0.0}], -1) == {}


# -- coalesced within the undo window (issue 22) ---------------------------------------------------------------


def _keep_undo_keep(alice_client: Any, promise: Any, frozen: Any, minutes_apart: float) -> None:
    """Keep the promise, undo it, keep it again: three clicks `minutes_apart` minutes apart."""
    from django.urls import reverse

    from crm.models import Undo

    keep = reverse("web:promise_keep", kwargs={"promise_id": promise.pk})
    alice_client.post(keep)
    frozen.shift(timedelta(minutes=minutes_apart))
    undo = Undo.objects.latest("pk")
    alice_client.post(reverse("web:undo", kwargs={"undo_id": undo.pk}))
    frozen.shift(timedelta(minutes=minutes_apart))
    alice_client.post(keep)


def test_marking_undoing_and_redoing_within_the_undo_window_leaves_one_net_move(
    alice_client: Any, alice: Any, frozen: Any
) -> None:
    client = _steady_client(alice)
    today = timezone.localdate()
    promise = make_promise(client, made_on=today - timedelta(days=30), due_on=today - timedelta(days=10))
    before = ClientHealth.objects.get(client=client).score
    HealthChange.objects.all().delete()

    _keep_undo_keep(alice_client, promise, frozen, minutes_apart=4)

    after = ClientHealth.objects.get(client=client).score
    assert after > before
    change = HealthChange.objects.get(client=client)  # one row, not three
    assert (change.old_score, change.new_score) == (before, after)
    assert change.reason["code"] == "promise_overdue" and change.reason.get("gone")
    # The undo took the first move back (nothing had moved); the keep again is the one move left.
    assert change.at == NOW + timedelta(minutes=8)


def test_a_move_taken_back_within_the_undo_window_leaves_no_move(
    alice_client: Any, alice: Any, frozen: Any
) -> None:
    from django.urls import reverse

    from crm.models import Undo

    client = _steady_client(alice)
    today = timezone.localdate()
    promise = make_promise(client, made_on=today - timedelta(days=30), due_on=today - timedelta(days=10))
    HealthChange.objects.all().delete()

    alice_client.post(reverse("web:promise_keep", kwargs={"promise_id": promise.pk}))
    assert HealthChange.objects.filter(client=client).count() == 1
    frozen.shift(timedelta(minutes=2))
    alice_client.post(reverse("web:undo", kwargs={"undo_id": Undo.objects.latest("pk").pk}))

    assert not HealthChange.objects.filter(client=client).exists()


def test_moves_further_apart_than_the_undo_window_stay_apart(
    alice_client: Any, alice: Any, frozen: Any
) -> None:
    from crm.models.trash import UNDO_MINUTES

    client = _steady_client(alice)
    today = timezone.localdate()
    promise = make_promise(client, made_on=today - timedelta(days=30), due_on=today - timedelta(days=10))
    HealthChange.objects.all().delete()

    # The undo itself must still be allowed: just inside its own window, past the first move's.
    _keep_undo_keep(alice_client, promise, frozen, minutes_apart=UNDO_MINUTES - 0.5)

    moves = list(
        HealthChange.objects.filter(client=client).order_by("at").values_list("old_score", "new_score")
    )
    # The keep, then the undo and the keep again: the last two fall within one window and cancel out.
    assert len(moves) == 1 and moves[0][1] > moves[0][0]


def test_two_moves_within_the_undo_window_show_as_their_net_move(
    alice_client: Any, alice: Any, frozen: Any
) -> None:
    from django.urls import reverse

    client = _steady_client(alice)
    today = timezone.localdate()
    first, second = (
        make_promise(client, made_on=today - timedelta(days=30), due_on=today - timedelta(days=days))
        for days in (10, 12)
    )
    before = ClientHealth.objects.get(client=client).score
    HealthChange.objects.all().delete()

    alice_client.post(reverse("web:promise_keep", kwargs={"promise_id": first.pk}))
    frozen.shift(timedelta(minutes=3))
    alice_client.post(reverse("web:promise_keep", kwargs={"promise_id": second.pk}))

    change = HealthChange.objects.get(client=client)
    assert (change.old_score, change.new_score) == (before, ClientHealth.objects.get(client=client).score)
    assert change.at == NOW and change.new_score > change.old_score
