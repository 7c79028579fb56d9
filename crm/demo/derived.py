"""What a bulk-written book derives from its journal: each client's contact times, and trust health with its
weekly snapshots.

Bulk inserts skip the models' `save` and signals, so every seeding path calls these once its rows are in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from clients.models import Client
from crm.models import HealthSnapshot, Interaction

HISTORY_WEEKS = 12


def refresh_contact_times(owner: Any) -> None:
    """Set each client's last status update and last contact from their interactions (two queries)."""
    latest_update = dict(
        Interaction.objects.for_owner(owner)
        .status_updates()
        .values("client")
        .annotate(at=Max("happened_at"))
        .values_list("client", "at")
    )
    latest_contact = dict(
        Interaction.objects.for_owner(owner)
        .contacts()
        .values("client")
        .annotate(at=Max("happened_at"))
        .values_list("client", "at")
    )
    clients = list(Client.objects.for_owner(owner).only("pk"))
    for client in clients:
        client.last_status_update_at = latest_update.get(client.pk)
        client.last_contact_at = latest_contact.get(client.pk)
    Client.objects.bulk_update(clients, ["last_status_update_at", "last_contact_at"], batch_size=500)


def compute_trust_health(owner: Any, now: datetime | None = None, history_weeks: int = HISTORY_WEEKS) -> bool:
    """Compute the owner's trust health now and a weekly snapshot for the past `history_weeks` weeks.

    Past weeks are scored as the engine saw the book then (`now` moved back a week at a time). Return False,
    doing nothing, when the trust engine (`crm.trust.health`) is not installed.
    """
    try:
        from crm.trust import health
    except ImportError:
        return False
    from crm.models import ClientHealth

    now = now or timezone.now()
    zone = owner.profile.zone
    with transaction.atomic():
        HealthSnapshot.objects.filter(client__owner=owner).delete()
        for weeks_ago in range(history_weeks, 0, -1):
            then = now - timedelta(weeks=weeks_ago)
            health.recompute_book(owner=owner, now=then)
            day = timezone.localtime(then, zone).date()
            rows = ClientHealth.objects.filter(owner=owner, client__created_at__lte=then)
            HealthSnapshot.objects.bulk_create(
                [HealthSnapshot(client_id=h.client_id, day=day, score=h.score, band=h.band) for h in rows],
                batch_size=1000,
            )
        health.recompute_book(owner=owner, now=now)
        today = timezone.localtime(now, zone).date()
        HealthSnapshot.objects.bulk_create(
            [
                HealthSnapshot(client_id=h.client_id, day=today, score=h.score, band=h.band)
                for h in ClientHealth.objects.filter(owner=owner)
            ],
            batch_size=1000,
        )
        if history_weeks:
            # Recompute once more so "a week ago" and the sparkline read the snapshots just written.
            health.recompute_book(owner=owner, now=now)
    return True
