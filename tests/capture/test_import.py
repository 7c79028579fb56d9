"""The one-off import of an .mbox or .eml file: the same privacy sieve, the same idempotence, answers linked."""

from __future__ import annotations

import mailbox as mailboxes
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import CapturedMessage, Interaction
from tests.capture.conftest import mail
from tests.factories import make_client

AT = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def _mbox(tmp_path: Path, messages: list[bytes]) -> bytes:
    path = tmp_path / "export.mbox"
    box = mailboxes.mbox(path)
    for raw in messages:
        box.add(raw)
    box.close()
    return path.read_bytes()


def _messages() -> list[bytes]:
    return [
        mail("paul@acme.fr", "alice@example.com", "Question", "<q@acme.fr>", AT),
        mail(
            "alice@example.com",
            "paul@acme.fr",
            "Re: Question",
            "<a@me>",
            AT + timedelta(hours=3),
            in_reply_to="<q@acme.fr>",
        ),
        mail("stranger@elsewhere.example", "alice@example.com", "Private", "<p@elsewhere>", AT),
    ]


def test_an_mbox_is_imported_by_the_capture_rules_and_only_once(alice_client, alice, tmp_path) -> None:
    acme = make_client(alice, email="paul@acme.fr")
    upload = _mbox(tmp_path, _messages())
    for _ in range(2):
        answer = alice_client.post(
            reverse("web:mailbox_import"), {"file": SimpleUploadedFile("export.mbox", upload)}, follow=True
        )
    assert "3 messages read, 2 from or to your clients, 0 new in the journal." in answer.content.decode()
    by_subject = {i.summary: i for i in Interaction.objects.filter(client=acme)}
    assert set(by_subject) == {"Question", "Re: Question"}
    assert by_subject["Re: Question"].direction == "to_client"
    assert by_subject["Re: Question"].answers == by_subject["Question"]
    assert not CapturedMessage.objects.filter(sender="stranger@elsewhere.example").exists()


def test_an_eml_file_is_imported(alice_client, alice) -> None:
    make_client(alice, email="paul@acme.fr")
    raw = _messages()[0]
    alice_client.post(reverse("web:mailbox_import"), {"file": SimpleUploadedFile("q.eml", raw)})
    assert list(Interaction.objects.values_list("summary", flat=True)) == ["Question"]


def test_another_kind_of_file_is_refused_and_changes_nothing(alice_client, alice) -> None:
    make_client(alice, email="paul@acme.fr")
    answer = alice_client.post(
        reverse("web:mailbox_import"), {"file": SimpleUploadedFile("book.csv", b"a,b\n")}
    )
    assert answer.status_code == 400
    assert "Choose an .mbox or .eml file." in answer.content.decode()
    assert not Interaction.objects.exists()


def test_garbage_in_an_mbox_is_skipped_not_fatal(alice_client, alice, tmp_path) -> None:
    make_client(alice, email="paul@acme.fr")
    upload = _mbox(tmp_path, [b"not an email at all", b"From: \r\n\r\n", _messages()[0]])
    answer = alice_client.post(
        reverse("web:mailbox_import"), {"file": SimpleUploadedFile("x.mbox", upload)}, follow=True
    )
    assert "3 messages read, 1 from or to your clients, 1 new in the journal." in answer.content.decode()


def test_bobs_import_lands_in_bobs_book_only(client, bob, alice, tmp_path) -> None:
    make_client(alice, email="paul@acme.fr")
    client.force_login(bob)
    client.post(
        reverse("web:mailbox_import"), {"file": SimpleUploadedFile("e.mbox", _mbox(tmp_path, _messages()))}
    )
    assert not Interaction.objects.exists()
