"""Employment pages: parse, check (employment/access.py), call (employment/actions.py), render.

/employment/ lists the registrations of the user's region; registering works on a phone; the
fair page shows an event's employers, vacancies and referrals; /public/jobs/ is open to anyone
and shows only public vacancies and events (no person is reachable from it)."""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.accounts.masking import can_unmask, personal_values
from minsheng.employment import access, actions, exchange, rules
from minsheng.employment.models import (
    Course,
    Employer,
    Employment,
    Event,
    Referral,
    Unemployment,
    Vacancy,
)
from minsheng.lib import widgets
from minsheng.lib.http import download
from minsheng.lib.tabular import ImportRejected, show_rejection
from minsheng.lib.validators import SINGLE_LINE, InputChecked
from minsheng.places.models import Region


def _readers_only(request) -> None:
    if not access.read_prefixes(request.user):
        raise PermissionDenied


def _communities(prefixes: tuple[str, ...]):
    if not prefixes:
        return Region.objects.none()
    q = reduce(or_, (Q(code__startswith=p) for p in prefixes))
    return Region.objects.filter(q, level=Region.Level.COMMUNITY).order_by("code")


@login_required
def home(request):
    """The registrations of the region: open ones first, filterable by priority group (an
    employer's account goes to its vacancies)."""
    if not access.read_prefixes(request.user) and access.employer_ids(request.user):
        return redirect("employment:vacancies")
    _readers_only(request)
    qs = access.unemployments_for(request.user)
    state = request.GET.get("state", "open")
    if state == "open":
        qs = qs.filter(ended_on__isnull=True)
    group = request.GET.get("group", "")
    if group in GROUPS:
        qs = qs.filter(**GROUPS[group][1])
    page = Paginator(qs.order_by("-registered_on", "-pk"), 50).get_page(request.GET.get("page"))
    rows = [(u, personal_values(request.user, u.person)) for u in page]
    return render(request, "employment/home.html", {
        "page": page, "rows": rows, "state": state, "group": group,
        "groups": [(k, v[0]) for k, v in GROUPS.items()],
        "can_register": bool(access.register_prefixes(request.user)),
        "can_manage": bool(access.service_prefixes(request.user)),
        "can_export": access.can_export(request.user),
        "jobs": access.employments_for(request.user).order_by("-employed_on")[:10]})


GROUPS = {
    "graduate": (gettext_lazy("离校未就业高校毕业生"), {"graduate_year__isnull": False}),
    "veteran": (gettext_lazy("退役军人"), {"veteran": True}),
    "hard": (gettext_lazy("就业困难人员"), {"hard_to_employ": True}),
    "poverty": (gettext_lazy("脱贫劳动力"), {"out_of_poverty": True}),
    "disabled": (gettext_lazy("残疾人"), {"disabled": True}),
    "zero": (gettext_lazy("零就业家庭成员"), {"zero_employment_household": True}),
}


