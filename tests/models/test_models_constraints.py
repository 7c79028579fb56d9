"""Every database constraint is enforced by the database itself, and full_clean() explains it in words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from clients.models import Absence, AccessToken, BusinessLogo, Client, FormSubmission, Project
from conflicts.models import ConflictSignal
from crm.models import (
    ClientHealth,
    Dispatch,
    Feeling,
    HealthChange,
    HealthSnapshot,
    LatePaymentRate,
    PaymentReminder,
    Promise,
    Rate,
)
from tests.factories import (
    make_client,
    make_conflict,
    make_contact,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
    make_scope_change,
)


def _scope_change(owner: Any) -> models.Model:
    """A change of a project's scope asked by the client (agreed by them), waiting for the freelancer."""
    return make_scope_change(make_project(make_client(owner)), asked_on=DAY)


def _check_in(owner: Any) -> models.Model:
    """A check-in the client answered on their page (issue 26)."""
    from crm.models import CheckIn

    return CheckIn.objects.create(client=make_client(owner), level="good", answered_at=DAY_MOMENT)


def _book_import(owner: Any) -> models.Model:
    from crm.dataio.imports import receive

    return receive(owner, "clients", "book.csv", b"Client;Email\nAtelier;a@example.com\n")


def _evidence_pack(owner: Any) -> models.Model:
    from crm.models import EvidencePack

    return EvidencePack.objects.create(client=make_client(owner), language="en")


def _trashed(owner: Any) -> models.Model:
    from crm.trash.snapshot import to_trash

    return to_trash(make_promise(make_client(owner)), owner)


def _undo(owner: Any) -> models.Model:
    from crm.trash.undo import remember

    promise = make_promise(make_client(owner))
    return remember(owner, promise, ["state", "kept_on"], lambda: promise.keep(promise.made_on))


def _mailbox(owner: Any) -> models.Model:
    from crm.capture.secrets import encrypt
    from crm.models import Mailbox

    return Mailbox.objects.create(
        owner=owner,
        imap_host="imap.example.com",
        imap_user="a",
        imap_secret=encrypt("p"),
        address="a@example.com",
    )


DAY = date(2026, 3, 2)
EARLIER = DAY - timedelta(days=5)
DAY_MOMENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# (name, build a valid row for alice, the fields that break one check constraint)
Builder = Callable[[Any], models.Model]


def _payment_reminder(owner: Any) -> PaymentReminder:
    invoice = make_invoice(make_client(owner), issued_on=EARLIER, due_on=EARLIER)
    return PaymentReminder.objects.create(owner=owner, invoice=invoice, step=1, due_basis=EARLIER, due_on=DAY)


def _absence(owner: Any) -> Absence:
    return Absence.objects.create(client=make_client(owner), start_on=DAY, end_on=DAY)


def _project_paused(owner: Any) -> Absence:
    project = make_project(make_client(owner))
    return Absence.objects.create(client=project.client, project=project, kind="paused", start_on=DAY)


def _recap(owner: Any) -> Any:
    from crm.models import Recap

    client = make_client(owner)
    return Recap.objects.create(
        client=client, interaction=make_interaction(client, kind="call"), decided="Go"
    )


def _recap_line(owner: Any) -> Any:
    from crm.models import RecapLine

    recap = _recap(owner)
    promise = make_promise(recap.client, made_on=DAY, due_on=DAY)
    return RecapLine.objects.create(recap=recap, client=recap.client, promise=promise)


def _late_payment_rate(owner: Any) -> LatePaymentRate:
    return LatePaymentRate.objects.create(series="ecb_mro", starts_on=date(2030, 1, 1), percent=Decimal("1"))


def _exchange_rate(owner: Any) -> Rate:
    return Rate.objects.create(currency="XTS", day=date(2030, 1, 1), per_euro=Decimal("1.5"))


