"""Plain-fact builders for the trust formula tests: a fixed "now" and small helpers counting days back."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm.core import rules
from crm.trust.formula import (
    ClientFacts,
    ConflictFact,
    InteractionFact,
    InvoiceFact,
    PromiseFact,
    TrustHealth,
    compute,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
_ids = itertools.count(1)


def day(days_ago: int) -> date:
    return TODAY - timedelta(days=days_ago)


def away(*periods: tuple[int, int | None]) -> tuple[tuple[date, date], ...]:
    """The client's away days: periods from `first` days ago to `last` days ago (None: still away)."""
    return rules.away_spans((day(first), None if last is None else day(last)) for first, last in periods)


def at(days_ago: float) -> datetime:
    return NOW - timedelta(days=days_ago)


def promise(made: int, due: int, **fields: Any) -> PromiseFact:
    """A promise made `made` days ago, due `due` days ago (negative: in the future); days-ago for other dates."""
    for key in ("kept_on", "broken_on", "clarified_on"):
        if isinstance(fields.get(key), int):
            fields[key] = day(fields[key])
    state = "kept" if fields.get("kept_on") else "broken" if fields.get("broken_on") else "open"
    return PromiseFact(next(_ids), day(made), day(due), fields.pop("state", state), **fields)


def kept(n: int, every: int = 14, first: int = 7) -> tuple[PromiseFact, ...]:
    """`n` promises kept on their due date, the most recent `first` days ago, one every `every` days."""
    return tuple(
        promise(first + every * i + 7, first + every * i, kept_on=first + every * i) for i in range(n)
    )


def invoice(amount: str, issued: int, terms: int = 30, **fields: Any) -> InvoiceFact:
    for key in ("paid_on", "renegotiated_due_on"):
        if isinstance(fields.get(key), int):
            fields[key] = day(fields[key])
    return InvoiceFact(next(_ids), Decimal(amount), day(issued), day(issued - terms), **fields)


def paid_on_time(n: int, every: int = 30, first: int = 10) -> tuple[InvoiceFact, ...]:
    return tuple(invoice("1200", first + every * i + 30, paid_on=first + every * i) for i in range(n))


def conflict(kind: str, severity: int, observed: int, resolved: int | None = None) -> ConflictFact:
    return ConflictFact(
        next(_ids), kind, severity, day(observed), None if resolved is None else day(resolved)
    )


def interaction(days_ago: float, kind: str = "email", direction: str = "to_client") -> InteractionFact:
    return InteractionFact(next(_ids), at(days_ago), kind, direction)


def weekly_updates(weeks: int, last: float = 1) -> tuple[InteractionFact, ...]:
    """Status updates every 7 days, the most recent `last` days ago."""
    return tuple(interaction(last + 7 * w, "status_update") for w in range(weeks))


def exchanges(
    n: int, reply_days: float = 0.2, first: float = 3, every: float = 10
) -> tuple[InteractionFact, ...]:
    """`n` messages from the client, each answered `reply_days` later."""
    out: list[InteractionFact] = []
    for i in range(n):
        asked = first + every * i + reply_days
        out += [interaction(asked, direction="from_client"), interaction(asked - reply_days)]
    return tuple(out)


def client(**fields: Any) -> ClientFacts:
    fields.setdefault("created_at", at(200))
    return ClientFacts(next(_ids), **fields)


def active_client(**fields: Any) -> ClientFacts:
    """A client with an active project for the last 120 days and a weekly cadence."""
    fields.setdefault("active_since", at(120))
    fields.setdefault("cadence_days", 7)
    return client(**fields)


def model_client(**overrides: Any) -> ClientFacts:
    """Weekly status updates, every promise kept on time, invoices paid on time, quick answers."""
    fields: dict[str, Any] = {
        "promises": kept(6),
        "invoices": paid_on_time(3),
        "interactions": weekly_updates(17) + exchanges(6),
    }
    fields.update(overrides)
    return active_client(**fields)


def score(facts: ClientFacts, now: datetime = NOW) -> TrustHealth:
    return compute(facts, now)


def codes(health: TrustHealth) -> list[str]:
    return [reason["code"] for reason in health.reasons]
