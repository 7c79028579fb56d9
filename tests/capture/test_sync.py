"""The mailbox sync against a real Dovecot: first sync, no duplicates, only what is new, a renumbered folder,
a server that stops mid-sync, a refused login, the privacy sieve, threading and the lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from crm.capture import journal, sync
from crm.models import CapturedMessage, Interaction, Mailbox, MailFolder
from tests.capture.conftest import mail, make_mailbox
from tests.factories import make_client

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def book(alice: Any) -> dict[str, Any]:
    return {
        "acme": make_client(alice, name="ACME", email="paul@acme.fr"),
        "bakery": make_client(alice, name="Boulangerie", email="Marie@Boulangerie.fr"),
    }


def _days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def _sync(mailbox: Mailbox) -> str:
    with time_machine.travel(NOW, tick=False):
        return sync.sync_mailbox(mailbox.pk)


def test_first_sync_logs_client_mail_of_both_folders(alice, book, dovecot, imap_user) -> None:
    mailbox = make_mailbox(alice, dovecot, imap_user)
    dovecot.append(
        imap_user,
        "INBOX",
        mail("Paul <paul@acme.fr>", "alice@example.com", "Devis", "<1@acme.fr>", _days_ago(3)),
    )
    dovecot.append(
        imap_user,
        "Sent",
        mail("alice@example.com", "marie@boulangerie.fr", "Maquette", "<2@me>", _days_ago(2)),
    )

    assert _sync(mailbox) == "synced"

    logged = {i.summary: (i.client_id, i.direction, i.kind) for i in Interaction.objects.all()}
    assert logged == {
        "Devis": (book["acme"].pk, "from_client", "email"),
        "Maquette": (book["bakery"].pk, "to_client", "email"),
    }
    mailbox.refresh_from_db()
    assert (mailbox.state, mailbox.messages_logged, mailbox.last_error) == ("idle", 2, "")
    assert mailbox.last_sync_at is not None
    book["bakery"].refresh_from_db()
    assert book["bakery"].last_contact_at == _days_ago(2)  # trust follows: the contact clock moved


def test_a_second_sync_logs_nothing_twice_and_a_third_only_the_new_mail(
    alice, book, dovecot, imap_user
) -> None:
    mailbox = make_mailbox(alice, dovecot, imap_user)
    dovecot.append(
        imap_user,
        "INBOX",
        [
            mail("paul@acme.fr", "alice@example.com", f"M{n}", f"<{n}@acme.fr>", _days_ago(10 - n))
            for n in range(5)
        ],
    )
    _sync(mailbox)
    _sync(mailbox)
    assert Interaction.objects.count() == 5

    dovecot.append(
        imap_user, "INBOX", mail("paul@acme.fr", "alice@example.com", "New", "<new@acme.fr>", _days_ago(1))
    )
    _sync(mailbox)

    assert Interaction.objects.count() == 6
    assert Interaction.objects.filter(summary="New").count() == 1
    assert MailFolder.objects.get(mailbox=mailbox, role="inbox").last_uid == 6


def test_a_renumbered_folder_is_read_again_without_duplicates(alice, book, dovecot, imap_user) -> None:
    mailbox = make_mailbox(alice, dovecot, imap_user)
    dovecot.append(
        imap_user,
        "Sent",
        [
            mail("alice@example.com", "paul@acme.fr", f"S{n}", f"<s{n}@me>", _days_ago(5 - n))
            for n in range(3)
        ],
    )
    _sync(mailbox)
    before = MailFolder.objects.get(mailbox=mailbox, role="sent").uidvalidity

    dovecot.reset_uidvalidity(imap_user, "Sent")
    dovecot.append(
        imap_user, "Sent", mail("alice@example.com", "paul@acme.fr", "S3", "<s3@me>", _days_ago(0.5))
    )
    _sync(mailbox)

    assert MailFolder.objects.get(mailbox=mailbox, role="sent").uidvalidity != before
    assert sorted(Interaction.objects.values_list("summary", flat=True)) == ["S0", "S1", "S2", "S3"]


def test_a_server_stopped_mid_sync_loses_nothing_and_the_next_sync_resumes(
    alice, book, dovecot, imap_user, monkeypatch
) -> None:
    mailbox = make_mailbox(alice, dovecot, imap_user)
    dovecot.append(
        imap_user,
        "INBOX",
        [
            mail("paul@acme.fr", "alice@example.com", f"M{n:02}", f"<{n}@acme.fr>", _days_ago(30 - n))
            for n in range(25)
        ],
    )
    monkeypatch.setattr(sync, "BATCH_SIZE", 10)
    record = journal.record

    def record_then_stop_the_server(*args: Any, **kwargs: Any) -> int:
        logged = record(*args, **kwargs)
        dovecot.stop()  # the server goes away after the first batch
        return logged

    monkeypatch.setattr(journal, "record", record_then_stop_the_server)
    assert _sync(mailbox) == "failing"
    mailbox.refresh_from_db()
    assert Interaction.objects.count() == 10  # the first batch was committed
    assert (mailbox.progress_done, mailbox.progress_total, mailbox.failures) == (10, 25, 1)
    assert "stopped answering" in mailbox.last_error
    assert mailbox.next_attempt_at == NOW + sync.BACKOFF_FIRST
    assert mailbox.locked_until is None

    monkeypatch.setattr(journal, "record", record)
    dovecot.start()
    assert _sync(mailbox) == "synced"
    assert sorted(Interaction.objects.values_list("summary", flat=True)) == [f"M{n:02}" for n in range(25)]
    mailbox.refresh_from_db()
    assert (mailbox.state, mailbox.failures, mailbox.last_error) == ("idle", 0, "")


def test_a_wrong_password_says_so_and_waits_for_new_settings(alice, book, dovecot, imap_user) -> None:
    from crm.capture.secrets import encrypt

    mailbox = make_mailbox(alice, dovecot, imap_user, imap_secret=encrypt("not the password"))
    assert _sync(mailbox) == "attention"
    mailbox.refresh_from_db()
    assert mailbox.state == Mailbox.State.NEEDS_ATTENTION
    assert "refused the user name or password" in mailbox.last_error
    # No retry storm: the sweep does not hand it over again until the settings change.
    assert sync.due_mailboxes(NOW + timedelta(days=30)) == []


def test_a_strangers_message_is_never_stored(alice, book, dovecot, imap_user) -> None:
    mailbox = make_mailbox(alice, dovecot, imap_user, excluded="compta@acme.fr")
    dovecot.append(
        imap_user,
        "INBOX",
        [
            mail("spam@stranger.example", "alice@example.com", "Win a prize", "<x@stranger>", _days_ago(2)),
            mail("friend@gmail.com", "alice@example.com", "Dinner?", "<y@gmail>", _days_ago(2)),
            mail("compta@acme.fr", "alice@example.com", "Excluded", "<z@acme.fr>", _days_ago(2)),
            mail(
                "jean@acme.fr", "alice@example.com", "Same domain, not opted in", "<d@acme.fr>", _days_ago(2)
            ),
        ],
    )
    dovecot.append(
        imap_user,
        "Sent",
        mail("alice@example.com", "friend@gmail.com", "Re: Dinner?", "<w@me>", _days_ago(1)),
    )
    _sync(mailbox)
    assert Interaction.objects.count() == 0
    assert CapturedMessage.objects.count() == 0
    assert mailbox.folders.count() == 2  # both folders were read

    mailbox.match_domains = True
    mailbox.save()
    MailFolder.objects.filter(mailbox=mailbox).update(last_uid=0)
    _sync(mailbox)
    assert list(Interaction.objects.values_list("summary", flat=True)) == ["Same domain, not opted in"]


def test_a_message_older_than_a_year_is_not_read_on_the_first_sync(alice, book, dovecot, imap_user) -> None:
    mailbox = make_mailbox(alice, dovecot, imap_user)
    with dovecot.imap(imap_user) as imap:
        old = mail("paul@acme.fr", "alice@example.com", "Old", "<old@acme.fr>", _days_ago(400))
        imap.append("INBOX", old, msg_time=_days_ago(400))
        imap.append(
            "INBOX", mail("paul@acme.fr", "a@x", "Recent", "<r@acme.fr>", _days_ago(2)), msg_time=_days_ago(2)
        )
    _sync(mailbox)
    assert list(Interaction.objects.values_list("summary", flat=True)) == ["Recent"]


def test_answers_are_linked_both_ways_with_true_reply_times(alice, book, dovecot, imap_user) -> None:
    mailbox = make_mailbox(alice, dovecot, imap_user, status_keyword="Point")
    dovecot.append(
        imap_user,
        "INBOX",
        [
            mail("paul@acme.fr", "alice@example.com", "Question", "<q@acme.fr>", _days_ago(5)),
            mail(
                "paul@acme.fr",
                "alice@example.com",
                "Re: Point hebdo",
                "<r2@acme.fr>",
                _days_ago(1),
                in_reply_to="<p@me>",
            ),
        ],
    )
    dovecot.append(
        imap_user,
        "Sent",
        [
            mail(
                "alice@example.com",
                "paul@acme.fr",
                "Re: Question",
                "<a@me>",
                _days_ago(4),
                in_reply_to="<q@acme.fr>",
            ),
            mail(
                "alice@example.com",
                "paul@acme.fr",
                "Point hebdo",
                "<p@me>",
                _days_ago(3),
                references="<q@acme.fr> <a@me>",
                in_reply_to="<zzz@unknown>",
            ),
        ],
    )
    _sync(mailbox)

    by_subject = {i.summary: i for i in Interaction.objects.all()}
    assert by_subject["Re: Question"].answers == by_subject["Question"]
    # The client's answer was read (inbox) before the message it answers (sent folder): linked afterwards.
    assert by_subject["Re: Point hebdo"].answers == by_subject["Point hebdo"]
    # Same side, not an answer: the status update follows my own message in References.
    assert by_subject["Point hebdo"].answers is None
    assert by_subject["Point hebdo"].kind == Interaction.Kind.STATUS_UPDATE
    book["acme"].refresh_from_db()
    assert book["acme"].last_status_update_at == _days_ago(3)


def test_two_workers_never_sync_one_mailbox(alice, book, dovecot, imap_user) -> None:
    mailbox = make_mailbox(alice, dovecot, imap_user)
    assert sync.claim(mailbox.pk, NOW)
    assert sync.sync_mailbox(mailbox.pk, now=NOW + timedelta(minutes=1)) == ""
    assert not sync.claim(mailbox.pk, NOW + timedelta(minutes=2))
    # A worker that died leaves a lock that expires.
    assert sync.claim(mailbox.pk, NOW + sync.LOCK_FOR + timedelta(seconds=1))


def test_mail_from_any_contact_of_a_client_is_kept_and_names_the_contact(
    alice, book, dovecot, imap_user
) -> None:
    from tests.factories import make_contact

    accounting = make_contact(book["acme"], name="Compta ACME", email="Compta@ACME.fr", role="Accounting")
    mailbox = make_mailbox(alice, dovecot, imap_user)
    dovecot.append(
        imap_user,
        "INBOX",
        mail("compta@acme.fr", "alice@example.com", "Facture 12", "<f12@acme.fr>", _days_ago(1)),
    )
    dovecot.append(
        imap_user, "Sent", mail("alice@example.com", "paul@acme.fr", "Planning", "<pl@me>", _days_ago(0.5))
    )
    _sync(mailbox)
    logged = {i.summary: (i.client_id, i.contact_id) for i in Interaction.objects.all()}
    primary = book["acme"].contacts.get(is_primary=True)
    assert logged == {
        "Facture 12": (book["acme"].pk, accounting.pk),
        "Planning": (book["acme"].pk, primary.pk),
    }
