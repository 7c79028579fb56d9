"""Reminder pages: the prepared status update, the private calendar feed and its revocation, and the email
preferences reached from a signed link."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.models import Client, Profile
from crm.core.ownership import owned_or_404
from crm.core.ratelimit import rate_limit
from crm.models import Dispatch, Mailbox, PaymentReminder
from crm.payments.claims import load_rates
from crm.reminders import payment_follow_up, tasks
from crm.reminders.calendar import calendar_for, feed_token, profile_for_feed
from crm.reminders.emails import absolute, read_preferences_token
from crm.reminders.forms import EmailPreferencesForm, StatusUpdateForm
from crm.reminders.status_updates import mailto_link, status_update_draft


@rate_limit("RATE_LIMIT_TOKEN_PAGES")
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Return the freelancer's iCalendar feed; the secret link is the only credential (crm/core/links.py)."""
    profile = profile_for_feed(token)
    if profile is None:
        raise Http404("Unknown link.")
    response = HttpResponse(
        calendar_for(profile.user, timezone.now()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="confiance.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


@login_required
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """Show the private feed address, with the button that replaces it."""
    token = feed_token(request.user.profile)
    feed_url = absolute(reverse("web:calendar_feed", kwargs={"token": token})) if token else ""
    return render(request, "crm/calendar_settings.html", {"feed_url": feed_url})


@login_required
@require_http_methods(["GET", "POST"])
def rotate_calendar_token(request: HttpRequest) -> HttpResponse:
    """Ask first (this cannot be undone), then revoke the feed address (anyone holding it gets a 404) and issue
    a new one."""
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        request.user.profile.revoke_calendar_token()
        messages.success(request, _("Your calendar address was replaced. Subscribe again with the new one."))
        return redirect("web:calendar_settings")
    return render(request, "crm/calendar_settings.html", {"confirming": True})


# No CSRF token: the signed link is the credential, and mail clients' one-click unsubscribe (RFC 8058)
# POSTs to it from outside the site.
@csrf_exempt
@rate_limit("RATE_LIMIT_TOKEN_PAGES")
@require_http_methods(["GET", "POST"])
def email_preferences(request: HttpRequest, token: str) -> HttpResponse:
    """Let the freelancer turn digests and nudges on or off, without logging in, from an emailed link.

    The link expires (EMAIL_LINK_MAX_AGE) and is revoked by its "turn off every link" button; either way the
    page says so (410) and points to the settings page."""
    try:
        user_id, kind, version = read_preferences_token(token)
    except signing.SignatureExpired:
        return render(request, "crm/email_link_expired.html", status=410)
    except signing.BadSignature as exc:
        raise Http404("Unknown link.") from exc
    profile = get_object_or_404(Profile, user_id=user_id)
    with translation.override(profile.language):
        if version != profile.email_links_version:
            return render(request, "crm/email_link_expired.html", status=410)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            field = "nudges_enabled" if kind == Dispatch.Kind.NUDGE else "digest_enabled"
            setattr(profile, field, False)
            profile.save(update_fields=[field])
            return HttpResponse(_("You are unsubscribed."), content_type="text/plain; charset=utf-8")
        if request.POST.get("revoke") == "all":
            profile.revoke_email_links()
            return render(request, "crm/email_link_expired.html", {"revoked": True}, status=200)
        form = EmailPreferencesForm(request.POST or None, instance=profile)
        saved = request.method == "POST" and form.is_valid()
        if saved:
            form.save()
        return render(
            request,
            "crm/email_preferences.html",
            {"form": form, "saved": saved, "profile": profile, "link_days": settings.EMAIL_LINK_MAX_AGE.days},
        )


TEMPLATE = "crm/status_update.html"


def _workspace_url(client: Client) -> str:
    try:
        return reverse("web:client", kwargs={"client_id": client.pk})
    except NoReverseMatch:  # the workspace page is another module's; fall back to the dashboard
        return reverse("web:dashboard")


@login_required
@require_GET
def prepare_status_update(request: HttpRequest, client_id: int) -> HttpResponse:
    """Show the prepared draft, editable, with a mailto: link and a "mark as sent" button."""
    client = owned_or_404(Client, request.user, pk=client_id)
    subject, body = status_update_draft(client, timezone.now())
    form = StatusUpdateForm(initial={"subject": subject, "body": body})
    context = {
        "client": client,
        "form": form,
        "mailto": mailto_link(client.email, subject, body),
        "workspace_url": _workspace_url(client),
        # Sent from the app through the freelancer's own SMTP server (crm/capture/sending.py), when connected.
        "can_send": bool(client.email)
        and Mailbox.objects.filter(owner=request.user).exclude(smtp_host="").exists(),
    }
    template = TEMPLATE + "#draft" if getattr(request, "htmx", False) else TEMPLATE
    return render(request, template, context)


@login_required
@require_POST
def mark_status_update_sent(request: HttpRequest, client_id: int) -> HttpResponse:
    """The old address of "Mark as sent": the one status-update action answers it (crm:status_update_sent).

    307 keeps the method and the body, so a draft posted here (a page loaded before the change) is logged the
    same way, with its undo.
    """
    client = owned_or_404(Client, request.user, pk=client_id)
    return HttpResponseRedirect(
        reverse("web:status_update_mark_sent", kwargs={"client_id": client.pk}), status=307
    )


@login_required
@require_GET
def payment_reminders(request: HttpRequest) -> HttpResponse:
    """Show each payment reminder waiting for approval as the client will read it, and the latest decided."""
    now = timezone.now()
    mine = PaymentReminder.objects.for_owner(request.user).select_related("invoice__client", "owner__profile")
    rates = load_rates()
    waiting = [
        (reminder, payment_follow_up.render_preview(reminder, now, rates))
        for reminder in mine.awaiting_approval().order_by("due_on", "pk")
    ]
    decided = mine.exclude(state=PaymentReminder.State.PROPOSED).order_by("-created_at", "-pk")[:20]
    return render(request, "crm/payment_reminders.html", {"waiting": waiting, "decided": decided})


@login_required
@require_POST
def approve_payment_reminder(request: HttpRequest, reminder_id: int) -> HttpResponse:
    """Send the reminder now (through the outbox, once), or say why it was not."""
    reminder = owned_or_404(PaymentReminder, request.user, pk=reminder_id)
    dispatch = payment_follow_up.approve(reminder, timezone.now())
    if dispatch is not None:
        tasks.enqueue([dispatch.pk])
        messages.success(
            request, _("The reminder is on its way to %(client)s.") % {"client": reminder.invoice.client.name}
        )
    else:
        reminder.refresh_from_db()
        messages.info(
            request,
            _("Not sent: %(why)s.")
            % {"why": reminder.get_stop_reason_display() or reminder.get_state_display()},
        )
    return redirect("web:payment_reminders")


@login_required
@require_POST
def skip_payment_reminder(request: HttpRequest, reminder_id: int) -> HttpResponse:
    """Leave the reminder unsent; the next step comes in its time."""
    reminder = owned_or_404(PaymentReminder, request.user, pk=reminder_id)
    if payment_follow_up.skip(reminder, timezone.now()):
        messages.success(request, _("The reminder was not sent. The next one will be prepared in its time."))
    return redirect("web:payment_reminders")
