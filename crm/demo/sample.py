"""The sample book a new freelancer explores (the demo book's clients, marked as a sample) and removes in one
click: all the onboarding pages need of the demo.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from clients.models import Client, Profile
from crm.demo.book import seed_demo_book
from crm.demo.derived import HISTORY_WEEKS, compute_trust_health


class BookNotEmpty(Exception):
    """The sample book goes into an empty book only: it must never replace a freelancer's own clients."""


def seed_sample_book(owner: Any, now: datetime | None = None) -> int:
    """Write the demo's clients into `owner`'s empty book, marked as a sample, score them; return how many.

    Raise BookNotEmpty when the book holds a client already (nothing is written)."""
    with transaction.atomic():
        # Lock the freelancer's profile: two tabs exploring at once write one sample, not two.
        Profile.objects.select_for_update().filter(user=owner).first()
        if Client.objects.for_owner(owner).exists():
            raise BookNotEmpty
        clients = seed_demo_book(owner, now)
        Client.objects.for_owner(owner).update(sample=True)
        compute_trust_health(owner, now, history_weeks=HISTORY_WEEKS)  # its recomputes move the book version
    return len(clients)


def remove_sample_book(owner: Any) -> int:
    """Delete the sample clients of `owner`'s book with everything logged for them; return how many."""
    with transaction.atomic():
        removed = Client.objects.for_owner(owner).filter(sample=True)
        count = removed.count()
        removed.delete()  # crm.trust.signals moves the book version as each client goes
    return count
