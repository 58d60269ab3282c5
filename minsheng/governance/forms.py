from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minsheng.accounts.masking import mask
from minsheng.governance.models import (
    Cadre,
    CommitteeMember,
    Election,
    Inspection,
    Scheme,
    SchemeItem,
    TakeoverItem,
)
from minsheng.governance.takeovers import DEFAULTS
from minsheng.lib import widgets
from minsheng.lib.images import clean_image
from minsheng.lib.validators import MULTI_LINE, SINGLE_LINE, InputChecked
from minsheng.places.models import Compound, Organisation
from minsheng.projects.models import Project

SCORE_CHOICES = [(5, _("非常满意")), (4, _("满意")), (3, _("一般")), (2, _("不满意")),
                 (1, _("非常不满意"))]


class ObjectionForm(InputChecked, forms.Form):
    reason = forms.CharField(label=_("异议理由"), max_length=2000, widget=forms.Textarea,
                             validators=[MULTI_LINE])


class DecisionForm(InputChecked, forms.Form):
    decision = forms.ChoiceField(label=_("处理结果"), choices=[("upheld", _("异议成立，复核改分")),
                                                          ("rejected", _("异议不成立"))],
                                 widget=forms.RadioSelect)
    item = forms.ChoiceField(label=_("复核的考评项目"), required=False)
    value = forms.DecimalField(label=_("复核测得值（0–100）"), required=False, min_value=0,
                               max_value=100, max_digits=4, decimal_places=1)
    reason = forms.CharField(label=_("处理理由"), max_length=2000, widget=forms.Textarea,
                             validators=[MULTI_LINE])

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "—")] + [(i["code"], i["name"]) for i in items]


class PeriodForm(InputChecked, forms.Form):
    scheme = forms.IntegerField()
    period = forms.CharField(max_length=6, validators=[SINGLE_LINE])


class InspectionForm(InputChecked, forms.Form):
    """The checklist: one 0–100 score per inspection item of the scheme, photos, a note."""

    kind = forms.ChoiceField(label=_("方式"), choices=Inspection.Kind.choices)
    day = forms.DateField(label=_("检查日期"), widget=widgets.DateInput())
    note = forms.CharField(label=_("说明"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}), validators=[MULTI_LINE])
    photo = forms.FileField(label=_("照片"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*",
                                                                   "capture": "environment"}))

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        self.fields["day"].initial = timezone.localdate()
        for it in self.items:
            self.fields[f"item_{it.code}"] = forms.IntegerField(
                label=f"{it.name}（0—100）", min_value=0, max_value=100)

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("检查日期不能晚于今天"))
        return day

    def clean_photo(self):
        return clean_image(self.cleaned_data.get("photo"))

    def results(self) -> dict[str, int]:
        return {it.code: self.cleaned_data[f"item_{it.code}"] for it in self.items}


class SurveyForm(InputChecked, forms.Form):
    household = forms.CharField(label=_("楼栋-单元-门牌号"), max_length=40,
                                validators=[SINGLE_LINE],
                                help_text=_("例如 3-2-501；每户只能填写一次"))

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for it in self.items:
            self.fields[f"item_{it.code}"] = forms.TypedChoiceField(
                label=it.name, choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect)

    def answers(self) -> dict[str, int]:
        return {it.code: self.cleaned_data[f"item_{it.code}"] for it in self.items}


PHONE_RE = re.compile(r"[\d+\-() ]{7,30}")
MEMBER_ROWS = 9


