"""The REST API: CRUD of each kind through the models' validation, scopes, revocation, rate limits, problem+json,
cursor pages, `updated_since` and trust health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from clients.models import AccessToken, Client, Contact, hash_token
from conflicts.models import ConflictSignal
from crm.models import ClientHealth, Interaction, Invoice, Promise, TrashItem
from tests.api.conftest import ApiCaller
from tests.factories import (
    make_client,
    make_contact,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
)

PROBLEM = "application/problem+json"


def _today() -> Any:
    return timezone.localdate()


# -- create, read, update, delete of each kind ------------------------------------------------------------------


def _bodies(client_id: int, project_id: int) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Each kind's create body and a change to make to it."""
    today = _today().isoformat()
    due = (_today() + timedelta(days=10)).isoformat()
    return {
        "clients": (
            {"name": "Atelier Nord", "email": "nord@example.com", "cadence_days": 14},
            {"status": "paused"},
        ),
        "contacts": (
            {"client_id": client_id, "name": "Inès Roy", "email": "ines@example.com", "role": "Comptabilité"},
            {"phone": "+33 6 12 34 56 78"},
        ),
        "projects": (
            {"client_id": client_id, "title": "Refonte", "budget": "4500.50"},
            {"status": "delivered"},
        ),
        "interactions": (
            {"client_id": client_id, "project_id": project_id, "kind": "call", "summary": "Point hebdo"},
            {"summary": "Point hebdomadaire"},
        ),
        "promises": (
            {"client_id": client_id, "description": "Envoyer la maquette", "due_on": due},
            {"state": "kept", "kept_on": today},
        ),
        "invoices": (
            {"client_id": client_id, "number": "F-2026-001", "amount": "1200.00", "due_on": due},
            {"paid_on": today},
        ),
        "conflict-signals": (
            {"client_id": client_id, "kind": "payment", "severity": 2, "observed_on": today},
            {"state": "resolved", "resolved_on": today, "resolution": "Échéancier accepté"},
        ),
    }


MODELS = {
    "clients": Client, "contacts": Contact, "projects": None, "interactions": Interaction, "promises": Promise,
    "invoices": Invoice, "conflict-signals": ConflictSignal,
}  # fmt: skip


@pytest.mark.parametrize("kind", list(MODELS))
def test_each_kind_is_created_read_changed_listed_and_deleted_to_the_trash(
    alice: Any, alice_api: ApiCaller, kind: str
) -> None:
    client = make_client(alice)
    body, change = _bodies(client.pk, make_project(client).pk)[kind]

    created = alice_api.post(f"/{kind}", body)
    assert created.status_code == 201, created.content
    item = created.json()
    for field, value in body.items():
        assert item[field] == value
    url = f"/{kind}/{item['id']}"
    assert alice_api.get(url).json() == item

    changed = alice_api.patch(url, change)
    assert changed.status_code == 200, changed.content
    assert {field: changed.json()[field] for field in change} == change
    kept = {field: value for field, value in body.items() if field not in change}
    assert {field: changed.json()[field] for field in kept} == kept  # a PATCH changes only what it sends
    assert item["id"] in [row["id"] for row in alice_api.get(f"/{kind}").json()["items"]]

    assert alice_api.delete(url).status_code == 204
    assert alice_api.get(url).status_code == 404
    assert TrashItem.objects.filter(owner=alice, object_id=item["id"]).exists()  # restorable for 30 days


def test_a_write_recomputes_trust_health_as_the_web_does(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice)
    before = alice_api.get(f"/clients/{client.pk}/health").json()
    late = _today() - timedelta(days=40)
    response = alice_api.post(
        "/invoices",
        {"client_id": client.pk, "number": "F-9", "amount": "900", "issued_on": late.isoformat(),
         "due_on": (late + timedelta(days=5)).isoformat()},
    )  # fmt: skip
    assert response.status_code == 201
    after = alice_api.get(f"/clients/{client.pk}/health").json()
    assert after["sides"]["client"]["score"] < (before["sides"]["client"]["score"] or 101)
    assert any(reason["side"] == "client" and reason["text"] for reason in after["reasons"])


