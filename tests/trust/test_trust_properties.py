"""Property tests of the trust formula over generated histories (issue 3's list), 200 examples each."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from crm.core import rules
from crm.trust.formula import ClientFacts, ConflictFact, InteractionFact, InvoiceFact, PromiseFact, compute
from tests.trust.facts import NOW, TODAY

PROPERTY = settings(max_examples=200, deadline=None)
EPSILON = 1e-9


def days_back(max_days: int = 400) -> st.SearchStrategy[date]:
    return st.integers(0, max_days).map(lambda n: TODAY - timedelta(days=n))


@st.composite
def promises(draw: st.DrawFn, state: str | None = None, promisor: str | None = None) -> PromiseFact:
    made = draw(days_back())
    due = made + timedelta(days=draw(st.integers(0, 60)))
    state = state or draw(st.sampled_from(["open", "kept", "broken"]))

    def on_or_after(first: date) -> date:
        return min(first + timedelta(days=draw(st.integers(0, 90))), max(first, TODAY))

    clarified = draw(st.one_of(st.none(), st.builds(lambda: on_or_after(made))))
    return PromiseFact(
        id=0,
        made_on=made,
        due_on=due,
        state=state,
        kept_on=on_or_after(made) if state == "kept" else None,
        broken_on=on_or_after(made) if state == "broken" else None,
        clarified_on=clarified,
        promisor=promisor or draw(st.sampled_from(["freelancer", "client"])),
    )


@st.composite
def invoices(draw: st.DrawFn, paid: bool | None = None) -> InvoiceFact:
    issued = draw(days_back())
    due = issued + timedelta(days=draw(st.integers(0, 60)))
    paid = draw(st.booleans()) if paid is None else paid
    paid_on = min(issued + timedelta(days=draw(st.integers(0, 200))), TODAY) if paid else None
    renegotiated = draw(st.one_of(st.none(), st.integers(0, 120).map(lambda n: issued + timedelta(days=n))))
    amount = Decimal(draw(st.integers(1, 2_000_000))) / 100
    currency = draw(st.sampled_from(["EUR", "EUR", "USD", "GBP"]))
    return InvoiceFact(0, amount, issued, due, paid_on, renegotiated, currency)


@st.composite
def conflicts(draw: st.DrawFn, resolved: bool | None = None) -> ConflictFact:
    observed = draw(days_back())
    resolved = draw(st.booleans()) if resolved is None else resolved
    resolved_on = min(observed + timedelta(days=draw(st.integers(0, 120))), TODAY) if resolved else None
    kind = draw(st.sampled_from(["ideas", "interests", "payment", "posture"]))
    return ConflictFact(0, kind, draw(st.integers(1, 3)), observed, resolved_on)


interactions = st.builds(
    lambda minutes, kind, direction: InteractionFact(0, NOW - timedelta(minutes=minutes), kind, direction),
    st.integers(0, 400 * 24 * 60),
    st.sampled_from(["email", "call", "meeting", "status_update", "message"]),
    st.sampled_from(["to_client", "from_client"]),
)


def _numbered(items: list, start: int) -> tuple:
    return tuple(replace(item, id=start + i) for i, item in enumerate(items))


@st.composite
def histories(draw: st.DrawFn) -> ClientFacts:
    active = draw(st.booleans())
    last_update = draw(st.one_of(st.none(), st.integers(0, 200).map(lambda n: NOW - timedelta(days=n))))
    return ClientFacts(
        id=1,
        created_at=NOW - timedelta(days=draw(st.integers(0, 500))),
        cadence_days=draw(st.integers(1, 60)),
        active_since=NOW - timedelta(days=draw(st.integers(0, 300))) if active else None,
        last_status_update_at=last_update,
        promises=_numbered(draw(st.lists(promises(), max_size=8)), 1000),
        invoices=_numbered(draw(st.lists(invoices(), max_size=6)), 2000),
        conflicts=_numbered(draw(st.lists(conflicts(), max_size=4)), 3000),
        interactions=_numbered(draw(st.lists(interactions, max_size=25)), 4000),
        paused=draw(st.booleans()),
        away=rules.away_spans(
            draw(
                st.lists(
                    st.tuples(
                        st.integers(-30, 300).map(lambda n: TODAY - timedelta(days=n)),
                        st.one_of(st.none(), st.integers(0, 40).map(lambda n: timedelta(days=n))),
                    ).map(lambda p: (p[0], None if p[1] is None else p[0] + p[1])),
                    max_size=3,
                )
            )
        ),
        feeling=draw(
            st.one_of(
                st.none(),
                st.tuples(st.sampled_from(["trust", "doubt", "distrust"]), days_back(60), st.just("")),
            )
        ),
    )


def _with(facts: ClientFacts, **extra: object) -> ClientFacts:
    """Return the history with one more promise, invoice or conflict (id 9999)."""
    fields = {}
    for name, item in extra.items():
        fields[name] = (*getattr(facts, name), replace(item, id=9999))
    return replace(facts, **fields)


def exact(facts: ClientFacts) -> float:
    return compute(facts, NOW).exact


@PROPERTY
@given(histories())
def test_score_is_within_0_100_and_deterministic_for_a_fixed_now(facts: ClientFacts) -> None:
    first, second = compute(facts, NOW), compute(facts, NOW)
    assert 0 <= first.score <= 100
    assert (first.score, first.band, first.exact, first.reasons, first.components) == (
        second.score,
        second.band,
        second.exact,
        second.reasons,
        second.components,
    )
    json.dumps([first.reasons, first.components])  # stored as JSON as they are


@PROPERTY
@given(histories(), promises(state="open"), st.integers(0, 400))
def test_keeping_an_open_promise_never_lowers_the_score(
    facts: ClientFacts, open_: PromiseFact, after: int
) -> None:
    kept_on = min(open_.made_on + timedelta(days=after), TODAY)
    before = _with(facts, promises=open_)
    after_keeping = _with(facts, promises=replace(open_, state="kept", kept_on=kept_on))
    assert exact(after_keeping) >= exact(before) - EPSILON
    assert compute(after_keeping, NOW).score >= compute(before, NOW).score


@PROPERTY
@given(histories(), promises(state="broken"))
def test_adding_a_broken_promise_never_raises_the_score(facts: ClientFacts, broken: PromiseFact) -> None:
    assert exact(_with(facts, promises=broken)) <= exact(facts) + EPSILON
    assert compute(_with(facts, promises=broken), NOW).score <= compute(facts, NOW).score


@PROPERTY
@given(histories(), promises(state="broken"), st.integers(0, 60))
def test_explaining_a_broken_promise_in_time_never_lowers_the_score(
    facts: ClientFacts, broken: PromiseFact, before_due: int
) -> None:
    silent = replace(broken, clarified_on=None)
    clarified_on = max(broken.made_on, min(broken.due_on, TODAY) - timedelta(days=before_due))
    explained = replace(broken, clarified_on=clarified_on)
    assert exact(_with(facts, promises=explained)) >= exact(_with(facts, promises=silent)) - EPSILON


@PROPERTY
@given(histories(), conflicts(resolved=False))
def test_a_new_open_conflict_never_raises_the_score(facts: ClientFacts, signal: ConflictFact) -> None:
    assert exact(_with(facts, conflicts=signal)) <= exact(facts) + EPSILON


@PROPERTY
@given(histories(), conflicts(resolved=False), st.integers(0, 200))
def test_resolving_a_conflict_never_lowers_the_score(
    facts: ClientFacts, signal: ConflictFact, after: int
) -> None:
    resolved = replace(signal, resolved_on=min(signal.observed_on + timedelta(days=after), TODAY))
    assert exact(_with(facts, conflicts=resolved)) >= exact(_with(facts, conflicts=signal)) - EPSILON


@PROPERTY
@given(histories(), invoices(paid=False), st.integers(0, 200))
def test_paying_an_invoice_never_lowers_the_score(
    facts: ClientFacts, unpaid: InvoiceFact, after: int
) -> None:
    paid = replace(unpaid, paid_on=min(unpaid.issued_on + timedelta(days=after), TODAY))
    assert exact(_with(facts, invoices=paid)) >= exact(_with(facts, invoices=unpaid)) - EPSILON


@PROPERTY
@given(histories(), promises(state="open"), st.sampled_from(["freelancer", "client"]))
def test_a_broken_promise_moves_the_score_at_least_as_much_as_a_kept_one(
    facts: ClientFacts, base: PromiseFact, promisor: str
) -> None:
    due = min(base.due_on, TODAY)
    made = min(base.made_on, due)
    promise = replace(base, made_on=made, due_on=due, clarified_on=None, promisor=promisor)
    kept = replace(promise, state="kept", kept_on=due)
    broken = replace(promise, state="broken", broken_on=due)
    start = exact(facts)
    gain = exact(_with(facts, promises=kept)) - start
    loss = start - exact(_with(facts, promises=broken))
    assert gain >= -EPSILON and loss >= -EPSILON
    assert loss >= gain - EPSILON


@PROPERTY
@given(histories(), invoices(paid=True), st.integers(30, 120))
def test_a_month_late_payment_moves_the_score_at_least_as_much_as_one_on_time(
    facts: ClientFacts, base: InvoiceFact, days_late: int
) -> None:
    paid_on = base.paid_on or TODAY
    on_time = replace(base, due_on=paid_on, renegotiated_due_on=None, issued_on=min(base.issued_on, paid_on))
    late_due = paid_on - timedelta(days=days_late)
    late = replace(on_time, due_on=late_due, issued_on=min(on_time.issued_on, late_due))
    # Measured from the same invoice not yet due, so every invoice keeps its weight (relative to the mean amount).
    pending = replace(on_time, due_on=TODAY + timedelta(days=30), paid_on=None)
    start = exact(_with(facts, invoices=pending))
    gain = exact(_with(facts, invoices=on_time)) - start
    loss = start - exact(_with(facts, invoices=late))
    assert loss >= gain - EPSILON


# -- issue 13: the new rules --------------------------------------------------------------------------------


@PROPERTY
@given(histories(), invoices(paid=False), st.integers(1, 200))
def test_an_unpaid_invoice_never_weighs_less_than_the_same_delay_paid(
    facts: ClientFacts, invoice: InvoiceFact, days_late: int
) -> None:
    due = TODAY - timedelta(days=days_late)
    owed = replace(invoice, issued_on=min(invoice.issued_on, due), due_on=due, renegotiated_due_on=None)
    paid = replace(owed, paid_on=TODAY)  # the same delay, settled today
    assert exact(_with(facts, invoices=owed)) <= exact(_with(facts, invoices=paid)) + EPSILON


@PROPERTY
@given(histories(), st.sampled_from(["freelancer", "client"]), days_back(200))
def test_improving_one_side_never_lowers_the_overall_nor_the_other_side(
    facts: ClientFacts, promisor: str, due: date
) -> None:
    kept = PromiseFact(0, due - timedelta(days=7), due, "kept", due, None, None, promisor)
    before, after = compute(facts, NOW), compute(_with(facts, promises=kept), NOW)
    assert after.exact >= before.exact - EPSILON
    improved, other = ("mine", "client") if promisor == "freelancer" else ("client", "mine")
    assert after.sides[improved]["exact"] >= before.sides[improved]["exact"] - EPSILON
    assert after.sides[other]["exact"] == before.sides[other]["exact"]


@PROPERTY
@given(histories(), st.integers(-30, 60))
def test_pausing_a_client_never_lowers_the_score(facts: ClientFacts, away: int) -> None:
    running = replace(facts, paused=False, away=())
    assert exact(replace(running, paused=True)) >= exact(running) - EPSILON
    # An absence up to a day around today, from long before; or any absences at all (past ones too).
    until_around_today = rules.away_spans([(TODAY - timedelta(days=400), TODAY - timedelta(days=away))])
    assert exact(replace(running, away=until_around_today)) >= exact(running) - EPSILON
    assert exact(facts) >= exact(replace(facts, away=())) - EPSILON


@PROPERTY
@given(histories(), promises(state="kept"))
def test_adding_good_evidence_never_turns_at_risk_into_not_enough_history(
    facts: ClientFacts, kept: PromiseFact
) -> None:
    on_time = replace(kept, kept_on=min(kept.due_on, TODAY))
    if compute(facts, NOW).band == "at_risk":
        assert compute(_with(facts, promises=on_time), NOW).band != "insufficient"


@PROPERTY
@given(histories())
def test_the_overall_is_never_healthy_while_one_side_is_at_risk(facts: ClientFacts) -> None:
    health = compute(facts, NOW)
    if any(side["band"] == "at_risk" for side in health.sides.values()):
        assert health.band != "healthy"
    weaker = min(side["exact"] for side in health.sides.values())
    assert health.exact <= weaker + 25 + EPSILON


@PROPERTY
@given(st.floats(-2, 400), st.floats(-2, 400), st.sampled_from([-2.0, -1.4, -0.8]))
def test_an_open_promise_grows_in_weight_and_never_fades_while_open(
    first: float, later: float, full: float
) -> None:
    # Issue 22: no jump when the grace ends, and no fading while a word is left open (it used to fade to a quarter).
    from crm.trust.formula import PROMISE_GRACE_DAYS, PROMISE_KEPT_LATE, PROMISE_RAMP_DAYS, open_promise_mass

    low, high = sorted((first, later))
    assert full <= open_promise_mass(high, full) <= open_promise_mass(low, full) <= 0.0
    if low >= PROMISE_GRACE_DAYS:
        assert open_promise_mass(low, full) <= PROMISE_KEPT_LATE
    if low >= PROMISE_GRACE_DAYS + PROMISE_RAMP_DAYS:
        assert open_promise_mass(low, full) == full
    # Continuous: a minute never moves it by more than its steepest slope allows.
    minute = 1 / 1440
    assert abs(open_promise_mass(low + minute, full) - open_promise_mass(low, full)) <= 2 * minute + 1e-12


@PROPERTY
@given(histories(), promises(state="broken"))
def test_explaining_a_broken_promise_late_never_lowers_the_score_nor_beats_explaining_in_time(
    facts: ClientFacts, broken: PromiseFact
) -> None:
    due = min(broken.due_on, TODAY - timedelta(days=1))
    made = min(broken.made_on, due)
    base = replace(broken, made_on=made, due_on=due, broken_on=max(broken.broken_on or made, made))
    silent = exact(_with(facts, promises=replace(base, clarified_on=None)))
    late = exact(_with(facts, promises=replace(base, clarified_on=due + timedelta(days=1))))
    in_time = exact(_with(facts, promises=replace(base, clarified_on=due)))
    assert silent - EPSILON <= late <= in_time + EPSILON
