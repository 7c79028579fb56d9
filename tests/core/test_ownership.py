"""One fetch for its owner (crm/core/ownership.py): alice's records for alice, a 404 for bob."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.http import Http404

from clients.models import Client, Project
from conflicts.models import ConflictSignal
from crm.core import statements
from crm.core.ownership import owned, owned_by_pk, owned_or_404, owner_path, read_locked, shared
from crm.models import Interaction, Invoice, Promise
from tests.factories import make_client, make_interaction, make_invoice, make_project, make_promise


def test_the_owner_is_read_where_the_model_keeps_it() -> None:
    assert owner_path(Client) == "owner"
    assert owner_path(Promise) == "owner"  # copied from its client (OwnedThroughClient)
    assert owner_path(Invoice) == "owner"
    assert owner_path(ConflictSignal) == "owner"
    assert owner_path(Project) == "client__owner"
    assert owner_path(Interaction) == "client__owner"


def test_alice_gets_her_records_bob_a_404(alice: Any, bob: Any) -> None:
    client = make_client(alice)
    records = [
        client,
        make_project(client),
        make_interaction(client),
        make_promise(client),
        make_invoice(client),
    ]
    for record in records:
        model = type(record)
        assert owned_or_404(model, alice, pk=record.pk) == record
        assert owned_or_404(model.objects.all(), alice, pk=record.pk) == record
        with pytest.raises(Http404):
            owned_or_404(model, bob, pk=record.pk)
        assert not owned(model, bob).exists()


def test_a_queryset_keeps_what_it_reads_along(alice: Any, django_assert_num_queries: Any) -> None:
    promise = make_promise(make_client(alice))
    with django_assert_num_queries(1):
        fetched = owned_or_404(Promise.objects.select_related("client"), alice, pk=promise.pk)
        assert fetched.client.name


def test_a_read_by_key_is_compiled_once_for_a_model_or_a_shared_queryset(
    alice: Any, bob: Any, django_assert_num_queries: Any
) -> None:
    """`owned_by_pk` runs a statement compiled once (crm/core/statements.py) for a model or a `shared` queryset:
    each owner still reads only their own records, with what the queryset reads along; a queryset built on the
    spot is read as the ORM reads it, and leaves no statement behind."""
    promises = shared(Promise.objects.select_related("client"))
    alices = [make_promise(make_client(alice, name=f"Client {n}")) for n in range(3)]
    bobs = make_promise(make_client(bob))
    for source in (Promise, promises):
        for promise in alices:
            with django_assert_num_queries(1):
                fetched = owned_by_pk(source, alice, promise.pk)
                # What the shared queryset reads along comes with it.
                assert fetched is not None and (
                    source is Promise or fetched.client.name == promise.client.name
                )
            assert (fetched.pk, fetched.description, fetched.due_on) == (
                promise.pk,
                promise.description,
                promise.due_on,
            )
            assert owned_by_pk(source, bob, promise.pk) is None
        assert owned_by_pk(source, bob, bobs.pk) == bobs
        assert owned_by_pk(source, alice, bobs.pk) is None
        with pytest.raises(Http404):
            owned_or_404(source, alice, pk=bobs.pk)
    compiled = {key[0] for key in statements._COMPILED}
    assert {("owned", "crm.Promise", False), ("owned", promises._owned_reads_compiled_as, False)} <= compiled
    kept = len(statements._COMPILED)
    assert owned_by_pk(Promise.objects.select_related("client"), alice, alices[0].pk) == alices[0]
    assert len(statements._COMPILED) == kept


@pytest.mark.django_db(transaction=True)
def test_a_locked_read_by_key_is_marked_read_under_its_lock(alice: Any, bob: Any) -> None:
    promise = make_promise(make_client(alice))
    with transaction.atomic():
        fetched = owned_or_404(shared(Promise.objects.all()), alice, for_update=True, pk=promise.pk)
        assert read_locked(fetched)
        with pytest.raises(Http404):
            owned_or_404(Promise, bob, for_update=True, pk=promise.pk)
    assert not read_locked(fetched)  # the transaction is over
    assert not read_locked(owned_or_404(Promise, alice, for_update=True, pk=promise.pk))  # no transaction
