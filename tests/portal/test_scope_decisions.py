"""The client decides on a scope change from their page (crm/portal/scope.py): accept or decline a change waiting
for them, once, with the page's CSRF token; the project's log then shows who decided and when, and an accepted
change moves the project's budget and due date. Another client's change, one already decided, or a page that
hides the projects decide nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from clients.models import Project
from crm.models import ClientPage, ScopeChange
from tests.factories import make_client, make_project, make_scope_change
from tests.web.formpage import drawn_forms

pytestmark = pytest.mark.django_db

NOW = "2026-03-10 10:00 +01:00"


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def project(alice: Any) -> Project:
    client = make_client(alice, name="Zoé", language="fr")
    ClientPage.objects.create(client=client)
    return make_project(
        client,
        title="Boutique",
        budget=Decimal("5000.00"),
        start_on=date(2026, 2, 1),
        due_on=date(2026, 4, 30),
    )


@pytest.fixture
def change(project: Project) -> ScopeChange:
    """A change the freelancer asked for: priced, a week more, waiting for the client."""
    return make_scope_change(
        project,
        asked_by="freelancer",
        description="Version anglaise",
        price_change=Decimal("600.00"),
        deadline_change_days=7,
    )


def _page_url(project: Project) -> str:
    return reverse("portal:page", kwargs={"token": project.client.page.token})


def _decision_form(browser: Browser, project: Project, verb: str) -> tuple[str, dict[str, Any]]:
    """The accept or decline form as the page draws it: its action and fields (CSRF and one-time tokens)."""
    html = browser.get(_page_url(project)).content.decode()
    action = reverse(f"portal:scope_change_{verb}", kwargs={"token": project.client.page.token})
    (form,) = [form for form in drawn_forms(html) if form.action == action]
    return action, form.data()


def test_the_client_accepts_a_change_and_the_projects_log_shows_it(
    alice_client: Any, project: Project, change: ScopeChange
) -> None:
    browser = Browser(enforce_csrf_checks=True)
    page = browser.get(_page_url(project)).content.decode()
    assert "Changements du périmètre convenu" in page and "Version anglaise" in page
    assert "En attente de votre décision" in page and "+600,00\u00a0EUR" in page

    action, form = _decision_form(browser, project, "accept")
    answer = browser.post(action, form)
    assert answer.status_code == 302 and "?scope=accepted" in answer["Location"]

    change.refresh_from_db()
    project.refresh_from_db()
    assert (change.client_decision, change.state) == ("accepted", "accepted")
    assert change.client_decided_at is not None and change.applied_at is not None
    assert (project.budget, project.due_on) == (Decimal("5600.00"), date(2026, 5, 7))
    thanks = browser.get(answer["Location"]).content.decode()
    assert "Merci\u00a0: vous avez accepté le changement, c’est noté." in thanks
    assert "Accepter ce changement" not in thanks  # decided: nothing left to answer

    # The freelancer's log: accepted by the client, when, and the project's original agreement kept.
    html = alice_client.get(reverse("web:project", kwargs={"project_id": project.pk})).content.decode()
    row = html[html.index(f'id="scope-change-{change.pk}"') :]
    row = row[: row.index("</tr>")]
    cell = row[row.index('class="client-decision"') :]
    cell = cell[: cell.index("</td>")]
    assert "scope-accepted" in row and "Accepted" in cell  # who decided: the client
    assert "03/10/2026" in cell  # and when (SHORT_DATETIME_FORMAT, the freelancer's zone)
    assert "agreed at first: 5,000.00\u00a0EUR" in html and "5,600.00\u00a0EUR" in html


def test_the_client_declines_and_nothing_moves(project: Project, change: ScopeChange) -> None:
    browser = Browser()
    action, form = _decision_form(browser, project, "decline")
    assert browser.post(action, form).status_code == 302
    change.refresh_from_db()
    project.refresh_from_db()
    assert (change.client_decision, change.state, change.applied_at) == ("declined", "declined", None)
    assert project.budget == Decimal("5000.00")


def test_the_decision_needs_the_csrf_token(project: Project, change: ScopeChange) -> None:
    browser = Browser(enforce_csrf_checks=True)
    action, form = _decision_form(browser, project, "accept")
    del form["csrfmiddlewaretoken"]
    assert browser.post(action, form).status_code == 403
    change.refresh_from_db()
    assert change.client_decision == "pending"


def test_a_double_submit_decides_once(project: Project, change: ScopeChange) -> None:
    browser = Browser()
    action, form = _decision_form(browser, project, "accept")
    first, second = browser.post(action, form), browser.post(action, form)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    project.refresh_from_db()
    assert project.budget == Decimal("5600.00")  # applied once


def test_another_clients_change_or_a_decided_one_is_refused_and_changes_nothing(
    alice: Any, project: Project, change: ScopeChange
) -> None:
    neighbour = make_project(make_client(alice, name="Voisin"), budget=Decimal("100"))
    theirs = make_scope_change(neighbour, asked_by="freelancer", price_change=Decimal("50"))
    browser = Browser()
    action = reverse("portal:scope_change_accept", kwargs={"token": project.client.page.token})
    refused = browser.post(action, {"scope_change": theirs.pk})
    assert refused.status_code == 400
    assert "Ce changement ne peut pas être décidé depuis cette page" in refused.content.decode()
    theirs.refresh_from_db()
    assert theirs.client_decision == "pending"
    change.client_decision, change.client_decided_at = "declined", change.created_at
    change.save()
    assert browser.post(action, {"scope_change": change.pk}).status_code == 400
    for bad in ("", "abc", "99999999999999999999"):
        assert browser.post(action, {"scope_change": bad}).status_code == 400
    project.refresh_from_db()
    assert project.budget == Decimal("5000.00")


def test_a_page_that_hides_the_projects_decides_nothing(project: Project, change: ScopeChange) -> None:
    ClientPage.objects.filter(client=project.client).update(show_projects=False)
    browser = Browser()
    assert "Version anglaise" not in browser.get(_page_url(project)).content.decode()
    action = reverse("portal:scope_change_accept", kwargs={"token": project.client.page.token})
    assert browser.post(action, {"scope_change": change.pk}).status_code == 400
    change.refresh_from_db()
    assert change.client_decision == "pending"


def test_a_wrong_link_is_a_404_and_a_get_is_not_allowed(project: Project, change: ScopeChange) -> None:
    browser = Browser()
    token = project.client.page.token
    wrong = reverse(
        "portal:scope_change_accept", kwargs={"token": token[:-1] + ("A" if token[-1] != "A" else "B")}
    )
    assert browser.post(wrong, {"scope_change": change.pk}).status_code == 404
    assert browser.get(reverse("portal:scope_change_accept", kwargs={"token": token})).status_code == 405
    change.refresh_from_db()
    assert change.client_decision == "pending"


def test_the_preview_shows_the_buttons_but_posts_nowhere(
    alice_client: Any, project: Project, change: ScopeChange
) -> None:
    html = alice_client.get(
        reverse("web:client_page_preview", kwargs={"client_id": project.client_id})
    ).content.decode()
    assert "Accepter ce changement" in html and "disabled" in html
    assert reverse("portal:scope_change_accept", kwargs={"token": project.client.page.token}) not in html