class ElectionForm(InputChecked, forms.Form):
    """An election and the members it chose, one row each (empty rows are skipped)."""

    committee = forms.ChoiceField(label=_("业委会/物管会"),
                                  choices=Election._meta.get_field("committee").choices)
    held_on = forms.DateField(label=_("选举日期"), widget=widgets.DateInput())
    turnout = forms.DecimalField(label=_("参选率（%）"), min_value=0, max_value=100,
                                 max_digits=4, decimal_places=1)
    note = forms.CharField(label=_("说明"), max_length=200, required=False,
                           validators=[SINGLE_LINE])

    def __init__(self, *args, stored_phones: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # correcting a draft: its phones are shown masked, a masked one left as it is keeps
        # the stored number (masked → stored)
        self.stored_phones = stored_phones or {}
        self.fields["held_on"].initial = timezone.localdate()
        for i in range(1, MEMBER_ROWS + 1):
            self.fields[f"m{i}_name"] = forms.CharField(
                label=_("成员%(n)s 姓名") % {"n": i}, max_length=50, required=False,
                validators=[SINGLE_LINE])
            self.fields[f"m{i}_role"] = forms.ChoiceField(
                label=_("职务"), choices=CommitteeMember.Role.choices, required=False,
                initial=CommitteeMember.Role.CHAIR if i == 1 else CommitteeMember.Role.MEMBER)
            self.fields[f"m{i}_secretary"] = forms.BooleanField(label=_("小区党支部书记"),
                                                                required=False)
            self.fields[f"m{i}_phone"] = forms.CharField(
                label=_("联系电话"), max_length=30, required=False, validators=[SINGLE_LINE])

    def head(self):
        return [self[n] for n in ("committee", "held_on", "turnout", "note")]

    def rows(self):
        """The member rows' bound fields, for the template's table."""
        return [[self[f"m{i}_{f}"] for f in ("name", "role", "secretary", "phone")]
                for i in range(1, MEMBER_ROWS + 1)]

    def clean_held_on(self):
        day = self.cleaned_data["held_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("选举日期不能晚于今天"))
        return day

    def clean(self):
        d = super().clean()
        for i in range(1, MEMBER_ROWS + 1):
            phone = (d.get(f"m{i}_phone") or "").strip()
            if phone in self.stored_phones:
                phone = d[f"m{i}_phone"] = self.stored_phones[phone]
            if phone and not PHONE_RE.fullmatch(phone):
                self.add_error(f"m{i}_phone", _("应为电话号码（如 13812345678 或 0316-1234567）"))
            if phone and not (d.get(f"m{i}_name") or "").strip():
                self.add_error(f"m{i}_name", _("请填写该成员的姓名"))
        if not self.errors and not self.members():
            raise forms.ValidationError(_("请填写选出的成员"))
        return d

    def members(self) -> list[dict]:
        d = self.cleaned_data
        return [{"name": d[f"m{i}_name"].strip(),
                 "role": d[f"m{i}_role"] or CommitteeMember.Role.MEMBER,
                 "is_party_secretary": d[f"m{i}_secretary"],
                 "phone": (d.get(f"m{i}_phone") or "").strip()}
                for i in range(1, MEMBER_ROWS + 1) if (d.get(f"m{i}_name") or "").strip()]


class DayForm(InputChecked, forms.Form):
    """A date not in the future (an approval, a cadre's last day)."""

    on = forms.DateField(label=_("日期"), widget=widgets.DateInput())

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        if label:
            self.fields["on"].label = label

    def clean_on(self):
        day = self.cleaned_data["on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("日期不能晚于今天"))
        return day


class MemberEndForm(DayForm):
    """A member leaving mid-term: the first day out of office, the reason, a note."""

    reason = forms.ChoiceField(label=_("离任原因"), choices=CommitteeMember.Leaving.choices)
    note = forms.CharField(label=_("离任说明"), max_length=200, required=False,
                           validators=[SINGLE_LINE])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label=_("离任日期"), **kwargs)


class ReturnForm(InputChecked, forms.Form):
    """The street's reason for sending an election back to the community."""

    reason = forms.CharField(label=_("退回理由"), max_length=300, validators=[MULTI_LINE],
                             widget=forms.Textarea(attrs={"rows": 3}))


def election_initial(election: Election) -> dict:
    """An ElectionForm's values from a recorded election (to correct a draft), phones masked
    (ElectionForm's stored_phones)."""
    initial = {"committee": election.committee, "held_on": election.held_on,
               "turnout": election.turnout, "note": election.note}
    members = sorted(election.members.all(),
                     key=lambda m: (m.role != CommitteeMember.Role.CHAIR, m.pk))
    for i, m in enumerate(members[:MEMBER_ROWS], start=1):
        initial.update({f"m{i}_name": m.name, f"m{i}_role": m.role,
                        f"m{i}_secretary": m.is_party_secretary, f"m{i}_phone": mask(m.phone)})
    return initial


class CadreForm(InputChecked, forms.ModelForm):
    class Meta:
        model = Cadre
        fields = ["name", "unit", "full_time", "started_on"]
        widgets = {"started_on": widgets.DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["started_on"].initial = timezone.localdate()
        for name in ("name", "unit"):
            self.fields[name].validators.append(SINGLE_LINE)

    def clean_started_on(self):
        day = self.cleaned_data["started_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("下派日期不能晚于今天"))
        return day


ITEM_ROWS = 10
BAND_ROWS = 6


class SchemeForm(InputChecked, forms.Form):
    """A scheme: name, period, items (code, name, weight, source, metric) and grade bands (name,
    minimum), highest first; empty rows are skipped. Code and region only for a new scheme."""

    code = forms.SlugField(label=_("代码"), max_length=40,
                           help_text=_("字母、数字和连字符，如 property-2026；创建后不能修改"))
    region = forms.ChoiceField(label=_("发布区划"))
    name = forms.CharField(label=_("名称"), max_length=100, validators=[SINGLE_LINE])
    period = forms.ChoiceField(label=_("考评周期"), choices=Scheme.Period.choices)

    def __init__(self, *args, scheme: Scheme | None = None, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        if scheme is not None:
            del self.fields["code"], self.fields["region"]
            self.initial.update({"name": scheme.name, "period": scheme.period})
        else:
            self.fields["region"].choices = [(r.code, r.name) for r in regions]
        items = list(scheme.items.all()) if scheme is not None else []
        for i in range(ITEM_ROWS):
            it = items[i] if i < len(items) else None
            self.fields[f"i{i}_code"] = forms.SlugField(
                label=_("项目代码"), max_length=40, required=False,
                initial=it.code if it else "")
            self.fields[f"i{i}_name"] = forms.CharField(
                label=_("考评项目"), max_length=100, required=False, validators=[SINGLE_LINE],
                initial=it.name if it else "")
            self.fields[f"i{i}_weight"] = forms.DecimalField(
                label=_("分值"), required=False, min_value=0, max_value=100, max_digits=4,
                decimal_places=1, initial=it.weight if it else None)
            self.fields[f"i{i}_source"] = forms.ChoiceField(
                label=_("评分来源"), required=False,
                choices=[("", "—"), *SchemeItem.Source.choices],
                initial=it.source if it else "")
            self.fields[f"i{i}_metric"] = forms.ChoiceField(
                label=_("计算指标"), required=False,
                choices=[("", "—"), *SchemeItem.Metric.choices],
                initial=it.metric if it else "")
        bands = list(scheme.bands) if scheme is not None else [
            ["优秀", 90], ["良好", 80], ["合格", 60], ["不合格", 0]]
        for i in range(BAND_ROWS):
            b = bands[i] if i < len(bands) else None
            self.fields[f"b{i}_name"] = forms.CharField(
                label=_("等次"), max_length=10, required=False, validators=[SINGLE_LINE],
                initial=b[0] if b else "")
            self.fields[f"b{i}_min"] = forms.DecimalField(
                label=_("最低分"), required=False, min_value=0, max_value=100, max_digits=4,
                decimal_places=1, initial=b[1] if b else None)

    def head(self):
        return [self[n] for n in ("code", "region", "name", "period") if n in self.fields]

    def item_rows(self):
        return [[self[f"i{i}_{f}"] for f in ("code", "name", "weight", "source", "metric")]
                for i in range(ITEM_ROWS)]

    def band_rows(self):
        return [[self[f"b{i}_{f}"] for f in ("name", "min")] for i in range(BAND_ROWS)]

    def clean(self):
        d = super().clean()
        for i in range(ITEM_ROWS):
            row = [d.get(f"i{i}_{f}") for f in ("code", "name", "weight", "source")]
            if any(v not in (None, "") for v in row) and any(v in (None, "") for v in row):
                self.add_error(f"i{i}_name", _("请填写项目代码、名称、分值和评分来源"))
        for i in range(BAND_ROWS):
            row = [d.get(f"b{i}_name"), d.get(f"b{i}_min")]
            if any(v not in (None, "") for v in row) and any(v in (None, "") for v in row):
                self.add_error(f"b{i}_name", _("请同时填写等次名称和最低分"))
        return d

    def items(self) -> list[dict]:
        d = self.cleaned_data
        return [{"code": d[f"i{i}_code"], "name": d[f"i{i}_name"].strip(),
                 "weight": d[f"i{i}_weight"], "source": d[f"i{i}_source"],
                 "metric": d[f"i{i}_metric"]}
                for i in range(ITEM_ROWS) if d.get(f"i{i}_code")]

    def bands(self) -> list[tuple[str, object]]:
        d = self.cleaned_data
        return [(d[f"b{i}_name"].strip(), d[f"b{i}_min"]) for i in range(BAND_ROWS)
                if (d.get(f"b{i}_name") or "").strip()]


class ChecklistForm(InputChecked, forms.Form):
    """Compounds and the checklist every one of them gets: one row per standard item (开荒保洁,
    设施维修, 车位管理, 绿化亮化 … offered with their usual requirement), a row left without a
    requirement is not used. Deadlines not before `started_on` (the takeover's start; for a new
    takeover, the form's own start date)."""

    compounds = forms.ModelMultipleChoiceField(
        label=_("小区"), queryset=Compound.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("本区无物业、未在其他接管中的小区；按住 Ctrl 可多选"))

    def __init__(self, *args, compounds=None, started_on=None, defaults=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.started_on = started_on
        if compounds is not None:
            self.fields["compounds"].queryset = compounds.select_related("region").order_by(
                "region_id", "name")
            self.fields["compounds"].label_from_instance = (
                lambda c: f"{c.region.name} · {c.name}")
        start = started_on or timezone.localdate()
        days = {s: (req, d) for s, req, d in DEFAULTS}
        for std in TakeoverItem.Standard:
            req, d = days.get(std, ("", None))
            self.fields[f"{std.value}_requirement"] = forms.CharField(
                label=std.label, max_length=200, required=False, validators=[SINGLE_LINE],
                initial=req if defaults else "")
            self.fields[f"{std.value}_deadline"] = forms.DateField(
                label=_("完成时限"), required=False, widget=widgets.DateInput(),
                initial=start + dt.timedelta(days=d) if defaults and d else None)

    def checklist_rows(self):
        return [(std.label, self[f"{std.value}_requirement"], self[f"{std.value}_deadline"])
                for std in TakeoverItem.Standard]

    def start(self):
        return self.started_on

    def clean(self):
        d = super().clean()
        start = self.start()
        used = 0
        for std in TakeoverItem.Standard:
            req = (d.get(f"{std.value}_requirement") or "").strip()
            deadline = d.get(f"{std.value}_deadline")
            if f"{std.value}_deadline" in self.errors:
                continue
            if req and deadline is None:
                self.add_error(f"{std.value}_deadline", _("请填写完成时限"))
            elif deadline is not None and not req:
                self.add_error(f"{std.value}_requirement", _("请填写质量和硬件标准"))
            elif req and start is not None and deadline < start:
                self.add_error(f"{std.value}_deadline", _("完成时限不能早于接管日期"))
            used += bool(req)
        if not used and not self.errors:
            raise forms.ValidationError(_("请至少填写一个标准项目"))
        return d

    def checklist(self) -> list[dict]:
        d = self.cleaned_data
        return [{"standard": std.value, "requirement": d[f"{std.value}_requirement"].strip(),
                 "deadline": d[f"{std.value}_deadline"]}
                for std in TakeoverItem.Standard
                if (d.get(f"{std.value}_requirement") or "").strip()]


class TakeoverForm(ChecklistForm):
    """A new takeover: name, company, compounds, livelihood project, start, checklist."""

    name = forms.CharField(label=_("名称"), max_length=100, validators=[SINGLE_LINE])
    company = forms.ModelChoiceField(label=_("接管物业服务企业"),
                                     queryset=Organisation.objects.none())
    project = forms.ModelChoiceField(label=_("民生项目"), queryset=Project.objects.none(),
                                     required=False, help_text=_("可选：列为民生实事的项目"))
    started_on = forms.DateField(label=_("接管日期"), widget=widgets.DateInput())

    field_order = ["name", "company", "compounds", "project", "started_on"]

    def __init__(self, *args, companies=None, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["started_on"].initial = timezone.localdate()
        if companies is not None:
            self.fields["company"].queryset = companies.order_by("name")
        if projects is not None:
            self.fields["project"].queryset = projects.order_by("-plan__year", "name")

    def head(self):
        return [self[n] for n in ("name", "company", "compounds", "project", "started_on")]

    def start(self):
        return self.cleaned_data.get("started_on")


class TakeoverItemForm(InputChecked, forms.Form):
    """One item's requirement and deadline (while the company has not reported it done)."""

    requirement = forms.CharField(label=_("质量和硬件标准"), max_length=200,
                                  validators=[SINGLE_LINE])
    deadline = forms.DateField(label=_("完成时限"), widget=widgets.DateInput())


class TakeoverImportForm(InputChecked, forms.Form):
    file = forms.FileField(label=_("Excel 或 CSV 文件"))
