"""The sweep's "next step at" columns (crm/payments/due.py) say what the rules say, after every path that moves
them, and the planners read only the rows they mark due: a sweep with nothing due costs the same few queries
whatever the size of the book."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.db.models import F, Q
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Absence, Client
from conflicts.models import ConflictSignal
from crm.core import rules
from crm.core.days import local_day
from crm.models import Dispatch, Interaction, Invoice, PaymentReminder
from crm.payments import due, schedule
from crm.reminders import payment_follow_up, status_updates
from crm.trash.snapshot import restore, to_trash
from crm.trust.door import journal_changed, record_saved
from tests.factories import make_client, make_conflict, make_interaction, make_invoice, make_user

ZONES = ["Europe/Paris", "Pacific/Kiritimati", "Pacific/Niue", "America/New_York", "UTC"]
TODAY = date(2026, 3, 29)  # the day Paris moves to summer time
NOW = datetime.combine(TODAY, time(12), tzinfo=UTC)
EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

pytestmark = pytest.mark.django_db


def assert_columns_follow_the_rules() -> None:
    """Every stored column equals the one computed again from the rules (nothing left to move)."""
    assert due.refresh_clients(Q()) == 0
    assert due.refresh_invoices(Q()) == 0


def would_prepare(invoice: Invoice, now: datetime) -> bool:
    """The planner's rule read from the model, over the whole book as it did before the column: an unpaid
    invoice's next step is prepared when its local day has come and no step of its due date awaits a decision."""
    profile = invoice.owner.profile
    today = local_day(now, profile.zone)
    basis = invoice.effective_due_on
    if invoice.paid_on is not None or basis >= today:
        return False
    mine = [r for r in invoice.reminders.all() if r.due_basis == basis]
    if any(r.state in payment_follow_up.PENDING for r in mine):
        return False
    decided = {
        r.step: local_day(r.decided_at, profile.zone)
        for r in mine
        if r.state in (PaymentReminder.State.SENT, PaymentReminder.State.SKIPPED) and r.decided_at
    }
    step = schedule.next_step(basis, invoice.client.reminder_days(profile), decided)
    return step is not None and step[1] <= today


# -- the rules --------------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    last_day=st.dates(date(2025, 1, 1), date(2027, 1, 1)),
    cadence=st.integers(1, 365),
    away=st.one_of(st.none(), st.tuples(st.integers(-400, 400), st.integers(0, 60))),
    active=st.booleans(),
    today=st.dates(date(2025, 1, 1), date(2028, 1, 1)),
)
def test_the_first_day_listed_is_where_the_rule_starts_listing(
    last_day: date, cadence: int, away: tuple[int, int] | None, active: bool, today: date
) -> None:
    spans = (
        () if away is None else ((last_day + timedelta(days=away[0]), last_day + timedelta(days=sum(away))),)
    )
    first = rules.status_update_listed_from(last_day, cadence, spans, active=active)
    listed = rules.status_update_listed(
        rules.status_update_due_on(last_day, cadence, spans), today, active=active, spans=spans
    )
    # Never listed before the column's day; listed from it on, but for the days an absence holds it back.
    if listed:
        assert first is not None and today >= first
    if first is not None and today >= first and not rules.is_covered(today, spans):
        assert listed


# -- the client's column, through the door ----------------------------------------------------------------------