def test_health_has_both_sides_reasons_in_the_requests_language(bob: Any, bob_api: ApiCaller) -> None:
    client = make_client(bob)
    make_promise(client, made_on=_today() - timedelta(days=20), due_on=_today() - timedelta(days=10))
    # bob's interface is French, but a script's output follows its request: English unless it asks otherwise.
    assert bob_api.get(f"/clients/{client.pk}/health").json()["sides"]["mine"]["label"] == "My word"
    bob_api.headers["Accept-Language"] = "fr-FR,fr;q=0.9"
    health = bob_api.get(f"/clients/{client.pk}/health").json()
    assert set(health["sides"]) == {"mine", "client"}
    assert health["sides"]["mine"]["label"] == "Ma parole"
    assert health["reasons"] and all(reason["next_step"] for reason in health["reasons"])
    listed = bob_api.get("/health").json()["items"]
    assert [entry["id"] for entry in listed] == [client.pk]


# -- the models' validation, in one transaction ------------------------------------------------------------------


def test_the_api_refuses_what_a_form_refuses_and_stores_nothing(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice)
    refused = [
        ("/promises", {"client_id": client.pk, "description": "x", "made_on": "2026-05-10", "due_on": "2026-05-01"}),
        ("/promises", {"client_id": client.pk, "description": "x", "due_on": "2101-01-01"}),
        ("/invoices", {"client_id": client.pk, "number": "F-1", "amount": "0", "due_on": "2026-05-01"}),
        ("/interactions", {"client_id": client.pk, "happened_at": (timezone.now() + timedelta(hours=2)).isoformat()}),
        ("/conflict-signals", {"client_id": client.pk, "kind": "ideas", "observed_on": "2026-05-01", "state": "resolved"}),
        ("/clients", {"name": "x" * 201}),
        ("/clients", {"name": "Nul\x00byte"}),
        ("/projects", {"client_id": client.pk, "title": "x", "currency": "EURO"}),
    ]  # fmt: skip
    for path, body in refused:
        response = alice_api.post(path, body)
        assert response.status_code == 422, (path, body, response.content)
        assert response["Content-Type"] == PROBLEM
        problem = response.json()
        assert problem["status"] == 422 and problem["title"] == "Unprocessable Entity"
        assert problem["errors"], problem
    assert Client.objects.filter(owner=alice).count() == 1
    assert not Promise.objects.exists() and not Invoice.objects.exists() and not Interaction.objects.exists()


def test_a_refused_change_leaves_the_record_as_it_was(alice: Any, alice_api: ApiCaller) -> None:
    promise = make_promise(make_client(alice))
    response = alice_api.patch(f"/promises/{promise.pk}", {"state": "kept"})  # kept needs its day
    assert response.status_code == 422
    assert "kept_on" in response.json()["errors"]
    promise.refresh_from_db()
    assert promise.state == Promise.State.OPEN


def test_an_invoice_number_taken_is_a_conflict(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice)
    make_invoice(client, number="F-7")
    response = alice_api.post(
        "/invoices", {"client_id": client.pk, "number": "F-7", "amount": "10", "due_on": "2099-01-01"}
    )
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert "You already have an invoice numbered F-7" in response.json()["errors"]["number"][0]
    assert Invoice.objects.filter(number="F-7").count() == 1


def test_an_invoice_number_taken_in_another_case_is_a_conflict_too(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice)
    make_invoice(client, number="F-7")
    response = alice_api.post(
        "/invoices", {"client_id": client.pk, "number": "f-7", "amount": "10", "due_on": "2099-01-01"}
    )
    assert response.status_code == 409
    assert Invoice.objects.count() == 1


# -- tokens: scope, revocation, last use, rate -------------------------------------------------------------------


def test_a_read_only_token_reads_but_may_not_write(alice: Any, alice_reader: ApiCaller) -> None:
    client = make_client(alice)
    assert alice_reader.get(f"/clients/{client.pk}").json()["name"] == client.name
    for response in (
        alice_reader.post("/clients", {"name": "Nouveau"}),
        alice_reader.patch(f"/clients/{client.pk}", {"name": "Renommé"}),
        alice_reader.delete(f"/clients/{client.pk}"),
    ):
        assert response.status_code == 403
        assert response["Content-Type"] == PROBLEM
    client.refresh_from_db()
    assert Client.objects.filter(owner=alice).count() == 1 and client.name != "Renommé"


