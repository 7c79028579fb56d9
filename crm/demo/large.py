"""Large generated books, for benchmarks: N clients with K interactions each (plus promises, invoices and a few
conflict signals), written with bulk inserts, deterministically from a seed.

Bulk inserts (`bulk_create` and the raw `insert_interactions`) write no history rows: django-simple-history
records a change from each model's `post_save`, which they skip. That is fine: a seeded book was changed by no
one yet, and its history starts with the first change made in the app.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from clients.models import Client, Contact, Project
from conflicts.models import ConflictSignal
from crm.models import Interaction, Invoice, Promise
from crm.payments import due

K = Interaction.Kind
D = Interaction.Direction

# Archetypes of a generated client and how often they occur: (name, weight).
ARCHETYPES = [
    ("model", 35),
    ("late_payer", 10),
    ("lapsed", 15),
    ("broken", 10),
    ("conflict", 10),
    ("one_sided", 5),
    ("new", 5),
    ("mixed", 10),
]
FIRST_NAMES = [
    "Camille", "Julien", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Nathan", "Inès", "Théo",
    "Oliver", "Emma", "James", "Sophie", "Harry", "Grace", "Jack", "Amelia", "Thomas", "Hannah",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Garnier", "Rousseau", "Fontaine",
    "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright", "Clarke", "Hughes",
]  # fmt: skip
TRADES = [
    "Boulangerie", "Atelier", "Cabinet", "Librairie", "Studio", "Agence", "Consulting", "Bakery",
    "Yoga", "Analytics", "Design", "Events", "Immobilier", "Café",
]  # fmt: skip
KIND_WEIGHTS = [
    (K.STATUS_UPDATE, 18),
    (K.EMAIL, 38),
    (K.MESSAGE, 14),
    (K.CALL, 12),
    (K.MEETING, 10),
    (K.DELIVERY, 4),
    (K.OTHER, 4),
]


@dataclass
class LargeBookResult:
    clients: int
    interactions: int
    promises: int
    invoices: int
    conflicts: int


def seed_large_book(
    owner: Any, clients: int, events_per_client: int, *, seed: int = 42, now: datetime | None = None
) -> LargeBookResult:
    """Add `clients` generated clients with `events_per_client` interactions each to `owner`'s book.

    Each client also gets about one promise per ten interactions, one invoice per twenty-five, and some a
    conflict signal, shaped by an archetype (model client, late payer, lapsed updates, ...). Deterministic for a
    given seed, owner's book size and `now`. Signals are bypassed (bulk inserts): compute trust health after.
    """
    now = now or timezone.now()
    rng = random.Random(seed)
    today = timezone.localtime(now, owner.profile.zone).date()
    kinds = [kind for kind, _w in KIND_WEIGHTS]
    kind_weights = [weight for _k, weight in KIND_WEIGHTS]
    archetypes = [name for name, _w in ARCHETYPES]
    archetype_weights = [weight for _n, weight in ARCHETYPES]
    offset = Client.objects.for_owner(owner).count()
    totals = LargeBookResult(clients, 0, 0, 0, 0)
    chunk = 250  # clients per round trip: bounded memory whatever the book size

    with transaction.atomic():
        for first in range(0, clients, chunk):
            size = min(chunk, clients - first)
            plans = [
                _plan_client(
                    rng,
                    today,
                    now,
                    offset + first + i,
                    events_per_client,
                    rng.choices(archetypes, archetype_weights)[0],
                    kinds,
                    kind_weights,
                )
                for i in range(size)
            ]
            book = Client.objects.bulk_create([Client(owner=owner, **plan["client"]) for plan in plans])
            # Each client's address is its primary contact's (Client.save would add it; bulk inserts do not).
            Contact.objects.bulk_create(
                [
                    Contact(client=c, name=c.name, email=c.email, is_primary=True, created_at=c.created_at)
                    for c in book
                ]
            )
            projects = Project.objects.bulk_create(
                [Project(client=c, **plan["project"]) for c, plan in zip(book, plans, strict=True)]
            )
            interactions: list[tuple[Any, ...]] = []
            promises: list[Promise] = []
            invoices: list[Invoice] = []
            conflicts: list[ConflictSignal] = []
            for client, project, plan in zip(book, projects, plans, strict=True):
                interactions += [(client.pk, *row) for row in plan["interactions"]]
                promises += [Promise(client=client, project=project, **p) for p in plan["promises"]]
                invoices += [
                    Invoice(owner=owner, client=client, project=project, **inv) for inv in plan["invoices"]
                ]
                conflicts += [ConflictSignal(client=client, **c) for c in plan["conflicts"]]
            insert_interactions(interactions)
            Promise.objects.bulk_create(promises, batch_size=2000)
            Invoice.objects.bulk_create(invoices, batch_size=2000)
            ConflictSignal.objects.bulk_create(conflicts, batch_size=2000)
            totals.interactions += len(interactions)
            totals.promises += len(promises)
            totals.invoices += len(invoices)
            totals.conflicts += len(conflicts)
    # The sweep's "next step at" columns, which the journal's door would have written client by client.
    due.refresh_book([owner.pk])
    return totals


def insert_interactions(rows: list[tuple[Any, ...]]) -> None:
    """Insert (client_id, kind, direction, happened_at, summary) rows with one executemany.

    bulk_create spends most of its time preparing each value through the field API (about 70% of a large
    seed); here only the datetimes need adapting, and every other column takes its default once.
    """
    given = ["client_id", "kind", "direction", "happened_at", "summary"]
    others = [f for f in Interaction._meta.concrete_fields if not f.primary_key and f.attname not in given]
    defaults = [f.get_db_prep_save(f.get_default(), connection) for f in others]
    columns = ", ".join(connection.ops.quote_name(c) for c in [*given, *(f.column for f in others)])
    placeholders = ", ".join(["%s"] * (len(given) + len(others)))
    sql = f"INSERT INTO {connection.ops.quote_name(Interaction._meta.db_table)} ({columns}) VALUES ({placeholders})"
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(
                sql,
                [
                    (cid, kind, direction, adapt(at), summary, *defaults)
                    for cid, kind, direction, at, summary in rows[start : start + 5000]
                ],
            )


def _plan_client(
    rng: random.Random,
    today: date,
    now: datetime,
    number: int,
    events: int,
    archetype: str,
    kinds: list[str],
    kind_weights: list[int],
) -> dict[str, Any]:
    """Return the plain values of one generated client and its history."""
    french = rng.random() < 0.5
    span = 21 if archetype == "new" else rng.randint(60, 365)
    created = now - timedelta(days=span, hours=rng.randint(0, 23))
    lapsed_since = now - timedelta(days=rng.randint(30, 60)) if archetype == "lapsed" else None

    # 1. Interactions spread over the span, oldest first, with status updates stopping for lapsed clients.
    interactions = []
    last_update = last_contact = None
    step = (now - created) / max(events, 1)
    for i in range(events):
        at = created + step * (i + rng.random() * 0.9)
        kind = rng.choices(kinds, kind_weights)[0]
        if kind == K.STATUS_UPDATE and lapsed_since is not None and at > lapsed_since:
            kind = K.EMAIL
        if kind in (K.STATUS_UPDATE, K.DELIVERY):
            direction = D.TO_CLIENT
        else:
            direction = D.FROM_CLIENT if rng.random() < 0.5 else D.TO_CLIENT
        summary = ("Point d'avancement" if french else "Status update") if kind == K.STATUS_UPDATE else ""
        summary = summary or (f"Échange n°{i + 1}" if french else f"Exchange #{i + 1}")
        interactions.append((kind, direction, at, summary))
        last_contact = at
        if kind == K.STATUS_UPDATE and direction == D.TO_CLIENT:
            last_update = at

    # 2. Promises, both ways, their fate shaped by the archetype.
    promises = []
    for j in range(max(1, events // 10)):
        made = today - timedelta(days=rng.randint(0, span))
        due = made + timedelta(days=rng.randint(3, 21))
        by_client = rng.random() < (0.6 if archetype == "one_sided" else 0.25)
        fields: dict[str, Any] = {
            "promisor": Promise.Promisor.CLIENT if by_client else Promise.Promisor.FREELANCER,
            "description": (f"Engagement n°{j + 1}" if french else f"Commitment #{j + 1}"),
            "made_on": made,
            "due_on": due,
            "state": Promise.State.OPEN,
        }
        if due < today:
            roll = rng.random()
            bad = archetype in ("broken", "mixed") or (archetype == "one_sided" and by_client)
            if bad and roll < 0.5:
                fields.update(state=Promise.State.BROKEN, broken_on=min(due + timedelta(days=2), today))
                if roll < 0.2:
                    fields.update(
                        clarification="Imprévu expliqué" if french else "Delay explained in advance",
                        clarified_at=datetime.combine(due - timedelta(days=1), time(11), tzinfo=now.tzinfo),
                    )
            elif roll < 0.97:
                late = rng.randint(1, 6) if bad or roll > 0.85 else 0
                fields.update(state=Promise.State.KEPT, kept_on=min(due + timedelta(days=late), today))
        promises.append(fields)

    # 3. Invoices: late payers pay 45+ days late and leave some unpaid.
    invoices = []
    for j in range(max(1, events // 25)):
        issued = today - timedelta(days=rng.randint(0, span))
        due = issued + timedelta(days=30)
        late = rng.randint(45, 90) if archetype == "late_payer" else rng.choice([0, 0, 0, 2, 5])
        paid = due + timedelta(days=late) if due + timedelta(days=late) < today else None
        if archetype == "late_payer" and rng.random() < 0.3:
            paid = None
        invoices.append(
            {
                "number": f"G{number:06d}-{j + 1:02d}",
                "amount": Decimal(rng.randrange(300, 9000, 50)),
                "issued_on": issued,
                "due_on": due,
                "paid_on": paid,
            }
        )

    # 4. Conflict signals: open ones for troubled clients, an old resolved one now and then.
    conflicts = []
    if archetype in ("conflict", "mixed"):
        observed = today - timedelta(days=rng.randint(1, 40))
        conflicts.append(
            {
                "kind": rng.choice(["posture", "interests", "payment", "ideas"]),
                "severity": rng.randint(1, 3),
                "observed_on": observed,
                "state": ConflictSignal.State.OPEN,
            }
        )
    elif rng.random() < 0.05 and span > 60:
        observed = today - timedelta(days=rng.randint(40, span))
        conflicts.append(
            {
                "kind": ConflictSignal.Kind.IDEAS,
                "severity": 1,
                "observed_on": observed,
                "state": ConflictSignal.State.RESOLVED,
                "resolved_on": min(observed + timedelta(days=10), today),
                "resolution": "Concessions mutuelles" if french else "Mutual concessions",
            }
        )

    first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return {
        "client": {
            "name": f"{first_name} {last_name} {number + 1}",
            "company": f"{rng.choice(TRADES)} {last_name}",
            "email": f"client{number + 1}@example.com",
            "language": "fr" if french else "en",
            "status": Client.Status.PROSPECT if archetype == "new" else Client.Status.ACTIVE,
            "cadence_days": rng.choice([7, 7, 7, 14, 30]),
            "created_at": created,
            "last_status_update_at": last_update,
            "last_contact_at": last_contact,
        },
        "project": {
            "title": f"Projet {number + 1}" if french else f"Project {number + 1}",
            "status": Project.Status.ACTIVE,
            "start_on": timezone.localtime(created).date(),
            "budget": Decimal(rng.randrange(1000, 20000, 100)),
            "created_at": created,
        },
        "interactions": interactions,
        "promises": promises,
        "invoices": invoices,
        "conflicts": conflicts,
    }