@EXAMPLES
@given(
    since_minutes=st.integers(-4 * 24 * 60, 4 * 24 * 60),
    cadence=st.integers(1, 60),
    status=st.sampled_from(["active"] * 4 + Client.Status.values),
    away=st.one_of(st.none(), st.none(), st.integers(-3, 3)),
    zone=st.sampled_from(ZONES),
    hours=st.lists(st.integers(-5 * 24, 5 * 24), min_size=3, max_size=6),
)
def test_the_clients_column_lists_exactly_when_the_rule_does(
    alice: Any, since_minutes: int, cadence: int, status: str, away: int | None, zone: str, hours: list[int]
) -> None:
    alice.profile.time_zone = zone
    alice.profile.save()
    client = make_client(alice, cadence_days=cadence, status=status)
    since = datetime.combine(TODAY - timedelta(days=cadence), time(), tzinfo=UTC) + timedelta(
        minutes=since_minutes
    )
    if away is not None:  # a holiday up to that day, the door called by the status update below
        Absence.objects.create(
            client=client,
            kind=Absence.Kind.HOLIDAY,
            start_on=TODAY - timedelta(days=70),
            end_on=TODAY + timedelta(days=away),
        )
    # The status update sent goes through the door, as every face logs it.
    make_interaction(
        client,
        kind=Interaction.Kind.STATUS_UPDATE,
        direction=Interaction.Direction.TO_CLIENT,
        happened_at=since,
    )
    client.refresh_from_db()
    for hour in hours:
        moment = NOW + timedelta(hours=hour)
        listed = client.status_update_listed_at is not None and client.status_update_listed_at <= moment
        assert listed == client.status_update_listed(
            local_day(moment, alice.profile.zone), alice.profile.zone
        )
    client.delete()


# -- the invoices' column, over random books ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_invoices_column_marks_due_exactly_what_the_planner_would_prepare(seed: int) -> None:
    rng = random.Random(seed)
    owner = make_user(f"book{seed}", time_zone=rng.choice(ZONES))
    for c in range(4):
        days = rng.choice(
            [{}, {}, {"reminder_courteous_days": 2, "reminder_firm_days": 9, "reminder_notice_days": 20}]
        )
        client = make_client(owner, name=f"C{c}", email=f"c{c}@example.com", **days)
        for i in range(4):
            issued = TODAY - timedelta(days=rng.randint(0, 60))
            make_invoice(
                client,
                number=f"F-{c}-{i}",
                issued_on=issued,
                due_on=issued + timedelta(days=rng.randint(0, 30)),
                paid_on=rng.choice([None, None, None, issued + timedelta(days=5)]),
                renegotiated_due_on=rng.choice([None, None, None, issued + timedelta(days=40)]),
            )
    now = NOW - timedelta(days=10)
    for _ in range(12):
        now += timedelta(hours=rng.randint(6, 60))
        invoices = list(
            Invoice.objects.select_related("client", "owner__profile").prefetch_related("reminders")
        )
        expected = {invoice.pk for invoice in invoices if would_prepare(invoice, now)}
        assert {row["pk"] for row in payment_follow_up.due_invoices(now)} == expected
        assert payment_follow_up.plan(now) == len(expected)
        # The freelancer decides some of what was proposed; the next steps follow those decisions.
        for reminder in PaymentReminder.objects.filter(state=PaymentReminder.State.PROPOSED):
            if rng.random() < 0.6:
                payment_follow_up.skip(reminder, now + timedelta(hours=rng.randint(0, 30)))
        assert_columns_follow_the_rules()


# -- the planners read only what is due ------------------------------------------------------------------------


def _late_book(owner: Any, clients: int) -> None:
    for c in range(clients):
        client = make_client(owner, name=f"N{c}", email=f"n{c}@example.com")
        # A day late: its first reminder is days ahead.
        make_invoice(
            client,
            number=f"N-{owner.pk}-{clients}-{c}",
            issued_on=TODAY - timedelta(days=31),
            due_on=TODAY - timedelta(days=1),
        )


def test_a_sweep_with_nothing_due_costs_two_queries_whatever_the_book(
    alice: Any, django_assert_num_queries: Any
) -> None:
    for size in (5, 40):
        _late_book(alice, size)
        with django_assert_num_queries(2):  # the stop pass, the due invoices: never the book
            assert payment_follow_up.plan(NOW) == 0
        nudge = Dispatch(owner_id=alice.pk, kind=Dispatch.Kind.NUDGE, period="p", due_at=NOW)
        with django_assert_num_queries(1):  # the freelancers with a client listed
            [row] = status_updates.skip_nudges_with_nothing_due([nudge], NOW, {})
        assert row.state == Dispatch.State.SKIPPED


