"""The reminders' pages (the status-update draft, the payment reminders to approve, the calendar and its feed,
the email preferences behind a signed link): pages of the freelancer's app, in the `web:` namespace
(config/urls.py adds them)."""

from __future__ import annotations

from django.urls import path

from crm.reminders import views

urlpatterns = [
    path(
        "clients/<int:client_id>/status-update/",
        views.prepare_status_update,
        name="status_update_draft",
    ),
    path(
        "clients/<int:client_id>/status-update/sent/",
        views.mark_status_update_sent,
        name="status_update_draft_mark_sent",
    ),
    path("payment-reminders/", views.payment_reminders, name="payment_reminders"),
    path(
        "payment-reminders/<int:reminder_id>/send/",
        views.approve_payment_reminder,
        name="payment_reminder_approve",
    ),
    path(
        "payment-reminders/<int:reminder_id>/skip/",
        views.skip_payment_reminder,
        name="payment_reminder_skip",
    ),
    path("calendar/", views.calendar_settings, name="calendar_settings"),
    path("calendar/rotate/", views.rotate_calendar_token, name="calendar_token_rotate"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("email/preferences/<str:token>/", views.email_preferences, name="email_preferences"),
]
