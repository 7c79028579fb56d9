"""A scope change in a real browser (Debian's Chromium through Playwright): the freelancer logs it on the project's
page, the client accepts it on their page in another browser context (no login, another cookie jar), and the
project's log shows it accepted by the client, with when, and the project's budget and due date moved.

It also takes the screenshots of the project's log (scope-log-en.png, scope-log-fr.png): into a temporary folder
on every run, into docs/screenshots/ with `UPDATE_SCREENSHOTS=1`:

    UPDATE_SCREENSHOTS=1 .venv/bin/python -m pytest tests/web/test_browser_scope_changes.py -m browser
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import ClientPage, ScopeChange
from tests.factories import make_client, make_project, make_scope_change
from tests.web.test_browser import _browser_page, log_in, serious_violations, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WORDS = {
    "en": {
        "client": "Hart & Lowe Architects", "project": "Portfolio site",
        "goals": "Show the twelve best projects; two enquiries a month from the contact form.",
        "deliverables": "Home page\nTwelve project pages\nContact form",
        "earlier": "A page for the team", "change": "A French version of the twelve project pages",
        "accept": "Accept this change", "thanks": "Thank you: you accepted the change",
        "accepted": "Accepted", "log": "Log the change",
    },
    "fr": {
        "client": "Boulangerie Morel", "project": "Boutique en ligne",
        "goals": "Vendre les commandes de fêtes en ligne avant le 15 décembre.",
        "deliverables": "Catalogue\nPaiement en ligne\nRetrait en boutique",
        "earlier": "Une page « équipe »", "change": "Une version anglaise du catalogue",
        "accept": "Accepter ce changement", "thanks": "Merci\u00a0: vous avez accepté le changement",
        "accepted": "Acceptée", "log": "Noter le changement",
    },
}  # fmt: skip


@pytest.fixture
def browser_page(live_server: Any) -> Iterator[Any]:
    yield from _browser_page(bypass_csp=True)


def _project(owner: Any, language: str) -> Any:
    words = WORDS[language]
    today = timezone.localdate()
    client = make_client(owner, name=words["client"], language=language)
    ClientPage.objects.create(client=client)
    project = make_project(
        client,
        title=words["project"],
        goals=words["goals"],
        deliverables=words["deliverables"],
        budget=Decimal("6400.00"),
        start_on=today - timedelta(days=30),
        due_on=today + timedelta(days=40),
    )
    # An earlier change the client asked for, unpriced, that the freelancer accepted.
    earlier = make_scope_change(project, asked_on=today - timedelta(days=12), description=words["earlier"])
    earlier.decide("freelancer", True, timezone.now() - timedelta(days=11))
    return project


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_client_accepts_a_scope_change_on_their_page_and_the_log_shows_it(
    browser_page: Any, live_server: Any, alice: Any, tmp_path: Path, language: str
) -> None:
    alice.profile.language = language
    alice.profile.save(update_fields=["language"])
    words = WORDS[language]
    project = _project(alice, language)
    page = browser_page
    log_in(page, live_server)

    # 1. The freelancer logs a change they propose: priced, ten days more.
    page.goto(live_server.url + reverse("web:project", kwargs={"project_id": project.pk}))
    page.check("#scope-change-new input[name=asked_by][value=freelancer]")
    page.fill("#scope-change-new textarea[name=description]", words["change"])
    page.fill("#scope-change-new input[name=price_change]", "1 200,00" if language == "fr" else "1,200.00")
    page.fill("#scope-change-new input[name=deadline_change_days]", "10")
    page.click(f"#scope-change-new button:has-text('{words['log']}')")
    settled(page)
    change = ScopeChange.objects.get(project=project, description=words["change"])
    row = page.locator(f"#scope-change-{change.pk}")
    assert row.locator(".scope-state").inner_text().lower() == (
        "pending" if language == "en" else "en attente"
    )

    # 2. The client, in another browser context (no session), accepts it on their page.
    context = page.context.browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    try:
        visitor = context.new_page()
        token = ClientPage.objects.get(client=project.client).token
        visitor.goto(live_server.url + reverse("portal:page", kwargs={"token": token}))
        item = visitor.locator(f"#scope-change-{change.pk}")
        assert words["change"] in item.inner_text()
        item.locator(f"button:has-text('{words['accept']}')").click()
        notice = visitor.locator("#scope-changes .notice.ok")
        notice.wait_for()
        assert words["thanks"].replace("\u00a0", " ") in notice.inner_text().replace("\u00a0", " ")
        assert visitor.locator(f"#scope-change-{change.pk} button").count() == 0
    finally:
        context.close()

    # 3. The freelancer's log shows it accepted by the client, when; the project moved, the agreement kept.
    change.refresh_from_db()
    project.refresh_from_db()
    assert change.state == "accepted" and change.client_decided_at is not None
    assert (project.budget, project.due_on) == (Decimal("7600.00"), change.due_on_before + timedelta(days=10))
    page.reload()
    settled(page)
    row = page.locator(f"#scope-change-{change.pk}")
    assert row.locator(".scope-state").inner_text().startswith(words["accepted"])
    client_cell = row.locator(".client-decision")
    assert client_cell.locator("time").count() == 1
    budget = page.locator("#scope-budget").inner_text().replace("\u00a0", " ")
    assert ("7,600.00" if language == "en" else "7 600,00") in budget
    assert ("6,400.00" if language == "en" else "6 400,00") in budget  # the original agreement
    assert serious_violations(page) == []

    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    path = folder / f"scope-log-{language}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
