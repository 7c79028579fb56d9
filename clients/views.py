"""Account pages: sign-up, the business identity and account deletion (login, logout and passwords are
Django's own views drawn with our templates in templates/registration/, the reset pages rate-limited and
unlocking), the account's security (email verification, two-factor authentication, sessions and devices), and
the answers to refused input: too many requests, a NUL byte."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from clients import devices, throttle, twofactor, verification
from clients.account import delete_account
from clients.forms import (
    AccountDeleteForm,
    BusinessForm,
    BusinessStartForm,
    ConfirmPasswordForm,
    EmailChangeForm,
    LocalizedPasswordResetForm,
    SignupForm,
    TwoFactorCodeForm,
)
from clients.models import AccountSession, BusinessLogo
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
        # Nothing is emailed on its behalf until the address is proved (clients/verification.py).
        user.profile.email_verified = False
        user.profile.save(update_fields=["language", "email_verified"])
        # Sent once the account is stored, and outside the transaction: a slow mail server holds no lock.
        transaction.on_commit(lambda: verification.send(user, user.email))
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Start your book below: a first client, a file, or a sample."))
        messages.info(
            request,
            _("We sent a link to %(email)s: open it to confirm your address.") % {"email": user.email},
        )
        return redirect("web:dashboard")
    return render(request, "registration/signup.html", {"form": form})


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


# -- email verification -------------------------------------------------------------------------------------


@login_required
def email_change(request: HttpRequest) -> HttpResponse:
    """Ask for a new email address; it replaces the current one only once its link is opened."""
    form = EmailChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        request.user.profile.ask_email_change(email)
        user = request.user
        transaction.on_commit(lambda: verification.send(user, email))
        messages.success(
            request,
            _("We sent a link to %(new)s. Your email stays %(old)s until you open it.")
            % {"new": email, "old": user.email},
        )
        return redirect("profile")
    return render(request, "registration/email_change.html", {"form": form})


@login_required
@require_POST
@rate_limit("RATE_LIMIT_PASSWORD_RESET")
def email_resend(request: HttpRequest) -> HttpResponse:
    """Send the verification link again: to the address waiting, else to an unverified current one."""
    user, profile = request.user, request.user.profile
    email = profile.pending_email or ("" if profile.email_verified else user.email)
    if email:
        transaction.on_commit(lambda: verification.send(user, email))
        messages.success(request, _("We sent a new link to %(email)s.") % {"email": email})
    return redirect("profile")


@rate_limit("RATE_LIMIT_TOKEN_PAGES")
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """Show a button; its post verifies the address the link names (a mail scanner opening links verifies
    nothing)."""
    if request.method == "POST":
        user = verification.confirm(token)
        if user is None:
            return render(request, "registration/verify_email.html", {"invalid": True}, status=400)
        messages.success(request, _("Thank you: %(email)s is confirmed.") % {"email": user.email})
        return redirect("profile" if request.user.is_authenticated else "login")
    return render(request, "registration/verify_email.html", {"invalid": False})


# -- two-factor authentication ------------------------------------------------------------------------------


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """The account's second factor: on or off, the recovery codes left, and the ways to change it."""
    user = request.user
    context = {
        "enabled": twofactor.is_enabled(user),
        "required": twofactor.is_required(user),
        "codes_left": twofactor.recovery_codes_left(user),
        "disable_form": ConfirmPasswordForm(user),
    }
    return render(request, "registration/two_factor.html", context)


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Pair an authenticator app (its QR code or key), confirmed by one of its codes; then show the recovery
    codes. Staff without a second factor are held here after login."""
    device = twofactor.unfinished_setup(request.user)
    form = TwoFactorCodeForm(request.POST or None)
    # Moving it to another phone replaces the one that guards the account: the password says it is the owner.
    password = (
        ConfirmPasswordForm(request.user, request.POST or None)
        if twofactor.is_enabled(request.user)
        else None
    )
    if request.method == "POST" and form.is_valid() and (password is None or password.is_valid()):
        codes = twofactor.confirm_setup(device, form.cleaned_data["code"])
        if codes is not None:
            twofactor.passed(request)
            request.session[twofactor.NEW_CODES] = codes
            messages.success(request, _("Two-factor authentication is on."))
            return redirect("two_factor_codes")
        form.add_error(
            "code", _("This code does not match. Check the time on your phone and try the next one.")
        )
    context = {
        "form": form,
        "password_form": password,
        "qr": twofactor.qr_svg(device),
        "secret": twofactor.secret(device),
    }
    return render(request, "registration/two_factor_setup.html", context)


@login_required
def two_factor_codes(request: HttpRequest) -> HttpResponse:
    """Show recovery codes just made, once; a post makes new ones (the old ones stop working)."""
    if not twofactor.is_enabled(request.user):
        return redirect("two_factor")
    if request.method == "POST":
        request.session[twofactor.NEW_CODES] = twofactor.new_recovery_codes(request.user)
        return redirect("two_factor_codes")
    codes = request.session.pop(twofactor.NEW_CODES, None)
    if not codes:
        return redirect("two_factor")
    return render(request, "registration/two_factor_codes.html", {"codes": codes})


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turn two-factor authentication off, with the password (never for staff, who must keep it)."""
    user = request.user
    form = ConfirmPasswordForm(user, request.POST)
    if twofactor.is_required(user):
        messages.error(request, _("Staff accounts must keep two-factor authentication."))
        return redirect("two_factor")
    if not form.is_valid():
        context = {"enabled": True, "required": False, "codes_left": twofactor.recovery_codes_left(user)}
        return render(request, "registration/two_factor.html", {**context, "disable_form": form}, status=400)
    twofactor.disable(user)
    messages.success(request, _("Two-factor authentication is off."))
    return redirect("two_factor")


