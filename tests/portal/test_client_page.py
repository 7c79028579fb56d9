"""The client's page, opened by its private link: only that client's data, in their language, read-only but for
one answer; revoked at once; never indexed; rate-limited; the freelancer's preview is the same page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from crm.models import ClientPage, Interaction, Promise
from crm.models.portal import KEY_LENGTH
from tests.factories import make_client, make_invoice, make_project, make_promise

NOW = "2026-03-10 10:00 +01:00"
TODAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _book(owner: Any, name: str, language: str = "fr") -> dict[str, Any]:
    """A client with a project, a status update, promises on both sides and invoices: late, due and paid."""
    client = make_client(owner, name=name, language=language)
    project = make_project(client, title=f"Site de {name}", goals=f"Objectifs de {name}")
    Interaction.objects.log_status_update(
        client, f"Point de {name}", "La maquette avance.", timezone.now() - timedelta(days=2)
    )
    mine = make_promise(
        client,
        description=f"Maquette pour {name}",
        made_on=TODAY - timedelta(days=20),
        due_on=TODAY + timedelta(days=3),
    )
    kept = make_promise(
        client,
        description=f"Devis pour {name}",
        made_on=TODAY - timedelta(days=30),
        due_on=TODAY - timedelta(days=10),
    )
    kept.keep(TODAY - timedelta(days=11))
    theirs = make_promise(
        client,
        promisor=Promise.Promisor.CLIENT,
        description=f"Textes de {name}",
        made_on=TODAY - timedelta(days=20),
        due_on=TODAY - timedelta(days=2),
    )
    late = make_invoice(
        client,
        number=f"L-{name}",
        project=project,
        amount=Decimal("1234.50"),
        issued_on=TODAY - timedelta(days=60),
        due_on=TODAY - timedelta(days=30),
    )
    due = make_invoice(
        client, number=f"D-{name}", issued_on=TODAY - timedelta(days=5), due_on=TODAY + timedelta(days=25)
    )
    paid = make_invoice(
        client, number=f"P-{name}", issued_on=TODAY - timedelta(days=50), due_on=TODAY - timedelta(days=20)
    )
    paid.mark_paid(TODAY - timedelta(days=21))
    page = ClientPage.objects.create(client=client)
    return {"client": client, "project": project, "mine": mine, "kept": kept, "theirs": theirs, "late": late,
            "due": due, "paid": paid, "page": page}  # fmt: skip


@pytest.fixture
def books(alice: Any, bob: Any) -> dict[str, dict[str, Any]]:
    return {
        "zoe": _book(alice, "Zoé", "fr"),
        "ada": _book(alice, "Ada", "en"),
        "bob": _book(bob, "Boris", "fr"),
    }


def page_url(page: ClientPage) -> str:
    return reverse("portal:page", kwargs={"token": page.token})


def _names(book: dict[str, Any]) -> list[str]:
    """Every text of a book's client that its page may show."""
    name = book["client"].name
    return [f"Site de {name}", f"Objectifs de {name}", f"Point de {name}", f"Maquette pour {name}",
            f"Textes de {name}", f"L-{name}", f"D-{name}"]  # fmt: skip


def test_the_page_shows_the_clients_projects_updates_promises_and_unpaid_invoices(
    client: Browser, books: dict[str, Any]
) -> None:
    html = client.get(page_url(books["zoe"]["page"])).content.decode()
    for text in _names(books["zoe"]):
        assert text in html
    assert "P-Zoé" not in html  # paid: nothing left to pay
    assert 'lang="fr"' in html
    assert "Ce que vous avez promis" in html
    # The late invoice in the client's language, with its delay, and the form to answer it; the due one without.
    late = re.search(rf'<li class="is-late" id="invoice-{books["zoe"]["late"].pk}">.*?</li>', html, re.S)
    assert late is not None
    assert "30 jours de retard" in late.group(0)
    assert "1\u00a0234,50\u00a0EUR" in late.group(0)  # the amount as French writes it
    assert html.count('class="payment-date"') == 1


