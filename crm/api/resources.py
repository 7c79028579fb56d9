"""Create, read, update and delete each kind of the book, and read trust health.

Every record is fetched for the token's owner (another owner's id is a 404, as in the web app); every write goes
through the model's own validation (`full_clean`: field validators, the date window, `clean()`, the named
constraints) inside one transaction, so the API stores nothing a form would refuse. A write then goes through
the journal's door (`crm.trust.door`) as the web app's does, in the same transaction; a delete goes to the trash,
like the web app's, and can be restored from `/trash/` for 30 days.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from clients.models import Absence, Client, Contact, Project
from conflicts.models import ConflictSignal
from crm.api import schemas
from crm.api.pages import changed_since, page_of, refuse_unknown_parameters
from crm.api.problems import ERROR_STATUSES, Problem
from crm.core.dates import FUTURE_TOLERANCE
from crm.core.ownership import owned, owned_or_404
from crm.models import CheckIn, ClientHealth, Interaction, Invoice, Promise, ScopeChange
from crm.trash.snapshot import to_trash
from crm.trust.door import journal_changed, record_saved
from crm.trust.report import client_report

router = Router()

# The references a body may carry, each looked up among the owner's own records (another owner's: a 404).
REFERENCES: dict[str, tuple[str, type[Model]]] = {
    "client_id": ("client", Client),
    "project_id": ("project", Project),
    "answers_id": ("answers", Interaction),
    "contact_id": ("contact", Contact),
}
# Left out of a create, these take the model's default (today, now) rather than null.
DEFAULTED = {"made_on", "issued_on", "happened_at", "language"}


@dataclass(frozen=True)
class Kind:
    """One kind of record as the API serves it."""

    plural: str  # the URL segment, and the tag in the docs
    singular: str
    model: type[Model]
    kwarg: str  # the id in the URL, named as everywhere else (tests/test_ownership_walk.py)
    schema_in: type[Schema]
    schema_patch: type[Schema]
    schema_out: type[Schema]
    filters: type[schemas.ListFilters] = schemas.JournalFilters
    owner_field: str = ""  # set from the token on create when the model stores its owner itself
    save: Any = None  # how a record of this kind is saved: `_save` unless it has its own rule
    to_trash: bool = True  # deleted to the trash (restorable), or deleted for good
    new: Any = None  # owner -> a new unsaved record with the owner's defaults, else `model()`


KINDS = [
    Kind(
        "clients", "client", Client, "client_id",
        schemas.ClientIn, schemas.ClientPatch, schemas.ClientOut, schemas.ListFilters, owner_field="owner",
        new=Client.new_for,
    ),
    Kind(
        "contacts", "contact", Contact, "contact_id",
        schemas.ContactIn, schemas.ContactPatch, schemas.ContactOut, save=lambda i, b: _save_contact(i),
    ),
    Kind(
        "projects", "project", Project, "project_id",
        schemas.ProjectIn, schemas.ProjectPatch, schemas.ProjectOut,
    ),
    Kind(
        "absences", "absence", Absence, "absence_id",
        schemas.AbsenceIn, schemas.AbsencePatch, schemas.AbsenceOut, to_trash=False,
    ),
    Kind(
        "interactions", "interaction", Interaction, "interaction_id",
        schemas.InteractionIn, schemas.InteractionPatch, schemas.InteractionOut,
    ),
    Kind(
        "promises", "promise", Promise, "promise_id",
        schemas.PromiseIn, schemas.PromisePatch, schemas.PromiseOut,
    ),
    Kind(
        "invoices", "invoice", Invoice, "invoice_id",
        schemas.InvoiceIn, schemas.InvoicePatch, schemas.InvoiceOut, owner_field="owner",
    ),
    Kind(
        "scope-changes", "scope change", ScopeChange, "scope_change_id",
        schemas.ScopeChangeIn, schemas.ScopeChangePatch, schemas.ScopeChangeOut,
        save=lambda i, b: _save_scope_change(i), to_trash=False,
    ),
    # Last: ninja's own route names (`api:list_items`...) are the last kind's, kept as aliases (tests/test_naming.py).
    Kind(
        "conflict-signals", "conflict signal", ConflictSignal, "signal_id",
        schemas.SignalIn, schemas.SignalPatch, schemas.SignalOut,
    ),
]  # fmt: skip


def problems(*statuses: int) -> dict[Any, Any]:
    return {frozenset(statuses or ERROR_STATUSES): Problem}


def page_schema(out: type[Schema]) -> type[Schema]:
    name = out.__name__.removesuffix("Out") + "Page"
    fields = {"items": list[out], "next_cursor": str | None}  # type: ignore[valid-type]
    return type(name, (Schema,), {"__annotations__": fields, "__module__": __name__})


def _assign(instance: Model, owner: Any, data: dict[str, Any]) -> None:
    """Set the fields of `data` on `instance`, the references looked up among the owner's records.

    A null for a column that holds none is refused here: `full_clean` lets an empty value of a text field
    through (a form sends "" there, never null), and the database would refuse it."""
    nulls = {
        field: [str(instance._meta.get_field(field).error_messages["null"])]
        for field, value in data.items()
        if value is None and field not in REFERENCES and not instance._meta.get_field(field).null
    }
    if nulls:
        raise ValidationError(nulls)
    for field, value in data.items():
        if field in REFERENCES:
            name, model = REFERENCES[field]
            setattr(instance, name, None if value is None else owned_or_404(model, owner, pk=value))
        else:
            setattr(instance, field, value)


def _refuse_the_future(instance: Model, before: Any) -> None:
    """An interaction is something that happened: the form's rule (crm/web/forms.py), kept here too."""
    moment = getattr(instance, "happened_at", None)
    if isinstance(instance, Interaction) and moment != before and moment > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError(
            {"happened_at": _("An interaction cannot be in the future: log it once it has happened.")}
        )