def test_the_planner_prepares_exactly_the_due_invoices(alice: Any, bob: Any) -> None:
    late = TODAY - timedelta(days=30)  # every step's day has come: the courteous one is prepared
    ready = make_client(alice, name="Ready", email="r@example.com")
    make_invoice(ready, number="DUE", issued_on=late, due_on=late)
    make_invoice(ready, number="PAID", issued_on=late, due_on=late, paid_on=TODAY)
    make_invoice(ready, number="SOON", issued_on=TODAY, due_on=TODAY + timedelta(days=2))
    disputed = make_client(alice, name="Disputed", email="d@example.com")
    make_invoice(disputed, number="HELD", issued_on=late, due_on=late)
    make_conflict(disputed, kind=ConflictSignal.Kind.PAYMENT)
    silent = make_client(alice, name="No address")
    make_invoice(silent, number="SILENT", issued_on=late, due_on=late)
    theirs = make_client(bob, name="Bob's", email="b@example.com")
    make_invoice(theirs, number="DUE", issued_on=late, due_on=late)

    assert payment_follow_up.plan(NOW) == 2
    prepared = PaymentReminder.objects.order_by("owner__username").values_list(
        "invoice__number", "owner__username"
    )
    assert list(prepared) == [("DUE", "alice"), ("DUE", "bob")]
    # Each waits for its freelancer now: nothing more is read until they decide.
    waiting = Invoice.objects.filter(next_reminder_at__isnull=False).values_list("number", flat=True)
    assert set(waiting) == {"SOON", "HELD", "SILENT"}
    assert payment_follow_up.plan(NOW + timedelta(minutes=1)) == 0
    # The dispute ends: the held invoice's step comes at the next sweep, with no write to its column.
    ConflictSignal.objects.filter(client=disputed).update(
        state=ConflictSignal.State.RESOLVED, resolved_on=F("observed_on")
    )
    assert payment_follow_up.plan(NOW + timedelta(minutes=2)) == 1
    assert_columns_follow_the_rules()


# -- every path that moves an input moves the column -----------------------------------------------------------


def test_the_column_follows_payments_undo_renegotiation_and_decisions(alice: Any, alice_client: Any) -> None:
    client = make_client(alice, name="Dupont", email="d@example.com")
    invoice = make_invoice(
        client, number="F-1", issued_on=TODAY - timedelta(days=40), due_on=TODAY - timedelta(days=10)
    )
    invoice.refresh_from_db()
    first = invoice.next_reminder_at
    assert first is not None and first <= timezone.now() + timedelta(days=400)

    response = alice_client.post(reverse("web:invoice_mark_paid", kwargs={"invoice_id": invoice.pk}))
    assert response.status_code in (200, 302)
    invoice.refresh_from_db()
    assert invoice.paid_on is not None and invoice.next_reminder_at is None
    alice_client.post(reverse("web:invoice_reopen", kwargs={"invoice_id": invoice.pk}))
    invoice.refresh_from_db()
    assert invoice.next_reminder_at == first
    assert_columns_follow_the_rules()

    later = TODAY + timedelta(days=20)
    invoice.renegotiate(later)
    journal_changed([client.pk])
    invoice.refresh_from_db()
    assert local_day(invoice.next_reminder_at, alice.profile.zone) > later

    # Prepared (None: it awaits the decision), then skipped (the next step's day).
    invoice.renegotiate(TODAY - timedelta(days=10))
    journal_changed([client.pk])
    moment = datetime.combine(TODAY, time(12), tzinfo=UTC)
    assert payment_follow_up.plan(moment) == 1
    invoice.refresh_from_db()
    assert invoice.next_reminder_at is None
    payment_follow_up.skip(PaymentReminder.objects.get(), moment)
    invoice.refresh_from_db()
    assert invoice.next_reminder_at is not None
    assert_columns_follow_the_rules()


