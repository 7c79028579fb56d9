"""The one answer a client can give from their page: the day they will pay an overdue invoice.

It is recorded as the client's promise with the invoice's renegotiated due date, in one transaction; refused
with a clear message (and nothing changed) before today or outside the window, for another client's invoice, or
one not overdue; once only, whatever the number of submits; and counted by the trust engine as the client's word.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client as Browser
from django.urls import reverse

from crm.models import ClientHealth, ClientPage, Invoice, Promise
from crm.portal.forms import PaymentDateForm
from crm.trust.door import journal_changed
from crm.trust.health import recompute_client
from tests.factories import make_client, make_invoice

# 23:30 in Paris on 9 March is already 10 March in Kiritimati, still 9 March in Pago Pago.
NOW = "2026-03-09 22:30 +00:00"


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def late(alice: Any) -> Invoice:
    client = make_client(alice, name="Zoé", language="fr")
    ClientPage.objects.create(client=client)
    return make_invoice(
        client, number="F-007", amount=Decimal("800"), issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1)
    )


def _url(invoice: Invoice) -> str:
    return reverse("portal:page", kwargs={"token": invoice.client.page.token})


def _drawn_form(browser: Browser, invoice: Invoice) -> dict[str, str]:
    """The answer's hidden fields as the page draws them (its one-time token included)."""
    from tests.web.formpage import drawn_forms

    html = browser.get(_url(invoice)).content.decode()
    (form,) = [form for form in drawn_forms(html) if form.attrs.get("class") == "payment-date"]
    return form.data()


def _client_promises(invoice: Invoice) -> list[Promise]:
    return list(Promise.objects.filter(client=invoice.client, promisor=Promise.Promisor.CLIENT))


def test_confirming_a_date_records_the_clients_promise_and_the_new_due_date(late: Invoice) -> None:
    browser = Browser(enforce_csrf_checks=True)
    answer = browser.post(_url(late), {**_drawn_form(browser, late), "new_due_on": "2026-03-20"})
    assert answer.status_code == 302 and answer["Location"].endswith("?confirmed=1")
    late.refresh_from_db()
    assert late.renegotiated_due_on == date(2026, 3, 20)
    (promise,) = _client_promises(late)
    assert (promise.description, promise.made_on, promise.due_on, promise.state) == (
        "Régler la facture F-007",  # in the client's language
        date(2026, 3, 9),  # today in the freelancer's time zone (Paris), which the page shows
        date(2026, 3, 20),
        Promise.State.OPEN,
    )
    thanks = browser.get(answer["Location"]).content.decode()
    assert "votre nouvelle date de paiement est enregistrée" in thanks
    assert 'class="payment-date"' not in thanks  # no longer overdue: nothing left to answer


def test_the_answer_needs_the_csrf_token(late: Invoice) -> None:
    browser = Browser(enforce_csrf_checks=True)
    form = _drawn_form(browser, late)
    del form["csrfmiddlewaretoken"]
    assert browser.post(_url(late), {**form, "new_due_on": "2026-03-20"}).status_code == 403
    late.refresh_from_db()
    assert late.renegotiated_due_on is None and _client_promises(late) == []


def test_a_double_submit_records_once(late: Invoice) -> None:
    browser = Browser()
    form = {**_drawn_form(browser, late), "new_due_on": "2026-03-20"}
    first, second = browser.post(_url(late), form), browser.post(_url(late), form)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert len(_client_promises(late)) == 1
    # Without the one-time token (an old page, a script), the same date again still records nothing more.
    del form["form_token"]
    assert browser.post(_url(late), form).status_code == 302
    assert len(_client_promises(late)) == 1