def test_no_token_a_wrong_token_and_a_revoked_token_are_401(alice: Any) -> None:
    token, raw = AccessToken.issue(alice, "old", AccessToken.Scope.WRITE)
    assert ApiCaller(raw).get("/clients").status_code == 200
    token.revoke()
    for caller in (ApiCaller(None), ApiCaller(raw + "x"), ApiCaller(raw)):
        response = caller.get("/clients")
        assert response.status_code == 401
        assert response["Content-Type"] == PROBLEM
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_token_is_stored_hashed_and_its_last_use_recorded(alice: Any) -> None:
    token, raw = AccessToken.issue(alice, "script", AccessToken.Scope.READ)
    assert raw.startswith("cfc_") and len(raw) > 40
    stored = AccessToken.objects.values().get(pk=token.pk)
    assert raw not in [str(value) for value in stored.values()]
    assert stored["key_hash"] == hash_token(raw)
    assert stored["last_used_at"] is None
    with time_machine.travel("2026-06-01 10:00:00+00:00", tick=False):
        ApiCaller(raw).get("/clients")
    token.refresh_from_db()
    assert token.last_used_at.isoformat() == "2026-06-01T10:00:00+00:00"


@pytest.mark.usefixtures("one_rate_window")
def test_each_token_has_its_own_rate(alice: Any, bob: Any, settings: Any) -> None:
    settings.RATE_LIMIT_API = "3/m"
    _t, first = AccessToken.issue(alice, "a", AccessToken.Scope.READ)
    _t, second = AccessToken.issue(alice, "b", AccessToken.Scope.READ)
    statuses = [ApiCaller(first).get("/clients").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = ApiCaller(first).get("/clients")
    # The seconds left in the minute's window (django-ratelimit's public get_usage), never more than the window.
    assert refused["Content-Type"] == PROBLEM and 1 <= int(refused["Retry-After"]) <= 60
    assert ApiCaller(second).get("/clients").status_code == 200


# -- ownership ---------------------------------------------------------------------------------------------------


def test_a_reference_to_another_owners_client_or_project_is_a_404(
    alice: Any, bob: Any, alice_api: ApiCaller
) -> None:
    bobs = make_client(bob)
    mine = make_client(alice)
    assert (
        alice_api.post(
            "/promises", {"client_id": bobs.pk, "description": "x", "due_on": "2099-01-01"}
        ).status_code
        == 404
    )
    body = {"client_id": mine.pk, "project_id": make_project(bobs).pk, "summary": "x"}
    assert alice_api.post("/interactions", body).status_code == 404
    assert not Promise.objects.exists() and not Interaction.objects.exists()


def test_lists_hold_only_the_owners_records(alice: Any, bob: Any, alice_api: ApiCaller) -> None:
    make_interaction(make_client(bob))
    mine = make_interaction(make_client(alice))
    assert [row["id"] for row in alice_api.get("/interactions").json()["items"]] == [mine.pk]
    assert [row["name"] for row in alice_api.get("/clients").json()["items"]] == [mine.client.name]


# -- pages and updated_since -------------------------------------------------------------------------------------


def test_cursor_pages_walk_every_record_once(alice: Any, alice_api: ApiCaller) -> None:
    made = sorted(make_client(alice).pk for _ in range(7))
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = alice_api.get("/clients", **params).json()
        seen += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        make_client(alice)  # a record added meanwhile comes later: nothing is shown twice or skipped
    assert seen[:7] == made and len(seen) == len(set(seen))


def test_a_misspelt_parameter_is_refused_not_ignored(alice_api: ApiCaller) -> None:
    response = alice_api.get("/promises", updated_sinse="2026-01-01T00:00:00Z")
    assert response.status_code == 422 and list(response.json()["errors"]) == ["updated_sinse"]


def test_a_cursor_not_made_by_the_api_is_a_422(alice_api: ApiCaller) -> None:
    response = alice_api.get("/clients", cursor="not-a-cursor")
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM


def test_updated_since_keeps_what_changed(alice: Any, alice_api: ApiCaller) -> None:
    with time_machine.travel("2026-03-01 09:00:00+00:00", tick=False):
        old, changed = make_client(alice), make_client(alice)
        promise = make_promise(
            old, made_on=timezone.localdate(), due_on=timezone.localdate() + timedelta(days=3)
        )
    with time_machine.travel("2026-03-05 09:00:00+00:00", tick=False):
        changed.notes = "Rappeler lundi"
        changed.save()
    since = {"updated_since": "2026-03-03T00:00:00Z"}
    assert [row["id"] for row in alice_api.get("/clients", **since).json()["items"]] == [changed.pk]
    assert alice_api.get("/promises", **since).json()["items"] == []
    assert [row["id"] for row in alice_api.get("/promises").json()["items"]] == [promise.pk]


# -- problems for every error ------------------------------------------------------------------------------------


def test_unknown_paths_and_non_numeric_ids_are_problem_404s(alice_api: ApiCaller) -> None:
    for path in ("/nothing-here", "/clients/abc", "/clients/999999999"):
        response = alice_api.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == PROBLEM
        assert response.json()["status"] == 404


def test_the_schema_and_docs_are_served(client: Any) -> None:
    schema = client.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/promises/{promise_id}" in schema["paths"]
    errors = schema["paths"]["/api/clients"]["get"]["responses"]["404"]["content"]
    assert list(errors) == [PROBLEM]
    docs = client.get("/api/docs")
    assert b"swagger-ui" in docs.content and b"cdn." not in docs.content


def test_health_of_a_client_without_one_yet_is_a_404(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice)
    ClientHealth.objects.filter(client=client).delete()
    assert alice_api.get(f"/clients/{client.pk}/health").status_code == 404


def test_a_null_for_a_field_that_holds_none_is_a_field_error(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice, company="ACME")
    response = alice_api.patch(f"/clients/{client.pk}", {"company": None, "notes": None})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"company", "notes"}
    client.refresh_from_db()
    assert client.company == "ACME"


