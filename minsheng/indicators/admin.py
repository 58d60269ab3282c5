"""The back office for the catalogue (formulas, definitions and rules), targets, and read-only
views of values and returns. The catalogue is global and edited only by the system administrator;
targets, values and returns are filtered to the user's regions, and a target is set only where
the user approves data."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from minsheng.accounts.roles import APPROVE_DATA
from minsheng.indicators.models import (
    Completion,
    DataElement,
    DataSet,
    DataValue,
    Indicator,
    Target,
    ValidationRule,
)
from minsheng.places.admin import GlobalConfigAdmin, admin_allowed, regions_with
from minsheng.places.scope import scope_of


def _approver(request, code: str | None = None) -> bool:
    return admin_allowed(request) and scope_of(request.user).has_right(APPROVE_DATA, code)


class CatalogueAdmin(GlobalConfigAdmin):
    """The catalogue (formulas, definitions, rules) is one for every district: only the system
    administrator edits it; a district's change would change every district's figures."""


class ValidationRuleInline(admin.TabularInline):
    model = ValidationRule
    extra = 0

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(DataSet)
class DataSetAdmin(CatalogueAdmin):
    list_display = ("code", "name", "period_kind", "level", "owner")
    inlines = [ValidationRuleInline]


@admin.register(DataElement)
class DataElementAdmin(CatalogueAdmin):
    list_display = ("code", "name", "unit", "source", "aggregation", "dataset", "verified")
    list_filter = ("source", "dataset", "verified")
    search_fields = ("code", "name")


@admin.register(Indicator)
class IndicatorAdmin(CatalogueAdmin):
    list_display = ("code", "name", "section", "kind", "numerator", "denominator", "unit",
                    "status", "verified", "active")
    list_filter = ("section", "kind", "status", "verified", "active")
    search_fields = ("code", "name")


class RegionScopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).filter(scope_of(request.user).region_q())

    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)


@admin.register(Target)
class TargetAdmin(RegionScopedAdmin):
    list_display = ("indicator", "region", "year", "value", "note")
    list_filter = ("year",)

    def has_add_permission(self, request):
        return _approver(request)

    def has_change_permission(self, request, obj=None):
        return _approver(request, obj.region_id if obj else None)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region" and not request.user.is_superuser:
            kwargs["queryset"] = regions_with(request.user, APPROVE_DATA)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not _approver(request, obj.region_id):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(RegionScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DataValue)
class DataValueAdmin(ReadOnlyAdmin):
    """Values change only through data entry (manual) or the compute job (computed)."""

    list_display = ("element", "region", "period", "value", "approved", "updated_at")
    list_filter = ("period", "approved", "element__source")


@admin.register(Completion)
class CompletionAdmin(ReadOnlyAdmin):
    list_display = ("dataset", "region", "period", "state", "submitted_at", "approved_at")
    list_filter = ("state", "dataset")
