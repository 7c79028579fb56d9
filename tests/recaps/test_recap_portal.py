"""The client answers a recap on their page, without logging in: confirms it whole, or confirms a line and
corrects another; a correction is a message from the client in the freelancer's journal and digest."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import reverse

from crm.models import ClientPage, Interaction, Recap, RecapLine
from crm.recaps.writing import Line, write
from crm.reminders.digest import build_digest
from tests.factories import make_client, make_interaction

from .conftest import NOW


@pytest.fixture
def recap(call: Interaction) -> Recap:
    return write(
        call,
        "Lancement le 1er avril",
        "Hébergement ?",
        [
            Line("freelancer", "Envoyer la maquette", date(2026, 3, 16)),
            Line("client", "Envoyer les textes", date(2026, 3, 13)),
        ],
    )


def _page(recap: Recap) -> str:
    return reverse("portal:page", kwargs={"token": recap.client.page.token})


def _post(name: str, recap: Recap, data: dict[str, Any]) -> Any:
    return Browser().post(reverse(f"portal:{name}", kwargs={"token": recap.client.page.token}), data)


def _lines(recap: Recap) -> list[RecapLine]:
    return list(recap.lines.select_related("promise").order_by("position"))


def test_the_page_shows_the_recap_in_the_clients_language_with_its_answers(recap: Recap) -> None:
    html = Browser().get(_page(recap)).content.decode()
    assert "Comptes rendus de nos appels et réunions" in html
    assert "Notre appel du 9 mars 2026" in html
    assert "Envoyer la maquette" in html and "Hébergement ?" in html
    assert html.count("Confirmer cette ligne") == 2 and "Confirmer tout le compte rendu" in html


def test_confirm_one_line_and_correct_the_other(alice: Any, recap: Recap) -> None:
    mockup, texts = _lines(recap)
    answer = _post("recap_line_confirm", recap, {"line": mockup.pk})
    assert answer.status_code == 302
    assert answer["Location"] == _page(recap) + f"?recap=line_confirmed#recap-line-{mockup.pk}"
    answer = _post(
        "recap_line_correct", recap, {"line": texts.pk, "correction": "Les textes pour le 20 mars"}
    )
    assert answer.status_code == 302
    mockup, texts = _lines(recap)
    assert (mockup.answer, texts.answer, texts.correction) == (
        "confirmed",
        "corrected",
        "Les textes pour le 20 mars",
    )
    # The correction is a message from the client, in the freelancer's journal (in her language).
    message = texts.correction_interaction
    assert (message.direction, message.kind, message.client_id) == ("from_client", "message", recap.client_id)
    assert (
        message.summary
        == "Correction to the recap of March 9, 2026 — “Envoyer les textes”: Les textes pour le 20 mars"
    )
    recap.refresh_from_db()
    assert recap.answered_at is not None and recap.confirmed_at is None
    html = Browser().get(_page(recap) + "?recap=corrected").content.decode()
    assert "Merci\u00a0: votre correction est transmise à Alice Martin." in html
    assert "Vous avez confirmé cette ligne." in html and "Vous avez corrigé cette ligne" in html
    # The freelancer reads it in the timeline and in the weekly digest.
    workspace = Browser()
    workspace.force_login(alice)
    timeline = workspace.get(reverse("web:client", kwargs={"client_id": recap.client_id})).content.decode()
    assert "Correction to the recap of March 9, 2026" in timeline
    digest = build_digest(alice, NOW.replace(day=16))
    assert [line.correction for line in digest.recap_corrections] == ["Les textes pour le 20 mars"]


def test_confirm_the_whole_recap(recap: Recap) -> None:
    assert _post("recap_confirm", recap, {"recap": recap.pk}).status_code == 302
    assert {line.answer for line in _lines(recap)} == {"confirmed"}
    recap.refresh_from_db()
    assert recap.confirmed_at is not None
    assert _post("recap_confirm", recap, {"recap": recap.pk}).status_code == 302  # twice: nothing more
    assert (
        "Vous avez confirmé ce compte rendu le 10 mars 2026." in Browser().get(_page(recap)).content.decode()
    )


def test_an_answered_line_keeps_its_first_answer(recap: Recap) -> None:
    mockup, _texts = _lines(recap)
    _post("recap_line_confirm", recap, {"line": mockup.pk})
    _post("recap_line_correct", recap, {"line": mockup.pk, "correction": "Non"})
    assert _lines(recap)[0].answer == "confirmed"
    assert not Interaction.objects.filter(direction="from_client").exists()


@pytest.mark.parametrize("name", ["recap_line_confirm", "recap_line_correct", "recap_confirm"])
def test_another_clients_recap_cannot_be_answered_from_this_page(alice: Any, recap: Recap, name: str) -> None:
    other = make_client(alice, name="Autre")
    ClientPage.objects.create(client=other)
    theirs = write(
        make_interaction(other, kind="meeting"), "", "", [Line("client", "Payer", date(2026, 3, 20))]
    )
    line = theirs.lines.get()
    answer = _post(name, recap, {"line": line.pk, "recap": theirs.pk, "correction": "Non"})
    assert answer["Location"].endswith("?recap=refused#recaps")
    line.refresh_from_db()
    theirs.refresh_from_db()
    assert (line.answer, theirs.confirmed_at) == ("", None)


def test_an_empty_correction_is_refused_and_changes_nothing(recap: Recap) -> None:
    _mockup, texts = _lines(recap)
    answer = _post("recap_line_correct", recap, {"line": texts.pk, "correction": "   "})
    assert answer["Location"].endswith(f"?recap=empty#recap-line-{texts.pk}")
    assert _lines(recap)[1].answer == ""
    html = Browser().get(answer["Location"]).content.decode()
    assert "Écrivez ce qu’il faut corriger." in html


def test_a_page_hiding_the_promises_takes_no_answer(recap: Recap) -> None:
    ClientPage.objects.filter(client=recap.client).update(show_promises=False)
    mockup, _texts = _lines(recap)
    assert _post("recap_line_confirm", recap, {"line": mockup.pk}).status_code == 404
    assert "Envoyer la maquette" not in Browser().get(_page(recap)).content.decode()


def test_the_preview_shows_the_recap_without_its_buttons(alice_client: Any, recap: Recap) -> None:
    preview = reverse("web:client_page_preview", kwargs={"client_id": recap.client_id})
    html = alice_client.get(preview).content.decode()
    assert "Envoyer la maquette" in html and "Confirmer cette ligne" not in html


def test_a_get_of_an_answer_goes_back_to_the_page(recap: Recap) -> None:
    url = reverse("portal:recap_confirm", kwargs={"token": recap.client.page.token})
    assert Browser().get(url)["Location"] == _page(recap)
