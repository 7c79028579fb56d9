from __future__ import annotations

from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
