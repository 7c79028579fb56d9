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
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _

from clients import throttle
from clients.account import delete_account
from clients.forms import AccountDeleteForm, LocalizedPasswordResetForm, ProfileForm, SignupForm
from crm.core.ratelimit import rate_limit


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
def account_delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        delete_account(user)
        logout(request)
        messages.success(request, _("Your account and everything in it are deleted."))
        return redirect("login")
    return render(request, "registration/account_delete.html", {"form": form})
