"""The lists: clients (sortable), promises, invoices and conflict signals, each filtered and paginated."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import F, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from conflicts.models import ConflictSignal
from crm.models import Invoice, Promise
from crm.models.health import Band
from crm.web.views import board
from crm.web.views.common import HtmxHttpRequest, paginate, partial_for

CLIENT_SORTS = {
    "score": (_("Trust health"), board.WORST_FIRST),
    "name": (_("Name"), ["name", "pk"]),
    "last_contact": (_("Last contact"), [F("last_contact_at").desc(nulls_last=True), "name"]),
}


@login_required
def client_list(request: HtmxHttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "").strip()[:100] for key in ("band", "status", "q")}
    sort = request.GET.get("sort") if request.GET.get("sort") in CLIENT_SORTS else "score"
    clients = board.ranked_clients(request.user, **filters).order_by(*CLIENT_SORTS[sort][1])
    context = {
        "page": board.cached_rows(
            request.user,
            paginate(request, clients, count=board.count_clients(request.user, **filters)),
            {**filters, "sort": sort},
        ),
        "filters": filters,
        "sort": sort,
        "sorts": [(key, label) for key, (label, _order) in CLIENT_SORTS.items()],
        "bands": Band.choices,
        "statuses": Client.Status.choices,
    }
    return render(request, partial_for(request, "crm/clients.html", {"results"}), context)


def _journal_list(
    request: HtmxHttpRequest, source: str, title: Any, shows: dict[str, tuple[Any, QuerySet[Any]]]
) -> HttpResponse:
    """Render one journal list: the chosen tab (`show`), searched by client, paginated."""
    show = request.GET.get("show") if request.GET.get("show") in shows else next(iter(shows))
    q = request.GET.get("q", "").strip()[:100]
    items = shows[show][1].select_related("client")
    if q:
        items = items.filter(Q(client__name__icontains=q) | Q(client__company__icontains=q))
    context = {
        "page": paginate(request, items),
        "source": source,
        "title": title,
        "show": show,
        "shows": [(key, label) for key, (label, _items) in shows.items()],
        "q": q,
        "today": timezone.localdate(),
        "show_client": True,
    }
    return render(request, partial_for(request, "crm/journal_list.html", {"results"}), context)


@login_required
def promise_list(request: HtmxHttpRequest) -> HttpResponse:
    today, promises = timezone.localdate(), Promise.objects.for_owner(request.user)
    shows = {
        "due": (_("Due"), promises.open().filter(due_on__gte=today).order_by("due_on", "pk")),
        "overdue": (_("Overdue"), promises.overdue(today).order_by("due_on", "pk")),
        "kept": (_("Kept"), promises.filter(state=Promise.State.KEPT).order_by("-kept_on", "-pk")),
        "broken": (_("Broken"), promises.filter(state=Promise.State.BROKEN).order_by("-broken_on", "-pk")),
    }
    return _journal_list(request, "promise", _("Promises"), shows)


@login_required
def invoice_list(request: HtmxHttpRequest) -> HttpResponse:
    today, invoices = timezone.localdate(), Invoice.objects.for_owner(request.user)
    due = "current_due_on"
    shows = {
        "unpaid": (_("Unpaid"), invoices.unpaid().order_by(due, "pk")),
        "overdue": (_("Overdue"), invoices.overdue(today).order_by(due, "pk")),
        "paid": (_("Paid"), invoices.paid().order_by("-paid_on", "-pk")),
    }
    return _journal_list(request, "invoice", _("Invoices"), shows)


@login_required
def conflict_list(request: HtmxHttpRequest) -> HttpResponse:
    signals = ConflictSignal.objects.for_owner(request.user)
    shows = {
        "open": (_("Open"), signals.open().order_by("-severity", "observed_on", "pk")),
        "resolved": (_("Resolved"), signals.resolved().order_by("-resolved_on", "-pk")),
    }
    return _journal_list(request, "conflict", _("Conflict signals"), shows)
