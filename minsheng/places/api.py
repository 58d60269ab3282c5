"""JSON API for places under /api/. Every queryset comes from places/scope.py; writes go through
places/actions.py, which checks the editing right over the source and the target region and audits
(the serializers refuse a target region outside it first, as a field error)."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from minsheng.accounts.masking import PERSONAL_FIELDS, can_unmask, mask, personal_values
from minsheng.lib.validators import MULTI_LINE, SINGLE_LINE
from minsheng.places import actions, geometry, hooks, scope
from minsheng.places.models import (
    NO_COMMITTEE_HEAD,
    Compound,
    Facility,
    Grid,
    Organisation,
    Region,
    code_prefix,
)


class MaskedSerializer(serializers.ModelSerializer):
    """Personal fields are always serialised masked; /personal/ returns them unmasked (audited)."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for name in PERSONAL_FIELDS.get(instance._meta.label_lower, ()):
            if name in data:
                data[name] = mask(data[name])
        return data

    def get_fields(self):
        # Related choices are limited to the user's scope, so no id outside it can be linked.
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        limits = {
            "region": scope.regions_for, "grid": scope.grids_for,
            "property_company": scope.organisations_for,
        }
        for name, fn in limits.items():
            f = fields.get(name)
            if f is not None and not f.read_only and user is not None:
                f.queryset = fn(user)
        # No control characters in text (they break the Excel exports); line breaks only where
        # the model keeps multi-line text.
        for name, f in fields.items():
            if isinstance(f, serializers.CharField) and not f.read_only:
                model_field = self._model_field(f.source or name)
                f.validators.append(MULTI_LINE if isinstance(model_field, models.TextField)
                                    else SINGLE_LINE)
        return fields

    def to_internal_value(self, data):
        # DRF's CharField turns a JSON number into text; the schema says string, so refuse it
        if hasattr(data, "items") and not hasattr(data, "getlist"):
            message = str(serializers.CharField.default_error_messages["invalid"])
            bad = {name: [message] for name, f in self.fields.items()
                   if isinstance(f, serializers.CharField) and not f.read_only
                   and data.get(name) is not None and not isinstance(data.get(name), str)}
            # a control character in what names another row (region, grid, company) or a
            # choice is refused here, before it reaches a query (PostgreSQL refuses NUL: a 500)
            for name, f in self.fields.items():
                value = data.get(name)
                if f.read_only or isinstance(f, serializers.CharField) or not isinstance(
                        value, str):
                    continue
                try:
                    SINGLE_LINE(value)
                except DjangoValidationError as e:
                    bad[name] = list(e.messages)
            if bad:
                raise ValidationError(bad)
        return super().to_internal_value(data)

    def _model_field(self, name: str):
        try:
            return self.Meta.model._meta.get_field(name)
        except FieldDoesNotExist:  # a serializer-only field
            return None

    def validate_region(self, region):
        user = self.context["request"].user
        if not scope.can_edit(user, region.code):
            raise ValidationError(_("您无权在“%(name)s”登记或修改地点。") % {"name": region.name})
        return region

    def validate_boundary(self, value):
        """Grids' and compounds' outlines: the one outline validator (places.geometry, as the
        GeoJSON import), near the outline of the region sent (or kept, on PATCH)."""
        if value is None:
            return None
        code = self.initial_data.get("region") if isinstance(self.initial_data, dict) else None
        code = str(code) if code is not None else getattr(self.instance, "region_id", None)
        try:
            return geometry.check_outline(value, parent=geometry.region_outline(code))[0]
        except geometry.GeometryError as e:
            raise ValidationError(str(e)) from None


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "lat", "lng", "geometry_generated"]


class GridSerializer(MaskedSerializer):
    class Meta:
        model = Grid
        fields = ["id", "name", "region", "boundary", "worker", "generated"]
        read_only_fields = ["generated"]


