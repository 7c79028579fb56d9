from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clients import views as account_views
from clients.forms import LocalizedPasswordResetForm, ThrottledAuthenticationForm
from config.health import health

urlpatterns = [
    # For the load balancer: no login, no secrets (config/health.py).
    path("health/", health, name="health"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/profile/", account_views.profile, name="profile"),
    path("accounts/delete/", account_views.account_delete, name="account_delete"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(
            form_class=LocalizedPasswordResetForm,
            subject_template_name="emails/password-reset-subject.txt",
            email_template_name="emails/password-reset-body.txt",
            html_email_template_name="emails/password-reset-body.html",
        ),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("crm.web.urls")),
    path("", include("crm.reminders.urls")),
]
