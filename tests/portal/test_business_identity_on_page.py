"""The client's page names the freelancer by their business identity (issue 24), never by their login name: the
trade name and logo in its header, who keeps it up to date, and who the client deals with at its foot."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import reverse

from clients.models import BusinessLogo, Profile
from crm.models import ClientPage
from tests.factories import make_client, make_user

pytestmark = pytest.mark.django_db

LOGIN = "cml-login-7"
IDENTITY = {
    "display_name": "Camille Martin",
    "trade_name": "Studio Martin",
    "legal_form": "sasu",
    "registration_number": "73282932000074",
    "vat_number": "FR44732829320",
    "address_line1": "12 rue de la Paix",
    "postcode": "75002",
    "city": "Paris",
    "country": "FR",
    "business_email": "contact@studio-martin.example",
    "business_phone": "+33 1 23 45 67 89",
    "website": "https://studio-martin.example",
}


@pytest.fixture
def freelancer(db: None) -> Any:
    return make_user(LOGIN, language="fr")


def _page(owner: Any, language: str = "fr") -> ClientPage:
    return ClientPage.objects.create(client=make_client(owner, name="Boulangerie Roux", language=language))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_page_shows_the_identity_and_never_the_login_name(freelancer: Any, language: str) -> None:
    Profile.objects.filter(user=freelancer).update(**IDENTITY)
    page = _page(freelancer, language)
    html = Browser().get(reverse("portal:page", kwargs={"token": page.token})).content.decode()
    assert LOGIN not in html
    assert "Studio Martin" in html and "Camille Martin" in html
    assert "SASU" in html and "SIRET 73282932000074" in html and "FR44732829320" in html
    assert "12 rue de la Paix" in html and "75002 Paris" in html
    assert 'href="mailto:contact@studio-martin.example"' in html and 'href="tel:+33123456789"' in html
    kept_by = {"fr": "tenu à jour par Camille Martin", "en": "kept up to date by Camille Martin"}[language]
    assert kept_by in html


def test_before_the_identity_the_page_shows_the_display_name(freelancer: Any) -> None:
    Profile.objects.filter(user=freelancer).update(display_name="Camille")
    html = Browser().get(reverse("portal:page", kwargs={"token": _page(freelancer).token})).content.decode()
    assert LOGIN not in html
    assert "tenu à jour par Camille" in html


def test_with_no_name_at_all_the_page_speaks_neutrally(freelancer: Any) -> None:
    html = Browser().get(reverse("portal:page", kwargs={"token": _page(freelancer).token})).content.decode()
    assert LOGIN not in html
    assert "tenu à jour par votre prestataire" in html


def test_the_logo_is_reached_through_the_pages_link_only(freelancer: Any, bob: Any) -> None:
    BusinessLogo.objects.create(owner=freelancer, image=b"\x89PNG-pixels", content_type="image/png")
    page = _page(freelancer)
    browser = Browser()
    html = browser.get(reverse("portal:page", kwargs={"token": page.token})).content.decode()
    logo_url = reverse("portal:logo", kwargs={"token": page.token})
    assert f'src="{logo_url}"' in html
    answer = browser.get(logo_url)
    assert answer.status_code == 200 and answer.content == b"\x89PNG-pixels"
    assert (answer["Content-Type"], answer["X-Content-Type-Options"]) == ("image/png", "nosniff")
    assert answer["Content-Disposition"] == "inline" and "no-store" in answer["Cache-Control"]
    # Turned off, the link shows the logo no more; bob's own page has no logo to show.
    page.turn_off()
    assert browser.get(logo_url).status_code == 404
    assert browser.get(reverse("portal:logo", kwargs={"token": _page(bob).token})).status_code == 404
