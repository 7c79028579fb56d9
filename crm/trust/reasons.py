"""Trust-health reasons in words: what happened, and the next step the webmaster's guide recommends.

`describe(reason)` renders one reason of `crm.trust` (a JSON-able dict) in the active language. The web app, the
digest and `trust_report` all call it, so a reason reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


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

    def __str__(self) -> str:
        return self.text


# The guide's remedies ("La gestion d'une mauvaise relation", "Les promesses", "La communication").
def _step_explain_unforeseen() -> str:
    return _("Next time, explain the unforeseen to the client before the due date.")


def _step_overdue() -> str:
    return _(
        "Tell the client now what is holding it up and agree on a new date; explain before the due date next time."
    )


def _step_status_update() -> str:
    return _("Send a status update that restates the project's goals.")


def _step_payment() -> str:
    return _(
        "Find out whether it is a bad payer or a problem that can be solved, and propose a new due date."
    )


def _step_posture() -> str:
    return _(
        "Let the client speak and find the cause: unhappy with the work? Delivered too late? Not on the same "
        "wavelength? If the collaboration must end, recap the contract's limits calmly and professionally."
    )


def _step_ideas() -> str:
    return _("Look for mutual concessions between what the client wants and what the project needs.")


def _step_interests() -> str:
    return _("Show the client consideration and answer faster.")


def _step_reciprocity() -> str:
    return _("Remind the client of what they committed to, and agree together on a new date.")


def _step_answer() -> str:
    return _("Answer faster: a slow reply feels like neglect to the client.")


def _step_history() -> str:
    return _(
        "Log your exchanges, promises and invoices with this client so the score has something to rest on."
    )


def _count(reason: dict[str, Any]) -> int:
    return int(reason.get("params", {}).get("count", 1))


def _p(reason: dict[str, Any], key: str, default: Any = "") -> Any:
    return reason.get("params", {}).get(key, default)


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
            return Explanation(text % {"n": n, "days": days}, _step_explain_unforeseen())
        text = ngettext(
            "The client kept %(n)d promise late (up to %(days)d days).",
            "The client kept %(n)d promises late (up to %(days)d days).",
            n,
        )
        return Explanation(text % {"n": n, "days": days}, _step_reciprocity())

    def broken_explained(r: dict[str, Any]) -> Explanation:
        n = _count(r)
        if mine:
            text = ngettext(
                "%(n)d promise broken, explained before the due date.",
                "%(n)d promises broken, explained before the due date.",
                n,
            )
            return Explanation(text % {"n": n}, _step_explain_unforeseen())
        text = ngettext(
            "The client broke %(n)d promise to you, with notice.",
            "The client broke %(n)d promises to you, with notice.",
            n,
        )
        return Explanation(text % {"n": n}, _step_reciprocity())

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

    def overdue(r: dict[str, Any]) -> Explanation:
        n, days = _count(r), _p(r, "days_overdue", 0)
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
        return Explanation(text % {"n": n, "days": days}, _step_reciprocity())

    def overdue_explained(r: dict[str, Any]) -> Explanation:
        n, days = _count(r), _p(r, "days_overdue", 0)
        if mine:
            text = ngettext(
                "%(n)d promise overdue (by up to %(days)d days); the delay was explained in time.",
                "%(n)d promises overdue (by up to %(days)d days); the delay was explained in time.",
                n,
            )
            return Explanation(text % {"n": n, "days": days}, _step_overdue())
        text = ngettext(
            "The client is %(days)d days late on %(n)d promise to you, with notice.",
            "The client is up to %(days)d days late on %(n)d promises to you, with notice.",
            n,
        )
        return Explanation(text % {"n": n, "days": days}, _step_reciprocity())

    prefix = "promise_" if mine else "client_promise_"
    return {
        prefix + "kept_on_time": kept_on_time,
        prefix + "kept_late": kept_late,
        prefix + "broken_explained": broken_explained,
        prefix + "broken_silently": broken_silently,
        prefix + "overdue": overdue,
        prefix + "overdue_explained": overdue_explained,
    }


def _paid_on_time(r: dict[str, Any]) -> Explanation:
    n = _count(r)
    return Explanation(
        ngettext("%(n)d invoice paid on time.", "%(n)d invoices paid on time.", n) % {"n": n}, ""
    )


def _paid_on_renegotiated(r: dict[str, Any]) -> Explanation:
    n = _count(r)
    text = ngettext(
        "%(n)d invoice paid by the new due date you agreed.",
        "%(n)d invoices paid by the new due dates you agreed.",
        n,
    )
    return Explanation(text % {"n": n}, "")


def _paid_late(r: dict[str, Any]) -> Explanation:
    n, days = _count(r), _p(r, "days_late", 0)
    text = ngettext(
        "%(n)d invoice paid late (up to %(days)d days).", "%(n)d invoices paid late (up to %(days)d days).", n
    )
    return Explanation(text % {"n": n, "days": days}, _step_payment())


def _invoice_overdue(r: dict[str, Any]) -> Explanation:
    n, days, amount = _count(r), _p(r, "days_late", 0), _local_amount(_p(r, "amount", ""))
    text = ngettext(
        "%(n)d unpaid invoice overdue by %(days)d days (%(amount)s).",
        "%(n)d unpaid invoices overdue, by up to %(days)d days (%(amount)s in all).",
        n,
    )
    step = (
        _(
            "The new due date you agreed has passed too: talk it through with the client before you go on working."
        )
        if _p(r, "renegotiated", False)
        else _step_payment()
    )
    return Explanation(text % {"n": n, "days": days, "amount": amount}, step)


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
                _step_payment(),
            ),
        }
        text, step = texts[kind]
        return Explanation(text % {"n": n, "severity": severity}, step)

    return render


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
    return Explanation(text % {"n": n, "days": days}, _step_status_update())


def _update_overdue(r: dict[str, Any]) -> Explanation:
    days, cadence = _p(r, "days_overdue", 0), _p(r, "cadence_days", 7)
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
    days = _p(r, "days_waiting", 0)
    text = ngettext(
        "The client has been waiting %(days)d day for an answer.",
        "The client has been waiting %(days)d days for an answer.",
        days,
    )
    return Explanation(text % {"days": days}, _step_interests())


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
    "invoice_paid_on_time": _paid_on_time,
    "invoice_paid_on_renegotiated_date": _paid_on_renegotiated,
    "invoice_paid_late": _paid_late,
    "invoice_overdue": _invoice_overdue,
    "conflict_open_posture": _conflict("posture"),
    "conflict_open_ideas": _conflict("ideas"),
    "conflict_open_interests": _conflict("interests"),
    "conflict_open_payment": _conflict("payment"),
    "conflict_resolved": _conflict_resolved,
    "status_updates_sent": _updates_sent,
    "status_update_gap": _update_gap,
    "status_update_overdue": _update_overdue,
    "quick_replies": _quick_replies,
    "slow_replies": _slow_replies,
    "unanswered_message": _unanswered,
    "not_enough_history": _not_enough_history,
}

CODES = frozenset(_RENDERERS)


def describe(reason: dict[str, Any]) -> Explanation:
    """Return the reason and its next step in the active language (an unknown code reads as itself)."""
    render = _RENDERERS.get(str(reason.get("code", "")))
    if render is None:
        return Explanation(str(reason.get("code", "")), "")
    return render(reason)