CHECKS: list[tuple[str, Builder, dict[str, Any]]] = [
    # The client's voice (issue 26): a check-in's level; withdrawn after it was said; a concern says whose it is.
    ("checkin_level_valid", _check_in, {"level": "great"}),
    ("checkin_withdrawn_not_before_answered", _check_in, {"withdrawn_at": DAY_MOMENT - timedelta(hours=1)}),
    ("conflict_raised_by_valid", lambda u: make_conflict(make_client(u)), {"raised_by": "robot"}),
    # Recaps (issue 26): a confirmed recap is answered; an answer has its time; a correction its text.
    ("recap_confirmed_is_answered", _recap, {"confirmed_at": DAY_MOMENT}),
    ("recapline_answer_valid", _recap_line, {"answer": "maybe", "answered_at": DAY_MOMENT}),
    ("recapline_answer_has_time (answer, no time)", _recap_line, {"answer": "confirmed"}),
    ("recapline_answer_has_time (time, no answer)", _recap_line, {"answered_at": DAY_MOMENT}),
    ("recapline_correction_has_text", _recap_line, {"answer": "corrected", "answered_at": DAY_MOMENT}),
    ("rate_per_euro_positive", _exchange_rate, {"per_euro": Decimal("0")}),
    # The payment follow-up (issue 17).
    ("client_kind_valid", lambda u: make_client(u), {"kind": "robot"}),
    ("client_reminder_days_all_or_none", lambda u: make_client(u), {"reminder_courteous_days": 3}),
    (
        "client_reminder_days_in_order",
        lambda u: make_client(u),
        {"reminder_courteous_days": 10, "reminder_firm_days": 5, "reminder_notice_days": 30},
    ),
    ("profile_reminder_days_increase", lambda u: u.profile, {"reminder_firm_days": 2}),
    ("payment_reminder_step_1_3", _payment_reminder, {"step": 4}),
    ("payment_reminder_stop_has_reason (stopped, no reason)", _payment_reminder, {"state": "stopped"}),
    ("payment_reminder_stop_has_reason (a reason, not stopped)", _payment_reminder, {"stop_reason": "paid"}),
    ("mailbox_ports_valid (imap 0)", _mailbox, {"imap_port": 0}),
    ("mailbox_ports_valid (smtp 65536)", _mailbox, {"smtp_port": 65536}),
    ("profile_digest_hour_0_23", lambda u: u.profile, {"digest_hour": 24}),
    # The business logo (issue 24): pixels only, never SVG (scripts) or HTML.
    (
        "business_logo_raster_types_only",
        lambda u: BusinessLogo.objects.create(owner=u, image=b"\x89PNG", content_type="image/png"),
        {"content_type": "image/svg+xml"},
    ),
    ("profile_digest_weekday_0_6", lambda u: u.profile, {"digest_weekday": 7}),
    ("access_token_scope_valid", lambda u: AccessToken.issue(u, "script", "read")[0], {"scope": "admin"}),
    ("client_cadence_1_365_days (0)", lambda u: make_client(u), {"cadence_days": 0}),
    ("client_cadence_1_365_days (366)", lambda u: make_client(u), {"cadence_days": 366}),
    ("client_status_valid", lambda u: make_client(u), {"status": "vip"}),
    (
        "project_due_not_before_start",
        lambda u: make_project(make_client(u), start_on=DAY),
        {"due_on": EARLIER},
    ),
    ("project_budget_not_negative", lambda u: make_project(make_client(u)), {"budget": Decimal("-1")}),
    ("project_status_valid", lambda u: make_project(make_client(u)), {"status": "lost"}),
    ("absence_ends_after_it_starts", _absence, {"end_on": EARLIER}),
    ("absence_kind_valid", _absence, {"kind": "strike"}),
    ("absence_project_only_paused", _project_paused, {"kind": "holiday"}),
    ("interaction_kind_valid", lambda u: make_interaction(make_client(u)), {"kind": "fax"}),
    ("interaction_direction_valid", lambda u: make_interaction(make_client(u)), {"direction": "sideways"}),
    ("interaction_automatic_valid", lambda u: make_interaction(make_client(u)), {"automatic": "vacation"}),
    (
        "promise_due_not_before_made",
        lambda u: make_promise(make_client(u), made_on=DAY, due_on=DAY),
        {"due_on": EARLIER},
    ),
    ("promise_state_with_dropped_valid", lambda u: make_promise(make_client(u)), {"state": "lost"}),
    (
        "promise_dates_match_state_with_dropped (dropped, no day)",
        lambda u: make_promise(make_client(u)),
        {"state": "dropped"},
    ),
    (
        "feeling_rating_valid",
        lambda u: Feeling.objects.create(client=make_client(u), rating="trust"),
        {"rating": "meh"},
    ),
    ("promise_promisor_valid", lambda u: make_promise(make_client(u)), {"promisor": "nobody"}),
    (
        "promise_dates_match_state_with_dropped (kept, no day)",
        lambda u: make_promise(make_client(u)),
        {"state": "kept"},
    ),
    (
        "promise_dates_match_state_with_dropped (open with a kept day)",
        lambda u: make_promise(make_client(u), made_on=EARLIER, due_on=DAY),
        {"kept_on": DAY},
    ),
    (
        "promise_dates_match_state_with_dropped (broken and kept)",
        lambda u: make_promise(make_client(u), made_on=EARLIER, due_on=DAY),
        {"state": "broken", "broken_on": DAY, "kept_on": DAY},
    ),
    (
        "promise_kept_not_before_made",
        lambda u: make_promise(make_client(u), made_on=DAY, due_on=DAY),
        {"state": "kept", "kept_on": EARLIER},
    ),
    (
        "promise_clarification_has_time (text only)",
        lambda u: make_promise(make_client(u)),
        {"clarification": "Hosting was down"},
    ),
    (
        "promise_clarification_has_time (time only)",
        lambda u: make_promise(make_client(u)),
        {"clarified_at": timezone.now()},
    ),
    ("invoice_amount_positive (zero)", lambda u: make_invoice(make_client(u)), {"amount": Decimal("0")}),
    ("invoice_amount_positive (negative)", lambda u: make_invoice(make_client(u)), {"amount": Decimal("-5")}),
    (
        "invoice_due_not_before_issued",
        lambda u: make_invoice(make_client(u), issued_on=DAY, due_on=DAY),
        {"due_on": EARLIER},
    ),
    (
        "invoice_paid_not_before_issued",
        lambda u: make_invoice(make_client(u), issued_on=DAY, due_on=DAY),
        {"paid_on": EARLIER},
    ),
    (
        "invoice_renegotiated_not_before_issued",
        lambda u: make_invoice(make_client(u), issued_on=DAY, due_on=DAY),
        {"renegotiated_due_on": EARLIER},
    ),
    ("conflict_severity_1_3 (0)", lambda u: make_conflict(make_client(u)), {"severity": 0}),
    ("conflict_severity_1_3 (4)", lambda u: make_conflict(make_client(u)), {"severity": 4}),
    ("conflict_kind_valid", lambda u: make_conflict(make_client(u)), {"kind": "weather"}),
    (
        "conflict_resolved_on_matches_state (resolved, no day)",
        lambda u: make_conflict(make_client(u)),
        {"state": "resolved"},
    ),
    (
        "conflict_resolved_on_matches_state (open with a day)",
        lambda u: make_conflict(make_client(u), observed_on=EARLIER),
        {"resolved_on": DAY},
    ),
    (
        "conflict_resolved_not_before_observed",
        lambda u: make_conflict(make_client(u), observed_on=DAY),
        {"state": "resolved", "resolved_on": EARLIER},
    ),
    (
        "health_score_0_100",
        lambda u: ClientHealth.objects.get(client=make_client(u)),  # written when the client is created
        {"score": 101},
    ),
    ("scope_change_asked_by_valid", _scope_change, {"asked_by": "boss"}),
    ("scope_change_decisions_valid", _scope_change, {"client_decision": "maybe"}),
    (
        "scope_change_freelancer_decided_at_matches (pending with a time)",
        _scope_change,
        {"freelancer_decided_at": DAY_MOMENT},
    ),
    (
        "scope_change_freelancer_decided_at_matches (decided without a time)",
        _scope_change,
        {"freelancer_decision": "declined"},
    ),
    (
        "scope_change_client_decided_at_matches (decided without a time)",
        _scope_change,
        {"client_decided_at": None},
    ),
    ("scope_change_applied_only_accepted", _scope_change, {"applied_at": DAY_MOMENT}),
    ("scope_change_deadline_days_bounded", _scope_change, {"deadline_change_days": 4000}),
    ("trash_kind_valid", _trashed, {"kind": "dispatch"}),
    ("bookimport_state_valid", _book_import, {"state": "lost"}),
    ("bookimport_kind_valid", _book_import, {"kind": "xlsx"}),
    ("evidence_pack_state_valid", _evidence_pack, {"state": "lost"}),
    ("undo_action_valid", _undo, {"action": "redo"}),
    ("undo_names_its_target (a revert without its record)", _undo, {"object_id": None}),
    ("undo_names_its_target (a restore without its trash item)", _undo, {"action": "restore"}),
    (
        "snapshot_score_0_100",
        lambda u: HealthSnapshot.objects.create(client=make_client(u), day=DAY, score=50, band="watch"),
        {"score": 101},
    ),
    (
        "health_change_scores_0_100 (old)",
        lambda u: HealthChange.objects.create(
            client=make_client(u), old_score=60, new_score=50, old_band="watch", new_band="watch"
        ),
        {"old_score": 101},
    ),
    (
        "health_change_scores_0_100 (new)",
        lambda u: HealthChange.objects.create(
            client=make_client(u), old_score=60, new_score=50, old_band="watch", new_band="watch"
        ),
        {"new_score": 101},
    ),
]


