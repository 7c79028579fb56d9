"""Settings: the freelancer's language, time zone, digest, nudges and reminder days.

Here and not with the other account pages (clients/views.py) because a change of the time zone or the reminder
days moves the book's sweep columns (crm/payments/due.py), which the clients app may not import: the page calls
`due.profile_changed` itself, in the save's transaction, where a reader sees it.
"""

from __future__ import annotations

from importlib import metadata

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from clients.forms import ProfileForm
from crm.payments import due


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Show and save the freelancer's settings; the book's schedule follows a new time zone or reminder days."""
    form = ProfileForm(request.POST or None, instance=request.user.profile)
    if request.method == "POST" and form.is_valid():
        # The request's own transaction (clients/middleware.py), stated here: the settings and the book's
        # columns are stored together or not at all.
        with transaction.atomic(savepoint=False):
            profile = form.save()
            due.profile_changed(profile, form.initial)
        # Said in the language just chosen: the next page speaks it too.
        with translation.override(profile.language):
            messages.success(request, _("Your settings are saved."))
        return redirect("profile")
    return render(request, "registration/profile.html", {"form": form, "version": installed_version()})


def installed_version() -> str:
    """Return Confiance's version as installed (pyproject.toml's), for Settings and bug reports."""
    try:
        return metadata.version("confiance")
    except metadata.PackageNotFoundError:
        return "unknown"
