"""Back office for plans and projects: scoped like the pages (projects/access.py); only the
livelihood office (MANAGE_PROJECTS over the plan's region) changes anything."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from minsheng.accounts.roles import MANAGE_BUDGET, MANAGE_PROJECTS
from minsheng.places.admin import (
    admin_allowed,
    holds,
    organisations_with,
    regions_with,
    within_q,
)
from minsheng.places.models import Compound, Facility
from minsheng.projects import access
from minsheng.projects.models import (
    ExpenditureLine,
    FundLine,
    Milestone,
    Plan,
    ProgressReport,
    Project,
    SubItem,
)


class FundInline(admin.TabularInline):
    model = FundLine
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


class SubItemInline(admin.TabularInline):
    model = SubItem
    extra = 0
    raw_id_fields = ["region", "compound", "facility"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Sub-items lie where the editor manages projects (never in another district).
        if not request.user.is_superuser:
            where = {"region": regions_with(request.user, MANAGE_PROJECTS),
                     "compound": Compound.objects.filter(within_q(request.user, MANAGE_PROJECTS)),
                     "facility": Facility.objects.filter(within_q(request.user, MANAGE_PROJECTS))}
            if db_field.name in where:
                kwargs["queryset"] = where[db_field.name]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedProjectAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)


@admin.register(Plan)
class PlanAdmin(ScopedProjectAdmin):
    list_display = ["name", "year", "region", "published"]

    def get_queryset(self, request):
        return access.plans_for(request.user).distinct()

    def has_change_permission(self, request, obj=None):
        return admin_allowed(request) and (obj is None or access.can_manage(request.user, obj))

    has_delete_permission = has_change_permission

    def has_add_permission(self, request):
        return admin_allowed(request) and access.plans_for(request.user).exists()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region" and not request.user.is_superuser:
            kwargs["queryset"] = regions_with(request.user, MANAGE_PROJECTS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not access.can_manage(request.user, obj):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


@admin.register(Project)
class ProjectAdmin(ScopedProjectAdmin):
    list_display = ["name", "plan", "area", "lead_department", "start_date", "end_date", "status"]
    list_filter = ["plan__year", "area", "status"]
    search_fields = ["name", "target"]
    inlines = [FundInline, MilestoneInline, SubItemInline]
    raw_id_fields = ["lead_department"]

    def get_queryset(self, request):
        return access.projects_for(request.user)

    def has_change_permission(self, request, obj=None):
        return admin_allowed(request) and (obj is None or access.can_manage(request.user, obj.plan))

    has_delete_permission = has_change_permission

    def has_add_permission(self, request):
        return admin_allowed(request) and access.plans_for(request.user).exists()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "plan" and not request.user.is_superuser:
            kwargs["queryset"] = access.plans_for(request.user).distinct()
        if db_field.name == "lead_department" and not request.user.is_superuser:
            kwargs["queryset"] = organisations_with(request.user, MANAGE_PROJECTS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not access.can_manage(request.user, obj.plan):
            raise PermissionDenied
        lead = obj.lead_department
        if lead is not None and not holds(request.user, MANAGE_PROJECTS, lead.region_id):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


@admin.register(ProgressReport)
class ProgressReportAdmin(ScopedProjectAdmin):
    """Read-only: reports are submitted and reviewed on the project pages, with their checks."""

    list_display = ["project", "as_of", "percent", "spent", "state", "submitted_by", "reviewed_by"]
    list_filter = ["state"]

    def get_queryset(self, request):
        return ProgressReport.objects.filter(project__in=access.projects_for(request.user))

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExpenditureLine)
class ExpenditureLineAdmin(ScopedProjectAdmin):
    list_display = ["region", "year", "code", "name", "amount"]
    list_filter = ["year"]

    def get_queryset(self, request):
        return access.expenditure_for(request.user)

    def has_change_permission(self, request, obj=None):
        return admin_allowed(request) and (
            obj is None or access.can_manage_budget(request.user, obj.region_id))

    has_delete_permission = has_change_permission

    def has_add_permission(self, request):
        return False  # imported as a whole file on the 民生支出 page

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region" and not request.user.is_superuser:
            kwargs["queryset"] = regions_with(request.user, MANAGE_BUDGET)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not access.can_manage_budget(request.user, obj.region_id):
            raise PermissionDenied
        super().save_model(request, obj, form, change)
