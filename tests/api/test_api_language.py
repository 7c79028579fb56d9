"""One language per API request (issue 24, item 4): `Accept-Language` if the app speaks it, else English, for
every status (401, 403, 404, 405, 409, 422, 429), whatever the token owner's own language; no library prefixes; a
trailing slash names the same endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from clients.models import AccessToken, Client
from tests.api.conftest import ApiCaller
from tests.factories import make_client, make_invoice

pytestmark = pytest.mark.django_db


def _problems(bob: Any, language: str | None, spoken: str) -> dict[int, dict[str, Any]]:
    """Provoke each refusal with bob's tokens (bob's own interface is French) and return its problem body."""
    client = make_client(bob)
    make_invoice(client, number="F-1")
    headers = {"Accept-Language": language} if language else {}
    _token, write = AccessToken.issue(bob, "w", AccessToken.Scope.WRITE)
    _token, read = AccessToken.issue(bob, "r", AccessToken.Scope.READ)
    writer, reader, nobody = ApiCaller(write), ApiCaller(read), ApiCaller(None)
    for caller in (writer, reader, nobody):
        caller.headers.update(headers)
    answers = {
        401: nobody.get("/clients"),
        403: reader.post("/clients", {"name": "X"}),
        404: writer.get("/clients/999999"),
        405: writer.call("PUT", "/clients"),
        409: writer.post(
            "/invoices", {"client_id": client.pk, "number": "F-1", "amount": "1", "due_on": "2099-01-01"}
        ),
        422: writer.post("/absences", {"client_id": client.pk, "project_id": "often", "start_on": "someday"}),
    }
    found = {}
    for status, response in answers.items():
        assert response.status_code == status, (status, response.content)
        assert response["Content-Language"] == spoken
        found[status] = response.json()
    return found


ENGLISH = {
    401: "Send a valid access token",
    403: "This token may only read",
    404: "There is no such record in your book.",
    405: "This endpoint does not take PUT.",
    409: "You already have an invoice numbered F-1",
    422: "Enter a whole number.",
}
FRENCH = {
    401: "Envoyez un jeton d’accès valide",
    403: "Ce jeton ne permet que la lecture",
    404: "Cet enregistrement n’existe pas dans votre carnet.",
    405: "Ce point d’accès n’accepte pas PUT.",
    409: "Vous avez déjà une facture numéro F-1",
    422: "Saisissez un nombre entier.",
}


def _texts(problem: dict[str, Any]) -> str:
    errors = " ".join(message for messages in (problem.get("errors") or {}).values() for message in messages)
    return f"{problem['title']} {problem.get('detail', '')} {errors}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, ENGLISH),
        ("en-GB", ENGLISH),
        ("fr-FR,fr;q=0.9", FRENCH),
        ("de, fr;q=0.5", FRENCH),
        ("de", ENGLISH),
    ],
)
def test_every_refusal_speaks_the_requests_language(
    bob: Any, language: str | None, expected: dict[int, str]
) -> None:
    problems = _problems(bob, language, "fr" if expected is FRENCH else "en")

    for status, words in expected.items():
        assert words in _texts(problems[status]), (status, problems[status])
    for problem in problems.values():
        assert "Value error" not in _texts(problem)
    if expected is FRENCH:
        assert problems[404]["title"] == "Introuvable"
        assert problems[422]["errors"]["start_on"] == ["Saisissez une date au format AAAA-MM-JJ."]
    else:
        assert problems[404]["title"] == "Not Found"
        assert problems[422]["errors"]["start_on"] == ["Enter a date as YYYY-MM-DD."]


def test_a_trailing_slash_names_the_same_endpoint(alice: Any, alice_api: ApiCaller) -> None:
    make_client(alice, name="Atelier Brun")

    with_slash, without = alice_api.get("/clients/"), alice_api.get("/clients")
    assert with_slash.status_code == 200
    assert with_slash.json() == without.json()
    created = alice_api.post("/clients/", {"name": "Atelier Nord"})
    assert created.status_code == 201
    assert Client.objects.filter(owner=alice, name="Atelier Nord").count() == 1
    assert alice_api.get("/nothing-here/").status_code == 404


def test_the_web_app_keeps_the_freelancers_language(client: HttpClient, bob: Any) -> None:
    # Only the API follows the request: bob's pages stay French whatever his browser sends.
    client.force_login(bob)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="fr"' in page
