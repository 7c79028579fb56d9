# ruff: noqa: F811
"""A client's holiday in a real browser, in French and in English (Playwright on Debian's Chromium, as
tests/web/test_browser.py): added from the workspace, the client shown away there and gone from the dashboard's
status updates due, the form drawn again with the days it saved (saved unchanged, they stay the same days),
edited, then deleted, the client due again."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import formats, timezone, translation

from clients.models import Absence, Client
from crm.trust.door import journal_changed
from tests.factories import make_client

# The `page` fixture (Chromium through Playwright) is shared with test_browser.py: its name as a test argument
# "redefines" the import for ruff.
from tests.web.test_browser import log_in, page  # noqa: F401
from tests.web.test_browser_journey import enter_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What each language's pages say (locale/fr/LC_MESSAGES/django.po), written out so a broken catalogue shows.
WORDS = {
    "en": {
        "add": "Add an absence",
        "save": "Save",
        "added": "Absence added.",
        "saved": "Absence saved.",
        "deleted": "Absence deleted.",
        "kind": "Holiday",
        "span": "{first} to {last}",
        "away": "away until {day}",
        "none": "No absence recorded.",
    },
    "fr": {
        "add": "Ajouter une absence",
        "save": "Enregistrer",
        "added": "Absence ajoutée.",
        "saved": "Absence enregistrée.",
        "deleted": "Absence supprimée.",
        "kind": "Vacances",
        "span": "du {first} au {last}",
        "away": "absent jusqu’au {day}",
        "none": "Aucune absence enregistrée.",
    },
}
NAME = "Atelier Brun"


def written(day: date, language: str) -> str:
    """Return `day` as the language writes it on a page (Django's DATE_FORMAT: "Dec. 17, 2026", "17 décembre
    2026")."""
    with translation.override(language):
        return formats.date_format(day, "DATE_FORMAT")


def due_on_the_dashboard(page: Any, live_server: Any) -> bool:
    page.goto(f"{live_server.url}/")
    return NAME in page.inner_text(".week-group[data-group=status_updates]")


def save_form(page: Any, words: dict[str, str], message: str) -> None:
    page.locator("main form").get_by_role("button", name=words["save"]).click()
    page.locator("#toasts [data-toast]", has_text=message).first.wait_for()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_holiday_added_edited_and_deleted_in_each_language(
    page: Any, live_server: Any, alice: Any, language: str
) -> None:
    words = WORDS[language]
    alice.profile.language = language
    alice.profile.save(update_fields=["language"])
    client = make_client(alice, name=NAME, cadence_days=7)
    # Three weeks without a status update: due on the dashboard (the door brings the sweep's column along).
    Client.objects.filter(pk=client.pk).update(created_at=timezone.now() - timedelta(days=21))
    journal_changed([client.pk])
    today = timezone.localdate()
    first, last, later = today - timedelta(days=3), today + timedelta(days=10), today + timedelta(days=24)
    workspace = f"{live_server.url}/clients/{client.pk}/"

    log_in(page, live_server)
    assert due_on_the_dashboard(page, live_server)

    # Added from the workspace: the days, as the language writes them, and the client away meanwhile.
    page.goto(workspace)
    assert words["none"] in page.inner_text("#absences")
    page.locator("#absences").get_by_role("link", name=words["add"]).click()
    page.select_option("#id_kind", Absence.Kind.HOLIDAY)
    enter_day(page, "#id_start_on", first)
    enter_day(page, "#id_end_on", last)
    page.fill("#id_note", "Été / summer")
    save_form(page, words, words["added"])
    assert page.url == workspace
    absence = Absence.objects.get(client=client)
    assert (absence.kind, absence.start_on, absence.end_on, absence.project_id) == (
        "holiday",
        first,
        last,
        None,
    )
    span = words["span"].format(first=written(first, language), last=written(last, language))
    shown = page.inner_text("#absences")
    assert words["kind"] in shown and span in shown and "Été / summer" in shown
    assert words["away"].format(day=written(last, language)) in page.inner_text(".client-card")
    assert not due_on_the_dashboard(page, live_server)

    # Opened again: the form draws the days it saved, and saving it unchanged keeps them.
    page.goto(workspace)
    page.locator("#absences a[href$='/edit/']").click()
    assert (page.input_value("#id_start_on"), page.input_value("#id_end_on")) == (
        first.isoformat(),
        last.isoformat(),
    )
    save_form(page, words, words["saved"])
    absence.refresh_from_db()
    assert (absence.start_on, absence.end_on, absence.note) == (first, last, "Été / summer")
    assert span in page.inner_text("#absences")

    # Edited: a longer holiday, shown in the language's format.
    page.locator("#absences a[href$='/edit/']").click()
    enter_day(page, "#id_end_on", later)
    save_form(page, words, words["saved"])
    absence.refresh_from_db()
    assert (absence.start_on, absence.end_on) == (first, later)
    longer = words["span"].format(first=written(first, language), last=written(later, language))
    assert longer in page.inner_text("#absences")
    assert words["away"].format(day=written(later, language)) in page.inner_text(".client-card")

    # Deleted: nothing left, and the status update is due again.
    page.locator("#absences form[action$='/delete/'] button").click()
    page.locator("#toasts [data-toast]", has_text=words["deleted"]).first.wait_for()
    assert not Absence.objects.filter(client=client).exists()
    assert words["none"] in page.inner_text("#absences")
    assert words["away"].format(day=written(later, language)) not in page.inner_text(".client-card")
    assert due_on_the_dashboard(page, live_server)
