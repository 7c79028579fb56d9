"""Time moving one large client to the trash and restoring it (same ids, same values, trust health recomputed).

    .venv/bin/python bench/trash.py                       # on the configured database (SQLite by default)
    DATABASE_URL=postgres://... .venv/bin/python bench/trash.py

It creates an account "bench-trash" with one client of 20 projects and 5,000 events, times `to_trash` and
`restore`, checks the stored trust health came back the same, and deletes the account.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from clients.models import Client, Project
    from conflicts.models import ConflictSignal
    from crm.models import ClientHealth, Interaction, Invoice, Promise
    from crm.trash.snapshot import restore, to_trash
    from crm.trust.health import recompute_client

    user_model = get_user_model()
    Client.objects.filter(owner__username="bench-trash").delete()
    user_model.objects.filter(username="bench-trash").delete()
    owner = user_model.objects.create_user("bench-trash", "bench-trash@example.com", "bench")
    now, today = timezone.now(), timezone.localdate()
    client = Client.objects.create(owner=owner, name="Big client")
    projects = Project.objects.bulk_create([Project(client=client, title=f"P{i}") for i in range(20)])
    Interaction.objects.bulk_create(
        Interaction(
            client=client, project=projects[i % 20], summary=f"I{i}", happened_at=now - timedelta(hours=i)
        )
        for i in range(3000)
    )
    made = today - timedelta(days=400)
    Promise.objects.bulk_create(
        Promise(client=client, description=f"P{i}", made_on=made, due_on=today - timedelta(days=i % 300))
        for i in range(1000)
    )
    Invoice.objects.bulk_create(
        Invoice(
            owner=owner,
            client=client,
            number=f"N{i}",
            amount=Decimal("100.00"),
            issued_on=made,
            due_on=today - timedelta(days=i % 300),
            paid_on=today - timedelta(days=i % 300),
        )
        for i in range(800)
    )
    ConflictSignal.objects.bulk_create(
        ConflictSignal(client=client, kind="ideas", severity=1, observed_on=today - timedelta(days=i % 300))
        for i in range(200)
    )
    recompute_client(client.pk)
    fields = ("score", "band", "reasons", "evidence_count")
    before = ClientHealth.objects.filter(client=client).values(*fields)[0]
    client_id = client.pk
    start = time.perf_counter()
    item = to_trash(client, owner)
    trashed = time.perf_counter() - start
    start = time.perf_counter()
    restore(item)
    restored = time.perf_counter() - start
    same = ClientHealth.objects.filter(client_id=client_id).values(*fields)[0] == before
    print(
        f"5,000 events, 20 projects: to_trash {trashed:.2f} s, restore {restored:.2f} s, same health: {same}"
    )
    Client.objects.filter(owner=owner).delete()
    owner.delete()


if __name__ == "__main__":
    main()
