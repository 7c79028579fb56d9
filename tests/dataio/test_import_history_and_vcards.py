"""Importing past interactions, promises and invoices (so trust health starts from day one), and vCards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from clients.models import Client, Contact
from crm.dataio.imports import already_there, check, receive, run
from crm.models import ClientHealth, Interaction, Invoice, Promise
from tests.factories import make_client, make_contact

pytestmark = pytest.mark.django_db

HISTORY = (
    "Type;Date;Client;Genre;Sens;Texte;Échéance;État;Tenue le;Numéro;Montant\n"
    "échange;2026-01-12 10:30;Atelier Dubois;appel;reçu;Appel de lancement;;;;;\n"
    "échange;15/01/2026;claire@atelier-dubois.fr;e-mail;;Compte rendu;;;;;\n"
    "promesse;2026-01-12;Atelier Dubois;;;Envoyer la maquette;2026-01-26;tenue;2026-01-25;;\n"
    "promesse;2026-02-01;Atelier Dubois;;;Livrer la recette;2026-02-10;rompue;;;\n"
    "facture;2026-02-01;Atelier Dubois;;;Acompte;2026-03-03;;;F-2026-001;1 200,50\n"
).encode()


@pytest.fixture
def dubois(alice: Any) -> Client:
    client = make_client(alice, name="Atelier Dubois")
    make_contact(client, name="Claire", email="claire@atelier-dubois.fr", is_primary=True)
    return client


def test_history_rows_become_the_clients_journal_and_its_trust_health(alice: Any, dubois: Client) -> None:
    done = run(receive(alice, "history", "history.csv", HISTORY))

    assert done.state == "done", done.error
    assert done.counts == {"interactions": 2, "promises": 2, "invoices": 1, "skipped": 0}
    call = Interaction.objects.get(client=dubois, kind="call")
    assert (call.direction, call.summary) == ("from_client", "Appel de lancement")
    assert call.happened_at.isoformat() == "2026-01-12T09:30:00+00:00"  # 10:30 in Paris
    assert Interaction.objects.get(kind="email").client == dubois  # found by Claire's email
    kept = Promise.objects.get(description="Envoyer la maquette")
    assert (kept.state, kept.kept_on, kept.owner_id) == ("kept", date(2026, 1, 25), alice.pk)
    assert Promise.objects.get(description="Livrer la recette").broken_on == date(2026, 2, 10)
    invoice = Invoice.objects.get()
    assert (invoice.amount, invoice.issued_on, invoice.due_on) == (
        Decimal("1200.50"),
        date(2026, 2, 1),
        date(2026, 3, 3),
    )
    dubois.refresh_from_db()
    assert dubois.last_contact_at == Interaction.objects.get(kind="email").happened_at
    assert ClientHealth.objects.get(client=dubois).evidence_count > 0


def test_history_imported_twice_adds_nothing(alice: Any, dubois: Client) -> None:
    run(receive(alice, "history", "history.csv", HISTORY))
    again = run(receive(alice, "history", "history.csv", HISTORY))
    assert again.counts == {"interactions": 0, "promises": 0, "invoices": 0, "skipped": 5}
    assert (Interaction.objects.count(), Promise.objects.count(), Invoice.objects.count()) == (2, 2, 1)


def test_history_rows_already_in_the_book_are_named_before_the_import(alice: Any, dubois: Client) -> None:
    run(receive(alice, "history", "history.csv", HISTORY.replace(b"F-2026-001", b"F-2026-000")))
    again = receive(
        alice,
        "history",
        "history.csv",
        HISTORY + b"facture;2026-02-02;Atelier Dubois;;;Solde;2026-03-04;;;f-2026-000;10\n",
    )

    known = already_there(again, check(again))

    # The rows of the first file (its invoice had another number), and an invoice whose number is taken whatever
    # its case.
    assert [row.line for row in known] == [2, 3, 4, 5, 7]
    assert known[2].label == "2026-01-12 · Atelier Dubois · Envoyer la maquette"
    assert run(again).counts["skipped"] == 5


def test_history_rows_problems_are_listed_and_nothing_written(alice: Any, dubois: Client) -> None:
    bad = (
        "Type;Date;Client;Texte;Échéance;Numéro;Montant\n"
        "échange;2026-01-12;Atelier Dubois;Bon;;;\n"
        "rendez-vous galant;2026-01-12;Atelier Dubois;?;;;\n"
        "échange;1969-12-31;Atelier Dubois;Trop tôt;;;\n"
        "promesse;2026-02-01;Atelier Dubois;Retard;2026-01-01;;\n"
        "facture;2026-02-01;Atelier Dubois;;2026-03-01;F-9;-12\n"
        "échange;2026-01-12;Inconnu SARL;Qui ?;;;\n"
    ).encode()
    book_import = receive(alice, "history", "bad.csv", bad)
    lines = sorted({problem.line for problem in check(book_import).problems})
    assert lines == [3, 4, 5, 6, 7]
    assert run(book_import).state == "failed"
    assert not Interaction.objects.exists()


def test_vcards_3_and_4_become_clients_and_contacts(alice: Any) -> None:
    cards = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Claire Dubois\r\nN:Dubois;Claire;;;\r\nORG:Atelier Dubois\r\n"
        "TITLE:Gérante\r\nEMAIL;TYPE=INTERNET:claire@atelier-dubois.fr\r\nTEL;TYPE=CELL:06 12 34 56 78\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Marc Lefèvre\r\nORG:Atelier Dubois\r\nEMAIL:compta@atelier-dubois.fr\r\n"
        "END:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Paul Seul\r\nTEL:0700\r\nEND:VCARD\r\n"
    ).encode()
    done = run(receive(alice, "vcard", "contacts.vcf", cards))
    assert done.state == "done", done.error
    dubois = Client.objects.get(owner=alice, name="Atelier Dubois")
    assert list(dubois.contacts.values_list("name", "role", "email", "is_primary")) == [
        ("Claire Dubois", "Gérante", "claire@atelier-dubois.fr", True),
        ("Marc Lefèvre", "", "compta@atelier-dubois.fr", False),
    ]
    assert Client.objects.get(name="Paul Seul").phone == "0700"
    assert run(receive(alice, "vcard", "contacts.vcf", cards)).counts == {
        "clients": 0,
        "contacts": 0,
        "skipped": 3,
    }
    assert Contact.objects.count() == 3


def test_a_file_that_is_not_vcards_is_refused(alice: Any) -> None:
    book_import = receive(alice, "vcard", "x.vcf", b"hello, world\n")
    problems = check(book_import).problems
    assert problems and "no vCard" in problems[0].message
    assert run(book_import).state == "failed"
