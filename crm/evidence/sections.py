"""The evidence pack's sections, in the order the PDF shows them.

A section is a name, a title, one builder and (optionally) the records it adds to the ZIP:

- `build(pack)` returns the context of its partial `templates/evidence/_<name>.html`; it reads a bounded number of
  rows (`PDF_ROWS`, the most recent, shown in time order) in a fixed number of queries, and says how many more
  the ZIP holds, so the PDF's size and the memory it takes stay bounded whatever the client's history;
- `records(pack)` yields every row as a dict of plain values, streamed from the database (`.iterator()`), written
  to the ZIP as `records/<name>.csv` and `records/<name>.json`.

A new kind of record joins the pack with a few lines: a builder, a `records` function if its rows belong in the
ZIP, a partial, and its `Section(...)` in `SECTIONS` where it reads best (the scope's change log after the
projects, the recaps after the promises, the client's own word before the timeline).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery, Sum
from django.utils import timezone
from django.utils.functional import Promise as LazyText
from django.utils.translation import gettext_lazy as _

from clients.models import BusinessLogo, Client, Profile, Project
from conflicts.models import ConflictSignal
from crm.core import queries, rules
from crm.models import Interaction, Invoice, PaymentReminder, Promise
from crm.models.recaps import Recap, RecapLine
from crm.models.scope import ScopeChange
from crm.models.voice import CheckIn

# Rows of one table the PDF shows (the most recent); the ZIP's records hold them all. A few hundred pages at most,
# laid out in a bounded time and memory by the worker (docs/performance.md has the 5,000-event client's numbers).
PDF_ROWS = 500
# Records read from the database at a time when the ZIP streams them.
CHUNK = 1000


@dataclass
class Pack:
    """What every section reads: the client, its freelancer's profile, and the moment the pack is dated."""

    client: Client
    profile: Profile
    now: datetime
    rows: int = PDF_ROWS
    today: date = field(init=False)

    def __post_init__(self) -> None:
        self.today = timezone.localtime(self.now, self.profile.zone).date()

    def local(self, moment: datetime | None) -> datetime | None:
        return None if moment is None else timezone.localtime(moment, self.profile.zone)


@dataclass(frozen=True)
class Section:
    name: str
    title: LazyText
    build: Callable[[Pack], dict[str, Any]]
    records: Callable[[Pack], Iterator[dict[str, Any]]] | None = None

    @property
    def template(self) -> str:
        return f"evidence/_{self.name}.html"


def _latest(queryset: Any, pack: Pack, *order: str) -> tuple[list[Any], int]:
    """Return the `pack.rows` latest rows of `queryset` (ordered by `order`, oldest first) and how many are left
    out of the PDF. Two queries whatever the history's length."""
    total = queryset.count()
    newest_first = [f"-{name}" for name in order]
    rows = list(queryset.order_by(*newest_first)[: pack.rows])
    rows.reverse()
    return rows, max(total - len(rows), 0)


# -- the first page: who is who, and when ---------------------------------------------------------------------


def build_identity(pack: Pack) -> dict[str, Any]:
    logo = BusinessLogo.objects.filter(owner_id=pack.profile.user_id).only("image", "content_type").first()
    owed = (
        Invoice.objects.filter(client=pack.client, paid_on__isnull=True)
        .values("currency")
        .order_by("currency")
        .annotate(
            total=Sum("amount"),
            count=Count("pk"),
            overdue=Count("pk", filter=queries.past_due("current_due_on", pack.today)),
        )
    )
    return {
        "identity": pack.profile,
        "logo": (
            f"data:{logo.content_type};base64,{base64.b64encode(bytes(logo.image)).decode()}" if logo else ""
        ),
        "client": pack.client,
        "drawn_up_at": pack.local(pack.now),
        "time_zone": pack.profile.time_zone,
        "owed": list(owed),
    }


# -- the agreed scope: the projects as they stand ---------------------------------------------------------------