def test_a_contact_made_primary_takes_the_clients_address_and_the_old_one_steps_aside(
    alice: Any, alice_api: ApiCaller
) -> None:
    client = make_client(alice)
    first = alice_api.post(
        "/contacts", {"client_id": client.pk, "name": "Ana", "email": "ana@example.com", "is_primary": True}
    ).json()
    second = alice_api.post(
        "/contacts", {"client_id": client.pk, "name": "Léo", "email": "leo@example.com", "is_primary": True}
    ).json()
    assert second["is_primary"] is True
    assert alice_api.get(f"/contacts/{first['id']}").json()["is_primary"] is False
    assert alice_api.get(f"/clients/{client.pk}").json()["email"] == "leo@example.com"


def test_an_interaction_names_a_contact_of_its_own_client_only(
    alice: Any, bob: Any, alice_api: ApiCaller
) -> None:
    client, other = make_client(alice), make_client(alice)
    body = {"client_id": client.pk, "summary": "Appel", "contact_id": make_contact(client).pk}
    assert alice_api.post("/interactions", body).json()["contact_id"] == body["contact_id"]
    assert alice_api.post("/interactions", {**body, "contact_id": make_contact(other).pk}).status_code == 422
    assert (
        alice_api.post("/interactions", {**body, "contact_id": make_contact(make_client(bob)).pk}).status_code
        == 404
    )


def test_a_contact_has_other_addresses_through_the_api_validated_as_the_form(
    alice: Any, alice_api: ApiCaller
) -> None:
    client = make_client(alice)
    made = alice_api.post(
        "/contacts",
        {
            "client_id": client.pk,
            "name": "Paul",
            "email": "paul@x.example",
            "other_emails": "paul@perso.example",
        },
    )
    assert made.status_code == 201, made.content
    assert made.json()["other_emails"] == "paul@perso.example"
    refused = alice_api.patch(f"/contacts/{made.json()['id']}", {"other_emails": "nope"})
    assert refused.status_code == 422
    assert refused["Content-Type"].startswith("application/problem+json")
    assert "other_emails" in refused.json()["errors"]
    assert alice_api.get(f"/contacts/{made.json()['id']}").json()["other_emails"] == "paul@perso.example"


def test_a_method_an_endpoint_does_not_take_is_a_problem_too(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice)
    refused = alice_api.post(f"/clients/{client.pk}", {"name": "x"})  # a client is changed by PATCH
    assert refused.status_code == 405
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["status"] == 405 and "POST" in refused.json()["detail"]
    assert "PATCH" in refused["Allow"]
