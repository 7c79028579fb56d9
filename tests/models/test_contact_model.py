"""Contacts: one primary per client, the client's address kept as the primary's copy, the owner's addresses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clients.models import Client, Contact
from tests.factories import make_client, make_interaction

pytestmark = pytest.mark.django_db


def test_a_client_has_at_most_one_primary_contact(alice) -> None:
    client = make_client(alice)
    Contact.objects.create(client=client, name="Anne", is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(client=client, name="Bruno", is_primary=True)
    Contact.objects.create(client=client, name="Bruno")  # a plain contact beside it is fine


def test_the_contact_takes_its_clients_owner(alice) -> None:
    contact = Contact.objects.create(client=make_client(alice), name="Anne")
    assert contact.owner_id == alice.pk


def test_the_primary_contacts_address_is_the_clients(alice) -> None:
    client = make_client(alice)
    anne = Contact.objects.create(
        client=client, name="Anne", email="anne@atelier.fr", phone="06", is_primary=True
    )
    client.refresh_from_db()
    assert (client.email, client.phone) == ("anne@atelier.fr", "06")

    bruno = Contact.objects.create(client=client, name="Bruno", email="bruno@atelier.fr")
    client.refresh_from_db()
    assert client.email == "anne@atelier.fr"  # a plain contact does not move it

    bruno.make_primary()
    client.refresh_from_db()
    anne.refresh_from_db()
    assert (client.email, client.phone, anne.is_primary) == ("bruno@atelier.fr", "", False)

    bruno.delete()
    client.refresh_from_db()
    assert (client.email, client.phone) == ("", "")


def test_the_clients_address_writes_its_primary_contact(alice) -> None:
    client = make_client(alice, email="anne@atelier.fr")
    primary = client.contacts.get()
    assert (primary.name, primary.email, primary.is_primary) == (client.name, "anne@atelier.fr", True)

    client.phone = "06 00 00 00 00"
    client.save()
    primary.refresh_from_db()
    assert (primary.email, primary.phone) == ("anne@atelier.fr", "06 00 00 00 00")
    assert Contact.objects.count() == 1


def test_a_new_client_without_an_address_gets_no_contact(alice) -> None:
    make_client(alice)
    assert not Contact.objects.exists()


def test_addresses_for_finds_the_owners_contacts_by_email_only(alice, bob) -> None:
    atelier, other = make_client(alice), make_client(alice)
    anne = Contact.objects.create(client=atelier, name="Anne", email="Anne@Atelier.fr", is_primary=True)
    Contact.objects.create(client=other, name="Anne again", email="anne@atelier.fr")
    compta = Contact.objects.create(client=atelier, name="Compta", email="compta@atelier.fr")
    Contact.objects.create(client=atelier, name="No address")
    Contact.objects.create(client=make_client(bob), name="Bob's", email="bob-client@example.com")

    addresses = Contact.objects.addresses_for(alice)

    assert addresses == {
        "anne@atelier.fr": anne,
        "compta@atelier.fr": compta,
    }  # the primary wins a shared one
    assert addresses["compta@atelier.fr"].client == atelier


def test_an_interaction_names_a_contact_of_its_own_client(alice) -> None:
    atelier, other = make_client(alice), make_client(alice)
    stranger = Contact.objects.create(client=other, name="Stranger")
    interaction = make_interaction(atelier, contact=stranger)
    with pytest.raises(ValidationError) as refused:
        interaction.full_clean()
    assert "contact" in refused.value.message_dict


def test_deleting_a_contact_keeps_its_interactions(alice) -> None:
    client = make_client(alice)
    anne = Contact.objects.create(client=client, name="Anne")
    interaction = make_interaction(client, contact=anne)
    anne.delete()
    interaction.refresh_from_db()
    assert interaction.contact is None
    assert Client.objects.filter(pk=client.pk).exists()


def test_a_trashed_client_comes_back_with_its_contacts_and_who_each_interaction_was_with(alice) -> None:
    from crm.trash.snapshot import restore, to_trash

    client = make_client(alice, email="anne@atelier.fr")
    anne = client.contacts.get()
    interaction = make_interaction(client, contact=anne)

    item = to_trash(client, alice)
    assert not Contact.objects.exists()
    restore(item)

    anne_again = Contact.objects.get(pk=anne.pk)
    assert (anne_again.email, anne_again.is_primary, anne_again.owner_id) == (
        "anne@atelier.fr",
        True,
        alice.pk,
    )
    assert type(interaction).objects.get(pk=interaction.pk).contact_id == anne.pk
