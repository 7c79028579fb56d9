"""Account pages: sign-up, the freelancer's settings and account deletion (login, logout and passwords are
Django's own views drawn with our templates in templates/registration/, the reset pages rate-limited and
unlocking), and the answers to refused input: too many requests, a NUL byte."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.mail import EmailMultiAlternatives
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from clients import throttle
from clients.account import delete_account
from clients.forms import AccountDeleteForm, LocalizedPasswordResetForm, ProfileForm, SignupForm


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


def _account_key(group: str, request: HttpRequest) -> str:
    return throttle.normalise_username(request.POST.get("username"))


@require_POST
@rate_limit("RATE_LIMIT_PASSWORD_RESET")
# Per account too, whatever the addresses: no one fills the owner's inbox with unlock links.
@ratelimit(group="login-unlock-account", key=_account_key, rate="5/h", block=True)
def login_unlock_request(request: HttpRequest) -> HttpResponse:
    """Email the account named on the lockout page a one-time unlock link; say the same whether it exists."""
    username = throttle.normalise_username(request.POST.get("username"))
    user = (
        get_user_model().objects.filter(username__iexact=username, is_active=True).exclude(email="").first()
    )
    if user is not None:
        send_unlock_link(request, user)
    messages.info(request, _("If this account exists, an unlock link is on its way to its email address."))
    return redirect("login")


def send_unlock_link(request: HttpRequest, user: Any) -> None:
    link = request.build_absolute_uri(reverse("login_unlock", kwargs={"token": throttle.unlock_token(user)}))
    language = getattr(getattr(user, "profile", None), "language", None) or translation.get_language()
    with translation.override(language):
        context = {"user": user, "link": link}
        subject = render_to_string("emails/login-unlock-subject.txt", context).strip()
        email = EmailMultiAlternatives(
            subject, render_to_string("emails/login-unlock-body.txt", context), to=[user.email]
        )
        email.attach_alternative(render_to_string("emails/login-unlock-body.html", context), "text/html")
        email.send()


@require_http_methods(["GET", "POST"])
@rate_limit("RATE_LIMIT_TOKEN_PAGES")
def login_unlock(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed unlock link: a button (so a mail scanner opening the link uses nothing), then this browser
    is a known device of the account, once."""
    user = throttle.user_of_unlock_token(token)
    if request.method == "POST" and user is not None and throttle.use_unlock_token(token):
        messages.success(request, _("Your account is unlocked on this browser: log in."))
        return throttle.unlock(request, user, redirect("login"))
    valid = user is not None and request.method == "GET"
    return render(request, "registration/unlock.html", {"valid": valid}, status=200 if valid else 400)


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
    return render(request, "registration/profile.html", {"form": form, "version": installed_version()})


def installed_version() -> str:
    """Return Confiance's version as installed (pyproject.toml's), for Settings and bug reports."""
    try:
        return metadata.version("confiance")
    except metadata.PackageNotFoundError:
        return "unknown"


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
