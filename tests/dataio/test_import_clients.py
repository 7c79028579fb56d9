"""Importing clients and contacts from a CSV: the preview, the mapping, the problems, the duplicate rule, the
all-or-nothing transaction, bad files, and a large file through a Celery task with its progress."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.models import Client, Contact
from crm.dataio import imports
from crm.dataio.reading import MAX_BYTES
from crm.models import BookImport, ClientHealth
from tests.factories import make_client, make_contact

pytestmark = pytest.mark.django_db

FRENCH = (
    "\ufeffClient;Société;Prénom;Nom;E-mail;Téléphone;Fonction;Statut\n"
    "Atelier Dubois;Atelier Dubois SARL;Claire;Dubois;claire@atelier-dubois.fr;06 12 34 56 78;Gérante;actif\n"
    "Atelier Dubois;Atelier Dubois SARL;Marc;Lefèvre;compta@atelier-dubois.fr;;Comptabilité;actif\n"
    "Cabinet Martin;;Sophie;Martin;s.martin@cabinet-martin.fr;+33 6 98 76 54 32;Associée;prospect\n"
).encode()
ENGLISH_1252 = (
    "Company,Contact name,Email,Phone,Notes\n"
    'Café Léon,Léon Durand,leon@cafe-leon.fr,0611,"Prefers calls, not emails"\n'
).encode("cp1252")


def upload(http: Any, data: bytes, kind: str = "clients", name: str = "book.csv") -> Any:
    return http.post(reverse("web:import"), {"kind": kind, "file": SimpleUploadedFile(name, data)})


def preview_of(http: Any, response: Any) -> tuple[BookImport, str]:
    assert response.status_code == 302, response.content.decode()[:500]
    book_import = BookImport.objects.latest("pk")
    return book_import, http.get(response["Location"]).content.decode()


def confirm(http: Any, book_import: BookImport) -> Any:
    data = {f"column_{index}": field for index, field in book_import.mapping.items()}
    return http.post(
        reverse("web:import_preview", kwargs={"import_id": book_import.pk}),
        data | {"action": "import"},
        follow=True,
    )


def test_a_french_spreadsheet_is_read_mapped_previewed_then_imported(alice_client: Any, alice: Any) -> None:
    book_import, page = preview_of(alice_client, upload(alice_client, FRENCH))

    assert (book_import.encoding, book_import.delimiter, book_import.rows) == ("UTF-8 (BOM)", ";", 3)
    assert book_import.mapping == {
        "0": "client", "1": "company", "2": "first_name", "3": "last_name", "4": "email", "5": "phone",
        "6": "role", "7": "status",
    }  # fmt: skip
    assert "No problem found" in page and "claire@atelier-dubois.fr" in page
    assert not Client.objects.exists()  # a preview writes nothing

    done = confirm(alice_client, book_import).content.decode()

    assert "Imported." in done
    dubois = Client.objects.get(owner=alice, name="Atelier Dubois")
    assert (dubois.company, dubois.status, dubois.email, dubois.phone) == (
        "Atelier Dubois SARL", "active", "claire@atelier-dubois.fr", "06 12 34 56 78",
    )  # fmt: skip
    assert list(dubois.contacts.values_list("name", "role", "is_primary")) == [
        ("Claire Dubois", "Gérante", True),
        ("Marc Lefèvre", "Comptabilité", False),
    ]
    martin = Client.objects.get(name="Cabinet Martin")
    assert (martin.status, martin.contacts.get().phone) == ("prospect", "+33 6 98 76 54 32")
    assert ClientHealth.objects.filter(client__owner=alice).count() == 2  # both ranked on the dashboard
    assert BookImport.objects.get(pk=book_import.pk).counts == {"clients": 2, "contacts": 3, "skipped": 0}


def test_importing_the_same_file_twice_adds_nothing_and_the_preview_says_so_first(
    alice_client: Any, alice: Any
) -> None:
    first, _page = preview_of(alice_client, upload(alice_client, FRENCH))
    confirm(alice_client, first)

    again, page = preview_of(alice_client, upload(alice_client, FRENCH))

    # Said before writing, not "no problem, all of this can be imported" and then every row skipped.
    assert "Everything in this file is already in your book: importing it would add nothing." in page
    assert "everything below can be imported" not in page
    assert 'value="import"' not in page
    confirm(alice_client, again)
    assert BookImport.objects.get(pk=again.pk).state == BookImport.State.PREVIEW  # not run
    assert Client.objects.filter(owner=alice).count() == 2
    assert Contact.objects.filter(owner=alice).count() == 3


def test_the_preview_names_the_rows_already_in_the_book_and_the_import_skips_just_those(
    client: Any, bob: Any
) -> None:
    client.force_login(bob)  # in French
    dubois = make_client(bob, name="Atelier Dubois")
    make_contact(dubois, name="Claire Dubois", email="claire@atelier-dubois.fr")

    book_import, page = preview_of(client, upload(client, FRENCH))

    assert "Aucun problème. 1 ligne est déjà dans votre carnet et sera ignorée" in page
    assert (
        "Ligne 2\u00a0: Claire Dubois · Atelier Dubois" in page
        or "Ligne 2 : Claire Dubois · Atelier Dubois" in page
    )
    done = confirm(client, book_import).content.decode()
    assert BookImport.objects.get(pk=book_import.pk).counts == {"clients": 1, "contacts": 2, "skipped": 1}
    # The result in words, in the freelancer's language.
    for line in ("1 client ajouté", "2 contacts ajoutés", "1 ligne ignorée"):
        assert line in done
    assert "skipped:" not in done and "clients:" not in done


def test_the_result_says_what_was_added_in_english_too(alice_client: Any, alice: Any) -> None:
    book_import, _page = preview_of(alice_client, upload(alice_client, FRENCH))
    done = confirm(alice_client, book_import).content.decode()
    for line in ("2 clients added", "3 contacts added", "0 rows skipped: already in your book"):
        assert line in done


def test_a_row_matching_an_existing_contacts_email_joins_that_client(alice_client: Any, alice: Any) -> None:
    dubois = make_client(alice, name="Dubois (ancien nom)")
    make_contact(dubois, name="Marc", email="compta@atelier-dubois.fr")
    csv = b"Company;Contact;Email\nAtelier Dubois;Marc L.;compta@atelier-dubois.fr\nAtelier Dubois;Claire;claire@x.fr\n"
    book_import, _page = preview_of(alice_client, upload(alice_client, csv))
    confirm(alice_client, book_import)
    # Marc is known by his email: no new client for him; Claire's row names a client not in the book yet.
    assert dubois.contacts.count() == 1
    assert Client.objects.get(name="Atelier Dubois").contacts.get().name == "Claire"


def test_an_external_id_column_is_the_duplicate_rule(alice_client: Any, alice: Any) -> None:
    csv = b"id,client,email\nC-1,Atelier,a@x.fr\n"
    for _ in range(2):
        book_import, _page = preview_of(alice_client, upload(alice_client, csv))
        confirm(alice_client, book_import)
    renamed = b"id,client,email\nC-1,Atelier Renamed,b@x.fr\n"
    book_import, _page = preview_of(alice_client, upload(alice_client, renamed))
    confirm(alice_client, book_import)
    client = Client.objects.get(owner=alice)
    assert (client.name, client.external_id) == ("Atelier", "C-1")
    assert sorted(client.contacts.values_list("email", flat=True)) == ["a@x.fr", "b@x.fr"]


def test_windows_1252_with_commas_and_english_headers(alice_client: Any, alice: Any) -> None:
    book_import, page = preview_of(alice_client, upload(alice_client, ENGLISH_1252))
    assert (book_import.encoding, book_import.delimiter) == ("Windows-1252", ",")
    confirm(alice_client, book_import)
    leon = Contact.objects.get(owner=alice)
    assert (leon.client.name, leon.name, leon.notes) == (
        "Café Léon",
        "Léon Durand",
        "Prefers calls, not emails",
    )
    # No language or country in the file: the English freelancer's, not French and France (issue 24, item 2).
    assert (leon.client.language, leon.client.country) == ("en", "GB")


def test_every_rows_problems_are_listed_and_nothing_is_written(alice_client: Any, alice: Any) -> None:
    csv = (
        "Client;Email;Statut;Notes\n"
        "Bon client;bon@x.fr;actif;\n"
        ";vide@x.fr;actif;\n"
        "Mauvais;pas-un-email;actif;\n"
        'Piège;p@x.fr;actif;=HYPERLINK("http://evil","clic")\n'
        "Statut;s@x.fr;fâché;\n"
    ).encode()
    book_import, page = preview_of(alice_client, upload(alice_client, csv))

    assert "4 problems to fix before importing" in page
    assert "Line 3:" in page and "No client name" in page
    assert "Line 4:" in page and "“pas-un-email” is not an email address." in page
    assert "Line 5:" in page and "starts like a spreadsheet formula" in page
    assert "Line 6:" in page and "Unknown status" in page
    response = confirm(alice_client, book_import)
    assert response.status_code == 200 and not Client.objects.exists()


def test_the_preview_speaks_french(client: Any, bob: Any) -> None:
    bob.profile.language = "fr"
    bob.profile.save()
    client.force_login(bob)
    _import, page = preview_of(client, upload(client, b"Client;Email\nX;nope\n"))
    assert "«\u00a0nope\u00a0» n’est pas une adresse e-mail." in page


def test_a_column_mapped_by_hand_is_what_the_import_reads(alice_client: Any, alice: Any) -> None:
    csv = b"Raison;Courriel perso\nAtelier;a@x.fr\n"
    book_import, page = preview_of(alice_client, upload(alice_client, csv))
    assert book_import.mapping == {} or "Choose the column that holds the client." in page
    url = reverse("web:import_preview", kwargs={"import_id": book_import.pk})
    alice_client.post(url, {"column_0": "client", "column_1": "email", "action": "map"})
    book_import.refresh_from_db()
    assert book_import.mapping == {"0": "client", "1": "email"}
    confirm(alice_client, book_import)
    assert Contact.objects.get(owner=alice).email == "a@x.fr"


def test_one_field_from_two_columns_is_refused(alice_client: Any, alice: Any) -> None:
    book_import, _page = preview_of(alice_client, upload(alice_client, b"Client;Email\nX;x@x.fr\n"))
    url = reverse("web:import_preview", kwargs={"import_id": book_import.pk})
    page = alice_client.post(
        url, {"column_0": "email", "column_1": "email", "action": "map"}
    ).content.decode()
    assert "is chosen twice" in page
    book_import.refresh_from_db()
    assert book_import.mapping == {"0": "client", "1": "email"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty."),  # Django's own FileField
        (b"   \n\n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "This is not a text file"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "This is not a text file"),
        (b'Client;Email\n"Atelier;a@x.fr\nB;b@x.fr\n', "the quotes do not close"),
        (b'Client;Email\n"Atel"ier;a@x.fr\n', "the quotes do not close"),
        (b"Client;Email\n", "a header but no rows"),
    ],
)
def test_a_bad_file_is_refused_clearly_and_changes_nothing(
    alice_client: Any, alice: Any, data: bytes, message: str
) -> None:
    response = upload(alice_client, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BookImport.objects.exists() and not Client.objects.exists()


def test_a_50_mb_file_is_refused_before_it_is_read(alice_client: Any) -> None:
    big = b"Client;Email\n" + b"A;a@x.fr\n" * (50 * 1024 * 1024 // 9)
    assert len(big) > MAX_BYTES
    response = upload(alice_client, big)
    assert response.status_code == 400
    assert "larger than 10 MB" in response.content.decode()
    assert not BookImport.objects.exists()


def test_bob_cannot_see_or_run_alices_import(client: Any, alice: Any, bob: Any) -> None:
    book_import = imports.receive(alice, "clients", "a.csv", FRENCH)
    client.force_login(bob)
    for name in ("import_preview", "import_progress"):
        assert client.get(reverse(f"crm:{name}", kwargs={"import_id": book_import.pk})).status_code == 404
    response = client.post(
        reverse("web:import_preview", kwargs={"import_id": book_import.pk}), {"action": "import"}
    )
    assert response.status_code == 404
    assert not Client.objects.exists()


def test_a_sample_of_each_kind_is_served_and_imports_cleanly(alice_client: Any, alice: Any) -> None:
    page = alice_client.get(reverse("web:import")).content.decode()
    for kind in ("clients", "history", "vcard"):
        url = reverse("web:import_sample", kwargs={"kind": kind})
        assert url in page
    for kind in ("clients", "vcard", "history"):  # history names the clients the first sample adds
        data = b"".join(
            alice_client.get(reverse("web:import_sample", kwargs={"kind": kind})).streaming_content
        )
        book_import, preview = preview_of(alice_client, upload(alice_client, data, kind))
        if kind == "vcard":
            # The vCard sample holds the spreadsheet sample's people: all of them are in the book already.
            assert "Everything in this file is already in your book" in preview, preview
            continue
        assert "No problem found" in preview, (kind, preview)
        confirm(alice_client, book_import)
        assert BookImport.objects.get(pk=book_import.pk).state == "done"
    assert alice_client.get(reverse("web:import_sample", kwargs={"kind": "passwd"})).status_code == 404


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_drawn_mapping_posted_back_unchanged_keeps_it(client: Any, bob: Any, language: str) -> None:
    bob.profile.language = language
    bob.profile.save()
    client.force_login(bob)
    book_import, _page = preview_of(client, upload(client, FRENCH))
    url = reverse("web:import_preview", kwargs={"import_id": book_import.pk})
    form = client.get(url).context["form"]
    drawn = {field.html_name: field.value() or "" for field in form}

    client.post(url, drawn | {"action": "map"})

    assert BookImport.objects.get(pk=book_import.pk).mapping == book_import.mapping
