"""Care in Django's admin, read-only: devices change through the registry
pages and services (binding history), alarms through the responder moves,
dead letters are a record. Non-superusers see devices and alarms in their
scope only (``for_user``); dead letters are for superusers."""

from django.contrib import admin

from civicgrid.care.models import Alarm, DeadLetter, Device
from civicgrid.registry.admin import ReadOnlyAdmin


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = ["ident", "kind", "model", "protocol", "resident", "active", "last_seen_at"]
    list_filter = ["kind", "protocol", "active", "offline", "low_battery"]
    search_fields = ["ident", "model"]
    list_select_related = ["resident"]
    exclude = ["fence_state"]


@admin.register(Alarm)
class AlarmAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "stage", "device", "raised_at", "responder_order"]
    list_filter = ["kind", "stage"]
    search_fields = ["device__ident"]
    date_hierarchy = "raised_at"
    list_select_related = ["device"]


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ["received_at", "source", "ident", "reason", "detail"]
    list_filter = ["source", "reason"]
    search_fields = ["ident"]
    date_hierarchy = "received_at"

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
