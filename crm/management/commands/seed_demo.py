"""Seed the demo freelancer's book, or a large generated book for benchmarks (crm/demo/)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from crm.demo.book import seed_demo_book
from crm.demo.derived import HISTORY_WEEKS, compute_trust_health
from crm.demo.large import seed_large_book
from crm.demo.personas import DEMO_PASSWORD, DEMO_USERNAME, get_or_create_freelancer


class Command(BaseCommand):
    help = (
        "Create the demo freelancer with a dozen clients across the trust spectrum (default), "
        "or add a large generated book with --clients N."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the freelancer already exists."
        )
        parser.add_argument(
            "--clients", type=int, default=0, help="Generate N clients (bulk inserts) instead of the demo."
        )
        parser.add_argument(
            "--events-per-client", type=int, default=100, help="Interactions per generated client."
        )
        parser.add_argument("--username", default=DEMO_USERNAME)
        parser.add_argument("--password", default=DEMO_PASSWORD)
        parser.add_argument("--seed", type=int, default=42, help="Random seed of the generated book.")
        parser.add_argument(
            "--no-health", action="store_true", help="Skip computing trust health after seeding."
        )

    def say(self, message: str) -> None:
        if self.verbosity:
            self.stdout.write(message)

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        username, password = options["username"], options["password"]
        if options["clients"] < 0 or options["events_per_client"] < 0:
            self.stderr.write("--clients and --events-per-client cannot be negative.")
            return
        if options["if_empty"] and get_user_model().objects.filter(username=username).exists():
            self.say(f"The freelancer “{username}” already exists; nothing to seed.")
            self.say_login(username, password)
            return
        # One transaction: a failure leaves no half-seeded freelancer that --if-empty would then skip.
        with transaction.atomic():
            started = time.perf_counter()
            user, summary = self.seed(options)
            self.say(f"{summary} in {time.perf_counter() - started:.1f} s.")
            if not options["no_health"]:
                started = time.perf_counter()
                weeks = 0 if options["clients"] else HISTORY_WEEKS
                if compute_trust_health(user, history_weeks=weeks):
                    self.say(f"Computed trust health in {time.perf_counter() - started:.1f} s.")
                else:
                    self.say(
                        "Trust health not computed: the trust engine (crm.trust.health) is not installed."
                    )
        self.say_login(username, password)

    def seed(self, options: dict[str, Any]) -> tuple[Any, str]:
        """Write the demo book or the generated one; return the freelancer and what was done."""
        username, password = options["username"], options["password"]
        if options["clients"]:
            user, _created = get_or_create_freelancer(username, password)
            result = seed_large_book(
                user, options["clients"], options["events_per_client"], seed=options["seed"]
            )
            return user, (
                f"Added {result.clients} clients with {result.interactions} interactions, "
                f"{result.promises} promises, {result.invoices} invoices and {result.conflicts} "
                f"conflict signals to “{username}”"
            )
        user, created = get_or_create_freelancer(username, password, display_name="Léa Fournier")
        if not created:
            user.set_password(password)
            user.save(update_fields=["password"])
        clients = seed_demo_book(user)
        return user, f"Seeded the demo book of “{username}”: {len(clients)} clients"

    def say_login(self, username: str, password: str) -> None:
        self.say(
            self.style.SUCCESS(
                f"Log in at {settings.SITE_URL}/accounts/login/ as “{username}” with the password “{password}”."
            )
        )
