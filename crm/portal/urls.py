from __future__ import annotations

from django.urls import path

from crm.portal import views

app_name = "portal"

urlpatterns = [
    # The client's page: the link is the only credential (rate-limited with every other token page).
    path("p/<str:token>/", views.client_page, name="page"),
    path("p/<str:token>/logo/", views.logo, name="logo"),
    # The freelancer's panel in the workspace.
    path("clients/<int:client_id>/client-page/", views.panel, name="panel"),
    path("clients/<int:client_id>/client-page/renew/", views.renew, name="renew"),
    path("clients/<int:client_id>/client-page/off/", views.turn_off, name="off"),
    path("clients/<int:client_id>/client-page/preview/", views.preview, name="preview"),
]
