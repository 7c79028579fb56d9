"""The freelancer writes the recap of a call: each line a promise on the right side with its due date, the recap
and its promises in one transaction, its email queued; every bad input refused with its message, nothing written."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from crm.models import Dispatch, Interaction, Promise, Recap, RecapLine
from tests.factories import make_interaction
from tests.web.formpage import drawn_forms


def _url(interaction: Interaction) -> str:
    return reverse("web:interaction_recap", kwargs={"interaction_id": interaction.pk})


def _drawn(http: Any, interaction: Interaction) -> dict[str, str]:
    """The recap form's fields as the page draws them (its one-time token and the lines' management form)."""
    html = http.get(_url(interaction)).content.decode()
    (form,) = [form for form in drawn_forms(html) if "recap-form" in form.attrs.get("class", "")]
    return form.data()


def _nothing_written() -> bool:
    return not Recap.objects.exists() and not Promise.objects.exists() and not Dispatch.objects.exists()


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("en", ["What was decided", "Who promised", "I promised the client", "By when", "Open questions"]),
        ("fr", ["Ce qui a été décidé", "Qui a promis", "Pour quand", "Questions en suspens"]),
    ],
)
def test_the_form_round_trips_in_both_languages(
    alice: Any, alice_client: Any, call: Interaction, language: str, labels: list[str]
) -> None:
    alice.profile.language = language
    alice.profile.save(update_fields=["language"])
    page = alice_client.get(_url(call), headers={"Accept-Language": language})
    html = page.content.decode()
    assert page.status_code == 200
    assert [label for label in labels if label not in html] == []
    data = _drawn(alice_client, call)
    data |= {
        "decided": "Lancement le 1er avril\r\nPaiement en deux fois",
        "lines-0-description": "Envoyer la maquette",
        "lines-0-due_on": "2026-03-16",
        "lines-1-promisor": "client",
        "lines-1-description": "Envoyer les textes",
        "lines-1-due_on": "2026-03-13",
        "open_questions": "Hébergement ?",
    }
    answer = alice_client.post(_url(call), data)
    assert answer.status_code == 302 and answer["Location"] == _url(call)
    recap = Recap.objects.get(interaction=call)
    assert (recap.decided, recap.open_questions) == (
        "Lancement le 1er avril\nPaiement en deux fois",
        "Hébergement ?",
    )
    lines = list(recap.lines.select_related("promise").order_by("position"))
    assert [(line.promise.promisor, line.promise.description, line.promise.due_on) for line in lines] == [
        ("freelancer", "Envoyer la maquette", date(2026, 3, 16)),
        ("client", "Envoyer les textes", date(2026, 3, 13)),
    ]
    # Made in the call, on its day, for its project; the blank third line is no promise.
    assert {(line.promise.made_on, line.promise.project_id) for line in lines} == {
        (date(2026, 3, 9), call.project_id)
    }
    assert Promise.objects.count() == 2
    dispatch = Dispatch.objects.get(kind=Dispatch.Kind.RECAP)
    assert (dispatch.period, dispatch.state) == (f"rc{recap.pk}", Dispatch.State.QUEUED)
    # The page now shows the recap, awaiting the client's answer; a repeat of the post writes nothing more.
    shown = alice_client.get(_url(call)).content.decode()
    assert "Envoyer la maquette" in shown and "recap-awaiting" in shown
    assert alice_client.post(_url(call), data).status_code == 302
    assert (Recap.objects.count(), Promise.objects.count(), RecapLine.objects.count()) == (1, 2, 2)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            {"lines-0-description": "Maquette", "lines-0-due_on": "2026-03-08"},
            "cannot be due before the call",
        ),
        ({"lines-0-description": "Maquette"}, "Say by when."),
        ({"lines-0-due_on": "2026-03-20"}, "Say what was promised."),
        ({"lines-0-description": "Maquette", "lines-0-due_on": "2101-01-01"}, "Enter a date between"),
        ({"lines-0-description": "Maquette", "lines-0-due_on": "demain"}, "Enter a valid date."),
        (
            {"lines-0-promisor": "boss", "lines-0-description": "M", "lines-0-due_on": "2026-03-20"},
            "Select a valid choice",
        ),
        ({"decided": "x" * 2001}, "at most 2000 characters"),
        ({}, "an empty recap says nothing"),
        ({"lines-TOTAL_FORMS": "11"}, "Please submit at most 10 forms."),
    ],
)
def test_bad_input_is_refused_with_its_message_and_writes_nothing(
    alice_client: Any, call: Interaction, typed: dict[str, str], message: str
) -> None:
    data = _drawn(alice_client, call) | typed
    answer = alice_client.post(_url(call), data)
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert _nothing_written()


def test_the_form_speaks_french_to_a_french_freelancer(
    alice: Any, alice_client: Any, call: Interaction
) -> None:
    alice.profile.language = "fr"
    alice.profile.save(update_fields=["language"])
    data = _drawn(alice_client, call) | {"lines-0-description": "Maquette"}
    html = alice_client.post(_url(call), data, headers={"Accept-Language": "fr"}).content.decode()
    assert "Dites pour quand." in html
    assert _nothing_written()


def test_an_email_or_a_note_has_no_recap(alice_client: Any, call: Interaction) -> None:
    email = make_interaction(call.client, kind="email", summary="Devis")
    answer = alice_client.get(_url(email), follow=True)
    assert "A recap follows a call or a meeting" in answer.content.decode()
    assert alice_client.post(_url(email), {"decided": "Go"}).status_code == 302
    assert _nothing_written()


def test_bob_cannot_open_nor_write_alices_recap(client: Any, bob: Any, call: Interaction) -> None:
    client.force_login(bob)
    assert client.get(_url(call)).status_code == 404
    assert client.post(_url(call), {"decided": "Go"}).status_code == 404
    assert _nothing_written()


def test_the_timeline_offers_the_recap_of_a_call_and_says_when_it_is_written(
    alice_client: Any, call: Interaction
) -> None:
    workspace = reverse("web:client", kwargs={"client_id": call.client_id})
    html = alice_client.get(workspace).content.decode()
    assert _url(call) in html and "Write the recap" in html
    data = _drawn(alice_client, call) | {"decided": "Go"}
    alice_client.post(_url(call), data)
    assert "Recap sent, awaiting the client" in alice_client.get(workspace).content.decode()