class CompoundSerializer(MaskedSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    property_status_display = serializers.CharField(
        source="get_property_status_display", read_only=True)

    class Meta:
        model = Compound
        fields = [
            "id", "name", "region", "region_name", "grid", "address", "lat", "lng", "boundary",
            "year_built", "buildings", "households", "population", "property_status",
            "property_status_display", "property_company", "committee", "committee_head",
            "committee_head_phone", "head_is_party_secretary", "is_old", "renovation_class",
            "smart_safety", "generated", "osm_id",
        ]
        read_only_fields = ["generated", "osm_id"]

    def validate(self, attrs):
        company = attrs.get("property_company")
        status = attrs.get("property_status", getattr(self.instance, "property_status", None))
        if company is not None and company.kind != Organisation.Kind.PROPERTY_COMPANY:
            raise ValidationError({"property_company": _("所选组织不是物业服务企业。")})
        if status == Compound.PropertyStatus.COMPANY and company is None and (
            self.instance is None or self.instance.property_company_id is None
        ):
            raise ValidationError({"property_company": _("物业管理状态为“物业公司”时须填写物业服务企业。")})
        grid = attrs.get("grid")
        region = attrs.get("region", getattr(self.instance, "region", None))
        if grid is not None and region is not None and grid.region_id != region.code:
            raise ValidationError({"grid": _("网格不属于该小区所在的社区。")})
        committee = attrs.get("committee", getattr(self.instance, "committee", ""))
        if attrs.get("head_is_party_secretary", getattr(
                self.instance, "head_is_party_secretary", False)) and not committee:
            raise ValidationError({"head_is_party_secretary": NO_COMMITTEE_HEAD})
        # what other apps' records hold over the compound (governance: registry, committees)
        if self.instance is not None:
            problems = hooks.compound_problems(self.instance, attrs)
            if problems:
                raise ValidationError(problems)
        return attrs


class FacilitySerializer(MaskedSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)

    class Meta:
        model = Facility
        fields = [
            "id", "name", "category", "category_name", "region", "address", "lat", "lng",
            "capacity", "opening_hours", "signed_service_point", "generated", "osm_id",
        ]
        read_only_fields = ["generated", "osm_id"]


class OrganisationSerializer(MaskedSerializer):
    class Meta:
        model = Organisation
        fields = [
            "id", "name", "kind", "region", "credit_code", "address", "contact_person",
            "contact_phone", "generated",
        ]
        read_only_fields = ["generated"]


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0), anything else refused (400); django-filter's own ignores it and
    answers the unfiltered list."""

    widget = forms.TextInput
    default_error_messages = {"invalid": forms.ChoiceField.default_error_messages["invalid_choice"]}

    def to_python(self, value):
        if value in (None, ""):
            return None
        word = str(value).strip().lower()
        if word in ("true", "1"):
            return True
        if word in ("false", "0"):
            return False
        raise DjangoValidationError(self.error_messages["invalid"], code="invalid",
                                    params={"value": str(value)[:50]})


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class RegionFilter(django_filters.FilterSet):
    FILTER_DEFAULTS = {**django_filters.filterset.FILTER_FOR_DBFIELD_DEFAULTS,
                       models.BooleanField: {"filter_class": StrictBooleanFilter}}

    within = django_filters.CharFilter(method="filter_within", label="区划代码（含下级）")

    def filter_within(self, qs, name, value):
        return qs.in_region(value) if hasattr(qs, "in_region") else qs.filter(
            code__startswith=value)


class CompoundFilter(RegionFilter):
    class Meta:
        model = Compound
        fields = ["property_status", "is_old", "renovation_class", "smart_safety", "committee",
                  "head_is_party_secretary", "region", "grid", "property_company"]


class FacilityFilter(RegionFilter):
    class Meta:
        model = Facility
        fields = ["category", "signed_service_point", "region"]


class OrganisationFilter(RegionFilter):
    class Meta:
        model = Organisation
        fields = ["kind", "region"]


class GridFilter(RegionFilter):
    class Meta:
        model = Grid
        fields = ["region", "worker"]


class RegionListFilter(django_filters.FilterSet):
    within = django_filters.CharFilter(method="filter_within", label="区划代码（含下级）")

    def filter_within(self, qs, name, value):
        return qs.filter(code__startswith=code_prefix(value.ljust(12, "0")))

    class Meta:
        model = Region
        fields = ["level", "parent"]


PERSONAL = {"type": "object", "description": "个人信息字段名 → 明文（没有个人信息字段时为空）",
            "additionalProperties": {"type": "string", "nullable": True}}


class ScopedViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """List/detail/create/update; the queryset is the user's scope, writes need EDIT_PLACES there."""

    scoped = None  # a function from places/scope.py

    def get_queryset(self):
        return type(self).scoped(self.request.user)

    def perform_create(self, serializer):
        self.save_place(serializer, None)

    def perform_update(self, serializer):
        self.save_place(serializer, serializer.instance)

    def save_place(self, serializer, instance):
        """Save through places.actions (which checks the editing right over the record's region
        and the one it moves to, and audits); the response shows the saved row."""
        try:
            serializer.instance = actions.do_save_place(
                self.request.user, serializer.Meta.model, dict(serializer.validated_data),
                instance=instance, source="api", request=self.request)
        except DjangoPermissionDenied as e:
            raise PermissionDenied(str(e)) from e
        except IntegrityError as e:
            raise ValidationError({"name": _("同一区划内已有同名记录。")}) from e

    @extend_schema(description="个人信息字段（明文）。需要查看个人信息的权限，每次访问写入审计日志。",
                   responses={200: PERSONAL})
    @action(detail=True, methods=["get"])
    def personal(self, request, pk=None, format=None):
        obj = self.get_object()
        if not PERSONAL_FIELDS.get(obj._meta.label_lower):
            return Response({})
        if not can_unmask(request.user, obj.region_id):
            raise PermissionDenied(_("您的角色无权查看个人信息。"))
        return Response(personal_values(request.user, obj, unmask=True, request=request))


