"""Users, API tokens and the audit trail in Django's admin. A district or
street admin manages the users of the places they may change; tokens are
issued by the API, not here; the audit trail is read by superusers only and
never edited."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from civicgrid.access.client_keys import client_key_issue, client_key_revoke
from civicgrid.access.models import ApiToken, AuditLog, ClientKey, User
from civicgrid.access.selectors import token_list, users_in_scope
from civicgrid.access.services import token_revoke


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "display_name", "role", "scope_place", "organisation", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "display_name"]
    autocomplete_fields = ["scope_place", "organisation"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("角色与管辖范围"), {"fields": ["display_name", "role", "scope_place", "organisation"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("角色与管辖范围"), {"fields": ["display_name", "role", "scope_place", "organisation"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request) & users_in_scope(user=request.user)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "hint",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = [
        "user",
        "name",
        "hint",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["key_hash"]
    list_select_related = ["user"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        # One's own tokens, and an admin's accounts in scope (as on /account/).
        return token_list(user=request.user)

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request, queryset):
        live = queryset.filter(revoked_at__isnull=True)
        for token in live:
            token_revoke(actor=request.user, token=token)
        messages.success(request, _("已吊销 %(n)d 个令牌。") % {"n": len(live)})


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "object_type", "object_repr", "note"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "object_id", "request_id", "user__username"]
    date_hierarchy = "at"
    list_select_related = ["user"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClientKey)
class ClientKeyAdmin(admin.ModelAdmin):
    """Keys of third-party (Open311) clients: issued here or with
    `civicgrid apikey create NAME`; the clear key is shown once."""

    list_display = ["name", "hint", "created_at", "revoked_at"]
    fields = ["name"]
    actions = ["revoke"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        client, key = client_key_issue(name=obj.name, actor=request.user)
        obj.pk, obj.hint, obj.created_at = client.pk, client.hint, client.created_at
        messages.warning(request, _("密钥只显示这一次，请立即复制：%(key)s") % {"key": key})

    @admin.action(description=_("吊销所选密钥"))
    def revoke(self, request, queryset):
        revoked = sum(client_key_revoke(client=c, actor=request.user) for c in queryset)
        messages.success(request, _("已吊销 %(n)d 个密钥。") % {"n": revoked})
