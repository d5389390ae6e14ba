"""Rooms and their mediators are configured in Django's admin. Disputes are
not here at all: they are confidential and change only through their flow."""

from django.contrib import admin

from civicgrid.mediation.models import Mediator, Room
from civicgrid.registry.admin import ScopedAdmin


class MediatorInline(admin.TabularInline):
    model = Mediator
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Room)
class RoomAdmin(ScopedAdmin):
    list_display = ["name", "code", "short", "place", "brand", "active"]
    list_filter = ["active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["place", "brand"]
    inlines = [MediatorInline]