# -- the book's window (crm/core/dates.py): one case per side a column can leave it by, breaking that check alone --
BEFORE_DAY, AFTER_DAY = date(1969, 12, 31), date(2101, 1, 1)
BEFORE_MOMENT = datetime(1969, 12, 31, 23, 59, tzinfo=UTC)
AFTER_MOMENT = datetime(2101, 1, 1, tzinfo=UTC)
BOTH_DAYS, BOTH_MOMENTS = [BEFORE_DAY, AFTER_DAY], [BEFORE_MOMENT, AFTER_MOMENT]
WINDOW: list[tuple[str, Builder, str, list[Any], dict[str, Any]]] = [
    ("recap_written_at_in_window", _recap, "written_at", BOTH_MOMENTS, {}),
    ("checkin_answered_at_in_window", _check_in, "answered_at", BOTH_MOMENTS, {}),
    ("recapline_answered_at_in_window", _recap_line, "answered_at", BOTH_MOMENTS, {"answer": "confirmed"}),
    # (constraint, valid row, column, values leaving the window, other fields set with them)
    ("client_created_at_in_window", lambda u: make_client(u), "created_at", BOTH_MOMENTS, {}),
    ("client_updated_at_in_window", lambda u: make_client(u), "updated_at", BOTH_MOMENTS, {}),
    (
        "client_last_status_update_at_in_window",
        lambda u: make_client(u),
        "last_status_update_at",
        BOTH_MOMENTS,
        {},
    ),
    ("client_last_contact_at_in_window", lambda u: make_client(u), "last_contact_at", BOTH_MOMENTS, {}),
    ("absence_start_on_in_window", _absence, "start_on", [BEFORE_DAY], {}),
    ("absence_end_on_in_window", _absence, "end_on", [AFTER_DAY], {}),
    ("absence_created_at_in_window", _absence, "created_at", BOTH_MOMENTS, {}),
    ("payment_reminder_due_on_in_window", _payment_reminder, "due_on", BOTH_DAYS, {}),
    ("late_payment_rate_starts_on_in_window", _late_payment_rate, "starts_on", BOTH_DAYS, {}),
    ("rate_day_in_window", _exchange_rate, "day", BOTH_DAYS, {}),
    ("project_start_on_in_window", lambda u: make_project(make_client(u)), "start_on", BOTH_DAYS, {}),
    ("project_due_on_in_window", lambda u: make_project(make_client(u)), "due_on", BOTH_DAYS, {}),
    ("project_created_at_in_window", lambda u: make_project(make_client(u)), "created_at", BOTH_MOMENTS, {}),
    (
        "interaction_happened_at_in_window",
        lambda u: make_interaction(make_client(u)),
        "happened_at",
        BOTH_MOMENTS,
        {},
    ),
    (
        "interaction_away_until_suggested_in_window",
        lambda u: make_interaction(make_client(u)),
        "away_until_suggested",
        BOTH_DAYS,
        {},
    ),
    ("promise_made_on_in_window", lambda u: make_promise(make_client(u)), "made_on", [BEFORE_DAY], {}),
    ("promise_due_on_in_window", lambda u: make_promise(make_client(u)), "due_on", [AFTER_DAY], {}),
    (
        "promise_kept_on_in_window",
        lambda u: make_promise(make_client(u)),
        "kept_on",
        [AFTER_DAY],
        {"state": "kept"},
    ),
    (
        "promise_broken_on_in_window",
        lambda u: make_promise(make_client(u)),
        "broken_on",
        BOTH_DAYS,
        {"state": "broken"},
    ),
    (
        "promise_clarified_at_in_window",
        lambda u: make_promise(make_client(u)),
        "clarified_at",
        BOTH_MOMENTS,
        {"clarification": "Hosting was down"},
    ),
    (
        "promise_dropped_on_in_window",
        lambda u: make_promise(make_client(u)),
        "dropped_on",
        [AFTER_DAY],
        {"state": "dropped"},
    ),
    ("promise_created_at_in_window", lambda u: make_promise(make_client(u)), "created_at", BOTH_MOMENTS, {}),
    ("invoice_issued_on_in_window", lambda u: make_invoice(make_client(u)), "issued_on", [BEFORE_DAY], {}),
    ("invoice_due_on_in_window", lambda u: make_invoice(make_client(u)), "due_on", [AFTER_DAY], {}),
    ("invoice_paid_on_in_window", lambda u: make_invoice(make_client(u)), "paid_on", [AFTER_DAY], {}),
    (
        "invoice_renegotiated_due_on_in_window",
        lambda u: make_invoice(make_client(u)),
        "renegotiated_due_on",
        [AFTER_DAY],
        {},
    ),
    ("invoice_created_at_in_window", lambda u: make_invoice(make_client(u)), "created_at", BOTH_MOMENTS, {}),
    ("contact_created_at_in_window", lambda u: make_contact(make_client(u)), "created_at", BOTH_MOMENTS, {}),
    ("contact_updated_at_in_window", lambda u: make_contact(make_client(u)), "updated_at", BOTH_MOMENTS, {}),
    ("conflict_observed_on_in_window", lambda u: make_conflict(make_client(u)), "observed_on", BOTH_DAYS, {}),
    ("scope_change_asked_on_in_window", _scope_change, "asked_on", BOTH_DAYS, {}),
    ("scope_change_due_on_before_in_window", _scope_change, "due_on_before", BOTH_DAYS, {}),
    ("scope_change_client_decided_at_in_window", _scope_change, "client_decided_at", BOTH_MOMENTS, {}),
    (
        "scope_change_freelancer_decided_at_in_window",
        _scope_change,
        "freelancer_decided_at",
        BOTH_MOMENTS,
        {"freelancer_decision": "accepted"},
    ),
    (
        "scope_change_applied_at_in_window",
        _scope_change,
        "applied_at",
        BOTH_MOMENTS,
        {"freelancer_decision": "accepted", "freelancer_decided_at": DAY_MOMENT},
    ),
    ("scope_change_created_at_in_window", _scope_change, "created_at", BOTH_MOMENTS, {}),
    (
        "conflict_resolved_on_in_window",
        lambda u: make_conflict(make_client(u), observed_on=DAY),
        "resolved_on",
        [AFTER_DAY],
        {"state": "resolved"},
    ),
]
CHECKS += [
    (f"{name} ({column}={value.isoformat()})", build, {**others, column: value})
    for name, build, column, values, others in WINDOW
    for value in values
]
# Saved through the ORM, `auto_now` replaces the value: only an UPDATE can try to store it.
SET_BY_SAVE = {"client_updated_at_in_window", "contact_updated_at_in_window"}


