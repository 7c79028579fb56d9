"""The every-minute sweep's planners, with nothing due and with N due: ms per sweep and queries.

Called from bench/run.py (`measure_sweeps(bench, sizes)`); the rows go into the bench's "pages" results, so the
report gives them their ratio to the floor. Each size is its own freelancer, "sweeps-N", whose book is written
with bulk inserts of minimal rows (every client active, with an address, its status update sent yesterday; one
unpaid invoice each, a day late, its first reminder days ahead), its "next step at" columns filled by
`crm.payments.due.refresh_book`, as the journal's door would have written them.

Rows, for each size:
- "payment sweep, nothing due": `payment_follow_up.plan` (the stop pass and the due invoices);
- "payment sweep, old read": what the planner read every minute before (every overdue unpaid invoice as a
  model object, with its client and profile), for comparison;
- "nudge sweep, nothing due": the nudge's screen at the freelancer's hour (`skip_nudges_with_nothing_due`);
- "nudge sweep, old read": the active clients it read before, and the rule run over each;
and, at the smallest size, "payment sweep, N due" / "nudge sweep, N due" (the reminders prepared, then taken
back before the next run, untimed).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

DUE = 100  # invoices and clients made due in the "N due" rows


def _row(run: Callable[[], Any], repeat: int, before: Callable[[], Any] | None = None) -> dict[str, Any]:
    """Time `run` `repeat` times (`before` untimed before each); count the queries of one run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    prepare = before or (lambda: None)
    prepare()
    run()  # warm
    prepare()
    with CaptureQueriesContext(connection) as queries:
        run()
    count = len(queries)
    samples = []
    for _ in range(repeat):
        prepare()
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": p95 * 1000,
        "n": repeat,
        "queries": count,
    }


def build_book(clients: int) -> Any:
    """Write freelancer "sweeps-N" with `clients` minimal clients and one unpaid invoice each; return them."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from clients.models import Client
    from crm.models import Invoice
    from crm.payments import due

    owner = get_user_model().objects.create_user(
        f"sweeps-{clients}", f"sweeps-{clients}@example.com", "bench"
    )
    now = timezone.now()
    today = owner.profile.local_today(now)
    started = time.perf_counter()
    book = Client.objects.bulk_create(
        [
            Client(
                owner=owner,
                name=f"Client {i}",
                email=f"c{i}@example.com",
                cadence_days=30,
                created_at=now - timedelta(days=400),
                last_status_update_at=now - timedelta(days=1),
            )
            for i in range(clients)
        ],
        batch_size=2000,
    )
    Invoice.objects.bulk_create(
        [
            Invoice(
                owner=owner,
                client=client,
                number=f"S-{client.pk}",
                amount=Decimal("500.00"),
                issued_on=today - timedelta(days=31),
                due_on=today - timedelta(days=1),
            )
            for client in book
        ],
        batch_size=2000,
    )
    due.refresh_book([owner.pk])
    print(f"  built sweeps-{clients}: {clients} clients in {time.perf_counter() - started:.1f} s", flush=True)
    return owner


def measure_sweeps(bench: Any, sizes: list[int], repeat: int, *, before: bool = True) -> None:
    """Add the sweep rows for a book of each size (the "N due" rows at the first size); with `before`, the
    "old read" rows too (seconds each at 20,000 clients: the full bench only)."""
    from django.db.models import Q
    from django.utils import timezone

    from clients.models import Client
    from crm.models import Dispatch, Invoice, PaymentReminder
    from crm.payments import due
    from crm.reminders import payment_follow_up, status_updates
    from crm.reminders.digest import clients_due_for_status_update

    rows = bench.results["pages"]
    before_sweeps = set(rows)
    now = timezone.now()  # every book is written relative to its own now, a minute later at most
    for size in sizes:
        owner = build_book(size)
        profile = owner.profile

        def plan() -> Any:
            return payment_follow_up.plan(now)

        def old_read(owner: Any = owner) -> Any:
            latest_today = (now + timedelta(days=1)).date()
            return list(
                Invoice.objects.filter(owner=owner)
                .unpaid()
                .filter(current_due_on__lt=latest_today)
                .select_related("client", "owner__profile")
                .order_by("pk")
            )

        def screen(owner: Any = owner) -> Any:
            nudge = Dispatch(owner_id=owner.pk, kind=Dispatch.Kind.NUDGE, period="bench", due_at=now)
            return status_updates.skip_nudges_with_nothing_due([nudge], now, {})

        def old_screen(owner: Any = owner, profile: Any = profile) -> Any:
            # Every active client with its absences (the away days, issue 22), and the rule run over each.
            clients = list(
                Client.objects.filter(owner=owner, status=Client.Status.ACTIVE)
                .only("owner_id", "cadence_days", "last_status_update_at", "created_at", "name", "status")
                .with_absences()
            )
            return clients_due_for_status_update(clients, profile.local_today(now), profile.zone)

        assert plan() == 0 and screen()[0].state == Dispatch.State.SKIPPED, "nothing must be due"
        rows[f"payment sweep, nothing due, {size} clients"] = _row(plan, repeat)
        rows[f"nudge sweep, nothing due, {size} clients"] = _row(screen, repeat)
        if before:
            rows[f"payment sweep, old read, {size} clients"] = _row(old_read, 3)
            rows[f"nudge sweep, old read, {size} clients"] = _row(old_screen, 3)

        if size != sizes[0]:
            continue
        # N invoices a month late (their first reminder due today), N clients whose status update lapsed.
        late = list(Invoice.objects.filter(owner=owner).order_by("pk").values_list("pk", flat=True)[:DUE])
        Invoice.objects.filter(pk__in=late).update(due_on=now.date() - timedelta(days=30))
        due.refresh_invoices(Q(pk__in=late))
        lapsed = list(Client.objects.filter(owner=owner).order_by("pk").values_list("pk", flat=True)[:DUE])
        Client.objects.filter(pk__in=lapsed).update(last_status_update_at=now - timedelta(days=60))
        due.refresh_clients(Q(pk__in=lapsed))

        def take_back(owner: Any = owner, late: list[int] = late) -> None:
            PaymentReminder.objects.filter(owner=owner).delete()
            due.refresh_invoices(Q(pk__in=late))

        take_back()
        assert plan() == DUE, "the N late invoices must be planned"
        rows[f"payment sweep, {DUE} due, {size} clients"] = _row(plan, max(3, repeat // 3), before=take_back)
        take_back()
        assert screen()[0].state == Dispatch.State.PENDING, "the nudge must be sent"
        rows[f"nudge sweep, {DUE} due, {size} clients"] = _row(screen, repeat)
        # Nothing due again, for the next size's "nothing due" rows.
        PaymentReminder.objects.filter(owner=owner).delete()
        Invoice.objects.filter(pk__in=late).update(due_on=now.date() - timedelta(days=1))
        due.refresh_invoices(Q(pk__in=late))
        Client.objects.filter(pk__in=lapsed).update(last_status_update_at=now - timedelta(days=1))
        due.refresh_clients(Q(pk__in=lapsed))
    # A sweep is no request, but every row states its ratio to the floor request (bench/results.json's keys):
    # what one sweep costs in floor requests.
    floor_ms = rows["floor"]["median_ms"] if "floor" in rows else None
    for name in set(rows) - before_sweeps:
        rows[name]["ratio_to_floor"] = rows[name]["median_ms"] / floor_ms if floor_ms else 0.0
