"""The only writers of places: do_* functions, atomic and audited.

Compounds, facilities, organisations and grids are created and changed here, whichever surface
asks (the compound form, the JSON API, the back office). Each `do_save_*`:

- checks the editing right (`EDIT_PLACES` through `scope.can_edit`) over the region the record is
  in now and over the region it goes to, and raises `PermissionDenied` (with a message a page can
  show) before anything is written;
- saves only the fields that changed (`update_fields`);
- writes one `AuditLog` row (create or update) naming the changed fields, old → new for plain
  fields; personal fields (`masking.PERSONAL_FIELDS`) and geometries are named, never their values.
  An update that changes nothing writes nothing.

Callers validate first (ModelForm, serializer): these functions take already clean values
(model instances for foreign keys) and leave the unique constraints to the database, so a
duplicate name arrives as `IntegrityError`. Imports write in bulk and are audited once per file
(exchange.py); regions come from the statistical code list and are not edited here.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.places import scope
from minsheng.places.locate import invalidate
from minsheng.places.models import Compound, Facility, Grid, Organisation, Region, StreetNetwork

__all__ = [
    "SOURCE_LABELS",
    "do_save_compound",
    "do_save_facility",
    "do_save_grid",
    "do_save_organisation",
    "do_save_place",
    "do_save_street_network",
]

Place = TypeVar("Place", Compound, Facility, Organisation, Grid)

# The surfaces that call do_save_*, as the audit detail names them; other sources are shown as given.
SOURCE_LABELS = {"form": "页面表单", "api": "接口", "admin": "后台"}

PLACE_MODELS = (Compound, Facility, Organisation, Grid)
VALUE_WIDTH = 40  # longer values are cut in the audit detail
FIELDS_WIDTH = 200  # AuditLog.fields


@transaction.atomic
def do_save_street_network(district: Region, lines: list, *, source: str, name: str,
                           generated: bool = False, user=None) -> StreetNetwork:
    """Store the district's walking network (polylines of [lng, lat] WGS-84 positions), replacing
    its earlier one of the same kind: a district keeps one real network and one generated one.
    Saving renews the network's stamp (`created`), which is what the life circle's graph cache
    (minsheng.lifecircle.services.graph_for) keys on. Used by the OSM sample builder and the
    life circle's network import."""
    net = (StreetNetwork.objects.select_for_update().filter(region=district, generated=generated)
           .order_by("pk").first())
    if net is None:
        net = StreetNetwork(region=district, generated=generated)
    net.name = name[:100]
    net.source = source[:200]
    net.geometry = {"type": "MultiLineString", "coordinates": lines}
    net.save()
    masking.log(user, AuditLog.Action.IMPORT, net, region_code=district.code,
                detail=f"路网：{len(lines)} 段道路；来源：{net.source}")
    return net


def do_save_compound(user, data: dict[str, Any], *, compound: Compound | None = None,
                     source: str, request=None) -> Compound:
    """Create a compound (`compound=None`) or change the given one from clean `data`."""
    return do_save_place(user, Compound, data, instance=compound, source=source, request=request)


def do_save_facility(user, data: dict[str, Any], *, facility: Facility | None = None,
                     source: str, request=None) -> Facility:
    """Create a facility (`facility=None`) or change the given one from clean `data`."""
    return do_save_place(user, Facility, data, instance=facility, source=source, request=request)


def do_save_organisation(user, data: dict[str, Any], *, organisation: Organisation | None = None,
                         source: str, request=None) -> Organisation:
    """Create an organisation (`organisation=None`) or change the given one from clean `data`."""
    return do_save_place(user, Organisation, data, instance=organisation, source=source,
                         request=request)


def do_save_grid(user, data: dict[str, Any], *, grid: Grid | None = None, source: str,
                 request=None) -> Grid:
    """Create a grid (`grid=None`) or change the given one from clean `data`."""
    return do_save_place(user, Grid, data, instance=grid, source=source, request=request)


