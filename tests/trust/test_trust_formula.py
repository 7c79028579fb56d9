"""Unit tests of each component of the trust formula, at a fixed "now" (the formula takes it as a parameter)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from crm.trust import formula
from crm.trust.formula import BandThresholds, compute
from tests.trust.facts import (
    NOW,
    TODAY,
    active_client,
    at,
    client,
    codes,
    conflict,
    day,
    exchanges,
    interaction,
    invoice,
    kept,
    model_client,
    paid_on_time,
    promise,
    score,
    weekly_updates,
)

# -- no history, bands, reasons ------------------------------------------------------------------------------


def test_no_history_is_neutral_with_not_enough_history() -> None:
    health = score(client())
    assert (health.score, health.band, health.evidence_count) == (50, "insufficient", 0)
    assert all(c["score"] is None for c in health.components.values())
    assert codes(health) == ["not_enough_history"]


def test_bands_follow_the_thresholds() -> None:
    facts = model_client()
    health = score(facts)
    assert health.band == "healthy"
    strict = compute(facts, NOW, thresholds=BandThresholds(healthy=health.score + 1, watch=40))
    assert strict.band == "watch"
    stricter = compute(facts, NOW, thresholds=BandThresholds(healthy=99, watch=health.score + 1))
    assert stricter.band == "at_risk"


def test_reasons_are_json_sorted_most_harmful_first_and_point_at_their_events() -> None:
    late = invoice("1200", 80, paid_on=5)
    broken = promise(30, 20, broken_on=18)
    health = score(model_client(promises=(*kept(4), broken), invoices=(*paid_on_time(2), late)))
    impacts = [r["impact"] for r in health.reasons]
    hurting, helping = [i for i in impacts if i < 0], [i for i in impacts if i >= 0]
    assert impacts == hurting + helping
    assert hurting == sorted(hurting)
    assert helping == sorted(helping, reverse=True)
    top = health.top_reason
    assert top is not None
    assert top["code"] == "promise_broken_silently"
    assert top["events"] == [{"type": "promise", "id": broken.id}]
    paid_late = next(r for r in health.reasons if r["code"] == "invoice_paid_late")
    assert paid_late["events"] == [{"type": "invoice", "id": late.id}]
    assert paid_late["params"]["days_late"] == 45
    json.dumps(health.reasons)


def test_contributions_add_up_to_the_distance_from_neutral() -> None:
    health = score(model_client(conflicts=(conflict("ideas", 2, 10),)))
    total = sum(c["contribution"] for c in health.components.values())
    assert total == pytest.approx(health.exact - 50, abs=0.5)
    assert health.components["conflicts"]["contribution"] < 0 < health.components["promises"]["contribution"]


# -- promises ------------------------------------------------------------------------------------------------


def test_promise_outcomes_rank_kept_on_time_then_late_then_explained_then_silent() -> None:
    outcomes = [
        promise(40, 20, kept_on=20),
        promise(40, 20, kept_on=10),
        promise(40, 20, broken_on=18, clarified_on=22),
        promise(40, 20, broken_on=18),
    ]
    scores = [score(active_client(promises=(*kept(3), p))).exact for p in outcomes]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 4


def test_explanation_after_the_due_date_does_not_count() -> None:
    in_time = score(client(promises=(*kept(3), promise(40, 20, broken_on=18, clarified_on=21))))
    too_late = score(client(promises=(*kept(3), promise(40, 20, broken_on=18, clarified_on=19))))
    assert "promise_broken_explained" in codes(in_time)
    assert "promise_broken_silently" in codes(too_late)


def test_open_promise_past_the_grace_period_counts_as_broken_silently() -> None:
    within_grace = score(client(promises=(*kept(3), promise(10, formula.PROMISE_GRACE_DAYS))))
    overdue = score(client(promises=(*kept(3), promise(10, formula.PROMISE_GRACE_DAYS + 1))))
    broken = score(client(promises=(*kept(3), promise(10, formula.PROMISE_GRACE_DAYS + 1, broken_on=0))))
    assert "promise_overdue" not in codes(within_grace)
    assert overdue.top_reason["code"] == "promise_overdue"
    assert overdue.top_reason["params"]["days_overdue"] == formula.PROMISE_GRACE_DAYS + 1
    assert overdue.exact == pytest.approx(broken.exact)
    assert within_grace.exact > overdue.exact


def test_promise_kept_within_the_grace_period_counts_as_on_time() -> None:
    health = score(client(promises=(promise(20, 10, kept_on=10 - formula.PROMISE_GRACE_DAYS),)))
    assert codes(health)[-1] == "promise_kept_on_time"


def test_events_after_now_have_not_happened_yet() -> None:
    future_kept = promise(20, 10, kept_on=-3)  # kept "in three days": still overdue today
    health = score(client(promises=(future_kept,)))
    assert codes(health) == ["promise_overdue"]


# -- cadence -------------------------------------------------------------------------------------------------


def test_between_projects_no_lapse_accrues_but_the_status_updates_sent_still_count() -> None:
    # 004 "La communication": the updates sent are earned credit; a relationship between two projects is not a
    # stranger, and it owes no news while nothing is going on.
    idle = score(client(cadence_days=7, interactions=weekly_updates(4, last=40)))
    assert "status_update_overdue" not in codes(idle)
    assert "status_updates_sent" in codes(idle)
    assert idle.components["cadence"]["score"] > 50


def test_status_update_overdue_grows_with_the_lapse() -> None:
    def lapse(days: int) -> formula.TrustHealth:
        facts = active_client(
            active_since=at(days + 66), promises=kept(4), interactions=weekly_updates(10, last=days)
        )
        return score(facts)

    on_time, two_weeks, five_weeks = lapse(3), lapse(14), lapse(35)
    assert "status_update_overdue" not in codes(on_time)
    assert two_weeks.top_reason["code"] == "status_update_overdue"
    assert five_weeks.top_reason["params"] == {
        "count": 1,
        "days_overdue": 28,
        "cadence_days": 7,
        "due_on": (TODAY - timedelta(days=28)).isoformat(),
    }
    assert on_time.exact > two_weeks.exact > five_weeks.exact


def test_a_closed_gap_weighs_less_than_the_open_lapse() -> None:
    open_lapse = score(active_client(interactions=weekly_updates(8, last=36)))
    closed = score(active_client(interactions=(*weekly_updates(8, last=36), interaction(1, "status_update"))))
    assert "status_update_gap" in codes(closed)
    assert "status_update_overdue" not in codes(closed)
    assert closed.exact > open_lapse.exact


def test_a_flood_of_status_updates_counts_at_most_one_per_half_cadence() -> None:
    daily = tuple(interaction(1 + d, "status_update") for d in range(56))
    health = score(active_client(active_since=at(57), interactions=daily))
    sent = next(r for r in health.reasons if r["code"] == "status_updates_sent")
    assert (
        sent["params"]["count"] == 14
    )  # one every 4 days (half the weekly cadence, rounded up to whole days)


# -- payments ------------------------------------------------------------------------------------------------


def test_payment_lateness_weighs_by_days_and_amount() -> None:
    def late(amount: str, days: int) -> float:
        other = invoice("1000", 200, paid_on=170)
        return score(client(invoices=(other, invoice(amount, 100, paid_on=70 - days)))).exact

    assert late("1000", 10) > late("1000", 45) > late("1000", 90)
    assert late("1000", 45) > late("4000", 45)


def test_unpaid_overdue_invoice_hurts_and_says_how_much() -> None:
    health = score(model_client(invoices=(*paid_on_time(2), invoice("900.50", 75, terms=30))))
    top = health.top_reason
    assert top["code"] == "invoice_overdue"
    assert top["params"]["days_late"] == 45
    assert top["params"]["amounts"] == {"EUR": "900.50"}
    assert top["params"]["due_on"] == (TODAY - timedelta(days=45)).isoformat()


def test_a_renegotiated_due_date_met_is_a_word_kept_and_the_lateness_runs_from_the_first_due_date() -> None:
    # Issue 22: the new date no longer resets how late the payment was; meeting it is the client's word kept.
    renegotiated = invoice("1200", 90, terms=30, renegotiated_due_on=20, paid_on=21)
    original_only = invoice("1200", 90, terms=30, paid_on=21)
    health = score(client(invoices=(renegotiated,)))
    assert codes(health) == ["invoice_paid_on_renegotiated_date"]
    assert health.reasons[0]["params"]["days_late"] == 39  # from the first due date, 60 days ago
    assert health.reasons[0]["params"]["words_kept"] == 1
    assert health.exact > score(client(invoices=(original_only,))).exact


# -- conflict signals ----------------------------------------------------------------------------------------


def test_posture_weighs_most_and_severity_counts() -> None:
    def with_conflict(kind: str, severity: int) -> float:
        return score(model_client(conflicts=(conflict(kind, severity, 5),))).exact

    assert with_conflict("posture", 2) < with_conflict("payment", 2) < with_conflict("ideas", 2)
    assert with_conflict("ideas", 3) < with_conflict("ideas", 2) < with_conflict("ideas", 1)


def test_resolved_conflicts_fade() -> None:
    open_ = score(model_client(conflicts=(conflict("ideas", 2, 100),))).exact
    just_resolved = score(model_client(conflicts=(conflict("ideas", 2, 100, resolved=1),))).exact
    long_resolved = score(model_client(conflicts=(conflict("ideas", 2, 100, resolved=90),))).exact
    none = score(model_client()).exact
    assert open_ < just_resolved < long_resolved < none


# -- reciprocity ---------------------------------------------------------------------------------------------


def test_the_clients_promises_are_reported_on_the_clients_side() -> None:
    theirs = promise(40, 20, broken_on=15, promisor="client")
    health = score(model_client(promises=(*kept(4), theirs)))
    assert health.top_reason["code"] == "client_promise_broken_silently"
    assert health.top_reason["component"] == "reciprocity"
    assert health.components["reciprocity"]["contribution"] < 0
    assert health.components["promises"]["contribution"] > 0


def test_the_clients_broken_promise_weighs_less_than_the_freelancers() -> None:
    theirs = score(model_client(promises=(*kept(4), promise(40, 20, broken_on=15, promisor="client")))).exact
    mine = score(model_client(promises=(*kept(4), promise(40, 20, broken_on=15)))).exact
    assert mine < theirs


# -- responsiveness ------------------------------------------------------------------------------------------


def test_quick_replies_help_slow_ones_hurt() -> None:
    quick = score(client(interactions=exchanges(5, reply_days=0.5)))
    slow = score(client(interactions=exchanges(5, reply_days=6)))
    assert codes(quick)[-1] == "quick_replies"
    assert slow.top_reason["code"] == "slow_replies"
    assert slow.top_reason["params"]["max_days"] == 6
    assert quick.exact > 50 > slow.exact


def test_a_message_left_unanswered_counts_after_two_days() -> None:
    waiting_one = score(client(interactions=(interaction(1, direction="from_client"),)))
    waiting_ten = score(client(interactions=(interaction(10, direction="from_client"),)))
    assert waiting_one.exact == 50
    assert waiting_ten.top_reason["code"] == "unanswered_message"
    assert waiting_ten.top_reason["params"]["days_waiting"] == 10


def test_several_messages_before_a_reply_are_one_wait() -> None:
    messages = (
        interaction(9, direction="from_client"),
        interaction(8, direction="from_client"),
        interaction(1),
    )
    health = score(client(interactions=messages))
    slow = next(r for r in health.reasons if r["code"] == "slow_replies")
    assert slow["params"] == {"count": 1, "max_days": 8}


# -- recency and asymmetry -----------------------------------------------------------------------------------


def test_bad_events_fade_more_slowly_than_good_ones() -> None:
    def moved(p: formula.PromiseFact) -> float:
        return abs(score(client(promises=(p,))).exact - 50)

    good_now, good_old = moved(promise(10, 0, kept_on=0)), moved(promise(100, 90, kept_on=90))
    bad_now, bad_old = moved(promise(10, 0, broken_on=0)), moved(promise(100, 90, broken_on=90))
    assert good_old / good_now < bad_old / bad_now
    assert formula.HALF_LIFE_BAD_DAYS > formula.HALF_LIFE_GOOD_DAYS


def test_every_bad_mass_outweighs_its_good_counterpart() -> None:
    # The condition under which a bad event always moves the score at least as much as the matching good one.
    assert (
        -formula.PROMISE_BROKEN_SILENTLY / formula.LOSS_SCALE
        >= formula.PROMISE_KEPT_ON_TIME / formula.GAIN_SCALE
    )
    assert (
        -formula.invoice_late_mass(30) / formula.LOSS_SCALE
        >= formula.INVOICE_PAID_ON_TIME / formula.GAIN_SCALE
    )


def test_evidence_counts_every_event_and_recent_ones_decide_the_band() -> None:
    old = client(promises=kept(5, first=400))
    health = score(old)
    assert health.evidence_count == 5
    assert health.band == "insufficient"
    assert health.reasons[0]["code"] == "not_enough_history"


def test_the_last_status_update_on_the_client_counts_when_older_interactions_are_not_loaded() -> None:
    facts = active_client(active_since=at(600), last_status_update_at=at(3), interactions=())
    assert "status_update_overdue" not in codes(score(facts))
    assert day(0) == NOW.date()
