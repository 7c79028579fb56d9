"""Scope drift (issue 26): repeated unpriced scope changes raise the guide's "ideas" conflict signal as a reason of
the client's word, with the guide's next step (clarify the objectives, write down what was agreed, price the extra
work). The formula's side is plain facts; the loader's reads them with the conflict signals (no query more)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from crm.models import ClientHealth
from crm.trust import formula
from crm.trust.formula import ClientFacts, ScopeChangeFact, compute
from crm.trust.reasons import describe
from tests.factories import make_client, make_project, make_scope_change
from tests.trust.facts import NOW, TODAY, at, day

N = formula.SCOPE_DRIFT_CHANGES
WINDOW = formula.SCOPE_DRIFT_WINDOW_DAYS


def _changes(*days_ago: int, priced: bool = False, state: str = "pending") -> tuple[ScopeChangeFact, ...]:
    return tuple(ScopeChangeFact(1000 + i, day(ago), priced, state) for i, ago in enumerate(days_ago))


def _health(changes: tuple[ScopeChangeFact, ...], now: Any = NOW) -> formula.TrustHealth:
    facts = ClientFacts(id=1, created_at=at(200), owes_status_updates=False, scope_changes=changes)
    return compute(facts, now, now.date())


def _drift(health: formula.TrustHealth) -> dict[str, Any] | None:
    return next((r for r in health.reasons if r["code"] == "scope_drift_unpriced"), None)


def test_fewer_unpriced_changes_than_the_threshold_raise_nothing() -> None:
    assert _drift(_health(_changes(*range(1, N)))) is None


def test_the_threshold_of_unpriced_changes_raises_the_ideas_reason_on_the_clients_word() -> None:
    health = _health(_changes(*(3 * k for k in range(1, N + 1))))
    reason = _drift(health)
    assert reason is not None
    assert (reason["component"], reason["side"]) == (formula.CONFLICTS, formula.THEIRS)
    assert reason["params"]["changes"] == N and reason["params"]["window_days"] == WINDOW
    assert reason["impact"] < 0
    # As much as a minor open conflict of ideas.
    assert health.exact == pytest.approx(_conflict_health().exact)
    assert len(reason["events"]) == N and {event["type"] for event in reason["events"]} == {"scope_change"}


def _conflict_health() -> formula.TrustHealth:
    facts = ClientFacts(
        id=1,
        created_at=at(200),
        owes_status_updates=False,
        conflicts=(formula.ConflictFact(1, "ideas", 1, day(3)),),
    )
    return compute(facts, NOW, TODAY)


@pytest.mark.parametrize(
    "changes",
    [
        _changes(1, 2, 3, priced=True),  # priced: the extra work is paid for
        _changes(1, 2, 3, state="declined"),  # declined: the scope did not move
        _changes(1, 2, WINDOW + 2),  # one asked before the window
    ],
    ids=["priced", "declined", "outside-the-window"],
)
def test_priced_declined_or_old_changes_do_not_count(changes: tuple[ScopeChangeFact, ...]) -> None:
    assert _drift(_health(changes)) is None


def test_accepted_and_pending_changes_both_count() -> None:
    changes = (*_changes(1, state="accepted"), *_changes(2, 3, state="pending"))
    assert _drift(_health(changes)) is not None


def test_the_drift_fades_out_smoothly_at_the_end_of_the_window() -> None:
    # The N-th newest change leaves the window: the signal fades over its last days, never a jump.
    changes = _changes(1, 2, WINDOW - 5)
    scores = []
    for hours in range(0, 24 * 12, 6):
        now = NOW + timedelta(hours=hours)
        scores.append(_health(changes, now).exact)
    assert scores[0] < scores[-1]
    assert max(abs(later - earlier) for earlier, later in zip(scores, scores[1:], strict=False)) < 3
    assert _drift(_health(changes, NOW + timedelta(days=12))) is None


@pytest.mark.parametrize(
    ("language", "text", "step"),
    [
        ("en", "3 changes of scope without a price in 60 days", "price the extra work"),
        ("fr", "3 changements de périmètre sans prix en 60 jours", "chiffrez le travail en plus"),
    ],
)
def test_the_reason_reads_with_the_guides_next_step(language: str, text: str, step: str) -> None:
    reason = _drift(_health(_changes(1, 2, 3)))
    with translation.override(language):
        said = describe(reason)
    assert text in said.text and step in said.next_step
    assert said.effect == "hurts"


@pytest.mark.django_db
def test_the_stored_trust_health_carries_the_drift_from_the_book(alice: Any) -> None:
    client = make_client(alice)
    project = make_project(client, budget=Decimal("1000"))
    today = date.today()
    for ago in (1, 2):
        make_scope_change(project, asked_on=today - timedelta(days=ago))
    make_scope_change(project, asked_on=today, price_change=Decimal("200"))  # priced: not counted
    codes = [reason["code"] for reason in ClientHealth.objects.get(client=client).reasons]
    assert "scope_drift_unpriced" not in codes
    third = make_scope_change(project, asked_on=today - timedelta(days=3))
    codes = [reason["code"] for reason in ClientHealth.objects.get(client=client).reasons]
    assert "scope_drift_unpriced" in codes
    # Declined by the freelancer: no longer drifting.
    from django.utils import timezone

    from crm.trust.door import journal_changed

    third.decide("freelancer", False, timezone.now())
    journal_changed([client.pk])
    codes = [reason["code"] for reason in ClientHealth.objects.get(client=client).reasons]
    assert "scope_drift_unpriced" not in codes
