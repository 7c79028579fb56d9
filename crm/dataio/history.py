"""Past interactions, promises and invoices from a CSV's rows, so history and trust health start from day one.

Each row is one record: its type (interaction, promise or invoice, in French or English), its date, its client
(by name or by a contact's email), and what the record needs (a text, a due date, a number and an amount...).
Dates are ISO (2026-03-01, with a time or not) or day first (01/03/2026), as French spreadsheets write them.
Importing the same file twice adds nothing: an interaction at the same moment with the same text, a promise
made the same day with the same words, or an invoice number already in the book is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from clients.models import Client, Contact
from crm.core.dates import FIRST_DAY, LAST_DAY
from crm.dataio.people import BATCH, Problem
from crm.dataio.reading import looks_like_a_formula
from crm.models import Interaction, Invoice, Promise
from crm.trust.door import journal_changed

TYPES = {
    "interaction": "interaction",
    "echange": "interaction",
    "échange": "interaction",
    "contact": "interaction",
    "promise": "promise",
    "promesse": "promise",
    "engagement": "promise",
    "invoice": "invoice",
    "facture": "invoice",
}
KINDS = {
    "meeting": "meeting", "reunion": "meeting", "réunion": "meeting", "rendez-vous": "meeting", "rdv": "meeting",
    "call": "call", "appel": "call", "telephone": "call", "téléphone": "call",
    "email": "email", "e-mail": "email", "mail": "email", "courriel": "email",
    "message": "message", "sms": "message",
    "status update": "status_update", "status_update": "status_update", "point d'avancement": "status_update",
    "compte rendu": "status_update", "delivery": "delivery", "livraison": "delivery", "other": "other",
    "autre": "other",
}  # fmt: skip
FROM_CLIENT = {"from_client", "from the client", "from client", "du client", "recu", "reçu", "received", "in"}
PROMISE_STATES = {
    "open": "open", "ouverte": "open", "en cours": "open", "kept": "kept", "tenue": "kept",
    "broken": "broken", "rompue": "broken", "non tenue": "broken", "dropped": "dropped", "abandonnee": "dropped",
    "abandonnée": "dropped",
}  # fmt: skip
CLIENT_PROMISED = {"client", "the client", "le client"}
DAY_FIRST = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:\s+(\d{1,2})[:h](\d{2}))?$")


@dataclass
class Entry:
    line: int
    type: str
    client_ref: str
    day: date
    moment: datetime | None
    fields: dict[str, Any] = field(default_factory=dict)
    client_id: int | None = None


def parse_day(text: str) -> tuple[date, datetime | None] | None:
    """Return (day, moment or None) of an ISO or day-first date, or None when it is not one."""
    text = text.strip()
    match = DAY_FIRST.match(text)
    try:
        if match:
            day_, month, year, hour, minute = match.groups()
            day = date(int(year), int(month), int(day_))
            moment = datetime.combine(day, time(int(hour), int(minute))) if hour else None
        elif len(text) <= 10:
            day, moment = date.fromisoformat(text), None
        else:
            moment = datetime.fromisoformat(text.replace("T", " "))
            day = moment.date()
    except ValueError:
        return None
    return day, moment  # naive unless the text says its offset: the freelancer's zone is applied on import


def _amount(text: str) -> Decimal | None:
    cleaned = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "")
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".") if cleaned.rfind(",") > cleaned.rfind(".") else cleaned.replace(",", "")  # fmt: skip
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and 0 < amount < Decimal("1e10") else None


def entry_from(line: int, values: dict[str, str], problems: list[Problem]) -> Entry | None:
    """Return the row's record, or None with its problems added to `problems`."""
    found = [
        _("“%(value)s” (%(column)s) starts like a spreadsheet formula: remove the sign.")
        % {"value": value[:40], "column": name}
        for name, value in values.items()
        if looks_like_a_formula(value) and name != "amount"
    ]
    kind = TYPES.get(values.get("type", "").lower())
    if kind is None:
        found.append(_("The type is interaction, promise or invoice (échange, promesse, facture)."))
    parsed = parse_day(values.get("date", ""))
    if parsed is None or not FIRST_DAY <= parsed[0] <= LAST_DAY:
        found.append(_("The date is missing or not a date between 1970 and 2100 (2026-03-01 or 01/03/2026)."))
    if not values.get("client"):
        found.append(_("No client: give its name or the email of one of its contacts."))
    text = values.get("text", "")
    entry_fields: dict[str, Any] = {}
    if kind == "interaction":
        entry_fields = {
            "kind": KINDS.get(values.get("kind", "").lower(), "other"),
            "direction": "from_client" if values.get("direction", "").lower() in FROM_CLIENT else "to_client",
            "summary": text[:500],
        }
    elif kind in {"promise", "invoice"} and parsed is not None:
        due = parse_day(values["due_on"]) if values.get("due_on") else (parsed[0], None)
        done = parse_day(values["done_on"]) if values.get("done_on") else None
        if due is None or not parsed[0] <= due[0] <= LAST_DAY:
            found.append(_("The due date is not a date on or after the record's date."))
        elif values.get("done_on") and (done is None or not FIRST_DAY <= done[0] <= LAST_DAY):
            found.append(_("The day it was kept or paid is not a date between 1970 and 2100."))
        elif kind == "promise":
            entry_fields = _promise_fields(text, values, due[0], done[0] if done else None, found)
        else:
            entry_fields = _invoice_fields(values, due[0], done[0] if done else None, found)
    problems.extend(Problem(line, message) for message in found)
    if found or kind is None or parsed is None:
        return None
    return Entry(line, kind, values["client"], parsed[0], parsed[1], entry_fields)


