from __future__ import annotations

from django.urls import path

from crm.reminders import views

app_name = "reminders"

urlpatterns = [
    path(
        "clients/<int:client_id>/status-update/",
        views.prepare_status_update,
        name="prepare_status_update",
    ),
    path(
        "clients/<int:client_id>/status-update/sent/",
        views.mark_status_update_sent,
        name="mark_status_update_sent",
    ),
    path("payment-reminders/", views.payment_reminders, name="payment_reminders"),
    path(
        "payment-reminders/<int:reminder_id>/send/",
        views.approve_payment_reminder,
        name="approve_payment_reminder",
    ),
    path(
        "payment-reminders/<int:reminder_id>/skip/",
        views.skip_payment_reminder,
        name="skip_payment_reminder",
    ),
    path("calendar/", views.calendar_settings, name="calendar_settings"),
    path("calendar/rotate/", views.rotate_calendar_token, name="rotate_calendar_token"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("email/preferences/<str:token>/", views.email_preferences, name="email_preferences"),
]
