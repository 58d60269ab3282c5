"""Back office for employment records: scoped like the pages (employment/access.py) and read-only
for everyone but the system administrator, because registrations, referrals and internships are
written by employment/actions.py (with its rules and audit), never edited as raw rows. The dated
local rates (最低工资标准, subsidy shares) are configuration the system administrator keeps."""

from __future__ import annotations

from django.contrib import admin

from minsheng.employment import access
from minsheng.employment.models import (
    Course,
    Employer,
    Employment,
    Enrolment,
    Event,
    Internship,
    LocalRate,
    Referral,
    Unemployment,
    Vacancy,
)
from minsheng.places.admin import admin_allowed


class ScopedReadOnly(admin.ModelAdmin):
    scoped = None  # an employment.access *_for(user) function
    list_per_page = 50

    def get_queryset(self, request):
        return type(self).scoped(request.user)

    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    has_delete_permission = has_change_permission


@admin.register(Unemployment)
class UnemploymentAdmin(ScopedReadOnly):
    scoped = access.unemployments_for
    list_display = ["person", "region", "registered_on", "reason", "ended_on", "end_reason"]
    list_filter = ["reason", "end_reason", "hard_to_employ", "veteran", "generated"]
    raw_id_fields = ["person", "region", "registered_by"]
    search_fields = ["person__name"]


@admin.register(Employment)
class EmploymentAdmin(ScopedReadOnly):
    scoped = access.employments_for
    list_display = ["person", "region", "employed_on", "kind", "employer_name", "left_on"]
    list_filter = ["kind", "left_reason", "generated"]
    raw_id_fields = ["person", "region", "employer", "ends", "registered_by"]


@admin.register(Employer)
class EmployerAdmin(ScopedReadOnly):
    scoped = access.employers_for
    list_display = ["name", "region", "industry", "internship_base"]
    raw_id_fields = ["region", "organisation"]
    search_fields = ["name"]


@admin.register(Vacancy)
class VacancyAdmin(ScopedReadOnly):
    scoped = access.vacancies_for
    list_display = ["title", "employer", "kind", "positions", "posted_on", "public"]
    list_filter = ["kind", "public"]
    raw_id_fields = ["employer", "region"]


@admin.register(Event)
class EventAdmin(ScopedReadOnly):
    scoped = access.events_for
    list_display = ["name", "kind", "held_on", "visitors", "agreements"]
    raw_id_fields = ["region"]
    filter_horizontal = ["employers"]


@admin.register(Referral)
class ReferralAdmin(ScopedReadOnly):
    scoped = access.referrals_for
    list_display = ["person", "vacancy", "referred_on", "status"]
    list_filter = ["status"]
    raw_id_fields = ["person", "region", "vacancy", "event"]


@admin.register(Internship)
class InternshipAdmin(ScopedReadOnly):
    scoped = access.internships_for
    list_display = ["person", "host", "basis", "starts_on", "months", "ended_on", "retained"]
    raw_id_fields = ["person", "region", "host", "vacancy"]


@admin.register(Course)
class CourseAdmin(ScopedReadOnly):
    scoped = access.courses_for
    list_display = ["name", "occupation", "provider", "starts_on", "ends_on", "hours"]
    raw_id_fields = ["region"]


@admin.register(Enrolment)
class EnrolmentAdmin(ScopedReadOnly):
    scoped = access.enrolments_for
    list_display = ["person", "course", "completed", "certificate", "subsidy"]
    raw_id_fields = ["person", "course", "region"]


@admin.register(LocalRate)
class LocalRateAdmin(admin.ModelAdmin):
    list_display = ["region", "valid_from", "minimum_wage", "subsidy_share", "retained_share"]

    def has_module_permission(self, request):
        return admin_allowed(request)

    def has_view_permission(self, request, obj=None):
        return admin_allowed(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    has_delete_permission = has_change_permission
