"""The recap goes to the client through the outbox, once, in the client's language, signed with the business
identity, with the link to confirm it on their page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core import mail

from crm.models import Dispatch, Interaction, Recap
from crm.recaps.writing import Line, write
from crm.reminders.outbox import deliver


def _identity(alice: Any) -> None:
    profile = alice.profile
    profile.trade_name = "Atelier Martin"
    profile.business_email = "contact@atelier-martin.example"
    profile.signature = "Webmaster indépendante\n+33 6 12 34 56 78"
    profile.save()


def test_the_recap_reaches_the_client_once_in_their_language_signed_with_the_business(
    alice: Any, call: Interaction
) -> None:
    _identity(alice)  # alice writes in English; Zoé reads French
    recap = write(
        call,
        "Lancement le 1er avril",
        "Hébergement ?",
        [
            Line("freelancer", "Envoyer la maquette", date(2026, 3, 16)),
            Line("client", "Envoyer les textes", date(2026, 3, 13)),
        ],
    )
    dispatch = Dispatch.objects.get(kind=Dispatch.Kind.RECAP)
    assert deliver(dispatch.pk) == Dispatch.State.SENT
    assert deliver(dispatch.pk) == ""  # claimed already: never twice
    (email,) = mail.outbox
    assert email.to == ["zoe@atelier.example"]
    assert email.subject == "Compte rendu de notre appel du 9 mars 2026"
    assert "Bonjour Zoé Bernard," in email.body
    assert "1. Alice Martin\u00a0: Envoyer la maquette — pour le 16 mars 2026" in email.body
    assert "2. Vous\u00a0: Envoyer les textes — pour le 13 mars 2026" in email.body
    assert "Hébergement ?" in email.body
    # Signed with the business identity; from the app's address under the business's name, answers to alice.
    assert "Alice Martin\nAtelier Martin\nWebmaster indépendante\n+33 6 12 34 56 78" in email.body
    assert email.from_email.startswith("Atelier Martin <")
    assert email.reply_to == ["contact@atelier-martin.example"] and email.cc == ["alice@example.com"]
    # The link to the client's page, at the recap.
    page = call.client.page
    assert f"/p/{page.token}/#recap-{recap.pk}" in email.body
    html = email.alternatives[0][0]
    assert "Envoyer la maquette" in html and 'lang="fr"' in html
    recap.refresh_from_db()
    assert recap.sent_at is not None


def test_an_english_client_reads_english(alice: Any, call: Interaction) -> None:
    call.client.language = "en"
    call.client.save(update_fields=["language"])
    write(call, "Launch on 1 April", "", [Line("client", "Send the texts", date(2026, 3, 13))])
    deliver(Dispatch.objects.get(kind=Dispatch.Kind.RECAP).pk)
    (email,) = mail.outbox
    assert email.subject == "Recap of our call of March 9, 2026"
    assert "1. You: Send the texts — by March 13, 2026" in email.body


def test_a_client_without_an_address_gets_the_recap_on_their_page_only(alice: Any, call: Interaction) -> None:
    call.client.email = ""
    call.client.save(update_fields=["email"])
    write(call, "Go", "", [])
    assert not Dispatch.objects.exists()
    assert Recap.objects.get().sent_at is None
