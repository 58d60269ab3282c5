from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minsheng.governance.models import Inspection
from minsheng.lib import widgets
from minsheng.lib.images import clean_image
from minsheng.lib.validators import MULTI_LINE, SINGLE_LINE, InputChecked

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
