"""What goes in and out of the API, field by field, typed: the OpenAPI schema is drawn from these.

The input types refuse what no database could store (NUL bytes, lone surrogates, ids past 64 bits, instants
outside the book's window) before any query; everything else is the models' own validation (`full_clean`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt, model_validator

from clients.models import Absence, Client, Language, Project
from conflicts.models import ConflictSignal
from crm.core.dates import END_MOMENT, FIRST_MOMENT
from crm.models import Interaction, Promise, ScopeChange

MAX_ID = 2**63 - 1


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError(_("NUL characters are not allowed."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(_("The text is not valid Unicode.")) from error
    return value


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339: a date, "T", a time and an offset (Z or ±hh:mm). A bare number or a naive time is refused, not guessed.
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


def _iso_day(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and ISO_DAY.fullmatch(value):
        return value
    raise ValueError(_("Enter a date as YYYY-MM-DD."))


def _iso_moment(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and ISO_MOMENT.fullmatch(value.upper()):
        return value.upper()
    raise ValueError(_("Enter a moment as YYYY-MM-DDThh:mm:ss with its offset (Z or +02:00)."))


def _in_window(value: datetime) -> datetime:
    """Make a naive instant aware (in the freelancer's zone) and refuse one outside the book's window."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        inside = FIRST_MOMENT <= value < END_MOMENT
    except OverflowError:
        inside = False
    if not inside:
        raise ValueError(_("Enter a moment between 1970-01-01 and 2100-12-31."))
    return value


Text = Annotated[str, AfterValidator(_storable)]
# Ids in a body or a path are JSON integers (`"7"` is refused); in a query string they are text by nature.
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[date, BeforeValidator(_iso_day)]
Moment = Annotated[datetime, BeforeValidator(_iso_moment), AfterValidator(_in_window)]
Money = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]


def _choice(choices: Any) -> Any:
    return Literal[tuple(choices.values)]


ClientStatus = _choice(Client.Status)
ProjectStatus = _choice(Project.Status)
AbsenceKind = _choice(Absence.Kind)
InteractionKind = _choice(Interaction.Kind)
Direction = _choice(Interaction.Direction)
Promisor = _choice(Promise.Promisor)
PromiseState = _choice(Promise.State)
SignalKind = _choice(ConflictSignal.Kind)
SignalState = _choice(ConflictSignal.State)
Severity = Annotated[StrictInt, Field(ge=1, le=3)]
LanguageCode = _choice(Language)
ScopeSide = _choice(ScopeChange.Side)
Decision = Literal["accepted", "declined"]
SignedMoney = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]


