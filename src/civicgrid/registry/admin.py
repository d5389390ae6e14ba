"""The registry in Django's admin. Non-superusers see only their scope, through
the same ``for_user`` filter as the pages. Places are saved through the
service (validation and audit); households and residents are read-only here
because their changes belong to the registry pages and services, which
encrypt personal data and keep the audit trail."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from civicgrid.access.scoping import CHANGE, VIEW
from civicgrid.registry import services
from civicgrid.registry.models import (
    Building,
    Household,
    Organisation,
    Place,
    Resident,
    ResidentTag,
    TargetGroup,
)


class ScopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.for_user(request.user, VIEW)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            editable = type(obj).objects.for_user(request.user, CHANGE)
            if not editable.filter(pk=obj.pk).exists():
                return False
        return super().has_change_permission(request, obj)


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PlaceAdminForm(forms.ModelForm):
    class Meta:
        model = Place
        fields = ["code", "name", "level", "parent", "boundary"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        candidate = Place(**{name: cleaned.get(name) for name in self._meta.fields})
        try:
            services.validate_place(candidate)
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


@admin.register(Place)
class PlaceAdmin(ScopedAdmin):
    form = PlaceAdminForm
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    readonly_fields = ["centroid_lat", "centroid_lon"]
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj, form, change):
        services.place_save(actor=request.user, place=obj)


@admin.register(Building)
class BuildingAdmin(ScopedAdmin):
    list_display = ["name", "address", "grid"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["grid"]


@admin.register(TargetGroup)
class TargetGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "min_age", "has_level", "sort"]


class ResidentTagInline(admin.TabularInline):
    model = ResidentTag
    extra = 0
    fields = ["group", "level", "since"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ["number", "address", "grid", "head", "is_central_household"]
    list_filter = ["is_central_household"]
    search_fields = ["number", "address"]
    list_select_related = ["grid", "head"]


@admin.register(Resident)
class ResidentAdmin(ReadOnlyAdmin):
    list_display = ["name", "gender", "birth_date", "id_number_masked", "phone_masked", "household"]
    list_filter = ["gender"]
    search_fields = ["name", "household__number"]
    list_select_related = ["household"]
    # The encrypted columns and their index never appear; only masked copies.
    exclude = ["id_number", "id_number_hash", "phone"]
    inlines = [ResidentTagInline]


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
    list_display = ["name", "kind", "level", "place"]
    list_filter = ["kind", "level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["place"]
