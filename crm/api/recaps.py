"""Recaps through the API (crm/recaps): list and read them with their lines and the client's answers, and write
one from a call or a meeting, by the same rule as the web form (`crm.recaps.writing.write`: its promises, the
journal's door once, the email to the client through the outbox). A recap is answered by the client on their
page only; its promises are changed through `/promises/`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from crm.api.pages import changed_since, page_of, refuse_unknown_parameters
from crm.api.problems import ERROR_STATUSES, Problem
from crm.api.schemas import Body, Day, Id, JournalFilters, Promisor, Text
from crm.core.ownership import owned, owned_or_404
from crm.models import Interaction, Recap
from crm.recaps import writing

router = Router()
TAGS = ["recaps"]


class RecapLineIn(Body):
    promisor: Promisor = "freelancer"
    description: Text
    due_on: Day


class RecapIn(Body):
    interaction_id: Id = Field(description="The call or meeting the recap follows.")
    decided: Text = ""
    open_questions: Text = ""
    lines: list[RecapLineIn] = Field(default_factory=list, max_length=writing.MOST_LINES)


class RecapLineOut(Schema):
    id: int
    promise_id: int
    position: int
    promisor: str
    description: str
    due_on: date
    answer: str = Field(description='"" (awaiting), "confirmed" or "corrected", as the client answered.')
    answered_at: datetime | None
    correction: str


class RecapOut(Schema):
    id: int
    client_id: int
    interaction_id: int
    decided: str
    open_questions: str
    written_at: datetime
    sent_at: datetime | None
    confirmed_at: datetime | None
    answered_at: datetime | None
    lines: list[RecapLineOut]


class RecapPage(Schema):
    items: list[RecapOut]
    next_cursor: str | None


def _out(recaps: list[Recap]) -> list[dict[str, Any]]:
    """Return the recaps with their lines as the API shows them (one query for every line)."""
    lines = writing.lines_of(recaps) if recaps else {}
    return [
        {
            **{name: getattr(recap, name) for name in RecapOut.model_fields if name != "lines"},
            "lines": [
                {
                    "id": line.pk,
                    "promise_id": line.promise_id,
                    "position": line.position,
                    "promisor": line.promise.promisor,
                    "description": line.promise.description,
                    "due_on": line.promise.due_on,
                    "answer": line.answer,
                    "answered_at": line.answered_at,
                    "correction": line.correction,
                }
                for line in lines[recap.pk]
            ],
        }
        for recap in recaps
    ]


def _problems() -> dict[Any, Any]:
    return {frozenset(ERROR_STATUSES): Problem}


@router.get(
    "/recaps", response={200: RecapPage, **_problems()}, operation_id="list_recaps", tags=TAGS,
    summary="List your recaps, with their lines and the client's answers",
)  # fmt: skip
def list_recaps(request: HttpRequest, filters: Query[JournalFilters]) -> Any:
    refuse_unknown_parameters(request, JournalFilters)
    items = owned(Recap, request.auth.owner)
    if filters.client_id is not None:
        items = items.filter(client_id=filters.client_id)
    rows, cursor = page_of(items, filters, lambda found, since: changed_since(found, since, model=Recap))
    return {"items": _out(rows), "next_cursor": cursor}


@router.post(
    "/recaps", response={201: RecapOut, **_problems()}, operation_id="create_recaps", tags=TAGS,
    summary="Write the recap of a call or a meeting: each line becomes a promise, and the client is sent it",
)  # fmt: skip
def create_recap(request: HttpRequest, payload: RecapIn) -> Any:
    owner = request.auth.owner
    interaction = owned_or_404(
        Interaction.objects.select_related("client__owner__profile"), owner, pk=payload.interaction_id
    )
    lines = [writing.Line(line.promisor, line.description, line.due_on) for line in payload.lines]
    recap = writing.write(interaction, payload.decided, payload.open_questions, lines)
    return Status(201, _out([recap])[0])


@router.get(
    "/recaps/{int:recap_id}", response={200: RecapOut, **_problems()}, operation_id="get_recaps", tags=TAGS,
    summary="Read a recap, with its lines and the client's answers",
)  # fmt: skip
def get_recap(request: HttpRequest, recap_id: Id) -> Any:
    return _out([owned_or_404(Recap, request.auth.owner, pk=recap_id)])[0]