class Body(Schema):
    """A request body: a JSON object (django-ninja's schemas would read any value's attributes, so a list or a
    string would pass as an empty change)."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        if not isinstance(getattr(data, "_obj", data), dict):  # ninja may have wrapped it already
            raise ValueError(_("The body must be a JSON object."))
        return data


class ListFilters(Schema):
    cursor: Text | None = Field(None, description="The `next_cursor` of the previous page.")
    limit: int = Field(50, ge=1, le=200, description="How many items per page (1 to 200).")
    updated_since: Moment | None = Field(
        None, description="Only records created or changed at or after this instant (ISO 8601)."
    )


class JournalFilters(ListFilters):
    client_id: QueryId | None = Field(None, description="Only this client's records.")


# -- clients ---------------------------------------------------------------------------------------------------


class ClientIn(Body):
    name: Text
    company: Text = ""
    email: Text = ""
    phone: Text = ""
    notes: Text = ""
    language: LanguageCode | None = Field(None, description="Left out: the freelancer's language.")
    status: ClientStatus = "active"
    cadence_days: StrictInt = Field(7, ge=1, le=365)


class ClientPatch(Body):
    name: Text | None = None
    company: Text | None = None
    email: Text | None = None
    phone: Text | None = None
    notes: Text | None = None
    language: LanguageCode | None = None
    status: ClientStatus | None = None
    cadence_days: StrictInt | None = Field(None, ge=1, le=365)


class ClientOut(Schema):
    id: int
    name: str
    company: str
    email: str
    phone: str
    notes: str
    language: str
    status: str
    cadence_days: int
    created_at: datetime
    updated_at: datetime
    last_status_update_at: datetime | None
    last_contact_at: datetime | None


# -- contacts --------------------------------------------------------------------------------------------------


class ContactIn(Body):
    client_id: Id
    name: Text
    email: Text = ""
    other_emails: Text = Field("", description="Other addresses of the contact, one per line.")
    phone: Text = ""
    role: Text = ""
    is_primary: StrictBool = Field(
        False, description="Make it the client's primary contact (the previous one stays)."
    )
    notes: Text = ""


class ContactPatch(Body):
    name: Text | None = None
    email: Text | None = None
    other_emails: Text | None = None
    phone: Text | None = None
    role: Text | None = None
    is_primary: StrictBool | None = None
    notes: Text | None = None


class ContactOut(Schema):
    id: int
    client_id: int
    name: str
    email: str
    other_emails: str
    phone: str
    role: str
    is_primary: bool
    notes: str
    created_at: datetime
    updated_at: datetime


# -- projects --------------------------------------------------------------------------------------------------


class ProjectIn(Body):
    client_id: Id
    title: Text
    goals: Text = ""
    deliverables: Text = ""
    status: ProjectStatus = "active"
    start_on: Day | None = None
    due_on: Day | None = None
    budget: Money | None = None
    currency: Text = "EUR"


class ProjectPatch(Body):
    title: Text | None = None
    goals: Text | None = None
    deliverables: Text | None = None
    status: ProjectStatus | None = None
    start_on: Day | None = None
    due_on: Day | None = None
    budget: Money | None = None
    currency: Text | None = None


class ProjectOut(Schema):
    id: int
    client_id: int
    title: str
    goals: str
    deliverables: str
    status: str
    start_on: date | None
    due_on: date | None
    budget: Decimal | None
    currency: str
    created_at: datetime


# -- scope changes ---------------------------------------------------------------------------------------------


class ScopeChangeIn(Body):
    client_id: Id
    project_id: Id
    asked_on: Day
    asked_by: ScopeSide = "client"
    description: Text
    price_change: SignedMoney | None = Field(
        None, description="In the project's currency: what it adds to the budget (negative: it removes work)."
    )
    deadline_change_days: StrictInt | None = Field(None, description="Days added to the project's due date.")


class ScopeChangePatch(Body):
    asked_on: Day | None = None
    description: Text | None = None
    price_change: SignedMoney | None = None
    deadline_change_days: StrictInt | None = None
    freelancer_decision: Decision | None = Field(
        None,
        description="Your decision on a change the client asked for (once; accepted by both, it is applied).",
    )


class ScopeChangeOut(Schema):
    id: int
    client_id: int
    project_id: int
    asked_on: date
    asked_by: str
    description: str
    price_change: Decimal | None
    deadline_change_days: int | None
    freelancer_decision: str
    freelancer_decided_at: datetime | None
    client_decision: str
    client_decided_at: datetime | None
    state: str
    budget_before: Decimal | None
    due_on_before: date | None
    applied_at: datetime | None
    created_at: datetime


# -- absences -------------------------------------------------------------------------------------------------


class AbsenceIn(Body):
    client_id: Id
    project_id: Id | None = Field(None, description="Pause only this project of the client (kind: paused).")
    kind: AbsenceKind = "holiday"
    start_on: Day
    end_on: Day | None = Field(None, description="The last day, included; left out while it lasts.")
    note: Text = ""


class AbsencePatch(Body):
    kind: AbsenceKind | None = None
    start_on: Day | None = None
    end_on: Day | None = None
    note: Text | None = None


class AbsenceOut(Schema):
    id: int
    client_id: int
    project_id: int | None
    kind: str
    start_on: date
    end_on: date | None
    note: str
    created_at: datetime


# -- interactions ----------------------------------------------------------------------------------------------


class InteractionIn(Body):
    client_id: Id
    project_id: Id | None = None
    kind: InteractionKind = "email"
    direction: Direction = "to_client"
    happened_at: Moment | None = Field(None, description="When it happened (now when left out).")
    summary: Text = ""
    answers_id: Id | None = Field(None, description="The interaction (of the other side) this one answers.")
    contact_id: Id | None = Field(None, description="Who at the client it was with (one of its contacts).")


class InteractionPatch(Body):
    project_id: Id | None = None
    kind: InteractionKind | None = None
    direction: Direction | None = None
    happened_at: Moment | None = None
    summary: Text | None = None
    answers_id: Id | None = None
    contact_id: Id | None = None


class InteractionOut(Schema):
    id: int
    client_id: int
    project_id: int | None
    kind: str
    direction: str
    happened_at: datetime
    summary: str
    answers_id: int | None
    contact_id: int | None


# -- promises --------------------------------------------------------------------------------------------------


class PromiseIn(Body):
    client_id: Id
    project_id: Id | None = None
    promisor: Promisor = "freelancer"
    description: Text
    made_on: Day | None = Field(None, description="The day it was made (today when left out).")
    due_on: Day
    state: PromiseState = "open"
    kept_on: Day | None = None
    broken_on: Day | None = None
    dropped_on: Day | None = None
    clarification: Text = ""
    clarified_at: Moment | None = None


class PromisePatch(Body):
    project_id: Id | None = None
    promisor: Promisor | None = None
    description: Text | None = None
    made_on: Day | None = None
    due_on: Day | None = None
    state: PromiseState | None = None
    kept_on: Day | None = None
    broken_on: Day | None = None
    dropped_on: Day | None = None
    clarification: Text | None = None
    clarified_at: Moment | None = None


class PromiseOut(Schema):
    id: int
    client_id: int
    project_id: int | None
    promisor: str
    description: str
    made_on: date
    due_on: date
    state: str
    kept_on: date | None
    broken_on: date | None
    dropped_on: date | None
    clarification: str
    clarified_at: datetime | None
    created_at: datetime


# -- invoices --------------------------------------------------------------------------------------------------


class InvoiceIn(Body):
    client_id: Id
    project_id: Id | None = None
    number: Text
    amount: Money
    currency: Text = "EUR"
    issued_on: Day | None = Field(None, description="The day it was issued (today when left out).")
    due_on: Day
    paid_on: Day | None = None
    renegotiated_due_on: Day | None = None


class InvoicePatch(Body):
    project_id: Id | None = None
    number: Text | None = None
    amount: Money | None = None
    currency: Text | None = None
    issued_on: Day | None = None
    due_on: Day | None = None
    paid_on: Day | None = None
    renegotiated_due_on: Day | None = None


class InvoiceOut(Schema):
    id: int
    client_id: int
    project_id: int | None
    number: str
    amount: Decimal
    currency: str
    issued_on: date
    due_on: date
    paid_on: date | None
    renegotiated_due_on: date | None
    created_at: datetime


# -- conflict signals ------------------------------------------------------------------------------------------


class SignalIn(Body):
    client_id: Id
    kind: SignalKind
    severity: Severity = 1
    observed_on: Day
    description: Text = ""
    state: SignalState = "open"
    resolved_on: Day | None = None
    resolution: Text = ""


class SignalPatch(Body):
    kind: SignalKind | None = None
    severity: Severity | None = None
    observed_on: Day | None = None
    description: Text | None = None
    state: SignalState | None = None
    resolved_on: Day | None = None
    resolution: Text | None = None


class SignalOut(Schema):
    id: int
    client_id: int
    kind: str
    severity: int
    observed_on: date
    description: str
    state: str
    resolved_on: date | None
    resolution: str
    raised_by: str = Field(
        description='`freelancer` (you), or `client`: said by the client on their page ("something bothers me").'
    )
    withdrawn_at: datetime | None = Field(description="When the client withdrew it (it no longer counts).")


# -- the client's check-ins (read only: the client's own word, given on their page) -----------------------------


class CheckInOut(Schema):
    id: int
    client_id: int
    level: str = Field(description="`good`, `mixed` or `poor`: how the client said the work is going.")
    note: str
    answered_at: datetime
    withdrawn_at: datetime | None = Field(description="When the client withdrew it (it no longer counts).")


# -- trust health ----------------------------------------------------------------------------------------------


class ResponsivenessOut(Schema):
    score: int | None = Field(description="That side's answers on their own, 0-100; null without any.")
    contribution: float = Field(description="The points they move the overall score by.")
    evidence: int


class SideOut(Schema):
    score: int | None
    band: str
    band_label: str
    label: str
    responsiveness: ResponsivenessOut = Field(
        description="My answers to the client's messages (`mine`), the client's answers to my questions (`client`)."
    )


class ReasonOut(Schema, extra="allow"):
    code: str
    side: str
    text: str
    next_step: str


class HealthOut(Schema):
    id: int = Field(description="The client's id.")
    name: str
    company: str
    score: int
    band: str
    band_label: str
    score_week_ago: int | None
    trend: int | None
    evidence_count: int
    sides: dict[str, SideOut] = Field(description="`mine` (my word) and `client` (the client's word).")
    computed_at: datetime
    components: dict[str, Any]
    reasons: list[ReasonOut]
