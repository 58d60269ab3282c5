"""Back office for cases: the catalogue and routing rules are configuration the district admin
edits; cases are read-only here (their state changes only through the workflow, with events)."""

from __future__ import annotations

from django.contrib import admin

from minsheng.accounts.roles import MANAGE_USERS
from minsheng.cases.access import cases_for
from minsheng.cases.models import ApiKey, Case, CaseType, RoutingRule
from minsheng.places.admin import admin_allowed
from minsheng.places.scope import scope_of


def _district_admin(request) -> bool:
    return admin_allowed(request) and scope_of(request.user).has_right(MANAGE_USERS)


class ConfigAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)

    def has_change_permission(self, request, obj=None):
        return _district_admin(request)

    def has_add_permission(self, request):
        return _district_admin(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(CaseType)
class CaseTypeAdmin(ConfigAdmin):
    list_display = ["code", "name", "group", "handler_kind", "accept_hours", "resolve_hours",
                    "mediation", "public", "active"]
    list_filter = ["group", "handler_kind", "active"]
    list_editable = ["accept_hours", "resolve_hours", "active"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(ConfigAdmin):
    list_display = ["case_type", "region_prefix", "organisation"]
    list_filter = ["case_type"]
    raw_id_fields = ["organisation"]

    def get_queryset(self, request):
        s = scope_of(request.user)
        qs = super().get_queryset(request)
        if s.everything:
            return qs
        return qs.filter(region_prefix__in=[p[:len(p)] for p in s.prefixes]) | qs.filter(
            s.region_q("organisation__region__code"))


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["number", "case_type", "status", "organisation", "created_at", "overdue"]
    list_filter = ["status", "case_type", "channel", "overdue"]
    search_fields = ["number", "external_id"]
    exclude = ["reporter_phone", "token"]

    def get_queryset(self, request):
        return cases_for(request.user)

    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(ConfigAdmin):
    list_display = ["name", "organisation", "active", "created_at"]
    readonly_fields = ["digest"]
