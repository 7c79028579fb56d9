"""A project's agreed scope and the log of its changes, in the freelancer's app (crm/web/views/scope.py): logged
with who asked, the price and deadline impact, decided by each side; an accepted change moves the project's budget
and due date while the log keeps the original agreement; bad input changes nothing; bob's are a 404."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from clients.models import Project
from crm.models import ClientHealth, ScopeChange
from tests.factories import make_client, make_project, make_scope_change, make_user

pytestmark = pytest.mark.django_db

NOW = "2026-03-10 10:00 +01:00"
TODAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def project(alice: Any) -> Project:
    client = make_client(alice, name="Rita")
    return make_project(
        client,
        title="Boutique",
        goals="Vendre en ligne",
        deliverables="Maquette\nBoutique",
        budget=Decimal("5000.00"),
        start_on=date(2026, 2, 1),
        due_on=date(2026, 4, 30),
    )


def _page(http: Any, project: Project) -> str:
    response = http.get(reverse("web:project", kwargs={"project_id": project.pk}))
    assert response.status_code == 200
    return response.content.decode()


def _log(http: Any, project: Project, **data: str) -> Any:
    fields = {"asked_on": "2026-03-09", "asked_by": "client", "description": "Un blog", **data}
    return http.post(reverse("web:scope_change_new", kwargs={"project_id": project.pk}), fields)


def test_the_project_page_shows_the_agreed_scope(alice_client: Any, project: Project) -> None:
    html = _page(alice_client, project)
    assert "Vendre en ligne" in html and "Maquette<br>Boutique" in html
    assert "5,000.00\u00a0EUR" in html and "April 30, 2026" in html
    assert "No change of scope yet" in html
    assert (
        reverse("web:project", kwargs={"project_id": project.pk})
        in alice_client.get(reverse("web:client", kwargs={"client_id": project.client_id})).content.decode()
    )


@pytest.mark.parametrize(
    ("language", "price", "shown"),
    [("en", "1,250.50", "+1,250.50\u00a0EUR"), ("fr", "1 250,50", "+1\u00a0250,50\u00a0EUR")],
)
def test_a_change_is_logged_with_who_asked_its_impact_and_the_askers_agreement(
    project: Project, language: str, price: str, shown: str
) -> None:
    user = project.client.owner
    user.profile.language = language
    user.profile.save()
    http = Browser()
    http.force_login(user)
    answer = _log(http, project, price_change=price, deadline_change_days="10")
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "web:project", kwargs={"project_id": project.pk}
    )

    change = ScopeChange.objects.get()
    assert (change.asked_on, change.asked_by, change.description) == (date(2026, 3, 9), "client", "Un blog")
    assert (change.price_change, change.deadline_change_days) == (Decimal("1250.50"), 10)
    # The client asked: they agree by asking; the freelancer has still to decide. Nothing applied yet.
    assert (change.client_decision, change.freelancer_decision, change.state) == (
        "accepted",
        "pending",
        "pending",
    )
    assert change.owner_id == user.pk and change.applied_at is None
    project.refresh_from_db()
    assert (project.budget, project.due_on) == (Decimal("5000.00"), date(2026, 4, 30))
    html = _page(http, project)
    assert shown in html and "Un blog" in html
    assert ("Scope change logged." if language == "en" else "Changement de périmètre noté.") in html
    assert (
        "1 change waits for a decision." if language == "en" else "1 changement attend une décision."
    ) in html


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"asked_on": "2026-03-11"}, "A change is logged once asked"),  # tomorrow
        ({"asked_on": "1969-12-31"}, "between"),
        ({"description": "   "}, "This field is required."),
        ({"price_change": "abc"}, "Enter a number."),
        ({"price_change": "1,5"}, "Enter a number."),  # ambiguous in English: refused, not guessed
        ({"deadline_change_days": "4000"}, "less than or equal to 3660"),
        ({"asked_by": "boss"}, "Select a valid choice."),
    ],
)
def test_bad_input_changes_nothing_and_says_why(
    alice_client: Any, project: Project, data: dict[str, str], field: str
) -> None:
    answer = _log(alice_client, project, **data)
    assert answer.status_code == 400
    assert field in answer.content.decode()
    assert not ScopeChange.objects.exists()


def test_the_freelancer_accepts_a_change_and_the_project_moves_while_the_log_keeps_the_agreement(
    alice_client: Any, project: Project
) -> None:
    change = make_scope_change(
        project, asked_on=date(2026, 3, 5), price_change=Decimal("800.00"), deadline_change_days=14
    )
    answer = alice_client.post(reverse("web:scope_change_accept", kwargs={"scope_change_id": change.pk}))
    assert answer.status_code == 302

    change.refresh_from_db()
    project.refresh_from_db()
    assert (change.state, change.freelancer_decision) == ("accepted", "accepted")
    assert change.freelancer_decided_at is not None and change.applied_at is not None
    assert (project.budget, project.due_on) == (Decimal("5800.00"), date(2026, 5, 14))
    assert (change.budget_before, change.due_on_before) == (Decimal("5000.00"), date(2026, 4, 30))
    html = _page(alice_client, project)
    assert "5,800.00\u00a0EUR" in html and "agreed at first: 5,000.00\u00a0EUR" in html
    assert "agreed at first: April 30, 2026" in html
    assert "budget 5,000.00\u00a0EUR → 5,800.00\u00a0EUR" in html
    # Decided once: a second click (accept or decline) changes nothing and says so.
    again = alice_client.post(
        reverse("web:scope_change_decline", kwargs={"scope_change_id": change.pk}), follow=True
    )
    assert "This scope change was already decided." in again.content.decode()
    change.refresh_from_db()
    project.refresh_from_db()
    assert change.state == "accepted" and project.budget == Decimal("5800.00")


def test_a_declined_change_moves_nothing(alice_client: Any, project: Project) -> None:
    change = make_scope_change(project, price_change=Decimal("800.00"), deadline_change_days=14)
    alice_client.post(reverse("web:scope_change_decline", kwargs={"scope_change_id": change.pk}))
    change.refresh_from_db()
    project.refresh_from_db()
    assert (change.state, change.applied_at) == ("declined", None)
    assert (project.budget, project.due_on) == (Decimal("5000.00"), date(2026, 4, 30))


def test_a_change_the_freelancer_asked_waits_for_the_client(alice_client: Any, project: Project) -> None:
    _log(alice_client, project, asked_by="freelancer", price_change="300")
    change = ScopeChange.objects.get()
    assert (change.freelancer_decision, change.client_decision) == ("accepted", "pending")
    answer = alice_client.post(
        reverse("web:scope_change_accept", kwargs={"scope_change_id": change.pk}), follow=True
    )
    assert "This scope change was already decided." in answer.content.decode()
    assert ScopeChange.objects.get().state == "pending"


def test_a_double_submit_logs_the_change_once(alice_client: Any, project: Project) -> None:
    for _ in range(2):
        _log(alice_client, project, form_token="same-token-twice")
    assert ScopeChange.objects.count() == 1


def test_repeated_unpriced_changes_show_the_ideas_reason_with_its_next_step(
    alice_client: Any, project: Project
) -> None:
    for day in (2, 5, 8):
        _log(alice_client, project, asked_on=f"2026-03-0{day}", description=f"Ajout {day}")
    health = ClientHealth.objects.get(client=project.client)
    assert "scope_drift_unpriced" in [reason["code"] for reason in health.reasons]
    html = alice_client.get(reverse("web:client", kwargs={"client_id": project.client_id})).content.decode()
    assert "3 changes of scope without a price in 60 days" in html
    assert "price the extra work" in html


def test_bob_cannot_see_or_change_alices_scope(project: Project, bob: Any) -> None:
    change = make_scope_change(project)
    http = Browser()
    http.force_login(bob)
    assert http.get(reverse("web:project", kwargs={"project_id": project.pk})).status_code == 404
    assert _log(http, project).status_code == 404
    assert (
        http.post(reverse("web:scope_change_accept", kwargs={"scope_change_id": change.pk})).status_code
        == 404
    )
    change.refresh_from_db()
    assert change.state == "pending" and ScopeChange.objects.count() == 1


def test_the_agreed_scope_is_edited_with_its_history(alice_client: Any, project: Project) -> None:
    url = reverse("web:project_edit", kwargs={"project_id": project.pk})
    data = {
        "client": project.client_id,
        "title": "Boutique",
        "goals": "Vendre en ligne",
        "deliverables": "Maquette\nBoutique\nBlog",
        "status": "active",
        "start_on": "2026-02-01",
        "due_on": "2026-04-30",
        "budget": "5000.00",
        "currency": "EUR",
    }
    assert alice_client.post(url, data).status_code == 302
    project.refresh_from_db()
    assert project.deliverables == "Maquette\nBoutique\nBlog"
    html = alice_client.get(url).content.decode()
    assert "History" in html and "Blog" in html  # the history names the change of the deliverables
    assert project.history.count() == 2


def test_the_french_project_page(project: Project) -> None:
    french = make_user("camille", language="fr")
    client = make_client(french, name="Zoé")
    mine = make_project(client, title="Site", budget=Decimal("1000"))
    make_scope_change(mine)
    http = Browser()
    http.force_login(french)
    html = _page(http, mine)
    for said in (
        "Périmètre convenu",
        "Changements de périmètre",
        "Noter un changement de périmètre",
        "non chiffré",
    ):
        assert said in html
