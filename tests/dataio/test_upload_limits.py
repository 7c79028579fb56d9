"""Uploads are bounded (issue 25, defect 4): a size per kind (settings.UPLOAD_MAX_MB), refused before reading
with the limit in the message and nothing written; every vCard field bounded while the file is read, PHOTO and
other binary properties dropped. bench/uploads.py measures the peak memory of the worst files."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.models import Contact
from crm.dataio.vcards import FIELD_MAX_CHARS, bounded, people_from
from crm.models import BookImport, CapturedMessage

CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Rita Big\r\nORG:Rita SARL\r\n{extra}END:VCARD\r\n"


def test_a_vcard_past_its_kinds_limit_is_refused_clearly_and_changes_nothing(
    alice_client: Any, settings: Any
) -> None:
    settings.UPLOAD_MAX_MB = {**settings.UPLOAD_MAX_MB, "vcard": 1}
    big = CARD.format(extra="NOTE:" + "x" * 1_200_000 + "\r\n").encode()
    response = alice_client.post(
        reverse("web:import"), {"kind": "vcard", "file": SimpleUploadedFile("c.vcf", big)}
    )
    assert response.status_code == 400
    assert "The file is larger than 1 MB" in response.content.decode()
    assert not BookImport.objects.exists() and not Contact.objects.exists()
    # The same bytes as a CSV (another kind, its own limit) are not refused for their size.
    csv = b"name;notes\nRita;" + b"x" * 1_200_000 + b"\n"
    answer = alice_client.post(
        reverse("web:import"), {"kind": "clients", "file": SimpleUploadedFile("c.csv", csv)}
    )
    assert "The file is larger than" not in answer.content.decode()


def test_a_mail_file_past_its_limit_is_refused_clearly(alice_client: Any, settings: Any) -> None:
    settings.UPLOAD_MAX_MB = {**settings.UPLOAD_MAX_MB, "mail": 1}
    mbox = b"From a@b Mon Jan  1 00:00:00 2026\nSubject: x\n\n" + b"y" * 1_100_000 + b"\n"
    response = alice_client.post(reverse("web:mailbox_import"), {"file": SimpleUploadedFile("m.mbox", mbox)})
    assert "This file is larger than 1 MB" in response.content.decode()
    assert not CapturedMessage.objects.exists()


def test_vcard_fields_are_bounded_while_reading_and_photos_dropped() -> None:
    photo = (
        "PHOTO;ENCODING=b;TYPE=JPEG:" + "QUJD" * 100 + "\r\n" + "".join(" QUJDRA==\r\n" for _ in range(1000))
    )
    note = "NOTE:" + "n" * 74 + "\r\n" + "".join(" " + "n" * 74 + "\r\n" for _ in range(2000))
    text = bounded(CARD.format(extra=photo + note))
    assert "PHOTO" not in text and "QUJD" not in text
    assert max(len(line) for line in text.splitlines()) <= FIELD_MAX_CHARS + len("NOTE:")
    problems: list[Any] = []
    assert people_from(CARD.format(extra=photo + note), problems) == []
    assert [p.message for p in problems] == ["notes is longer than 10000 characters."]


def test_a_card_with_a_photo_and_a_short_note_is_read_whole() -> None:
    photo = "PHOTO;ENCODING=b;TYPE=JPEG:QUJD\r\n QUJDRA==\r\n"
    note = "NOTE:Met at the fair\r\n  and call in May\r\n"
    people = people_from(CARD.format(extra=photo + note), [])
    assert len(people) == 1
    assert "Met at the fair and call in May" in str(people[0])


def test_a_large_vcard_is_read_by_a_worker_not_the_web_process(alice_client: Any, settings: Any) -> None:
    from crm.dataio.tasks import run_import

    settings.PARSE_IN_WORKER_MB = 0  # every vCard is "large"
    cards = "".join(
        CARD.replace("Rita Big", f"Person {n}").format(extra=f"EMAIL:p{n}@rita.example\r\n") for n in range(3)
    )
    response = alice_client.post(
        reverse("web:import"), {"kind": "vcard", "file": SimpleUploadedFile("c.vcf", cards.encode())}
    )
    book_import = BookImport.objects.get()
    assert response["Location"] == reverse("web:import_progress", kwargs={"import_id": book_import.pk})
    # Kept for the worker, not parsed here: nothing counted, nothing written.
    assert (book_import.state, book_import.rows) == ("queued", 0)
    assert not Contact.objects.exists()
    assert run_import(book_import.pk) == "done"
    assert Contact.objects.count() == 3