@rate_limit("RATE_LIMIT_TOKEN_PAGES", method="POST")
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The login's second step: a code from the authenticator app or a recovery code."""
    if not request.user.is_authenticated:
        return redirect("login")
    if not request.session.get(twofactor.PENDING):
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.verify(request.user, form.cleaned_data["code"]):
            twofactor.passed(request)
            # A new session key: what anyone saw of the half-logged-in one is worth nothing now.
            request.session.cycle_key()
            next_url = request.GET.get("next", "")
            if url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
                return redirect(next_url)
            return redirect(settings.LOGIN_REDIRECT_URL)
        form.add_error("code", _("This code is not valid. Try the next code, or a recovery code."))
    return render(request, "registration/two_factor_verify.html", {"form": form})


# -- sessions and devices -----------------------------------------------------------------------------------


@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    """Every session of the account: its device, address, when it began and was last seen."""
    rows = list(devices.sessions_of(request.user))
    current = devices.current_id(request)
    for row in rows:
        row.device = devices.describe(row.user_agent)
        row.is_current = row.pk == current
    return render(request, "registration/sessions.html", {"sessions": rows})


@login_required
@require_POST
def session_end(request: HttpRequest, session_id: int) -> HttpResponse:
    """Sign one session out (this one too: then it is a logout)."""
    row = get_object_or_404(AccountSession, pk=session_id, user=request.user)
    if row.pk == devices.current_id(request):
        logout(request)
        return redirect("login")
    devices.end(AccountSession.objects.filter(pk=row.pk))
    messages.success(request, _("That session is signed out."))
    return redirect("sessions")


@login_required
@require_POST
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    """Sign out every other session of the account."""
    ended = devices.end_others(request)
    messages.success(
        request,
        ngettext(
            "Signed out everywhere else (%(count)s session).",
            "Signed out everywhere else (%(count)s sessions).",
            ended,
        )
        % {"count": ended},
    )
    return redirect("sessions")
