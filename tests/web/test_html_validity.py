"""The pages are valid HTML as a browser parses it (issue 24, item 10): no parse errors (a stray `</p>`), machine
dates a browser accepts, `tel:` links a phone can dial, labels that label a form control, and a favicon."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import html5lib
import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import ClientPage, EvidencePack, Feeling
from tests.factories import (
    make_client,
    make_conflict,
    make_contact,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
)

pytestmark = pytest.mark.django_db

# HTML's "valid global date and time string": seconds optional, at most three digits of a fraction.
MACHINE_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$")
TEL_URI = re.compile(r"^tel:\+?\d+$")
# The elements a <label for=...> may point at (HTML's "labelable elements").
LABELABLE = {"button", "input", "meter", "output", "progress", "select", "textarea"}


@pytest.fixture
def book(alice: Any) -> Any:
    today = timezone.localdate()
    client = make_client(alice, name="Atelier Brun", phone="+33 6 12 34 56 78", email="brun@example.org")
    make_contact(client, name="Compta", phone="01.23.45.67.89", email="compta@example.org")
    project = make_project(client, title="Site vitrine")
    make_interaction(client, happened_at=timezone.now() - timedelta(days=3, microseconds=123456))
    make_promise(client, project=project, made_on=today - timedelta(days=9), due_on=today - timedelta(days=1))
    make_invoice(client, issued_on=today - timedelta(days=40), due_on=today - timedelta(days=10))
    make_conflict(client, observed_on=today - timedelta(days=2))
    Feeling.objects.create(client=client, rating="doubt", felt_on=today)
    ClientPage.objects.create(client=client)
    return client


def _pages(book: Any) -> list[str]:
    return [
        reverse("web:dashboard"),
        reverse("web:clients"),
        reverse("web:client", kwargs={"client_id": book.pk}),
        reverse("web:client_edit", kwargs={"client_id": book.pk}),
        reverse("web:promises"),
        reverse("web:invoices"),
        reverse("web:conflicts"),
        reverse("web:export"),
        reverse("web:import"),
        reverse("web:trash"),
        reverse("web:guide"),
        reverse("profile"),
        reverse("web:client_page_preview", kwargs={"client_id": book.pk}),
        reverse("web:client_new"),
        reverse("web:interaction_new"),
        reverse("web:promise_new"),
        reverse("web:invoice_new"),
        reverse("web:conflict_new"),
        reverse("web:project_new", kwargs={"client_id": book.pk}),
        reverse("web:contact_new", kwargs={"client_id": book.pk}),
        reverse("web:payment_reminders"),
        reverse("web:calendar_settings"),
        reverse("web:mailbox"),
        reverse("web:api_tokens"),
        reverse("web:client_evidence_packs", kwargs={"client_id": book.pk}),
        # A pack being built: the progress bar and its label.
        reverse(
            "web:evidence_pack",
            kwargs={"pack_id": EvidencePack.objects.create(client=book, language="en").pk},
        ),
    ]


def _problems(html: str) -> list[str]:
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
    document = parser.parse(html)
    problems = [f"parse error {code} at {position}" for position, code, _ in parser.errors]
    by_id = {element.get("id"): element for element in document.iter() if element.get("id")}
    for element in document.iter("time"):
        if element.get("datetime") is not None and not MACHINE_MOMENT.match(element.get("datetime")):
            problems.append(f'<time datetime="{element.get("datetime")}">')
    for element in document.iter("a"):
        href = element.get("href") or ""
        if href.startswith("tel:") and not TEL_URI.match(href):
            problems.append(f'<a href="{href}">')
    for element in document.iter("label"):
        target = element.get("for")
        if target is not None and (target not in by_id or by_id[target].tag not in LABELABLE):
            found = by_id[target].tag if target in by_id else "nothing"
            problems.append(f'<label for="{target}"> labels {found}')
        if target is None and not any(inner.tag in LABELABLE for inner in element.iter()):
            problems.append(f"<label> around no form control: {''.join(element.itertext()).strip()[:40]}")
    icons = [link for link in document.iter("link") if "icon" in (link.get("rel") or "").split()]
    if not icons:
        problems.append("no favicon link")
    return problems


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_daily_page_is_valid_html(alice_client: Any, alice: Any, book: Any, language: str) -> None:
    alice.profile.language = language
    alice.profile.save(update_fields=["language"])

    found = {}
    for url in _pages(book):
        response = alice_client.get(url)
        assert response.status_code == 200, url
        problems = _problems(response.content.decode())
        if problems:
            found[url] = problems

    assert found == {}


@pytest.mark.parametrize("name", ["login", "signup", "password_reset"])
def test_the_pages_before_login_are_valid_html(client: Any, name: str) -> None:
    assert _problems(client.get(reverse(name)).content.decode()) == []


def test_a_phone_with_spaces_and_dots_is_dialled_as_digits(alice_client: Any, book: Any) -> None:
    page = alice_client.get(reverse("web:client", kwargs={"client_id": book.pk})).content.decode()

    assert 'href="tel:+33612345678"' in page
    assert 'href="tel:0123456789"' in page
    # The number is still shown as typed.
    assert "+33 6 12 34 56 78" in page


def test_the_favicon_is_served(client: Any) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