def _projects(pack: Pack) -> Any:
    # What the scope was at first: the budget and due date before the first change both sides accepted (the
    # change keeps them), read in the same query as the projects.
    first_applied = ScopeChange.objects.filter(project=OuterRef("pk"), applied_at__isnull=False).order_by(
        "applied_at", "pk"
    )
    return Project.objects.filter(client=pack.client).annotate(
        changed=Exists(first_applied),
        budget_at_first=Subquery(first_applied.values("budget_before")[:1]),
        due_on_at_first=Subquery(first_applied.values("due_on_before")[:1]),
    )


def _cents(amount: Decimal | None) -> Decimal | None:
    # A subquery's amount comes back from SQLite without its two decimals (4000, not 4000.00).
    return None if amount is None else Decimal(amount).quantize(Decimal("0.01"))


def build_projects(pack: Pack) -> dict[str, Any]:
    projects, more = _latest(_projects(pack), pack, "created_at", "pk")
    return {"projects": projects, "more": more}


def project_records(pack: Pack) -> Iterator[dict[str, Any]]:
    for project in _projects(pack).order_by("created_at", "pk").iterator(chunk_size=CHUNK):
        yield {
            "id": project.pk,
            "title": project.title,
            "goals": project.goals,
            "deliverables": project.deliverables,
            "status": project.status,
            "start_on": project.start_on,
            "due_on": project.due_on,
            "budget": project.budget,
            "currency": project.currency,
            "changed_since_agreed": project.changed,
            "budget_at_first": _cents(project.budget_at_first) if project.changed else project.budget,
            "due_on_at_first": project.due_on_at_first if project.changed else project.due_on,
            "created_at": project.created_at,
        }


# -- the scope's change log: who asked what, its impact, each side's decision -------------------------------------


def _scope_changes(pack: Pack) -> Any:
    return ScopeChange.objects.filter(client=pack.client).select_related("project")


def _scope_change_row(change: ScopeChange, pack: Pack) -> dict[str, Any]:
    return {
        "change": change,
        "state": ScopeChange.Decision(change.state),
        "freelancer_decided_at": pack.local(change.freelancer_decided_at),
        "client_decided_at": pack.local(change.client_decided_at),
    }


def build_scope_changes(pack: Pack) -> dict[str, Any]:
    changes, more = _latest(_scope_changes(pack), pack, "asked_on", "pk")
    return {"rows": [_scope_change_row(change, pack) for change in changes], "more": more}


def scope_change_records(pack: Pack) -> Iterator[dict[str, Any]]:
    for change in _scope_changes(pack).order_by("asked_on", "pk").iterator(chunk_size=CHUNK):
        row = _scope_change_row(change, pack)
        yield {
            "project": change.project.title,
            "asked_on": change.asked_on,
            "asked_by": change.asked_by,
            "description": change.description,
            "price_change": change.price_change,
            "currency": change.project.currency,
            "deadline_change_days": change.deadline_change_days,
            "freelancer_decision": change.freelancer_decision,
            "freelancer_decided_at": row["freelancer_decided_at"],
            "client_decision": change.client_decision,
            "client_decided_at": row["client_decided_at"],
            "state": change.state,
            "applied_at": pack.local(change.applied_at),
            "budget_before": change.budget_before,
            "budget_after": change.budget_after,
            "due_on_before": change.due_on_before,
            "due_on_after": change.due_on_after,
        }


# -- invoices: amounts, due dates, new dates agreed, days late --------------------------------------------------


def _invoices(pack: Pack) -> Any:
    return Invoice.objects.filter(client=pack.client).select_related("project")


def invoice_state(invoice: Invoice, today: date) -> str:
    if invoice.paid_on is not None:
        return "paid"
    return "overdue" if invoice.is_overdue(today) else "due"


def build_invoices(pack: Pack) -> dict[str, Any]:
    invoices, more = _latest(_invoices(pack), pack, "issued_on", "pk")
    rows = [
        {
            "invoice": invoice,
            "days_late": invoice.lateness(pack.today),
            "state": invoice_state(invoice, pack.today),
        }
        for invoice in invoices
    ]
    return {"rows": rows, "more": more, "today": pack.today}


