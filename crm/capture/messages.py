"""What is read of an email: a few headers (and, only if asked, a short snippet), parsed by the standard
library's `email` package. Plain functions over bytes; nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from crm.capture import automatic

# The headers a sync fetches (IMAP BODY.PEEK[HEADER.FIELDS (...)]): nothing else of a message is read.
HEADERS = (
    "FROM",
    "TO",
    "CC",
    "DATE",
    "SUBJECT",
    "MESSAGE-ID",
    "IN-REPLY-TO",
    "REFERENCES",
    *automatic.HEADERS,
)
MESSAGE_ID_LENGTH = 255
SUBJECT_LENGTH = 500
SNIPPET_LENGTH = 200
ADDRESS_LENGTH = 254

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_SPACES = re.compile(r"\s+")
_PARSER = BytesParser(policy=policy.default)


@dataclass
class Facts:
    """The kept part of one message."""

    message_id: str
    sent_at: datetime
    sender: str
    recipients: list[str]
    subject: str
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    snippet: str = ""
    # "auto_reply" or "bulk" for a message sent by a machine (crm.capture.automatic), "" for one written by a person.
    automatic: str = ""

    @property
    def thread_parents(self) -> list[str]:
        """Return the Message-IDs this message may answer, the likeliest first."""
        parents = [self.in_reply_to] if self.in_reply_to else []
        return parents + [ref for ref in reversed(self.references) if ref not in parents]


def normalise_message_id(raw: str) -> str:
    """Return the Message-ID in `raw` (`<local@domain>`), a digest of it when too long, or ""."""
    found = _MESSAGE_ID.search(raw or "")
    value = found.group(0) if found else (raw or "").strip()
    if len(value) > MESSAGE_ID_LENGTH:
        return "<sha256:" + hashlib.sha256(value.encode()).hexdigest() + ">"
    return value


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot decode: treated as absent
        return ""
    return _SPACES.sub(" ", str(value)).strip() if value is not None else ""


def _addresses(message: EmailMessage, *names: str) -> list[str]:
    values = []
    for name in names:
        try:
            values += [str(value) for value in message.get_all(name, [])]
        except Exception:  # noqa: S112 (an undecodable header: skip it, keep the others)
            continue
    return [
        address.strip().lower()[:ADDRESS_LENGTH] for _name, address in getaddresses(values) if "@" in address
    ]


def _date(message: EmailMessage, fallback: datetime | None) -> datetime | None:
    raw = _header(message, "Date")
    try:
        moment = parsedate_to_datetime(raw) if raw else None
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None:
        return fallback
    if moment.tzinfo is None:  # RFC 5322's "-0000": the time zone is unknown; read it as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment


def snippet_of(message: EmailMessage) -> str:
    """Return the first words of the message's plain-text body (SNIPPET_LENGTH code points at most)."""
    try:
        part = message.get_body(preferencelist=("plain",))
        text = part.get_content() if part is not None else ""
    except Exception:
        return ""
    lines = [line for line in text.splitlines() if not line.startswith(">")]
    words = _SPACES.sub(" ", " ".join(lines)).strip()
    return words if len(words) <= SNIPPET_LENGTH else words[: SNIPPET_LENGTH - 1].rstrip() + "…"


def read(raw: bytes, *, fallback_date: datetime | None = None, with_snippet: bool = False) -> Facts | None:
    """Return the facts of a message (its headers, or the whole message when a snippet is wanted).

    None for what cannot be logged: no Message-ID, no sender, or no date at all.
    """
    message = _PARSER.parsebytes(raw, headersonly=not with_snippet)
    message_id = normalise_message_id(_header(message, "Message-ID"))
    senders = _addresses(message, "From")
    moment = _date(message, fallback_date)
    if not message_id or not senders or moment is None:
        return None
    references = [normalise_message_id(ref) for ref in _MESSAGE_ID.findall(_header(message, "References"))]
    subject = _header(message, "Subject")
    return Facts(
        message_id=message_id,
        sent_at=moment.astimezone(UTC),
        sender=senders[0],
        recipients=list(dict.fromkeys(_addresses(message, "To", "Cc"))),
        subject=subject[:SUBJECT_LENGTH],
        in_reply_to=normalise_message_id(_header(message, "In-Reply-To")),
        references=references,
        snippet=snippet_of(message) if with_snippet else "",
        automatic=automatic.automatic_kind(message),
    )
