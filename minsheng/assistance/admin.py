"""Back office for the assistance registry: scoped like the pages (assistance/access.py) and
read-only — households, members and changes are written only through assistance/actions.py
(change requests with their history). ID and phone numbers are shown masked here; unmasking is on
the household's page, audited. Standards are edited by 区民政局 (DECIDE_ASSISTANCE) or the
system administrator."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from minsheng.accounts.masking import mask
from minsheng.accounts.roles import DECIDE_ASSISTANCE
from minsheng.assistance import access
from minsheng.assistance.models import (
    Assessment,
    ChangeRequest,
    Cycle,
    Enrolment,
    Household,
    IncomeExclusion,
    Payment,
    Person,
    Standard,
)
from minsheng.places.admin import ReadOnlyScopedAdmin, admin_allowed
from minsheng.places.models import Region

ReadOnlyScoped = ReadOnlyScopedAdmin  # the back office's one read-only shape (places.admin)


@admin.register(Household)
class HouseholdAdmin(ReadOnlyScoped):
    list_display = ["number", "region", "area", "was_registered_poor", "generated"]
    search_fields = ["number"]
    list_filter = ["area", "was_registered_poor"]

    def get_queryset(self, request):
        return access.households_for(request.user)


@admin.register(Person)
class PersonAdmin(ReadOnlyScoped):
    list_display = ["name", "household", "relationship", "masked_id", "labour_capacity"]
    fields = ["household", "name", "relationship", "masked_id", "masked_phone", "sex",
              "birth_date", "labour_capacity", "disability_grade"]
    readonly_fields = fields

    def get_queryset(self, request):
        return access.people_for(request.user).select_related("household")

    @admin.display(description=_("身份证号"))
    def masked_id(self, obj):
        return mask(obj.id_number)

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj):
        return mask(obj.phone)


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyScoped):
    list_display = ["household", "kind", "state", "created_by", "created_at"]
    list_filter = ["kind", "state"]
    exclude = ["data"]  # holds personal numbers unmasked: shown masked on the page only

    def get_queryset(self, request):
        return access.changes_for(request.user)


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyScoped):
    list_display = ["household", "assessed_on", "per_capita_monthly", "assets_within_rules"]

    def get_queryset(self, request):
        return Assessment.objects.filter(household__in=access.households_for(request.user))


class ConfigAdmin(admin.ModelAdmin):
    """Dated configuration of a region: 区民政局 edits its district's rows."""

    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)

    def has_change_permission(self, request, obj=None):
        return admin_allowed(request) and (
            request.user.is_superuser if obj is None
            else access.has_right(request.user, DECIDE_ASSISTANCE, obj.region_id))

    def has_add_permission(self, request):
        return admin_allowed(request) and access.has_right(request.user, DECIDE_ASSISTANCE)

    has_delete_permission = has_change_permission

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region" and not request.user.is_superuser:
            prefixes = access.prefixes_with(request.user, DECIDE_ASSISTANCE) or ()
            kwargs["queryset"] = Region.objects.filter(
                code__in=[p.ljust(12, "0") for p in prefixes])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Standard)
class StandardAdmin(ConfigAdmin):
    list_display = ["region", "programme", "area", "valid_from", "amount", "multiplier",
                    "verified"]
    list_filter = ["programme", "area", "verified"]


@admin.register(IncomeExclusion)
class IncomeExclusionAdmin(ConfigAdmin):
    list_display = ["region", "kind", "valid_from", "valid_until", "verified"]


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyScoped):
    list_display = ["household", "programme", "person", "state", "applied_on", "decided_on"]
    list_filter = ["programme", "state"]

    def get_queryset(self, request):
        return access.enrolments_for(request.user)


@admin.register(Cycle)
class CycleAdmin(ReadOnlyScoped):
    list_display = ["region", "month", "state"]

    def get_queryset(self, request):
        return access.cycles_for(request.user)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyScoped):
    list_display = ["cycle", "batch", "person", "amount", "masked_account", "status", "paid_on"]
    list_filter = ["status"]
    fields = ["cycle", "batch", "person", "amount", "masked_account", "status", "paid_on",
              "failure_reason"]
    readonly_fields = fields

    def get_queryset(self, request):
        return Payment.objects.filter(cycle__in=access.cycles_for(request.user))

    @admin.display(description=_("账号（发放时）"))
    def masked_account(self, obj):
        return mask(obj.account)


# 防返贫 monitoring registers its own models
from minsheng.assistance import monitoring_admin  # noqa: E402,F401
