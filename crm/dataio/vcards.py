"""vCards (3.0 and 4.0: a phone's, Google's or Apple's contacts) in and out, through vobject.

Each card is a person; their organisation (ORG) is the client, or the person is their own client without one.
They go through the same checks and duplicate rule as a CSV's rows (crm/dataio/people.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import vobject
from django.utils.translation import gettext as _

from clients.models import Contact
from crm.dataio.people import LIMITS, Person, Problem, person_from

# Properties never read, dropped before vobject sees them: a phone's PHOTO alone can be megabytes of base64,
# which vobject would decode (a 7 MB photo grew the web worker by 951 MB).
DROPPED = frozenset({"PHOTO", "LOGO", "SOUND", "KEY"})
# The longest value any property keeps while the file is read (the notes' limit, the longest field read): one
# character more, so the card still says its note is too long instead of losing its end silently.
FIELD_MAX_CHARS = LIMITS["notes"] + 1


def _lines(text: str) -> Iterator[str]:
    """Yield the text's lines without their ends, one copy at a time (StringIO would copy it all, 4 bytes a
    character; splitlines would hold a million lines at once)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield text[start:end].rstrip("\r")
        start = end + 1


def bounded(text: str) -> str:
    """Return the file's text with every property unfolded, cut at `FIELD_MAX_CHARS`, and `DROPPED` ones gone.

    Read a line at a time and never holding more than one property past its bound, so a 9 MB NOTE or a million
    folded lines cost what the bound costs, not what vobject makes of them (1.26 GB and 353 MB before).
    """
    out: list[str] = []
    name, value, size = "", [], 0

    def flush() -> None:
        if name and name not in DROPPED:
            out.append("".join(value) + "\r\n")

    for line in _lines(text):
        if line[:1] in (" ", "\t"):  # a folded line continues the property (RFC 6350 3.2)
            if name in DROPPED or size >= FIELD_MAX_CHARS:
                continue
            piece = line[1 : 1 + FIELD_MAX_CHARS - size]
            value.append(piece)
            size += len(piece)
            continue
        flush()
        head = line.split(":", 1)[0].split(";", 1)[0].split(".")[-1].upper()
        colon = line.find(":") + 1  # the value starts after its name and parameters
        name, value = head or "?", [line[: colon + FIELD_MAX_CHARS]]
        size = len(value[0]) - colon
    flush()
    return "".join(out)


def _value(card: Any, name: str) -> str:
    prop = getattr(card, name, None)
    if prop is None:
        return ""
    value = prop.value
    if name == "org":
        value = " ".join(part for part in (value if isinstance(value, list) else [value]) if part)
    if name == "n":
        value = " ".join(part for part in (value.given, value.family) if part)
    return str(value).strip()


def _values(card: Any, name: str) -> list[str]:
    """Return every value of a property a card may repeat (a phone's contact has several EMAIL lines)."""
    return [str(prop.value).strip() for prop in card.contents.get(name, []) if str(prop.value).strip()]


def people_from(text: str, problems: list[Problem]) -> list[Person]:
    """Return a person per card; a card that cannot be read, or has problems, adds to `problems`."""
    people: list[Person] = []
    try:
        cards = list(vobject.readComponents(bounded(text), ignoreUnreadable=True))
    except Exception as error:  # vobject raises its own ParseError, and ValueError on broken lines
        problems.append(Problem(1, _("This is not a vCard file (%(error)s).") % {"error": str(error)[:120]}))
        return people
    for number, card in enumerate(cards, start=1):
        if card.name != "VCARD":
            continue
        name = _value(card, "fn") or _value(card, "n")
        values = {
            "contact": name,
            "company": _value(card, "org"),
            "email": _value(card, "email"),
            "other_emails": "\n".join(_values(card, "email")[1:]),
            "phone": _value(card, "tel"),
            "role": _value(card, "title") or _value(card, "role"),
            "notes": _value(card, "note"),
        }
        person = person_from(number, {key: value for key, value in values.items() if value}, problems)
        if person is not None:
            people.append(person)
    if not people and not problems:
        problems.append(Problem(1, _("This file holds no vCard.")))
    return people


def vcard_of(contact: Contact) -> str:
    """Return the contact as a vCard 3.0 (read by phones, Google and Apple contacts)."""
    card = vobject.vCard()
    card.add("fn").value = contact.name
    parts = contact.name.rsplit(" ", 1)
    card.add("n").value = vobject.vcard.Name(family=parts[-1], given=parts[0] if len(parts) > 1 else "")
    card.add("org").value = [contact.client.company or contact.client.name]
    for address in contact.emails():
        email = card.add("email")
        email.value, email.type_param = address, "INTERNET"
    if contact.phone:
        card.add("tel").value = contact.phone
    if contact.role:
        card.add("title").value = contact.role
    if contact.notes:
        card.add("note").value = contact.notes
    return card.serialize()


def vcards(contacts: Iterable[Contact]) -> Iterator[bytes]:
    for contact in contacts:
        yield vcard_of(contact).encode()
