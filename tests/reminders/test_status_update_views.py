"""Prepare a status update from the draft, and mark it as sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from crm.models import Interaction
from tests.factories import make_client, make_interaction, make_project, make_promise

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def dupont(alice: Any) -> Any:
    with time_machine.travel(NOW - timedelta(days=20), tick=False):
        client = make_client(alice, name="Atelier Dupont", email="contact@dupont.fr", language="fr")
        make_project(client, title="Site vitrine", goals="Un site rapide, clair, que vous modifiez vous-même")
    make_interaction(
        client, kind=Interaction.Kind.DELIVERY, summary="Maquette de la page d'accueil", happened_at=NOW
    )
    make_promise(
        client, description="Mise en ligne", made_on=NOW.date(), due_on=NOW.date() + timedelta(days=4)
    )
    return client


def prepare_url(client: Any) -> str:
    return reverse("web:status_update_draft", kwargs={"client_id": client.pk})


def sent_url(client: Any) -> str:
    # The one status-update action; the draft page posts here (reminders:mark_status_update_sent is its alias).
    return reverse("web:status_update_mark_sent", kwargs={"client_id": client.pk})


def old_url(client: Any) -> str:
    return reverse("web:status_update_draft_mark_sent", kwargs={"client_id": client.pk})


@time_machine.travel(NOW, tick=False)
def test_prepare_shows_the_draft_in_the_clients_language(alice_client: Any, dupont: Any) -> None:
    page = alice_client.get(prepare_url(dupont)).content.decode()
    assert "Un site rapide, clair, que vous modifiez vous-même" in page
    assert "Maquette de la page d&#x27;accueil" in page
    assert "Mise en ligne" in page and "27 novembre" in page
    assert 'href="mailto:contact@dupont.fr?subject=' in page
    assert "Mise%20en%20ligne" in page  # the mailto: carries the draft


@time_machine.travel(NOW, tick=False)
def test_mark_as_sent_logs_the_status_update_and_restarts_the_cadence(alice_client: Any, dupont: Any) -> None:
    response = alice_client.post(sent_url(dupont), {"subject": "Point d'étape", "body": "Tout avance."})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:client", kwargs={"client_id": dupont.pk})
    update = Interaction.objects.get(client=dupont, kind=Interaction.Kind.STATUS_UPDATE)
    assert update.direction == Interaction.Direction.TO_CLIENT
    assert update.summary == "Point d'étape\n\nTout avance."
    dupont.refresh_from_db()
    assert dupont.last_status_update_at == NOW
    assert dupont.status_update_due_on() == NOW.date() + timedelta(days=7)


@time_machine.travel(NOW, tick=False)
def test_mark_as_sent_answers_htmx_with_the_partial(alice_client: Any, dupont: Any) -> None:
    response = alice_client.post(
        sent_url(dupont), {"subject": "Point", "body": "Tout avance."}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Status update logged for Atelier Dupont. The cadence starts again today." in page
    assert "<html" not in page


def test_an_empty_draft_is_refused(alice_client: Any, dupont: Any) -> None:
    response = alice_client.post(sent_url(dupont), {"subject": "", "body": ""})
    assert response.status_code == 400
    assert not Interaction.objects.filter(kind=Interaction.Kind.STATUS_UPDATE).exists()


def test_bob_cannot_open_or_log_on_alices_client(client: Any, bob: Any, dupont: Any) -> None:
    client.force_login(bob)
    assert client.get(prepare_url(dupont)).status_code == 404
    assert client.post(sent_url(dupont), {"subject": "x", "body": "y"}).status_code == 404
    assert not Interaction.objects.filter(kind=Interaction.Kind.STATUS_UPDATE).exists()


def test_a_visitor_must_log_in(client: Any, dupont: Any) -> None:
    response = client.get(prepare_url(dupont))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_mark_as_sent_is_post_only(alice_client: Any, dupont: Any) -> None:
    assert alice_client.get(sent_url(dupont)).status_code == 405
    assert alice_client.get(old_url(dupont)).status_code == 405


def test_the_draft_page_posts_to_the_one_action(alice_client: Any, dupont: Any) -> None:
    page = alice_client.get(prepare_url(dupont)).content.decode()
    assert f'action="{sent_url(dupont)}"' in page
    assert old_url(dupont) not in page


@time_machine.travel(NOW, tick=False)
def test_the_old_address_hands_the_draft_to_the_one_action(alice_client: Any, dupont: Any) -> None:
    data = {"subject": "Point d'étape", "body": "Tout avance."}
    response = alice_client.post(old_url(dupont), data)
    # 307: the browser posts the same body to the one action.
    assert (response.status_code, response["Location"]) == (307, sent_url(dupont))
    followed = alice_client.post(old_url(dupont), data, follow=True)
    assert followed.redirect_chain[-1][0] == reverse("web:client", kwargs={"client_id": dupont.pk})
    logged = Interaction.objects.get(client=dupont, kind=Interaction.Kind.STATUS_UPDATE)
    assert logged.summary == "Point d'étape\n\nTout avance."


def test_bob_gets_a_404_from_the_old_address(client: Any, bob: Any, dupont: Any) -> None:
    client.force_login(bob)
    assert client.post(old_url(dupont), {"subject": "x", "body": "y"}).status_code == 404