def test_the_page_is_in_the_clients_language_not_the_freelancers(
    client: Browser, books: dict[str, Any]
) -> None:
    # Alice reads English; her client Zoé reads French, her client Ada English.
    assert books["zoe"]["client"].owner.profile.language == "en"
    french = client.get(page_url(books["zoe"]["page"])).content.decode()
    english = client.get(page_url(books["ada"]["page"])).content.decode()
    assert "Factures à régler" in french and "Invoices to pay" not in french
    assert "Invoices to pay" in english and 'lang="en"' in english
    assert "kept" in english and "tenue" in french


def test_the_page_shows_nothing_of_any_other_client(client: Browser, books: dict[str, Any]) -> None:
    for name, book in books.items():
        html = client.get(page_url(book["page"])).content.decode()
        for other_name, other in books.items():
            if other_name != name:
                for text in _names(other):
                    assert text not in html, (name, text)


def test_the_page_is_private_noindex_never_cached_no_referrer_elsewhere(
    client: Browser, books: dict[str, Any]
) -> None:
    response = client.get(page_url(books["zoe"]["page"]))
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert '<meta name="referrer" content="same-origin">' in html


def _tampered(token: str) -> list[str]:
    """Tokens one step from a real one: each half changed, cut, lengthened, another case, odd characters."""
    flip = {"A": "B", "B": "A"}

    def change(index: int) -> str:
        char = token[index]
        return token[:index] + (flip.get(char) or ("A" if char != "A" else "B")) + token[index + 1 :]

    return [
        change(0), change(KEY_LENGTH - 1), change(KEY_LENGTH), change(len(token) - 1),
        token[:-1], token + "A", token.swapcase(), token[:KEY_LENGTH], token[KEY_LENGTH:],
        token[:-1] + "é", "x" * len(token), "",
    ]  # fmt: skip


def test_tampered_tokens_are_a_404(client: Browser, books: dict[str, Any]) -> None:
    token = books["zoe"]["page"].token
    for bad in _tampered(token):
        if not bad:
            continue
        url = reverse("portal:page", kwargs={"token": bad})
        assert client.get(url).status_code == 404, bad
        assert (
            client.post(url, {"invoice": books["zoe"]["late"].pk, "new_due_on": "2026-03-20"}).status_code
            == 404
        )
    books["zoe"]["late"].refresh_from_db()
    assert books["zoe"]["late"].renegotiated_due_on is None


def test_a_renewed_or_turned_off_link_stops_at_once_and_says_it_is_gone(
    client: Browser, books: dict[str, Any]
) -> None:
    page = books["zoe"]["page"]
    old = page_url(page)
    page.renew()
    assert client.get(old).status_code == 410
    renewed = page_url(page)
    assert client.get(renewed).status_code == 200
    page.turn_off()
    assert client.get(renewed).status_code == 410
    assert client.get(page_url(page)).status_code == 404  # the off page's own token opens nothing either
    page.renew()  # turned on again: a new link, the old ones stay dead
    assert client.get(page_url(page)).status_code == 200
    # The link the client last had is still "gone"; an older one is simply unknown.
    assert client.get(renewed).status_code == 410 and client.get(old).status_code == 404
    late = books["zoe"]["late"]
    answer = client.post(renewed, {"invoice": late.pk, "new_due_on": "2026-03-20"})
    assert answer.status_code == 410
    late.refresh_from_db()
    assert late.renegotiated_due_on is None


