"""Back office (Django admin), scoped like every other page: the changelist is the user's scope,
objects outside it are 404, and saving goes through places/actions.py (the editing right over the
record's region and the one it moves to; one audit row)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from minsheng.accounts.masking import PERSONAL_FIELDS, mask
from minsheng.accounts.roles import ADMIN_SITE, MANAGE_USERS
from minsheng.places import actions, scope
from minsheng.places.models import (
    Compound,
    Facility,
    FacilityCategory,
    Grid,
    Organisation,
    Region,
    StreetNetwork,
)


def admin_allowed(request) -> bool:
    return request.user.is_active and request.user.is_staff and (
        request.user.is_superuser or scope.scope_of(request.user).has_right(ADMIN_SITE))


class ScopedAdmin(admin.ModelAdmin):
    scoped = None  # a *_for(user) function from places/scope.py
    list_per_page = 50

    def get_queryset(self, request):
        return type(self).scoped(request.user)

    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)

    def has_add_permission(self, request):
        return admin_allowed(request) and scope.editable_regions_for(request.user).exists()

    def has_change_permission(self, request, obj=None):
        if not admin_allowed(request):
            return False
        if obj is None:
            return scope.editable_regions_for(request.user).exists()
        return scope.can_edit(request.user, obj.region_id)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        limits = {"region": scope.editable_regions_for, "grid": scope.grids_for,
                  "property_company": scope.organisations_for}
        if db_field.name in limits and not request.user.is_superuser:
            kwargs["queryset"] = limits[db_field.name](request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Through places.actions: it checks the editing right over the stored region and the new
        # one (PermissionDenied, a 403) and audits. The admin goes on with `obj` (its log entry
        # and redirect), so it takes the saved row's key.
        editable = actions.editable_field_names(self.model)
        data = {k: v for k, v in form.cleaned_data.items() if k in editable}
        saved = actions.do_save_place(request.user, self.model, data,
                                      instance=obj if change else None, source="admin",
                                      request=request)
        obj.pk = saved.pk

    def get_exclude(self, request, obj=None):
        # Personal fields never appear in the back office's forms; use the reveal button on the
        # record's page (which is audited) to see them.
        label = self.model._meta.label_lower
        if request.user.is_superuser:
            return super().get_exclude(request, obj)
        return tuple(super().get_exclude(request, obj) or ()) + PERSONAL_FIELDS.get(label, ())


@admin.register(Compound)
class CompoundAdmin(ScopedAdmin):
    scoped = scope.compounds_for
    list_display = ["name", "region", "households", "population", "property_status",
                    "committee", "is_old", "renovation_class", "generated"]
    list_filter = ["property_status", "committee", "is_old", "renovation_class", "smart_safety",
                   "generated"]
    search_fields = ["name", "address"]
    raw_id_fields = []
    readonly_fields = ["generated", "osm_id"]


@admin.register(Facility)
class FacilityAdmin(ScopedAdmin):
    scoped = scope.facilities_for
    list_display = ["name", "category", "region", "signed_service_point", "generated"]
    list_filter = ["category", "signed_service_point", "generated"]
    search_fields = ["name", "address"]
    readonly_fields = ["generated", "osm_id"]


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
    scoped = scope.organisations_for
    list_display = ["name", "kind", "region", "contact_person", "masked_phone"]
    list_filter = ["kind"]
    search_fields = ["name", "credit_code"]

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj):
        return mask(obj.contact_phone)


@admin.register(Grid)
class GridAdmin(ScopedAdmin):
    scoped = scope.grids_for
    list_display = ["name", "region", "worker", "generated"]
    search_fields = ["name", "region__name"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "geometry_generated"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "level", "parent"]

    def get_queryset(self, request):
        return scope.regions_for(request.user)

    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)

    def has_add_permission(self, request):
        return request.user.is_superuser  # divisions come from the statistical code list

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FacilityCategory)
class FacilityCategoryAdmin(admin.ModelAdmin):
    """The life-circle catalogue is configuration: the district admin may edit every number."""

    list_display = ["code", "name", "level", "distance_m", "group", "required", "verified", "source"]
    list_filter = ["level", "group", "required", "verified"]
    list_editable = ["distance_m", "required"]

    def _district_admin(self, request):
        return admin_allowed(request) and scope.scope_of(request.user).has_right(MANAGE_USERS)

    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._district_admin(request)

    def has_add_permission(self, request):
        return self._district_admin(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(StreetNetwork)
class StreetNetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "source", "generated", "created"]
    exclude = ["geometry"]

    def get_queryset(self, request):
        return scope.networks_for(request.user)

    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False