def invoice_records(pack: Pack) -> Iterator[dict[str, Any]]:
    for invoice in _invoices(pack).order_by("issued_on", "pk").iterator(chunk_size=CHUNK):
        yield {
            "number": invoice.number,
            "project": invoice.project.title if invoice.project else "",
            "amount": invoice.amount,
            "currency": invoice.currency,
            "issued_on": invoice.issued_on,
            "due_on": invoice.due_on,
            "renegotiated_due_on": invoice.renegotiated_due_on,
            "paid_on": invoice.paid_on,
            "days_late": invoice.lateness(pack.today),
            "state": invoice_state(invoice, pack.today),
        }


# -- payment reminders sent, with their dates ---------------------------------------------------------------------


def _reminders(pack: Pack) -> Any:
    return PaymentReminder.objects.filter(
        invoice__client=pack.client, state=PaymentReminder.State.SENT, sent_at__isnull=False
    ).select_related("invoice")


def _reminder_row(reminder: PaymentReminder, pack: Pack) -> dict[str, Any]:
    sent_at = pack.local(reminder.sent_at)
    return {
        "reminder": reminder,
        "sent_at": sent_at,
        # How late the invoice was the day the reminder left, counted from the due date it was prepared against.
        "days_late": rules.days_late(reminder.due_basis, sent_at.date()),
    }


def build_payment_reminders(pack: Pack) -> dict[str, Any]:
    reminders, more = _latest(_reminders(pack), pack, "sent_at", "pk")
    return {"rows": [_reminder_row(reminder, pack) for reminder in reminders], "more": more}


def payment_reminder_records(pack: Pack) -> Iterator[dict[str, Any]]:
    for reminder in _reminders(pack).order_by("sent_at", "pk").iterator(chunk_size=CHUNK):
        row = _reminder_row(reminder, pack)
        yield {
            "invoice": reminder.invoice.number,
            "step": reminder.step,
            "step_name": str(reminder.get_step_display()),
            "sent_at": row["sent_at"],
            "counted_from_due_date": reminder.due_basis,
            "days_late_when_sent": row["days_late"],
            "amount": reminder.invoice.amount,
            "currency": reminder.invoice.currency,
        }


# -- the promise log, both ways ------------------------------------------------------------------------------------


def _promises(pack: Pack) -> Any:
    return Promise.objects.filter(client=pack.client).select_related("project", "invoice")


def _promise_row(promise: Promise, pack: Pack) -> dict[str, Any]:
    return {
        "promise": promise,
        "outcome": Promise.Outcome(promise.outcome(pack.today, pack.profile.zone)),
        "settled_on": promise.kept_on or promise.broken_on or promise.dropped_on,
        "clarified_at": pack.local(promise.clarified_at),
    }


def build_promises(pack: Pack) -> dict[str, Any]:
    promises, more = _latest(_promises(pack), pack, "made_on", "pk")
    counts = {
        (row["promisor"], row["state"]): row["n"]
        for row in Promise.objects.filter(client=pack.client)
        .values("promisor", "state")
        .order_by()
        .annotate(n=Count("pk"))
    }
    sides = [
        {
            "promisor": Promise.Promisor(promisor),
            "counts": [
                (Promise.State(state).label, counts.get((promisor, state), 0)) for state in Promise.State
            ],
        }
        for promisor in Promise.Promisor
    ]
    return {"rows": [_promise_row(promise, pack) for promise in promises], "more": more, "sides": sides}


