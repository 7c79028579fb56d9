"""One fetch for its owner (crm/core/ownership.py): alice's records for alice, a 404 for bob."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from clients.models import Client, Project
from conflicts.models import ConflictSignal
from crm.core.ownership import owned, owned_or_404, owner_path
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
