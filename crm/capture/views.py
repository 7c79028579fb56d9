"""Mail capture's pages: the mailbox settings with their status line and "test the connection", syncing now,
disconnecting and a one-off import. Every query is the owner's own. (A status update sent from the app is the one
status-update action, crm/web/views/actions.py, through crm/capture/sending.py.)"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.capture import importing
from crm.capture.connection import MailboxError, check_imap, check_smtp
from crm.capture.forms import DisconnectForm, ImportForm, MailboxForm
from crm.capture.secrets import InvalidToken
from crm.capture.tasks import sync_mailbox
from crm.core.ownership import owned_or_404
from crm.models import CapturedMessage, Interaction, Mailbox
from crm.trust.door import journal_changed

TEMPLATE = "crm/mailbox.html"


def _mailbox_of(request: HttpRequest) -> Mailbox | None:
    return Mailbox.objects.filter(owner=request.user).first()


def _page(
    request: HttpRequest, box: Mailbox | None, form: MailboxForm, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "mailbox": box,
        "form": form,
        "import_form": extra.pop("import_form", None) or ImportForm(),
        "disconnect_form": DisconnectForm(),
        **extra,
    }
    template = (
        TEMPLATE + "#status"
        if getattr(request, "htmx", False) and request.GET.get("part") == "status"
        else TEMPLATE
    )
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def mailbox(request: HttpRequest) -> HttpResponse:
    """Show the mailbox settings and the sync's status line; save new settings (then sync at once)."""
    box = _mailbox_of(request)
    form = MailboxForm(request.POST or None, instance=box or Mailbox(owner=request.user))
    if request.method == "POST":
        if not form.is_valid():
            return _page(request, box, form, status=400)
        saved = form.save()
        sync_mailbox.delay_on_commit(saved.pk)
        messages.success(request, _("Mailbox saved. The first sync starts now."))
        return redirect("web:mailbox")
    return _page(request, box, form)


# It writes nothing and waits on the network: no request-long transaction (see AtomicWritesMiddleware).
@transaction.non_atomic_requests
@login_required
@require_POST
def mailbox_test(request: HttpRequest) -> HttpResponse:
    """Log in to the servers as typed (nothing is saved) and say what works and what does not."""
    box = _mailbox_of(request)
    form = MailboxForm(request.POST, instance=box or Mailbox(owner=request.user))
    if not form.is_valid():
        return _page(request, box, form, status=400)
    try:
        imap, smtp = form.endpoints()
    except InvalidToken:
        form.add_error("password", _("The saved password can no longer be read: enter it again."))
        return _page(request, box, form, status=400)
    results = [(_("Reading mail (IMAP)"), _attempt(check_imap, imap))]
    if smtp is not None:
        results.append((_("Sending mail (SMTP)"), _attempt(check_smtp, smtp)))
    return _page(request, box, form, test_results=results)


def _attempt(check: Any, endpoint: Any) -> str:
    """Return "" when `check` succeeds, else the error in words."""
    try:
        check(endpoint)
    except MailboxError as exc:
        return str(exc)
    return ""


@login_required
@require_POST
def mailbox_sync(request: HttpRequest) -> HttpResponse:
    """Sync now (the lock makes a second click, or a sync already running, harmless)."""
    box = owned_or_404(Mailbox, request.user)
    Mailbox.objects.filter(pk=box.pk).update(state=Mailbox.State.IDLE, next_attempt_at=None)
    sync_mailbox.delay_on_commit(box.pk)
    messages.success(request, _("Sync started."))
    return redirect("web:mailbox")


@login_required
@require_POST
def mailbox_disconnect(request: HttpRequest) -> HttpResponse:
    """Delete the mailbox and its passwords; with "forget", every email logged from it too."""
    box = owned_or_404(Mailbox, request.user)
    form = DisconnectForm(request.POST)
    if not form.is_valid():
        return _page(request, box, MailboxForm(instance=box), status=400)
    with transaction.atomic():
        if form.cleaned_data["forget"]:
            forgotten = CapturedMessage.objects.filter(owner=request.user)
            interaction_ids = list(
                forgotten.exclude(interaction=None).values_list("interaction_id", flat=True)
            )
            client_ids = set(forgotten.values_list("client_id", flat=True))
            forgotten.delete()
            Interaction.objects.filter(pk__in=interaction_ids, client__owner=request.user).delete()
            journal_changed(client_ids)
        box.delete()
    messages.success(request, _("Mailbox disconnected: its passwords are deleted."))
    return redirect("web:mailbox")


@login_required
@require_POST
def mailbox_import(request: HttpRequest) -> HttpResponse:
    """Import an .mbox or .eml file by the capture's rules, and say what was kept."""
    box = _mailbox_of(request)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(
            request,
            box,
            MailboxForm(instance=box or Mailbox(owner=request.user)),
            status=400,
            import_form=form,
        )
    upload = form.cleaned_data["file"]
    result = importing.import_file(request.user, upload, upload.name)
    messages.success(
        request,
        _("%(read)s messages read, %(kept)s from or to your clients, %(logged)s new in the journal.")
        % {"read": result.read, "kept": result.kept, "logged": result.logged},
    )
    return redirect("web:mailbox")
