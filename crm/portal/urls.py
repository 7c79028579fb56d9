"""The client's page, in the `portal:` namespace, and the freelancer's panel of it in the workspace, a page of
the freelancer's app (`web:`); config/urls.py includes both."""

from __future__ import annotations

from django.urls import path

from crm.portal import scope, views

urlpatterns = [
    # The client's page: the link is the only credential (rate-limited with every other token page).
    path("p/<str:token>/", views.client_page, name="page"),
    path("p/<str:token>/logo/", views.logo, name="logo"),
    # The client's decision on a scope change (crm/portal/scope.py).
    path(
        "p/<str:token>/scope-changes/accept/",
        scope.scope_change_decide,
        {"accepted": True},
        name="scope_change_accept",
    ),
    path(
        "p/<str:token>/scope-changes/decline/",
        scope.scope_change_decide,
        {"accepted": False},
        name="scope_change_decline",
    ),
]

panel_urlpatterns = [
    # The freelancer's panel in the workspace.
    path("clients/<int:client_id>/client-page/", views.panel, name="client_page"),
    path("clients/<int:client_id>/client-page/renew/", views.renew, name="client_page_renew"),
    path("clients/<int:client_id>/client-page/off/", views.turn_off, name="client_page_turn_off"),
    path("clients/<int:client_id>/client-page/preview/", views.preview, name="client_page_preview"),
]
