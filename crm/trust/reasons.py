"""Trust-health reasons in words: what happened, and the next step the webmaster's guide recommends.

`describe(reason)` renders one reason of `crm.trust` (a JSON-able dict) in the active language. The web app, the
digest and `trust_report` all call it, so a reason reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.trust.formula import CLIENT_REPLY_WITHIN_DAYS


def _local_amount(value: str) -> str:
    """Format a stored amount ("4500.00") for the active language ("4 500,00" in French)."""
    try:
        return number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    except (InvalidOperation, TypeError):
        return str(value)


@dataclass(frozen=True, slots=True)
class Explanation:
    text: str
    next_step: str  # "" when there is nothing to do (a reason that helps the score)
    side: str = ""  # "mine" | "client" | "" (the freelancer's feeling, or the whole relationship)
    effect: str = ""  # "helps" | "hurts" | "" (no effect on the score)

    def __str__(self) -> str:
        return self.text

    @property
    def side_label(self) -> str:
        return side_label(self.side)


# The local day `describe` draws day counts against (set for the length of one call).
_TODAY: ContextVar[date | None] = ContextVar("reasons_today", default=None)


def _days_since(reason: dict[str, Any], date_key: str, count_key: str) -> int:
    """Return the days from the stored date `date_key` to the drawing day, else the stored count."""
    today, stored = _TODAY.get(), _p(reason, date_key, "")
    if today is not None and stored:
        try:
            return (today - date.fromisoformat(stored)).days
        except ValueError:
            pass
    return int(_p(reason, count_key, 0))


def _written(iso_day: str) -> str:
    try:
        return date_format(date.fromisoformat(iso_day), "DATE_FORMAT")
    except ValueError:
        return iso_day


# The guide's remedies ("La gestion d'une mauvaise relation", "Les promesses", "La communication"). Every reason
# has its own next step: two different reasons never tell the freelancer the same thing word for word.
def _step_explain_unforeseen() -> str:
    return _("Next time, explain the unforeseen to the client before the due date.")


def _step_warn_early() -> str:
    return _("Next time, warn the client as soon as you see a delay coming, before the due date.")


def _step_replace_broken() -> str:
    return _("You warned the client in time: now agree with them on what replaces the broken promise.")


def _step_overdue() -> str:
    return _(
        "Tell the client now what is holding it up and agree on a new date; explain before the due date next time."
    )


def _step_overdue_explained() -> str:
    return _("Your explanation was given: deliver now, or agree on a new date with the client.")


def _step_explained_late() -> str:
    return _(
        "You explained once the due date had passed: next time, warn the client before it, as soon as you know."
    )


def _step_overdue_explained_late() -> str:
    return _("Deliver now or agree on a new date; next time, warn the client before the due date, not after.")


def _step_client_overdue_explained_late() -> str:
    return _("Agree on a new date with the client, and ask them to tell you before the due date next time.")


def _step_in_grace() -> str:
    return _("Deliver it within the grace days, or tell the client now what is holding it up.")


def _step_client_in_grace() -> str:
    return _("Remind the client kindly of what they promised: a day or two late still counts as on time.")


def _step_client_explained_late() -> str:
    return _("The client explained only after the due date: ask them to warn you earlier next time.")


def _step_invoice_in_grace() -> str:
    return _("Check the payment has left: paid within the grace days, it still counts as on time.")


def _step_settle() -> str:
    return _("Settle it: mark it kept late, broken, or dropped by agreement with the client.")


def _step_status_update() -> str:
    return _("Send a status update that restates the project's goals.")


def _step_status_gap() -> str:
    return _("Plan your next status updates ahead in your calendar so the gaps do not come back.")


def _step_payment() -> str:
    return _(
        "Find out whether it is a bad payer or a problem that can be solved, and propose a new due date."
    )


def _step_paid_late() -> str:
    return _("Before the next invoice, agree with the client on payment terms and a deposit.")


def _step_payment_conflict() -> str:
    return _("Talk the payment disagreement through with the client before you invoice them again.")


def _step_posture() -> str:
    return _(
        "Let the client speak and find the cause: unhappy with the work? Delivered too late? Not on the same "
        "wavelength? If the collaboration must end, recap the contract's limits calmly and professionally."
    )


def _step_ideas() -> str:
    return _("Look for mutual concessions between what the client wants and what the project needs.")


def _step_scope_drift() -> str:
    return _(
        "Clarify the project's objectives with the client, write down what was agreed, and price the extra work "
        "before you take on another change."
    )


def _step_interests() -> str:
    return _("Show the client consideration: restate what the project brings them and how you support them.")


def _step_reciprocity() -> str:
    return _("Remind the client of what they committed to, and agree together on a new date.")


def _step_client_late() -> str:
    return _("Thank the client for delivering, and agree on realistic dates for what they still owe you.")


def _step_client_warned() -> str:
    return _("The client warned you: ask what they can commit to now, and plan your work around it.")


def _step_client_overdue() -> str:
    return _("Ask the client for what they promised, and tell them what it holds up on your side.")


def _step_client_overdue_explained() -> str:
    return _("The client told you about the delay: agree with them on a new date and plan around it.")


def _step_client_settle() -> str:
    return _(
        "Settle what the client promised long ago with them: did it come late, not at all, or did you both drop it?"
    )


def _step_answer() -> str:
    return _("Answer faster: a slow reply feels like neglect to the client.")


def _step_unanswered() -> str:
    return _("Answer the client's message today, even briefly, and link your answer to it.")


def _step_client_slow_answers() -> str:
    return _(
        "Agree with the client on how soon you each answer, and on who answers for them when they are away."
    )


def _step_client_unanswered() -> str:
    return _("Ask again, by phone if need be, and link their answer to your question when it comes.")


def _step_history() -> str:
    return _(
        "Log your exchanges, promises and invoices with this client so the score has something to rest on."
    )


def _step_doubt() -> str:
    return _("Put a name on what feels off and check it against the journal: a promise, a payment, a tone?")


def _step_distrust() -> str:
    return _("Before taking on more work, talk it over with the client or recap the contract's limits.")


def _step_my_side() -> str:
    return _("Work on your own side first: the reasons marked “my word” lift the whole score.")


def _step_client_side() -> str:
    return _("Work on the client's side first: raise what they owe you (payments, promises, tone) with them.")


def _count(reason: dict[str, Any]) -> int:
    return int(reason.get("params", {}).get("count", 1))


def _p(reason: dict[str, Any], key: str, default: Any = "") -> Any:
    return reason.get("params", {}).get(key, default)


def _open_for(r: dict[str, Any], text: str) -> str:
    """Return `text` followed by how long the oldest promise it counts has been open ("Open for 7 months."), from
    the day it was made to the drawing day, when the reason stores that day. A word left open keeps its weight
    until it is settled: the time it has been open is what the reason says instead."""
    today, made = _TODAY.get(), _p(r, "made_on", "")
    if today is None or not made:
        return text
    try:
        days = (today - date.fromisoformat(made)).days
    except ValueError:
        return text
    if days < 60:
        since = ngettext("Open for %(n)d day.", "Open for %(n)d days.", days) % {"n": days}
    else:
        months = days // 30
        since = ngettext("Open for %(n)d month.", "Open for %(n)d months.", months) % {"n": months}
    return f"{text} {since}"


def _promise_texts(whose: str) -> dict[str, Callable[[dict[str, Any]], Explanation]]:
    """Return the renderers of the promise outcomes, for the freelancer's promises or the client's own."""
    mine = whose == "freelancer"

    def kept_on_time(r: dict[str, Any]) -> Explanation:
        n = _count(r)
        text = (
            ngettext("%(n)d promise kept on time.", "%(n)d promises kept on time.", n)
            if mine
            else ngettext(
                "The client kept %(n)d promise to you on time.",
                "The client kept %(n)d promises to you on time.",
                n,
            )
        )
        return Explanation(text % {"n": n}, "")

    def kept_late(r: dict[str, Any]) -> Explanation:
        n, days = _count(r), _p(r, "days_late", 0)
        if mine:
            text = ngettext(
                "%(n)d promise kept late (up to %(days)d days).",
                "%(n)d promises kept late (up to %(days)d days).",
                n,
            )
            return Explanation(text % {"n": n, "days": days}, _step_warn_early())
        text = ngettext(
            "The client kept %(n)d promise late (up to %(days)d days).",
            "The client kept %(n)d promises late (up to %(days)d days).",
            n,
        )
        return Explanation(text % {"n": n, "days": days}, _step_client_late())

    def broken_explained(r: dict[str, Any]) -> Explanation:
        n = _count(r)
        if mine:
            text = ngettext(
                "%(n)d promise broken, explained before the due date.",
                "%(n)d promises broken, explained before the due date.",
                n,
            )
            return Explanation(text % {"n": n}, _step_replace_broken())
        text = ngettext(
            "The client broke %(n)d promise to you, with notice.",
            "The client broke %(n)d promises to you, with notice.",
            n,
        )
        return Explanation(text % {"n": n}, _step_client_warned())

    def broken_silently(r: dict[str, Any]) -> Explanation:
        n = _count(r)
        if mine:
            text = ngettext(
                "%(n)d promise broken without a word to the client.",
                "%(n)d promises broken without a word to the client.",
                n,
            )
            return Explanation(text % {"n": n}, _step_explain_unforeseen())
        text = ngettext(
            "The client broke %(n)d promise to you without a word.",
            "The client broke %(n)d promises to you without a word.",
            n,
        )
        return Explanation(text % {"n": n}, _step_reciprocity())

    def broken_explained_late(r: dict[str, Any]) -> Explanation:
        n = _count(r)
        if mine:
            text = ngettext(
                "%(n)d promise broken, explained only after the due date.",
                "%(n)d promises broken, explained only after the due date.",
                n,
            )
            return Explanation(text % {"n": n}, _step_explained_late())
        text = ngettext(
            "The client broke %(n)d promise to you and explained only after the due date.",
            "The client broke %(n)d promises to you and explained only after the due date.",
            n,
        )
        return Explanation(text % {"n": n}, _step_client_explained_late())

    def in_grace(r: dict[str, Any]) -> Explanation:
        n = _count(r)
        if mine:
            text = ngettext(
                "%(n)d promise just past its due date: kept now, it still counts as on time.",
                "%(n)d promises just past their due date: kept now, they still count as on time.",
                n,
            )
            return Explanation(text % {"n": n}, _step_in_grace())
        text = ngettext(
            "The client's promise is just past its due date: kept now, it still counts as on time.",
            "%(n)d promises of the client are just past their due date: kept now, they still count as on time.",
            n,
        )
        return Explanation(text % {"n": n}, _step_client_in_grace())

    def overdue_explained_late(r: dict[str, Any]) -> Explanation:
        n, days = _count(r), _days_since(r, "due_on", "days_overdue")
        if mine:
            text = ngettext(
                "%(n)d promise overdue (by up to %(days)d days), explained only after the due date.",
                "%(n)d promises overdue (by up to %(days)d days), explained only after the due date.",
                n,
            )
            return Explanation(text % {"n": n, "days": days}, _step_overdue_explained_late())
        text = ngettext(
            "The client is %(days)d days late on %(n)d promise to you, explained only after the due date.",
            "The client is up to %(days)d days late on %(n)d promises to you, explained only after the due date.",
            n,
        )
        return Explanation(text % {"n": n, "days": days}, _step_client_overdue_explained_late())

    def overdue(r: dict[str, Any]) -> Explanation:
        n, days = _count(r), _days_since(r, "due_on", "days_overdue")
        if mine:
            text = ngettext(
                "%(n)d promise overdue (by up to %(days)d days), not explained to the client.",
                "%(n)d promises overdue (by up to %(days)d days), not explained to the client.",
                n,
            )
            return Explanation(text % {"n": n, "days": days}, _step_overdue())
        text = ngettext(
            "The client is %(days)d days late on %(n)d promise to you.",
            "The client is up to %(days)d days late on %(n)d promises to you.",
            n,
        )
        return Explanation(text % {"n": n, "days": days}, _step_client_overdue())

    def overdue_explained(r: dict[str, Any]) -> Explanation:
        n, days = _count(r), _days_since(r, "due_on", "days_overdue")
        if mine:
            text = ngettext(
                "%(n)d promise overdue (by up to %(days)d days); the delay was explained in time.",
                "%(n)d promises overdue (by up to %(days)d days); the delay was explained in time.",
                n,
            )
            return Explanation(text % {"n": n, "days": days}, _step_overdue_explained())
        text = ngettext(
            "The client is %(days)d days late on %(n)d promise to you, with notice.",
            "The client is up to %(days)d days late on %(n)d promises to you, with notice.",
            n,
        )
        return Explanation(text % {"n": n, "days": days}, _step_client_overdue_explained())

    def to_settle(r: dict[str, Any]) -> Explanation:
        n, days = _count(r), _days_since(r, "due_on", "days_overdue")
        values = {"n": n, "days": days}
        if mine:
            text = ngettext(
                "%(n)d promise still open %(days)d days after its due date: is it kept, broken or dropped?",
                "%(n)d promises still open, up to %(days)d days after their due date: are they kept, broken or dropped?",
                n,
            )
            return Explanation(_open_for(r, text % values), _step_settle())
        text = ngettext(
            "The client's promise is still open %(days)d days after its due date: is it kept, broken or dropped?",
            "%(n)d promises of the client are still open, up to %(days)d days after their due date: are they kept, broken or dropped?",
            n,
        )
        return Explanation(_open_for(r, text % values), _step_client_settle())

    prefix = "promise_" if mine else "client_promise_"
    return {
        prefix + "kept_on_time": kept_on_time,
        prefix + "kept_late": kept_late,
        prefix + "broken_explained": broken_explained,
        prefix + "broken_explained_late": broken_explained_late,
        prefix + "broken_silently": broken_silently,
        prefix + "in_grace": in_grace,
        prefix + "overdue": overdue,
        prefix + "overdue_explained": overdue_explained,
        prefix + "overdue_explained_late": overdue_explained_late,
        prefix + "to_settle": to_settle,
    }


def _recap_promise_kept(whose: str) -> Callable[[dict[str, Any]], Explanation]:
    """The bonus of promises kept on time that the client had confirmed in a written recap (crm/recaps)."""

    def render(r: dict[str, Any]) -> Explanation:
        n = _count(r)
        if whose == "freelancer":
            text = ngettext(
                "%(n)d promise of a recap the client confirmed, kept on time: written down and agreed, it counts more.",
                "%(n)d promises of recaps the client confirmed, kept on time: written down and agreed, they count more.",
                n,
            )
        else:
            text = ngettext(
                "The client kept on time %(n)d promise they had confirmed in a written recap.",
                "The client kept on time %(n)d promises they had confirmed in written recaps.",
                n,
            )
        return Explanation(text % {"n": n}, "")

    return render


def _paid_on_time(r: dict[str, Any]) -> Explanation:
    n = _count(r)
    text = ngettext("%(n)d invoice paid on time.", "%(n)d invoices paid on time.", n) % {"n": n}
    return Explanation(text + _no_rate(r), "")


def _paid_on_renegotiated(r: dict[str, Any]) -> Explanation:
    n = _count(r)
    if _p(r, "days_late", None) is None:  # a reason stored before lateness ran from the first due date
        text = ngettext(
            "%(n)d invoice paid by the new due date you agreed.",
            "%(n)d invoices paid by the new due dates you agreed.",
            n,
        )
    else:
        # One story: the word kept, and the lateness from the first due date, each said once.
        text = ngettext(
            "%(n)d invoice paid by the new due date you agreed, the client's word kept, %(days)d days after its "
            "first due date.",
            "%(n)d invoices paid by the new due dates you agreed, the client's word kept, up to %(days)d days "
            "after their first due dates.",
            n,
        )
    step = _("The client kept the new date: agree on payment terms they can keep before the next invoice.")
    return Explanation(text % {"n": n, "days": _p(r, "days_late", 0)} + _no_rate(r), step)


def _paid_late(r: dict[str, Any]) -> Explanation:
    n, days = _count(r), _p(r, "days_late", 0)
    text = ngettext(
        "%(n)d invoice paid late (up to %(days)d days).", "%(n)d invoices paid late (up to %(days)d days).", n
    ) % {"n": n, "days": days}
    broken = int(_p(r, "words_broken", 0))
    if broken:
        text += " " + ngettext(
            "The client had promised to pay it by %(day)s and paid after that day.",
            "The client had promised new dates (the first %(day)s) and paid after them.",
            broken,
        ) % {"day": _written(_p(r, "new_due_on", ""))}
    return Explanation(text + _no_rate(r), _step_paid_late())


def _no_rate(r: dict[str, Any]) -> str:
    """Return the sentence saying which currencies no reference rate converts (else "")."""
    missing = _p(r, "no_rate", None)
    if not missing:
        return ""
    return " " + _(
        "No exchange rate is known for %(currencies)s: weighed against the invoices in that currency only."
    ) % {"currencies": ", ".join(missing)}


def _reminders_sent(r: dict[str, Any]) -> Explanation:
    n = _count(r)
    text = ngettext("%(n)d payment reminder sent.", "%(n)d payment reminders sent.", n)
    if _p(r, "step", 1) >= 3:
        text = ngettext(
            "%(n)d payment reminder sent, including a formal notice.",
            "%(n)d payment reminders sent, including a formal notice.",
            n,
        )
    step = _("Before the next reminder, a call often tells a bad payer from a problem that can be solved.")
    return Explanation(text % {"n": n}, step)


def _amounts(r: dict[str, Any]) -> str:
    """Return the amounts owed, one per currency, never added together ("1 200,00 EUR and 800,00 USD")."""
    amounts = _p(r, "amounts", None)
    if not amounts:  # a reason stored before amounts were kept per currency
        return _local_amount(_p(r, "amount", ""))
    parts = [f"{_local_amount(value)}\u00a0{currency}" for currency, value in sorted(amounts.items())]
    return (
        parts[0]
        if len(parts) == 1
        else _("%(first)s and %(last)s")
        % {
            "first": ", ".join(parts[:-1]),
            "last": parts[-1],
        }
    )


def _invoice_overdue(r: dict[str, Any]) -> Explanation:
    n, days, amount = _count(r), _days_since(r, "due_on", "days_late"), _amounts(r)
    text = ngettext(
        "%(n)d unpaid invoice overdue by %(days)d days (%(amount)s).",
        "%(n)d unpaid invoices overdue, by up to %(days)d days (%(amount)s in all).",
        n,
    ) % {"n": n, "days": days, "amount": amount}
    # One story per debt: the client's word to pay by a new date is said here, once, beside the lateness.
    broken, waiting = int(_p(r, "words_broken", 0)), int(_p(r, "words_open", 0))
    new_day = _written(_p(r, "new_due_on", "")) if _p(r, "new_due_on", "") else ""
    if broken:
        text += " " + ngettext(
            "The client's promise to pay by %(day)s was not kept.",
            "%(count)d promises of the client to pay (the first by %(day)s) were not kept.",
            broken,
        ) % {"count": broken, "day": new_day}
        step = _(
            "The new due date you agreed has passed too: talk it through with the client before you go on working."
        )
    elif waiting:
        text += " " + ngettext(
            "The client has promised to pay it by %(day)s.",
            "The client has promised to pay them, the first by %(day)s.",
            waiting,
        ) % {"day": new_day}
        step = _("A new date is agreed: note it, and remind the client the day before rather than after.")
    elif _p(r, "renegotiated", False) and not new_day:  # a reason stored before the word was weighed with it
        step = _(
            "The new due date you agreed has passed too: talk it through with the client before you go on working."
        )
    else:
        step = _step_payment()
    return Explanation(text + _no_rate(r), step)


def _invoice_in_grace(r: dict[str, Any]) -> Explanation:
    n, amount = _count(r), _amounts(r)
    text = ngettext(
        "%(n)d invoice just past its due date (%(amount)s): paid now, it still counts as on time.",
        "%(n)d invoices just past their due date (%(amount)s in all): paid now, they still count as on time.",
        n,
    )
    return Explanation(text % {"n": n, "amount": amount}, _step_invoice_in_grace())


def _severity(r: dict[str, Any]) -> str:
    severity = int(_p(r, "severity", 1))
    return {1: _("minor"), 2: _("serious"), 3: _("critical")}.get(severity, _("minor"))


def _conflict(kind: str) -> Callable[[dict[str, Any]], Explanation]:
    def render(r: dict[str, Any]) -> Explanation:
        n, severity = _count(r), _severity(r)
        texts = {
            "posture": (
                ngettext(
                    "%(n)d open posture conflict (the client lost their temper or reproached you; %(severity)s).",
                    "%(n)d open posture conflicts (the client lost their temper or reproached you; up to %(severity)s).",
                    n,
                ),
                _step_posture(),
            ),
            "ideas": (
                ngettext(
                    "%(n)d open conflict of ideas (%(severity)s).",
                    "%(n)d open conflicts of ideas (up to %(severity)s).",
                    n,
                ),
                _step_ideas(),
            ),
            "interests": (
                ngettext(
                    "%(n)d open conflict of interests (%(severity)s).",
                    "%(n)d open conflicts of interests (up to %(severity)s).",
                    n,
                ),
                _step_interests(),
            ),
            "payment": (
                ngettext(
                    "%(n)d open payment conflict (%(severity)s).",
                    "%(n)d open payment conflicts (up to %(severity)s).",
                    n,
                ),
                _step_payment_conflict(),
            ),
        }
        text, step = texts[kind]
        return Explanation(text % {"n": n, "severity": severity}, step)

    return render


def _scope_drift(r: dict[str, Any]) -> Explanation:
    n, days = int(_p(r, "changes", _count(r))), int(_p(r, "window_days", 60))
    text = ngettext(
        "Conflict of ideas: %(n)d change of scope without a price in %(days)d days (the scope is drifting).",
        "Conflict of ideas: %(n)d changes of scope without a price in %(days)d days (the scope is drifting).",
        n,
    )
    return Explanation(text % {"n": n, "days": days}, _step_scope_drift())


def _conflict_resolved(r: dict[str, Any]) -> Explanation:
    n = _count(r)
    text = ngettext(
        "%(n)d resolved conflict, still fading from the score.",
        "%(n)d resolved conflicts, still fading from the score.",
        n,
    )
    return Explanation(text % {"n": n}, "")


def _updates_sent(r: dict[str, Any]) -> Explanation:
    n = _count(r)
    text = ngettext("%(n)d status update sent on cadence.", "%(n)d status updates sent on cadence.", n)
    return Explanation(text % {"n": n}, "")


def _update_gap(r: dict[str, Any]) -> Explanation:
    n, days = _count(r), _p(r, "longest_gap_days", 0)
    text = ngettext(
        "%(n)d past gap between status updates (the longest %(days)d days).",
        "%(n)d past gaps between status updates (the longest %(days)d days).",
        n,
    )
    return Explanation(text % {"n": n, "days": days}, _step_status_gap())


def _update_overdue(r: dict[str, Any]) -> Explanation:
    days, cadence = _days_since(r, "due_on", "days_overdue"), _p(r, "cadence_days", 7)
    text = ngettext(
        "Status update overdue by %(days)d day (agreed every %(cadence)d days).",
        "Status update overdue by %(days)d days (agreed every %(cadence)d days).",
        days,
    )
    return Explanation(text % {"days": days, "cadence": cadence}, _step_status_update())


def _quick_replies(r: dict[str, Any]) -> Explanation:
    n = _count(r)
    text = ngettext(
        "%(n)d message from the client answered within two days.",
        "%(n)d messages from the client answered within two days.",
        n,
    )
    return Explanation(text % {"n": n}, "")


def _slow_replies(r: dict[str, Any]) -> Explanation:
    n, days = _count(r), _p(r, "max_days", 0)
    text = ngettext(
        "%(n)d slow reply to the client (up to %(days)d days).",
        "%(n)d slow replies to the client (up to %(days)d days).",
        n,
    )
    return Explanation(text % {"n": n, "days": days}, _step_answer())


def _unanswered(r: dict[str, Any]) -> Explanation:
    days = _days_since(r, "since_on", "days_waiting")
    text = ngettext(
        "The client has been waiting %(days)d day for an answer.",
        "The client has been waiting %(days)d days for an answer.",
        days,
    )
    return Explanation(text % {"days": days}, _step_unanswered())


def _client_quick_answers(r: dict[str, Any]) -> Explanation:
    n = _count(r)
    text = ngettext(
        "%(n)d of your questions answered by the client within %(days)d days.",
        "%(n)d of your questions answered by the client within %(days)d days.",
        n,
    )
    return Explanation(text % {"n": n, "days": int(CLIENT_REPLY_WITHIN_DAYS)}, "")


def _client_slow_answers(r: dict[str, Any]) -> Explanation:
    n, days = _count(r), _p(r, "max_days", 0)
    text = ngettext(
        "%(n)d slow answer from the client to your questions (up to %(days)d days).",
        "%(n)d slow answers from the client to your questions (up to %(days)d days).",
        n,
    )
    return Explanation(text % {"n": n, "days": days}, _step_client_slow_answers())


def _client_unanswered(r: dict[str, Any]) -> Explanation:
    days = _days_since(r, "since_on", "days_waiting")
    text = ngettext(
        "Your question has been waiting %(days)d day for the client's answer.",
        "Your question has been waiting %(days)d days for the client's answer.",
        days,
    )
    return Explanation(text % {"days": days}, _step_client_unanswered())


def _feeling(rating: str) -> Callable[[dict[str, Any]], Explanation]:
    def render(r: dict[str, Any]) -> Explanation:
        day = _written(_p(r, "expires_on", ""))
        texts = {
            "trust": (_("Your own feeling, until %(day)s: you trust them."), ""),
            "doubt": (_("Your own feeling, until %(day)s: something is off."), _step_doubt()),
            "distrust": (_("Your own feeling, until %(day)s: you no longer trust them."), _step_distrust()),
        }
        text, step = texts[rating]
        return Explanation(text % {"day": day}, step)

    return render


# -- the client's own voice on their page (issue 26): always told as the client's word, never as a feeling ----


def _step_client_check_in_low() -> str:
    return _(
        "The client told you it is not going well: call them, ask what should change, then write down what you "
        "agree."
    )


def _step_client_check_in_mixed() -> str:
    return _(
        "The client has doubts: ask them what would make the work go well, agree on one change and write it down."
    )


def _client_check_in(level: str) -> Callable[[dict[str, Any]], Explanation]:
    def render(r: dict[str, Any]) -> Explanation:
        n = _count(r)
        texts = {
            "good": (
                ngettext(
                    "The client said the work is going well (%(n)d check-in on their page).",
                    "The client said the work is going well (%(n)d check-ins on their page).",
                    n,
                ),
                "",
            ),
            "mixed": (
                ngettext(
                    "The client said the work is going so-so (%(n)d check-in on their page).",
                    "The client said the work is going so-so (%(n)d check-ins on their page).",
                    n,
                ),
                _step_client_check_in_mixed(),
            ),
            "poor": (
                ngettext(
                    "The client said the work is not going well (%(n)d check-in on their page).",
                    "The client said the work is not going well (%(n)d check-ins on their page).",
                    n,
                ),
                _step_client_check_in_low(),
            ),
        }
        text, step = texts[level]
        return Explanation(text % {"n": n}, step)

    return render


def _step_told_by_the_client(step: str) -> str:
    # The client said it themselves: the guide's way out, after an answer to them first.
    return _("They told you themselves: answer them today. %(step)s") % {"step": step}


def _client_signal(kind: str) -> Callable[[dict[str, Any]], Explanation]:
    def render(r: dict[str, Any]) -> Explanation:
        n = _count(r)
        texts = {
            "ideas": (
                ngettext(
                    "The client said something bothers them about the ideas of the work (%(n)d concern, open).",
                    "The client said something bothers them about the ideas of the work (%(n)d concerns, open).",
                    n,
                ),
                _step_told_by_the_client(_step_ideas()),
            ),
            "interests": (
                ngettext(
                    "The client said something bothers them about their interests (%(n)d concern, open).",
                    "The client said something bothers them about their interests (%(n)d concerns, open).",
                    n,
                ),
                _step_told_by_the_client(_step_interests()),
            ),
            "payment": (
                ngettext(
                    "The client said something bothers them about payment (%(n)d concern, open).",
                    "The client said something bothers them about payment (%(n)d concerns, open).",
                    n,
                ),
                _step_told_by_the_client(_step_payment_conflict()),
            ),
            "posture": (
                ngettext(
                    "The client said something bothers them in how you work together (%(n)d concern, open).",
                    "The client said something bothers them in how you work together (%(n)d concerns, open).",
                    n,
                ),
                _step_told_by_the_client(_step_posture()),
            ),
        }
        text, step = texts[kind]
        return Explanation(text % {"n": n}, step)

    return render


def _client_signal_resolved(r: dict[str, Any]) -> Explanation:
    n = _count(r)
    text = ngettext(
        "The client raised %(n)d concern you resolved together, still fading from the score.",
        "The client raised %(n)d concerns you resolved together, still fading from the score.",
        n,
    )
    return Explanation(text % {"n": n}, "")


def _held_by(side: str) -> Callable[[dict[str, Any]], Explanation]:
    def render(r: dict[str, Any]) -> Explanation:
        values = {"score": int(_p(r, "side_score", 50)), "margin": int(_p(r, "margin", 25))}
        if side == "mine":
            text = _(
                "Held back by your own word (%(score)d): the overall stays within %(margin)d points of the "
                "weaker side."
            )
            return Explanation(text % values, _step_my_side())
        text = _(
            "Held back by the client's word (%(score)d): the overall stays within %(margin)d points of the "
            "weaker side."
        )
        return Explanation(text % values, _step_client_side())

    return render


def _not_enough_history(r: dict[str, Any]) -> Explanation:
    n = _count(r)
    if n >= int(_p(r, "needed", 3)):
        text = ngettext(
            "Not enough recent history: the %(n)d event on record is months old.",
            "Not enough recent history: the %(n)d events on record are months old.",
            n,
        )
    else:
        text = ngettext(
            "Not enough history yet: %(n)d event to go on.",
            "Not enough history yet: %(n)d events to go on.",
            n,
        )
    return Explanation(text % {"n": n}, _step_history())


_RENDERERS: dict[str, Callable[[dict[str, Any]], Explanation]] = {
    **_promise_texts("freelancer"),
    **_promise_texts("client"),
    "recap_promise_kept": _recap_promise_kept("freelancer"),
    "client_recap_promise_kept": _recap_promise_kept("client"),
    "invoice_paid_on_time": _paid_on_time,
    "invoice_paid_on_renegotiated_date": _paid_on_renegotiated,
    "invoice_paid_late": _paid_late,
    "invoice_overdue": _invoice_overdue,
    "invoice_in_grace": _invoice_in_grace,
    "payment_reminder_sent": _reminders_sent,
    "conflict_open_posture": _conflict("posture"),
    "conflict_open_ideas": _conflict("ideas"),
    "conflict_open_interests": _conflict("interests"),
    "conflict_open_payment": _conflict("payment"),
    "conflict_resolved": _conflict_resolved,
    "scope_drift_unpriced": _scope_drift,
    "status_updates_sent": _updates_sent,
    "status_update_gap": _update_gap,
    "status_update_overdue": _update_overdue,
    "quick_replies": _quick_replies,
    "slow_replies": _slow_replies,
    "unanswered_message": _unanswered,
    "client_quick_answers": _client_quick_answers,
    "client_slow_answers": _client_slow_answers,
    "client_unanswered_question": _client_unanswered,
    "not_enough_history": _not_enough_history,
    "feeling_trust": _feeling("trust"),
    "feeling_doubt": _feeling("doubt"),
    "feeling_distrust": _feeling("distrust"),
    "client_check_in_good": _client_check_in("good"),
    "client_check_in_mixed": _client_check_in("mixed"),
    "client_check_in_poor": _client_check_in("poor"),
    "client_signal_ideas": _client_signal("ideas"),
    "client_signal_interests": _client_signal("interests"),
    "client_signal_payment": _client_signal("payment"),
    "client_signal_posture": _client_signal("posture"),
    "client_signal_resolved": _client_signal_resolved,
    "held_by_mine_side": _held_by("mine"),
    "held_by_client_side": _held_by("client"),
}

CODES = frozenset(_RENDERERS)


def side_label(side: str) -> str:
    """Return the name of a side of the word, as every page, the digest and the report say it."""
    return {"mine": _("My word"), "client": _("The client's word")}.get(side, "")


def describe(reason: dict[str, Any], today: date | None = None) -> Explanation:
    """Return the reason and its next step in the active language (an unknown code reads as itself).

    With `today` (the freelancer's local day), day counts are drawn from the dates the reason stores, so they
    agree with every other count drawn on the same page, whenever the score was computed.
    """
    code = str(reason.get("code", ""))
    render = _RENDERERS.get(code)
    side = str(reason.get("side", ""))
    impact = float(reason.get("impact") or 0)
    effect = "hurts" if impact < 0 else "helps" if impact > 0 else ""
    if render is None:
        return Explanation(code, "", side, effect)
    token = _TODAY.set(today)
    try:
        explained = render(reason)
    finally:
        _TODAY.reset(token)
    return Explanation(explained.text, explained.next_step, side, effect)
