"""A contact writes from several addresses: each is validated, each is known to mail capture, imports and
exports carry them all."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from clients.models import MAX_OTHER_EMAILS, Contact
from crm.capture.privacy import known_addresses
from crm.dataio.vcards import people_from, vcard_of
from tests.factories import make_client, make_contact


def test_every_address_of_a_contact_is_known_to_mail_capture(alice: Any, bob: Any) -> None:
    client = make_client(alice)
    paul = make_contact(
        client, email="paul@client.example", other_emails="Paul@Perso.example\npaul@old.example"
    )
    make_contact(make_client(bob), email="", other_emails="stranger@bob.example")
    assert paul.emails() == ["paul@client.example", "Paul@Perso.example", "paul@old.example"]
    known = known_addresses(alice)
    for address in ("paul@client.example", "paul@perso.example", "paul@old.example"):
        assert known[address] == (client.pk, paul.pk)
    assert "stranger@bob.example" not in known  # bob's contact, not alice's


def test_a_contact_with_only_other_addresses_is_known_too(alice: Any) -> None:
    client = make_client(alice)
    contact = make_contact(client, email="", other_emails="only@perso.example")
    assert Contact.objects.addresses_for(alice)["only@perso.example"] == contact


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("paul@perso.example\nnot an address", "“not an address” is not an email address."),
        ("a@x.example\nA@X.example", "An address is written twice."),
        ("\n".join(f"p{n}@x.example" for n in range(MAX_OTHER_EMAILS + 1)), "At most 10 other addresses"),
    ],
)
def test_bad_other_addresses_are_refused_clearly(alice: Any, typed: str, message: str) -> None:
    contact = Contact(client=make_client(alice), name="Paul", other_emails=typed)
    with pytest.raises(ValidationError) as refused:
        contact.full_clean()
    assert any(message in text for text in refused.value.message_dict["other_emails"])


def test_commas_and_semicolons_separate_addresses_too(alice: Any) -> None:
    contact = make_contact(make_client(alice), other_emails="a@x.example, b@x.example; c@x.example")
    contact.full_clean()
    assert contact.emails() == ["a@x.example", "b@x.example", "c@x.example"]


def test_a_phones_vcard_with_several_emails_keeps_them_all_and_gives_them_back(alice: Any) -> None:
    card = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Paul Lefèvre\r\nORG:Morel SARL\r\n"
        "EMAIL;TYPE=WORK:paul@morel.example\r\nEMAIL;TYPE=HOME:paul@perso.example\r\n"
        "EMAIL:p.lefevre@old.example\r\nEND:VCARD\r\n"
    )
    problems: list[Any] = []
    (person,) = people_from(card, problems)
    assert problems == []
    assert (person.email, person.other_emails) == (
        "paul@morel.example",
        "paul@perso.example\np.lefevre@old.example",
    )
    contact = make_contact(
        make_client(alice, company="Morel SARL"),
        name="Paul Lefèvre",
        email=person.email,
        other_emails=person.other_emails,
    )
    exported = vcard_of(contact)
    assert [line.split(":", 1)[1] for line in exported.splitlines() if line.startswith("EMAIL")] == [
        "paul@morel.example",
        "paul@perso.example",
        "p.lefevre@old.example",
    ]


def test_a_vcard_with_a_bad_second_address_says_so_and_imports_nothing_of_it(alice: Any) -> None:
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Paul\r\nEMAIL:paul@x.example\r\nEMAIL:nope\r\nEND:VCARD\r\n"
    problems: list[Any] = []
    assert people_from(card, problems) == []
    assert any("“nope” is not an email address." in str(problem) for problem in problems)