def test_the_columns_follow_a_clients_and_a_freelancers_settings(alice: Any) -> None:
    client = make_client(alice, name="Dupont", email="d@example.com", cadence_days=14)
    invoice = make_invoice(
        client, number="F-1", issued_on=TODAY - timedelta(days=40), due_on=TODAY - timedelta(days=10)
    )
    # The client's own reminder days (an edit saves them and calls `record_saved`, as every face does).
    client.reminder_courteous_days, client.reminder_firm_days, client.reminder_notice_days = 30, 40, 50
    client.save()
    record_saved(client, ["reminder_courteous_days", "reminder_firm_days", "reminder_notice_days"])
    invoice.refresh_from_db()
    assert local_day(invoice.next_reminder_at, alice.profile.zone) == TODAY + timedelta(days=20)
    # The cadence and an absence go through the door.
    start = local_day(client.created_at, alice.profile.zone)
    client.cadence_days = 30
    client.save()
    record_saved(client, ["cadence_days"])
    Absence.objects.create(
        client=client, kind=Absence.Kind.HOLIDAY, start_on=start, end_on=start + timedelta(days=90)
    )
    journal_changed([client.pk])
    client.refresh_from_db()
    assert local_day(client.status_update_listed_at, alice.profile.zone) == start + timedelta(days=91)
    # The freelancer's time zone: both columns move with it (Settings and the admin call `profile_changed`,
    # tests/web/test_settings_schedule.py).
    before = (client.status_update_listed_at, invoice.next_reminder_at)
    profile = type(alice.profile).objects.get(pk=alice.profile.pk)
    drawn = model_to_dict(profile)  # what a form's `initial` holds
    profile.time_zone = "Pacific/Kiritimati"
    profile.save()
    due.profile_changed(profile, drawn)
    client.refresh_from_db()
    invoice.refresh_from_db()
    assert (client.status_update_listed_at, invoice.next_reminder_at) != before
    assert_columns_follow_the_rules()


def test_the_columns_come_back_with_a_client_restored_from_the_trash(alice: Any) -> None:
    client = make_client(alice, name="Dupont", email="d@example.com")
    invoice = make_invoice(
        client, number="F-1", issued_on=TODAY - timedelta(days=40), due_on=TODAY - timedelta(days=10)
    )
    invoice.refresh_from_db()
    client.refresh_from_db()
    stored = (client.status_update_listed_at, invoice.next_reminder_at)
    item = to_trash(client, alice)
    assert not Invoice.objects.exists()
    client = restore(item)
    client.refresh_from_db()
    invoice = Invoice.objects.get()
    assert (client.status_update_listed_at, invoice.next_reminder_at) == stored
    assert_columns_follow_the_rules()


def test_the_nudge_lists_only_the_clients_whose_update_is_due(alice: Any) -> None:
    alice.profile.nudges_enabled = True
    alice.profile.save()
    quiet = make_client(alice, name="Quiet", cadence_days=30)
    lapsed = make_client(alice, name="Lapsed", cadence_days=7)
    Client.objects.filter(pk=lapsed.pk).update(created_at=NOW - timedelta(days=30))
    journal_changed([quiet.pk, lapsed.pk])
    listed = Client.objects.filter(status_update_listed_at__lte=NOW)
    assert list(listed.values_list("name", flat=True)) == ["Lapsed"]
    nudge = Dispatch(owner_id=alice.pk, kind=Dispatch.Kind.NUDGE, period="p", due_at=NOW)
    [row] = status_updates.skip_nudges_with_nothing_due([nudge], NOW, {})
    assert row.state == Dispatch.State.PENDING
    email = status_updates.nudge_message(alice, NOW)
    assert email is not None and "Lapsed" in email.body and "Quiet" not in email.body
