"""The life circle's forms: the network upload and the siting analysis."""

from __future__ import annotations

import json
import math
from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minsheng.lib.validators import InputChecked
from minsheng.places.models import FacilityCategory

MAX_K = 50
MAX_VACANT = 200


class NetworkForm(InputChecked, forms.Form):
    file = forms.FileField(label=gettext_lazy("OpenStreetMap 文件（.osm / .osm.pbf）"))
    with_places = forms.BooleanField(
        label=gettext_lazy("同时导入文件中的小区（有名称的居住区）和设施"), required=False,
        help_text=gettext_lazy("用于没有登记小区和设施的区县；已登记的数据不会被删除。"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".osm", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz")):
            raise forms.ValidationError(_("请上传 OpenStreetMap 文件（.osm 或 .osm.pbf）。"))
        return f


class CategoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj: FacilityCategory) -> str:
        return _("%(name)s（%(m)s 米，%(lv)s 分钟圈）") % {"name": obj.label, "m": obj.distance_m,
                                                        "lv": obj.level}


class SitingForm(InputChecked, forms.Form):
    category = CategoryField(FacilityCategory.objects.order_by("order", "code"),
                             label=gettext_lazy("设施类别"), empty_label=None)
    k = forms.IntegerField(
        label=gettext_lazy("新增网点数"), min_value=1, max_value=MAX_K, required=False,
        error_messages={"min_value": gettext_lazy("新增网点数至少为 1。"),
                        "max_value": gettext_lazy("新增网点数最多为 %(limit_value)s。"),
                        "invalid": gettext_lazy("新增网点数应为整数。")})
    budget = forms.DecimalField(
        label=gettext_lazy("预算（万元）"), min_value=Decimal(0), max_digits=12, decimal_places=2,
        required=False, error_messages={"invalid": gettext_lazy("预算应为数字。"),
                                        "min_value": gettext_lazy("预算不能为负数。")})
    unit_cost = forms.DecimalField(
        label=gettext_lazy("单点造价（万元）"), min_value=Decimal("0.01"), max_digits=12,
        decimal_places=2, required=False,
        error_messages={"invalid": gettext_lazy("单点造价应为数字。"),
                        "min_value": gettext_lazy("单点造价应大于 0。")})
    candidates = forms.MultipleChoiceField(
        label=gettext_lazy("候选地点"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[("facility", gettext_lazy("其他类别的现有设施（合建）")),
                 ("compound", gettext_lazy("小区中心点")),
                 ("vacant", gettext_lazy("地图上标注的空地"))])
    vacant = forms.CharField(required=False, widget=forms.HiddenInput)
    method = forms.ChoiceField(
        label=gettext_lazy("求解方法"), initial="auto",
        choices=[("auto", gettext_lazy("自动（精确求解，超时改用贪心）")),
                 ("milp", gettext_lazy("精确求解（HiGHS）")), ("greedy", gettext_lazy("贪心算法"))])

    def clean_vacant(self) -> list[list[float]]:
        raw = (self.cleaned_data.get("vacant") or "").strip()
        if not raw:
            return []
        try:
            pts = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("空地坐标格式有误，应为 [[经度, 纬度], …]。")) from None
        if not isinstance(pts, list) or len(pts) > MAX_VACANT:
            raise forms.ValidationError(
                _("空地坐标应为 [[经度, 纬度], …]，最多 %(n)s 处。") % {"n": MAX_VACANT})
        out = []
        for p in pts:
            ok = isinstance(p, list | tuple) and len(p) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in p)
            if not ok or not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
                raise forms.ValidationError(_("空地坐标有误：%(p)s") % {"p": json.dumps(p)[:60]})
            out.append([round(float(p[0]), 7), round(float(p[1]), 7)])
        return out

    def clean(self):
        d = super().clean()
        budget, unit = d.get("budget"), d.get("unit_cost")
        if self.errors:
            return d
        if budget is not None:
            if unit is None:
                self.add_error("unit_cost", _("按预算测算时请填写单点造价。"))
                return d
            n = int(budget // unit)
            if n < 1:
                self.add_error("budget", _("预算 %(b)s 万元不足以建设一处（单点造价 %(u)s 万元）。")
                               % {"b": budget, "u": unit})
            elif n > MAX_K:
                self.add_error("budget", _("按预算可建 %(n)s 处，超过一次最多 %(max)s 处，请减少预算或"
                                           "提高单点造价。") % {"n": n, "max": MAX_K})
            else:
                d["k"] = n
                d["k_from_budget"] = True
        elif d.get("k") is None:
            self.add_error("k", _("请填写新增网点数，或填写预算和单点造价。"))
        return d
