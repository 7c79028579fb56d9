"""`trust_report`: every client of a freelancer, worst trust health first, with the reasons and next steps.

The report itself (its JSON shape and its table) is `crm/trust/report.py`; this command picks the freelancers,
recomputes their books unless told `--stored`, and prints it.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from crm.trust.health import recompute_book
from crm.trust.report import REPORT_VERSION, owner_report, render_table


class Command(BaseCommand):
    help = "Print every client's trust health, worst first, with reasons and next steps."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="Only this freelancer's clients (username).")
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument(
            "--stored", action="store_true", help="Report the stored scores without recomputing them first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model().objects.select_related("profile").order_by("username")
        if options["user"]:
            users = users.filter(username=options["user"])
            if not users.exists():
                raise CommandError(f"No user named {options['user']!r}.")
        else:
            users = users.filter(clients__isnull=False).distinct()
        now = timezone.now()
        freelancers = []
        for user in users:
            if not options["stored"]:
                recompute_book(owner=user, now=now)
            profile = getattr(user, "profile", None)
            with translation.override(profile.language if profile else settings.LANGUAGE_CODE):
                freelancers.append(
                    {
                        "username": user.get_username(),
                        "language": translation.get_language(),
                        "clients": owner_report(
                            user, profile.local_today(now) if profile else timezone.localdate(now)
                        ),
                    }
                )
        report = {
            "version": REPORT_VERSION,
            "generated_at": now.isoformat(),
            "bands": {"healthy": settings.TRUST_BAND_HEALTHY, "watch": settings.TRUST_BAND_WATCH},
            "freelancers": freelancers,
        }
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return
        self.stdout.write(render_table(report))
