"""The import and export pages: pages of the freelancer's app, in the `web:` namespace (config/urls.py adds
them)."""

from __future__ import annotations

from django.urls import path

from crm.dataio import views

urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("import/<int:import_id>/", views.import_preview, name="import_preview"),
    path("import/<int:import_id>/progress/", views.import_progress, name="import_progress"),
    path("import/samples/<str:kind>/", views.import_sample, name="import_sample"),
    path("export/", views.export_page, name="export"),
    path("export/book.zip", views.export_zip, name="export_zip"),
    path("export/book.json", views.export_json, name="export_json"),
    path("export/contacts.vcf", views.export_vcards, name="export_vcards"),
]
