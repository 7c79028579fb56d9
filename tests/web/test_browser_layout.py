"""The daily pages fit their screen (issue 24, item 1 and 3), in a real browser at 1280 px and 390 px, in French and
English: no page is wider than the viewport, and no word shorter than 20 characters wraps inside itself (a
client's name broken "Oli / ver", a column header broken letter by letter). Long unbroken words may still wrap,
since they must not overflow either."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse

from crm.demo.book import seed_demo_book
from crm.models import BookImport
from tests.conftest import chromium_path, require_service
from tests.factories import make_client
from tests.web.test_browser import CHROMIUM_ARGS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each word of the page's visible text, measured where the browser laid it out: a word whose characters sit on
# more than one line is broken inside itself. Words are cut at spaces, hyphens and slashes (a break there is
# allowed); a word of 20 characters or more may break (an e-mail address, a URL) rather than overflow.
BROKEN_WORDS = """
() => {
  const found = [];
  // Text only a screen reader reads (clipped into a 1 px box, as the phone's table headers are) is not laid out
  // for the eye: skip it.
  const unseen = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.display === "none" || style.visibility === "hidden") return true;
      if (style.clip !== "auto" && style.position === "absolute") return true;
      if (style.clipPath !== "none" || (e.offsetWidth <= 1 && e.offsetHeight <= 1)) return true;
    }
    return false;
  };
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style, template, [hidden]") || unseen(parent)) continue;
    for (const match of node.data.matchAll(/[^\\s\\-\\u2010-\\u2014\\/]+/g)) {
      if (match[0].length >= 20) continue;
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) found.push(match[0]);
    }
  }
  return found;
}
"""
PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"

SEVEN_COLUMNS = (
    "Client;Société;Prénom;Nom;E-mail;Téléphone;Fonction\n"
    "Atelier Dubois;Atelier Dubois SARL;Claire;Dubois;claire@atelier-dubois.fr;06 12 34 56 78;Gérante\n"
    "Cabinet Martin;Cabinet Martin et associés;Sophie;Martin;s.martin@cabinet-martin.fr;+33 6 98 76 54 32;Associée\n"
).encode()


@pytest.fixture
def browser_context() -> Iterator[Any]:
    require_service(chromium_path() is not None, "Debian chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _import_preview_url(owner: Any) -> str:
    http = HttpClient()
    http.force_login(owner)
    http.post(
        reverse("web:import"), {"kind": "clients", "file": SimpleUploadedFile("book.csv", SEVEN_COLUMNS)}
    )
    return reverse("web:import_preview", kwargs={"import_id": BookImport.objects.latest("pk").pk})


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_short_word_breaks_and_no_page_overflows(
    browser_context: Any, live_server: Any, alice: Any, language: str, width: int
) -> None:
    alice.profile.language = language
    alice.profile.save(update_fields=["language"])
    seed_demo_book(alice)
    make_client(alice, name="Oliver Bennett", company="Bennett & Sons Ltd")
    pages = [
        reverse("web:dashboard"),
        reverse("web:clients"),
        reverse("web:promises"),
        reverse("web:invoices"),
        reverse("web:conflicts"),
        _import_preview_url(alice),
    ]
    context = browser_context.new_context(
        viewport={"width": width, "height": 900}, bypass_csp=True, locale=f"{language}-FR"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server)

    problems = {}
    for url in pages:
        page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state("networkidle")
        if os.environ.get("SCREENSHOTS") and url == "/" and width == 1280:
            # `SCREENSHOTS=1 .venv/bin/pytest tests/web/test_browser_layout.py` redraws docs/screenshots.
            folder = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
            page.screenshot(path=str(folder / f"dashboard-1280-{language}.png"))
        scroll_width, viewport = page.evaluate(PAGE_WIDTH)
        broken = page.evaluate(BROKEN_WORDS)
        if scroll_width > viewport or broken:
            problems[url] = {"page width": scroll_width, "broken words": sorted(set(broken))[:20]}
    context.close()

    assert problems == {}, problems


def test_the_dashboard_without_any_trend_keeps_its_headers_whole(
    browser_context: Any, live_server: Any, alice: Any
) -> None:
    # A new book: no client has a trend yet, and the trend column is at its narrowest.
    alice.profile.language = "fr"
    alice.profile.save(update_fields=["language"])
    for name in ("Oliver Bennett", "Atelier Dubois", "Cabinet Martin"):
        make_client(alice, name=name)
    context = browser_context.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    log_in(page, live_server)
    page.wait_for_load_state("networkidle")

    assert page.evaluate(BROKEN_WORDS) == []
    context.close()
