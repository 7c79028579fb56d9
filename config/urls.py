from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import URLPattern, include, path

from clients import views as account_views
from config.health import health
from crm.api import urls as api
from crm.capture import urls as capture
from crm.dataio import urls as dataio
from crm.portal import urls as portal
from crm.reminders import urls as reminders
from crm.web import urls as web
from crm.web.views.profile import profile

# The faces, each its own namespace. Faces import no faces (tests/test_architecture.py), so they meet here:
# `web:` is the freelancer's app, whichever room a page's view lives in.
WEB = [
    *web.urlpatterns,
    *reminders.urlpatterns,
    *dataio.urlpatterns,
    *capture.urlpatterns,
    *api.settings_urlpatterns,
    *portal.panel_urlpatterns,
]

# The names URLs had before the faces (issue 21), kept as aliases of the same paths so nothing that reverses
# one breaks: old namespace -> (the patterns it held, {new name: old name} where the name changed).
OLD_NAMES: dict[str, tuple[list[URLPattern], dict[str, str]]] = {
    "crm": (
        [
            *web.urlpatterns,
            *dataio.urlpatterns,
            *capture.urlpatterns,
            *api.settings_urlpatterns,
        ],
        {
            "contact_make_primary": "contact_primary",
            "status_update_mark_sent": "status_update_sent",
            "client_feeling_new": "client_feeling",
            "invoice_mark_paid": "invoice_paid",
        },
    ),
    "reminders": (
        reminders.urlpatterns,
        {
            "status_update_draft": "prepare_status_update",
            "status_update_draft_mark_sent": "mark_status_update_sent",
            "payment_reminder_approve": "approve_payment_reminder",
            "payment_reminder_skip": "skip_payment_reminder",
            "calendar_token_rotate": "rotate_calendar_token",
        },
    ),
    "portal": (
        portal.panel_urlpatterns,
        {
            "client_page": "panel",
            "client_page_renew": "renew",
            "client_page_turn_off": "off",
            "client_page_preview": "preview",
        },
    ),
}


def _old_names(namespace: str) -> list[URLPattern]:
    """Return the namespace's patterns again under their old names (the same route, view and arguments)."""
    patterns, renamed = OLD_NAMES[namespace]
    return [
        path(
            str(pattern.pattern),
            pattern.callback,
            pattern.default_args,
            name=renamed.get(pattern.name, pattern.name),
        )
        for pattern in patterns
    ]


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    # Read at request time: in production the static file's hashed name comes from collectstatic's manifest.
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    # For the load balancer: no login, no secrets (config/health.py).
    path("health/", health, name="health"),
    # Browsers and feed readers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", favicon),
    # Failed logins are counted and locked out by django-axes (clients/throttle.py), here and in the admin.
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    # It writes nothing and sends an email: no request-long transaction (see AtomicWritesMiddleware).
    path(
        "accounts/password_reset/",
        transaction.non_atomic_requests(account_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    # The lockout page's "email me an unlock link", and that link (clients/throttle.py).
    path("accounts/unlock/", account_views.login_unlock_request, name="login_unlock_request"),
    path("accounts/unlock/<str:token>/", account_views.login_unlock, name="login_unlock"),
    path("accounts/signup/", account_views.signup, name="signup"),
    # Settings save the time zone and reminder days the book's schedule is counted in: crm's page.
    path("accounts/profile/", profile, name="profile"),
    path("accounts/business/", account_views.business, name="business"),
    path("accounts/business/start/", account_views.business_start, name="business_start"),
    path("accounts/business/logo/", account_views.business_logo, name="business_logo"),
    path("accounts/delete/", account_views.account_delete, name="account_delete"),
    # The account's security (clients/verification.py, clients/twofactor.py, clients/devices.py).
    path("accounts/email/", account_views.email_change, name="email_change"),
    path("accounts/email/resend/", account_views.email_resend, name="email_resend"),
    path("accounts/email/verify/<str:token>/", account_views.verify_email, name="verify_email"),
    path("accounts/two-factor/", account_views.two_factor, name="two_factor"),
    path("accounts/two-factor/setup/", account_views.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/codes/", account_views.two_factor_codes, name="two_factor_codes"),
    path("accounts/two-factor/off/", account_views.two_factor_disable, name="two_factor_disable"),
    path("accounts/two-factor/verify/", account_views.two_factor_verify, name="two_factor_verify"),
    path("accounts/sessions/", account_views.sessions, name="sessions"),
    path("accounts/sessions/others/end/", account_views.sessions_end_others, name="sessions_end_others"),
    path("accounts/sessions/<int:session_id>/end/", account_views.session_end, name="session_end"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # The REST API (crm/api): bearer tokens, no session, so no CSRF; its errors are problem+json.
    path("api/", include(api.urlpatterns)),
    path("", include((WEB, "web"))),
    # The client's page; `portal:` also keeps the old names of the panel, now `web:client_page...`.
    path("", include(([*portal.urlpatterns, *_old_names("portal")], "portal"))),
    # The old names come after the faces: a path resolves to its face, an old name still reverses.
    path("", include((_old_names("crm"), "crm"))),
    path("", include((_old_names("reminders"), "reminders"))),
]