def _assert_refused(write: Callable[[], Any]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


@pytest.mark.parametrize(("name", "build", "bad"), CHECKS, ids=[c[0] for c in CHECKS])
def test_database_refuses_an_update_breaking_the_check(
    alice: Any, name: str, build: Builder, bad: dict[str, Any]
) -> None:
    row = build(alice)
    _assert_refused(lambda: type(row).objects.filter(pk=row.pk).update(**bad))


@pytest.mark.parametrize(("name", "build", "bad"), CHECKS, ids=[c[0] for c in CHECKS])
def test_database_refuses_a_save_breaking_the_check(
    alice: Any, name: str, build: Builder, bad: dict[str, Any]
) -> None:
    if name.split(" ")[0] in SET_BY_SAVE:
        pytest.skip("auto_now: a save writes the current time")
    row = build(alice)
    for field, value in bad.items():
        setattr(row, field, value)
    _assert_refused(row.save)


@pytest.mark.parametrize(("name", "build", "bad"), CHECKS, ids=[c[0] for c in CHECKS])
def test_full_clean_refuses_what_the_database_refuses(
    alice: Any, name: str, build: Builder, bad: dict[str, Any]
) -> None:
    row = build(alice)
    for field, value in bad.items():
        setattr(row, field, value)
    with pytest.raises(ValidationError):
        row.full_clean()


def test_every_check_constraint_of_the_project_is_exercised() -> None:
    """A new constraint must get a row in CHECKS (or in the unique tests below)."""
    from django.apps import apps

    declared = {
        constraint.name
        for model in apps.get_models()
        if model._meta.app_label in {"clients", "conflicts", "crm"}
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
    }
    tested = {name.split(" ")[0] for name, _build, _bad in CHECKS}
    assert declared - tested == set()


# -- unique constraints --------------------------------------------------------------------------------------


def test_invoice_number_is_unique_per_owner(alice: Any) -> None:
    client = make_client(alice)
    make_invoice(client, number="2026-001")
    _assert_refused(lambda: make_invoice(client, number="2026-001"))


def test_two_freelancers_may_use_the_same_invoice_number(alice: Any, bob: Any) -> None:
    make_invoice(make_client(alice), number="2026-001")
    invoice = make_invoice(make_client(bob), number="2026-001")
    invoice.full_clean()
    assert invoice.pk


def test_one_snapshot_per_client_per_day(alice: Any) -> None:
    client = make_client(alice)
    HealthSnapshot.objects.create(client=client, day=DAY, score=60, band="watch")
    _assert_refused(lambda: HealthSnapshot.objects.create(client=client, day=DAY, score=61, band="watch"))


def test_one_dispatch_per_owner_kind_and_period(alice: Any) -> None:
    Dispatch.objects.create(owner=alice, kind="digest", period="2026-W10")
    _assert_refused(lambda: Dispatch.objects.create(owner=alice, kind="digest", period="2026-W10"))
    Dispatch.objects.create(owner=alice, kind="nudge", period="2026-W10")


def test_a_message_is_captured_once_per_owner(alice: Any, bob: Any) -> None:
    from crm.models import CapturedMessage

    fields = {"message_id": "<1@x>", "direction": "from_client", "sent_at": DAY_MOMENT, "sender": "p@x.fr"}
    CapturedMessage.objects.create(owner=alice, client=make_client(alice), **fields)
    _assert_refused(lambda: CapturedMessage.objects.create(owner=alice, client=make_client(alice), **fields))
    CapturedMessage.objects.create(owner=bob, client=make_client(bob), **fields)


def test_a_form_token_is_claimed_once_per_owner(alice: Any, bob: Any) -> None:
    FormSubmission.objects.create(owner=alice, token="t-1")
    FormSubmission.objects.create(owner=bob, token="t-1")  # another owner's token is another token
    _assert_refused(lambda: FormSubmission.objects.create(owner=alice, token="t-1"))


# -- the messages a freelancer reads -------------------------------------------------------------------------


def _messages(row: models.Model) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    return refused.value.message_dict


def test_invoice_due_before_issued_is_explained(alice: Any) -> None:
    invoice = make_invoice(make_client(alice), issued_on=DAY, due_on=DAY)
    invoice.due_on = EARLIER
    assert _messages(invoice)["due_on"] == ["The due date cannot be before the issue date."]


def test_invoice_amount_must_be_positive(alice: Any) -> None:
    invoice = make_invoice(make_client(alice))
    invoice.amount = Decimal("0")
    assert _messages(invoice)["amount"] == ["Ensure this value is greater than or equal to 0.01."]


def test_duplicate_invoice_number_is_explained(alice: Any) -> None:
    client = make_client(alice)
    make_invoice(client, number="2026-007")
    duplicate = make_invoice(client, number="2026-008")
    duplicate.number = "2026-007"
    assert "You already have an invoice numbered 2026-007" in " ".join(_messages(duplicate)["number"])


def test_severity_out_of_range_is_explained(alice: Any) -> None:
    signal = make_conflict(make_client(alice))
    signal.severity = 4
    assert _messages(signal)["severity"] == ["Value 4 is not a valid choice."]


def test_conflict_resolved_without_a_day_is_explained(alice: Any) -> None:
    signal = make_conflict(make_client(alice))
    signal.state = ConflictSignal.State.RESOLVED
    assert _messages(signal)["resolved_on"] == ["Say when the conflict was resolved."]


def test_open_conflict_with_a_resolution_day_is_explained(alice: Any) -> None:
    signal = make_conflict(make_client(alice), observed_on=EARLIER)
    signal.resolved_on = DAY
    assert _messages(signal)["resolved_on"] == ["An open conflict has no resolution date."]


def test_promise_kept_without_a_day_is_explained(alice: Any) -> None:
    promise = make_promise(make_client(alice))
    promise.state = Promise.State.KEPT
    assert _messages(promise)["kept_on"] == ["A kept promise needs the day it was kept, and no broken date."]


def test_promise_broken_without_a_day_is_explained(alice: Any) -> None:
    promise = make_promise(make_client(alice))
    promise.state = Promise.State.BROKEN
    assert _messages(promise)["broken_on"] == [
        "A broken promise needs the day it was broken, and no kept date."
    ]


def test_open_promise_with_a_kept_day_is_explained(alice: Any) -> None:
    promise = make_promise(make_client(alice), made_on=EARLIER, due_on=DAY)
    promise.kept_on = DAY
    assert _messages(promise)["state"] == ["An open promise has neither a kept nor a broken date."]


def test_explanation_needs_its_text_and_its_time(alice: Any) -> None:
    promise = make_promise(make_client(alice))
    promise.clarification = "Hosting was down two days"
    assert _messages(promise)["clarified_at"] == ["Say when you explained the delay."]
    promise.clarification, promise.clarified_at = "", timezone.now()
    assert _messages(promise)["clarification"] == ["Say what you told the client."]


def test_promise_due_before_made_is_explained(alice: Any) -> None:
    promise = make_promise(make_client(alice), made_on=DAY, due_on=DAY)
    promise.due_on = EARLIER
    assert _messages(promise)["due_on"] == ["The due date cannot be before the day the promise was made."]


@pytest.mark.parametrize("cadence", [0, 366])
def test_cadence_outside_one_to_365_days_is_explained(alice: Any, cadence: int) -> None:
    client = make_client(alice)
    client.cadence_days = cadence
    message = _messages(client)["cadence_days"][0]
    assert message in {
        "Ensure this value is greater than or equal to 1.",
        "Ensure this value is less than or equal to 365.",
    }


def test_project_due_before_start_is_explained(alice: Any) -> None:
    project = make_project(make_client(alice), start_on=DAY)
    project.due_on = EARLIER
    assert _messages(project)["due_on"] == ["The due date cannot be before the start date."]


def test_negative_budget_is_explained(alice: Any) -> None:
    project = make_project(make_client(alice))
    project.budget = Decimal("-100")
    assert _messages(project)["budget"] == ["Ensure this value is greater than or equal to 0."]


def test_valid_rows_pass_full_clean(alice: Any) -> None:
    client = make_client(alice)
    project = make_project(client, start_on=EARLIER, due_on=DAY, budget=Decimal("0"))
    promise = make_promise(client, project=project, made_on=EARLIER, due_on=DAY)
    promise.keep(DAY)
    for row in [
        client,
        project,
        promise,
        make_invoice(client, project=project, issued_on=EARLIER, due_on=DAY, paid_on=DAY),
        make_conflict(client, observed_on=EARLIER),
        Client.objects.get(pk=client.pk),
        Project.objects.get(pk=project.pk),
    ]:
        row.full_clean()


@pytest.mark.parametrize(
    ("name", "build", "column", "values", "others"), WINDOW, ids=[case[0] for case in WINDOW]
)
def test_the_window_bounds_themselves_are_accepted(
    alice: Any, name: str, build: Builder, column: str, values: list[Any], others: dict[str, Any]
) -> None:
    """The first and last day (and instant) of the window are in it: only what lies outside is refused."""
    row = build(alice)
    moment = isinstance(values[0], datetime)
    inside = (
        [datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 12, 31, 23, 59, tzinfo=UTC)]
        if moment
        else [date(1970, 1, 1), date(2100, 12, 31)]
    )
    for value in inside:
        # Keep the rows' own order (made <= due...) by only testing the bound on the side the case leaves by.
        if (value.year == 1970) != (values[0].year == 1969) and len(values) == 1:
            continue
        with transaction.atomic():
            type(row).objects.filter(pk=row.pk).update(**{**others, column: value})
        assert getattr(type(row).objects.get(pk=row.pk), column) == value


@pytest.mark.parametrize(
    ("language", "words"), [("en", "Enter a date between"), ("fr", "Saisissez une date")]
)
def test_a_date_outside_the_window_is_explained_in_both_languages(
    alice: Any, language: str, words: str
) -> None:
    from django.utils import translation

    promise = make_promise(make_client(alice))
    promise.due_on = date(9999, 12, 31)
    with translation.override(language):
        message = _messages(promise)["due_on"][0]
    assert message.startswith(words)
    assert "2100" in message and "1970" in message
