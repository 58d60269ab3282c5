"""Back office of the evaluation: the district defines its schemes (items, weights, bands) here,
within the regions where it holds MANAGE_GOVERNANCE; inspections, surveys and scorecards are
read-only (written through actions.do_* on the pages), scoped like the pages (access). So are the
registry's committees: elections (with their returns), members (phones masked: unmasking is on
the committee page, audited) and cadres, written only through committees.do_*."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from minsheng.accounts.masking import mask
from minsheng.accounts.roles import MANAGE_GOVERNANCE
from minsheng.governance import access
from minsheng.governance.models import (
    Cadre,
    CommitteeMember,
    Election,
    ElectionReturn,
    GovernanceRecord,
    Inspection,
    Scheme,
    SchemeItem,
    Scorecard,
    Survey,
    SurveyAnswer,
    Takeover,
    TakeoverItem,
    Task,
    TaskList,
)
from minsheng.places.admin import (
    CheckedFormAdmin,
    ReadOnlyScopedAdmin,
    admin_allowed,
    holds,
    regions_with,
)

ReadOnlyScoped = ReadOnlyScopedAdmin  # the back office's one read-only shape (places.admin)


class SchemeItemInline(admin.TabularInline):
    model = SchemeItem
    extra = 1


@admin.register(Scheme)
class SchemeAdmin(CheckedFormAdmin):
    list_display = ["code", "name", "region", "period"]
    inlines = [SchemeItemInline]

    def get_queryset(self, request):
        return access.schemes_for(request.user).select_related("region")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region":
            kwargs["queryset"] = regions_with(request.user, MANAGE_GOVERNANCE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def refusals(self, request, data):
        region = data.get("region")
        code = getattr(region, "code", region)
        if not holds(request.user, MANAGE_GOVERNANCE, code):
            return {"region": "只能在本人负责的区划内定义考评方案"}
        return {}

    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)

    def has_add_permission(self, request):
        return admin_allowed(request) and regions_with(request.user, MANAGE_GOVERNANCE).exists()

    def has_change_permission(self, request, obj=None):
        if not admin_allowed(request):
            return False
        if obj is None:
            return regions_with(request.user, MANAGE_GOVERNANCE).exists()
        return holds(request.user, MANAGE_GOVERNANCE, obj.region_id)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyScoped):
    list_display = ["compound", "company", "kind", "inspected_on"]
    list_filter = ["kind"]

    def get_queryset(self, request):
        return access.inspections_for(request.user)


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnlyScoped):
    list_display = ["company", "scheme", "period", "total", "grade", "published"]

    def get_queryset(self, request):
        return access.scorecards_for(request.user)


@admin.register(Survey)
class SurveyAdmin(ReadOnlyScoped):
    list_display = ["compound", "scheme", "open"]
    exclude = ["token"]

    def get_queryset(self, request):
        return Survey.objects.filter(scheme__in=access.managed_schemes_for(request.user))


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ReadOnlyScoped):
    list_display = ["survey", "company", "answered_on"]
    exclude = ["household"]

    def get_queryset(self, request):
        return SurveyAnswer.objects.filter(
            survey__scheme__in=access.managed_schemes_for(request.user))


@admin.register(TaskList)
class TaskListAdmin(ReadOnlyScoped):
    list_display = ["name", "kind", "region", "created_at"]

    def get_queryset(self, request):
        return access.task_lists_for(request.user)


@admin.register(Task)
class TaskAdmin(ReadOnlyScoped):
    list_display = ["task_list", "number", "area", "unit", "deadline", "state"]
    list_filter = ["state"]

    def get_queryset(self, request):
        return access.tasks_for(request.user)


@admin.register(Takeover)
class TakeoverAdmin(ReadOnlyScoped):
    list_display = ["name", "company", "region", "started_on"]

    def get_queryset(self, request):
        return access.takeovers_for(request.user)


@admin.register(TakeoverItem)
class TakeoverItemAdmin(ReadOnlyScoped):
    list_display = ["takeover", "compound", "standard", "deadline", "state"]
    list_filter = ["state", "standard"]

    def get_queryset(self, request):
        return access.takeover_items_for(request.user)


@admin.register(GovernanceRecord)
class GovernanceRecordAdmin(ReadOnlyScoped):
    list_display = ["compound", "valid_from", "valid_to", "form", "committee",
                    "head_is_party_secretary", "cadre_full_time"]

    def get_queryset(self, request):
        return GovernanceRecord.objects.filter(
            compound__in=access.registry_compounds_for(request.user)).select_related("compound")


class ElectionReturnInline(admin.TabularInline):
    model = ElectionReturn
    extra = 0
    fields = readonly_fields = ["returned_at", "returned_by", "reason"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Election)
class ElectionAdmin(ReadOnlyScoped):
    list_display = ["compound", "committee", "held_on", "turnout", "state", "approved_on"]
    list_filter = ["state", "committee"]
    search_fields = ["compound__name"]
    inlines = [ElectionReturnInline]

    def get_queryset(self, request):
        return access.elections_for(request.user)


@admin.register(CommitteeMember)
class CommitteeMemberAdmin(ReadOnlyScoped):
    list_display = ["name", "compound", "role", "is_party_secretary", "masked_phone",
                    "started_on", "ended_on", "left_because"]
    list_filter = ["role", "is_party_secretary", "left_because"]
    search_fields = ["name", "compound__name"]
    fields = ["compound", "election", "name", "role", "is_party_secretary", "masked_phone",
              "started_on", "ended_on", "left_because", "leave_note", "generated"]
    readonly_fields = fields

    def get_queryset(self, request):
        return access.members_for(request.user)

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj):
        return mask(obj.phone)


@admin.register(Cadre)
class CadreAdmin(ReadOnlyScoped):
    list_display = ["name", "compound", "unit", "full_time", "started_on", "ended_on"]
    list_filter = ["full_time"]
    search_fields = ["name", "compound__name", "unit"]

    def get_queryset(self, request):
        return access.cadres_for(request.user)
