"""The whole daily path of issue 26 in a real browser (Debian's Chromium through Playwright), as a person does it:
the freelancer logs a call and writes its recap with two promises; the client, in another browser context and
without logging in, confirms one line, corrects the other, answers a check-in and presses "something bothers me";
the freelancer then reloads the timeline, the dashboard and the trust reasons and reads each effect there.

It runs twice: an English-speaking freelancer with a French client, and a French-speaking freelancer with an
English client (the client's page speaks the client's language, the app the freelancer's).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from conflicts.models import ConflictSignal
from crm.models import CheckIn, ClientPage, Interaction, Recap, RecapLine
from tests.conftest import chromium_path, require_service
from tests.factories import make_client, make_project
from tests.web.test_browser import CHROMIUM_ARGS, log_in, serious_violations, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the freelancer's app says, in the freelancer's language (the timeline's kinds are compared lower-cased:
# the stylesheet draws them in capitals).
APP = {
    "en": {
        "log": "Log an interaction",
        "logged": "Interaction logged.",
        "write_recap": "Write the recap",
        "saved": "Recap saved; it is on its way to {email}.",
        "kept": "Kept",
        "correction": "Correction to the recap of",
        "answered": "Recap answered by the client",
        "check_in": "the client said: so-so",
        "concern": "the client said: something bothers me",
        "dashboard_concern": "{name} says something bothers them (ideas)",
        "reason_check_in": "The client said the work is going so-so (1 check-in on their page).",
        "reason_concern": "The client said something bothers them about the ideas of the work (1 concern, open).",
        "reason_recap": "1 promise of a recap the client confirmed, kept on time",
    },
    "fr": {
        "log": "Noter un échange",
        "logged": "Échange noté.",
        "write_recap": "Rédiger le compte rendu",
        "saved": "Compte rendu enregistré ; il part vers {email}.",
        "kept": "Tenue",
        "correction": "correction du compte rendu du",
        "answered": "Compte rendu répondu par le client",
        "check_in": "le client a dit : moyennement",
        "concern": "le client a dit : quelque chose me gêne",
        "dashboard_concern": "{name} vous signale une gêne (idées)",
        "reason_check_in": "Le client a dit que le travail se passe moyennement (1 réponse sur sa page).",
        "reason_concern": "Le client a dit que quelque chose le gêne dans les idées du travail (1 gêne, ouverte).",
        "reason_recap": "1 promesse d’un compte rendu confirmé par le client, tenue à temps",
    },
}

# What the client writes and reads on their page, in the client's language.
PAGE = {
    "fr": {
        "name": "Zoé Bernard",
        "email": "zoe@atelier.example",
        "recaps": "Notre appel du",
        "confirm": "Confirmer cette ligne",
        "confirmed": "Merci : cette ligne est confirmée.",
        "you_confirmed": "Vous avez confirmé cette ligne.",
        "send_correction": "Envoyer ma correction",
        "corrected": "Merci : votre correction est transmise",
        "correction": "Les textes arriveront plutôt lundi prochain.",
        "answer_recorded": "Merci : votre réponse est enregistrée.",
        "note": "Le catalogue avance, mais lentement.",
        "concern": "Le périmètre change à chaque appel.",
        "told": "en est informé tout de suite.",
    },
    "en": {
        "name": "James Hart",
        "email": "james@hart.example",
        "recaps": "Our call of",
        "confirm": "Confirm this line",
        "confirmed": "Thank you: this line is confirmed.",
        "you_confirmed": "You confirmed this line.",
        "send_correction": "Send my correction",
        "corrected": "Thank you: your correction is sent to",
        "correction": "The texts will come next Monday rather.",
        "answer_recorded": "Thank you: your answer is recorded.",
        "note": "The catalogue moves, but slowly.",
        "concern": "The scope changes at every call.",
        "told": "has been told at once.",
    },
}


@pytest.fixture
def contexts(live_server: Any) -> Iterator[dict[str, Any]]:
    """Two separate browser contexts (cookies apart): the freelancer's, logged in, and the client's, never."""
    require_service(chromium_path() is not None, "Debian chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        pages = {}
        for who in ("client", "freelancer"):
            page = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True).new_page()
            page.set_default_timeout(10_000)
            pages[who] = page
        yield pages
        browser.close()


@pytest.mark.parametrize(
    ("app_language", "client_language"),
    [("en", "fr"), ("fr", "en")],
    ids=["app-en-client-fr", "app-fr-client-en"],
)
def test_the_written_trace_from_the_call_to_the_clients_word(
    contexts: dict[str, Any], live_server: Any, alice: Any, app_language: str, client_language: str
) -> None:
    app, words = APP[app_language], PAGE[client_language]
    alice.profile.language = app_language
    alice.profile.save(update_fields=["language"])
    someone = make_client(alice, name=words["name"], email=words["email"], language=client_language)
    make_project(someone, title="Boutique")
    client_page = ClientPage.objects.create(client=someone)
    freelancer, client = contexts["freelancer"], contexts["client"]
    workspace = live_server.url + reverse("web:client", kwargs={"client_id": someone.pk})
    dashboard = live_server.url + reverse("web:dashboard")
    today = timezone.localdate()

    # 1. The freelancer logs the call from the client's workspace.
    log_in(freelancer, live_server)
    freelancer.goto(workspace)
    freelancer.click(f"summary:has-text('{app['log']}')")
    freelancer.select_option("#interaction-kind", "call")
    freelancer.fill("#interaction-summary", "Kick-off call")
    freelancer.click("#new-interaction button[type=submit]")
    freelancer.wait_for_selector(f"#new-interaction >> text={app['logged']}")
    settled(freelancer)

    # 2. ... and writes its recap from the timeline: one promise of theirs, one of the client's.
    freelancer.goto(workspace)
    freelancer.click(f"#timeline a:has-text('{app['write_recap']}')")
    freelancer.wait_for_selector("form.recap-form")
    freelancer.fill("#id_decided", "Launch the shop on 1 April; payment in two instalments.")
    freelancer.fill("#id_lines-0-description", "Send the home page design")
    freelancer.fill("#id_lines-0-due_on", (today + timedelta(days=6)).isoformat())
    freelancer.select_option("#id_lines-1-promisor", "client")
    freelancer.fill("#id_lines-1-description", "Send the product texts")
    freelancer.fill("#id_lines-1-due_on", (today + timedelta(days=3)).isoformat())
    freelancer.click("form.recap-form button[type=submit]")
    freelancer.wait_for_selector(f"text={app['saved'].format(email=words['email'])}")
    mine, theirs = (
        RecapLine.objects.filter(recap__client=someone).select_related("promise").order_by("position")
    )
    assert (mine.promise.promisor, theirs.promise.promisor) == ("freelancer", "client")

    # 3. The client, in another context and without logging in, on their page in their language.
    client.goto(live_server.url + reverse("portal:page", kwargs={"token": client_page.token}))
    client.locator("#recaps", has_text=words["recaps"]).wait_for()
    client.locator(f"#recap-line-{mine.pk}").get_by_role("button", name=words["confirm"]).click()
    client.wait_for_selector(f"text={words['confirmed']}")
    line = client.locator(f"#recap-line-{theirs.pk}")
    line.locator("summary").click()
    line.locator("textarea").fill(words["correction"])
    line.get_by_role("button", name=words["send_correction"]).click()
    client.wait_for_selector(f"text={words['corrected']}")
    assert client.locator(f"#recap-line-{mine.pk}", has_text=words["you_confirmed"]).count() == 1
    settled(client)
    client.check("#check-in input[value=mixed]")
    client.fill("#check-in textarea", words["note"])
    client.click("#check-in button[type=submit]")
    client.wait_for_selector(f"text={words['answer_recorded']}")
    settled(client)
    client.click("details.concern summary")
    client.check("#concern input[value=ideas]")
    client.fill("#concern textarea", words["concern"])
    client.click("#concern button[type=submit]")
    client.wait_for_selector(f"text={words['told']}")
    said = client.locator("ul.said").inner_text()
    assert words["note"] in said and words["concern"] in said
    assert serious_violations(client) == []
    # What the database holds is what the client did, nothing more.
    assert Recap.objects.get(client=someone).answered_at is not None
    assert CheckIn.objects.get(client=someone).level == "mixed"
    assert ConflictSignal.objects.get(client=someone).raised_by == "client"

    # 4. The freelancer reloads the dashboard: the concern is there first, in the freelancer's language.
    freelancer.goto(dashboard)
    settled(freelancer)
    concerns = freelancer.locator("#client-concerns").inner_text()
    assert app["dashboard_concern"].format(name=words["name"]) in concerns
    assert words["concern"] in concerns
    # The board (drawn once already, at login, before the client spoke) is drawn again: the client's row gives the
    # concern as the reason, the week lists the recap's two promises and the client's concern.
    assert app["reason_concern"] in freelancer.locator(f"#client-{someone.pk}").inner_text()
    week = freelancer.locator("section.week").inner_text()
    assert "Send the home page design" in week and "Send the product texts" in week
    assert app["concern"] in week.lower() and words["concern"] in week

    # 5. The timeline: the correction in the client's words, the answered recap, the check-in and the concern.
    freelancer.goto(workspace)
    settled(freelancer)
    timeline = freelancer.locator("#timeline").inner_text()
    assert words["correction"] in timeline
    assert app["correction"].lower() in timeline.lower()
    assert app["answered"] in timeline
    assert app["check_in"] in timeline.lower() and words["note"] in timeline
    assert app["concern"] in timeline.lower() and words["concern"] in timeline

    # 6. The trust reasons say it is the client's own word.
    reasons = freelancer.locator("#score-panel").inner_text()
    assert app["reason_check_in"] in reasons
    assert app["reason_concern"] in reasons
    assert app["reason_recap"] not in reasons  # nothing kept yet

    # 7. The freelancer keeps the promise the client confirmed: the written word counts more, and the reasons say so.
    freelancer.locator(f"#timeline #promise-{mine.promise_id}").get_by_role(
        "button", name=app["kept"], exact=True
    ).click()
    settled(freelancer)
    freelancer.goto(workspace)
    settled(freelancer)
    assert app["reason_recap"] in freelancer.locator("#score-panel").inner_text()
    assert serious_violations(freelancer) == []
    assert Interaction.objects.filter(client=someone, direction="from_client").count() == 1
