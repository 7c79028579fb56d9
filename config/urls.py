from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.urls import include, path

from clients import views as account_views
from config.health import health

urlpatterns = [
    # For the load balancer: no login, no secrets (config/health.py).
    path("health/", health, name="health"),
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
    path("accounts/profile/", account_views.profile, name="profile"),
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
    path("api/", include("crm.api.urls")),
    path("", include("crm.web.urls")),
    path("", include("crm.reminders.urls")),
    path("", include("crm.portal.urls")),
]
