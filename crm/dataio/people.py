"""Clients and their contacts from rows (a CSV's, or a vCard file's): checked, then written all at once.

One row is one person at a client. Rows naming the same client (by external id, else by name) make one client,
its first person the primary contact. The duplicate rule, so that importing a file twice adds nothing: a row
whose external id, or else whose email, or else whose client name is already in the book adds no client; its
person is added to that client unless their email, or their name, is there already.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from clients.models import Client, Contact, Profile, validate_other_emails
from crm.dataio.reading import looks_like_a_formula
from crm.trust.door import journal_changed

BATCH = 1000
Progress = Callable[[int], None]

STATUS_WORDS = {
    "prospect": "prospect",
    "active": "active",
    "actif": "active",
    "active client": "active",
    "en cours": "active",
    "paused": "paused",
    "en pause": "paused",
    "pause": "paused",
    "former": "former",
    "ancien": "former",
    "ancien client": "former",
    "termine": "former",
    "terminé": "former",
}
LANGUAGE_WORDS = {
    "fr": "fr",
    "french": "fr",
    "francais": "fr",
    "français": "fr",
    "en": "en",
    "english": "en",
    "anglais": "en",
}
# The longest value each column may hold; notes too (a text column, but no one's notes are 10,000 characters:
# longer is a broken or hostile file, refused while it is read).
LIMITS = {
    "client": 200,
    "company": 200,
    "contact": 200,
    "phone": 40,
    "role": 120,
    "external_id": 100,
    "notes": 10_000,
}


@dataclass
class Problem:
    line: int
    message: str


@dataclass
class Person:
    """One row: a person at a client, with the client's own fields when the row makes the client."""

    line: int
    client_name: str
    external_id: str = ""
    client: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    email: str = ""
    other_emails: str = ""
    phone: str = ""
    role: str = ""
    notes: str = ""


def person_from(line: int, values: dict[str, str], problems: list[Problem]) -> Person | None:
    """Return the row's person, or None with its problems added to `problems`."""
    found: list[str] = []
    for name, value in values.items():
        if looks_like_a_formula(value):
            found.append(
                _("“%(value)s” (%(column)s) starts like a spreadsheet formula: remove the sign.")
                % {"value": value[:40], "column": name}
            )
        if name in LIMITS and len(value) > LIMITS[name]:
            found.append(
                _("%(column)s is longer than %(limit)d characters.") % {"column": name, "limit": LIMITS[name]}
            )
    full_name = " ".join(part for part in (values.get("first_name", ""), values.get("last_name", "")) if part)
    person_name = values.get("contact") or full_name
    client_name = values.get("client") or values.get("company") or person_name
    if not client_name:
        found.append(_("No client name: fill in the client, the company or the person's name."))
    email = values.get("email", "").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            found.append(_("“%(value)s” is not an email address.") % {"value": email[:60]})
    other_emails = values.get("other_emails", "").lower()
    if other_emails:
        try:
            validate_other_emails(other_emails)
        except ValidationError as error:
            found.extend(error.messages)
    client: dict[str, Any] = {"company": values.get("company", ""), "notes": values.get("notes", "")}
    if values.get("status"):
        status = STATUS_WORDS.get(values["status"].lower())
        if status is None:
            found.append(
                _("Unknown status “%(value)s”: use prospect, active, paused or former.")
                % {"value": values["status"][:40]}
            )
        client["status"] = status
    if values.get("language"):
        language = LANGUAGE_WORDS.get(values["language"].lower())
        if language is None:
            found.append(
                _("Unknown language “%(value)s”: use fr or en.") % {"value": values["language"][:40]}
            )
        client["language"] = language
    if values.get("cadence_days"):
        try:
            cadence = int(values["cadence_days"])
            if not 1 <= cadence <= 365:
                raise ValueError
            client["cadence_days"] = cadence
        except ValueError:
            found.append(_("The cadence is a number of days between 1 and 365."))
    problems.extend(Problem(line, message) for message in found)
    if found:
        return None
    return Person(
        line=line,
        client_name=client_name,
        external_id=values.get("external_id", ""),
        client=client,
        name=person_name or client_name,
        email=email,
        other_emails=other_emails,
        phone=values.get("phone", ""),
        role=values.get("role", ""),
        notes=values.get("notes", "") if person_name else "",
    )


