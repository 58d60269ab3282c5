"""Pages of the governance registry: the compounds of one's area as governed today, and one
compound's history with a dated change (places' EDIT_PLACES right over the compound's region,
the right that already edits compounds), refused where it contradicts the approved committee
members in office (committees.do_change_by_hand)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minsheng.governance import access, committees, registry
from minsheng.governance.forms import DayForm
from minsheng.governance.models import GovernanceRecord
from minsheng.lib import widgets
from minsheng.lib.validators import SINGLE_LINE, InputChecked
from minsheng.places.models import Organisation
from minsheng.places.scope import can_edit, organisations_for


class ChangeForm(InputChecked, forms.ModelForm):
    on = forms.DateField(label=_("变更日期"), widget=widgets.DateInput())

    class Meta:
        model = GovernanceRecord
        fields = ["form", "committee", "election_date", "turnout", "street_approved",
                  "has_party_branch", "head_is_party_secretary", "cadre_full_time",
                  "cadre_unit", "property_managers", "note"]
        widgets = {"election_date": widgets.DateInput()}

    property_company = forms.ModelChoiceField(
        label=_("物业服务企业"), queryset=Organisation.objects.none(), required=False,
        help_text=_("管理形式为“物业公司”时填写"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        for name in ("cadre_unit", "note"):
            self.fields[name].validators.append(SINGLE_LINE)
        # the management form and its company are recorded here (places' compound form
        # refuses them where the registry holds the compound's history)
        current = self.initial.get("property_company")
        self.fields["property_company"].queryset = Organisation.objects.filter(
            Q(pk__in=organisations_for(user).filter(kind=Organisation.Kind.PROPERTY_COMPANY)
              .values("pk")) | Q(pk=getattr(current, "pk", None))).order_by("name")
        self.order_fields(["on", "form", "property_company"])

    def clean(self):
        d = super().clean()
        if d.get("form") == GovernanceRecord.Form.COMPANY and not d.get("property_company"):
            self.add_error("property_company", _("管理形式为“物业公司”时须填写物业服务企业"))
        return d


@login_required
def index(request: HttpRequest) -> HttpResponse:
    compounds = access.registry_compounds_for(request.user)
    if not access.nav(request.user)["registry"]:
        raise PermissionDenied
    # the figures as of a day (today unless asked): last year's stay last year's
    asked = DayForm(request.GET or None, label=_("统计日期"))
    day = asked.cleaned_data["on"] if asked.is_bound and asked.is_valid() else \
        timezone.localdate()
    prefix = access.registry_prefix(request.user)
    figures = registry.figures_on(prefix, day) if prefix is not None else None
    shown = list(compounds.select_related("region", "property_company")
                 .order_by("region_id", "name")[:300])
    scheduled = registry.scheduled_for(shown)
    return render(request, "governance/registry.html", {
        "compounds": [(c, scheduled.get(c.pk)) for c in shown], "figures": figures, "day": day,
        "asked": asked if asked.is_bound else DayForm(label=_("统计日期")),
        "to_approve": access.elections_to_approve(request.user).order_by("held_on")[:50]})


@login_required
def compound(request: HttpRequest, pk: int) -> HttpResponse:
    c = access.access_registry_compound_by_id(request.user, pk)
    editable = can_edit(request.user, c.region_id)
    # the form starts from the compound's state now: a change is what the user alters
    form = ChangeForm(request.POST or None, initial=registry.current_values(c),
                      user=request.user) if editable else None
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k not in ("on", "note")}
            if data["form"] != GovernanceRecord.Form.COMPANY:
                data["property_company"] = None
            try:
                committees.do_change_by_hand(c, on=form.cleaned_data["on"], by=request.user,
                                             note=form.cleaned_data["note"], **data)
                messages.success(request, _("已登记变更"))
                return redirect("governance:registry-compound", pk=c.pk)
            except ValidationError as exc:
                form.add_error(None, exc)
    now = registry.management_on(c)
    return render(request, "governance/registry_compound.html", {
        "c": c, "form": form, "now": now,
        "now_form": GovernanceRecord.Form(now["form"]).label,
        "history": GovernanceRecord.objects.filter(compound=c).order_by("-valid_to", "-pk")})
