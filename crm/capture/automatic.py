"""Mail sent by a machine, not written to the freelancer: auto-replies and mailings (RFC 3834, RFC 2369, RFC 2919).

Plain functions over a parsed message's headers and its kept text; nothing here touches the database.

1. `automatic_kind` reads the headers an auto-responder or a list server sets: an auto-reply (`Auto-Submitted` with
   any value but "no", `X-Autoreply`, `X-Autorespond`, `Precedence: auto_reply`) or a mailing (`Precedence: bulk`
   or `list` or `junk`, `List-Unsubscribe`, `List-Id`). Such a message is logged and shown, marked, but it is
   never an answer nor a contact (`Interaction.automatic`).
2. `away_until_in` reads, in an auto-reply's subject and kept snippet, the last day of an absence it announces
   ("Out of office until 14 December", "Absente jusqu'au 14/12", "de retour le 15 décembre"): a suggestion the
   freelancer confirms by setting the client away; nothing is set by itself.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from email.message import Message

AUTO_REPLY = "auto_reply"
BULK = "bulk"

# The headers read here, beside those of crm.capture.messages.HEADERS.
HEADERS = ("AUTO-SUBMITTED", "X-AUTOREPLY", "X-AUTORESPOND", "PRECEDENCE", "LIST-UNSUBSCRIBE", "LIST-ID")

# An absence is proposed only when the text says one (and names the day it ends).
_AWAY_WORDS = re.compile(
    r"out of (the )?office|absent|away|on leave|holiday|vacation|annual leave|sick|conge|vacances|maladie"
    r"|hors du bureau|indisponible|unavailable",
)
_MONTHS = {
    "january": 1, "jan": 1, "janvier": 1, "janv": 1,
    "february": 2, "feb": 2, "fevrier": 2, "fevr": 2, "fev": 2,
    "march": 3, "mar": 3, "mars": 3,
    "april": 4, "apr": 4, "avril": 4, "avr": 4,
    "may": 5, "mai": 5,
    "june": 6, "jun": 6, "juin": 6,
    "july": 7, "jul": 7, "juillet": 7, "juil": 7,
    "august": 8, "aug": 8, "aout": 8,
    "september": 9, "sep": 9, "sept": 9, "septembre": 9,
    "october": 10, "oct": 10, "octobre": 10,
    "november": 11, "nov": 11, "novembre": 11,
    "december": 12, "dec": 12, "decembre": 12,
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY = (
    r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|lundi|mardi|mercredi|jeudi|vendredi"
    r"|samedi|dimanche),?\s+)?"
)
_DAY_MONTH = rf"{_WEEKDAY}(?:the\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th|er)?\s+(?:of\s+)?(?P<month>{_MONTH})\.?(?:,?\s+(?P<year>\d{{4}}))?"
_MONTH_DAY = (
    rf"{_WEEKDAY}(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{{4}}))?"
)
_NUMERIC = r"(?P<day>\d{1,2})[/.](?P<month>\d{1,2})(?:[/.](?P<year>\d{4}|\d{2}))?"
# "until" names the last day away; "back on" the first day back.
_UNTIL = r"until|till|through|up to|jusqu'au|jusqu au|jusqu'a|jusqu a|au"
_BACK = r"back on|back|returning on|return on|returning|de retour le|de retour|retour le|retour prevu le"
_PATTERNS = [
    re.compile(rf"\b(?P<word>{words})\s+(?:{when})", re.IGNORECASE)
    for words in (_UNTIL, _BACK)
    for when in (_DAY_MONTH, _MONTH_DAY, _NUMERIC)
]
# How far ahead an announced return can be: a date further away is a misreading.
LONGEST_ABSENCE_DAYS = 365


def automatic_kind(message: Message) -> str:
    """Return AUTO_REPLY, BULK, or "" for a message written by a person, from its headers."""

    def value(name: str) -> str | None:
        try:
            raw = message.get(name)
        except Exception:  # an undecodable header: read as absent
            return None
        return None if raw is None else str(raw).strip().lower()

    submitted = value("Auto-Submitted")
    precedence = (value("Precedence") or "").split(";")[0].strip()
    if (
        (submitted is not None and submitted.split(";")[0].strip() not in ("", "no"))
        or value("X-Autoreply") is not None
        or value("X-Autorespond") is not None
        or precedence == "auto_reply"
    ):
        return AUTO_REPLY
    if precedence in ("bulk", "list", "junk") or value("List-Unsubscribe") or value("List-Id"):
        return BULK
    return ""


def _plain(text: str) -> str:
    """Return `text` lower-cased without accents and with typographic apostrophes made straight."""
    text = text.replace("\u2019", "'").replace("\u00a0", " ").lower()
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def away_until_in(text: str, sent_on: date) -> date | None:
    """Return the last day of the absence `text` announces (an auto-reply sent on `sent_on`), or None.

    A day without a year is the next one on or after `sent_on`; "back on D" means away until the day before D.
    None when the text names no absence, or no day within LONGEST_ABSENCE_DAYS after `sent_on`.
    """
    plain = _plain(text)
    if not _AWAY_WORDS.search(plain):
        return None
    found: list[tuple[int, date]] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(plain):
            day = _day_of(match, sent_on)
            if day is None:
                continue
            if not re.fullmatch(_UNTIL, match.group("word")):
                day -= timedelta(days=1)  # back on that day: away until the day before
            if sent_on <= day <= sent_on + timedelta(days=LONGEST_ABSENCE_DAYS):
                found.append((match.start(), day))
    return min(found)[1] if found else None


def _day_of(match: re.Match[str], sent_on: date) -> date | None:
    month_text = match.group("month")
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.rstrip("."))
    year_text = match.group("year")
    try:
        day = int(match.group("day"))
        if year_text:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            return date(year, month or 0, day)
        candidate = date(sent_on.year, month or 0, day)
        return candidate if candidate >= sent_on else date(sent_on.year + 1, month or 0, day)
    except ValueError:
        return None
