from django.contrib import admin

from civicgrid.ops.models import Heartbeat, Outage


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    """Delete here a process retired for good (killed and never restarted),
    whose silent row would otherwise stay an outage."""

    list_display = ["role", "name", "pid", "beat_at", "since", "stopped_at", "lag_seconds"]
    list_filter = ["role"]


@admin.register(Outage)
class OutageAdmin(admin.ModelAdmin):
    list_display = ["role", "started_at", "ended_at", "detail"]
    list_filter = ["role"]
