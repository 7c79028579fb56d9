"""The API's absences (`/api/absences`): created, read, changed, listed and deleted as the web app does them, each
write through the journal's door, another owner's a 404, refusals in the request's language."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import time_machine
from django.utils import timezone

from clients.models import Absence
from crm.models import ClientHealth, Interaction
from tests.api.conftest import ApiCaller
from tests.factories import make_client, make_interaction, make_project

TODAY = date(2026, 3, 10)


def _codes(client: Any) -> list[str]:
    return [reason["code"] for reason in ClientHealth.objects.get(client=client).reasons]


@time_machine.travel("2026-03-10 09:00 +01:00", tick=False)
def test_an_absence_is_created_read_changed_listed_and_deleted(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice, cadence_days=7)
    make_project(client, start_on=TODAY - timedelta(days=60))
    make_interaction(
        client,
        kind=Interaction.Kind.STATUS_UPDATE,
        direction=Interaction.Direction.TO_CLIENT,
        happened_at=timezone.now() - timedelta(days=30),
    )
    assert "status_update_overdue" in _codes(client)
    body = {"client_id": client.pk, "kind": "illness", "start_on": "2026-02-01", "note": "Opéré"}

    created = alice_api.post("/absences", body)

    assert created.status_code == 201, created.content
    item = created.json()
    assert {key: item[key] for key in body} == body
    assert (item["end_on"], item["project_id"]) == (None, None)
    assert "status_update_overdue" not in _codes(client)  # through the door, as the web app
    url = f"/absences/{item['id']}"
    assert alice_api.get(url).json() == item
    changed = alice_api.patch(url, {"end_on": "2026-02-20"})
    assert changed.status_code == 200 and changed.json()["end_on"] == "2026-02-20"
    assert [row["id"] for row in alice_api.get("/absences", client_id=client.pk).json()["items"]] == [
        item["id"]
    ]

    assert alice_api.delete(url).status_code == 204
    assert not Absence.objects.exists()
    assert "status_update_overdue" in _codes(client)


def test_a_project_is_paused_through_the_api(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice)
    project = make_project(client)
    body = {"client_id": client.pk, "project_id": project.pk, "kind": "paused", "start_on": "2026-03-01"}

    assert alice_api.post("/absences", body).status_code == 201
    assert project.pauses.get().period == (date(2026, 3, 1), None)
    # A project does not take holidays.
    refused = alice_api.post("/absences", {**body, "kind": "holiday"})
    assert refused.status_code == 422 and "kind" in refused.json()["errors"]


def test_bobs_absences_are_a_404_and_his_projects_cannot_be_paused(
    alice: Any, bob: Any, alice_api: ApiCaller
) -> None:
    bobs = make_client(bob)
    project = make_project(bobs)
    absence = Absence.objects.create(client=bobs, start_on=TODAY)

    assert alice_api.get(f"/absences/{absence.pk}").status_code == 404
    assert alice_api.delete(f"/absences/{absence.pk}").status_code == 404
    assert alice_api.post("/absences", {"client_id": bobs.pk, "start_on": "2026-03-01"}).status_code == 404
    mine = make_client(alice)
    paused = {"client_id": mine.pk, "project_id": project.pk, "kind": "paused", "start_on": "2026-03-01"}
    assert alice_api.post("/absences", paused).status_code == 404
    assert alice_api.get("/absences").json()["items"] == []
    assert Absence.objects.filter(client=bobs).count() == 1 and not project.pauses.exists()


def test_a_refused_absence_speaks_the_requests_language(alice: Any, alice_api: ApiCaller) -> None:
    client = make_client(alice)
    body = {"client_id": client.pk, "start_on": "2026-03-10", "end_on": "2026-03-01"}
    alice_api.headers["Accept-Language"] = "fr"

    refused = alice_api.post("/absences", body)

    assert refused.status_code == 422
    assert refused.json()["errors"]["end_on"] == ["Le dernier jour ne peut pas précéder le premier."]
    assert not Absence.objects.exists()
