"""The evidence pack's pages: pages of the freelancer's app, in the `web:` namespace (config/urls.py adds them)."""

from __future__ import annotations

from django.urls import path

from crm.evidence import views

urlpatterns = [
    path("clients/<int:client_id>/evidence/", views.client_evidence_packs, name="client_evidence_packs"),
    path(
        "clients/<int:client_id>/evidence/new/",
        views.client_evidence_pack_new,
        name="client_evidence_pack_new",
    ),
    path("evidence/<int:pack_id>/", views.evidence_pack, name="evidence_pack"),
    path("evidence/<int:pack_id>/pdf/", views.evidence_pack_pdf, name="evidence_pack_pdf"),
    path("evidence/<int:pack_id>/zip/", views.evidence_pack_zip, name="evidence_pack_zip"),
]
