"""The pages a freelancer reads: the dashboard, a client's workspace, one event, the client and project forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.forms import AbsenceForm, ClientForm, ContactForm, NewClientForm, ProjectForm
from clients.models import Absence, Client, Contact, Project
from crm.core import statements
from crm.core.ownership import owned_or_404
from crm.models.health import Band
from crm.payments.claims import follow_up_of
from crm.trust.door import journal_changed, record_saved
from crm.web import fragments
from crm.web.history import history_of
from crm.web.views import board
from crm.web.views.absences import ABSENCES
from crm.web.views.charts import trend_chart
from crm.web.views.common import (
    CLIENTS,
    CONTACTS,
    INTERACTIONS,
    INVOICES,
    PROJECTS,
    PROMISES,
    SIGNALS,
    HtmxHttpRequest,
    paginate,
    partial_for,
    workspace_url,
)
from crm.web.views.entries import entry_menu
from crm.web.views.timeline import timeline_page


def _board_filters(request: HtmxHttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "").strip()[:100] for key in ("band", "status", "q")}


def _board_context(request: HtmxHttpRequest, filters: dict[str, str], today: date, now: datetime) -> dict:
    week = board.cached_week(request.user, today, now)
    clients = board.RankedRows(request.user, filters)
    page = paginate(request, clients, count=board.count_clients(request.user, counts=week.counts, **filters))
    # The page's clients are read and drawn again only when the last change may have moved them.
    drawn = board.ranked_page(request.user, week, page, filters)
    return {
        "page": page,
        "table_key": board.table_key(request.user, drawn, page, filters, today, now),
        "week": week,
        # Each list of the week's work is drawn once per change that touches it (`{% cache %}` in the board).
        "section_keys": board.section_keys(request.user, week, today, now),
        "filters": filters,
        "today": today,
    }


@login_required
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    today, now = timezone.localdate(), timezone.now()
    filters = _board_filters(request)
    # The board is drawn once per version of the book (and address, day, hour): a freelancer coming back to
    # it pays for the page around it only.
    board_html = fragments.cached_region(
        request,
        board.board_key(request.user, request.get_full_path(), today, now),
        "crm/dashboard.html#board",
        lambda: _board_context(request, filters, today, now),
        timeout=3600,  # its key changes every hour anyway
    )
    if partial_for(request, "crm/dashboard.html", {"board"}).endswith("#board"):
        return HttpResponse(board_html)
    # One cheap query tells the first run (no client yet) and whether a sample book is there to remove: a sample
    # client first, else any client (None: none yet).
    sample_first = statements.rows(
        "dashboard:sample",
        lambda owner_id: Client.objects.for_owner(owner_id).order_by("-sample").values_list("sample")[:1],
        (request.user.pk,),
        Client,
    )
    sample = sample_first[0][0] if sample_first else None
    context = {
        "board_html": board_html,
        "first_run": sample is None,
        "has_sample": sample is True,
        "filters": filters,
        "bands": Band.choices,
        "statuses": Client.Status.choices,
        "today": today,
        # Reminders that could not be delivered (the freelancer must know a digest went missing), concerns the
        # client raised on their page (told at once, above everything else), recaps to clarify.
        **board.alerts(request.user, now),
    }
    return render(request, "crm/dashboard.html", context)


@login_required
def client_workspace(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    client = owned_or_404(CLIENTS, request.user, pk=client_id)
    today = timezone.localdate()
    page = request.GET.get("page") or "1"
    template = partial_for(request, "crm/client.html", {"score_panel", "timeline"})
    # The score panel and the timeline are drawn once per version of the book (and day): an htmx refresh of
    # one region draws that region only.
    regions = {
        "score_panel": lambda: {"client": client, "today": today, "chart": trend_chart(client, today)},
        "timeline": lambda: {"client": client, "today": today, "timeline": timeline_page(client, page)},
    }
    drawn = {
        name: fragments.cached_region(
            request,
            fragments.book_key("workspace", request.user, client.pk, name, page, today),
            f"crm/client.html#{name}",
            build,
        )
        for name, build in regions.items()
        if template in {"crm/client.html", f"crm/client.html#{name}"}
    }
    if "#" in template:
        return HttpResponse(drawn[template.partition("#")[2]])
    # The page's absences, the next due day and the projects' pauses read the client's absences once.
    client.set_absences(
        statements.objects(
            "workspace:absences",
            lambda client_id: Absence.objects.filter(client_id=client_id).for_spans(),
            (client.pk,),
            Absence,
        )
    )
    context = {
        "client": client,
        "today": today,
        "score_panel": drawn["score_panel"],
        "timeline_region": drawn["timeline"],
        "projects": _projects_with_pauses(client, today),
        "absences": _absences(client, today),
        "away": client.current_absence(today),
        # None while an open absence or pause holds the due day: nothing falls due until the client is back.
        "next_due": _next_due(client),
        "contacts": statements.objects(
            "workspace:contacts",
            lambda client_id: Contact.objects.filter(client_id=client_id),
            (client.pk,),
            Contact,
        ),
        "forms": entry_menu(client),
    }
    return render(request, template, context)


def _next_due(client: Client) -> date | None:
    due_on = client.status_update_due_on()
    return None if due_on == date.max else due_on


def _absences(client: Client, today: date) -> list[Absence]:
    """Return the client's own absences, latest first, each with `can_end`: it holds today and lasts beyond."""
    absences = sorted(
        (absence for absence in client.absences.all() if absence.project_id is None),
        key=lambda absence: (absence.start_on, absence.pk),
        reverse=True,
    )
    for absence in absences:
        absence.can_end = absence.holds(today) and absence.end_on != today
    return absences