def _save(instance: Model, before: Any = None) -> Model:
    with transaction.atomic():
        _refuse_the_future(instance, before)
        instance.full_clean()
        instance.save()
    return instance


def _changed(instance: Model, was_client_id: int | None, fields: list[str] | None) -> None:
    """Go through the journal's door for what was written (`fields` set; None for a create): a journal record
    changes its client's journal (and its former client's, when moved); a client or a project only when a
    field the score reads changed; a contact is not scored."""
    if isinstance(instance, Client | Project):
        record_saved(instance, fields, was_client_id=was_client_id)
    elif not isinstance(instance, Contact):
        journal_changed([was_client_id, instance.client_id])


def _signature(func: Callable[..., Any], **params: Any) -> Callable[..., Any]:
    """Give `func` (which takes `**kwargs`) the typed parameters django-ninja reads: the id's name changes
    with the kind, and the schemas are the kind's."""
    parameter = inspect.Parameter
    first = parameter("request", parameter.POSITIONAL_OR_KEYWORD, annotation=HttpRequest)
    rest = [parameter(name, parameter.KEYWORD_ONLY, annotation=kind) for name, kind in params.items()]
    func.__signature__ = inspect.Signature([first, *rest])  # type: ignore[attr-defined]
    return func


def _save_contact(contact: Contact) -> Contact:
    """Save a contact; one made primary goes through `make_primary`, so the client's previous primary contact
    becomes a plain one (instead of the "one primary per client" constraint refusing it)."""
    with transaction.atomic():
        wanted = contact.is_primary
        was = contact.pk is not None and Contact.objects.filter(pk=contact.pk, is_primary=True).exists()
        contact.is_primary = was and wanted
        _save(contact)
        if wanted and not was:
            contact.make_primary()
        elif was and not wanted:
            contact.client.copy_primary_contact(None)
    return contact


