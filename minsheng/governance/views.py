"""Pages of the evaluation: parse, check (access), call (actions), render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minsheng.accounts.roles import EXPORT
from minsheng.governance import access, actions, exchange, services
from minsheng.governance.forms import (
    DecisionForm,
    InspectionForm,
    ObjectionForm,
    PeriodForm,
    SchemeForm,
    SurveyForm,
)
from minsheng.governance.models import Scheme, SchemeItem, Scorecard, Survey
from minsheng.lib import qr
from minsheng.lib.http import download
from minsheng.places.scope import scope_of


def _evaluation_user(user) -> None:
    if not access.nav(user)["evaluation"]:
        raise PermissionDenied


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _evaluation_user(request.user)
    cards = access.scorecards_for(request.user).order_by("scheme__code", "-period", "-total")[:300]
    return render(request, "governance/index.html", {
        "cards": cards,
        "managed": access.managed_schemes_for(request.user),
        "inspections": access.inspections_for(request.user)[:30],
        "can_inspect": access.can_inspect(request.user),
        "can_define": access.scheme_regions_for(request.user).exists(),
    })


@login_required
def scorecard(request: HttpRequest, pk: int) -> HttpResponse:
    card = access.access_scorecard_by_id(request.user, pk)
    decide = (card.objected_at is not None and not card.decision
              and access.can_manage(request.user, card.scheme))
    return render(request, "governance/scorecard.html", {
        "card": card, "owns": access.owns(request.user, card),
        "form": ObjectionForm() if access.owns(request.user, card) else None,
        "decide": DecisionForm(items=card.items) if decide else None})


@require_POST
@login_required
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The district decides a company's objection (upheld: the item re-scored)."""
    card = access.access_scorecard_by_id(request.user, pk)
    if not access.can_manage(request.user, card.scheme):
        raise PermissionDenied
    form = DecisionForm(request.POST, items=card.items)
    try:
        if not form.is_valid():
            raise ValidationError([e for errs in form.errors.values() for e in errs])
        d = form.cleaned_data
        actions.do_decide_objection(
            card, upheld=d["decision"] == "upheld", reason=d["reason"], by=request.user,
            item=d["item"], value=None if d["value"] is None else float(d["value"]))
        messages.success(request, _("异议已处理"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("governance:scorecard", pk=card.pk)


@require_POST
@login_required
def object_to(request: HttpRequest, pk: int) -> HttpResponse:
    card = access.access_scorecard_by_id(request.user, pk)
    if not access.owns(request.user, card):
        raise PermissionDenied
    form = ObjectionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("请填写异议理由"))
        actions.do_object(card, reason=form.cleaned_data["reason"], by=request.user)
        messages.success(request, _("异议已提交"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("governance:scorecard", pk=card.pk)


def _managed_scheme(request) -> tuple[Scheme, services.Period]:
    form = PeriodForm(request.POST or request.GET)
    if not form.is_valid():
        raise Http404
    scheme = access.managed_schemes_for(request.user).filter(
        pk=form.cleaned_data["scheme"]).first()
    if scheme is None:
        raise Http404
    try:
        return scheme, services.parse_period(form.cleaned_data["period"])
    except services.PeriodError:
        raise Http404 from None


@require_POST
@login_required
def compute(request: HttpRequest) -> HttpResponse:
    scheme, period = _managed_scheme(request)
    n = len(actions.do_compute_scores(scheme, period.code, by=request.user))
    messages.success(request, _("已计算 %(n)d 家物业服务企业的得分") % {"n": n})
    return redirect("governance:index")


@require_POST
@login_required
def publish(request: HttpRequest) -> HttpResponse:
    scheme, period = _managed_scheme(request)
    actions.do_publish(scheme, period.code, by=request.user)
    messages.success(request, _("考评结果已公布"))
    return redirect("governance:index")


@require_POST
@login_required
def open_surveys(request: HttpRequest) -> HttpResponse:
    form = PeriodForm({"scheme": request.POST.get("scheme"), "period": "2000"})
    scheme = access.managed_schemes_for(request.user).filter(
        pk=form.cleaned_data["scheme"]).first() if form.is_valid() else None
    if scheme is None:
        raise Http404
    n = actions.do_open_surveys(scheme, by=request.user)
    messages.success(request, _("已为 %(n)d 个小区开通问卷") % {"n": n})
    return redirect("governance:surveys")


@login_required
def surveys(request: HttpRequest) -> HttpResponse:
    """The questionnaires' links (to print or send) of the schemes the user manages."""
    rows = (Survey.objects.filter(scheme__in=access.managed_schemes_for(request.user))
            .select_related("compound", "compound__region", "scheme")
            .annotate(n=Count("answers")).order_by("scheme__code", "compound__region_id",
                                                    "compound__name"))
    if not access.managed_schemes_for(request.user).exists():
        raise PermissionDenied
    return render(request, "governance/surveys.html", {
        "rows": rows[:1000], "managed": access.managed_schemes_for(request.user)})


@login_required
def survey_poster(request: HttpRequest, pk: int) -> HttpResponse:
    """A compound's questionnaire as a printable page: its QR code and link, to post up."""
    sv = access.access_managed_survey(request.user, pk)
    link = request.build_absolute_uri(reverse("governance:survey", args=[sv.token]))
    return render(request, "governance/survey_poster.html", {
        "survey": sv, "link": link, "qr": qr.svg(link, title=sv.compound.name)})


@login_required
def export(request: HttpRequest) -> HttpResponse:
    scheme, period = _managed_scheme(request)
    if not scope_of(request.user).has_right(EXPORT, scheme.region_id):
        raise PermissionDenied
    cards = services.compute(scheme, period)
    return download(exchange.scores_xlsx(scheme, period, cards),
                    f"物业考评_{scheme.code}_{period.code}.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@login_required
def inspect(request: HttpRequest) -> HttpResponse:
    if not access.can_inspect(request.user):
        raise PermissionDenied
    compounds = access.inspectable_compounds_for(request.user)
    schemes = access.schemes_for(request.user)
    compound = compounds.filter(pk=request.GET.get("compound") or 0).first() \
        if (request.GET.get("compound") or "").isdigit() else None
    scheme = schemes.filter(pk=request.GET.get("scheme") or 0).first() \
        if (request.GET.get("scheme") or "").isdigit() else schemes.first()
    if compound is None or scheme is None:
        return render(request, "governance/inspect_pick.html", {
            "compounds": compounds.order_by("region_id", "name")[:500], "schemes": schemes})
    items = scheme.items.filter(source=SchemeItem.Source.INSPECTION)
    form = InspectionForm(request.POST or None, request.FILES or None, items=items)
    if request.method == "POST" and form.is_valid():
        try:
            photo = form.cleaned_data["photo"]
            ins = actions.do_record_inspection(
                scheme=scheme, compound=compound, kind=form.cleaned_data["kind"],
                day=form.cleaned_data["day"], results=form.results(),
                note=form.cleaned_data["note"], photos=[photo] if photo else [], by=request.user)
            return redirect("governance:inspection", pk=ins.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "governance/inspect.html",
                  {"form": form, "compound": compound, "scheme": scheme})


@login_required
def inspection(request: HttpRequest, pk: int) -> HttpResponse:
    ins = access.access_inspection_by_id(request.user, pk)
    names = dict(ins.scheme.items.values_list("code", "name"))
    return render(request, "governance/inspection.html", {
        "ins": ins, "results": [(names.get(k, k), v) for k, v in ins.results.items()]})


@login_required
def photo(request: HttpRequest, pk: int, n: int) -> HttpResponse:
    ins = access.access_inspection_by_id(request.user, pk)
    photos = list(ins.photos.order_by("pk"))
    if not 0 <= n < len(photos):
        raise Http404
    with photos[n].image.open("rb") as f:
        return download(f.read(), f"inspection-{ins.pk}-{n}.jpg", "image/jpeg", inline=True)


def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The public questionnaire of a compound (by its link or QR code); no login."""
    sv = access.access_survey_by_token(token)
    items = sv.scheme.items.filter(source=SchemeItem.Source.SURVEY)
    form = SurveyForm(request.POST or None, items=items)
    done = False
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_answer_survey(sv, household=form.cleaned_data["household"],
                                     answers=form.answers())
            done = True
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "governance/survey.html", {
        "survey": sv, "form": form, "done": done, "answers": sv.answers.count()})


def ranking(request: HttpRequest) -> HttpResponse:
    """The published ranking: companies, scores and grades only (no personal data)."""
    cards = (Scorecard.objects.filter(published=True).select_related("scheme", "company")
             .order_by("scheme__name", "-period", "-total", "company__name"))
    groups: dict[tuple[str, str], list[Scorecard]] = {}
    for c in cards:
        groups.setdefault((c.scheme.name, c.period), []).append(c)
    return render(request, "governance/ranking.html", {"groups": groups})


def _save_scheme(request: HttpRequest, scheme: Scheme | None) -> HttpResponse:
    regions = access.scheme_regions_for(request.user)
    form = SchemeForm(request.POST or None, scheme=scheme, regions=regions)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if scheme is None and not regions.filter(code=d["region"]).exists():
                raise PermissionDenied
            saved = actions.do_save_scheme(
                scheme, by=request.user, items=form.items(), bands=form.bands(),
                name=d["name"].strip(), period=d["period"], code=d.get("code", ""),
                region_id=d.get("region", ""))
            messages.success(request, _("考评方案已保存"))
            return redirect("governance:scheme-edit", pk=saved.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "governance/scheme_form.html", {"form": form, "scheme": scheme})


@login_required
def scheme_new(request: HttpRequest) -> HttpResponse:
    """The district defines an evaluation scheme (MANAGE_GOVERNANCE)."""
    if not access.scheme_regions_for(request.user).exists():
        raise PermissionDenied
    return _save_scheme(request, None)


@login_required
def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_scheme(request, access.access_managed_scheme_by_id(request.user, pk))
