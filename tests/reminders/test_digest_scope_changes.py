"""The weekly digest lists the scope changes waiting for a decision (issue 26): whose decision, the project, the
price or "not priced", in the freelancer's language, in both parts; decided ones and bob's never."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from crm.reminders.digest import build_digest, digest_message
from tests.factories import make_client, make_project, make_scope_change

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.fixture
def changes(alice: Any, bob: Any) -> dict[str, Any]:
    with time_machine.travel(NOW, tick=False):
        shop = make_project(
            make_client(alice, name="Atelier Dupont"), title="Boutique", budget=Decimal("5000")
        )
        theirs = make_scope_change(shop, asked_on=date(2026, 11, 20), description="Un blog en plus")
        mine = make_scope_change(
            shop,
            asked_on=date(2026, 11, 21),
            asked_by="freelancer",
            description="Version anglaise",
            price_change=Decimal("600.00"),
        )
        done = make_scope_change(shop, asked_on=date(2026, 11, 19), description="Déjà décidé")
        done.decide("freelancer", True, NOW)
        make_scope_change(make_project(make_client(bob, name="Bob's secret")), description="Bob's change")
    return {"theirs": theirs, "mine": mine, "done": done}


def test_the_digest_holds_the_pending_changes_oldest_first(alice: Any, changes: dict[str, Any]) -> None:
    digest = build_digest(alice, NOW)
    assert [c.pk for c in digest.pending_scope_changes] == [changes["theirs"].pk, changes["mine"].pk]
    assert [c.waits_for_me for c in digest.pending_scope_changes] == [True, False]
    assert not digest.is_empty


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", ["Scope changes waiting for a decision", "Un blog en plus — not priced. Waiting for your decision.",
                "Version anglaise — 600.00 EUR. Waiting for the client's decision."]),
        ("fr", ["Changements de périmètre en attente d’une décision",
                "Un blog en plus — non chiffré. En attente de votre décision.",
                "Version anglaise — 600,00 EUR. En attente de la décision du client."]),
    ],
)  # fmt: skip
def test_the_digest_email_lists_them_in_the_freelancers_language(
    alice: Any, changes: dict[str, Any], language: str, said: list[str]
) -> None:
    alice.profile.language = language
    alice.profile.save(update_fields=["language"])
    message = digest_message(alice, NOW)
    html = message.alternatives[0][0]
    for text in said:
        assert text in message.body
        assert text.split(" — ")[0] in html
    assert "Atelier Dupont — Boutique" in message.body
    assert "Déjà décidé" not in message.body and "Bob's change" not in message.body