class RegisterForm(InputChecked, forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50, validators=[SINGLE_LINE])
    id_number = forms.CharField(label=gettext_lazy("身份证号"), max_length=18,
                                validators=[SINGLE_LINE])
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=30, required=False,
                            validators=[SINGLE_LINE])
    region = forms.ModelChoiceField(label=gettext_lazy("所在社区/村"), queryset=Region.objects.none())
    registered_on = forms.DateField(label=gettext_lazy("登记日期"),
                                    widget=widgets.DateInput())
    reason = forms.ChoiceField(label=gettext_lazy("失业原因"), choices=Unemployment.Reason.choices)
    desired_work = forms.CharField(label=gettext_lazy("求职意向"), max_length=100, required=False,
                                   validators=[SINGLE_LINE])
    skills = forms.CharField(label=gettext_lazy("技能特长（以顿号分隔）"), max_length=200,
                             required=False, validators=[SINGLE_LINE])
    graduate_year = forms.IntegerField(label=gettext_lazy("离校年份（高校毕业生）"), required=False,
                                       min_value=1950, max_value=2100)
    veteran = forms.BooleanField(label=gettext_lazy("退役军人"), required=False)
    hard_to_employ = forms.BooleanField(label=gettext_lazy("就业困难人员"), required=False)
    out_of_poverty = forms.BooleanField(label=gettext_lazy("脱贫劳动力"), required=False)
    disabled = forms.BooleanField(label=gettext_lazy("残疾人"), required=False)
    zero_employment_household = forms.BooleanField(label=gettext_lazy("零就业家庭成员"),
                                                   required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _communities(access.register_prefixes(user))
        self.fields["id_number"].widget.attrs.update(inputmode="text", autocomplete="off")
        self.fields["phone"].widget.attrs.update(inputmode="tel")


@login_required
def register(request):
    """失业登记 by real name, on a phone: the person is found by ID number or added."""
    if not access.register_prefixes(request.user):
        raise PermissionDenied
    form = RegisterForm(request.POST or None, user=request.user,
                        initial={"registered_on": timezone.localdate()})
    regions = form.fields["region"].queryset
    if regions.count() == 1:
        form.fields["region"].initial = regions.first()
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            person = actions.person_for(request.user, d["region"], name=d["name"],
                                        id_number=d["id_number"], phone=d["phone"])
            u = actions.do_register_unemployment(
                request.user, person, region=d["region"], registered_on=d["registered_on"],
                reason=d["reason"], desired_work=d["desired_work"],
                skills=d["skills"], graduate_year=d["graduate_year"], veteran=d["veteran"],
                hard_to_employ=d["hard_to_employ"], out_of_poverty=d["out_of_poverty"],
                disabled=d["disabled"], zero_employment_household=d["zero_employment_household"])
        except ValidationError as e:
            for m in e.messages:
                form.add_error(None, m)
        else:
            messages.success(request, _("已完成失业登记。"))
            return redirect("employment:registration", pk=u.pk)
    return render(request, "employment/register.html", {"form": form})


class EmployedForm(InputChecked, forms.Form):
    employed_on = forms.DateField(label=gettext_lazy("就业日期"),
                                  widget=widgets.DateInput())
    kind = forms.ChoiceField(label=gettext_lazy("就业形式"), choices=Employment.Kind.choices)
    employer_name = forms.CharField(label=gettext_lazy("单位名称"), max_length=200,
                                    required=False, validators=[SINGLE_LINE])


class EndForm(InputChecked, forms.Form):
    ended_on = forms.DateField(label=gettext_lazy("注销日期"),
                               widget=widgets.DateInput())
    reason = forms.ChoiceField(label=gettext_lazy("注销原因"), choices=[
        c for c in Unemployment.End.choices if c[0] != Unemployment.End.EMPLOYED])


class ReferForm(InputChecked, forms.Form):
    vacancy = forms.ModelChoiceField(label=gettext_lazy("推荐岗位"), queryset=Vacancy.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["vacancy"].queryset = access.vacancies_for(user).filter(
            Q(closes_on__isnull=True) | Q(closes_on__gte=today), posted_on__lte=today
        ).order_by("-posted_on") if access.service_prefixes(user) else Vacancy.objects.none()


def seeker_of(u: Unemployment) -> rules.Seeker:
    return rules.Seeker(
        region_code=u.region_id, desired_work=u.desired_work, skills=u.skills,
        birth_date=u.person.birth_date, graduate_year=u.graduate_year,
        hard_to_employ=u.hard_to_employ, zero_employment_household=u.zero_employment_household,
        disabled=u.disabled, out_of_poverty=u.out_of_poverty, veteran=u.veteran)


def opening_of(v: Vacancy) -> rules.Opening:
    return rules.Opening(region_code=v.region_id, title=v.title, requirements=v.requirements,
                         kind=v.kind)


SUGGEST_FROM = 500  # the most recent open vacancies scored for a job-seeker


def suggestions(user, u: Unemployment, today) -> list:
    """Open vacancies the user may refer to, scored for this job-seeker (rules.match), best
    first, without those the person was already referred to."""
    done = set(Referral.objects.filter(person=u.person).values_list("vacancy_id", flat=True))
    vacs = [v for v in access.open_vacancies(user, today).order_by("-posted_on", "-pk")
            [:SUGGEST_FROM] if v.pk not in done]
    return rules.suggest(seeker_of(u), [(v, opening_of(v)) for v in vacs], on=today)


class LeaveForm(InputChecked, forms.Form):
    left_on = forms.DateField(label=gettext_lazy("离岗日期"), widget=widgets.DateInput())
    reason = forms.ChoiceField(label=gettext_lazy("离岗原因"), choices=Employment.Left.choices)


def _registration_page(request, u: Unemployment, *, revealed: bool = False, employed=None,
                       end=None, refer=None, leave=None):
    today = timezone.localdate()
    can_refer = access.can_manage(request.user, u.region_id) and u.ended_on is None
    job = Employment.objects.filter(ends=u).first()
    return render(request, "employment/registration.html", {
        "suggestions": suggestions(request.user, u, today) if can_refer else [],
        "leave_form": (leave or LeaveForm(initial={"left_on": today}))
        if job and job.left_on is None and access.can_register(request.user, job.region_id)
        else None,
        "refer_form": (refer or ReferForm(user=request.user)) if can_refer else None,
        "reg": u, "personal": personal_values(request.user, u.person, unmask=revealed,
                                            request=request),
        "revealed": revealed, "can_reveal": not revealed and can_unmask(request.user, u.region_id),
        "can_register": access.can_register(request.user, u.region_id),
        "employed_form": employed or EmployedForm(initial={"employed_on": today}),
        "end_form": end or EndForm(initial={"ended_on": today}),
        "job": job,
        "referrals": access.referrals_for(request.user).filter(person=u.person)})


@login_required
def registration(request, pk: int):
    return _registration_page(request, access.access_unemployment_by_id(request.user, pk))


@login_required
@require_POST
def reveal(request, pk: int):
    u = access.access_unemployment_by_id(request.user, pk)
    if not can_unmask(request.user, u.region_id):
        raise PermissionDenied
    return _registration_page(request, u, revealed=True)


@login_required
@require_POST
def employed(request, pk: int):
    """就业登记 that ends this unemployment registration."""
    u = access.access_unemployment_by_id(request.user, pk)
    if not access.can_register(request.user, u.region_id):
        raise PermissionDenied
    form = EmployedForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.do_register_employment(request.user, u.person, region=u.region,
                                           employed_on=d["employed_on"], kind=d["kind"],
                                           employer_name=d["employer_name"])
        except ValidationError as e:
            for m in e.messages:
                form.add_error(None, m)
        else:
            messages.success(request, _("已登记就业，失业登记随之注销。"))
            return redirect("employment:registration", pk=u.pk)
    return _registration_page(request, u, employed=form)


@login_required
@require_POST
def refer(request, pk: int):
    """The service refers this job-seeker to an open vacancy (职业介绍)."""
    u = access.access_unemployment_by_id(request.user, pk)
    if not access.can_manage(request.user, u.region_id):
        raise PermissionDenied
    form = ReferForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            actions.do_add_referral(request.user, u.person, form.cleaned_data["vacancy"])
        except ValidationError as e:
            for m in e.messages:
                form.add_error(None, m)
        else:
            messages.success(request, _("已推荐。"))
            return redirect("employment:registration", pk=u.pk)
    return _registration_page(request, u, refer=form)


@login_required
@require_POST
def end(request, pk: int):
    u = access.access_unemployment_by_id(request.user, pk)
    if not access.can_register(request.user, u.region_id):
        raise PermissionDenied
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            actions.do_end_unemployment(request.user, u, ended_on=form.cleaned_data["ended_on"],
                                        reason=form.cleaned_data["reason"])
        except ValidationError as e:
            for m in e.messages:
                form.add_error(None, m)
        else:
            messages.success(request, _("失业登记已注销。"))
            return redirect("employment:registration", pk=u.pk)
    return _registration_page(request, u, end=form)


class VacancyForm(InputChecked, forms.ModelForm):
    class Meta:
        model = Vacancy
        fields = ["employer", "title", "kind", "positions", "wage_min", "wage_max",
                  "requirements", "closes_on", "public"]
        widgets = {"closes_on": widgets.DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        own = access.employer_ids(user)
        managed = access.employers_for(user).filter(
            reduce(or_, (Q(region__code__startswith=p) for p in access.service_prefixes(user)),
                   Q(pk__in=own)))
        self.fields["employer"].queryset = managed
        for name in ("title", "requirements"):
            self.fields[name].validators.append(SINGLE_LINE)
        self.fields["wage_min"].min_value = 0


@login_required
def vacancies(request):
    qs = access.vacancies_for(request.user)
    if not access.read_prefixes(request.user) and not access.employer_ids(request.user):
        raise PermissionDenied
    can_post = bool(access.service_prefixes(request.user) or access.employer_ids(request.user))
    form = VacancyForm(request.POST or None, user=request.user) if can_post else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            d = dict(form.cleaned_data)
            employer = d.pop("employer")
            try:
                actions.do_post_vacancy(request.user, employer, **d)
            except ValidationError as e:
                for m in e.messages:
                    form.add_error(None, m)
            else:
                messages.success(request, _("岗位已发布。"))
                return redirect("employment:vacancies")
    kind = request.GET.get("kind", "")
    if kind in Vacancy.Kind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs.annotate(n_referrals=Count("referrals")).order_by("-posted_on", "-pk"),
                     50).get_page(request.GET.get("page"))
    return render(request, "employment/vacancies.html", {
        "page": page, "form": form, "kind": kind, "kinds": Vacancy.Kind.choices})




@login_required
def referrals(request):
    if not access.read_prefixes(request.user) and not access.employer_ids(request.user):
        raise PermissionDenied
    qs = access.referrals_for(request.user).order_by("-referred_on", "-pk")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [(r, personal_values(request.user, r.person), Referral.NEXT.get(r.status, ()),
             access.can_update_referral(request.user, r)) for r in page]
    return render(request, "employment/referrals.html", {"page": page, "rows": rows})


@login_required
@require_POST
def referral_update(request, pk: int):
    r = access.access_referral_by_id(request.user, pk)
    if not access.can_update_referral(request.user, r):
        raise PermissionDenied
    try:
        actions.do_update_referral(request.user, r, request.POST.get("status", ""))
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    else:
        messages.success(request, _("推荐结果已更新。"))
    return redirect("employment:referrals")


class InternshipForm(InputChecked, forms.Form):
    id_number = forms.CharField(label=gettext_lazy("见习人员身份证号"), max_length=18,
                                validators=[SINGLE_LINE])
    host = forms.ModelChoiceField(label=gettext_lazy("见习单位"), queryset=Employer.objects.none())
    starts_on = forms.DateField(label=gettext_lazy("开始日期"),
                                widget=widgets.DateInput())
    months = forms.IntegerField(label=gettext_lazy("见习期限（月）"), min_value=1, max_value=36)
    monthly_allowance = forms.DecimalField(label=gettext_lazy("月生活补助（元）"), min_value=0,
                                           max_digits=8, decimal_places=2)
    insured = forms.BooleanField(label=gettext_lazy("已缴纳职工社会保险"), required=False)
    in_school = forms.BooleanField(label=gettext_lazy("在校学生"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = access.employers_for(user).filter(internship_base=True)


@login_required
def internships(request):
    """The internships with the subsidy each host may claim; the service starts one here, the
    eligibility (employment/rules.py) checked and every reason for a refusal listed."""
    _readers_only(request)
    can_start = bool(access.service_prefixes(request.user))
    form = InternshipForm(request.POST or None, user=request.user) if can_start else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            person = access.person_in_scope(request.user, d["id_number"])
            if person is None:
                form.add_error("id_number", _("在您的服务范围内没有登记此身份证号的人员"))
            else:
                try:
                    actions.do_start_internship(
                        request.user, person, d["host"], starts_on=d["starts_on"],
                        months=d["months"], monthly_allowance=d["monthly_allowance"],
                        insured=d["insured"], in_school=d["in_school"])
                except ValidationError as e:
                    for m in e.messages:
                        form.add_error(None, m)
                else:
                    messages.success(request, _("已登记就业见习。"))
                    return redirect("employment:internships")
    qs = access.internships_for(request.user).select_related("host__region")
    page = Paginator(qs.order_by("-starts_on", "-pk"), 50).get_page(request.GET.get("page"))
    rows = [(i, actions.internship_claim(i)) for i in page]
    ended = qs.filter(ended_on__isnull=False)
    n_ended = ended.count()
    return render(request, "employment/internships.html", {
        "page": page, "rows": rows, "n_ended": n_ended, "form": form,
        "end_form": EndInternshipForm(initial={"ended_on": timezone.localdate()})
        if can_start else None,
        "n_retained": ended.filter(retained=True).count()})




class ImportForm(InputChecked, forms.Form):
    region = forms.ModelChoiceField(label=gettext_lazy("登记的区划"), queryset=Region.objects.none())
    file = forms.FileField(label=gettext_lazy("月度登记表 (.xlsx)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        prefixes = access.service_prefixes(user)
        self.fields["region"].queryset = Region.objects.filter(
            reduce(or_, (Q(code__startswith=p) for p in prefixes), Q(pk__in=[])),
            level__in=(Region.Level.DISTRICT, Region.Level.STREET, Region.Level.COMMUNITY)
        ).order_by("code") if prefixes else Region.objects.none()


@login_required
def import_registers(request):
    if not access.service_prefixes(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    errors = report = None
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            result = exchange.import_registers(request.user, form.cleaned_data["region"].code,
                                               f.read(), f.name, request=request)
        except ImportRejected as e:
            errors, report = show_rejection(request, e)
        except PermissionError as e:
            raise PermissionDenied from e
        else:
            messages.success(request, _("导入成功：新增 %(c)d 条登记。") % {"c": result.created})
            return redirect("employment:home")
    return render(request, "employment/import.html", {"form": form, "errors": errors,
                                                      "report": report})


@login_required
def template(request):
    if not access.service_prefixes(request.user):
        raise PermissionDenied
    return download(exchange.template(), "就业失业登记模板.xlsx", exchange.XLSX)


@login_required
def export(request):
    """The registrations as .xlsx, masked unless ?unmask=1 and allowed (audited)."""
    try:
        content = exchange.export_registrations(
            request.user, open_only=request.GET.get("state") == "open",
            unmask=request.GET.get("unmask") == "1", request=request)
    except PermissionError as e:
        raise PermissionDenied from e
    return download(content, f"失业登记_{timezone.localdate():%Y%m%d}.xlsx", exchange.XLSX)


def public_jobs(request):
    """Open to anyone: public vacancies still open and public events; nothing about people."""
    today = timezone.localdate()
    vacs = access.public_vacancies(today).order_by("-posted_on", "-pk")[:200]
    evs = access.public_events(today)
    return render(request, "employment/public.html", {
        "vacancies": vacs, "upcoming": evs.filter(held_on__gte=today).order_by("held_on")[:20],
        "past": evs.filter(held_on__lt=today).order_by("-held_on")[:10]})


# --- the service's own records: leaving a job, employers, events, courses, internships -------

def _sane_date(value) -> None:
    if value is not None and not 1950 <= value.year <= 2100:
        raise ValidationError(_("日期不合理"))


def _regions(user):
    prefixes = access.service_prefixes(user)
    if not prefixes:
        return Region.objects.none()
    return Region.objects.filter(
        reduce(or_, (Q(code__startswith=p) for p in prefixes)),
        level__in=(Region.Level.DISTRICT, Region.Level.STREET, Region.Level.COMMUNITY)
    ).order_by("code")


def _errors_to(form, e: ValidationError) -> None:
    for m in e.messages:
        form.add_error(None, m)


def _single_line(form, *names) -> None:
    for name in names:
        form.fields[name].validators.append(SINGLE_LINE)


@login_required
@require_POST
def leave(request, pk: int):
    """A registered job ends (离岗): the person counts as employed no longer from that day."""
    job = access.access_employment_by_id(request.user, pk)
    if not access.can_register(request.user, job.region_id):
        raise PermissionDenied
    form = LeaveForm(request.POST)
    u = job.ends
    if form.is_valid():
        try:
            actions.do_leave_employment(request.user, job, left_on=form.cleaned_data["left_on"],
                                        reason=form.cleaned_data["reason"])
        except ValidationError as e:
            _errors_to(form, e)
        else:
            messages.success(request, _("已登记离岗。"))
            return redirect("employment:registration", pk=u.pk) if u else redirect(
                "employment:home")
    if u is None:
        messages.error(request, "；".join(m for ms in form.errors.values() for m in ms))
        return redirect("employment:home")
    return _registration_page(request, u, leave=form)


class EmployerForm(InputChecked, forms.ModelForm):
    class Meta:
        model = Employer
        fields = ["name", "credit_code", "region", "industry", "internship_base"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _regions(user)
        _single_line(self, "name", "credit_code", "industry")


@login_required
def employers(request):
    """The employers of the region; the service adds one here."""
    _readers_only(request)
    can_add = bool(access.service_prefixes(request.user))
    form = EmployerForm(request.POST or None, user=request.user) if can_add else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                e = actions.do_save_employer(request.user, **form.cleaned_data)
            except ValidationError as err:
                _errors_to(form, err)
            else:
                messages.success(request, _("用人单位已登记。"))
                return redirect("employment:employer", pk=e.pk)
    qs = access.employers_for(request.user).annotate(
        n_vacancies=Count("vacancies", distinct=True)).order_by("name")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "employment/employers.html", {"page": page, "form": form})


@login_required
def employer(request, pk: int):
    e = access.access_employer_by_id(request.user, pk)
    can_edit = access.can_manage(request.user, e.region_id)
    form = EmployerForm(request.POST or None, instance=e, user=request.user) if can_edit else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            fields = {k: form.cleaned_data[k] for k in EmployerForm.Meta.fields}
            try:
                actions.do_save_employer(request.user, Employer.objects.get(pk=e.pk), **fields)
            except ValidationError as err:
                _errors_to(form, err)
            else:
                messages.success(request, _("用人单位已保存。"))
                return redirect("employment:employer", pk=e.pk)
    return render(request, "employment/employer.html", {
        "e": e, "form": form,
        "vacancies": access.vacancies_for(request.user).filter(employer=e)
        .order_by("-posted_on")[:100]})


class EventForm(InputChecked, forms.ModelForm):
    class Meta:
        model = Event
        fields = ["name", "kind", "region", "held_on", "venue", "employers", "vacancies",
                  "visitors", "agreements", "public"]
        widgets = {"held_on": widgets.DateInput(),
                   "employers": forms.CheckboxSelectMultiple,
                   "vacancies": forms.CheckboxSelectMultiple}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["region"].queryset = _regions(user)
        self.fields["employers"].queryset = access.managed_employers(user).order_by("name")
        recent = access.vacancies_for(user).filter(
            posted_on__gte=today - dt.timedelta(days=120))
        if self.instance.pk:
            recent = recent | access.vacancies_for(user).filter(events=self.instance)
        self.fields["vacancies"].queryset = recent.distinct().order_by("employer__name", "title")
        self.fields["employers"].required = self.fields["vacancies"].required = False
        self.fields["held_on"].validators.append(_sane_date)
        _single_line(self, "name", "venue")


@login_required
def events(request):
    _readers_only(request)
    can_add = bool(access.service_prefixes(request.user))
    form = EventForm(request.POST or None, user=request.user,
                     initial={"held_on": timezone.localdate()}) if can_add else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            d = dict(form.cleaned_data)
            try:
                ev = actions.do_create_event(request.user, employers=d.pop("employers"),
                                             vacancies=d.pop("vacancies"), **d)
            except ValidationError as e:
                _errors_to(form, e)
            else:
                messages.success(request, _("招聘活动已登记。"))
                return redirect("employment:event", pk=ev.pk)
    qs = access.events_for(request.user).annotate(
        n_employers=Count("employers", distinct=True), n_vacancies=Count("vacancies", distinct=True))
    return render(request, "employment/events.html", {"events": qs.order_by("-held_on")[:200],
                                                      "form": form})


@login_required
def event(request, pk: int):
    """The fair page: who came, which vacancies were on offer, what came of the referrals; the
    service records attendance and agreements here."""
    ev = access.access_event_by_id(request.user, pk)
    can_edit = access.can_manage(request.user, ev.region_id)
    form = EventForm(request.POST or None, instance=ev, user=request.user) if can_edit else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            d = dict(form.cleaned_data)
            try:
                actions.do_update_event(request.user, Event.objects.get(pk=ev.pk),
                                        employers=d.pop("employers"),
                                        vacancies=d.pop("vacancies"), **d)
            except ValidationError as e:
                _errors_to(form, e)
            else:
                messages.success(request, _("招聘活动已保存。"))
                return redirect("employment:event", pk=ev.pk)
        ev = Event.objects.select_related("region").get(pk=ev.pk)  # not the form's edits
    vacs = ev.vacancies.select_related("employer").order_by("employer__name", "title")
    refs = access.referrals_for(request.user).filter(event=ev)
    outcome = dict.fromkeys(Referral.Status.values, 0)
    for s in refs.values_list("status", flat=True):
        outcome[s] += 1
    return render(request, "employment/event.html", {
        "ev": ev, "employers": ev.employers.order_by("name"), "vacancies": vacs, "form": form,
        "hired": outcome[Referral.Status.HIRED],
        "positions": sum(v.positions for v in vacs),
        "outcome": [(Referral.Status(s).label, n) for s, n in outcome.items()]})


class CourseForm(InputChecked, forms.ModelForm):
    class Meta:
        model = Course
        fields = ["name", "occupation", "level", "provider", "region", "starts_on", "ends_on",
                  "hours", "subsidy_per_person"]
        widgets = {"starts_on": widgets.DateInput(), "ends_on": widgets.DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _regions(user)
        self.fields["hours"].validators.append(MaxValueValidator(10000))
        self.fields["subsidy_per_person"].min_value = 0
        for name in ("starts_on", "ends_on"):
            self.fields[name].validators.append(_sane_date)
        _single_line(self, "name", "occupation", "level", "provider")


@login_required
def training(request):
    _readers_only(request)
    can_add = bool(access.service_prefixes(request.user))
    form = CourseForm(request.POST or None, user=request.user) if can_add else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                c = actions.do_create_course(request.user, **form.cleaned_data)
            except ValidationError as e:
                _errors_to(form, e)
            else:
                messages.success(request, _("培训班已开设。"))
                return redirect("employment:course", pk=c.pk)
    qs = access.courses_for(request.user).annotate(
        n=Count("enrolments"), n_done=Count("enrolments", filter=Q(enrolments__completed=True)),
        n_cert=Count("enrolments", filter=~Q(enrolments__certificate="")))
    return render(request, "employment/training.html", {
        "courses": qs.order_by("-starts_on")[:300], "form": form})


class EnrolForm(InputChecked, forms.Form):
    id_number = forms.CharField(label=gettext_lazy("学员身份证号"), max_length=18,
                                validators=[SINGLE_LINE])


class FinishForm(InputChecked, forms.Form):
    completed = forms.BooleanField(label=gettext_lazy("结业"), required=False)
    certificate = forms.CharField(label=gettext_lazy("证书编号"), max_length=50, required=False,
                                  validators=[SINGLE_LINE])
    employed_within_6m = forms.NullBooleanField(
        label=gettext_lazy("结业6个月内就业"), required=False,
        widget=forms.Select(choices=[("unknown", gettext_lazy("未跟踪")),
                                     ("true", gettext_lazy("是")), ("false", gettext_lazy("否"))]))

    def clean(self):
        d = super().clean()
        if d.get("certificate") and not d.get("completed"):
            raise ValidationError(_("未结业的学员不能登记证书"))
        return d


@login_required
def course(request, pk: int):
    """A course's trainees; the service enrols a person by ID number here."""
    c = access.access_course_by_id(request.user, pk)
    can_edit = access.can_manage(request.user, c.region_id)
    form = EnrolForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            person = access.person_in_scope(request.user, form.cleaned_data["id_number"])
            if person is None:
                form.add_error("id_number", _("在您的服务范围内没有登记此身份证号的人员"))
            else:
                try:
                    actions.do_enrol(request.user, c, person)
                except ValidationError as e:
                    _errors_to(form, e)
                else:
                    messages.success(request, _("已报名。"))
                    return redirect("employment:course", pk=c.pk)
    rows = [(e, personal_values(request.user, e.person),
             FinishForm(initial={"completed": e.completed, "certificate": e.certificate,
                                 "employed_within_6m": e.employed_within_6m},
                        prefix=f"e{e.pk}") if can_edit else None)
            for e in access.enrolments_for(request.user).filter(course=c)]
    return render(request, "employment/course.html", {"c": c, "rows": rows, "form": form})


@login_required
@require_POST
def finish(request, pk: int):
    """Completion, certificate and the 6-month follow-up of one trainee; the subsidy follows."""
    e = access.access_enrolment_by_id(request.user, pk)
    if not access.can_manage(request.user, e.course.region_id):
        raise PermissionDenied
    form = FinishForm(request.POST, prefix=f"e{e.pk}")
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.do_finish_enrolment(request.user, e, completed=d["completed"],
                                        certificate=d["certificate"],
                                        employed_within_6m=d["employed_within_6m"])
        except ValidationError as err:
            messages.error(request, "；".join(err.messages))
        else:
            messages.success(request, _("已登记结业情况。"))
    else:
        messages.error(request, "；".join(m for ms in form.errors.values() for m in ms))
    return redirect("employment:course", pk=e.course_id)


class EndInternshipForm(InputChecked, forms.Form):
    ended_on = forms.DateField(label=gettext_lazy("结束日期"), widget=widgets.DateInput())
    retained = forms.BooleanField(label=gettext_lazy("期满留用"), required=False)


@login_required
@require_POST
def end_internship(request, pk: int):
    i = access.access_internship_by_id(request.user, pk)
    if not access.can_manage(request.user, i.region_id):
        raise PermissionDenied
    form = EndInternshipForm(request.POST)
    if form.is_valid() and i.ended_on is None:
        try:
            actions.do_end_internship(request.user, i, ended_on=form.cleaned_data["ended_on"],
                                      retained=form.cleaned_data["retained"])
        except ValidationError as err:
            messages.error(request, "；".join(err.messages))
        else:
            messages.success(request, _("见习已结束。"))
    elif i.ended_on is not None:
        messages.error(request, _("该见习已结束"))
    else:
        messages.error(request, "；".join(m for ms in form.errors.values() for m in ms))
    return redirect("employment:internships")
