"""The migration that turns each client's email and phone into its primary contact, forwards and backwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from clients.models import Client, Contact
from tests.models.test_data_migrations import _migrate

BEFORE_CONTACTS = [("clients", "0010_contacts")]
CREATED = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def before_primary_contacts(transactional_db: None) -> Iterator[Any]:
    try:
        yield _migrate(BEFORE_CONTACTS)
    finally:
        _migrate()


def _clients(apps: Any) -> dict[str, int]:
    user = apps.get_model("auth", "User").objects.create(username="old-alice")
    client = apps.get_model("clients", "Client")
    rows = {
        "Both": {"email": "anne@atelier.fr", "phone": "06 12 34 56 78"},
        "Phone only": {"phone": "01 23 45 67 89"},
        "Neither": {},
    }
    return {
        name: client.objects.create(owner=user, name=name, created_at=CREATED, **fields).pk
        for name, fields in rows.items()
    }


def test_each_clients_address_becomes_its_primary_contact_and_comes_back(
    before_primary_contacts: Any,
) -> None:
    pks = _clients(before_primary_contacts)

    _migrate()

    contacts = {c.client.name: c for c in Contact.objects.select_related("client")}
    assert set(contacts) == {"Both", "Phone only"}  # no empty contact for a client without an address
    both = contacts["Both"]
    assert (both.name, both.email, both.phone, both.is_primary) == (
        "Both", "anne@atelier.fr", "06 12 34 56 78", True,
    )  # fmt: skip
    assert both.owner_id == both.client.owner_id
    assert both.created_at == CREATED
    assert (contacts["Phone only"].email, contacts["Phone only"].phone) == ("", "01 23 45 67 89")

    # An edit after the migration (through the primary contact) is what going back keeps.
    both.email = "anne.martin@atelier.fr"
    both.save()

    apps = _migrate([("clients", "0010_contacts")])
    old_client = apps.get_model("clients", "Client")
    assert apps.get_model("clients", "Contact").objects.count() == 0
    assert old_client.objects.get(pk=pks["Both"]).email == "anne.martin@atelier.fr"
    assert old_client.objects.get(pk=pks["Phone only"]).phone == "01 23 45 67 89"

    # Forwards again: the same primary contacts, no duplicate.
    _migrate()
    assert Contact.objects.filter(is_primary=True).count() == 2
    assert Client.objects.get(pk=pks["Both"]).contacts.get().email == "anne.martin@atelier.fr"