def _save_scope_change(change: ScopeChange) -> ScopeChange:
    """Save a scope change: a new one is agreed by the side that asks; the freelancer's decision is taken once
    (`ScopeChange.decide`, which applies a change both sides accepted); a decided change keeps its impact."""
    now = timezone.now()
    with transaction.atomic():
        if change.pk is None:
            change.freelancer_decision = change.client_decision = ScopeChange.Decision.PENDING
            change.ask(now)
            return _save(change)
        stored = ScopeChange.objects.select_for_update().get(pk=change.pk)
        decision, change.freelancer_decision = change.freelancer_decision, stored.freelancer_decision
        impact = ("asked_on", "price_change", "deadline_change_days")
        if stored.state != ScopeChange.Decision.PENDING and any(
            getattr(change, name) != getattr(stored, name) for name in impact
        ):
            raise ValidationError(
                _("A decided scope change keeps its date and impact: log a new change instead.")
            )
        _save(change)
        if decision != stored.freelancer_decision:
            change.decide(ScopeChange.Side.FREELANCER, decision == ScopeChange.Decision.ACCEPTED, now)
    return change


def _register(kind: Kind) -> None:
    path = f"/{kind.plural}"
    item = f"/{kind.plural}/{{int:{kind.kwarg}}}"
    tags = [kind.plural]
    name = kind.plural.replace("-", "_")
    since = partial(changed_since, model=kind.model)
    save = kind.save or _save

    def list_items(request: HttpRequest, **kwargs: Any) -> Any:
        filters = kwargs["filters"]
        refuse_unknown_parameters(request, kind.filters)
        items: QuerySet[Any] = owned(kind.model, request.auth.owner)
        if getattr(filters, "client_id", None) is not None:
            items = items.filter(client_id=filters.client_id)
        rows, cursor = page_of(items, filters, since)
        return {"items": rows, "next_cursor": cursor}

    def create_item(request: HttpRequest, **kwargs: Any) -> Any:
        owner = request.auth.owner
        data = kwargs["payload"].dict()
        instance = kind.new(owner) if kind.new else kind.model()
        if kind.owner_field:
            setattr(instance, kind.owner_field, owner)
        _assign(instance, owner, {k: v for k, v in data.items() if not (k in DEFAULTED and v is None)})
        saved = save(instance, None)
        _changed(saved, None, None)  # in the request's transaction (clients.middleware)
        return Status(201, saved)

    def get_item(request: HttpRequest, **kwargs: Any) -> Any:
        return owned_or_404(kind.model, request.auth.owner, pk=kwargs[kind.kwarg])

    def update_item(request: HttpRequest, **kwargs: Any) -> Any:
        owner = request.auth.owner
        instance = owned_or_404(kind.model, owner, pk=kwargs[kind.kwarg])
        before = getattr(instance, "happened_at", None)
        was_client_id = getattr(instance, "client_id", None)
        data = kwargs["payload"].dict(exclude_unset=True)
        _assign(instance, owner, data)
        saved = save(instance, before)
        _changed(saved, was_client_id, list(data))  # in the request's transaction (clients.middleware)
        return saved

    def delete_item(request: HttpRequest, **kwargs: Any) -> Any:
        owner = request.auth.owner
        instance = owned_or_404(kind.model, owner, pk=kwargs[kind.kwarg])
        with transaction.atomic():
            if kind.to_trash:
                to_trash(instance, owner)
            else:
                instance.delete()
                # Gone for good, not through the trash (which goes through the door itself): a past absence
                # no longer explains a silence.
                journal_changed([getattr(instance, "client_id", None)])
        return Status(204, None)

    ident = {kind.kwarg: schemas.Id}
    router.get(
        path,
        response={200: page_schema(kind.schema_out), **problems()},
        operation_id=f"list_{name}",
        tags=tags,
        summary=f"List your {kind.plural}",
    )(_signature(list_items, filters=Query[kind.filters]))  # type: ignore[name-defined]
    router.post(
        path,
        response={201: kind.schema_out, **problems()},
        operation_id=f"create_{name}",
        tags=tags,
        summary=f"Add a {kind.singular}",
    )(_signature(create_item, payload=kind.schema_in))
    router.get(
        item,
        response={200: kind.schema_out, **problems()},
        operation_id=f"get_{name}",
        tags=tags,
        summary=f"Read a {kind.singular}",
    )(_signature(get_item, **ident))
    router.patch(
        item,
        response={200: kind.schema_out, **problems()},
        operation_id=f"update_{name}",
        tags=tags,
        summary=f"Change a {kind.singular} (only the fields sent)",
    )(_signature(update_item, payload=kind.schema_patch, **ident))
    router.delete(
        item,
        response={204: None, **problems()},
        operation_id=f"delete_{name}",
        tags=tags,
        summary=f"Delete a {kind.singular}"
        + (" (to the trash, restorable for 30 days)" if kind.to_trash else ""),
    )(_signature(delete_item, **ident))