@extend_schema_view(retrieve=extend_schema(parameters=[OpenApiParameter(
    "id", str, OpenApiParameter.PATH, description="12 位区划代码")]))
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RegionSerializer
    filterset_class = RegionListFilter
    search_fields = ["name", "code"]

    def get_queryset(self):
        return scope.regions_for(self.request.user)


class CompoundViewSet(ScopedViewSet):
    scoped = scope.compounds_for
    serializer_class = CompoundSerializer
    filterset_class = CompoundFilter
    search_fields = ["name", "address"]
    ordering_fields = ["name", "population", "households", "year_built", "region"]


class FacilityViewSet(ScopedViewSet):
    scoped = scope.facilities_for
    serializer_class = FacilitySerializer
    filterset_class = FacilityFilter
    search_fields = ["name", "address"]
    ordering_fields = ["name", "category", "region"]


class OrganisationViewSet(ScopedViewSet):
    scoped = scope.organisations_for
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    search_fields = ["name"]


class GridViewSet(ScopedViewSet):
    scoped = scope.grids_for
    serializer_class = GridSerializer
    filterset_class = GridFilter
    search_fields = ["name"]


ERROR = {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}
FIELD_ERRORS = {"type": "object", "description": "字段名 → 错误信息列表（non_field_errors：整体错误）",
                "additionalProperties": {"oneOf": [{"type": "array", "items": {"type": "string"}},
                                                   {"type": "object"}, {"type": "string"}]}}
# DRF answers a refusal that names no field (ValidationError("…")) as a bare list of messages
REFUSAL = {"oneOf": [{"$ref": "#/components/schemas/FieldErrors"},
                     {"type": "array", "items": {"type": "string"}}]}
# What any operation of the API may answer beside its success, documented once for all:
# 400 a parameter, filter or field the API refuses; 403 not signed in or without the right;
# 404 outside the user's scope (the same as missing), or a page past the end.
ERRORS = {
    "400": ("请求有误：字段、过滤参数或分页参数无效", "Refusal"),
    "403": ("未登录，或没有这项操作的权限", "Error"),
    "404": ("不存在或不在您的管辖范围内（二者不加区分）", "Error"),
}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook (settings.SPECTACULAR_SETTINGS): every operation
    documents the error answers DRF gives (ERRORS) with their bodies."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("FieldErrors", FIELD_ERRORS)
    schemas.setdefault("Refusal", REFUSAL)
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status, (description, name) in ERRORS.items():
                responses.setdefault(status, {
                    "description": description,
                    "content": {"application/json": {
                        "schema": {"$ref": f"#/components/schemas/{name}"}}}})
    return result


router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("compounds", CompoundViewSet, basename="compound")
router.register("facilities", FacilityViewSet, basename="facility")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("grids", GridViewSet, basename="grid")

@csrf_exempt  # writes nothing: any method gets the same JSON 404
def not_found(request, rest=""):
    """A path under /api/ that names no endpoint (e.g. /api/grids/0.5/) answers like the API's
    own 404s, in JSON, not with the site's HTML page."""
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)


urlpatterns = [path("", include(router.urls)),
               re_path(r"^(?P<rest>.*)$", not_found, name="api-not-found")]
