"""Small explicit factories: make_<thing>(owner_or_client, **overrides).

Each one that writes a client's book goes through the journal's door (`crm.trust.door.journal_changed`) after
its save, as every path of the app does: the contact clocks and the trust health are current when it returns.
"""

from __future__ import annotations

import itertools
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import CheckConstraint
from django.utils import timezone

from clients.models import Client, Contact, Project
from conflicts.models import ConflictSignal
from crm.models import Interaction, Invoice, LatePaymentRate, Promise, ScopeChange
from crm.payments import ratefile
from crm.trust.door import journal_changed

_numbers = itertools.count(1)
PASSWORD = "correct horse battery staple"


def clear_of_local_midnight(margin: float = 120.0) -> None:
    """Wait, when the local day (the default time zone's, Europe/Paris) ends within `margin` seconds, until it has
    turned. For a test that reads "today" twice across processes or workers it cannot freeze: a trust report before
    a restore and one after it in another process (a day count moves at midnight), a digest made due "this hour"
    and swept a minute later by a worker (after Sunday's midnight comes another week)."""
    local = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    left = (24 * 3600) - (local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6)
    if left < margin:
        time.sleep(left + 1)


def form_moment(moment: datetime | None = None, *, hours_ago: int = 0) -> str:
    """Return `moment` (now, less `hours_ago`) as a form's local date and time ("YYYY-MM-DDTHH:MM"), moved back out
    of a daylight-saving change: a wall time the clocks skip or show twice (Paris, 2:00-3:00 on the last Sundays of
    March and October) is refused by the form."""
    zone = timezone.get_current_timezone()
    moment = (moment or timezone.now()) - timedelta(hours=hours_ago)
    while True:
        wall = timezone.localtime(moment, zone).replace(tzinfo=None, second=0, microsecond=0)
        # Both folds of a wall time have one offset unless the clocks skip it or show it twice.
        early, late = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
        if early.utcoffset() == late.utcoffset():
            return wall.strftime("%Y-%m-%dT%H:%M")
        moment -= timedelta(hours=1)


def authenticator_code(key: bytes, ahead: int = 0) -> str:
    """Return the six-digit code an authenticator app shows for `key`, `ahead` 30-second steps on.

    It waits out the last seconds of a step first. A code typed as its step ends is still accepted, one step
    late, but django-otp then records a drift of -1: the next step's code (`ahead=1`, the one a test types
    after the set-up's, since replays are refused) falls outside its tolerance, and the test fails once in
    a while (it did in CI)."""
    from django_otp.oath import totp

    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.1)
    return f"{totp(key, t0=-30 * ahead):06d}"


def make_user(username: str, **overrides: Any) -> Any:
    user = get_user_model().objects.create_user(
        username=username, email=overrides.pop("email", f"{username}@example.com"), password=PASSWORD
    )
    if overrides:
        for field, value in overrides.items():
            setattr(user.profile, field, value)
        user.profile.save()
    return user