@dataclass
class Known:
    """What the owner's book holds already, as the duplicate rule reads it (a few queries, whatever the file)."""

    by_external_id: dict[str, int]
    by_name: dict[str, int]
    by_email: dict[str, int]
    names: set[tuple[int | str, str]]  # (client id, or the file's key of a new client; person's name)
    with_primary: set[int | str]

    @classmethod
    def of(cls, owner: Any) -> Known:
        clients = Client.objects.filter(owner=owner).values_list("pk", "name", "external_id")
        contacts = Contact.objects.filter(owner=owner).values_list("client_id", "name", "email", "is_primary")
        known = cls({}, {}, {}, set(), set())
        for pk, name, external_id in clients.iterator(chunk_size=5000):
            known.by_name.setdefault(name.lower(), pk)
            if external_id:
                known.by_external_id[external_id] = pk
        for client_id, name, email, is_primary in contacts.iterator(chunk_size=5000):
            known.names.add((client_id, name.lower()))
            if email:
                known.by_email.setdefault(email.lower(), client_id)
            if is_primary:
                known.with_primary.add(client_id)
        return known


@dataclass
class Plan:
    """What importing some rows adds to a book, decided before anything is written (the preview shows it)."""

    new_clients: dict[str, Client]  # by the key of the row that made it
    contacts: list[Contact]
    skipped: list[Person]  # rows already in the book (or twice in the file): the duplicate rule


def plan_people(owner: Any, people: list[Person], progress: Progress | None = None) -> Plan:
    """Decide, writing nothing, which clients and contacts `people` add to `owner`'s book and which rows are
    already there: the one duplicate rule of the preview and of the import."""
    known = Known.of(owner)
    plan = Plan({}, [], [])
    seen_emails = set(known.by_email)
    for done, person in enumerate(people, start=1):
        if progress and done % BATCH == 0:
            progress(done)
        key = f"id:{person.external_id}" if person.external_id else f"name:{person.client_name.lower()}"
        client_id = _existing_client(known, person)
        if client_id is not None:
            client, client_key = Client(pk=client_id, owner=owner), client_id
        else:
            client_key = key
            client = plan.new_clients.get(key) or plan.new_clients.setdefault(
                key,
                # The file's language and country when it gives them, else the freelancer's (issue 24).
                Client.new_for(
                    owner,
                    name=person.client_name,
                    external_id=person.external_id,
                    **{name: value for name, value in person.client.items() if value not in (None, "")},
                ),
            )
        if (person.email and person.email in seen_emails) or (client_key, person.name.lower()) in known.names:
            plan.skipped.append(person)
            continue
        primary = client_key not in known.with_primary
        plan.contacts.append(
            Contact(
                client=client,
                name=person.name,
                email=person.email,
                other_emails=person.other_emails,
                phone=person.phone,
                role=person.role,
                notes=person.notes,
                is_primary=primary,
            )
        )
        known.names.add((client_key, person.name.lower()))
        if person.email:
            seen_emails.add(person.email)
        if primary:
            known.with_primary.add(client_key)
            # The client's address is its primary contact's (Contact.save does it one by one).
            client.email, client.phone = person.email, person.phone
    return plan


def import_people(owner: Any, people: list[Person], progress: Progress | None = None) -> dict[str, int]:
    """Write the people's clients and contacts for `owner` in one transaction; return what was added.

    Nothing is written when anything fails: the caller's transaction (or this one) is rolled back whole.
    """
    with transaction.atomic():
        plan = plan_people(owner, people, progress)
        created = bulk_create_with_history(list(plan.new_clients.values()), Client, batch_size=BATCH)
        for contact in plan.contacts:
            # The new clients have their ids now: set again, the client is kept (setting `client_id` alone
            # would drop it, and the owner copied from it would cost a query per contact).
            contact.client = contact.client
        bulk_create_with_history(plan.contacts, Contact, batch_size=BATCH)
        created_ids = {client.pk for client in created}
        for contact in plan.contacts:
            if contact.is_primary and contact.client_id not in created_ids:
                contact.client.copy_primary_contact(contact)  # an existing client without a primary contact
        if created:
            # Every client needs its trust health row ("not enough history" for a new one): the door, once.
            journal_changed([client.pk for client in created])
        else:
            Profile.book_changed([owner.pk])  # contacts only: nothing scored, but the book's pages changed
    return {"clients": len(created), "contacts": len(plan.contacts), "skipped": len(plan.skipped)}


def _existing_client(known: Known, person: Person) -> int | None:
    if person.external_id:
        return known.by_external_id.get(person.external_id)
    if person.email and person.email in known.by_email:
        return known.by_email[person.email]
    return known.by_name.get(person.client_name.lower())
