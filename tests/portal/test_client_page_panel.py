"""The freelancer's "client's page" panel in the workspace: make the link, copy it, renew it or turn it off (the old
link is a 404 at once), choose what the page shows, preview it; htmx gets the panel alone, a plain post a
redirect."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from crm.models import ClientPage, Promise
from tests.factories import make_client, make_invoice

HTMX = {"HX-Request": "true", "HX-Target": "client-page-panel"}


@pytest.fixture
def zoe(alice: Any) -> Any:
    return make_client(alice, name="Zoé", language="fr")


def _url(name: str, client: Any) -> str:
    return reverse(f"portal:{name}", kwargs={"client_id": client.pk})


def _page_url(page: ClientPage) -> str:
    return reverse("portal:page", kwargs={"token": page.token})


def test_the_workspace_loads_the_panel_and_links_to_it_without_javascript(
    alice_client: Browser, zoe: Any
) -> None:
    html = alice_client.get(reverse("web:client", kwargs={"client_id": zoe.pk})).content.decode()
    assert f'hx-get="{_url("panel", zoe)}" hx-trigger="load"' in html
    assert f'<a href="{_url("panel", zoe)}">' in html


def test_make_the_link_then_copy_it(alice_client: Browser, zoe: Any) -> None:
    html = alice_client.get(_url("panel", zoe), headers=HTMX).content.decode()
    assert html.lstrip().startswith('<section id="client-page-panel"')  # the partial alone
    assert "There is no link yet." in html and not ClientPage.objects.exists()
    html = alice_client.post(_url("renew", zoe), headers=HTMX).content.decode()
    page = ClientPage.objects.get(client=zoe)
    link = "http://testserver" + _page_url(page)
    assert f'value="{link}"' in html
    assert 'data-copy="#client-page-link-' in html
    assert Browser().get(_page_url(page)).status_code == 200


def test_renew_kills_the_old_link_at_once(alice_client: Browser, zoe: Any) -> None:
    page = ClientPage.objects.create(client=zoe)
    old = _page_url(page)
    answer = alice_client.post(_url("renew", zoe))
    assert answer.status_code == 302 and answer["Location"] == _url("panel", zoe)
    page.refresh_from_db()
    assert Browser().get(old).status_code == 410  # gone, said in the client's language
    assert Browser().get(_page_url(page)).status_code == 200
    assert "A new link is ready." in alice_client.post(_url("renew", zoe), headers=HTMX).content.decode()


def test_turn_off_kills_the_link_and_says_so(alice_client: Browser, zoe: Any) -> None:
    page = ClientPage.objects.create(client=zoe)
    old = _page_url(page)
    html = alice_client.post(_url("off", zoe), headers=HTMX).content.decode()
    assert "The link is off" in html and 'class="link-field"' not in html
    assert Browser().get(old).status_code == 410
    assert "Make a new link" in html


def test_choose_what_the_page_shows(alice_client: Browser, zoe: Any) -> None:
    page = ClientPage.objects.create(client=zoe)
    make_invoice(zoe, number="F-HIDDEN")
    assert "F-HIDDEN" in Browser().get(_page_url(page)).content.decode()
    choices = {"show_projects": "on", "show_status_updates": "on", "show_promises": "on"}  # invoices unticked
    html = alice_client.post(_url("panel", zoe), choices, headers=HTMX).content.decode()
    assert "Saved: the page shows your choices." in html
    page.refresh_from_db()
    assert (page.show_invoices, page.show_promises) == (False, True)
    assert "F-HIDDEN" not in Browser().get(_page_url(page)).content.decode()


def test_the_preview_works_before_the_link_exists_and_records_nothing(
    alice_client: Browser, zoe: Any
) -> None:
    today = timezone.localdate()
    late = make_invoice(zoe, issued_on=today - timedelta(days=40), due_on=today - timedelta(days=10))
    html = alice_client.get(_url("preview", zoe)).content.decode()
    assert "Its link is off: the client cannot open it." in html
    assert "Confirmer cette date de paiement" in html  # the client's language, the client's form
    answer = alice_client.post(_url("preview", zoe), {"invoice": late.pk, "new_due_on": str(today)})
    assert answer.status_code == 400
    assert "Nothing was recorded" in answer.content.decode()
    late.refresh_from_db()
    assert late.renegotiated_due_on is None
    assert not Promise.objects.filter(promisor=Promise.Promisor.CLIENT).exists()


def test_the_panel_and_preview_are_noindex(alice_client: Browser, zoe: Any) -> None:
    for name in ("panel", "preview"):
        assert alice_client.get(_url(name, zoe))["X-Robots-Tag"] == "noindex, nofollow"


def test_saving_choices_without_a_page_is_a_404(alice_client: Browser, zoe: Any) -> None:
    assert alice_client.post(_url("panel", zoe), {"show_projects": "on"}).status_code == 404
    assert alice_client.post(_url("off", zoe)).status_code == 404
    assert not ClientPage.objects.exists()


def test_the_panel_needs_a_login(client: Browser, zoe: Any) -> None:
    for name in ("panel", "preview"):
        assert client.get(_url(name, zoe)).status_code == 302
    assert client.post(_url("renew", zoe)).status_code == 302
    assert not ClientPage.objects.exists()
