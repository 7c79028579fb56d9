"""Scenarios from the source documents, judged as a freelancer would; each quotes the passage it tests.

Sources: `000_*` (the nine practices), `001_*` and `003_*` (reciprocity), `004_*` (the webmaster's guide).
"""

from __future__ import annotations

from dataclasses import replace

from crm.trust.reasons import describe
from tests.trust.facts import (
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
from tests.trust.facts import (
    away as away_days,
)


def test_late_payer_with_open_posture_conflict_ranks_at_risk_below_a_late_delivery_explained_in_advance() -> (
    None
):
    # 004 "Le paiement": "Les règlements des prestations peuvent être effectué avec du retard et mettre le
    # webmaster en difficulté"; "La posture": "Le client peut s'emporter et faire des reproches regrettables";
    # "Les promesses": "l'éclaircissement sur les imprévus rencontrés, permettent de rester crédible".
    late_every_time = tuple(invoice("1500", 75 + 30 * i, paid_on=30 * i) for i in range(1, 4))
    late_payer = model_client(
        invoices=(*late_every_time, invoice("1500", 75)),  # three paid 45 days late, one unpaid 45 days late
        conflicts=(conflict("posture", 2, 10),),
    )
    explained = promise(30, 20, kept_on=14, clarified_on=22)
    one_late_delivery = model_client(promises=(*kept(5), explained))
    bad, good = score(late_payer), score(one_late_delivery)
    assert bad.band == "at_risk"
    assert good.band == "healthy"
    assert bad.score < good.score
    assert {"invoice_paid_late", "invoice_overdue", "conflict_open_posture"} <= set(codes(bad)[:3])


def test_model_client_with_weekly_updates_and_every_promise_kept_is_healthy() -> None:
    # 004 "La communication": "Réaffirmer les objectifs fixés, en faisant le point régulièrement sur le
    # déroulement du projet." 000: "Encourager une attitude de « je dis – je fais »".
    health = score(model_client())
    assert health.band == "healthy"
    assert health.score >= 85
    assert all(r["impact"] >= -2 for r in health.reasons)


def test_good_client_whose_status_updates_lapsed_for_five_weeks_drops_to_watch() -> None:
    # 004 "La communication": faire le point régulièrement — five weeks of silence on a weekly cadence.
    lapsed = model_client(interactions=weekly_updates(12, last=35) + exchanges(6, first=40))
    health = score(lapsed)
    assert score(model_client()).band == "healthy"
    assert health.band == "watch"
    assert health.top_reason["code"] == "status_update_overdue"
    assert describe(health.top_reason).next_step == "Send a status update that restates the project's goals."


def test_client_with_no_history_gets_a_neutral_score_and_not_enough_history() -> None:
    # 004 Conclusion: "le client ne donne pas sa confiance facilement, mais il est possible de la gagner".
    health = score(client(created_at=at(2)))
    assert (health.score, health.band) == (50, "insufficient")


def test_with_nothing_logged_an_old_active_project_is_not_enough_history_not_at_risk() -> None:
    # Issue 22: an active project started 60 days ago with nothing logged scored 17, "at risk". 002: "La confiance
    # que l'on appelle subjective est accordée de manière naturelle, instinctive" -- nothing logged is nothing known.
    health = score(client(created_at=at(60), active_since=at(60)))
    assert health.band == "insufficient"
    assert health.evidence_count == 0
    assert health.reasons[0]["code"] == "not_enough_history"
    assert "status_update_overdue" in codes(health)  # the silence is still said, beside the band


def test_a_feeling_alone_is_not_enough_history_and_is_shown_beside_it() -> None:
    # Issue 22: a "distrust" feeling alone scored 34, "at risk". 002: "la confiance est une prise de risque
    # volontaire. C'est un choix" -- the freelancer's own choice, not a history of the client.
    health = score(client(created_at=at(60), feeling=("distrust", day(3), "")))
    assert health.band == "insufficient"
    assert codes(health)[:2] == ["not_enough_history", "feeling_distrust"]
    # One logged event and the same feeling: judged as before, evidence or not.
    judged = score(client(created_at=at(60), feeling=("distrust", day(3), ""), promises=(promise(30, 20),)))
    assert judged.band == "at_risk"


def test_one_kept_promise_is_not_a_perfect_record() -> None:
    # TRUST-NOTES, small-number honesty; 004: "Il est inutile de viser la perfection car personne ne peut l'atteindre."
    health = score(client(promises=kept(1)))
    assert 50 < health.score < 70
    assert health.band == "insufficient"


def test_a_broken_promise_explained_in_time_keeps_most_of_the_credibility_silence_does_not() -> None:
    # 004 "Les promesses": "Les promesses tenues ou encore l'éclaircissement sur les imprévus rencontrés,
    # permettent de rester crédible aux yeux du client." / "Les paroles en l'air sont vraiment source de mépris
    # et de conflits."
    explained = score(model_client(promises=(*kept(5), promise(30, 20, broken_on=18, clarified_on=21))))
    silent = score(model_client(promises=(*kept(5), promise(30, 20, broken_on=18))))
    assert explained.band == "healthy"
    assert silent.band == "watch"
    assert silent.score <= explained.score - 10
    assert describe(silent.top_reason).next_step == (
        "Next time, explain the unforeseen to the client before the due date."
    )


def test_an_open_promise_past_its_due_date_counts_as_a_word_not_kept() -> None:
    # 000: "Encourager une attitude de « je dis – je fais »".
    overdue = score(model_client(promises=(*kept(5), promise(20, 10))))
    assert overdue.band != "healthy"
    assert overdue.top_reason["code"] == "promise_overdue"


def test_a_renegotiated_due_date_that_is_met_is_not_a_late_payment() -> None:
    # 004 "Le paiement": "le webmaster doit essayer de comprendre s'il s'agit vraiment d'un mauvais payeur ou
    # d'autres problèmes solutionnables et négocier un autre délai de paiement."
    renegotiated = score(
        model_client(invoices=(*paid_on_time(2), invoice("2100", 62, renegotiated_due_on=10, paid_on=11)))
    )
    paid_late = score(model_client(invoices=(*paid_on_time(2), invoice("2100", 62, paid_on=11))))
    assert renegotiated.band == "healthy"
    assert "invoice_paid_late" not in codes(renegotiated)
    assert renegotiated.score > paid_late.score


def test_an_angry_client_weighs_more_than_a_difference_of_ideas() -> None:
    # 004 "La posture": "reproches regrettables qui peuvent apparaitre inacceptables pour la suite de la mission";
    # "Les idées": "le webmaster peut trouver une solution appropriée à la situation".
    posture = score(model_client(conflicts=(conflict("posture", 2, 5),)))
    ideas = score(model_client(conflicts=(conflict("ideas", 2, 5),)))
    critical = score(model_client(conflicts=(conflict("posture", 3, 5),)))
    assert posture.score < ideas.score
    assert posture.band == "watch"
    assert critical.band == "at_risk"
    step = describe(posture.top_reason).next_step
    assert "Let the client speak" in step and "recap the contract's limits" in step
    assert describe(ideas.top_reason).next_step.startswith("Look for mutual concessions")


def test_a_divergence_resolved_by_mutual_concessions_recovers_over_time() -> None:
    # 004 "Les idées": "Sans concessions mutuelles, la collaboration est compromise."
    still_open = score(model_client(conflicts=(conflict("ideas", 2, 70),)))
    resolved = score(model_client(conflicts=(conflict("ideas", 2, 70, resolved=55),)))
    assert still_open.score < resolved.score
    assert resolved.band == "healthy"


def test_a_client_who_breaks_their_own_promises_makes_the_relationship_one_sided() -> None:
    # 003 "Réciprocité": "Une relation implique des échanges bidirectionnels." 001: "La réciprocité".
    theirs = tuple(
        promise(40 + 10 * i, 30 + 10 * i, broken_on=25 + 10 * i, promisor="client") for i in range(3)
    )
    health = score(model_client(promises=(*kept(4), *theirs)))
    assert health.band != "healthy"
    assert health.top_reason["component"] == "reciprocity"
    assert describe(health.top_reason).text == "The client broke 3 promises to you without a word."
    assert describe(health.top_reason).next_step.startswith("Remind the client of what they committed to")


def test_slow_answers_feel_like_neglect() -> None:
    # 004 "Les intérêts": "Le client peut aussi ressentir un manque de soutien, de négligence si une réponse est
    # lente ou incorrecte".
    quick = score(model_client())
    slow = score(model_client(interactions=weekly_updates(17) + exchanges(6, reply_days=7)))
    # Anything sent to the client answers it; here the last status update went out before the question.
    asked = (*weekly_updates(17, last=5), *exchanges(6, first=20), interaction(4, direction="from_client"))
    waiting = score(model_client(interactions=asked))
    assert slow.score < quick.score
    assert waiting.score < quick.score
    assert "unanswered_message" in codes(waiting)


def test_trust_is_earned_slowly_and_lost_quickly() -> None:
    # 004 Conclusion: "si la confiance se gagne lentement, elle se perd autant rapidement."
    base = active_client(promises=kept(3), interactions=weekly_updates(17))
    start = score(base).exact
    one_more_kept = score(
        active_client(promises=(*kept(3), promise(5, 1, kept_on=1)), interactions=weekly_updates(17))
    ).exact
    one_broken = score(
        active_client(promises=(*kept(3), promise(5, 1, broken_on=1)), interactions=weekly_updates(17))
    ).exact
    assert start - one_broken > 3 * (one_more_kept - start)

    # Winning the lost points back takes many more kept promises than it took to lose them (a recent broken
    # promise caps the score until it fades, whatever is kept meanwhile).
    def with_kept(n: int) -> float:
        history = (*kept(3 + n), promise(5, 1, broken_on=1))
        return score(active_client(promises=history, interactions=weekly_updates(17))).exact

    assert with_kept(3) < start
    assert with_kept(10) < start


def test_a_former_client_settled_long_ago_is_not_called_at_risk() -> None:
    # 004 Conclusion: "retenir les personnes capables de nouer de bonnes relations professionnelles".
    former = client(promises=kept(2, first=215), invoices=paid_on_time(2, first=200))
    health = score(former)
    assert health.band == "insufficient"
    assert health.score >= 50


# -- issue 13: both sides of the word, pauses, answers, promises to settle ----------------------------------


def test_a_diligent_freelancer_cannot_hide_an_unpaid_invoice_behind_their_own_good_record() -> None:
    # "My client is lovely to work with and I keep every promise, but the big invoice is a month overdue."
    # 004 "Le paiement": "Les règlements des prestations peuvent être effectué avec du retard et mettre le
    # webmaster en difficulté dans sa trésorerie".
    owed = score(model_client(invoices=(*paid_on_time(2), invoice("6000", 60, terms=30))))
    assert owed.band != "healthy"
    assert owed.sides["mine"]["band"] == "healthy"
    assert owed.sides["client"]["band"] == "at_risk"
    top = describe(owed.top_reason)
    assert owed.top_reason["code"] == "invoice_overdue" and top.side == "client"


def test_an_invoice_still_owed_hurts_more_than_the_same_delay_once_paid() -> None:
    # "A month late and paid is annoying; a month late and still unpaid is my rent."
    # 004 "Le paiement": "... mettre le webmaster en difficulté dans sa trésorerie".
    still_owed = score(model_client(invoices=(*paid_on_time(3), invoice("1200", 70, terms=30))))
    paid_late = score(model_client(invoices=(*paid_on_time(3), invoice("1200", 70, terms=30, paid_on=0))))
    assert still_owed.score < paid_late.score


def test_a_large_share_of_the_billing_unpaid_weighs_more_than_a_small_one() -> None:
    # "The one invoice for the whole project is unpaid" is worse than "a small extra is unpaid".
    # 004 "Le paiement": "mettre le webmaster en difficulté dans sa trésorerie".
    whole = score(model_client(invoices=(invoice("1200", 60, terms=20),)))
    small = score(model_client(invoices=(*paid_on_time(3), invoice("1200", 60, terms=20))))
    assert whole.score < small.score


def test_a_posture_conflict_puts_the_clients_side_at_risk_and_the_next_step_says_so() -> None:
    # "The client shouted at me in the meeting; my side of the work is fine."
    # 004 "La posture": "Le client peut s'emporter et faire des reproches regrettables".
    health = score(model_client(conflicts=(conflict("posture", 3, 2),)))
    assert health.sides["client"]["band"] == "at_risk"
    assert health.sides["mine"]["band"] == "healthy"
    assert health.band != "healthy"
    sides_of_steps = {describe(r).side for r in health.reasons if describe(r).next_step}
    assert sides_of_steps == {"client"}


def test_my_own_broken_word_puts_my_side_at_risk_while_the_client_pays_on_time() -> None:
    # "I missed two deliveries without warning; the client always pays on time."
    # 004 "Les promesses": "Les paroles en l'air sont vraiment source de mépris et de conflits."
    mine_broken = (promise(30, 20, broken_on=19), promise(25, 12, broken_on=11), promise(15, 10))
    health = score(active_client(promises=mine_broken, invoices=paid_on_time(4)))
    assert health.sides["mine"]["band"] == "at_risk"
    assert health.sides["client"]["band"] == "healthy"
    assert health.band == "at_risk"


def test_a_client_on_holiday_owes_no_status_update_and_keeps_their_credit() -> None:
    # "My client is away for three weeks; I am not neglecting them by staying quiet."
    # 004 "Le questionnement": "situations personnelles précises rencontrées par le client (vacances, maladie,
    # …)".
    quiet = {"promises": kept(4), "interactions": weekly_updates(10, last=20)}
    running = score(active_client(**quiet))
    away = score(active_client(away=away_days((24, -5)), **quiet))
    paused = score(active_client(paused=True, **quiet))
    assert "status_update_overdue" in codes(running)
    assert "status_update_overdue" not in codes(away) + codes(paused)
    assert away.score > running.score and paused.score == away.score
    assert away.components["cadence"]["score"] > 50  # the updates sent before the holiday still count


def test_a_past_holiday_still_explains_the_silence_during_it() -> None:
    # "My client was on holiday for four weeks in the winter; I sent no update then, and said so."
    # 004 "Le questionnement": "situations personnelles précises rencontrées par le client (vacances, maladie,
    # …)". Long after, the gap is still explained: only the current absence used to be known.
    before, after = weekly_updates(11, last=45), weekly_updates(2, last=3)
    quiet = {"promises": kept(4), "interactions": before + after}
    unexplained = score(active_client(**quiet))
    on_holiday = score(active_client(away=away_days((43, 15)), **quiet))
    assert "status_update_gap" in codes(unexplained)
    assert "status_update_gap" not in codes(on_holiday)
    assert on_holiday.score > unexplained.score
    # A holiday outside the gap explains nothing.
    elsewhere = score(active_client(away=away_days((100, 90)), **quiet))
    assert elsewhere.score == unexplained.score


def test_a_month_without_news_on_an_active_project_costs_clearly_more_than_a_third() -> None:
    # "Four weeks without a word while the project is running: the client wonders whether I vanished."
    # 004 "La communication": "Réaffirmer les objectifs fixés, en faisant le point régulièrement sur le
    # déroulement du projet."
    on_cadence = score(model_client())
    silent = score(model_client(interactions=weekly_updates(12, last=30) + exchanges(6)))
    assert silent.score <= on_cadence.score * 0.6
    assert silent.band != "healthy"


def test_a_routine_status_update_is_not_an_answer_to_the_clients_question() -> None:
    # "The client asked a question on Monday; my weekly update on Wednesday did not answer it."
    # 004 "Les intérêts": "Le client peut aussi ressentir un manque de soutien, de négligence si une réponse est
    # lente ou incorrecte".
    question = interaction(4, direction="from_client")
    routine = interaction(2, "status_update")
    unanswered = score(model_client(interactions=(*weekly_updates(17, last=9), question, routine)))
    assert "unanswered_message" in codes(unanswered)
    answer = replace(interaction(3.5), answers=question.id)
    answered = score(model_client(interactions=(*weekly_updates(17, last=9), question, routine, answer)))
    assert "unanswered_message" not in codes(answered)
    assert "quick_replies" in codes(answered)


def test_a_promise_forgotten_for_months_asks_to_be_settled_and_keeps_weighing_until_it_is() -> None:
    # "I promised a newsletter template in the spring and neither of us mentioned it again."
    # 000: "Encourager une attitude de « je dis – je fais »"; 004 "Les promesses": "l'éclaircissement sur les
    # imprévus rencontrés, permettent de rester crédible". Issue 22: a word never settled used to fade to a quarter
    # after 300 days; it keeps weighing until it is settled, and its reason says how long it has been open.
    recent = score(model_client(promises=(*kept(5), promise(30, 20))))
    forgotten = score(model_client(promises=(*kept(5), promise(130, 120))))
    ancient = score(model_client(promises=(*kept(5), promise(330, 320))))
    assert "promise_overdue" in codes(recent)
    assert "promise_to_settle" in codes(forgotten)
    reason = next(r for r in forgotten.reasons if r["code"] == "promise_to_settle")
    assert describe(reason).next_step.startswith("Settle it")
    assert reason["params"]["made_on"] == day(130).isoformat()
    assert "Open for 4 months." in describe(reason, TODAY).text
    assert forgotten.score == recent.score == ancient.score
    dropped = score(model_client(promises=(*kept(5), promise(130, 120, state="dropped", dropped_on=day(1)))))
    assert "promise_to_settle" not in codes(dropped)
    assert dropped.score > forgotten.score


def test_my_gut_feeling_weighs_in_for_a_month_then_expires() -> None:
    # "Something is off with this client, even if the journal looks clean."
    # 002: "la confiance est une prise de risque volontaire. C'est un choix"; "La confiance que l'on appelle
    # subjective est accordée de manière naturelle, instinctive".
    plain = score(model_client())
    doubt = score(model_client(feeling=("doubt", day(10), "a discount asked after signing")))
    expired = score(model_client(feeling=("doubt", day(31), "")))
    assert doubt.score < plain.score
    assert "feeling_doubt" in codes(doubt)
    reason = next(r for r in doubt.reasons if r["code"] == "feeling_doubt")
    assert reason["params"]["note"] == "a discount asked after signing" and reason["side"] == ""
    assert expired.score == plain.score


def test_invoices_in_two_currencies_are_named_each_never_summed() -> None:
    # "The UK office pays in pounds, the Paris office in euros: both are late."
    # 004 "Le paiement": "négocier un autre délai de paiement" — which means knowing what is owed, in what.
    owed = (invoice("4500", 95, terms=30), replace(invoice("1800", 70, terms=30), currency="GBP"))
    health = score(model_client(invoices=(*paid_on_time(2), *owed)))
    reason = next(r for r in health.reasons if r["code"] == "invoice_overdue")
    assert reason["params"]["amounts"] == {"EUR": "4500", "GBP": "1800"}
    assert "EUR and" in describe(reason).text and "6300" not in describe(reason).text


def test_a_reliable_client_between_two_projects_is_not_a_stranger() -> None:
    # "Project one is delivered, project two starts next month: we know each other well."
    # 001: "La réciprocité"; 004 conclusion: "la confiance se gagne lentement".
    between = score(
        client(promises=kept(5), invoices=paid_on_time(3), interactions=weekly_updates(12, last=20))
    )
    assert between.band == "healthy"
    assert "status_update_overdue" not in codes(between)