def _projects_with_pauses(client: Client, today: date) -> list[Any]:
    """Return the client's projects, each with `pause`: the pause holding it today, or None (from the absences
    prefetched with the client: no query more)."""
    pauses = {a.project_id: a for a in client.absences.all() if a.project_id is not None and a.holds(today)}
    # With how many scope changes wait for a decision (issue 26), in the same query.
    # One side pending, the other pending or accepted (a declined change waits for nobody): on the joined row.
    open_ = ["pending", "accepted"]
    waiting = Q(scope_changes__client_decision="pending", scope_changes__freelancer_decision__in=open_) | Q(
        scope_changes__freelancer_decision="pending", scope_changes__client_decision__in=open_
    )
    projects = statements.objects(
        "workspace:projects",
        lambda client_id: Project.objects.filter(client_id=client_id).annotate(
            scope_pending=Count("scope_changes", filter=waiting)
        ),
        (client.pk,),
        Project,
    )
    for project in projects:
        project.pause = pauses.get(project.pk)
    return projects


def _event_page(
    request: HtmxHttpRequest, source: str, item: Any, page_only: Callable[[], dict[str, Any]] | None = None
) -> HttpResponse:
    """Render the event's page, or for htmx the item alone (an inline edit cancelled swaps it back).

    `page_only` returns what the full page adds (read only for it)."""
    context = {"source": source, "item": item, "client": item.client, "today": timezone.localdate()}
    if request.htmx:
        context["show_client"] = request.GET.get("show_client") == "1"
        return render(request, f"crm/items.html#{source}", context)
    context["history"] = history_of(item, request.user)
    if page_only is not None:
        context.update(page_only())
    return render(request, "crm/event.html", context)


@login_required
def interaction_detail(request: HtmxHttpRequest, interaction_id: int) -> HttpResponse:
    return _event_page(request, "interaction", owned_or_404(INTERACTIONS, request.user, pk=interaction_id))


@login_required
def promise_detail(request: HtmxHttpRequest, promise_id: int) -> HttpResponse:
    return _event_page(request, "promise", owned_or_404(PROMISES, request.user, pk=promise_id))


