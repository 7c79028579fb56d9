"""The client's page, in the `portal:` namespace, and the freelancer's panel of it in the workspace, a page of
the freelancer's app (`web:`); config/urls.py includes both."""

from __future__ import annotations

from django.urls import path

from crm.portal import recaps, scope, views, voice_views

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
    # The client's voice (issue 26): a check-in, "something bothers me", and taking either back.
    path("p/<str:token>/check-in/", voice_views.check_in, name="check_in_new"),
    path("p/<str:token>/concern/", voice_views.concern, name="concern_new"),
    path(
        "p/<str:token>/check-in/<int:check_in_id>/withdraw/",
        voice_views.check_in_withdraw,
        name="check_in_withdraw",
    ),
    path(
        "p/<str:token>/concern/<int:signal_id>/withdraw/",
        voice_views.concern_withdraw,
        name="concern_withdraw",
    ),
    # The client's answers to a recap (crm/recaps): POST only, back to the page.
    path("p/<str:token>/recap/confirm/", recaps.recap_confirm, name="recap_confirm"),
    path("p/<str:token>/recap/line/confirm/", recaps.recap_line_confirm, name="recap_line_confirm"),
    path("p/<str:token>/recap/line/correct/", recaps.recap_line_correct, name="recap_line_correct"),
]

panel_urlpatterns = [
    # The freelancer's panel in the workspace.
    path("clients/<int:client_id>/client-page/", views.panel, name="client_page"),
    path("clients/<int:client_id>/client-page/renew/", views.renew, name="client_page_renew"),
    path("clients/<int:client_id>/client-page/off/", views.turn_off, name="client_page_turn_off"),
    path("clients/<int:client_id>/client-page/preview/", views.preview, name="client_page_preview"),
]
