"""Back office for cases. The case types and their clocks are one catalogue for every district:
only the system administrator edits them. Routing rules and Open311 keys belong to a district:
a district administrator (MANAGE_USERS) sees and edits those of their own regions only, a rule's
prefix and organisation and a key's organisation must lie there. Cases are read-only here (their
state changes only through the workflow, with events)."""

from __future__ import annotations

import secrets

from django.contrib import admin, messages
from django.db.models import BooleanField, Q, When
from django.db.models import Case as DbCase
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minsheng.accounts.roles import MANAGE_USERS
from minsheng.cases.access import cases_for
from minsheng.cases.devices import offline_q
from minsheng.cases.models import (
    Alarm,
    ApiKey,
    Case,
    CaseType,
    Device,
    DeviceKey,
    DeviceSilence,
    Holiday,
    RoutingRule,
)
from minsheng.places.admin import (
    CheckedFormAdmin,
    GlobalConfigAdmin,
    admin_allowed,
    holds,
    organisations_with,
    within_q,
)
from minsheng.places.scope import scope_of


class DistrictConfigAdmin(CheckedFormAdmin):
    """A district's own configuration: read and edited by its administrators."""

    def _district_admin(self, request) -> bool:
        return admin_allowed(request) and scope_of(request.user).has_right(MANAGE_USERS)

    def has_module_permission(self, request):
        return self._district_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._district_admin(request)

    def has_add_permission(self, request):
        return self._district_admin(request)

    def has_change_permission(self, request, obj=None):
        return self._district_admin(request) and (obj is None or self.owns(request, obj))

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def owns(self, request, obj) -> bool:
        raise NotImplementedError

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation" and not request.user.is_superuser:
            kwargs["queryset"] = organisations_with(request.user, MANAGE_USERS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def organisation_refusal(self, request, organisation, *, required: bool) -> dict:
        if request.user.is_superuser:
            return {}
        if organisation is None:
            return {"organisation": _("请选择本人管辖区划内的组织机构。")} if required else {}
        if not holds(request.user, MANAGE_USERS, organisation.region_id):
            return {"organisation": _("只能选择本人管辖区划内的组织机构。")}
        return {}


@admin.register(CaseType)
class CaseTypeAdmin(GlobalConfigAdmin):
    list_display = ["code", "name", "group", "handler_kind", "priority", "accept_work_hours",
                    "resolve_work_days", "mediation", "public", "active"]
    list_filter = ["group", "handler_kind", "priority", "active"]
    list_editable = ["priority", "accept_work_hours", "resolve_work_days", "active"]


@admin.register(Holiday)
class HolidayAdmin(GlobalConfigAdmin):
    """The working calendar (national holidays and 调休 days; each year ships as data with its
    source, and the loader never overwrites what is edited here)."""

    list_display = ["date", "kind", "name", "year", "source"]
    list_filter = ["year", "kind"]
    date_hierarchy = "date"


@admin.register(RoutingRule)
class RoutingRuleAdmin(DistrictConfigAdmin):
    list_display = ["case_type", "region_prefix", "organisation"]
    list_filter = ["case_type"]
    raw_id_fields = ["organisation"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(
            within_q(request.user, MANAGE_USERS, "region_prefix")).select_related(
            "case_type", "organisation")

    def owns(self, request, obj) -> bool:
        return holds(request.user, MANAGE_USERS, obj.region_prefix)

    def refusals(self, request, data):
        out = self.organisation_refusal(request, data.get("organisation"), required=True)
        prefix = data.get("region_prefix")
        if prefix is not None and not (prefix.isdigit() and holds(request.user, MANAGE_USERS,
                                                                   prefix)):
            out["region_prefix"] = _("区划代码前缀须在本人管辖的区划内。")
        return out


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


class IssuedKeyAdmin(DistrictConfigAdmin):
    """A key is made here, not typed: on adding, a random key is drawn, only its SHA-256 is
    stored, and the key itself is shown once to the administrator who issued it (who hands it
    to the client or the device's operator); it cannot be read back later, only replaced."""

    list_display = ["name", "organisation", "active", "created_at"]
    exclude = ["digest"]

    def save_model(self, request, obj, form, change):
        raw = None
        if not change:
            raw = secrets.token_urlsafe(24)
            obj.digest = type(obj).hash(raw)
        super().save_model(request, obj, form, change)
        if raw:
            messages.warning(request, _("新密钥（只显示这一次，请立即交给使用方妥善保存）：%(key)s")
                             % {"key": raw})

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("organisation")
        if request.user.is_superuser:
            return qs
        return qs.filter(Q(organisation__isnull=False) & within_q(
            request.user, MANAGE_USERS, "organisation__region__code"))

    def owns(self, request, obj) -> bool:
        if obj.organisation_id is None:
            return request.user.is_superuser
        return holds(request.user, MANAGE_USERS, obj.organisation.region_id)

    def refusals(self, request, data):
        return self.organisation_refusal(request, data.get("organisation"), required=True)


@admin.register(ApiKey)
class ApiKeyAdmin(IssuedKeyAdmin):
    """A key files cases for its organisation through Open311; a key without one (the demo
    client's) is the system administrator's."""


@admin.register(DeviceKey)
class DeviceKeyAdmin(IssuedKeyAdmin):
    """A key lets its organisation's devices post alarms (`/api/devices/alarms/`)."""


@admin.register(Device)
class DeviceAdmin(DistrictConfigAdmin):
    """A smart-community device of a compound, operated by an organisation of the district; its
    alarm types map to case types (an alarm type mapped to nothing is recorded only)."""

    list_display = ["code", "name", "kind", "compound", "organisation", "active", "last_seen_at",
                    "is_offline"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["compound"]
    readonly_fields = ["last_seen_at"]

    @admin.display(description=gettext_lazy("离线"), boolean=True, ordering="offline")
    def is_offline(self, obj) -> bool:
        return obj.offline

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("organisation", "compound").annotate(
            offline=DbCase(When(offline_q(), active=True, then=True), default=False,
                           output_field=BooleanField()))
        if request.user.is_superuser:
            return qs
        return qs.filter(within_q(request.user, MANAGE_USERS, "compound__region__code"))

    def owns(self, request, obj) -> bool:
        return request.user.is_superuser or holds(request.user, MANAGE_USERS,
                                                  obj.compound.region_id)

    def refusals(self, request, data):
        out = self.organisation_refusal(request, data.get("organisation"), required=True)
        compound = data.get("compound")
        if compound is not None and not request.user.is_superuser and not holds(
                request.user, MANAGE_USERS, compound.region_id):
            out["compound"] = _("只能选择本人管辖区划内的小区。")
        mapping = data.get("alarm_types")
        if mapping is not None:
            known = set(CaseType.objects.values_list("code", flat=True))
            if not isinstance(mapping, dict) or any(
                    not isinstance(k, str) or not isinstance(v, str | type(None))
                    or (v and v not in known) for k, v in mapping.items()):
                out["alarm_types"] = _("告警类型须写成 {\"告警类型\": \"诉求类别代码\"}，类别代码须已存在。")
        return out


@admin.register(DeviceSilence)
class DeviceSilenceAdmin(GlobalConfigAdmin):
    """How long each kind of device may stay silent before it counts as offline (one setting for
    every district; a kind without a row uses the default)."""

    list_display = ["kind", "minutes"]
    list_editable = ["minutes"]


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    """Alarms as the devices sent them (a burst is one row with its count): read-only, within
    the reader's district."""

    list_display = ["device", "alarm_type", "first_at", "last_at", "count", "case"]
    list_filter = ["alarm_type"]
    date_hierarchy = "first_at"

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("device", "case")
        if request.user.is_superuser:
            return qs
        return qs.filter(within_q(request.user, MANAGE_USERS, "device__compound__region__code"))

    def has_module_permission(self, request):
        return admin_allowed(request) and (request.user.is_superuser
                                           or scope_of(request.user).has_right(MANAGE_USERS))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
