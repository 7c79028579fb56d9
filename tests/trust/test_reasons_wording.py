from __future__ import annotations

from datetime import date
from itertools import combinations
from typing import Any

import pytest
from django.utils import translation

from crm.trust.reasons import CODES, describe

OVERDUE = {
    "code": "invoice_overdue",
    "component": "payments",
    "impact": -25.0,
    "params": {"count": 1, "days_late": 65, "amount": "4500.00"},
    "events": [],
}


def test_overdue_amount_reads_in_the_freelancers_locale() -> None:
    with translation.override("fr"):
        # French groups thousands with a no-break space.
        assert "(4\xa0500,00)" in describe(OVERDUE).text
    with translation.override("en"):
        assert "(4,500.00)" in describe(OVERDUE).text


# -- issue 13: every reason has its own next step, and day counts come from the stored dates ----------------

SAMPLE_PARAMS: dict[str, Any] = {
    "count": 2,
    "days_late": 12,
    "days_overdue": 40,
    "due_on": "2026-01-20",
    "amounts": {"EUR": "1200.00"},
    "severity": 2,
    "longest_gap_days": 20,
    "cadence_days": 7,
    "max_days": 6,
    "days_waiting": 4,
    "since_on": "2026-02-25",
    "needed": 3,
    "expires_on": "2026-03-20",
    "side_score": 30,
    "margin": 25,
}


def _samples() -> list[dict[str, Any]]:
    samples = [
        {"code": code, "impact": -1.0, "side": "", "params": dict(SAMPLE_PARAMS), "events": []}
        for code in sorted(CODES)
    ]
    renegotiated = {**SAMPLE_PARAMS, "renegotiated": True}
    samples.append({"code": "invoice_overdue", "impact": -1.0, "params": renegotiated, "events": []})
    return samples


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_two_reasons_share_a_next_step_word_for_word(language: str) -> None:
    # Issue 13, point 9: a payment conflict and an overdue invoice used to say the same thing.
    with translation.override(language):
        steps = [(s["code"], describe(s).next_step) for s in _samples()]
    said = [(code, step) for code, step in steps if step]
    assert len(said) >= 25
    for (first_code, first), (second_code, second) in combinations(said, 2):
        assert first != second, f"{first_code} and {second_code} both say: {first}"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_reason_reads_in_both_languages(language: str) -> None:
    with translation.override(language):
        for sample in _samples():
            said = describe(sample)
            assert said.text and said.text != sample["code"]


def test_day_counts_are_drawn_from_the_stored_dates_when_the_day_is_given() -> None:
    # Computed yesterday with 65 days late; drawn today, it says 66, like the invoice row beside it.
    reason = {
        "code": "invoice_overdue",
        "impact": -20.0,
        "params": {"count": 1, "days_late": 65, "due_on": "2026-01-01", "amounts": {"EUR": "4500.00"}},
        "events": [],
    }
    with translation.override("fr"):
        assert "65 jours" in describe(reason).text
        assert "66 jours" in describe(reason, date(2026, 3, 8)).text


def test_amounts_in_different_currencies_are_named_each_and_never_added() -> None:
    reason = {
        "code": "invoice_overdue",
        "impact": -20.0,
        "params": {"count": 2, "days_late": 30, "amounts": {"USD": "800.00", "EUR": "1234.56"}},
        "events": [],
    }
    with translation.override("en"):
        text = describe(reason).text
    assert "1,234.56\xa0EUR and 800.00\xa0USD" in text
    assert "2,034" not in text


def test_what_helps_and_what_hurts_is_said_besides_any_colour() -> None:
    helps = {"code": "invoice_paid_on_time", "impact": 5.0, "side": "client", "params": {"count": 1}}
    hurts = {"code": "promise_overdue", "impact": -5.0, "side": "mine", "params": {"count": 1}}
    assert (describe(helps).effect, describe(helps).side) == ("helps", "client")
    assert (describe(hurts).effect, describe(hurts).side) == ("hurts", "mine")
    with translation.override("fr"):
        assert describe(hurts).side_label == "Ma parole"
