"""Issue 24 in a real browser, in French and in English: a new freelancer signs up, says who they are in the first
run, fills the rest of their business identity in Settings, and their client's page, a status-update draft, a
payment reminder and the formal notice all show it, never the login name.

Takes the README's screenshots of the client's page with the identity when asked:

    TAKE_SCREENSHOTS=1 .venv/bin/pytest tests/web/test_browser_business_identity.py -m browser
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from crm.models import ClientPage, PaymentReminder
from tests.factories import make_client, make_invoice, make_project, make_promise, seed_late_payment_rates
from tests.web.test_browser import serious_violations
from tests.web.test_browser_onboarding import browser_context  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"
LOGIN = "cml-login-7"
WORDS = {
    "fr": {
        "locale": "fr-FR",
        "welcome": "Bienvenue",
        "creditor": "Créancier\u00a0:",
        "kept_by": "tenu à jour par",
    },
    "en": {"locale": "en-GB", "welcome": "Welcome", "creditor": "Creditor:", "kept_by": "kept up to date by"},
}


def _loaded_logo_width(page: Any, selector: str) -> int:
    """Return the logo's drawn width once the browser has loaded it (0 would be a broken image)."""
    page.wait_for_function(f"document.querySelector({selector!r})?.complete")
    return page.evaluate(f"document.querySelector({selector!r}).naturalWidth")


def _logo() -> bytes:
    """Return a small PNG logo: the initials on a coloured square."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (160, 64), (250, 246, 238))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4, 4, 60, 60), radius=10, fill=(196, 84, 44))
    draw.text((18, 22), "SM", fill=(255, 255, 255), font_size=22)
    draw.text((70, 22), "Studio", fill=(60, 40, 30), font_size=20)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_client_sees_the_business_identity_never_the_login_name(
    browser_context: Callable[..., Any],  # noqa: F811 (the imported fixture)
    live_server: Any,
    language: str,
    tmp_path: Path,
) -> None:
    words = WORDS[language]
    page = browser_context(locale=words["locale"])
    # 1. Sign up, then the first run asks who the freelancer is to their clients.
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_username", LOGIN)
    page.fill("#id_email", "camille@example.com")
    page.fill("#id_password1", "un-long-mot-de-passe-42")
    page.fill("#id_password2", "un-long-mot-de-passe-42")
    page.click("main button[type=submit]")
    page.wait_for_selector(".first-run .business-start")
    assert words["welcome"] in page.inner_text("#toasts")
    assert serious_violations(page) == []
    page.fill("#id_display_name", "Camille Martin")
    page.fill("#id_trade_name", "Studio Martin")
    page.click(".business-start button[type=submit]")
    page.wait_for_selector(".first-run-paths")
    assert page.locator(".business-start").count() == 0

    # 2. The rest in Settings → Your business, which says what the formal notice still needs.
    page.goto(f"{live_server.url}{reverse('profile')}")
    page.click(f"a[href='{reverse('business')}']")
    assert page.locator("#identity-missing li").count() >= 3
    assert serious_violations(page) == []
    page.select_option("#id_legal_form", "sasu")
    page.fill("#id_registration_number", "732 829 320 00074")
    page.fill("#id_vat_number", "FR 44 732829320")
    page.fill("#id_address_line1", "12 rue de la Paix")
    page.fill("#id_postcode", "75002")
    page.fill("#id_city", "Paris")
    page.select_option("#id_country", "FR")
    page.fill("#id_business_email", "contact@studio-martin.example")
    page.fill("#id_signature", "Sites pour artisans")
    page.set_input_files("#id_logo", files=[{"name": "logo.png", "mimeType": "image/png", "buffer": _logo()}])
    page.click("main form button[type=submit]")
    page.wait_for_selector("#identity-complete")
    assert _loaded_logo_width(page, "img.business-logo") == 160
    user = get_user_model().objects.get(username=LOGIN)
    assert user.profile.language == language
    assert (user.profile.registration_number, user.profile.trade_name) == ("73282932000074", "Studio Martin")

    # 3. A client late on an invoice, with a page (in the freelancer's language: item 2's default).
    today = timezone.localdate()
    client = make_client(user, name="Boulangerie Roux", email="compta@roux.example", language=language)
    make_project(client, title="Site vitrine", goals="Plus de commandes en ligne")
    make_promise(client, description="Livrer la maquette", made_on=today, due_on=today + timedelta(days=5))
    seed_late_payment_rates()
    invoice = make_invoice(
        client, number="F-7", amount=Decimal("2400.00"), issued_on=today - timedelta(days=70),
        due_on=today - timedelta(days=40),
    )  # fmt: skip
    for step in (2, 3):
        PaymentReminder.objects.create(
            owner=user, invoice=invoice, step=step, due_basis=invoice.due_on, due_on=today
        )
    client_page = ClientPage.objects.create(client=client)

    # 4. The client's page, opened as the client does (no login).
    visitor = browser_context(locale=words["locale"])
    visitor.goto(f"{live_server.url}{reverse('portal:page', kwargs={'token': client_page.token})}")
    text = visitor.inner_text("body")
    assert LOGIN not in visitor.content()
    assert "Studio Martin" in visitor.inner_text(".site-header")
    assert _loaded_logo_width(visitor, ".site-header img.business-logo") == 160
    assert f"{words['kept_by']} Camille Martin" in text
    footer = visitor.inner_text(".business-identity")
    assert "Studio Martin (SASU)" in footer and "SIRET 73282932000074" in footer and "75002 Paris" in footer
    folder = SCREENSHOTS if os.environ.get("TAKE_SCREENSHOTS") == "1" else tmp_path
    assert serious_violations(visitor) == []
    visitor.screenshot(path=str(folder / f"client-page-identity-{language}.png"), full_page=True)

    # 5. The status-update draft, signed with the identity.
    page.goto(
        f"{live_server.url}{reverse('reminders:prepare_status_update', kwargs={'client_id': client.pk})}"
    )
    draft = page.input_value("#status-update-draft textarea")
    assert LOGIN not in draft
    assert draft.rstrip().endswith("Camille Martin\nStudio Martin\nSites pour artisans")

    # 6. The payment reminder and the formal notice, as the client will read them.
    page.goto(f"{live_server.url}{reverse('reminders:payment_reminders')}")
    reminders = page.locator("article.reminder pre.email-preview")
    assert reminders.count() == 2
    firm, notice = (reminders.nth(n).inner_text() for n in range(2))
    for text in (firm, notice):
        assert LOGIN not in text
        assert "Camille Martin\nStudio Martin\nSites pour artisans" in text
    assert words["creditor"] not in firm
    assert notice.startswith(words["creditor"])
    for line in ("Studio Martin (SASU)", "SIRET 73282932000074", "12 rue de la Paix", "75002 Paris"):
        assert line in notice