def promise_records(pack: Pack) -> Iterator[dict[str, Any]]:
    for promise in _promises(pack).order_by("made_on", "pk").iterator(chunk_size=CHUNK):
        row = _promise_row(promise, pack)
        yield {
            "promisor": promise.promisor,
            "description": promise.description,
            "project": promise.project.title if promise.project else "",
            "invoice": promise.invoice.number if promise.invoice else "",
            "made_on": promise.made_on,
            "due_on": promise.due_on,
            "state": promise.state,
            "outcome": row["outcome"].value,
            "kept_on": promise.kept_on,
            "broken_on": promise.broken_on,
            "dropped_on": promise.dropped_on,
            "explanation": promise.clarification,
            "explained_at": row["clarified_at"],
        }


# -- recaps of calls and meetings, and what the client answered --------------------------------------------------


def _recaps(pack: Pack) -> Any:
    lines = RecapLine.objects.select_related("promise").order_by("position", "pk")
    return (
        Recap.objects.filter(client=pack.client)
        .select_related("interaction")
        .prefetch_related(Prefetch("lines", queryset=lines))
    )


def recap_state(recap: Recap) -> str:
    """Return "confirmed" (the client confirmed the whole), "answered" (line by line), or "unanswered"."""
    if recap.confirmed_at is not None:
        return "confirmed"
    return "answered" if recap.answered_at is not None else "unanswered"


def _recap_row(recap: Recap, pack: Pack) -> dict[str, Any]:
    return {
        "recap": recap,
        "state": recap_state(recap),
        "call_at": pack.local(recap.interaction.happened_at),
        "written_at": pack.local(recap.written_at),
        "sent_at": pack.local(recap.sent_at),
        "answered_at": pack.local(recap.answered_at),
        "lines": [
            {"line": line, "promise": line.promise, "answered_at": pack.local(line.answered_at)}
            for line in recap.lines.all()
        ],
    }


def build_recaps(pack: Pack) -> dict[str, Any]:
    recaps, more = _latest(_recaps(pack), pack, "written_at", "pk")
    states = {"confirmed": 0, "answered": 0, "unanswered": 0}
    rows = [_recap_row(recap, pack) for recap in recaps]
    for row in rows:
        states[row["state"]] += 1
    return {"rows": rows, "more": more, "states": states}


def recap_records(pack: Pack) -> Iterator[dict[str, Any]]:
    """One row per recap line (a recap without lines gives one row with empty line fields)."""
    for recap in _recaps(pack).order_by("written_at", "pk").iterator(chunk_size=CHUNK):
        row = _recap_row(recap, pack)
        common = {
            "recap": recap.pk,
            "call_at": row["call_at"],
            "call": recap.interaction.summary,
            "written_at": row["written_at"],
            "sent_at": row["sent_at"],
            "state": row["state"],
            "confirmed_at": pack.local(recap.confirmed_at),
            "answered_at": row["answered_at"],
            "decided": recap.decided,
            "open_questions": recap.open_questions,
        }
        empty = {
            "who_promised": "",
            "promise": "",
            "due_on": None,
            "line_answer": "",
            "line_answered_at": None,
        }
        for item in row["lines"] or [None]:
            if item is None:
                yield {**common, **empty, "correction": ""}
                continue
            line, promise = item["line"], item["promise"]
            yield {
                **common,
                "who_promised": promise.promisor,
                "promise": promise.description,
                "due_on": promise.due_on,
                "line_answer": line.answer or "awaiting",
                "line_answered_at": item["answered_at"],
                "correction": line.correction,
            }


# -- the client's own word: check-ins and the concerns raised on their page ----------------------------------------


def _check_ins(pack: Pack) -> Any:
    return CheckIn.objects.filter(client=pack.client)


def _concerns(pack: Pack) -> Any:
    return ConflictSignal.objects.filter(client=pack.client, raised_by=ConflictSignal.RaisedBy.CLIENT)


def build_client_voice(pack: Pack) -> dict[str, Any]:
    check_ins, more_check_ins = _latest(_check_ins(pack), pack, "answered_at", "pk")
    concerns, more_concerns = _latest(_concerns(pack), pack, "observed_on", "pk")
    return {
        "check_ins": [
            {"check_in": c, "at": pack.local(c.answered_at), "withdrawn_at": pack.local(c.withdrawn_at)}
            for c in check_ins
        ],
        "concerns": [{"concern": c, "withdrawn_at": pack.local(c.withdrawn_at)} for c in concerns],
        "more": more_check_ins + more_concerns,
    }


