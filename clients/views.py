"""Account pages: sign-up, the freelancer's settings and account deletion (login, logout and passwords are
Django's own views drawn with our templates in templates/registration/, the reset pages rate-limited and
unlocking), and the answers to refused input: too many requests, a NUL byte."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from clients import throttle
from clients.account import delete_account
from clients.forms import (
    AccountDeleteForm,
    BusinessForm,
    BusinessStartForm,
    LocalizedPasswordResetForm,
    ProfileForm,
    SignupForm,
)
from clients.models import BusinessLogo


def _client_key(group: str, request: HttpRequest) -> str:
    return throttle.client_ip(request)


def rate_limit(setting: str, method: str | list[str] = ratelimit.ALL) -> Any:
    """Limit a view to the rate the named setting holds ("10/h"), per client address (block with a 429).

    Views limited by the same setting share one budget: guessing tokens on two pages counts once."""
    return ratelimit(
        group=setting,
        key=_client_key,
        rate=lambda group, request: getattr(settings, setting),
        method=method,
        block=True,
    )


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Answer a request over its rate limit (RATELIMIT_VIEW): 429, and when to try again."""
    return render(request, "errors/429.html", status=429)


@method_decorator(rate_limit("RATE_LIMIT_PASSWORD_RESET", method="POST"), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset request, rate-limited per address (each one sends an email), the email in the
    account's own language."""

    form_class = LocalizedPasswordResetForm
    subject_template_name = "emails/password-reset-subject.txt"
    email_template_name = "emails/password-reset-body.txt"
    html_email_template_name = "emails/password-reset-body.html"


@method_decorator(rate_limit("RATE_LIMIT_TOKEN_PAGES"), name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's new-password page; a reset unlocks the account, as the lockout page promises."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        throttle.clear_after_password_reset(self.request, form.user.get_username())
        return response


@rate_limit("RATE_LIMIT_SIGNUP", method="POST")
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_ENABLED:
        raise Http404("Sign-up is closed.")
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # The account speaks the language the sign-up page was read in (the browser's, by LocaleMiddleware).
        user.profile.language = translation.get_language_from_request(request)
        user.profile.save(update_fields=["language"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Start your book below: a first client, a file, or a sample."))
        return redirect("crm:dashboard")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user.profile)
    if request.method == "POST" and form.is_valid():
        profile = form.save()
        # Said in the language just chosen: the next page speaks it too.
        with translation.override(profile.language):
            messages.success(request, _("Your settings are saved."))
        return redirect("profile")
    return render(request, "registration/profile.html", {"form": form})


@login_required
def business(request: HttpRequest) -> HttpResponse:
    """Show and save the business identity: who the freelancer is to a client, and what is still missing."""
    profile = request.user.profile
    form = BusinessForm(request.POST or None, request.FILES or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your business identity is saved."))
        return redirect("business")
    has_logo = BusinessLogo.objects.filter(owner=request.user).exists()
    context = {"form": form, "missing": profile.identity_missing(), "has_logo": has_logo}
    return render(request, "registration/business.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def business_start(request: HttpRequest) -> HttpResponse:
    """Save the first run's answer (display name and trade name) and go back to the dashboard."""
    form = BusinessStartForm(request.POST, instance=request.user.profile)
    if form.is_valid():
        form.save()
        messages.success(request, _("Thank you: your clients will see this name."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("crm:dashboard")


def logo_response(logo: BusinessLogo) -> HttpResponse:
    """Return the logo's bytes as the image they were checked to be, never sniffed as anything else."""
    response = HttpResponse(bytes(logo.image), content_type=logo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def business_logo(request: HttpRequest) -> HttpResponse:
    """Return the freelancer's own logo (the Settings page's preview)."""
    return logo_response(get_object_or_404(BusinessLogo, owner=request.user))


@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        delete_account(user)
        logout(request)
        messages.success(request, _("Your account and everything in it are deleted."))
        return redirect("login")
    return render(request, "registration/account_delete.html", {"form": form})
