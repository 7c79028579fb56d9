"""The private calendar feed, its revocation, and the email preferences reached from a signed link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from clients.models import Profile
from crm.calendar import calendar_for
from crm.emails import absolute, read_preferences_token
from crm.forms_reminders import EmailPreferencesForm
from crm.models import Dispatch


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Return the freelancer's iCalendar feed; the secret token is the only credential."""
    profile = get_object_or_404(Profile.objects.select_related("user"), calendar_token=token)
    response = HttpResponse(
        calendar_for(profile.user, timezone.now()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="confiance.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


@login_required
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """Show the private feed address, with the button that replaces it."""
    profile = request.user.profile
    feed_url = absolute(reverse("reminders:calendar_feed", kwargs={"token": profile.calendar_token}))
    return render(request, "crm/calendar_settings.html", {"feed_url": feed_url})


@login_required
@require_POST
def rotate_calendar_token(request: HttpRequest) -> HttpResponse:
    """Revoke the feed address (anyone holding it gets a 404) and issue a new one."""
    request.user.profile.revoke_calendar_token()
    messages.success(request, _("Your calendar address was replaced. Subscribe again with the new one."))
    return redirect("reminders:calendar_settings")


# No CSRF token: the signed link is the credential, and mail clients' one-click unsubscribe (RFC 8058)
# POSTs to it from outside the site.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def email_preferences(request: HttpRequest, token: str) -> HttpResponse:
    """Let the freelancer turn digests and nudges on or off, without logging in, from an emailed link."""
    try:
        user_id, kind = read_preferences_token(token)
    except signing.BadSignature as exc:
        raise Http404("Unknown link.") from exc
    profile = get_object_or_404(Profile, user_id=user_id)
    with translation.override(profile.language):
        if request.POST.get("List-Unsubscribe") == "One-Click":
            field = "nudges_enabled" if kind == Dispatch.Kind.NUDGE else "digest_enabled"
            setattr(profile, field, False)
            profile.save(update_fields=[field])
            return HttpResponse(_("You are unsubscribed."), content_type="text/plain; charset=utf-8")
        form = EmailPreferencesForm(request.POST or None, instance=profile)
        saved = request.method == "POST" and form.is_valid()
        if saved:
            form.save()
        return render(
            request, "crm/email_preferences.html", {"form": form, "saved": saved, "profile": profile}
        )
