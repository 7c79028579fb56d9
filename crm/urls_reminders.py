from __future__ import annotations

from django.urls import path

from crm import views_reminders, views_status_updates

app_name = "reminders"

urlpatterns = [
    path(
        "clients/<int:client_id>/status-update/",
        views_status_updates.prepare_status_update,
        name="prepare_status_update",
    ),
    path(
        "clients/<int:client_id>/status-update/sent/",
        views_status_updates.mark_status_update_sent,
        name="mark_status_update_sent",
    ),
    path("calendar/", views_reminders.calendar_settings, name="calendar_settings"),
    path("calendar/rotate/", views_reminders.rotate_calendar_token, name="rotate_calendar_token"),
    path("calendar/<str:token>.ics", views_reminders.calendar_feed, name="calendar_feed"),
    path("email/preferences/<str:token>/", views_reminders.email_preferences, name="email_preferences"),
]
