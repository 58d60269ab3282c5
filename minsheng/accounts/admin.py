from __future__ import annotations

from django.contrib import admin

from minsheng.accounts import granting
from minsheng.accounts.models import AuditLog, Membership
from minsheng.accounts.roles import MANAGE_USERS
from minsheng.places import scope
from minsheng.places.admin import (
    CheckedFormAdmin,
    admin_allowed,
    organisations_with,
    regions_with,
    within_q,
)


class ManagersOnly(admin.ModelAdmin):
    def _ok(self, request):
        return admin_allowed(request) and scope.scope_of(request.user).has_right(MANAGE_USERS)

    def has_module_permission(self, request):
        return self._ok(request)

    def has_view_permission(self, request, obj=None):
        return self._ok(request)


@admin.register(Membership)
class MembershipAdmin(ManagersOnly, CheckedFormAdmin):
    """Memberships are granted only inside the granter's regions, with organisations of those
    regions and roles within the granter's own rights (accounts/granting.py)."""

    list_display = ["user", "role", "region", "organisation"]
    list_filter = ["role"]
    search_fields = ["user__username", "region__name"]
    raw_id_fields = ["user", "organisation", "region"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(
            within_q(request.user, MANAGE_USERS)).select_related("user", "region", "organisation")

    def has_change_permission(self, request, obj=None):
        if not self._ok(request):
            return False
        return obj is None or scope.scope_of(request.user).has_right(MANAGE_USERS, obj.region_id)

    def has_add_permission(self, request):
        return self._ok(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            if db_field.name == "region":
                kwargs["queryset"] = regions_with(request.user, MANAGE_USERS)
            elif db_field.name == "organisation":
                kwargs["queryset"] = organisations_with(request.user, MANAGE_USERS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            allowed = set(granting.grantable_roles(request.user))
            kwargs["choices"] = [c for c in db_field.get_choices() if not c[0] or c[0] in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def refusals(self, request, data):
        return granting.grant_refusals(request.user, role=data.get("role"),
                                       region=data.get("region"),
                                       organisation=data.get("organisation"))


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