@login_required
def invoice_detail(request: HtmxHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = owned_or_404(INVOICES, request.user, pk=invoice_id)
    # The late-payment amounts (when claimed for this client) and the reminders sent or waiting.
    return _event_page(request, "invoice", invoice, lambda: follow_up_of(invoice, timezone.localdate()))


@login_required
def conflict_detail(request: HtmxHttpRequest, signal_id: int) -> HttpResponse:
    return _event_page(request, "conflict", owned_or_404(SIGNALS, request.user, pk=signal_id))


def _record_url(record: Any) -> str:
    """Return the workspace of a saved record's client (a client's own for a client)."""
    return workspace_url(getattr(record, "client_id", record.pk))


def _edit_page(
    request: HtmxHttpRequest,
    form: Any,
    title: str,
    saved: str,
    back: str,
    delete_url: str = "",
    changed: Callable[[Any, list[str] | None], None] | None = None,
) -> HttpResponse:
    """Save a valid posted form and go to what it saved; else show the form (with its errors, a link to delete
    what it edits and, for a record that exists, its history). `changed(record, fields changed or None when
    created)` runs after a save, in its transaction.

    A repeat of a post already saved (the same form token) saves nothing and goes where the first one went."""
    if request.method == "POST":
        if form.is_valid():
            created = form.instance._state.adding
            # An edit's address is known before it saves (its client as posted): claimed with its token at once.
            saved_object, url = form.save_once(
                request.user, _record_url if created else _record_url(form.instance)
            )
            if saved_object is not None and changed is not None:
                # In the request's transaction (clients.middleware), like the save.
                changed(saved_object, None if created else form.changed_data)
        else:
            saved_object, url = None, form.earlier_submission(request.user)
        if url is not None:
            if saved_object is None:
                messages.info(request, _("This form was already sent: nothing was saved twice."))
            else:
                messages.success(request, saved)
            return redirect(url)
    record = form.instance
    history = history_of(record, request.user) if record.pk else None
    context = {"form": form, "title": title, "back": back, "delete_url": delete_url, "history": history}
    return render(request, "crm/edit_form.html", context)


@login_required
def client_new(request: HtmxHttpRequest) -> HttpResponse:
    form = NewClientForm(request.POST or None, instance=Client.new_for(request.user))
    return _edit_page(
        request, form, _("New client"), _("Client added."), reverse("web:clients"), changed=record_saved
    )


def _suggested_absence(request: HtmxHttpRequest) -> dict[str, Any]:
    """Return the absence form's initial last day when the page is opened from an auto-reply's suggestion
    (`?end_on=YYYY-MM-DD`, crm/capture/automatic.py): the freelancer confirms it by saving."""
    if request.method != "GET":
        return {}
    try:
        return {"end_on": date.fromisoformat(request.GET.get("end_on", ""))}
    except ValueError:
        return {}


@login_required
def client_edit(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    # A POST locks the row as it reads it: the form compares its drawn values with this read (no second one).
    client = owned_or_404(Client, request.user, pk=client_id, for_update=request.method == "POST")
    form = ClientForm(request.POST or None, instance=client)
    return _edit_page(
        request,
        form,
        _("Edit %(client)s") % {"client": client},
        _("Client saved."),
        workspace_url(client.pk),
        reverse("web:client_delete", kwargs={"client_id": client.pk}),
        changed=record_saved,  # the door only when a field the score reads changed (not the name)
    )


@login_required
def project_new(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    client = owned_or_404(CLIENTS, request.user, pk=client_id)
    form = ProjectForm(request.POST or None, owner=request.user, initial={"client": client})
    return _edit_page(
        request,
        form,
        _("New project for %(client)s") % {"client": client},
        _("Project added."),
        workspace_url(client.pk),
        changed=record_saved,
    )


@login_required
def project_edit(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    project = owned_or_404(PROJECTS, request.user, pk=project_id, for_update=request.method == "POST")
    was_client = project.client_id  # a project moved to another client changes both scores
    form = ProjectForm(request.POST or None, instance=project, owner=request.user)
    return _edit_page(
        request,
        form,
        _("Edit %(project)s") % {"project": project},
        _("Project saved."),
        workspace_url(project.client_id),
        reverse("web:project_delete", kwargs={"project_id": project.pk}),
        changed=lambda project, fields: record_saved(project, fields, was_client_id=was_client),
    )


def _client_record_page(
    request: HtmxHttpRequest,
    form_class: type[Any],
    record: Any,
    title: str,
    saved: str,
    delete_url: str = "",
    initial: dict[str, Any] | None = None,
    changed: Callable[[Any, list[str] | None], None] | None = None,
) -> HttpResponse:
    """Add or edit `record`, one of a client's own records (an absence, a contact; a new one already carries its
    client): its form on a page of its own, then back to the client's workspace."""
    form = form_class(request.POST or None, instance=record, initial=initial)
    return _edit_page(request, form, title, saved, workspace_url(record.client_id), delete_url, changed)


def _absence_changed(absence: Absence, changed: list[str] | None) -> None:
    journal_changed([absence.client_id])


@login_required
def absence_new(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    client = owned_or_404(CLIENTS, request.user, pk=client_id)
    # Opened from an auto-reply's suggestion (`?end_on=YYYY-MM-DD`, crm/capture/automatic.py): its last day.
    initial = {"start_on": timezone.localdate(), **_suggested_absence(request)}
    title = _("New absence of %(client)s") % {"client": client}
    return _client_record_page(
        request,
        AbsenceForm,
        Absence(client=client),
        title,
        _("Absence added."),
        initial=initial,
        changed=_absence_changed,
    )


@login_required
def absence_edit(request: HtmxHttpRequest, absence_id: int) -> HttpResponse:
    absence = owned_or_404(ABSENCES, request.user, pk=absence_id)
    title = _("Edit the absence of %(client)s") % {"client": absence.client}
    return _client_record_page(
        request, AbsenceForm, absence, title, _("Absence saved."), changed=_absence_changed
    )


@login_required
def contact_new(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    client = owned_or_404(CLIENTS, request.user, pk=client_id)
    # The first contact of a client is its primary one unless unticked.
    initial = {"is_primary": not client.contacts.exists()}
    title = _("New contact at %(client)s") % {"client": client}
    return _client_record_page(
        request, ContactForm, Contact(client=client), title, _("Contact added."), initial=initial
    )


@login_required
def contact_edit(request: HtmxHttpRequest, contact_id: int) -> HttpResponse:
    contact = owned_or_404(CONTACTS, request.user, pk=contact_id)
    delete_url = reverse("web:contact_delete", kwargs={"contact_id": contact.pk})
    title = _("Edit %(contact)s") % {"contact": contact}
    return _client_record_page(request, ContactForm, contact, title, _("Contact saved."), delete_url)