def _promise_fields(text: str, values: dict[str, str], due: date, done: date | None, found: list[str]) -> Any:
    if not text:
        found.append(_("A promise needs its words: what was promised."))
    state = PROMISE_STATES.get(values.get("state", "open").lower() or "open")
    if state is None:
        found.append(_("A promise is open, kept, broken or dropped."))
    day_field = {"kept": "kept_on", "broken": "broken_on", "dropped": "dropped_on"}.get(state or "")
    settled = {day_field: done or due} if day_field else {}
    promisor = "client" if values.get("promisor", "").lower() in CLIENT_PROMISED else "freelancer"
    return {"description": text[:300], "due_on": due, "state": state, "promisor": promisor, **settled}


def _invoice_fields(values: dict[str, str], due: date, paid: date | None, found: list[str]) -> Any:
    amount = _amount(values.get("amount", ""))
    number = values.get("number", "")
    currency = (values.get("currency") or "EUR").upper()
    if amount is None:
        found.append(_("An invoice needs an amount above zero (1234.56 or 1 234,56)."))
    if not number or len(number) > 40:
        found.append(_("An invoice needs its number (at most 40 characters)."))
    if not (len(currency) == 3 and currency.isalpha()):
        found.append(_("Use a three-letter currency code, such as EUR."))
    return {"number": number, "amount": amount, "currency": currency, "due_on": due, "paid_on": paid}


def resolve_clients(owner: Any, entries: list[Entry], problems: list[Problem]) -> None:
    """Find each entry's client in the owner's book, by a contact's email or by name (two queries)."""
    by_name = {name.lower(): pk for pk, name in Client.objects.filter(owner=owner).values_list("pk", "name")}
    by_email = {
        email.lower(): client_id
        for client_id, email in Contact.objects.filter(owner=owner)
        .exclude(email="")
        .values_list("client_id", "email")
    }
    for entry in entries:
        ref = entry.client_ref.lower()
        entry.client_id = by_email.get(ref) or by_name.get(ref)
        if entry.client_id is None:
            problems.append(
                Problem(
                    entry.line,
                    _("No client “%(client)s” in your book: import it first.")
                    % {"client": entry.client_ref[:60]},
                )
            )


@dataclass
class HistoryPlan:
    """The records some entries add to a book, decided before anything is written (the preview shows it)."""

    rows: dict[str, list[Any]]  # "interaction", "promise", "invoice" -> unsaved records
    skipped: list[Entry]  # already in the book (or twice in the file): the duplicate rule


def plan_entries(
    owner: Any, entries: list[Entry], progress: Callable[[int], None] | None = None
) -> HistoryPlan:
    """Decide, writing nothing, which records `entries` add and which are already in the book: the same
    interaction (client, moment, summary), the same promise (client, day made, words) or an invoice number
    already taken. The one duplicate rule of the preview and of the import."""
    zone = owner.profile.zone
    client_ids = {entry.client_id for entry in entries}
    seen_interactions = set(
        Interaction.objects.filter(client_id__in=client_ids).values_list(
            "client_id", "happened_at", "summary"
        )
    )
    seen_promises = set(
        Promise.objects.filter(client_id__in=client_ids).values_list("client_id", "made_on", "description")
    )
    # Numbers compared as the invoice rule does: whatever their case (Invoice.number_taken_by).
    seen_numbers = {
        number.lower() for number in Invoice.objects.filter(owner=owner).values_list("number", flat=True)
    }
    plan = HistoryPlan({"interaction": [], "promise": [], "invoice": []}, [])
    for done, entry in enumerate(entries, start=1):
        if progress and done % BATCH == 0:
            progress(done)
        client = Client(pk=entry.client_id, owner_id=owner.pk)
        if entry.type == "interaction":
            moment = entry.moment or datetime.combine(entry.day, time(12))
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, zone)
            key: Any = (entry.client_id, moment, entry.fields["summary"])
            seen: set[Any] = seen_interactions
            record: Any = Interaction(client=client, happened_at=moment, **entry.fields)
        elif entry.type == "promise":
            key, seen = (entry.client_id, entry.day, entry.fields["description"]), seen_promises
            record = Promise(client=client, made_on=entry.day, **entry.fields)
        else:
            key, seen = entry.fields["number"].lower(), seen_numbers
            record = Invoice(owner=owner, client=client, issued_on=entry.day, **entry.fields)
        if key in seen:
            plan.skipped.append(entry)
            continue
        seen.add(key)
        plan.rows[entry.type].append(record)
    return plan


def import_entries(
    owner: Any, entries: list[Entry], progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Write the entries in one transaction, skipping those already in the book; rescore the clients touched."""
    with transaction.atomic():
        plan = plan_entries(owner, entries, progress)
        counts = {"interactions": 0, "promises": 0, "invoices": 0, "skipped": len(plan.skipped)}
        for name, model in (("interaction", Interaction), ("promise", Promise), ("invoice", Invoice)):
            bulk_create_with_history(plan.rows[name], model, batch_size=BATCH)
            counts[f"{name}s"] = len(plan.rows[name])
        # The clients whose journal the import changed: the door, once for all of them.
        journal_changed({row.client_id for rows_of in plan.rows.values() for row in rows_of})
    return counts