def log_in_staff(http: Any, user: Any) -> Any:
    """Log `user` (staff) into the test client `http` as after both factors: an authenticator set up, its code
    given (staff cannot use the app without one, clients/twofactor.py)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from clients import twofactor

    TOTPDevice.objects.get_or_create(user=user, name=twofactor.DEVICE_NAME, defaults={"confirmed": True})
    http.force_login(user)
    session = http.session
    session.pop(twofactor.PENDING, None)
    session.save()
    return http


def make_client(owner: Any, **overrides: Any) -> Client:
    fields: dict[str, Any] = {
        "name": f"Client {next(_numbers)}",
        "company": "ACME",
        "status": Client.Status.ACTIVE,
    }
    fields.update(overrides)
    record = Client.objects.create(owner=owner, **fields)
    journal_changed([record.pk])
    return record


def make_contact(client: Client, **overrides: Any) -> Contact:
    fields: dict[str, Any] = {"name": f"Contact {next(_numbers)}", "role": "Product owner"}
    fields.update(overrides)
    return Contact.objects.create(client=client, **fields)


def make_project(client: Client, **overrides: Any) -> Project:
    fields: dict[str, Any] = {"title": "Site vitrine", "status": Project.Status.ACTIVE}
    fields.update(overrides)
    record = Project.objects.create(client=client, **fields)
    journal_changed([record.client_id])
    return record


def make_interaction(client: Client, **overrides: Any) -> Interaction:
    fields: dict[str, Any] = {"kind": Interaction.Kind.EMAIL, "summary": "Échange"}
    fields.update(overrides)
    record = Interaction.objects.create(client=client, **fields)
    journal_changed([record.client_id])
    return record


def make_promise(client: Client, **overrides: Any) -> Promise:
    today = timezone.localdate()
    fields: dict[str, Any] = {
        "description": "Livrer la maquette",
        "made_on": today,
        "due_on": today + timedelta(days=7),
    }
    fields.update(overrides)
    record = Promise.objects.create(client=client, **fields)
    journal_changed([record.client_id])
    return record


def make_invoice(client: Client, **overrides: Any) -> Invoice:
    today = timezone.localdate()
    fields: dict[str, Any] = {
        "number": f"F-{next(_numbers):05d}",
        "amount": Decimal("1200.00"),
        "issued_on": today,
        "due_on": today + timedelta(days=30),
    }
    fields.update(overrides)
    record = Invoice.objects.create(owner=client.owner, client=client, **fields)
    journal_changed([record.client_id])
    return record


def make_conflict(client: Client, **overrides: Any) -> ConflictSignal:
    fields: dict[str, Any] = {"kind": ConflictSignal.Kind.IDEAS, "severity": 1, "observed_on": date.today()}
    fields.update(overrides)
    record = ConflictSignal.objects.create(client=client, **fields)
    journal_changed([record.client_id])
    return record


def make_scope_change(project: Project, **overrides: Any) -> ScopeChange:
    """A change of `project`'s scope, asked by the client today and agreed by them by asking (unpriced unless
    `price_change` is given)."""
    fields: dict[str, Any] = {
        "asked_on": date.today(),
        "asked_by": "client",
        "description": "Une page de plus",
    }
    fields.update(overrides)
    record = ScopeChange(client=project.client, project=project, **fields)
    record.ask(timezone.now())
    record.save()
    journal_changed([record.client_id])
    return record


def store_unchecked(queryset: Any, **values: Any) -> None:
    """Write `values` onto the rows of `queryset` past the database's CHECK constraints, as rows stored before
    those constraints existed: what a batch job must survive (one bad row never stops the others)."""
    model = queryset.model
    checks = [c for c in model._meta.constraints if isinstance(c, CheckConstraint)]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = 1")
            try:
                queryset.update(**values)
            finally:
                cursor.execute("PRAGMA ignore_check_constraints = 0")
        return
    # PostgreSQL: drop the checks, write, then put them back NOT VALID (they hold for every later write; the
    # old row stays, as it would have after the migration that added them).
    with transaction.atomic(), connection.schema_editor(atomic=False) as editor:
        # ALTER TABLE refuses while the transaction has foreign-key checks pending (Django's are deferred).
        editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for check in checks:
            editor.remove_constraint(model, check)
        queryset.update(**values)
        for check in checks:
            editor.execute(str(check.create_sql(model, editor)) + " NOT VALID")
        editor.execute("SET CONSTRAINTS ALL DEFERRED")


def seed_late_payment_rates() -> None:
    """Store the shipped late-payment rates, as the data migration does: a transactional test's flush empties
    the table the migration filled."""
    for series, table in ratefile.shipped_tables().items():
        for rate in table.rates:
            LatePaymentRate.objects.get_or_create(
                series=series,
                starts_on=rate.starts_on,
                defaults={"percent": rate.percent, "checked_on": table.checked_on},
            )


def confirm_rate(series: str, starts_on: date, percent: str) -> LatePaymentRate:
    """Store a rate the shipped file does not have yet (as `load_late_payment_rates` would), for a test set after
    it: the ECB's rate unchanged at 2.15 % on 1 July 2026, say."""
    rate, _ = LatePaymentRate.objects.update_or_create(
        series=series, starts_on=starts_on, defaults={"percent": Decimal(percent), "source": "test"}
    )
    return rate
