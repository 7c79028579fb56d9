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
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/profile/", account_views.profile, name="profile"),
    path("accounts/business/", account_views.business, name="business"),
    path("accounts/business/start/", account_views.business_start, name="business_start"),
    path("accounts/business/logo/", account_views.business_logo, name="business_logo"),
    path("accounts/delete/", account_views.account_delete, name="account_delete"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # The REST API (crm/api): bearer tokens, no session, so no CSRF; its errors are problem+json.
    path("api/", include("crm.api.urls")),
    path("", include("crm.web.urls")),
    path("", include("crm.reminders.urls")),
    path("", include("crm.portal.urls")),
]
