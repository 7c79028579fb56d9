"""A client's contacts in its workspace: added, made primary, deleted to the trash; interactions name one."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clients.models import Client, Contact
from crm.models import Interaction, TrashItem
from crm.trash.snapshot import restore
from tests.factories import form_moment, make_client, make_contact

pytestmark = pytest.mark.django_db


def _drawn(http: Any, url: str) -> dict[str, Any]:
    form = http.get(url).context["form"]
    return {field.html_name: field.value() for field in form.hidden_fields() if field.value() is not None}


def test_the_first_contact_of_a_client_is_its_primary_one(alice_client: Any, alice: Any) -> None:
    atelier = make_client(alice, name="Atelier Nord")
    url = reverse("web:contact_new", kwargs={"client_id": atelier.pk})
    data = _drawn(alice_client, url) | {"name": "Anne Martin", "email": "anne@atelier.fr", "is_primary": "on"}

    response = alice_client.post(url, data)

    assert response.status_code == 302
    anne = atelier.contacts.get()
    assert (anne.name, anne.is_primary, anne.owner_id) == ("Anne Martin", True, alice.pk)
    atelier.refresh_from_db()
    assert atelier.email == "anne@atelier.fr"
    page = alice_client.get(reverse("web:client", kwargs={"client_id": atelier.pk})).content.decode()
    assert "Anne Martin" in page and 'href="mailto:anne@atelier.fr"' in page


def test_a_new_primary_contact_takes_over_the_clients_address(alice_client: Any, alice: Any) -> None:
    atelier = make_client(alice, email="anne@atelier.fr")
    url = reverse("web:contact_new", kwargs={"client_id": atelier.pk})
    assert alice_client.get(url).context["form"]["is_primary"].value() is False  # there is one already
    data = _drawn(alice_client, url) | {"name": "Compta", "email": "compta@atelier.fr", "is_primary": "on"}

    alice_client.post(url, data)

    assert list(atelier.contacts.values_list("email", "is_primary")) == [
        ("compta@atelier.fr", True),
        ("anne@atelier.fr", False),
    ]
    atelier.refresh_from_db()
    assert atelier.email == "compta@atelier.fr"


def test_make_primary_from_htmx_draws_the_contacts_again(alice_client: Any, alice: Any) -> None:
    atelier = make_client(alice, email="anne@atelier.fr")
    bruno = make_contact(atelier, name="Bruno", email="bruno@atelier.fr")

    response = alice_client.post(
        reverse("web:contact_make_primary", kwargs={"contact_id": bruno.pk}), headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="contacts"')
    assert html.index("Bruno") < html.index(atelier.name)  # the primary one first
    assert Client.objects.get(pk=atelier.pk).email == "bruno@atelier.fr"


def test_bob_cannot_touch_alices_contacts(client: Any, alice: Any, bob: Any) -> None:
    anne = make_contact(make_client(alice), name="Anne", is_primary=True)
    client.force_login(bob)
    for name, method in [("contact_edit", "get"), ("contact_delete", "post"), ("contact_primary", "post")]:
        response = getattr(client, method)(reverse(f"crm:{name}", kwargs={"contact_id": anne.pk}))
        assert response.status_code == 404, name
    response = client.get(reverse("web:contact_new", kwargs={"client_id": anne.client_id}))
    assert response.status_code == 404
    assert Contact.objects.get(pk=anne.pk).is_primary


def test_a_deleted_primary_contact_goes_to_the_trash_and_comes_back_with_the_address(
    alice_client: Any, alice: Any
) -> None:
    atelier = make_client(alice, email="anne@atelier.fr", phone="06")
    anne = atelier.contacts.get()

    alice_client.post(reverse("web:contact_delete", kwargs={"contact_id": anne.pk}))

    atelier.refresh_from_db()
    assert (atelier.email, atelier.phone) == ("", "")
    item = TrashItem.objects.get(owner=alice)
    assert item.kind == "contact"
    restore(item)
    atelier.refresh_from_db()
    assert (atelier.email, atelier.phone) == ("anne@atelier.fr", "06")
    assert Contact.objects.get(pk=anne.pk).is_primary


def _interaction_data(client: Client, contact: Contact) -> dict[str, Any]:
    return {
        "client": client.pk,
        "contact": contact.pk,
        "kind": "call",
        "direction": "from_client",
        "happened_at": form_moment(hours_ago=1),
        "summary": "Point sur la facture",
    }


def test_an_interaction_logged_in_the_workspace_names_the_contact(alice_client: Any, alice: Any) -> None:
    atelier = make_client(alice)
    compta = make_contact(atelier, name="Compta")
    url = reverse("web:client_interaction_new", kwargs={"client_id": atelier.pk})
    drawn = alice_client.get(url).context["entry"].form
    assert list(drawn.fields["contact"].queryset) == [compta]  # only this client's contacts

    alice_client.post(url, _interaction_data(atelier, compta))

    assert Interaction.objects.get(client=atelier).contact == compta


def test_an_interaction_cannot_name_another_clients_contact(alice_client: Any, alice: Any) -> None:
    atelier, other = make_client(alice), make_client(alice)
    stranger = make_contact(other, name="Stranger")

    response = alice_client.post(reverse("web:interaction_new"), _interaction_data(atelier, stranger))

    assert "This contact belongs to another client." in response.content.decode()
    assert not Interaction.objects.exists()


def test_bobs_contact_is_not_a_choice_for_alice(alice_client: Any, alice: Any, bob: Any) -> None:
    atelier = make_client(alice)
    bobs = make_contact(make_client(bob), name="Bob's")

    alice_client.post(reverse("web:interaction_new"), _interaction_data(atelier, bobs))

    assert not Interaction.objects.exists()
