"""Issue 22, item 4: the client's side of responsiveness.

> "Une relation implique des échanges bidirectionnels." (A relationship means exchanges both ways.) — `003`.
> "… si une réponse est lente ou incorrecte" (… if an answer is slow or wrong) — `004`, "Les intérêts".

The freelancer's questions (an email or a message to the client that answers nothing) answered fast or never by
the client weigh on the client's word; only an answer LINKED to the question counts (mail capture's threading, or
"answers" on a logged interaction). Auto-replies and mailings are neither questions nor answers.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.models import Interaction
from crm.trust import formula
from crm.trust.door import journal_changed
from crm.trust.formula import InteractionFact
from tests.factories import make_client, make_interaction
from tests.trust.facts import NOW, codes, interaction, model_client, score
from tests.trust.facts import away as away_days

MINUTE = timedelta(minutes=1)


def question(days_ago: float, kind: str = "email") -> InteractionFact:
    """The freelancer's email (or message) to the client, answering nothing."""
    return interaction(days_ago, kind)


def answer(days_ago: float, to: InteractionFact | None, automatic: str = "") -> InteractionFact:
    """The client's email, linked to `to` (None: logged without a link)."""
    return replace(
        interaction(days_ago, direction="from_client"),
        answers=None if to is None else to.id,
        automatic=automatic,
    )


def client_side(*extra: InteractionFact, now: Any = NOW, **fields: Any) -> float:
    base = model_client(**fields)
    return score(replace(base, interactions=base.interactions + extra), now).sides["client"]["exact"]


def test_a_clients_quick_linked_answer_raises_the_clients_side() -> None:
    asked = question(10)
    health = score(
        replace(model_client(), interactions=model_client().interactions + (asked, answer(9.5, asked)))
    )
    assert "client_quick_answers" in codes(health)
    assert health.components["client_responsiveness"]["side"] == "client"
    assert health.components["client_responsiveness"]["score"] > 50
    assert client_side(asked, answer(9.5, asked)) > client_side()


def test_a_slow_linked_answer_lowers_the_clients_side_by_how_late_it_came() -> None:
    ten, fifteen = question(40), question(45)
    assert client_side(fifteen, answer(30, fifteen)) < client_side(ten, answer(30, ten)) < client_side()


def test_an_unanswered_question_lowers_the_clients_side_smoothly() -> None:
    # Within the grace (3 days) it weighs nothing; then a ramp, no step: one minute never moves the side by more
    # than a hundredth of a point, and the side keeps going down until the ramp's end (18 days).
    asked = question(0)
    unasked = client_side()
    sides = []
    for minutes in range(0, 25 * 24 * 60, 6 * 60):
        now = asked.happened_at + timedelta(minutes=minutes)
        here, then = client_side(asked, now=now), client_side(asked, now=now + MINUTE)
        assert abs(here - then) < 0.01, minutes
        sides.append(here)
    assert sides == sorted(sides, reverse=True)
    assert sides[0] == pytest.approx(client_side(now=asked.happened_at))
    edge = asked.happened_at + timedelta(days=formula.CLIENT_REPLY_WITHIN_DAYS)
    assert abs(client_side(asked, now=edge - MINUTE) - client_side(asked, now=edge + MINUTE)) < 0.01
    assert client_side(asked, now=asked.happened_at + timedelta(days=20)) < unasked - 3
    health = score(replace(model_client(), interactions=model_client().interactions + (asked,)), NOW)
    assert "client_unanswered_question" not in codes(health)  # asked just now
    later = score(replace(model_client(), interactions=model_client().interactions + (question(6),)), NOW)
    [reason] = [r for r in later.reasons if r["code"] == "client_unanswered_question"]
    assert reason["side"] == "client" and reason["params"]["days_waiting"] == 6


def _with(base: Any, *extra: InteractionFact) -> Any:
    return score(replace(base, interactions=base.interactions + extra))


def test_an_unlinked_client_email_counts_as_nothing() -> None:
    base, asked = model_client(), question(10)
    with_it = _with(base, asked, answer(9.5, None))
    without = _with(base, asked)
    # On the client's side nothing moves (on mine, the email waits for my reply, as every message of the client).
    assert with_it.sides["client"] == without.sides["client"]
    for key in ("score", "evidence"):
        assert (
            with_it.components["client_responsiveness"][key]
            == without.components["client_responsiveness"][key]
        )
    assert "client_unanswered_question" in codes(with_it)
    assert "client_quick_answers" not in codes(with_it)


def test_an_auto_reply_is_no_answer_and_no_message_waiting_for_one() -> None:
    base, asked = model_client(), question(10)
    with_it = _with(base, asked, answer(9.99, asked, automatic="auto_reply"))
    without = _with(base, asked)
    assert (with_it.exact, with_it.sides, with_it.reasons) == (without.exact, without.sides, without.reasons)
    mailing = replace(interaction(8, direction="from_client"), automatic="bulk")
    assert _with(base, mailing).reasons == score(base).reasons


