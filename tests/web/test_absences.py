"""A client's absences in its workspace: added, edited, ended and deleted; a project paused and resumed. Each goes
through the journal's door (the score follows) and is the owner's only."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import Absence
from crm.models import ClientHealth, Interaction
from tests.factories import make_client, make_interaction, make_project

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-10T09:00:00+01:00")
TODAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _drawn(http: Any, url: str) -> dict[str, Any]:
    form = http.get(url).context["form"]
    return {field.html_name: field.value() for field in form.hidden_fields() if field.value() is not None}


def _silent_client(owner: Any) -> Any:
    """A weekly client with an active project and no status update for five weeks: one is long overdue."""
    client = make_client(
        owner, name="Atelier Nord", cadence_days=7, created_at=timezone.now() - timedelta(days=80)
    )
    make_project(client, start_on=TODAY - timedelta(days=80))
    for weeks in range(5, 11):
        make_interaction(
            client,
            kind=Interaction.Kind.STATUS_UPDATE,
            direction=Interaction.Direction.TO_CLIENT,
            happened_at=timezone.now() - timedelta(weeks=weeks),
        )
    client.refresh_from_db()  # the journal's clocks, as the door left them
    return client


def _reasons(client: Any) -> list[str]:
    return [reason["code"] for reason in ClientHealth.objects.get(client=client).reasons]


def test_adding_an_absence_takes_the_client_off_the_list_and_the_score_follows(
    alice_client: Any, alice: Any
) -> None:
    atelier = _silent_client(alice)
    assert "status_update_overdue" in _reasons(atelier)
    url = reverse("web:absence_new", kwargs={"client_id": atelier.pk})
    assert alice_client.get(url).context["form"]["start_on"].value() == TODAY  # the freelancer's today
    data = _drawn(alice_client, url) | {
        "kind": "illness",
        "start_on": "2026-02-01",
        "end_on": "2026-03-20",
        "note": "Opéré",
    }

    response = alice_client.post(url, data)

    assert response.status_code == 302
    absence = atelier.absences.get()
    assert (absence.kind, absence.period, absence.owner_id) == (
        "illness",
        (date(2026, 2, 1), date(2026, 3, 20)),
        alice.pk,
    )
    assert "status_update_overdue" not in _reasons(atelier)  # through the door: rescored at once
    page = alice_client.get(reverse("web:client", kwargs={"client_id": atelier.pk})).content.decode()
    assert "Illness" in page and "Opéré" in page
    assert "away until March 20, 2026: no status update is due meanwhile" in page
    board = alice_client.get(reverse("web:dashboard")).content.decode()
    assert atelier.name not in board.split('data-group="status_updates"')[1].split("</div>")[0]


def test_ending_an_absence_today_brings_the_update_due_again_tomorrow(alice_client: Any, alice: Any) -> None:
    atelier = _silent_client(alice)
    absence = Absence.objects.create(client=atelier, start_on=TODAY - timedelta(days=40), end_on=None)
    assert atelier.status_update_due_on() == date.max

    alice_client.post(reverse("web:absence_end", kwargs={"absence_id": absence.pk}))

    absence.refresh_from_db()
    assert absence.end_on == TODAY
    assert atelier.status_update_due_on() == TODAY + timedelta(days=1)


def test_editing_and_deleting_an_absence(alice_client: Any, alice: Any) -> None:
    atelier = _silent_client(alice)
    absence = Absence.objects.create(client=atelier, start_on=TODAY - timedelta(days=40), end_on=TODAY)
    url = reverse("web:absence_edit", kwargs={"absence_id": absence.pk})
    data = _drawn(alice_client, url) | {"kind": "holiday", "start_on": "2026-02-01", "end_on": "2026-01-01"}

    refused = alice_client.post(url, data)

    assert "The last day cannot be before the first day." in refused.content.decode()
    alice_client.post(url, data | {"end_on": "2026-02-10"})
    absence.refresh_from_db()
    assert absence.period == (date(2026, 2, 1), date(2026, 2, 10))

    alice_client.post(reverse("web:absence_delete", kwargs={"absence_id": absence.pk}))
    assert not Absence.objects.filter(pk=absence.pk).exists()
    assert "status_update_overdue" in _reasons(atelier)


def test_the_absence_form_reads_in_french(alice_client: Any, alice: Any) -> None:
    alice.profile.language = "fr"
    alice.profile.save()
    atelier = _silent_client(alice)
    url = reverse("web:absence_new", kwargs={"client_id": atelier.pk})
    data = _drawn(alice_client, url) | {"kind": "holiday", "start_on": "2026-02-01", "end_on": "2026-01-01"}

    page = alice_client.post(url, data, headers={"Accept-Language": "fr"}).content.decode()

    assert "Le dernier jour ne peut pas précéder le premier." in page
    assert "Nouvelle absence de Atelier Nord" in page


def test_a_paused_project_stops_the_status_updates_while_the_client_stays_active(
    alice_client: Any, alice: Any
) -> None:
    atelier = _silent_client(alice)
    project = atelier.projects.get()

    alice_client.post(reverse("web:project_pause", kwargs={"project_id": project.pk}))

    atelier.refresh_from_db()
    assert atelier.status == "active"
    assert project.pauses.get().period == (TODAY, None)
    assert not atelier.status_update_listed(TODAY)
    assert "status_update_overdue" not in _reasons(atelier)
    page = alice_client.get(reverse("web:client", kwargs={"client_id": atelier.pk})).content.decode()
    assert "paused since March 10, 2026" in page

    alice_client.post(reverse("web:project_resume", kwargs={"project_id": project.pk}))
    # Paused and resumed the same day: nothing was paused at all.
    assert not project.pauses.exists()
    assert atelier.status_update_listed(TODAY)


def test_a_project_paused_for_weeks_explains_the_silence_once_resumed(alice: Any, frozen: Any) -> None:
    atelier = _silent_client(alice)
    project = atelier.projects.get()
    project.pause(TODAY - timedelta(days=34))
    project.resume(TODAY - timedelta(days=2))
    assert project.pauses.get().period == (TODAY - timedelta(days=34), TODAY - timedelta(days=3))
    # Due the day after the pause ended: two days ago, not five weeks ago.
    assert atelier.status_update_days_late(TODAY) == 2


def test_bob_cannot_touch_alices_absences_or_pause_her_projects(client: Any, alice: Any, bob: Any) -> None:
    atelier = _silent_client(alice)
    absence = Absence.objects.create(client=atelier, start_on=TODAY, end_on=None)
    project = atelier.projects.get()
    client.force_login(bob)
    urls = [
        reverse("web:absence_new", kwargs={"client_id": atelier.pk}),
        reverse("web:absence_edit", kwargs={"absence_id": absence.pk}),
        reverse("web:absence_end", kwargs={"absence_id": absence.pk}),
        reverse("web:absence_delete", kwargs={"absence_id": absence.pk}),
        reverse("web:project_pause", kwargs={"project_id": project.pk}),
        reverse("web:project_resume", kwargs={"project_id": project.pk}),
    ]
    for url in urls:
        assert client.post(url, {"kind": "holiday", "start_on": "2026-01-01"}).status_code == 404, url
    absence.refresh_from_db()
    assert absence.end_on is None and not project.pauses.exists()


def test_a_project_of_another_client_cannot_be_paused_through_this_one(alice_client: Any, alice: Any) -> None:
    atelier, other = _silent_client(alice), make_client(alice)
    elsewhere = make_project(other)
    url = reverse("web:absence_new", kwargs={"client_id": atelier.pk})
    data = _drawn(alice_client, url) | {"kind": "paused", "project": elsewhere.pk, "start_on": "2026-03-01"}

    response = alice_client.post(url, data)

    assert response.status_code == 200 and not Absence.objects.exists()


def test_the_workspace_reads_its_absences_in_a_fixed_number_of_queries(alice_client: Any, alice: Any) -> None:
    from django.core.cache import cache

    atelier = _silent_client(alice)
    url = reverse("web:client", kwargs={"client_id": atelier.pk})

    def queries() -> int:
        cache.clear()  # the page drawn afresh, its cached regions too
        with CaptureQueriesContext(connection) as done:
            assert alice_client.get(url).status_code == 200
        return len(done)

    baseline = queries()
    for days in range(0, 60, 6):  # ten absences, and ten more projects paused: no query per row
        Absence.objects.create(
            client=atelier, start_on=TODAY - timedelta(days=days + 5), end_on=TODAY - timedelta(days=days)
        )
        make_project(atelier).pause(TODAY - timedelta(days=days))
    assert queries() == baseline
