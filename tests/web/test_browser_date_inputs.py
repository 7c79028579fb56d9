"""Dates entered in French, with and without Chromium's French language pack (issue 24, item 11).

The pack (Debian's `chromium-l10n`, installed by `make browser`) only changes how the browser draws a date input
(`jj/mm/aaaa` instead of `mm/dd/yyyy`); the value a date input submits is ISO either way, and that is all the
app reads (crm/core/widgets.py). The "without" browser is the same Chromium hard-linked into a temporary folder
with its French pack files left out, so both run on one machine.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clients.models import Project
from tests.conftest import chromium_path, require_service
from tests.factories import make_client
from tests.web.test_browser import CHROMIUM_ARGS, log_in
from tests.web.test_browser_journey import enter_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _installed_chromium() -> Path | None:
    found = chromium_path()
    if found is None:
        return None
    # Debian's /usr/bin/chromium is a wrapper script: the browser and its locales live in /usr/lib/chromium.
    folder = Path("/usr/lib/chromium")
    return folder if (folder / "chromium").exists() else None


@pytest.fixture(params=["with the French pack", "without the French pack"])
def chromium(request: Any, tmp_path: Path) -> Iterator[str]:
    folder = _installed_chromium()
    require_service(folder is not None, "Debian chromium")
    assert folder is not None
    french = sorted((folder / "locales").glob("fr*.pak"))
    if request.param == "with the French pack":
        require_service(bool(french), "Chromium's French language pack (chromium-l10n, `make browser`)")
        yield str(folder / "chromium")
        return
    copy = tmp_path / "chromium"
    # Hard links (the same file system) cost no space; a copy where they are refused.
    try:
        shutil.copytree(folder, copy, copy_function=os.link, symlinks=True)
    except OSError:
        shutil.copytree(folder, copy, symlinks=True)
    for pack in (copy / "locales").glob("fr*.pak"):
        pack.unlink()
    assert not list((copy / "locales").glob("fr*.pak"))
    yield str(copy / "chromium")


def test_a_french_freelancer_enters_a_project_s_dates(chromium: str, live_server: Any, alice: Any) -> None:
    alice.profile.language = "fr"
    alice.profile.save(update_fields=["language"])
    client = make_client(alice, name="Atelier Brun")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=[*CHROMIUM_ARGS, "--lang=fr-FR"])
        context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, live_server)
        page.goto(f"{live_server.url}/clients/{client.pk}/projects/new/")
        page.fill("#id_title", "Refonte")
        enter_day(page, "#id_start_on", date(2026, 9, 5))
        enter_day(page, "#id_due_on", date(2026, 12, 24))
        page.locator("main form").get_by_role("button", name="Enregistrer").click()
        page.locator(".projects", has_text="Refonte").wait_for()
        shown = page.inner_text(".projects")
        browser.close()

    project = Project.objects.get(client=client)
    assert (project.start_on, project.due_on) == (date(2026, 9, 5), date(2026, 12, 24))
    assert "24 décembre 2026" in shown
