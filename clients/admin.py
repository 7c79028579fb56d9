from __future__ import annotations

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import Client, Profile, Project


class ProjectInline(admin.TabularInline):
    model = Project
    extra = 0


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "owner", "status", "cadence_days", "last_status_update_at"]
    list_filter = ["status", "language"]
    search_fields = ["name", "company", "email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    inlines = [ProjectInline]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "client", "status", "start_on", "due_on", "budget", "currency"]
    list_filter = ["status"]
    search_fields = ["title", "client__name"]
    list_select_related = ["client"]
    raw_id_fields = ["client"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "language", "time_zone", "digest_weekday", "digest_hour"]
    raw_id_fields = ["user"]
    exclude = ["calendar_key", "calendar_secret_hash"]


# django-otp's admin shows a freelancer's authenticator key as a QR code and their recovery codes: whoever
# reads them can log in as that freelancer. Staff see neither; a freelancer who lost both is helped by
# deleting the devices in a shell (docs/accounts.md).
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)
