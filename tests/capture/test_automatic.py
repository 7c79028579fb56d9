"""Auto-replies and mailings (issue 22, RFC 3834): captured through a real Dovecot, marked, shown in the timeline in
both languages, and never an answer nor a contact; an out-of-office reply proposes the absence it announces."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from crm.capture import sync
from crm.capture.automatic import AUTO_REPLY, BULK, automatic_kind, away_until_in
from crm.models import ClientHealth, Interaction, Mailbox
from tests.capture.conftest import mail, make_mailbox
from tests.factories import make_client

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def _sync(mailbox: Mailbox) -> str:
    with time_machine.travel(NOW, tick=False):
        return sync.sync_mailbox(mailbox.pk)


def _headers(**headers: str) -> Any:
    raw = mail("paul@acme.fr", "alice@example.com", "Hello", "<h@acme.fr>", NOW, headers=headers)
    return BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({}, ""),
        ({"Auto-Submitted": "no"}, ""),
        ({"Auto-Submitted": "auto-replied"}, AUTO_REPLY),
        ({"Auto-Submitted": "auto-generated"}, AUTO_REPLY),
        ({"X-Autoreply": "yes"}, AUTO_REPLY),
        ({"X-Autorespond": "Out of office"}, AUTO_REPLY),
        ({"Precedence": "auto_reply"}, AUTO_REPLY),
        ({"Precedence": "bulk"}, BULK),
        ({"Precedence": "list"}, BULK),
        ({"List-Unsubscribe": "<mailto:unsubscribe@acme.fr>"}, BULK),
        ({"List-Id": "Nouvelles d'ACME <news.acme.fr>"}, BULK),
        ({"Auto-Submitted": "auto-replied", "Precedence": "bulk"}, AUTO_REPLY),
    ],
)
def test_a_message_sent_by_a_machine_is_told_by_its_headers(headers: dict[str, str], kind: str) -> None:
    assert automatic_kind(_headers(**headers)) == kind


@pytest.mark.parametrize(
    ("text", "until"),
    [
        ("Out of office until 14 December", date(2026, 12, 14)),
        ("Réponse automatique : absente jusqu’au lundi 14 décembre", date(2026, 12, 14)),
        ("Je suis en congé, de retour le 15/12.", date(2026, 12, 14)),
        ("I am away until December 14, 2026.", date(2026, 12, 14)),
        ("Absent du 2 au 14 décembre inclus", date(2026, 12, 14)),
        ("Out of office: back on January 5th", date(2027, 1, 4)),  # the next 5 January
        ("Automatic reply until 14 December", None),  # no absence said
        ("Out of office", None),  # no day said
        ("En vacances jusqu'au 14 décembre 2029", None),  # further than a year: a misreading
    ],
)
def test_an_auto_reply_names_the_last_day_away(text: str, until: date | None) -> None:
    assert away_until_in(text, date(2026, 11, 20)) == until


@pytest.fixture
def acme(alice: Any) -> Any:
    return make_client(alice, name="ACME", email="paul@acme.fr", created_at=_days_ago(60))


def test_an_out_of_office_reply_is_marked_shown_and_neither_an_answer_nor_a_contact(
    alice: Any, acme: Any, dovecot: Any, imap_user: str, alice_client: Any
) -> None:
    mailbox = make_mailbox(alice, dovecot, imap_user, keep_snippet=True)
    dovecot.append(
        imap_user,
        "Sent",
        mail("alice@example.com", "paul@acme.fr", "Quelle couleur ?", "<q@me>", _days_ago(6)),
    )
    dovecot.append(
        imap_user,
        "INBOX",
        mail(
            "paul@acme.fr",
            "alice@example.com",
            "Réponse automatique : Quelle couleur ?",
            "<auto@acme.fr>",
            _days_ago(6) + timedelta(minutes=1),
            in_reply_to="<q@me>",
            body="Bonjour,\n\nJe suis absent jusqu'au 14 décembre, sans accès à mes messages.\n",
            headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
        ),
    )
    assert _sync(mailbox) == "synced"

    question = Interaction.objects.get(summary__startswith="Quelle couleur")
    auto = Interaction.objects.get(summary__startswith="Réponse automatique")
    assert (auto.automatic, auto.direction, auto.answers) == ("auto_reply", "from_client", None)
    assert auto.away_until_suggested == date(2026, 12, 14)
    # No contact: the last contact is my question, not the machine's reply.
    acme.refresh_from_db()
    assert acme.last_contact_at == question.happened_at
    # No answer: my question still waits for the client's (6 days), and no message of the client waits for mine.
    reasons = {r["code"]: r for r in ClientHealth.objects.get(client=acme).reasons}
    assert reasons["client_unanswered_question"]["params"]["days_waiting"] == 6
    assert "unanswered_message" not in reasons and "client_quick_answers" not in reasons

    # Shown in the timeline, marked, with the absence it announces to confirm, in both languages.
    workspace = reverse("web:client", kwargs={"client_id": acme.pk})
    with time_machine.travel(NOW, tick=False):
        page = alice_client.get(workspace).content.decode()
        assert "Auto-reply" in page and "Sent automatically: neither an answer nor a contact." in page
        assert "The auto-reply says the client is away until Dec. 14, 2026." in page
        confirm = reverse("web:absence_new", kwargs={"client_id": acme.pk}) + "?end_on=2026-12-14"
        assert f'href="{confirm}"' in page
        assert 'value="2026-12-14"' in alice_client.get(confirm).content.decode()
        alice.profile.language = "fr"
        alice.profile.save(update_fields=["language"])
        page = alice_client.get(workspace).content.decode()
        assert "Réponse automatique" in page
        assert "Envoyé automatiquement\xa0: ni une réponse, ni un contact." in page
        assert "La réponse automatique indique que le client est absent jusqu’au 14 décembre 2026." in page


def test_a_mailing_from_a_client_address_does_not_move_the_last_contact(
    alice: Any, acme: Any, dovecot: Any, imap_user: str
) -> None:
    mailbox = make_mailbox(alice, dovecot, imap_user)
    dovecot.append(
        imap_user,
        "Sent",
        mail("alice@example.com", "paul@acme.fr", "Maquette livrée", "<m@me>", _days_ago(10)),
    )
    dovecot.append(
        imap_user,
        "INBOX",
        [
            mail(
                "paul@acme.fr",
                "alice@example.com",
                "La lettre d'ACME, novembre",
                "<news@acme.fr>",
                _days_ago(1),
                headers={"Precedence": "bulk", "List-Unsubscribe": "<mailto:unsubscribe@acme.fr>"},
            ),
            mail(
                "paul@acme.fr",
                "alice@example.com",
                "Nouvelles de la liste",
                "<list@acme.fr>",
                _days_ago(2),
                headers={"List-Id": "ACME <team.acme.fr>"},
            ),
        ],
    )
    _sync(mailbox)

    assert set(Interaction.objects.filter(automatic="bulk").values_list("summary", flat=True)) == {
        "La lettre d'ACME, novembre",
        "Nouvelles de la liste",
    }
    acme.refresh_from_db()
    assert acme.last_contact_at == _days_ago(10)
    # A mailing waits for no answer of mine.
    assert "unanswered_message" not in [r["code"] for r in ClientHealth.objects.get(client=acme).reasons]
