from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clients.admin import ClientAdmin, ProfileAdmin, ProjectAdmin
from clients.models import Client, Profile, Project
from conflicts.admin import ConflictSignalAdmin
from conflicts.models import ConflictSignal
from crm.models import (
    ClientHealth,
    Dispatch,
    HealthSnapshot,
    Interaction,
    Invoice,
    JobRun,
    LatePaymentRate,
    PaymentReminder,
    Promise,
)
from crm.payments import due
from crm.reminders import tasks
from crm.trust.door import journal_changed, record_saved


class ThroughTheDoor(admin.ModelAdmin):
    """The admin writes the book too: each save or delete of a scored record goes through the journal's door,
    once (after the inline rows are saved too)."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        record, was_client_id = form.instance, form.initial.get("client")
        if isinstance(record, Client | Project):
            # A changed inline (a client's projects) may move the score: counted as a new record would be.
            changed = form.changed_data if change and not any(f.has_changed() for f in formsets) else None
            record_saved(record, changed, was_client_id=was_client_id)
        else:
            journal_changed([was_client_id, record.client_id])

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        # A client's delete takes its trust health along (crm.trust.signals moves the book version).
        client_id = None if isinstance(obj, Client) else obj.client_id
        super().delete_model(request, obj)
        journal_changed([client_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        ids = [] if queryset.model is Client else list(queryset.values_list("client_id", flat=True))
        super().delete_queryset(request, queryset)
        journal_changed(ids)


# The apps below crm register their admins without the door (they cannot import trust): crm adds it.
for _model, _admin in ((Client, ClientAdmin), (Project, ProjectAdmin), (ConflictSignal, ConflictSignalAdmin)):
    admin.site.unregister(_model)
    admin.site.register(_model, type(_admin.__name__, (ThroughTheDoor, _admin), {}))


class ProfileWithItsSchedule(ProfileAdmin):
    """A freelancer's profile saved in the admin: a new time zone or new reminder days move their book's sweep
    columns, as Settings does (crm/web/views/profile.py)."""

    def save_model(self, request: HttpRequest, obj: Profile, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # In the admin's own transaction (ModelAdmin.changeform_view); a profile added here has no initial values.
        due.profile_changed(obj, form.initial)


admin.site.unregister(Profile)
admin.site.register(Profile, ProfileWithItsSchedule)


@admin.register(Interaction)
class InteractionAdmin(ThroughTheDoor):
    list_display = ["client", "kind", "direction", "happened_at", "summary"]
    list_filter = ["kind", "direction"]
    search_fields = ["client__name", "summary"]
    list_select_related = ["client"]
    raw_id_fields = ["client", "project"]


@admin.register(Promise)
class PromiseAdmin(ThroughTheDoor):
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
class InvoiceAdmin(ThroughTheDoor):
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


@admin.register(LatePaymentRate)
class LatePaymentRateAdmin(admin.ModelAdmin):
    """The dated rates of the late-payment law, as loaded from the shipped file or `load_late_payment_rates`
    (docs/payments.md): the file is the way to change them, so every machine has the same rates."""

    list_display = ["series", "starts_on", "percent", "checked_on", "source"]
    list_filter = ["series"]
    ordering = ["series", "-starts_on"]


@admin.register(PaymentReminder)
class PaymentReminderAdmin(admin.ModelAdmin):
    list_display = ["invoice", "step", "state", "stop_reason", "due_on", "sent_at"]
    list_filter = ["state", "step"]
    raw_id_fields = ["owner", "invoice", "dispatch", "interaction"]


@admin.register(Dispatch)
class DispatchAdmin(admin.ModelAdmin):
    list_display = [
        "owner",
        "kind",
        "period",
        "state",
        "attempts",
        "due_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["state", "kind"]
    list_select_related = ["owner"]
    search_fields = ["owner__username", "period"]
    raw_id_fields = ["owner"]
    actions = ["retry_now"]

    @admin.action(description=_("Retry now (failed or waiting to retry)"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Dispatch]) -> None:
        """Hand the chosen failed or waiting dispatches to the workers now, for a fresh 48 hours of retries."""
        chosen = list(queryset.values_list("pk", flat=True))
        moved = tasks.retry_now(chosen)
        self.message_user(
            request,
            ngettext(
                "%(count)d dispatch handed to the workers again.",
                "%(count)d dispatches handed to the workers again.",
                len(moved),
            )
            % {"count": len(moved)},
            messages.SUCCESS if moved else messages.WARNING,
        )
        if len(moved) < len(chosen):
            self.message_user(
                request,
                _(
                    "Only failed dispatches and those waiting to retry can be retried; the others were left as they are."
                ),
                messages.WARNING,
            )


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """What each batch job did, and which rows failed with what error: read-only, written by the jobs."""

    list_display = [
        "job",
        "started_at",
        "finished_at",
        "processed",
        "failed",
        "snapshots",
        "chunks_done",
        "chunks",
        "failing_ids",
    ]
    list_filter = ["job", ("finished_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "started_at"
    readonly_fields = [field.name for field in JobRun._meta.fields] + ["failures_listed"]
    exclude = ["failures"]

    @admin.display(description=_("failing ids"))
    def failing_ids(self, run: JobRun) -> str:
        ids = run.failed_ids
        shown = ", ".join(str(pk) for pk in ids[:10])
        return f"{shown}, …" if len(ids) > 10 else shown

    @admin.display(description=_("failures"))
    def failures_listed(self, run: JobRun) -> str:
        return format_html_join(
            mark_safe("<br>"), "{}: {}", ((failure["id"], failure["error"]) for failure in run.failures)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
