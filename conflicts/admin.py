from __future__ import annotations

from django.contrib import admin

from conflicts.models import ConflictSignal


@admin.register(ConflictSignal)
class ConflictSignalAdmin(admin.ModelAdmin):
    list_display = ["client", "kind", "severity", "observed_on", "state", "resolved_on"]
    list_filter = ["kind", "severity", "state"]
    search_fields = ["client__name", "description"]
    list_select_related = ["client"]
    raw_id_fields = ["client"]