@pytest.mark.parametrize("debug", [True, False])
def test_a_link_that_opens_nothing_has_the_clients_own_page_whatever_debug_says(
    client: Browser, books: dict[str, Any], settings: Any, debug: bool
) -> None:
    settings.DEBUG = debug
    page = books["zoe"]["page"]  # Zoé reads French
    old = page_url(page)
    page.renew()

    gone = client.get(old, HTTP_ACCEPT_LANGUAGE="en")
    unknown = client.get(reverse("portal:page", kwargs={"token": "x" * 55}), HTTP_ACCEPT_LANGUAGE="en")

    assert gone.status_code == 410
    text = gone.content.decode()
    assert "Ce lien n’ouvre plus la page" in text and 'lang="fr"' in text
    assert f"{page.client.owner.profile.name} a remplacé ce lien ou l’a désactivé." in text
    assert unknown.status_code == 404
    assert "This link opens no page" in unknown.content.decode()
    for response in (gone, unknown):
        assert "URLconf" not in response.content.decode()  # never Django's list of the site's URLs
        assert response["X-Robots-Tag"] == "noindex, nofollow"
    french = client.get(reverse("portal:page", kwargs={"token": "y" * 55}), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Ce lien n’ouvre aucune page" in french.content.decode()


def test_the_freelancers_choices_hide_sections(client: Browser, books: dict[str, Any]) -> None:
    page = books["zoe"]["page"]
    page.show_invoices = page.show_promises = False
    page.save()
    html = client.get(page_url(page)).content.decode()
    assert "L-Zoé" not in html and "Maquette pour Zoé" not in html and "payment-date" not in html
    assert "Site de Zoé" in html and "Point de Zoé" in html
    # With the invoices hidden, the one answer is refused too.
    answer = client.post(page_url(page), {"invoice": books["zoe"]["late"].pk, "new_due_on": "2026-03-20"})
    assert answer.status_code == 400
    books["zoe"]["late"].refresh_from_db()
    assert books["zoe"]["late"].renegotiated_due_on is None


@pytest.mark.usefixtures("one_rate_window")
def test_the_page_is_rate_limited(client: Browser, books: dict[str, Any], settings: Any) -> None:
    settings.RATE_LIMIT_TOKEN_PAGES = "3/m"
    url = page_url(books["zoe"]["page"])
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    assert client.get(url).status_code == 429
    # Guessing counts the same: a wrong token spends the same budget, and is refused as well.
    assert client.get(reverse("portal:page", kwargs={"token": "x" * 55})).status_code == 429


def _comparable(html: str) -> str:
    """The page without its per-render secrets: the CSRF token and the forms' one-time tokens; and the client's
    voice (issue 26) posting to the preview itself, where nothing is recorded, instead of under the link."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)
    html = re.sub(r'action="/p/[^"/]+/(check-in|concern)/"', 'action=""', html)
    return re.sub(r'name="(\w+-)?form_token" value="[^"]+"', r'name="\1form_token" value=""', html)


def test_the_preview_is_the_clients_page_but_for_its_banner(
    client: Browser, alice_client: Browser, books: dict[str, Any]
) -> None:
    zoe = books["zoe"]
    seen = Browser().get(page_url(zoe["page"])).content.decode()
    preview = alice_client.get(
        reverse("web:client_page_preview", kwargs={"client_id": zoe["client"].pk})
    ).content.decode()
    banner = re.search(r'<div class="preview-banner" role="note">.*?</div>', preview, re.S)
    assert banner is not None
    assert "This is the page Zoé sees" in banner.group(0)  # in the freelancer's language (English)
    assert _comparable(preview.replace(banner.group(0), "")) == _comparable(seen)


def test_bob_cannot_preview_or_manage_alices_client_page(
    client: Browser, bob: Any, books: dict[str, Any]
) -> None:
    client.force_login(bob)
    zoe = books["zoe"]["client"].pk
    for name in ("preview", "panel"):
        assert client.get(reverse(f"portal:{name}", kwargs={"client_id": zoe})).status_code == 404
    for name in ("renew", "off", "panel"):
        assert (
            client.post(
                reverse(f"portal:{name}", kwargs={"client_id": zoe}), {"show_invoices": ""}
            ).status_code
            == 404
        )
    page = ClientPage.objects.get(pk=books["zoe"]["page"].pk)
    assert (page.token, page.is_on, page.show_invoices) == (books["zoe"]["page"].token, True, True)


def test_a_page_of_a_deleted_client_dies_with_it(client: Browser, alice: Any, books: dict[str, Any]) -> None:
    from crm.trash.snapshot import restore, to_trash

    url = page_url(books["zoe"]["page"])
    item = to_trash(books["zoe"]["client"], alice)
    assert client.get(url).status_code == 404
    restore(item)
    assert client.get(url).status_code == 404  # restored without its old link
    assert not ClientPage.objects.filter(client_id=books["zoe"]["client"].pk).exists()
