"""Settings → API tokens (crm:api_tokens): a token is shown once, listed with its last use, revoked for good."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse

from clients.models import AccessToken, hash_token
from tests.api.conftest import ApiCaller


def _shown_token(html: str) -> str:
    match = re.search(r'id="new-token"[^>]*value="(cfc_[^"]+)"', html)
    assert match, "the new token is shown"
    return match.group(1)


def test_a_new_token_is_shown_once_and_opens_the_api(alice: Any, alice_client: Any) -> None:
    answer = alice_client.post(reverse("web:api_tokens"), {"name": "Facturation", "scope": "write"})
    raw = _shown_token(answer.content.decode())
    token = AccessToken.objects.get(owner=alice)
    assert (token.name, token.scope, token.key_hash) == ("Facturation", "write", hash_token(raw))
    assert ApiCaller(raw).post("/clients", {"name": "Par script"}).status_code == 201
    page = alice_client.get(reverse("web:api_tokens")).content.decode()
    assert "Facturation" in page and raw not in page and token.key_start in page


def test_a_double_click_makes_one_token(alice: Any, alice_client: Any) -> None:
    page = alice_client.get(reverse("web:api_tokens")).content.decode()
    one_time = re.search(r'name="form_token" value="([^"]+)"', page)
    assert one_time
    data = {"name": "Script", "scope": "read", "form_token": one_time.group(1)}
    first = alice_client.post(reverse("web:api_tokens"), data)
    second = alice_client.post(reverse("web:api_tokens"), data)
    assert "cfc_" in first.content.decode()
    assert second.status_code == 302
    assert AccessToken.objects.filter(owner=alice).count() == 1


def test_a_nameless_or_odd_scope_token_is_refused(alice: Any, alice_client: Any) -> None:
    for data in (
        {"name": "", "scope": "read"},
        {"name": "x", "scope": "admin"},
        {"name": "x" * 101, "scope": "read"},
    ):
        answer = alice_client.post(reverse("web:api_tokens"), data)
        assert answer.status_code == 200 and "errorlist" in answer.content.decode()
    assert not AccessToken.objects.exists()


def test_revoking_a_token_closes_the_api_to_it(alice: Any, alice_client: Any) -> None:
    token, raw = AccessToken.issue(alice, "Ancien", AccessToken.Scope.READ)
    assert ApiCaller(raw).get("/clients").status_code == 200
    answer = alice_client.post(reverse("web:api_token_revoke", kwargs={"token_id": token.pk}))
    assert answer.status_code == 302
    assert ApiCaller(raw).get("/clients").status_code == 401
    assert "revoked" in alice_client.get(reverse("web:api_tokens")).content.decode()


def test_bob_cannot_revoke_or_see_alices_tokens(alice: Any, bob: Any, client: Any) -> None:
    token, raw = AccessToken.issue(alice, "Secret d'Alice", AccessToken.Scope.READ)
    client.force_login(bob)
    assert client.post(reverse("web:api_token_revoke", kwargs={"token_id": token.pk})).status_code == 404
    assert "Secret d" not in client.get(reverse("web:api_tokens")).content.decode()
    assert ApiCaller(raw).get("/clients").status_code == 200


def test_the_page_speaks_french_to_bob(bob: Any, client: Any) -> None:
    client.force_login(bob)
    page = client.get(reverse("web:api_tokens")).content.decode()
    assert "Jetons d’API" in page
