"""Recaps through the API: written from a call by the web form's rule, read with their lines and answers,
owner-scoped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from clients.models import AccessToken
from crm.models import Interaction, Promise, Recap
from tests.factories import make_interaction


@pytest.fixture
def api(alice: Any) -> HttpClient:
    _row, token = AccessToken.issue(alice, "script", AccessToken.Scope.WRITE)
    return HttpClient(headers={"Authorization": f"Bearer {token}"})


def _post(api: HttpClient, body: dict[str, Any]) -> Any:
    return api.post("/api/recaps", json.dumps(body), content_type="application/json")


def test_write_then_read_a_recap(api: HttpClient, call: Interaction) -> None:
    body = {
        "interaction_id": call.pk,
        "decided": "Go",
        "lines": [
            {"promisor": "freelancer", "description": "Maquette", "due_on": "2026-03-16"},
            {"promisor": "client", "description": "Textes", "due_on": "2026-03-13"},
        ],
    }
    answer = _post(api, body)
    assert answer.status_code == 201, answer.content
    made = answer.json()
    assert [(line["promisor"], line["description"], line["answer"]) for line in made["lines"]] == [
        ("freelancer", "Maquette", ""),
        ("client", "Textes", ""),
    ]
    assert Promise.objects.filter(recap_line__recap_id=made["id"]).count() == 2
    assert api.get(f"/api/recaps/{made['id']}").json() == made
    assert [item["id"] for item in api.get("/api/recaps").json()["items"]] == [made["id"]]
    # Twice for the same call: refused, nothing more written.
    again = _post(api, body)
    assert again.status_code == 422 and "already has its recap" in again.content.decode()
    assert Recap.objects.count() == 1 and Promise.objects.count() == 2


def test_the_api_refuses_a_recap_of_an_email_or_a_line_before_the_call(
    api: HttpClient, call: Interaction
) -> None:
    email = make_interaction(call.client, kind="email")
    assert _post(api, {"interaction_id": email.pk, "decided": "Go"}).status_code == 422
    early = {"interaction_id": call.pk, "lines": [{"description": "M", "due_on": "2026-03-01"}]}
    assert _post(api, early).status_code == 422
    assert not Recap.objects.exists() and not Promise.objects.exists()


def test_bobs_token_finds_none_of_alices_recaps(bob: Any, api: HttpClient, call: Interaction) -> None:
    made = _post(api, {"interaction_id": call.pk, "decided": "Go"}).json()
    _row, token = AccessToken.issue(bob, "script", AccessToken.Scope.WRITE)
    bobs = HttpClient(headers={"Authorization": f"Bearer {token}"})
    assert bobs.get(f"/api/recaps/{made['id']}").status_code == 404
    assert bobs.get("/api/recaps").json()["items"] == []
    assert _post(bobs, {"interaction_id": call.pk, "decided": "Go"}).status_code == 404