for _kind in KINDS:
    _register(_kind)


# -- the client's check-ins (issue 26): read only, the client's own word given on their page ---------------------


def _check_ins_since(items: QuerySet[CheckIn], since: datetime) -> QuerySet[CheckIn]:
    # No history table: a check-in changes once at most, when the client withdraws it.
    return items.filter(Q(answered_at__gte=since) | Q(withdrawn_at__gte=since))


@router.get(
    "/check-ins",
    response={200: page_schema(schemas.CheckInOut), **problems()},
    operation_id="list_check_ins",
    tags=["check-ins"],
    summary="Your clients' check-ins, given on their pages (withdrawn ones included)",
)
def list_check_ins(request: HttpRequest, filters: Query[schemas.JournalFilters]) -> Any:
    refuse_unknown_parameters(request, schemas.JournalFilters)
    items = CheckIn.objects.for_owner(request.auth.owner)
    if filters.client_id is not None:
        items = items.filter(client_id=filters.client_id)
    rows, cursor = page_of(items, filters, _check_ins_since)
    return {"items": rows, "next_cursor": cursor}


@router.get(
    "/check-ins/{int:check_in_id}",
    response={200: schemas.CheckInOut, **problems()},
    operation_id="get_check_in",
    tags=["check-ins"],
    summary="Read a check-in",
)
def get_check_in(request: HttpRequest, check_in_id: schemas.Id) -> Any:
    return owned_or_404(CheckIn, request.auth.owner, pk=check_in_id)


def _healths(owner: Any) -> QuerySet[ClientHealth]:
    return ClientHealth.objects.filter(owner=owner).select_related("client")


def _computed_since(items: QuerySet[ClientHealth], since: datetime) -> QuerySet[ClientHealth]:
    return items.filter(computed_at__gte=since)


@router.get(
    "/health",
    response={200: page_schema(schemas.HealthOut), **problems()},
    operation_id="list_health",
    tags=["trust health"],
    summary="Every client's trust health, with its reasons and both sides",
)
def list_health(request: HttpRequest, filters: Query[schemas.ListFilters]) -> Any:
    """Trust health is computed, not edited: `updated_since` keeps those computed since then."""
    refuse_unknown_parameters(request, schemas.ListFilters)
    owner = request.auth.owner
    rows, cursor = page_of(_healths(owner), filters, _computed_since)
    today = owner.profile.local_today()
    return {"items": [client_report(health, today) for health in rows], "next_cursor": cursor}


@router.get(
    "/clients/{int:client_id}/health",
    response={200: schemas.HealthOut, **problems()},
    operation_id="get_client_health",
    tags=["trust health"],
    summary="A client's trust health, with its reasons and both sides",
)
def client_health(request: HttpRequest, client_id: schemas.Id) -> Any:
    owner = request.auth.owner
    health = get_object_or_404(_healths(owner), client_id=client_id)
    return client_report(health, owner.profile.local_today())
