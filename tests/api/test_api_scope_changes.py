"""The API's scope changes (`/api/scope-changes`) and the project's deliverables: created (agreed by the side that
asks), decided once by the freelancer (applied to the project when both accepted), listed, deleted; a decided
change keeps its impact; each write through the journal's door; another owner's a 404."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import time_machine

from crm.models import ClientHealth, ScopeChange
from tests.api.conftest import ApiCaller
from tests.factories import make_client, make_project, make_scope_change


def _codes(client: Any) -> list[str]:
    return [reason["code"] for reason in ClientHealth.objects.get(client=client).reasons]


@time_machine.travel("2026-03-10 09:00 +01:00", tick=False)
def test_a_scope_change_is_created_decided_listed_and_deleted(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice)
    project = make_project(client, budget=Decimal("5000.00"), due_on=date(2026, 4, 30))
    body = {
        "client_id": client.pk,
        "project_id": project.pk,
        "asked_on": "2026-03-09",
        "description": "Un blog",
        "price_change": "750.00",
        "deadline_change_days": 10,
    }
    created = alice_api.post("/scope-changes", body)
    assert created.status_code == 201, created.content
    item = created.json()
    assert (item["asked_by"], item["client_decision"], item["freelancer_decision"], item["state"]) == (
        "client", "accepted", "pending", "pending",
    )  # fmt: skip
    url = f"/scope-changes/{item['id']}"
    assert alice_api.get(url).json() == item
    assert [row["id"] for row in alice_api.get("/scope-changes", client_id=client.pk).json()["items"]] == [
        item["id"]
    ]

    decided = alice_api.patch(url, {"freelancer_decision": "accepted"})
    assert decided.status_code == 200, decided.content
    assert (decided.json()["state"], decided.json()["budget_before"]) == ("accepted", "5000.00")
    project.refresh_from_db()
    assert (project.budget, project.due_on) == (Decimal("5750.00"), date(2026, 5, 10))
    # Decided: once only, and its impact stays what was applied.
    assert alice_api.patch(url, {"freelancer_decision": "declined"}).status_code == 422
    assert alice_api.patch(url, {"price_change": "1.00"}).status_code == 422
    assert alice_api.patch(url, {"description": "Un blog (trois pages)"}).status_code == 200
    project.refresh_from_db()
    assert project.budget == Decimal("5750.00")

    assert alice_api.delete(url).status_code == 204
    assert not ScopeChange.objects.exists()


def test_unpriced_changes_through_the_api_raise_the_drift(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice)
    project = make_project(client)
    for day in ("2026-03-01", "2026-03-02", "2026-03-03"):
        body = {"client_id": client.pk, "project_id": project.pk, "asked_on": day, "description": "Ajout"}
        with time_machine.travel("2026-03-10 09:00 +01:00", tick=False):
            assert alice_api.post("/scope-changes", body).status_code == 201
    with time_machine.travel("2026-03-10 09:00 +01:00", tick=False):
        from crm.trust.door import journal_changed

        journal_changed([client.pk])
    assert "scope_drift_unpriced" in _codes(client)


def test_bad_scope_changes_are_refused_and_store_nothing(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice)
    other = make_project(make_client(alice, name="Autre"))
    project = make_project(client)
    base = {"client_id": client.pk, "project_id": project.pk, "asked_on": "2026-03-09", "description": "X"}
    for bad in (
        {"project_id": other.pk},  # another client's project
        {"description": "  "},
        {"asked_by": "boss"},
        {"deadline_change_days": 99999},
        {"price_change": "1e20"},
        {"asked_on": "1969-12-31"},
    ):
        answer = alice_api.post("/scope-changes", {**base, **bad})
        assert answer.status_code in (400, 422), (bad, answer.content)
    assert not ScopeChange.objects.exists()


def test_bobs_scope_changes_are_a_404(alice: Any, bob: Any, alice_api: ApiCaller) -> None:
    bobs = make_project(make_client(bob))
    change = make_scope_change(bobs)
    assert alice_api.get(f"/scope-changes/{change.pk}").status_code == 404
    assert (
        alice_api.patch(f"/scope-changes/{change.pk}", {"freelancer_decision": "accepted"}).status_code == 404
    )
    body = {"client_id": bobs.client_id, "project_id": bobs.pk, "asked_on": "2026-03-09", "description": "X"}
    assert alice_api.post("/scope-changes", body).status_code == 404
    assert alice_api.get("/scope-changes").json()["items"] == []
    change.refresh_from_db()
    assert change.freelancer_decision == "pending"


def test_a_projects_deliverables_go_through_the_api(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice)
    body = {"client_id": client.pk, "title": "Site", "deliverables": "Maquette\nSite"}
    created = alice_api.post("/projects", body)
    assert created.status_code == 201 and created.json()["deliverables"] == "Maquette\nSite"
    url = f"/projects/{created.json()['id']}"
    assert alice_api.patch(url, {"deliverables": "Maquette"}).json()["deliverables"] == "Maquette"
