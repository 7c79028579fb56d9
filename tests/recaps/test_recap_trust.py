"""A recap the client confirmed strengthens the promises it holds: kept on time, each earns RECAP_CONFIRMED_BONUS
more, on its side, as its own reason that says why. Pure formula first, then through the door."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.utils import translation

from crm.models import ClientHealth, Interaction
from crm.recaps.writing import Line, confirm_line, write
from crm.trust import formula
from crm.trust.door import journal_changed
from crm.trust.reasons import describe

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
TODAY = date(2026, 3, 10)


def _facts(promisor: str, confirmed_on: date | None) -> formula.ClientFacts:
    kept = formula.PromiseFact(
        1,
        date(2026, 2, 1),
        date(2026, 2, 10),
        "kept",
        date(2026, 2, 9),
        promisor=promisor,
        confirmed_on=confirmed_on,
    )
    return formula.ClientFacts(
        id=1, created_at=datetime(2026, 1, 1, tzinfo=UTC), promises=(kept,), owes_status_updates=False
    )


def _codes(health: formula.TrustHealth) -> dict[str, dict[str, Any]]:
    return {reason["code"]: reason for reason in health.reasons}


def test_a_confirmed_promise_kept_on_time_counts_more_as_its_own_reason() -> None:
    spoken = formula.compute(_facts("freelancer", None), NOW, TODAY)
    written = formula.compute(_facts("freelancer", date(2026, 2, 2)), NOW, TODAY)
    assert written.exact > spoken.exact
    assert "recap_promise_kept" in _codes(written) and "recap_promise_kept" not in _codes(spoken)
    assert _codes(written)["recap_promise_kept"]["component"] == formula.PROMISES
    assert written.sides[formula.MINE]["exact"] > spoken.sides[formula.MINE]["exact"]


def test_the_clients_confirmed_promise_strengthens_the_clients_side() -> None:
    written = formula.compute(_facts("client", date(2026, 2, 2)), NOW, TODAY)
    reason = _codes(written)["client_recap_promise_kept"]
    assert reason["component"] == formula.RECIPROCITY and reason["side"] == formula.THEIRS


def test_a_confirmation_after_today_or_a_promise_kept_late_earns_nothing() -> None:
    assert "recap_promise_kept" not in _codes(
        formula.compute(_facts("freelancer", date(2026, 3, 11)), NOW, TODAY)
    )
    late = formula.PromiseFact(
        1, date(2026, 2, 1), date(2026, 2, 10), "kept", date(2026, 2, 20), confirmed_on=date(2026, 2, 2)
    )
    facts = formula.ClientFacts(id=1, created_at=datetime(2026, 1, 1, tzinfo=UTC), promises=(late,))
    assert "recap_promise_kept" not in _codes(formula.compute(facts, NOW, TODAY))


def test_the_reason_says_so_in_both_languages() -> None:
    reason = {"code": "recap_promise_kept", "params": {"count": 2}, "impact": 3.0, "side": "mine"}
    with translation.override("en"):
        assert str(describe(reason)) == (
            "2 promises of recaps the client confirmed, kept on time: written down and agreed, they count more."
        )
    with translation.override("fr"):
        assert str(describe(reason)).startswith(
            "2 promesses de comptes rendus confirmés par le client, tenues à temps"
        )
    client_reason = {"code": "client_recap_promise_kept", "params": {"count": 1}, "impact": 1.0}
    with translation.override("en"):
        assert "confirmed in a written recap" in str(describe(client_reason))


def test_through_the_door_the_clients_confirmation_then_keeping_shows_in_the_trust_reasons(
    alice: Any, call: Interaction
) -> None:
    recap = write(call, "", "", [Line("freelancer", "Maquette", date(2026, 3, 12))])
    line = recap.lines.get()
    assert confirm_line(line, NOW)
    line.promise.keep(date(2026, 3, 10))
    journal_changed([call.client_id])
    codes = [reason["code"] for reason in ClientHealth.objects.get(client=call.client).reasons]
    assert "recap_promise_kept" in codes and "promise_kept_on_time" in codes