@transaction.atomic
def do_save_place(user, model: type[Place], data: dict[str, Any], *,
                  instance: Place | None = None, source: str, request=None) -> Place:
    """Create a `model` row (instance=None) or change `instance`'s row; the named do_save_* above
    are this for one model. `data` maps field names to clean values (model instances for foreign
    keys), e.g. a form's `cleaned_data` or a serializer's `validated_data`; only the keys given
    are set. The row is re-read (and locked) from the database, so an instance a ModelForm has
    already changed in memory is judged by what is stored. Returns the saved row."""
    if model not in PLACE_MODELS:
        raise TypeError(f"do_save_place does not write {model.__name__}")
    editable = editable_field_names(model)
    unknown = sorted(set(data) - editable)
    if unknown:
        raise ValueError(f"{model.__name__} has no editable field(s) {', '.join(unknown)}")
    if instance is None:
        obj = model()
    else:
        obj = model.objects.select_for_update().get(pk=instance.pk)
        if not scope.can_edit(user, obj.region_id):
            raise PermissionDenied(_("您无权修改此记录。"))
    region = data["region"] if "region" in data else getattr(obj, "region", None)
    if region is None:
        raise ValueError(f"a {model.__name__} needs a region")
    if not scope.can_edit(user, region.code):
        raise PermissionDenied(
            _("您无权在“%(name)s”登记或修改地点。") % {"name": region.name})

    changes: list[tuple[models.Field, Any, Any]] = []
    for name, value in data.items():
        field = model._meta.get_field(name)
        old = getattr(obj, field.attname)
        new = value.pk if field.is_relation and value is not None else value
        if old != new:  # on creation: differs from the field's default
            changes.append((field, old, new))
        setattr(obj, name, value)
    if instance is None:
        obj.save()
        action = AuditLog.Action.CREATE
    elif changes:
        obj.save(update_fields=[f.name for f, _old, _new in changes])
        action = AuditLog.Action.UPDATE
    else:
        return obj
    creating = instance is None
    if model is Grid and (creating or any(f.name in ("boundary", "region") for f, _o, _n in changes)):
        invalidate()  # point → grid (places.locate) must see the new outline
    masking.log(user, action, obj, region_code=obj.region_id, request=request,
                fields=",".join(f.name for f, _old, _new in changes)[:FIELDS_WIDTH],
                detail=audit_detail(obj, changes, creating=creating, source=source))
    return obj


def editable_field_names(model: type[models.Model]) -> set[str]:
    """The fields do_save_place may set: every stored, editable field but the primary key."""
    return {f.name for f in model._meta.concrete_fields if f.editable and not f.primary_key}


def audit_detail(obj: models.Model, changes: list[tuple[models.Field, Any, Any]], *,
                 creating: bool, source: str) -> str:
    """'修改小区“幸福里”（接口）：户数 120 → 130；主任联系电话（个人信息，内容不记录）', in the
    site's language whatever the user's; on creation the values that differ from the defaults."""
    personal = masking.PERSONAL_FIELDS.get(obj._meta.label_lower, ())
    with translation.override(settings.LANGUAGE_CODE):
        parts = []
        for field, old, new in changes:
            label = str(field.verbose_name)
            if field.name in personal:
                parts.append(_("%(label)s（个人信息，内容不记录）") % {"label": label})
            elif isinstance(field, models.JSONField):
                parts.append(_("%(label)s（几何，内容不记录）") % {"label": label})
            elif creating:
                parts.append(f"{label} {shown(field, new)}")
            else:
                parts.append(f"{label} {shown(field, old)} → {shown(field, new)}")
        verb = _("新建") if creating else _("修改")
        head = f"{verb}{obj._meta.verbose_name}“{obj}”（{SOURCE_LABELS.get(source, source)}）"
    return head + "：" + "；".join(parts) if parts else head


def shown(field: models.Field, value: Any) -> str:
    """A field's value as the audit detail writes it: choices by label, foreign keys by key."""
    if value is None or value == "":
        return _("（空）")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field.choices:
        value = dict(field.flatchoices).get(value, value)
    text = str(value)
    return text if len(text) <= VALUE_WIDTH else text[:VALUE_WIDTH - 1] + "…"
