from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.models import ClientHealth, Dispatch, HealthSnapshot, Interaction, Invoice, Promise


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["client", "kind", "direction", "happened_at", "summary"]
    list_filter = ["kind", "direction"]
    search_fields = ["client__name", "summary"]
    list_select_related = ["client"]
    raw_id_fields = ["client", "project"]


@admin.register(Promise)
class PromiseAdmin(admin.ModelAdmin):
    list_display = [
        "description",
        "client",
        "promisor",
        "made_on",
        "due_on",
        "state",
        "kept_on",
        "clarified_at",
    ]
    list_filter = ["state", "promisor"]
    search_fields = ["client__name", "description"]
    list_select_related = ["client"]
    raw_id_fields = ["client", "project"]


class InvoiceAdminForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = [
            "owner",
            "client",
            "project",
            "number",
            "amount",
            "currency",
            "issued_on",
            "due_on",
            "paid_on",
            "renegotiated_due_on",
        ]

    def clean(self) -> dict:
        data = super().clean()
        client, owner = data.get("client"), data.get("owner")
        if client and owner and client.owner_id != owner.pk:
            raise ValidationError({"client": _("This client belongs to another freelancer.")})
        return data


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    form = InvoiceAdminForm
    list_display = [
        "number",
        "client",
        "amount",
        "currency",
        "issued_on",
        "due_on",
        "renegotiated_due_on",
        "paid_on",
    ]
    list_filter = ["currency"]
    search_fields = ["number", "client__name"]
    list_select_related = ["client"]
    raw_id_fields = ["owner", "client", "project"]


@admin.register(ClientHealth)
class ClientHealthAdmin(admin.ModelAdmin):
    list_display = ["client", "score", "band", "score_week_ago", "evidence_count", "computed_at"]
    list_filter = ["band"]
    list_select_related = ["client"]
    raw_id_fields = ["client", "owner"]


@admin.register(HealthSnapshot)
class HealthSnapshotAdmin(admin.ModelAdmin):
    list_display = ["client", "day", "score", "band"]
    list_filter = ["band"]
    date_hierarchy = "day"
    raw_id_fields = ["client"]


@admin.register(Dispatch)
class DispatchAdmin(admin.ModelAdmin):
    list_display = ["owner", "kind", "period", "state", "attempts", "due_at", "sent_at", "last_error"]
    list_filter = ["kind", "state"]
    search_fields = ["owner__username", "period"]
    raw_id_fields = ["owner"]
