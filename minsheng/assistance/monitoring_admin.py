"""Back office of 防返贫 monitoring: scoped like the pages (monitoring_access), read-only — every
change goes through monitoring.do_* on the pages, which check the step's level and audit. A
threshold may be added (through do_add_threshold) by whoever manages monitoring in its region;
a rule in force is replaced by a newer dated one, never edited."""

from __future__ import annotations

from django.contrib import admin

from minsheng.assistance import monitoring
from minsheng.assistance import monitoring_access as access
from minsheng.assistance.monitoring_models import (
    Alert,
    Measure,
    MonitoringCase,
    MonitoringThreshold,
    RemovalReview,
)
from minsheng.places.admin import ReadOnlyScopedAdmin, admin_allowed
from minsheng.places.models import Region

ReadOnlyScoped = ReadOnlyScopedAdmin  # the back office's one read-only shape (places.admin)


@admin.register(MonitoringCase)
class MonitoringCaseAdmin(ReadOnlyScoped):
    list_display = ["household", "region", "state", "category", "opened_on", "identified_on"]
    list_filter = ["state", "category"]
    exclude = ["per_capita_income"]  # personal: on the record's page, unmasked on request

    def get_queryset(self, request):
        return access.cases_for(request.user)


@admin.register(Alert)
class AlertAdmin(ReadOnlyScoped):
    list_display = ["household", "region", "channel", "risk", "received_at", "due_at", "state"]
    list_filter = ["state", "channel", "risk"]

    def get_queryset(self, request):
        return access.alerts_for(request.user)


@admin.register(Measure)
class MeasureAdmin(ReadOnlyScoped):
    list_display = ["case", "kind", "start_date", "end_date"]

    def get_queryset(self, request):
        return Measure.objects.filter(case__in=access.cases_for(request.user))


@admin.register(RemovalReview)
class RemovalReviewAdmin(ReadOnlyScoped):
    list_display = ["case", "reviewed_on", "passed", "months_monitored", "measures"]
    exclude = ["per_capita_income"]

    def get_queryset(self, request):
        return RemovalReview.objects.filter(case__in=access.cases_for(request.user))


@admin.register(MonitoringThreshold)
class MonitoringThresholdAdmin(ReadOnlyScoped):
    list_display = ["region", "kind", "amount", "valid_from", "valid_to", "verified", "source"]
    list_filter = ["kind", "verified"]
    fields = ["region", "kind", "amount", "valid_from", "valid_to", "source", "verified"]

    def get_queryset(self, request):
        return access.thresholds_for(request.user)

    def has_add_permission(self, request):
        return admin_allowed(request) and access.can_manage(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region" and not request.user.is_superuser:
            prefixes = access.prefixes_with(request.user, "manage_monitoring")
            kwargs["queryset"] = Region.objects.filter(access._q(prefixes, "code"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class Checked(form):
            """The same rules as the thresholds pages (monitoring.check_threshold): positive,
            dates in order, no overlap — a form error, not a failed save."""

            def clean(self):
                data = super().clean()
                if not self.errors:
                    monitoring.check_threshold(**{
                        k: data.get(k) for k in ("region", "kind", "amount", "valid_from",
                                                 "valid_to", "source")})
                return data
        return Checked

    def save_model(self, request, obj, form, change):
        saved = monitoring.do_add_threshold(request.user, **{
            k: form.cleaned_data[k] for k in self.fields})
        obj.pk = saved.pk
