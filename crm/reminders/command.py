"""The shared body of `send_digests` and `send_nudges`: find what is due, then preview or send it."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from crm.models import Dispatch, JobRun
from crm.models.jobs import note_failures
from crm.reminders import outbox
from crm.reminders.digest import digest_message
from crm.reminders.status_updates import nudge_message


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
        failures: dict[int, str] = {}
        owners = self._owners(options["user"], now)
        for owner in owners:
            # Each freelancer on their own: one that fails is reported and the others still get theirs.
            try:
                if options["dry_run"]:
                    self._preview(owner, now)
                else:
                    self._send(owner, now)
            except Exception as exc:
                failures[owner.pk] = f"{type(exc).__name__}: {exc}"[:500]
                self.stderr.write(f"{owner.get_username()}: {self.kind}: error: {failures[owner.pk]}")
        if failures:
            note_failures(
                JobRun.Job.SEND_DIGESTS, timezone.localdate(now), failures, now, len(owners) - len(failures)
            )

    def _send(self, owner: Any, now: datetime) -> None:
        dispatch = outbox.dispatch_for(owner, self.kind, now)
        state = outbox.deliver(dispatch.pk, now=now)
        dispatch.refresh_from_db()
        if not state:
            outcome = f"not sent again (already {dispatch.state})"
        elif state == Dispatch.State.RETRYING:
            # Not failed after one attempt: the sweep tries again, for 48 hours.
            outcome = f"not sent yet, will retry at {dispatch.next_attempt_at:%Y-%m-%d %H:%M} UTC ({dispatch.last_error})"
        elif state == Dispatch.State.FAILED:
            outcome = f"failed ({dispatch.last_error})"
        else:
            outcome = state
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
        build = digest_message if self.kind == Dispatch.Kind.DIGEST else nudge_message
        message = build(owner, now)
        if message is None:
            self.stdout.write(f"# {owner.get_username()}: nothing to send.\n")
            return
        self.stdout.write(f"# To: {', '.join(message.to)}\n# Subject: {message.subject}\n\n{message.body}")
