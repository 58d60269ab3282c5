"""Pages of the household registry (社会救助): aggregates, list, detail, registration, change
requests, import. Parse → check (assistance/access.py) → call (actions.do_*) → render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.accounts.masking import can_unmask, mask, personal_values
from minsheng.assistance import access, actions, exchange, services
from minsheng.assistance.models import (
    ChangeRequest,
    Enrolment,
    Grievance,
    Household,
    IncomeKind,
    Person,
    SpendingItem,
    Supporter,
)
from minsheng.lib import widgets
from minsheng.lib.http import download
from minsheng.lib.tabular import ImportRejected, show_rejection
from minsheng.lib.validators import SINGLE_LINE, InputChecked
from minsheng.places.models import Region
from minsheng.places.regionswitch import current_prefix


@login_required
def overview(request):
    """Aggregates by street (households, people), cells under 5 suppressed; the registry link for
    those who may read it."""
    if not access.can_view_stats(request.user):
        raise PermissionDenied
    qs = access.households_in_stats_scope(request.user)
    prefix = current_prefix(request)
    if prefix:
        qs = qs.filter(region__code__startswith=prefix)
    rows = (qs.values("region__parent__code", "region__parent__name")
            .annotate(households=Count("id", distinct=True), people=Count("members"))
            .order_by("region__parent__code"))
    enrolled = (Enrolment.objects.filter(household__in=qs.values("pk"),
                                         state=Enrolment.State.ENROLLED)
                .values("region__parent__code").annotate(
                    dibao=Count("pk", filter=Q(programme="dibao")),
                    tekun=Count("pk", filter=Q(programme="tekun")),
                    orphan=Count("pk", filter=Q(programme="orphan"))))
    by_street = {r["region__parent__code"]: r for r in enrolled}
    table = []
    for r in rows:
        e = by_street.get(r["region__parent__code"], {})
        table.append({"name": r["region__parent__name"],
                      "households": access.suppress(r["households"]),
                      "people": access.suppress(r["people"]) if r["households"] >= access.SUPPRESS_BELOW
                      else "—",
                      "dibao": access.suppress(e.get("dibao", 0)),
                      "tekun": access.suppress(e.get("tekun", 0)),
                      "orphan": access.suppress(e.get("orphan", 0))})
    return render(request, "assistance/overview.html", {
        "rows": table, "can_list": access.can_view_registry(request.user),
        "can_pay": access.decide_regions_for(request.user).exists(),
        "can_register": access.registrable_regions_for(request.user).exists(),
    })


@login_required
def household_list(request):
    if not access.can_view_registry(request.user):
        raise PermissionDenied
    qs = access.households_for(request.user).annotate(n=Count("members"))
    prefix = current_prefix(request)
    if prefix:
        qs = qs.filter(region__code__startswith=prefix)
    q = request.GET.get("q", "").strip()[:50]
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(members__name__icontains=q)).distinct()
    page = Paginator(qs.order_by("number"), 30).get_page(request.GET.get("page"))
    heads = {p.household_id: p.name for p in Person.objects.filter(
        household__in=[h.pk for h in page], relationship=Person.Relationship.HEAD)}
    for h in page:
        h.head_name = heads.get(h.pk, "")
    return render(request, "assistance/household_list.html", {
        "page": page, "q": q,
        "can_register": access.registrable_regions_for(request.user).exists(),
    })


def _detail_context(request, h: Household, *, unmask: bool = False) -> dict:
    members = list(h.members.all().prefetch_related("supporters"))
    rows = []
    for p in members:
        rows.append({"p": p, "personal": personal_values(request.user, p, unmask=unmask,
                                                         request=request),
                     "supporters": [(s, s.id_number if unmask and can_unmask(
                         request.user, h.region_id) else mask(s.id_number))
                         for s in p.supporters.all()]})
    changes = list(h.changes.select_related("person", "created_by").prefetch_related(
        "events__actor"))
    return {"h": h, "rows": rows, "changes": changes, "revealed": unmask,
            "eligibility": services.eligibility_of(h, timezone.localdate()),
            "enrolments": h.enrolments.select_related("person").order_by("-applied_on", "-id"),
            "grievances": h.grievances.select_related("case"),
            "grievance_about": Grievance.About.choices,
            "can_reveal": can_unmask(request.user, h.region_id) and bool(members),
            "can_change": access.can_register(request.user, h.region_id)}


@login_required
def household_detail(request, pk: int):
    h = access.access_household_by_id(request.user, pk)
    return render(request, "assistance/household_detail.html", _detail_context(request, h))


@login_required
@require_POST
def household_reveal(request, pk: int):
    """Shows the members' ID and phone numbers once; each member's unmasking is audited."""
    h = access.access_household_by_id(request.user, pk)
    if not can_unmask(request.user, h.region_id):
        raise PermissionDenied
    return render(request, "assistance/household_detail.html",
                  _detail_context(request, h, unmask=True))


def _person_fields(required: bool) -> dict[str, forms.Field]:
    fields = forms.fields_for_model(Person, fields=actions.MEMBER_FIELDS)
    for f in fields.values():
        if isinstance(f, forms.CharField):
            f.validators.append(SINGLE_LINE)
        if not required:
            f.required = False
    fields["birth_date"].widget = widgets.DateInput()
    return fields


class RegisterForm(InputChecked, forms.Form):
    number = forms.CharField(label=gettext_lazy("户编号"), max_length=32, validators=[SINGLE_LINE])
    region = forms.ModelChoiceField(label=gettext_lazy("所在社区/村"), queryset=Region.objects.none())
    area = forms.ChoiceField(label=gettext_lazy("城乡"), choices=Household.Area.choices)
    address = forms.CharField(label=gettext_lazy("住址"), max_length=200, required=False,
                              validators=[SINGLE_LINE])
    was_registered_poor = forms.BooleanField(label=gettext_lazy("原建档立卡户"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = access.registrable_regions_for(user)
        for name, f in _person_fields(True).items():
            if name == "relationship":
                continue
            f.label = _("户主") + " · " + str(f.label)
            self.fields[f"head_{name}"] = f


def _form_errors(form: forms.Form, e: ValidationError, prefix: str = "") -> None:
    if hasattr(e, "error_dict"):
        for field, errs in e.message_dict.items():
            name = prefix + field if prefix + field in form.fields else (
                field if field in form.fields else None)
            form.add_error(name, errs)
    else:
        form.add_error(None, e.messages)


@login_required
def household_new(request):
    if not access.registrable_regions_for(request.user).exists():
        raise PermissionDenied
    form = RegisterForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        head = {k[5:]: v for k, v in d.items() if k.startswith("head_")}
        try:
            h = actions.do_register_household(
                request.user, number=d["number"], region=d["region"], area=d["area"],
                address=d["address"], was_registered_poor=d["was_registered_poor"], head=head,
                request=request)
        except ValidationError as e:
            _form_errors(form, e, prefix="head_")
        else:
            messages.success(request, _("已登记。增加成员和法定义务人请提交变更申请。"))
            return redirect("assistance:household", pk=h.pk)
    return render(request, "web/form.html", {
        "form": form, "title": _("登记家庭户"), "cancel": reverse("assistance:households")})


class ChangeForm(InputChecked, forms.Form):
    reason = forms.CharField(label=gettext_lazy("变更原因"), max_length=300,
                             validators=[SINGLE_LINE])

    def __init__(self, *args, kind: str, household: Household, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        K = ChangeRequest.Kind
        if kind in (K.EDIT_MEMBER, K.ADD_SUPPORTER):
            self.fields["person"] = forms.ModelChoiceField(
                label=gettext_lazy("成员"), queryset=household.members.all())
        if kind == K.HOUSEHOLD:
            extra = forms.fields_for_model(Household, fields=actions.EDITABLE[kind])
            for f in extra.values():
                f.required = False
            extra["area"].choices = [("", "—"), *Household.Area.choices]
            extra["was_registered_poor"] = forms.NullBooleanField(
                label=gettext_lazy("原建档立卡户"), required=False)
        elif kind in (K.ADD_MEMBER, K.EDIT_MEMBER):
            extra = _person_fields(kind == K.ADD_MEMBER)
        else:
            extra = forms.fields_for_model(Supporter, fields=actions.EDITABLE[kind])
        for name, f in extra.items():
            if isinstance(f, forms.CharField):
                f.validators.append(SINGLE_LINE)
            self.fields[name] = f

    def data_fields(self) -> dict:
        d = self.cleaned_data
        out = {}
        for name in actions.EDITABLE[self.kind]:
            v = d.get(name)
            if self.kind in (ChangeRequest.Kind.HOUSEHOLD, ChangeRequest.Kind.EDIT_MEMBER) and (
                    v in ("", None)):
                continue  # a blank field is left as it is
            out[name] = v.isoformat() if hasattr(v, "isoformat") else v
        return out


@login_required
def change_new(request, pk: int):
    h = access.access_household_by_id(request.user, pk)
    if not access.can_register(request.user, h.region_id):
        raise PermissionDenied
    kind = request.GET.get("kind") or request.POST.get("kind") or ""
    if kind not in ChangeRequest.Kind.values:
        kind = ChangeRequest.Kind.ADD_MEMBER
    form = ChangeForm(request.POST or None, kind=kind, household=h)
    if request.method == "POST" and form.is_valid():
        data = form.data_fields()
        if not data:
            form.add_error(None, _("没有填写任何要变更的内容。"))
        else:
            try:
                change = actions.do_draft_change(
                    request.user, h, kind=kind, data=data, reason=form.cleaned_data["reason"],
                    person=form.cleaned_data.get("person"), request=request)
                if request.POST.get("submit"):
                    actions.do_submit_change(request.user, change)
            except ValidationError as e:
                _form_errors(form, e)
            else:
                messages.success(request, _("变更申请已保存。"))
                return redirect("assistance:change", pk=change.pk)
    return render(request, "assistance/change_form.html", {
        "form": form, "h": h, "kind": kind, "kinds": ChangeRequest.Kind.choices,
        "title": _("变更申请：%(kind)s") % {"kind": ChangeRequest.Kind(kind).label}})


def _shown_data(change: ChangeRequest) -> list[tuple[str, str]]:
    """The requested values, personal numbers masked."""
    model = {ChangeRequest.Kind.HOUSEHOLD: Household,
             ChangeRequest.Kind.ADD_SUPPORTER: Supporter}.get(change.kind, Person)
    out = []
    for k, v in change.data.items():
        label = model._meta.get_field(k).verbose_name
        if k in ("id_number", "phone"):
            v = mask(str(v))
        elif isinstance(v, bool):
            v = _("是") if v else _("否")
        else:
            field = model._meta.get_field(k)
            v = dict(field.choices).get(v, v) if field.choices else v
        out.append((str(label), str(v)))
    return out


@login_required
def change_detail(request, pk: int):
    change = access.access_change_by_id(request.user, pk)
    S = ChangeRequest.State
    mine = change.created_by_id == request.user.pk
    approver = access.can_approve(request.user, change)
    return render(request, "assistance/change_detail.html", {
        "c": change, "data": _shown_data(change), "events": change.events.select_related("actor"),
        "can_submit": change.state == S.DRAFT and (mine or access.can_register(
            request.user, change.household.region_id)),
        "can_cancel": mine and change.state in (S.DRAFT, S.SUBMITTED),
        "can_approve": approver and change.state == S.SUBMITTED,
        "can_apply": approver and change.state == S.APPROVED,
    })


DONE = {"submit": gettext_lazy("已提交，等待审批。"), "cancel": gettext_lazy("已撤销。"),
        "approve": gettext_lazy("已批准，生效后写入登记信息。"), "reject": gettext_lazy("已退回。"),
        "apply": gettext_lazy("已生效，登记信息已更新。")}


@login_required
@require_POST
def change_act(request, pk: int):
    change = access.access_change_by_id(request.user, pk)
    step = request.POST.get("step", "")
    note = request.POST.get("note", "")[:300]
    do = {"submit": lambda: actions.do_submit_change(request.user, change),
          "cancel": lambda: actions.do_cancel_change(request.user, change, note),
          "approve": lambda: actions.do_approve_change(request.user, change, note),
          "reject": lambda: actions.do_reject_change(request.user, change, note),
          "apply": lambda: actions.do_apply_change(request.user, change)}.get(step)
    if do is None:
        raise PermissionDenied
    try:
        do()
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    else:
        messages.success(request, DONE[step])
    return redirect("assistance:change", pk=change.pk)


def _money_field(label) -> forms.DecimalField:
    return forms.DecimalField(label=label, min_value=0, max_value=actions.MAX_AMOUNT,
                              decimal_places=2, required=False)


class AssessmentForm(InputChecked, forms.Form):
    assessed_on = forms.DateField(label=gettext_lazy("核对日期"),
                                  widget=widgets.DateInput())
    months = forms.IntegerField(label=gettext_lazy("收入计算期（月）"), min_value=1, max_value=24,
                                initial=12)
    savings = _money_field(gettext_lazy("存款及有价证券（元）"))
    vehicles = forms.IntegerField(label=gettext_lazy("机动车（辆）"), min_value=0, max_value=99,
                                  initial=0)
    homes = forms.IntegerField(label=gettext_lazy("住房（套）"), min_value=0, max_value=99,
                               initial=1)
    business_stake = _money_field(gettext_lazy("经营性资产（元）"))
    assets_within_rules = forms.BooleanField(label=gettext_lazy("财产状况符合当地规定"),
                                             required=False, initial=True)
    emergency = forms.CharField(label=gettext_lazy("急难情形（如火灾、突发重病，没有留空）"),
                                max_length=100, required=False, validators=[SINGLE_LINE])
    note = forms.CharField(label=gettext_lazy("说明"), max_length=300, required=False,
                           validators=[SINGLE_LINE])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in IncomeKind:
            self.fields[f"income_{kind.value}"] = _money_field(
                _("计算期%(kind)s（元，全户）") % {"kind": kind.label})
        for kind in SpendingItem.Kind:
            self.fields[f"spending_{kind.value}"] = _money_field(
                _("计算期%(kind)s支出（元）") % {"kind": kind.label})


@login_required
def assessment_new(request, pk: int):
    h = access.access_household_by_id(request.user, pk)
    if not access.can_register(request.user, h.region_id):
        raise PermissionDenied
    form = AssessmentForm(request.POST or None, initial={"assessed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        incomes = [(None, k.value, d[f"income_{k.value}"]) for k in IncomeKind
                   if d[f"income_{k.value}"]]
        spending = [(k.value, d[f"spending_{k.value}"]) for k in SpendingItem.Kind
                    if d[f"spending_{k.value}"]]
        try:
            actions.do_record_assessment(
                request.user, h, assessed_on=d["assessed_on"], months=d["months"],
                incomes=incomes, spending=spending, savings=d["savings"] or 0,
                vehicles=d["vehicles"] or 0, homes=d["homes"] or 0,
                business_stake=d["business_stake"] or 0,
                assets_within_rules=d["assets_within_rules"], emergency=d["emergency"],
                note=d["note"], request=request)
        except ValidationError as e:
            _form_errors(form, e)
        else:
            messages.success(request, _("已记录经济状况核对。"))
            return redirect("assistance:household", pk=h.pk)
    return render(request, "web/form.html", {
        "form": form, "title": _("家庭经济状况核对：%(n)s") % {"n": h.number},
        "cancel": reverse("assistance:household", args=[h.pk])})


class ImportForm(InputChecked, forms.Form):
    file = forms.FileField(label=gettext_lazy("家庭户登记表 (.xlsx / .csv)"))


@login_required
def household_import(request):
    if not access.registrable_regions_for(request.user).exists():
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    errors = report = None
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            result = exchange.import_households(request.user, f.read(), f.name, request=request)
        except ImportRejected as e:
            errors, report = show_rejection(request, e)
        else:
            messages.success(request, _("导入成功：新增 %(c)d 户。") % {"c": result.created})
            return redirect("assistance:households")
    return render(request, "assistance/import.html", {"form": form, "errors": errors,
                                                      "report": report})


@login_required
def household_template(request):
    if not access.registrable_regions_for(request.user).exists():
        raise PermissionDenied
    return download(exchange.template_bytes(with_region=True), "家庭户登记导入模板.xlsx",
                    exchange.XLSX_TYPE)


@login_required
@require_POST
def grievance_new(request, pk: int):
    h = access.access_household_by_id(request.user, pk)
    if not access.can_register(request.user, h.region_id):
        raise PermissionDenied
    try:
        g = actions.do_file_grievance(request.user, h,
                                      description=request.POST.get("description", "")[:2000],
                                      about=request.POST.get("about", ""), request=request)
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    else:
        messages.success(request, _("已登记申诉，案件编号 %(n)s。") % {"n": g.case_id})
    return redirect("assistance:household", pk=h.pk)