def test_an_answer_to_the_freelancers_answer_is_not_a_question() -> None:
    # The client asks, the freelancer answers (unlinked, the old way): that answer waits for nothing.
    asked_by_client = interaction(10, direction="from_client")
    answered = interaction(9.9)
    health = score(
        replace(model_client(), interactions=model_client().interactions + (asked_by_client, answered))
    )
    assert health.components["client_responsiveness"]["evidence"] == 0


def test_a_client_away_owes_no_answer_until_back() -> None:
    asked = question(10)
    away = client_side(asked, away=away_days((20, -5)))
    assert away == pytest.approx(client_side())
    back_today = client_side(asked, away=away_days((20, 1)))
    assert back_today == pytest.approx(client_side())  # back since this midnight: within the grace again
    assert client_side(asked) < back_today
    assert client_side(asked, paused=True) == pytest.approx(client_side())


def test_the_clients_answer_to_my_question_waits_for_no_reply_of_mine() -> None:
    base, asked = model_client(), question(10)
    answered = _with(base, asked, answer(9, asked))
    assert answered.sides["mine"] == score(base).sides["mine"]
    assert "unanswered_message" not in codes(answered)
    # Unlinked, the same email is a message of the client like any other: it waits for my reply (my next email,
    # six days later, is a slow one).
    assert "slow_replies" in codes(_with(base, asked, answer(9, None)))


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 60), st.floats(0, 1))
def test_answering_never_lowers_the_clients_side(asked_days_ago: float, share: float) -> None:
    asked = question(asked_days_ago)
    answered = answer(asked_days_ago * (1 - share), asked)
    assert client_side(asked, answered) >= client_side(asked) - 1e-9


# -- through the database: a linked answer logged by hand, and the report ------------------------------------


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _report() -> dict[str, Any]:
    out = StringIO()
    call_command("trust_report", "--user", "alice", "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def test_the_report_gives_each_side_its_responsiveness(frozen: Any, alice: Any) -> None:
    prompt = make_client(alice, name="Atelier Prompt")
    asked = make_interaction(prompt, summary="Quelle couleur ?", happened_at=NOW - timedelta(days=6))
    make_interaction(
        prompt, direction="from_client", summary="Le bleu", happened_at=NOW - timedelta(days=5), answers=asked
    )
    silent = make_client(alice, name="Maison Muette")
    make_interaction(silent, summary="Quelle date ?", happened_at=NOW - timedelta(days=12))
    # An email of the client logged without its link answers nothing.
    make_interaction(silent, direction="from_client", happened_at=NOW - timedelta(days=11))
    rows = {row["name"]: row for row in _report()["freelancers"][0]["clients"]}
    quick, mute = rows["Atelier Prompt"], rows["Maison Muette"]
    assert quick["sides"]["client"]["responsiveness"]["score"] > 50
    assert mute["sides"]["client"]["responsiveness"]["score"] < 50
    assert mute["sides"]["client"]["responsiveness"]["contribution"] < 0
    assert mute["sides"]["client"]["score"] < quick["sides"]["client"]["score"]
    assert {"mine", "client"} <= set(quick["sides"]) and "responsiveness" in quick["sides"]["mine"]
    [waiting] = [r for r in mute["reasons"] if r["code"] == "client_unanswered_question"]
    assert waiting["text"] == "Your question has been waiting 12 days for the client's answer."
    assert waiting["next_step"]


def test_the_freelancer_links_the_clients_answer_by_hand(
    frozen: Any, alice: Any, alice_client: Browser
) -> None:
    client = make_client(alice, name="Atelier Prompt")
    asked = make_interaction(client, summary="Quelle couleur ?", happened_at=NOW - timedelta(days=6))
    page = alice_client.get(reverse("web:client", kwargs={"client_id": client.pk})).content.decode()
    link = reverse("web:client_interaction_new", kwargs={"client_id": client.pk}) + f"?answers={asked.pk}"
    assert f'href="{link}"' in page and "Log their answer" in page
    form = alice_client.get(link).content.decode()
    assert '<option value="from_client" selected>' in form
    response = alice_client.post(
        link,
        {
            "client": client.pk,
            "kind": "email",
            "direction": "from_client",
            "happened_at": timezone.localtime(NOW - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
            "summary": "Le bleu",
            "answers": asked.pk,
        },
    )
    assert response.status_code == 302
    assert Interaction.objects.get(summary="Le bleu").answers == asked
    client.health.refresh_from_db()
    assert "client_quick_answers" in [r["code"] for r in client.health.reasons]


def test_an_interaction_logged_as_automatic_is_no_contact(frozen: Any, alice: Any) -> None:
    client = make_client(alice)
    make_interaction(client, direction="from_client", happened_at=NOW - timedelta(days=9))
    make_interaction(client, direction="from_client", happened_at=NOW - timedelta(days=1), automatic="bulk")
    journal_changed([client.pk])
    client.refresh_from_db()
    assert client.last_contact_at == NOW - timedelta(days=9)
