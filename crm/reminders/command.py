"""The shared body of `send_digests` and `send_nudges`: find what is due, then preview or send it."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from crm.models import Dispatch
from crm.reminders import outbox


class ReminderCommand(BaseCommand):
    kind: str = Dispatch.Kind.DIGEST

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", help="Only this freelancer (username); sent even if not scheduled now.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the plain-text email, send nothing."
        )
        parser.add_argument(
            "--now", help="Pretend it is this moment (ISO 8601, e.g. 2026-11-23T08:00+01:00)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = self._now(options["now"])
        for owner in self._owners(options["user"], now):
            if options["dry_run"]:
                self._preview(owner, now)
                continue
            dispatch = outbox.dispatch_for(owner, self.kind, now)
            state = outbox.deliver(dispatch.pk, now=now)
            dispatch.refresh_from_db()
            outcome = state or f"not sent again (already {dispatch.state})"
            self.stdout.write(f"{owner.get_username()}: {self.kind} {dispatch.period}: {outcome}")

    def _now(self, raw: str | None) -> datetime:
        if not raw:
            return timezone.now()
        moment = parse_datetime(raw)
        if moment is None:
            raise CommandError(f"--now: {raw!r} is not an ISO 8601 date and time.")
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)

    def _owners(self, username: str | None, now: datetime) -> list[Any]:
        users = get_user_model().objects.select_related("profile")
        if username:
            owner = users.filter(username=username).first()
            if owner is None:
                raise CommandError(f"No freelancer named {username!r}.")
            return [owner]
        # Without --user: the freelancers whose reminder is due at `now` by their schedule.
        due = []
        for owner in users.filter(is_active=True).order_by("pk"):
            profile = owner.profile
            if self.kind == Dispatch.Kind.DIGEST:
                enabled = profile.digest_enabled
                _, moment = outbox.digest_period_and_moment(
                    profile.zone, profile.digest_weekday, profile.digest_hour, now
                )
            else:
                enabled = profile.nudges_enabled
                _, moment = outbox.nudge_period_and_moment(profile.zone, profile.digest_hour, now)
            if enabled and moment <= now < moment + outbox.CATCH_UP:
                due.append(owner)
        return due

    def _preview(self, owner: Any, now: datetime) -> None:
        build = outbox.digest_message if self.kind == Dispatch.Kind.DIGEST else outbox.nudge_message
        message = build(owner, now)
        if message is None:
            self.stdout.write(f"# {owner.get_username()}: nothing to send.\n")
            return
        self.stdout.write(f"# To: {', '.join(message.to)}\n# Subject: {message.subject}\n\n{message.body}")
