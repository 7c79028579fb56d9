"""The late-payment amounts on the client's page, where the freelancer claims them (crm/payments/interest.py).

The claim choice and the client's regime are the client's fields (crm/payments), the rates the stored ones: the page
draws the amounts of the worked example of docs/payments.md to the cent, in the client's language; without a
claim, nothing is shown.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from crm.models import ClientPage, Invoice
from crm.portal.page import late_payment_amounts, page_sections
from tests.factories import make_client, make_invoice

# docs/payments.md's worked example: 2,400.00 € due 15 May 2025, 97 days late on 20 August 2025.
EXAMPLE_DAY = date(2025, 8, 20)


def _example(owner: Any, **claim: Any) -> Invoice:
    client = make_client(owner, name="Morel SARL", language="fr")
    for field, value in claim.items():
        setattr(client, field, value)
    invoice = make_invoice(
        client,
        amount=Decimal("2400.00"),
        issued_on=date(2025, 4, 15),
        due_on=date(2025, 5, 15),
    )
    invoice.client = client
    return invoice


def test_the_worked_example_where_claimed(alice: Any) -> None:
    invoice = _example(alice, claim_late_payment=True, kind="business", country="FR")
    claim = late_payment_amounts(invoice, EXAMPLE_DAY)
    assert claim is not None
    assert (claim.days_late, claim.interest, claim.compensation_eur, claim.total) == (
        97, Decimal("80.52"), Decimal("40.00"), Decimal("120.52")
    )  # fmt: skip


def test_nothing_where_not_claimed_or_nothing_is_owed(alice: Any) -> None:
    assert late_payment_amounts(_example(alice), EXAMPLE_DAY) is None  # waived unless chosen
    waived = _example(alice, claim_late_payment=False, kind="business", country="FR")
    assert late_payment_amounts(waived, EXAMPLE_DAY) is None
    outside_eu = _example(alice, claim_late_payment=True, kind="business", country="CH")
    assert late_payment_amounts(outside_eu, EXAMPLE_DAY) is None
    on_time = _example(alice, claim_late_payment=True, kind="business", country="FR")
    assert late_payment_amounts(on_time, date(2025, 5, 15)) is None


def _page_html(invoice: Invoice) -> str:
    page = ClientPage.objects.create(client=invoice.client)
    page.client = invoice.client  # the claim choice set above
    with translation.override("fr"):
        sections = page_sections(page, EXAMPLE_DAY)
        return render_to_string(
            "portal/page.html", {"page": page, "client": page.client, "freelancer": "Léa", **sections}
        )


def test_the_page_shows_the_amounts_in_the_clients_language(alice: Any) -> None:
    html = _page_html(_example(alice, claim_late_payment=True, kind="business", country="FR"))
    assert "intérêts de retard pour 97 jours\u00a0: 80,52\u00a0EUR" in html
    assert "l’indemnité forfaitaire pour frais de recouvrement\u00a0: 40,00\u00a0EUR" in html
    assert "Code de commerce, articles L441-10 et D441-5." in html


def test_the_page_shows_no_amount_where_not_claimed(alice: Any) -> None:
    html = _page_html(_example(alice))
    assert "2\u00a0400,00\u00a0EUR" in html and "intérêts de retard" not in html


def test_a_consumer_owes_interest_from_the_formal_notice_as_on_the_invoice_page(alice: Any) -> None:
    from datetime import UTC, datetime

    from crm.models import PaymentReminder
    from crm.payments.claims import follow_up_of

    invoice = _example(alice, claim_late_payment=True, kind="consumer", country="FR")
    invoice.client.save()
    page = ClientPage.objects.create(client=invoice.client)
    before_notice = page_sections(page, EXAMPLE_DAY)["invoices"][0]["claim"]
    PaymentReminder.objects.create(
        owner=alice,
        invoice=invoice,
        step=PaymentReminder.Step.FORMAL_NOTICE,
        due_basis=invoice.due_on,
        due_on=date(2025, 6, 20),
        state=PaymentReminder.State.SENT,
        sent_at=datetime(2025, 6, 20, 9, tzinfo=UTC),
    )
    after_notice = page_sections(page, EXAMPLE_DAY)["invoices"][0]["claim"]
    assert before_notice is None  # nothing owed to a consumer before the notice
    assert after_notice is not None and after_notice == follow_up_of(invoice, EXAMPLE_DAY)["claim"]
    assert after_notice.interest > 0 and after_notice.compensation_eur == 0  # from the notice on, no 40 EUR
