"""Promises and conflict signals store their client's owner; every client has its trust health row from the start;
the book version moves with every change of the book and is never written back older."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse

from clients.models import Client, Profile
from conflicts.models import ConflictSignal
from crm.models import ClientHealth, Promise
from crm.models.health import Band
from tests.factories import make_client, make_conflict, make_promise

DAY = date(2026, 3, 2)


def _stored_owner(row: Promise | ConflictSignal) -> int:
    """Return the owner id as stored in the database."""
    return type(row).objects.values_list("owner_id", flat=True).get(pk=row.pk)


def _new_promise(client: Client, **fields: Any) -> Promise:
    return Promise(client=client, description="Livrer la maquette", made_on=DAY, due_on=DAY, **fields)


def _new_signal(client: Client, **fields: Any) -> ConflictSignal:
    return ConflictSignal(client=client, kind=ConflictSignal.Kind.IDEAS, observed_on=DAY, **fields)


# -- the owner comes from the client ---------------------------------------------------------------------------


def test_promise_and_signal_take_their_clients_owner_when_created(alice: Any) -> None:
    client = make_client(alice)

    assert _stored_owner(make_promise(client)) == alice.pk
    assert _stored_owner(make_conflict(client)) == alice.pk


def test_bulk_created_promises_and_signals_take_their_clients_owner(alice: Any, bob: Any) -> None:
    alices, bobs = make_client(alice), make_client(bob)

    Promise.objects.bulk_create([_new_promise(alices), _new_promise(bobs), _new_promise(alices)])
    ConflictSignal.objects.bulk_create([_new_signal(bobs), _new_signal(alices)])

    assert sorted(Promise.objects.values_list("client__owner", "owner")) == sorted(
        [(alice.pk, alice.pk), (alice.pk, alice.pk), (bob.pk, bob.pk)]
    )
    assert sorted(ConflictSignal.objects.values_list("client__owner", "owner")) == sorted(
        [(alice.pk, alice.pk), (bob.pk, bob.pk)]
    )


def test_owner_given_by_hand_is_replaced_by_the_clients(alice: Any, bob: Any) -> None:
    client = make_client(alice)

    created = Promise.objects.create(client=client, owner=bob, description="Devis", made_on=DAY, due_on=DAY)
    assert _stored_owner(created) == alice.pk
    bulk = Promise.objects.bulk_create([_new_promise(client, owner=bob)])[0]
    assert _stored_owner(bulk) == alice.pk

    signal = make_conflict(client)
    signal.owner = bob
    signal.save()
    assert _stored_owner(signal) == alice.pk


def test_promise_moved_to_another_freelancers_client_moves_its_owner(alice: Any, bob: Any) -> None:
    promise = make_promise(make_client(alice))

    promise.client = make_client(bob)
    promise.save()

    assert _stored_owner(promise) == bob.pk
    assert list(Promise.objects.for_owner(alice)) == []
    assert list(Promise.objects.for_owner(bob)) == [promise]


@pytest.mark.parametrize("make", [make_promise, make_conflict], ids=["promise", "signal"])
def test_moving_only_the_client_field_moves_the_owner_too(alice: Any, bob: Any, make: Any) -> None:
    row = make(make_client(alice))

    row.client = make_client(bob)
    row.save(update_fields=["client"])

    assert _stored_owner(row) == bob.pk


def test_moving_the_client_id_alone_moves_the_owner_too(alice: Any, bob: Any) -> None:
    promise = make_promise(make_client(alice))

    promise.client_id = make_client(bob).pk
    promise.save(update_fields=["client_id"])  # Django accepts a field's attname here

    assert _stored_owner(promise) == bob.pk


def test_bob_never_gets_alices_promises_or_signals(alice: Any, bob: Any) -> None:
    alices = make_client(alice)
    make_promise(alices)
    make_conflict(alices)
    tampered = make_promise(alices)
    tampered.owner = bob
    tampered.save()
    assert list(Promise.objects.for_owner(bob)) == []
    assert list(ConflictSignal.objects.for_owner(bob)) == []

    bobs_promise, bobs_signal = make_promise(make_client(bob)), make_conflict(make_client(bob))

    assert list(Promise.objects.for_owner(bob)) == [bobs_promise]
    assert list(ConflictSignal.objects.for_owner(bob)) == [bobs_signal]
    assert Promise.objects.for_owner(alice).count() == 2
    assert ConflictSignal.objects.for_owner(alice).count() == 1


# -- every client has its trust health row ---------------------------------------------------------------------


def test_a_new_client_gets_its_not_enough_history_trust_health_at_once(alice: Any) -> None:
    client = make_client(alice)

    health = ClientHealth.objects.get(client=client)
    assert (health.owner_id, health.band, health.rank, health.evidence_count) == (
        alice.pk,
        Band.INSUFFICIENT,
        3,
        0,
    )


def test_a_client_created_through_the_form_gets_its_trust_health_too(alice_client: Any, alice: Any) -> None:
    response = alice_client.post(
        reverse("web:client_new"),
        {"name": "Nadia Neuve", "language": "fr", "status": "active", "cadence_days": 14},
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    client = Client.objects.get(owner=alice, name="Nadia Neuve")
    assert ClientHealth.objects.get(client=client).band == Band.INSUFFICIENT


def test_dashboard_shows_a_brand_new_client_with_a_dash_rather_than_a_score(
    alice_client: Any, alice: Any
) -> None:
    client = make_client(alice, name="Nadia Neuve")

    html = alice_client.get(reverse("web:dashboard")).content.decode()

    row = re.search(rf'<tr class="client-row" id="client-{client.pk}">.*?</tr>', html, re.S)
    assert row, "the new client is missing from the dashboard"
    assert '<span class="score-number">–</span>' in row.group()
    assert "not enough history" in row.group()


# -- the book version ------------------------------------------------------------------------------------------


def _book_version(user: Any) -> int:
    return Profile.objects.values_list("book_version", flat=True).get(user=user)


def test_deleting_a_client_moves_its_owners_book_version_only(alice: Any, bob: Any) -> None:
    client = make_client(alice)
    make_client(bob)
    alices, bobs = _book_version(alice), _book_version(bob)

    client.delete()

    assert _book_version(alice) > alices
    assert _book_version(bob) == bobs


def test_a_stale_profile_saved_keeps_the_newer_book_version(alice: Any) -> None:
    stale = Profile.objects.get(user=alice)
    Profile.book_changed([alice.pk])
    Profile.book_changed([alice.pk])
    newer = _book_version(alice)
    assert newer == stale.book_version + 2

    stale.display_name = "Alice M."
    stale.digest_hour = 7
    stale.save()

    saved = Profile.objects.get(user=alice)
    assert (saved.display_name, saved.digest_hour, saved.book_version) == ("Alice M.", 7, newer)


def test_the_book_version_moves_when_the_book_changes(alice: Any) -> None:
    before = _book_version(alice)
    client = make_client(alice)
    after_client = _book_version(alice)
    make_promise(client, made_on=DAY, due_on=DAY + timedelta(days=3))

    assert before < after_client < _book_version(alice)


def test_a_state_saved_alone_does_not_read_the_client_again(
    alice: Any, django_assert_num_queries: Any
) -> None:
    promise = Promise.objects.get(pk=make_promise(make_client(alice)).pk)  # its client not loaded
    with django_assert_num_queries(2):  # the UPDATE and its history row: the owner column is not written
        promise.keep(promise.made_on)
    assert _stored_owner(promise) == alice.pk