def test_the_model_method_is_idempotent_and_atomic(late: Invoice) -> None:
    first = late.confirm_new_date_by_client(date(2026, 3, 20), date(2026, 3, 9))
    again = late.confirm_new_date_by_client(date(2026, 3, 20), date(2026, 3, 9))
    assert again.pk == first.pk
    assert len(_client_promises(late)) == 1


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026-03-08", "Choisissez aujourd’hui ou un jour suivant."),
        ("2101-01-01", "Saisissez une date comprise entre le 1 janvier 1970 et le 31 décembre 2100."),
        ("2026-02-30", "Saisissez une date valide."),
        ("", "Ce champ est obligatoire."),
        ("demain", "Saisissez une date valide."),
    ],
)
def test_a_bad_date_is_refused_clearly_and_changes_nothing(late: Invoice, typed: str, message: str) -> None:
    browser = Browser()
    answer = browser.post(_url(late), {**_drawn_form(browser, late), "new_due_on": typed})
    assert answer.status_code == 400
    assert message in answer.content.decode()
    late.refresh_from_db()
    assert late.renegotiated_due_on is None and _client_promises(late) == []


def test_another_clients_invoice_is_refused_even_with_a_real_id(alice: Any, bob: Any, late: Invoice) -> None:
    others = [
        make_invoice(make_client(alice, name="Autre"), issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1)),
        make_invoice(make_client(bob, name="Chez Bob"), issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1)),
    ]
    browser = Browser()
    for other in others:
        form = {**_drawn_form(browser, late), "invoice": str(other.pk), "new_due_on": "2026-03-20"}
        answer = browser.post(_url(late), form)
        assert answer.status_code == 400
        assert "Cette facture ne peut pas recevoir de réponse depuis cette page." in answer.content.decode()
    for invoice in (late, *others):
        invoice.refresh_from_db()
        assert invoice.renegotiated_due_on is None
    assert not Promise.objects.filter(promisor=Promise.Promisor.CLIENT).exists()


def test_an_invoice_not_overdue_or_paid_cannot_be_answered(late: Invoice) -> None:
    due = make_invoice(late.client, issued_on=date(2026, 3, 1), due_on=date(2026, 4, 1))
    with pytest.raises(ValidationError):
        due.confirm_new_date_by_client(date(2026, 4, 10), date(2026, 3, 9))
    late.mark_paid(date(2026, 3, 5))
    with pytest.raises(ValidationError):
        late.confirm_new_date_by_client(date(2026, 3, 20), date(2026, 3, 9))
    assert _client_promises(late) == []


def test_today_is_the_freelancers_day(alice: Any, late: Invoice) -> None:
    """In Kiritimati it is already 10 March: the 9th is refused; in Pago Pago it is still the 9th: accepted."""
    profile = alice.profile
    profile.time_zone = "Pacific/Kiritimati"
    profile.save()
    browser = Browser()
    answer = browser.post(_url(late), {**_drawn_form(browser, late), "new_due_on": "2026-03-09"})
    assert answer.status_code == 400
    profile.time_zone = "Pacific/Pago_Pago"
    profile.save()
    answer = browser.post(_url(late), {**_drawn_form(browser, late), "new_due_on": "2026-03-09"})
    assert answer.status_code == 302


def test_the_date_picker_offers_only_today_onwards(late: Invoice) -> None:
    form = PaymentDateForm(client=late.client, today=date(2026, 3, 9))
    assert form.fields["new_due_on"].widget.attrs["min"] == "2026-03-09"
    assert form.fields["new_due_on"].widget.attrs["max"] == "2100-12-31"


def test_the_trust_engine_counts_the_promised_date_kept_or_missed(late: Invoice) -> None:
    """Part 4: the date is the client's promise, which the trust engine weighs with its invoice (issue 22: one story
    per debt, not a promise of the client too)."""
    promise = late.confirm_new_date_by_client(date(2026, 3, 20), date(2026, 3, 9))
    with time_machine.travel("2026-03-25 10:00 +01:00", tick=False):
        recompute_client(late.client_id)
        missed = ClientHealth.objects.get(client_id=late.client_id)
        promise.keep(date(2026, 3, 19))
        journal_changed([late.client_id])  # as every path that applies the verb does
        kept = ClientHealth.objects.get(client_id=late.client_id)
    assert not any(code.startswith("client_promise_") for code in {r["code"] for r in missed.reasons})
    owed = next(r for r in missed.reasons if r["code"] == "invoice_overdue")
    assert owed["params"]["words_broken"] == 1 and owed["params"]["new_due_on"] == "2026-03-20"
    assert kept.score > missed.score


