"""The freelancer's business identity (issue 24): its numbers' rules, its logo checked and served safely, the
"Your business" page with what is missing, the first run's question, new clients following the freelancer's
language and country, and the exports carrying it."""

from __future__ import annotations

import io
import json
import random
import zipfile
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from clients.identity import (
    LOGO_MAX_BYTES,
    checked_logo,
    french_vat_key,
    is_siren,
    is_siret,
    validate_registration_number,
    validate_vat_number,
)
from clients.models import BusinessLogo, Client, Profile
from crm.dataio import book
from tests.factories import make_user

pytestmark = pytest.mark.django_db

IDENTITY = {
    "display_name": "Camille Martin",
    "trade_name": "Studio Martin",
    "legal_form": "sasu",
    "registration_number": "732 829 320 00074",
    "vat_number": "FR 44 732829320",
    "address_line1": "12 rue de la Paix",
    "address_line2": "",
    "postcode": "75002",
    "city": "Paris",
    "country": "FR",
    "business_email": "contact@studio-martin.example",
    "business_phone": "+33 1 23 45 67 89",
    "website": "https://studio-martin.example",
    "signature": "Studio Martin — sites pour artisans",
}


def image_bytes(image_format: str, size: tuple[int, int] = (40, 20), noise: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    if noise:  # incompressible pixels: a file far above the limit
        image = Image.frombytes("RGB", size, random.Random(24).randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, format=image_format)
    return out.getvalue()


# -- the numbers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("siren", ["732829320", "404833048", "443061841"])
def test_a_siren_with_its_check_digit_is_valid(siren: str) -> None:
    assert is_siren(siren)
    validate_registration_number(siren)


@pytest.mark.parametrize("siren", ["732829321", "404833049", "12345678", "ABCDEFGHI", "７３２８２９３２０"])
def test_a_siren_with_a_wrong_check_digit_or_form_is_refused(siren: str) -> None:
    assert not is_siren(siren)
    with pytest.raises(ValidationError):
        validate_registration_number(siren)


def test_a_siret_is_a_valid_siren_then_an_establishment_with_its_own_checksum() -> None:
    assert is_siret("73282932000074")
    assert not is_siret("73282932000075")  # the SIRET's checksum
    assert not is_siret("73282932100074")  # a SIREN that is not valid
    validate_registration_number("732 829 320 00074")  # typed with spaces
    with pytest.raises(ValidationError, match="SIRET"):
        validate_registration_number("73282932000075")


def test_la_postes_sirets_follow_their_own_rule() -> None:
    assert is_siret("35600000049837")  # its digits add up to a multiple of 5
    assert not is_siret("35600000049838")


def test_the_french_vat_key_is_computed_from_the_siren() -> None:
    assert french_vat_key("404833048") == "83"
    validate_vat_number("FR83404833048")
    validate_vat_number("fr 83 404 833 048")
    with pytest.raises(ValidationError) as refused:
        validate_vat_number("FR84404833048")
    assert refused.value.code == "vat_key"
    with pytest.raises(ValidationError) as refused:
        validate_vat_number("FR83404833049")
    assert refused.value.code == "vat_siren"


@pytest.mark.parametrize(
    ("number", "code"),
    [("XX123456789", "vat_prefix"), ("GB123456789", "vat_prefix"), ("DE12345678", "vat_format"),
     ("BE2123456789", "vat_format"), ("FR8340483304", "vat_format")],
)  # fmt: skip
def test_other_eu_vat_numbers_are_checked_by_prefix_and_length(number: str, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_vat_number(number)
    assert refused.value.code == code


@pytest.mark.parametrize(
    "number", ["DE123456789", "BE0123456789", "NL123456789B01", "EL123456789", "IT12345678901"]
)
def test_well_formed_eu_vat_numbers_pass(number: str) -> None:
    validate_vat_number(number)


def test_the_model_refuses_a_bad_number_with_a_clear_message_in_french(alice: Any) -> None:
    from django.utils import translation

    profile = alice.profile
    profile.registration_number = "732829321"
    with translation.override("fr"):
        with pytest.raises(ValidationError) as refused:
            profile.full_clean()
        assert "chiffre de contrôle" in " ".join(refused.value.message_dict["registration_number"])


# -- the page ---------------------------------------------------------------------------------------------------


def test_your_business_lists_what_is_missing_then_saves_the_identity_compact(
    alice_client: Any, alice: Any
) -> None:
    html = alice_client.get(reverse("business")).content.decode()
    assert "Add your registration number: the formal notice needs it." in html
    settings_html = alice_client.get(reverse("profile")).content.decode()
    assert reverse("business") in settings_html and "Add your registration number" in settings_html

    answer = alice_client.post(reverse("business"), IDENTITY)
    assert answer.status_code == 302
    profile = Profile.objects.get(user=alice)
    assert (profile.registration_number, profile.vat_number) == ("73282932000074", "FR44732829320")
    assert profile.trade_name == "Studio Martin" and str(profile.country) == "FR"
    html = alice_client.get(reverse("business")).content.decode()
    assert "Your business identity is complete." in html


def test_your_business_refuses_bad_numbers_and_writes_nothing(alice_client: Any, alice: Any) -> None:
    answer = alice_client.post(
        reverse("business"), {**IDENTITY, "registration_number": "732829321", "vat_number": "FR00404833048"}
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "This SIREN is not valid" in html
    assert "does not match its SIREN" in html
    assert Profile.objects.get(user=alice).trade_name == ""  # nothing half-written


def test_your_business_speaks_french(bob: Any, client: Any) -> None:
    client.force_login(bob)
    html = client.get(reverse("business")).content.decode()
    assert "Votre activité" in html
    assert "Ajoutez votre numéro d’immatriculation\u00a0: la mise en demeure en a besoin." in html


# -- the logo ---------------------------------------------------------------------------------------------------


def _upload(client: Any, name: str, data: bytes, content_type: str) -> Any:
    return client.post(
        reverse("business"), {**IDENTITY, "logo": SimpleUploadedFile(name, data, content_type=content_type)}
    )


def test_a_png_logo_is_kept_re_encoded_and_served_with_its_type_fixed(alice_client: Any, alice: Any) -> None:
    original = image_bytes("PNG") + b"<script>alert(1)</script>"  # bytes after the image's end
    assert _upload(alice_client, "logo.png", original, "image/png").status_code == 302
    logo = BusinessLogo.objects.get(owner=alice)
    assert logo.content_type == "image/png" and b"<script>" not in bytes(logo.image)
    answer = alice_client.get(reverse("business_logo"))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/png"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Content-Disposition"] == "inline"
    assert Image.open(io.BytesIO(answer.content)).size == (40, 20)


@pytest.mark.parametrize("image_format", ["JPEG", "WEBP"])
def test_jpeg_and_webp_logos_are_accepted(image_format: str) -> None:
    _data, content_type = checked_logo(image_bytes(image_format))
    assert content_type == {"JPEG": "image/jpeg", "WEBP": "image/webp"}[image_format]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'


@pytest.mark.parametrize(
    ("name", "data", "content_type", "message"),
    [
        ("logo.svg", SVG, "image/svg+xml", "not SVG"),
        ("logo.png", SVG, "image/png", "not SVG"),  # an SVG named and declared as a PNG
        ("logo.png", b"GIF89a" + b"\0" * 40, "image/png", "not SVG"),
        ("logo.gif", image_bytes("GIF"), "image/gif", "not SVG"),
        ("logo.png", b"plain text", "image/png", "not SVG"),
    ],
)
def test_a_logo_that_is_not_png_jpeg_or_webp_is_refused(
    alice_client: Any, alice: Any, name: str, data: bytes, content_type: str, message: str
) -> None:
    answer = _upload(alice_client, name, data, content_type)
    assert answer.status_code == 400 and message in answer.content.decode()
    assert not BusinessLogo.objects.exists()
    assert Profile.objects.get(user=alice).trade_name == ""  # the identity waits for a valid form too


def test_a_logo_too_large_is_refused(alice_client: Any) -> None:
    data = image_bytes("PNG", size=(600, 600), noise=True)
    assert len(data) > LOGO_MAX_BYTES
    answer = _upload(alice_client, "logo.png", data, "image/png")
    assert answer.status_code == 400 and "too large: 512 KB at most" in answer.content.decode()
    assert not BusinessLogo.objects.exists()


def test_bob_gets_a_404_and_never_alices_logo(alice: Any, bob: Any, client: Any) -> None:
    BusinessLogo.objects.create(owner=alice, image=image_bytes("PNG"), content_type="image/png")
    client.force_login(bob)
    assert client.get(reverse("business_logo")).status_code == 404
    client.logout()
    assert client.get(reverse("business_logo")).status_code == 302  # to the login page


def test_the_logo_can_be_removed(alice_client: Any, alice: Any) -> None:
    BusinessLogo.objects.create(owner=alice, image=image_bytes("PNG"), content_type="image/png")
    alice_client.post(reverse("business"), {**IDENTITY, "remove_logo": "on"})
    assert not BusinessLogo.objects.exists()


# -- the first run ---------------------------------------------------------------------------------------------


def test_the_first_run_asks_who_the_freelancer_is_and_saves_it(client: Any) -> None:
    user = make_user("camille-login")
    client.force_login(user)
    html = client.get(reverse("crm:dashboard")).content.decode()
    assert "First, who are you to your clients?" in html and reverse("business_start") in html
    answer = client.post(
        reverse("business_start"), {"display_name": "Camille Martin", "trade_name": "Studio"}
    )
    assert answer.status_code == 302
    user.profile.refresh_from_db()
    assert (user.profile.display_name, user.profile.trade_name) == ("Camille Martin", "Studio")
    assert "First, who are you" not in client.get(reverse("crm:dashboard")).content.decode()


def test_the_first_run_needs_at_least_the_name(client: Any) -> None:
    user = make_user("camille-login")
    client.force_login(user)
    client.post(reverse("business_start"), {"display_name": "", "trade_name": "Studio"})
    user.profile.refresh_from_db()
    assert user.profile.trade_name == ""


# -- item 2: a new client speaks the freelancer's language, in their country ---------------------------------------


def test_an_english_freelancers_new_client_defaults_to_english_and_britain(
    alice_client: Any, alice: Any
) -> None:
    form = alice_client.get(reverse("crm:client_new")).context["form"]
    assert (form.initial["language"], form.initial["country"]) == ("en", "GB")


def test_the_business_address_decides_the_new_clients_country(alice_client: Any, alice: Any) -> None:
    Profile.objects.filter(user=alice).update(country="BE")
    form = alice_client.get(reverse("crm:client_new")).context["form"]
    assert (form.initial["language"], form.initial["country"]) == ("en", "BE")


def test_a_french_freelancers_new_client_stays_french(bob: Any, client: Any) -> None:
    client.force_login(bob)
    form = client.get(reverse("crm:client_new")).context["form"]
    assert (form.initial["language"], form.initial["country"]) == ("fr", "FR")


def test_the_api_gives_a_new_client_the_freelancers_language_and_country(alice: Any, client: Any) -> None:
    from clients.models import AccessToken

    _token, secret = AccessToken.issue(alice, "test", AccessToken.Scope.WRITE)
    answer = client.post(
        "/api/clients",
        json.dumps({"name": "Acme Ltd"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["language"] == "en"
    assert Client.objects.get(name="Acme Ltd").country == "GB"
    answer = client.post(
        "/api/clients",
        json.dumps({"name": "Dupont", "language": "fr"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.json()["language"] == "fr"


# -- the exports -----------------------------------------------------------------------------------------------


def test_the_exports_carry_the_identity_and_the_json_import_brings_it_back(
    alice_client: Any, alice: Any
) -> None:
    alice_client.post(reverse("business"), IDENTITY)
    document = json.loads(b"".join(alice_client.get(reverse("crm:export_json")).streaming_content))
    assert document["identity"]["trade_name"] == "Studio Martin"
    assert document["identity"]["registration_number"] == "73282932000074"
    archive = zipfile.ZipFile(
        io.BytesIO(b"".join(alice_client.get(reverse("crm:export_zip")).streaming_content))
    )
    identity_csv = archive.read("identity.csv").decode("utf-8-sig")
    assert identity_csv.splitlines()[0].startswith("display_name,trade_name,legal_form,registration_number")
    assert "Studio Martin" in identity_csv

    newcomer = make_user("newcomer", display_name="Déjà là")
    book.import_book(newcomer, book.read_document(json.dumps(document)), lambda done: None)
    profile = Profile.objects.get(user=newcomer)
    assert profile.display_name == "Déjà là"  # what the freelancer typed is kept
    assert (profile.trade_name, profile.vat_number, str(profile.country)) == (
        "Studio Martin",
        "FR44732829320",
        "FR",
    )


def test_an_import_with_a_bad_identity_is_refused_whole(alice: Any) -> None:
    from crm.dataio.reading import RefusedFile

    document = {"format": "confiance-book", "version": 1, "clients": [{"name": "Acme"}],
                "identity": {"registration_number": "123"}}  # fmt: skip
    newcomer = make_user("newcomer")
    with pytest.raises(RefusedFile):
        book.import_book(newcomer, document, lambda done: None)
    assert not Client.objects.filter(owner=newcomer).exists()
