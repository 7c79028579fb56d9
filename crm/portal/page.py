"""What the client's page shows: the client's own projects, status updates, promises and unpaid invoices.

Every query starts from the page's client, so nothing of another client can appear; each section is one query,
whatever the size of the book.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import Project
from conflicts.models import ConflictSignal
from crm.core import statements
from crm.models import CheckIn, ClientPage, Interaction, Invoice, PaymentReminder, Promise, Recap, ScopeChange
from crm.payments import claims
from crm.payments.interest import Claim
from crm.recaps.writing import lines_of

# How far back settled promises stay on the page (kept, not kept, dropped), and how many items a section shows.
SETTLED_SHOWN_FOR = timedelta(days=90)
LATEST_STATUS_UPDATES = 5
MOST_PROMISES = 40
MOST_INVOICES = 40
MOST_SCOPE_CHANGES = 40
# The recaps shown: every one still awaiting an answer, and the answered ones of the last months (crm/recaps).
MOST_RECAPS = 10

# A promise's outcome in the client's words: the freelancer's vocabulary ("broken without a word", "to settle")
# is theirs; the client reads whether the word was kept, is due, or was explained.
OUTCOME_SHOWN = {
    Promise.Outcome.OPEN: ("due", _("due")),
    Promise.Outcome.OVERDUE: ("late", _("late")),
    Promise.Outcome.TO_SETTLE: ("late", _("late")),
    Promise.Outcome.KEPT_ON_TIME: ("kept", _("kept")),
    Promise.Outcome.KEPT_LATE: ("kept", _("kept late")),
    Promise.Outcome.BROKEN_EXPLAINED: ("explained", _("not kept, explained")),
    Promise.Outcome.BROKEN_EXPLAINED_LATE: ("explained", _("not kept, explained late")),
    Promise.Outcome.BROKEN_SILENTLY: ("broken", _("not kept")),
    Promise.Outcome.DROPPED: ("dropped", _("dropped by agreement")),
}


def _shown_promise(promise: Promise, today: date, zone: Any) -> dict[str, Any]:
    state, label = OUTCOME_SHOWN[promise.outcome(today, zone)]
    return {"promise": promise, "state": state, "label": label}


def late_payment_amounts(invoice: Invoice, today: date, formal_notice_on: date | None = None) -> Claim | None:
    """Return the late-payment interest and compensation the law allows on `invoice` as of `today`, when the
    freelancer claims them from this client (the same claim as the invoice's own page); None otherwise."""
    if not invoice.client.claim_late_payment:
        return None  # waived: not even the rates are read
    return claims.claim_for(invoice, today, claims.load_rates(), formal_notice_on=formal_notice_on)


def _formal_notices(invoices: list[Invoice]) -> dict[int, date]:
    """Return the day each invoice's formal notice was sent, if it was (one query for all of them): a consumer
    owes interest only from then on."""
    sent = PaymentReminder.objects.filter(
        invoice__in=invoices,
        step=PaymentReminder.Step.FORMAL_NOTICE,
        state=PaymentReminder.State.SENT,
        sent_at__isnull=False,
    ).values_list("invoice_id", "sent_at")
    return {invoice_id: sent_at.date() for invoice_id, sent_at in sent}


def _rows_of(
    name: Hashable, build: Callable[..., Any], values: tuple[Any, ...], model: Any, client: Any
) -> list[Any]:
    """Return the rows of one section of the client's page, read through a statement compiled once
    (`crm.core.statements`: building the section's queryset cost more than the database takes to answer it), each
    given the page's client (no query per row)."""
    rows = statements.objects(("client-page", name), build, values, model)
    for row in rows:
        row.client = client
    return rows


def recaps_shown(client: Any, today: date) -> list[Recap]:
    """Return the client's recaps awaiting an answer, and those answered in the last months, newest first, each
    with its `shown_lines` (two queries)."""
    recaps = _rows_of(
        "recaps",
        lambda client_id, since: (
            Recap.objects.filter(client=client_id)
            .filter(Q(answered_at__isnull=True) | Q(written_at__date__gte=since))
            .select_related("interaction")
            .order_by("-written_at", "-pk")[:MOST_RECAPS]
        ),
        (client.pk, today - SETTLED_SHOWN_FOR),
        Recap,
        client,
    )
    lines = lines_of(recaps) if recaps else {}
    for recap in recaps:
        recap.shown_lines = lines[recap.pk]
    return recaps


def page_sections(page: ClientPage, today: date) -> dict[str, Any]:
    """Return the sections of `page` as the client sees them on `today` (the freelancer's local day)."""
    client = page.client
    zone = client.owner.profile.zone
    settled_since = today - SETTLED_SHOWN_FOR
    sections: dict[str, Any] = {}
    if page.show_projects:
        sections["projects"] = _rows_of(
            "projects",
            lambda client_id: (
                Project.objects.filter(client=client_id)
                .exclude(status=Project.Status.CANCELLED)
                .order_by("-created_at", "-pk")
            ),
            (client.pk,),
            Project,
            client,
        )
    if page.show_projects:
        # The projects' scope changes (shown with the projects): every pending one, decided ones of the last months.
        changes = _rows_of(
            "scope_changes",
            lambda client_id, since: (
                ScopeChange.objects.filter(client=client_id)
                .filter(
                    Q(client_decision=ScopeChange.Decision.PENDING)
                    | Q(freelancer_decision=ScopeChange.Decision.PENDING)
                    | Q(asked_on__gte=since)
                )
                .select_related("project")
                .order_by("-asked_on", "-pk")[:MOST_SCOPE_CHANGES]
            ),
            (client.pk, settled_since),
            ScopeChange,
            client,
        )
        for change in changes:
            change.client_can_decide = change.waits_for(ScopeChange.Side.CLIENT)
        sections["scope_changes"] = changes
    if page.show_status_updates:
        sections["status_updates"] = _rows_of(
            "status_updates",
            lambda client_id: (
                Interaction.objects.filter(client=client_id)
                .status_updates()
                .order_by("-happened_at", "-pk")[:LATEST_STATUS_UPDATES]
            ),
            (client.pk,),
            Interaction,
            client,
        )
    if page.show_promises:
        # Open promises whatever their age, settled ones of the last months.
        promises = _rows_of(
            "promises",
            lambda client_id, since: (
                Promise.objects.filter(client=client_id)
                .filter(Q(state=Promise.State.OPEN) | Q(due_on__gte=since))
                .order_by("due_on", "pk")[:MOST_PROMISES]
            ),
            (client.pk, settled_since),
            Promise,
            client,
        )
        shown = [_shown_promise(promise, today, zone) for promise in promises]
        sections["mine"] = [p for p in shown if p["promise"].promisor == Promise.Promisor.FREELANCER]
        sections["theirs"] = [p for p in shown if p["promise"].promisor == Promise.Promisor.CLIENT]
    if page.show_promises:
        sections["recaps"] = recaps_shown(client, today)
    if page.show_invoices:
        invoices = _rows_of(
            "invoices",
            lambda client_id: Invoice.objects.filter(client=client_id, paid_on__isnull=True).order_by(
                "current_due_on", "pk"
            )[:MOST_INVOICES],
            (client.pk,),
            Invoice,
            client,
        )
        overdue = [invoice for invoice in invoices if invoice.is_overdue(today)]
        notices = _formal_notices(overdue) if overdue and client.claim_late_payment else {}
        sections["invoices"] = [
            {
                "invoice": invoice,
                "overdue": invoice.is_overdue(today),
                "days_late": invoice.lateness(today),
                "claim": late_payment_amounts(invoice, today, notices.get(invoice.pk))
                if invoice in overdue
                else None,
            }
            for invoice in invoices
        ]
    return sections


# -- the client's voice (issue 26) ---------------------------------------------------------------------------

# How many of their own check-ins and concerns the client sees on the page (withdrawn ones included, marked so).
MOST_SAID = 10


def voice_section(page: ClientPage) -> dict[str, Any]:
    """Return what the client said on their page, newest first: their check-ins and the concerns they raised
    (two queries, from the page's client only)."""
    client = page.client
    return {
        "check_ins": list(CheckIn.objects.filter(client=client).order_by("-answered_at", "-pk")[:MOST_SAID]),
        "concerns": list(
            ConflictSignal.objects.filter(client=client, raised_by=ConflictSignal.RaisedBy.CLIENT).order_by(
                "-observed_on", "-pk"
            )[:MOST_SAID]
        ),
    }