def client_voice_records(pack: Pack) -> Iterator[dict[str, Any]]:
    """The check-ins, then the concerns, each in time order (one table: what the client said, and when)."""
    for check_in in _check_ins(pack).order_by("answered_at", "pk").iterator(chunk_size=CHUNK):
        yield {
            "what": "check-in",
            "said_on": pack.local(check_in.answered_at),
            "level": check_in.level,
            "concern_kind": "",
            "words": check_in.note,
            "withdrawn_at": pack.local(check_in.withdrawn_at),
            "resolved_on": None,
        }
    for concern in _concerns(pack).order_by("observed_on", "pk").iterator(chunk_size=CHUNK):
        yield {
            "what": "concern",
            "said_on": concern.observed_on,
            "level": "",
            "concern_kind": concern.kind,
            "words": concern.description,
            "withdrawn_at": pack.local(concern.withdrawn_at),
            "resolved_on": concern.resolved_on,
        }


# -- conflict signals: what went wrong, and how it was settled ----------------------------------------------------


def _conflicts(pack: Pack) -> Any:
    return ConflictSignal.objects.filter(client=pack.client)


def build_conflicts(pack: Pack) -> dict[str, Any]:
    signals, more = _latest(_conflicts(pack), pack, "observed_on", "pk")
    return {"signals": signals, "more": more}


def conflict_records(pack: Pack) -> Iterator[dict[str, Any]]:
    for signal in _conflicts(pack).order_by("observed_on", "pk").iterator(chunk_size=CHUNK):
        yield {
            "kind": signal.kind,
            "severity": signal.severity,
            "observed_on": signal.observed_on,
            "description": signal.description,
            "state": signal.state,
            "resolved_on": signal.resolved_on,
            "resolution": signal.resolution,
        }


# -- the timeline of interactions ----------------------------------------------------------------------------------


def _interactions(pack: Pack) -> Any:
    return Interaction.objects.filter(client=pack.client).select_related("contact")


def build_timeline(pack: Pack) -> dict[str, Any]:
    interactions, more = _latest(_interactions(pack), pack, "happened_at", "pk")
    rows = [{"interaction": entry, "at": pack.local(entry.happened_at)} for entry in interactions]
    return {"rows": rows, "more": more}


def timeline_records(pack: Pack) -> Iterator[dict[str, Any]]:
    for entry in _interactions(pack).order_by("happened_at", "pk").iterator(chunk_size=CHUNK):
        yield {
            "at": pack.local(entry.happened_at),
            "kind": entry.kind,
            "direction": entry.direction,
            "contact": entry.contact.name if entry.contact else "",
            "automatic": entry.automatic,
            "summary": entry.summary,
        }


SECTIONS: list[Section] = [
    Section("identity", _("Parties"), build_identity),
    Section("projects", _("Agreed scope"), build_projects, project_records),
    Section("scope_changes", _("Scope changes"), build_scope_changes, scope_change_records),
    Section("invoices", _("Invoices"), build_invoices, invoice_records),
    Section(
        "payment_reminders", _("Payment reminders sent"), build_payment_reminders, payment_reminder_records
    ),
    Section("promises", _("Promise log, both ways"), build_promises, promise_records),
    Section("recaps", _("Recaps and the client's answers"), build_recaps, recap_records),
    Section("conflicts", _("Conflict signals"), build_conflicts, conflict_records),
    Section("client_voice", _("The client's own word"), build_client_voice, client_voice_records),
    Section("timeline", _("Timeline of interactions"), build_timeline, timeline_records),
]


def plain(value: Any) -> Any:
    """Return `value` as the records write it: dates and times in ISO 8601, amounts as exact text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return "" if value is None else value
