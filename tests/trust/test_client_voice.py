"""Issue 26: the client's own voice on their page weighs on the client's side of the trust health.

A check-in ("How is our work going?") and a concern the client raised ("something bothers me") are the client's
word, told as such in the reasons ("The client said ..."), never the freelancer's feeling; withdrawn, they no
longer count.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.trust import formula
from crm.trust.formula import CheckInFact, ConflictFact
from crm.trust.reasons import describe
from tests.trust.facts import NOW, at, codes, day, model_client, score


def check_in(days_ago: float, level: str, withdrawn: float | None = None, id: int = 1) -> CheckInFact:
    return CheckInFact(id, at(days_ago), level, None if withdrawn is None else at(withdrawn))


def concern(
    kind: str, observed: int, resolved: int | None = None, withdrawn: int | None = None
) -> ConflictFact:
    return ConflictFact(
        900 + observed, kind, 2, day(observed), None if resolved is None else day(resolved), "client",
        None if withdrawn is None else day(withdrawn),
    )  # fmt: skip


def sides(**fields: object) -> dict[str, float]:
    health = score(model_client(**fields))
    return {side: values["exact"] for side, values in health.sides.items()}


def test_a_good_check_in_raises_the_clients_side_only() -> None:
    before, after = sides(), sides(check_ins=(check_in(3, "good"),))
    assert after["client"] > before["client"] and after["mine"] == before["mine"]


@pytest.mark.parametrize("level", ["mixed", "poor"])
def test_a_low_check_in_lowers_the_clients_side_only(level: str) -> None:
    before, after = sides(), sides(check_ins=(check_in(3, level),))
    assert after["client"] < before["client"] and after["mine"] == before["mine"]


def test_not_well_weighs_more_than_so_so() -> None:
    assert (
        sides(check_ins=(check_in(3, "poor"),))["client"] < sides(check_ins=(check_in(3, "mixed"),))["client"]
    )


def test_check_ins_within_a_week_count_once_the_later_one() -> None:
    daily = tuple(check_in(d, "good", id=d) for d in range(1, 7))
    assert sides(check_ins=daily) == sides(check_ins=(check_in(1, "good"),))
    # A week apart, both count.
    assert (
        sides(check_ins=(check_in(1, "good", id=1), check_in(9, "good", id=2)))["client"]
        > sides(check_ins=(check_in(1, "good"),))["client"]
    )


def test_a_withdrawn_check_in_no_longer_counts_from_the_moment_it_was_withdrawn() -> None:
    withdrawn = check_in(5, "poor", withdrawn=1)
    assert sides(check_ins=(withdrawn,)) == sides()
    # Replayed as of before the withdrawal, it still counted then.
    before = score(model_client(check_ins=(withdrawn,)), NOW - timedelta(days=2))
    assert "client_check_in_poor" in codes(before)


def test_a_concern_the_client_raised_lowers_their_side_and_is_not_the_freelancers_conflict() -> None:
    health = score(model_client(conflicts=(concern("posture", 2),)))
    reason = next(r for r in health.reasons if r["code"] == "client_signal_posture")
    assert (reason["component"], reason["side"]) == ("client_voice", "client") and reason["impact"] < 0
    assert not any(code.startswith("conflict_") for code in codes(health))
    assert health.components["conflicts"]["evidence"] == 0
    assert sides(conflicts=(concern("posture", 2),))["mine"] == sides()["mine"]


def test_a_resolved_concern_still_fades_and_a_withdrawn_one_is_gone() -> None:
    open_, resolved = (
        sides(conflicts=(concern("ideas", 10),)),
        sides(conflicts=(concern("ideas", 10, resolved=5),)),
    )
    assert open_["client"] < resolved["client"] < sides()["client"]
    assert sides(conflicts=(concern("ideas", 10, withdrawn=5),)) == sides()


def test_the_clients_voice_is_never_the_freelancers_feeling() -> None:
    felt = score(model_client(feeling=("doubt", day(1), "")))
    said = score(model_client(check_ins=(check_in(1, "mixed"),)))
    assert felt.components["client_voice"]["evidence"] == 0 and said.components["feeling"]["evidence"] == 0
    assert said.components["client_voice"]["side"] == "client" and felt.components["feeling"]["side"] == ""


@pytest.mark.parametrize(
    ("code", "english", "french"),
    [("client_check_in_good", "The client said the work is going well", "Le client a dit que le travail se passe bien"),
     ("client_check_in_poor", "The client said the work is not going well", "Le client a dit que le travail ne se passe pas bien"),
     ("client_signal_payment", "The client said something bothers them about payment", "Le client a dit que quelque chose le gêne dans le paiement")],
)  # fmt: skip
def test_the_reasons_say_the_client_said_it(code: str, english: str, french: str) -> None:
    health = score(
        model_client(
            check_ins=(check_in(1, "good", id=1), check_in(9, "poor", id=2)),
            conflicts=(concern("payment", 1),),
        )
    )
    reason = next(r for r in health.reasons if r["code"] == code)
    with translation.override("en"):
        assert describe(reason).text.startswith(english)
    with translation.override("fr"):
        said = describe(reason)
        assert said.text.startswith(french)
        assert said.side_label == "La parole du client"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 200), st.sampled_from(["good", "mixed", "poor"])), max_size=6))
def test_a_withdrawal_never_makes_a_low_check_in_weigh_more(answers: list[tuple[float, str]]) -> None:
    """Taking back a "not well" never lowers the client's side; taking back a "going well" never raises it."""
    facts = tuple(check_in(days, level, id=n) for n, (days, level) in enumerate(answers, start=1))
    base = sides(check_ins=facts)["client"]
    for n, fact in enumerate(facts):
        without = replace(fact, withdrawn_at=NOW - timedelta(minutes=1))
        changed = sides(check_ins=facts[:n] + (without,) + facts[n + 1 :])["client"]
        if fact.level == "good" and len(formula.counted_check_ins(facts, NOW)) == len(facts):
            assert changed <= base + 1e-9
        if fact.level == "poor" and len(formula.counted_check_ins(facts, NOW)) == len(facts):
            assert changed >= base - 1e-9