def _reasons(invoice: Invoice) -> set[str]:
    return {reason["code"] for reason in ClientHealth.objects.get(client_id=invoice.client_id).reasons}


def test_paying_the_invoice_keeps_the_clients_promise_to_pay(late: Invoice) -> None:
    """A client who pays by the date they gave has kept their word: the promise never turns into a broken one."""
    promise = late.confirm_new_date_by_client(date(2026, 3, 20), date(2026, 3, 9))
    assert promise.invoice == late
    late.mark_paid(date(2026, 3, 18))
    promise.refresh_from_db()
    assert (promise.state, promise.kept_on) == (Promise.State.KEPT, date(2026, 3, 18))
    with time_machine.travel("2026-05-01 10:00 +02:00", tick=False):
        recompute_client(late.client_id)
        codes = _reasons(late)
    assert "invoice_paid_on_renegotiated_date" in codes  # the word kept, weighed with the invoice
    assert not {code for code in codes if code.startswith("client_promise_")}


def test_paying_after_the_date_given_keeps_it_late(late: Invoice) -> None:
    promise = late.confirm_new_date_by_client(date(2026, 3, 20), date(2026, 3, 9))
    late.mark_paid(date(2026, 4, 10))
    promise.refresh_from_db()
    assert promise.outcome(date(2026, 4, 11)) == Promise.Outcome.KEPT_LATE


def test_a_payment_taken_back_reopens_the_promise_it_kept(late: Invoice) -> None:
    promise = late.confirm_new_date_by_client(date(2026, 3, 20), date(2026, 3, 9))
    late.mark_paid(date(2026, 3, 18))
    late.reopen()
    promise.refresh_from_db()
    assert (promise.state, promise.kept_on) == (Promise.State.OPEN, None)


def test_undoing_paid_reopens_the_promise_it_kept(alice: Any, late: Invoice) -> None:
    from crm.models import Undo

    promise = late.confirm_new_date_by_client(date(2026, 3, 10), date(2026, 3, 9))
    browser = Browser()
    browser.force_login(alice)
    browser.post(reverse("web:invoice_mark_paid", kwargs={"invoice_id": late.pk}))
    promise.refresh_from_db()
    assert promise.state == Promise.State.KEPT
    undo = Undo.objects.get(owner=alice)
    browser.post(reverse("web:undo", kwargs={"undo_id": undo.pk}))
    late.refresh_from_db()
    promise.refresh_from_db()
    assert late.paid_on is None
    assert (promise.state, promise.kept_on) == (Promise.State.OPEN, None)


def test_another_promise_of_the_client_is_not_touched_by_the_payment(late: Invoice) -> None:
    from tests.factories import make_promise

    other = make_promise(
        late.client, promisor=Promise.Promisor.CLIENT, made_on=date(2026, 3, 1), due_on=date(2026, 3, 15)
    )
    late.confirm_new_date_by_client(date(2026, 3, 20), date(2026, 3, 9))
    late.mark_paid(date(2026, 3, 18))
    other.refresh_from_db()
    assert other.state == Promise.State.OPEN


def test_a_payment_recorded_by_the_api_or_an_edit_keeps_the_promise_too(alice: Any, late: Invoice) -> None:
    """Every way of recording a payment goes through the invoice's save: the API's PATCH here."""
    from clients.models import AccessToken
    from tests.api.conftest import ApiCaller

    promise = late.confirm_new_date_by_client(date(2026, 3, 20), date(2026, 3, 9))
    api = ApiCaller(AccessToken.issue(alice, "t", AccessToken.Scope.WRITE)[1])
    assert api.patch(f"/invoices/{late.pk}", {"paid_on": "2026-03-19"}).status_code == 200
    promise.refresh_from_db()
    assert (promise.state, promise.kept_on) == (Promise.State.KEPT, date(2026, 3, 19))
    assert api.patch(f"/invoices/{late.pk}", {"paid_on": None}).status_code == 200
    promise.refresh_from_db()
    assert promise.state == Promise.State.OPEN
