"""The recap in a real browser (Debian's Chromium through Playwright): the freelancer logs a call, writes its
recap with two promises; the client, in another browser context and without logging in, confirms one line and
corrects the other on their page; the freelancer sees the correction in the timeline and, once the confirmed
promise is kept, the trust reason that says the written word counted more.

It also takes the screenshots of the recap form (English and French): into a temporary folder on every run, into
docs/screenshots/ with `UPDATE_SCREENSHOTS=1`:

    UPDATE_SCREENSHOTS=1 .venv/bin/pytest tests/recaps/test_browser_recap.py -m browser
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import ClientPage, Interaction, Recap
from tests.conftest import chromium_path, require_service
from tests.factories import make_client, make_interaction, make_project
from tests.web.test_browser import CHROMIUM_ARGS, log_in, serious_violations, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def browser(live_server: Any) -> Iterator[Any]:
    require_service(chromium_path() is not None, "Debian chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser: Any) -> Any:
    """A page in a browser context of its own (its own cookies: the client is not the logged-in freelancer)."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True).new_page()
    page.set_default_timeout(10_000)
    return page


def _folder(tmp_path: Path) -> Path:
    return SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path


def _fill_recap(page: Any, words: dict[str, str], first_due: str, second_due: str) -> None:
    page.fill("#id_decided", words["decided"])
    page.fill("#id_lines-0-description", words["mine"])
    page.fill("#id_lines-0-due_on", first_due)
    page.select_option("#id_lines-1-promisor", "client")
    page.fill("#id_lines-1-description", words["theirs"])
    page.fill("#id_lines-1-due_on", second_due)
    page.fill("#id_open_questions", words["question"])


ENGLISH = {
    "decided": "Launch the shop on 1 April; payment in two instalments.",
    "mine": "Send the home page design",
    "theirs": "Send the product texts",
    "question": "Which host: theirs or a new one?",
}
FRENCH = {
    "decided": "Mise en ligne de la boutique le 1er avril ; paiement en deux fois.",
    "mine": "Envoyer la maquette de la page d’accueil",
    "theirs": "Envoyer les textes des fiches produits",
    "question": "Quel hébergeur : le leur ou un nouveau ?",
}


def test_log_a_call_write_its_recap_the_client_confirms_one_line_and_corrects_the_other(
    browser: Any, live_server: Any, alice: Any, tmp_path: Path
) -> None:
    today = timezone.localdate()
    zoe = make_client(alice, name="Zoé Bernard", email="zoe@atelier.example", language="fr")
    make_project(zoe, title="Boutique en ligne")
    client_page = ClientPage.objects.create(client=zoe)
    freelancer = _page(browser)
    log_in(freelancer, live_server)
    workspace = live_server.url + reverse("web:client", kwargs={"client_id": zoe.pk})

    # 1. The freelancer logs the call from the workspace, then writes its recap from the timeline.
    freelancer.goto(workspace)
    freelancer.click("summary:has-text('Log an interaction')")
    freelancer.select_option("#interaction-kind", "call")
    freelancer.fill("#interaction-summary", "Kick-off call")
    freelancer.click("#new-interaction button[type=submit]")
    freelancer.wait_for_selector("#new-interaction >> text=Interaction logged.")
    settled(freelancer)
    freelancer.goto(workspace)
    freelancer.click("#timeline a:has-text('Write the recap')")
    freelancer.wait_for_selector("form.recap-form")
    due_mine, due_theirs = (today + timedelta(days=6)).isoformat(), (today + timedelta(days=3)).isoformat()
    _fill_recap(freelancer, ENGLISH, due_mine, due_theirs)
    assert serious_violations(freelancer) == []
    freelancer.screenshot(path=str(_folder(tmp_path) / "recap-form-en.png"), full_page=True)
    freelancer.click("form.recap-form button[type=submit]")
    freelancer.wait_for_selector("text=Recap saved; it is on its way to zoe@atelier.example.")
    recap = Recap.objects.get(client=zoe)
    mine, theirs = recap.lines.select_related("promise").order_by("position")
    assert (mine.promise.promisor, theirs.promise.promisor) == ("freelancer", "client")

    # 2. The client, in another browser context (no session), on their page: confirms one line, corrects the other.
    client = _page(browser)
    client.goto(live_server.url + reverse("portal:page", kwargs={"token": client_page.token}))
    client.locator("#recaps", has_text="Notre appel du").wait_for()
    client.locator(f"#recap-line-{mine.pk}").get_by_role("button", name="Confirmer cette ligne").click()
    client.wait_for_selector("text=cette ligne est confirmée")
    line = client.locator(f"#recap-line-{theirs.pk}")
    line.locator("summary").click()
    line.locator("textarea").fill("Les textes arriveront plutôt lundi prochain.")
    line.get_by_role("button", name="Envoyer ma correction").click()
    client.wait_for_selector("text=votre correction est transmise")
    assert client.locator(f"#recap-line-{mine.pk}", has_text="Vous avez confirmé cette ligne.").count() == 1
    assert serious_violations(client) == []

    # 3. The freelancer sees the correction in the timeline, keeps the confirmed promise, reads the trust reason.
    freelancer.goto(workspace)
    freelancer.locator("#timeline", has_text="Correction to the recap of").wait_for()
    assert "Les textes arriveront plutôt lundi prochain." in freelancer.inner_text("#timeline")
    freelancer.locator(f"#timeline #promise-{mine.promise_id}").get_by_role("button", name="Kept").click()
    settled(freelancer)
    freelancer.goto(workspace)
    freelancer.locator("body", has_text="of a recap the client confirmed, kept on time").wait_for()
    assert Interaction.objects.filter(client=zoe, direction="from_client").count() == 1


def test_the_recap_form_in_french(browser: Any, live_server: Any, alice: Any, tmp_path: Path) -> None:
    alice.profile.language = "fr"
    alice.profile.save(update_fields=["language"])
    claire = make_client(alice, name="Claire Morel", email="claire@boulangerie.example", language="fr")
    call = make_interaction(claire, kind="meeting", summary="Réunion de lancement")
    page = _page(browser)
    log_in(page, live_server)
    page.goto(live_server.url + reverse("web:interaction_recap", kwargs={"interaction_id": call.pk}))
    page.wait_for_selector("text=Enregistrer et envoyer le compte rendu")
    today = timezone.localdate()
    _fill_recap(
        page, FRENCH, (today + timedelta(days=6)).isoformat(), (today + timedelta(days=3)).isoformat()
    )
    assert serious_violations(page) == []
    page.screenshot(path=str(_folder(tmp_path) / "recap-form-fr.png"), full_page=True)
