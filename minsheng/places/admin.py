"""Back office (Django admin), scoped like every other page: the changelist is the user's scope,
objects outside it are 404, and saving goes through places/actions.py (the editing right over the
record's region and the one it moves to; one audit row)."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from minsheng.accounts.masking import PERSONAL_FIELDS, mask
from minsheng.accounts.roles import ADMIN_SITE, EDIT_PLACES
from minsheng.places import actions, hooks, scope
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


# Rows of the back office are either global (the system administrator's) or owned by a district
# and edited inside it. These helpers turn "where does the user hold `right`" into querysets and
# checks; the back offices of every app use them for their choices, querysets and saves.

def within_q(user, right: str, field: str = "region__code") -> Q:
    """Rows whose `field` (a region code or code prefix) lies where the user holds `right`."""
    s = scope.scope_of(user)
    if s.everything:
        return Q()
    prefixes = sorted({g.prefix for g in s.grants_with(right)})
    if not prefixes:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in prefixes))


def regions_with(user, right: str) -> QuerySet[Region]:
    return Region.objects.filter(within_q(user, right, "code"))


def organisations_with(user, right: str) -> QuerySet[Organisation]:
    return Organisation.objects.filter(within_q(user, right)).select_related("region")


def holds(user, right: str, code: str | None) -> bool:
    """The user holds `right` over the region (or code prefix) `code`; never over no region."""
    s = scope.scope_of(user)
    if s.everything:
        return True
    return bool(code) and s.has_right(right, code)


class ReadOnlyScopedAdmin(admin.ModelAdmin):
    """A back-office list of records written only through their app's actions: viewable by staff
    allowed in the back office (each app scopes `get_queryset` through its access module), never
    added, changed or deleted here."""

    list_per_page = 50

    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GlobalConfigAdmin(admin.ModelAdmin):
    """Configuration shared by every district (catalogues, case types and their clocks): every
    back-office user may read it, only the system administrator changes it."""

    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class CheckedFormAdmin(admin.ModelAdmin):
    """A back office whose forms ask `refusals(request, data)` (field → message) of the values
    to be saved, and whose save asks again (a 403 if a form was bypassed): nothing outside the
    editor's district is written. The stored row is checked by has_change_permission."""

    def refusals(self, request, data: dict) -> dict[str | None, str]:
        return {}

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)
        owner = self

        class Checked(base):
            def clean(self):
                data = super().clean()
                for field, message in owner.refusals(request, data).items():
                    self.add_error(field if field in self.fields else None, message)
                return data

        return Checked

    def save_model(self, request, obj, form, change):
        data = {f.name: getattr(obj, f.name) for f in obj._meta.concrete_fields}
        if self.refusals(request, data):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


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
        if db_field.name == "worker" and not request.user.is_superuser:
            # Only people who work where the editor edits (never another district's accounts).
            editable = regions_with(request.user, EDIT_PLACES).values("code")
            kwargs["queryset"] = get_user_model().objects.filter(
                memberships__region__in=editable).distinct()
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

    def get_form(self, request, obj=None, change=False, **kwargs):
        # what other apps' records hold over the compound (places.hooks), as the compound
        # form, the API and the import ask it
        form = super().get_form(request, obj, change=change, **kwargs)

        class Checked(form):
            def clean(self):
                d = super().clean()
                if self.instance.pk:
                    for field, problems in hooks.compound_problems(self.instance, d).items():
                        if field in self.fields and field not in self.errors:
                            for message in problems:
                                self.add_error(field, message)
                return d

        Checked.__name__ = form.__name__
        return Checked


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
class FacilityCategoryAdmin(GlobalConfigAdmin):
    """The life-circle catalogue is one for every district: only the system administrator edits
    its numbers (a district's change would move every other district's coverage)."""

    list_display = ["code", "name", "level", "distance_m", "group", "required", "verified", "source"]
    list_filter = ["level", "group", "required", "verified"]
    list_editable = ["distance_m", "required"]


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
