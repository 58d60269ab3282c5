from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from minsheng.accounts.models import AuditLog, Membership
from minsheng.accounts.roles import MANAGE_USERS
from minsheng.places import scope
from minsheng.places.admin import admin_allowed


class ManagersOnly(admin.ModelAdmin):
    def _ok(self, request):
        return admin_allowed(request) and scope.scope_of(request.user).has_right(MANAGE_USERS)

    def has_module_permission(self, request):
        return self._ok(request)

    def has_view_permission(self, request, obj=None):
        return self._ok(request)


@admin.register(Membership)
class MembershipAdmin(ManagersOnly):
    list_display = ["user", "role", "region", "organisation"]
    list_filter = ["role"]
    search_fields = ["user__username", "region__name"]
    raw_id_fields = ["user", "organisation", "region"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(
            scope.scope_of(request.user).region_q("region__code"))

    def has_change_permission(self, request, obj=None):
        if not self._ok(request):
            return False
        return obj is None or scope.scope_of(request.user).has_right(MANAGE_USERS, obj.region_id)

    def has_add_permission(self, request):
        return self._ok(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not scope.scope_of(request.user).has_right(MANAGE_USERS, obj.region_id):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


@admin.register(AuditLog)
class AuditLogAdmin(ManagersOnly):
    """Read-only: the audit trail is never edited."""

    list_display = ["at", "user", "action", "object_type", "object_id", "fields", "region_code", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["user__username", "object_id", "region_code"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        s = scope.scope_of(request.user)
        return super().get_queryset(request).filter(s.region_q("region_code"))

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
