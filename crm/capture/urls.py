"""Mail capture's pages (the mailbox settings, its test, sync, import and disconnection): pages of the
freelancer's app, in the `web:` namespace (config/urls.py adds them). A status update sent from the app is the
one status-update action, in crm/web/urls.py."""

from __future__ import annotations

from django.urls import path

from crm.capture import views

urlpatterns = [
    path("settings/mailbox/", views.mailbox, name="mailbox"),
    path("settings/mailbox/test/", views.mailbox_test, name="mailbox_test"),
    path("settings/mailbox/sync/", views.mailbox_sync, name="mailbox_sync"),
    path("settings/mailbox/disconnect/", views.mailbox_disconnect, name="mailbox_disconnect"),
    path("settings/mailbox/import/", views.mailbox_import, name="mailbox_import"),
]
