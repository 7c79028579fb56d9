"""Issue 22, items 2 and 3: one story per debt, and what is owed weighed across currencies.

004 "Le paiement": "Avant d'amalgamer, le webmaster doit essayer de comprendre s'il s'agit vraiment d'un mauvais
payeur ou d'autres problèmes solutionnables et négocier un autre délai de paiement." — a new date is the client's
word about the same debt: kept, it helps; broken, it weighs on top of the lateness, which still runs from the
invoice's first due date. "Les paroles en l'air sont vraiment source de mépris et de conflits" (004, "Les
promesses").
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone, translation

from crm.models import Rate
from crm.trust import formula
from crm.trust.health import recompute_client
from crm.trust.reasons import describe
from tests.factories import make_client, make_invoice, make_promise
from tests.trust.facts import TODAY, codes, day, invoice, model_client, paid_on_time, promise, score


def _reason(health: formula.TrustHealth, code: str) -> dict:
    return next(r for r in health.reasons if r["code"] == code)


# -- one story per debt -------------------------------------------------------------------------------------------


def _owed(**fields: object) -> formula.InvoiceFact:
    """1,200 EUR issued 90 days ago, due 60 days ago, unpaid."""
    return invoice("1200", 90, terms=30, **fields)


def test_breaking_a_promise_to_pay_scores_lower_than_never_promising() -> None:
    never = model_client(invoices=(*paid_on_time(3), _owed()))
    debt = _owed(renegotiated_due_on=20)
    word = replace(promise(30, 20, promisor="client"), invoice=debt.id)
    broken = model_client(invoices=(*paid_on_time(3), debt), promises=(*model_client().promises, word))
    assert score(broken).exact < score(never).exact - 1
    # One story, weighed once: no separate broken promise of the client, one invoice reason naming both facts.
    assert not [code for code in codes(score(broken)) if code.startswith("client_promise_")]
    reason = _reason(score(broken), "invoice_overdue")
    assert reason["params"]["days_late"] == 60
    assert reason["params"]["due_on"] == day(60).isoformat()
    assert reason["params"]["new_due_on"] == day(20).isoformat()
    assert reason["params"]["words_broken"] == 1
    assert reason["events"] == [{"type": "invoice", "id": debt.id}]


def test_a_renegotiated_date_alone_is_the_same_word_and_breaking_it_costs_as_much() -> None:
    never = model_client(invoices=(*paid_on_time(3), _owed()))
    renegotiated = model_client(invoices=(*paid_on_time(3), _owed(renegotiated_due_on=20)))
    assert score(renegotiated).exact < score(never).exact - 1
    assert _reason(score(renegotiated), "invoice_overdue")["params"]["words_broken"] == 1


def test_the_lateness_of_a_debt_runs_from_its_original_due_date() -> None:
    pending = model_client(invoices=(*paid_on_time(3), _owed(renegotiated_due_on=-10)))
    never = model_client(invoices=(*paid_on_time(3), _owed()))
    reason = _reason(score(pending), "invoice_overdue")
    assert reason["params"]["days_late"] == 60  # not reset by the new date agreed, still to come
    assert reason["params"]["due_on"] == day(60).isoformat()
    assert reason["params"]["words_open"] == 1
    # A word still to be kept neither helps nor hurts yet: the debt weighs as if no new date were agreed.
    assert score(pending).exact == pytest.approx(score(never).exact)


def test_keeping_the_new_date_beats_never_promising_and_the_lateness_still_shows() -> None:
    paid_late = model_client(invoices=(*paid_on_time(3), _owed(paid_on=19)))
    kept_word = model_client(invoices=(*paid_on_time(3), _owed(renegotiated_due_on=20, paid_on=19)))
    assert score(kept_word).exact > score(paid_late).exact
    reason = _reason(score(kept_word), "invoice_paid_on_renegotiated_date")
    assert reason["params"]["days_late"] == 41 and reason["params"]["words_kept"] == 1


def test_the_reason_of_a_broken_promise_to_pay_names_the_debt_and_the_word_once_in_both_languages() -> None:
    debt = _owed(renegotiated_due_on=20)
    word = replace(promise(30, 20, promisor="client"), invoice=debt.id)
    reason = _reason(score(model_client(invoices=(debt,), promises=(word,))), "invoice_overdue")
    with translation.override("en"):
        text = describe(reason, TODAY).text
    assert text.count("overdue by 60 days") == 1 and text.count("promise to pay by") == 1
    with translation.override("fr"):
        texte = describe(reason, TODAY).text
    assert texte.count("60 jours") == 1 and texte.count("promesse") == 1


@pytest.mark.django_db
def test_an_invoice_row_counts_its_lateness_from_its_original_due_date(alice: Any) -> None:
    today = timezone.localdate()
    client = make_client(alice)
    owed = make_invoice(
        client,
        issued_on=today - timedelta(days=90),
        due_on=today - timedelta(days=60),
        renegotiated_due_on=today - timedelta(days=20),
    )
    assert owed.lateness(today) == 60
    assert owed.is_overdue(today)  # listed from the new date, which has passed
    owed.renegotiated_due_on = today + timedelta(days=5)
    assert not owed.is_overdue(today) and owed.lateness(today) == 60


@pytest.mark.django_db
def test_the_loader_weighs_a_linked_promise_to_pay_with_its_invoice(alice: Any) -> None:
    today = timezone.localdate()
    client = make_client(alice)
    owed = make_invoice(
        client,
        issued_on=today - timedelta(days=90),
        due_on=today - timedelta(days=60),
        renegotiated_due_on=today - timedelta(days=20),
    )
    make_promise(
        client,
        promisor="client",
        made_on=today - timedelta(days=30),
        due_on=today - timedelta(days=20),
        invoice=owed,
    )
    health = recompute_client(client.pk)
    assert [r["code"] for r in health.reasons if r["code"].startswith("client_promise_")] == []
    assert next(r for r in health.reasons if r["code"] == "invoice_overdue")["params"]["words_broken"] == 1


# -- currencies ---------------------------------------------------------------------------------------------------


def test_a_small_invoice_in_a_second_currency_does_not_weigh_as_all_that_was_billed() -> None:
    # Three 1,200 EUR invoices paid on time, and 100 GBP (about 117 EUR) unpaid, 30 days late.
    in_pounds = replace(invoice("100", 60, terms=30), currency="GBP", common_amount=117.0)
    same_in_euros = replace(invoice("117", 60, terms=30), id=in_pounds.id)
    pounds = score(model_client(invoices=(*paid_on_time(3), in_pounds)))
    euros = score(model_client(invoices=(*paid_on_time(3), same_in_euros)))
    reason = _reason(pounds, "invoice_overdue")
    assert reason["params"]["share"] == pytest.approx(
        0.03, abs=0.01
    )  # not 1.0: a small part of what was billed
    assert reason["params"]["amounts"] == {"GBP": "100"}  # the original amount is what the reason shows
    assert pounds.exact == pytest.approx(euros.exact)


def test_a_currency_without_a_rate_is_weighed_in_its_own_currency_and_the_reason_says_so() -> None:
    unknown = replace(invoice("100", 60, terms=30), currency="XAF")
    reason = _reason(score(model_client(invoices=(*paid_on_time(3), unknown))), "invoice_overdue")
    assert reason["params"]["no_rate"] == ["XAF"]
    assert reason["params"]["share"] == 1.0  # alone in its currency: the fallback of docs/trust-model.md
    with translation.override("en"):
        assert "No exchange rate is known for XAF" in describe(reason, TODAY).text
    with translation.override("fr"):
        assert "Aucun taux de change connu pour XAF" in describe(reason, TODAY).text


@pytest.mark.django_db
def test_the_loader_converts_with_the_rate_of_the_invoice_day_or_the_nearest_earlier_one(alice: Any) -> None:
    today = timezone.localdate()
    Rate.objects.filter(currency="GBP").delete()
    Rate.objects.create(currency="GBP", day=today - timedelta(days=80), per_euro=Decimal("0.80"))
    Rate.objects.create(currency="GBP", day=today - timedelta(days=50), per_euro=Decimal("0.50"))
    client = make_client(alice)
    make_invoice(
        client,
        amount=Decimal("1000.00"),
        issued_on=today - timedelta(days=100),
        due_on=today - timedelta(days=90),
        paid_on=today - timedelta(days=90),
    )
    make_invoice(
        client,
        amount=Decimal("800.00"),
        currency="GBP",
        issued_on=today - timedelta(days=70),  # between the two rates: 0.80 (10 days earlier)
        due_on=today - timedelta(days=40),
    )
    owed = next(r for r in recompute_client(client.pk).reasons if r["code"] == "invoice_overdue")
    assert owed["params"]["share"] == 0.5  # 800 GBP = 1,000 EUR, half of 2,000 EUR billed
    assert owed["params"]["amounts"] == {"GBP": "800.00"}
    assert "no_rate" not in owed["params"]


@pytest.mark.django_db
def test_the_shipped_ecb_rates_are_loaded_by_the_data_migration() -> None:
    # Published by the ECB (eurofxref-hist.csv) for 2 January 2024 and 9 May 2025.
    assert Rate.objects.get(currency="USD", day="2024-01-02").per_euro == Decimal("1.0956")
    assert Rate.objects.get(currency="GBP", day="2025-05-09").per_euro == Decimal("0.8477")
    assert Rate.objects.get(currency="JPY", day="2025-05-09").per_euro == Decimal("163.36")
