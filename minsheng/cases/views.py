"""Case pages: the resident's form and private tracking page, the grid worker's patrol form, the
organisation's queue with its SLA clocks and notifications, the supervisors' list, and the case
detail with its timeline and the actions the workflow allows.

Every state change goes through cases/workflow.py (ValidationError → a message on the page,
PermissionDenied → 403); every case a page shows comes from cases/access.py (404 outside scope).
"""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.validators import RegexValidator
from django.db import transaction
from django.db.models import Case as DbCase
from django.db.models import F, Q, When
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from minsheng.accounts.masking import can_unmask, client_ip, mask_text, personal_values
from minsheng.accounts.roles import EXPORT, Role
from minsheng.cases import stats as case_stats
from minsheng.cases import workflow
from minsheng.cases.access import (
    access_case_by_id,
    can_patrol,
    case_by_token,
    cases_for,
    cases_in,
    is_case_staff,
    is_case_supervisor,
    org_ids_of,
    public_attachments,
    public_case_by_number,
    queue_for,
)
from minsheng.cases.attachments import ACCEPT, clean_photo, save_photo, thumbnail
from minsheng.cases.duplicates import ME_TOO_RADIUS_M, near_duplicates, open_nearby
from minsheng.cases.mediation import can_view_mediation, can_view_review
from minsheng.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseType,
    Device,
    Notification,
    OutcomeKind,
    Priority,
    RatingChannel,
)
from minsheng.lib import widgets
from minsheng.lib.files import serve
from minsheng.lib.http import RateLimit
from minsheng.lib.pagination import CappedPaginator
from minsheng.lib.validators import MULTI_LINE, SINGLE_LINE, InputChecked
from minsheng.places.models import Compound, Grid, Organisation, Region, district_code, parent_code
from minsheng.places.regionswitch import current_prefix, current_region
from minsheng.places.scope import compounds_for, scope_of

S = Case.Status
RATE_LIMIT = 5  # resident filings per IP and per session …
RATE_WINDOW = 3600  # … per hour
FILING_LIMIT = RateLimit("cases:file", RATE_LIMIT, RATE_WINDOW)
SUPPORT_LIMIT = RateLimit("cases:support", 30, 3600)  # "me too"s per address and session
PATROL_COMPOUNDS_MAX = 120  # above this the patrol form offers the map only
ACTIONS = ("accept", "note", "transfer", "return", "resolve", "merge", "pause", "resume",
           "priority", "extend", "decide", "supervise", "answer", "callback", "sms")
PHONE = RegexValidator(r"^\+?[0-9][0-9\- ]{5,18}[0-9]$",
                       gettext_lazy("请填写正确的联系电话（手机或座机号码）。"))


# ---------------------------------------------------------------------------------------------
# helpers


def _now() -> dt.datetime:
    return timezone.now()


def _duration(seconds: float) -> str:
    m = int(abs(seconds) // 60)
    d, rest = divmod(m, 1440)
    h, mi = divmod(rest, 60)
    if d:
        return _("%(d)d天%(h)d小时") % {"d": d, "h": h}
    if h:
        return _("%(h)d小时%(m)d分") % {"h": h, "m": mi}
    return _("%(m)d分钟") % {"m": mi}


def _clock(case: Case, now: dt.datetime) -> dict | None:
    """The running SLA clock of an open case: which deadline, how long is left, its colour."""
    if case.status == S.ASSIGNED:
        what, due, start = _("受理"), case.accept_due, case.created_at
    elif case.status == S.ACCEPTED:
        what, due, start = _("办结"), case.resolve_due, case.accepted_at or case.created_at
    else:
        return None
    left = (due - now).total_seconds()
    window = max((due - start).total_seconds(), 1)
    if left < 0:
        state, text = "overdue", _("%(what)s已超时 %(t)s") % {"what": what, "t": _duration(left)}
    else:
        state = "lagging" if left < min(window / 4, 12 * 3600) else "on_track"
        text = _("距%(what)s时限 %(t)s") % {"what": what, "t": _duration(left)}
    return {"what": what, "due": due, "left": left, "state": state, "text": text}


def _late(case: Case, now: dt.datetime, clock: dict | None) -> list[dict]:
    """The deadlines the case missed, each with its time limit, except the one the running clock
    already shows as overdue: the badges never say "超时" beside a clock that is on time without
    saying which deadline was missed."""
    out = []
    accepted = case.accepted_at or (now if case.status == S.ASSIGNED else None)
    if accepted is not None and case.accept_due and accepted > case.accept_due:
        out.append({"what": _("受理"), "due": case.accept_due})
    resolved = case.resolved_at or (now if case.status in (S.ASSIGNED, S.ACCEPTED) else None)
    if resolved is not None and case.resolve_due and resolved > case.resolve_due:
        out.append({"what": _("办结"), "due": case.resolve_due})
    if clock is not None and clock["state"] == "overdue":
        out = [x for x in out if x["what"] != clock["what"]]
    return out


def _sla(case: Case, now: dt.datetime) -> list[dict]:
    """Both deadlines of a case and whether each was met (None = still running)."""
    rows = []
    for label, due, done in ((_("受理时限"), case.accept_due, case.accepted_at),
                             (_("办结时限"), case.resolve_due, case.resolved_at)):
        if done is not None:
            met = done <= due
        elif case.status in (S.CLOSED, S.MERGED):
            met = None if case.status == S.MERGED else (case.closed_at or now) <= due
        else:
            met = None if now <= due else False
        rows.append({"label": label, "due": due, "done": done, "met": met})
    return rows


def _with_clocks(cases, now):
    """A page of cases with their clocks and the labels its rows show. The labels are looked up
    once per page: get_status_display() and the like rebuild the field's choices on every call, a
    fifth of a 50-row page's rendering (bench/province_bench.py --profile)."""
    out = list(cases)
    labels = {name: {value: str(label) for value, label in Case._meta.get_field(name).flatchoices}
              for name in ("status", "channel", "verdict")}
    types: dict[str, str] = {}
    for c in out:
        c.clock = _clock(c, now)
        c.late = _late(c, now, c.clock)
        c.status_label = labels["status"].get(c.status, c.status)
        c.channel_label = labels["channel"].get(c.channel, c.channel)
        c.verdict_label = labels["verdict"].get(c.verdict, c.verdict) if c.verdict else ""
        if c.case_type_id not in types:
            types[c.case_type_id] = c.case_type.label
        c.type_label = types[c.case_type_id]
    return out


def _page(request, qs, per_page: int = 50):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def _type_choices(types) -> list:
    """Case types grouped (诉求 / 投诉 / 矛盾纠纷 / …) for a select with optgroups."""
    groups: dict[str, list] = {}
    for t in types:
        groups.setdefault(t.get_group_display(), []).append((t.code, t.label))
    return [("", _("请选择"))] + list(groups.items())


def _served_districts() -> list[Region]:
    return list(Region.objects.filter(level=Region.Level.DISTRICT, boundary__isnull=False)
                .order_by("code"))


def _district(request) -> Region | None:
    """The district a filing form serves: ?district=, else the user's current region's, else the
    first district with boundaries."""
    districts = _served_districts()
    code = request.POST.get("district") or request.GET.get("district") or ""
    if not code and request.user.is_authenticated:
        region = _home_region(request.user) or current_region(request)
        code = region.code if region else ""
    for d in districts:
        if code and district_code(code) == district_code(d.code):
            return d
    return districts[0] if districts else None


def _home_region(user) -> Region | None:
    """A resident's community (profile, else their resident membership)."""
    if not user.is_authenticated:
        return None
    profile = _profile(user)
    if profile is not None and profile.home_region_id:
        return profile.home_region
    for g in scope_of(user).grants:
        if g.role == Role.RESIDENT:
            return Region.objects.filter(code=g.prefix.ljust(12, "0")).first()
    return None


def _profile(user):
    try:
        return user.profile
    except ObjectDoesNotExist:  # no profile row
        return None


def _focus_geometry(region: Region | None, district: Region | None):
    for r in (region, district):
        if r is not None and r.boundary:
            return r.boundary
    return None


def _add_errors(form: forms.Form, err: ValidationError) -> None:
    if hasattr(err, "error_dict"):
        for field, msgs in err.message_dict.items():
            target = field if field in form.fields and field not in ("lat", "lng") else None
            form.add_error(target, msgs)
    else:
        form.add_error(None, err.messages)


# ---------------------------------------------------------------------------------------------
# rate limit on public filing (Django cache; sliding window)


def _rate_keys(request) -> list[str]:
    keys = []
    ip = client_ip(request)
    if ip:
        keys.append(f"cases:file:ip:{ip}")
    if not request.session.session_key:
        request.session.save()
    keys.append(f"cases:file:session:{request.session.session_key}")
    return keys


def _rate_wait(request) -> int:
    """0 when the request may file; else the seconds until the IP and the session may again."""
    return FILING_LIMIT.wait(_rate_keys(request))


def _rate_record(request) -> None:
    FILING_LIMIT.hit(_rate_keys(request))


# ---------------------------------------------------------------------------------------------
# forms


class _CaseForm(InputChecked, forms.Form):
    case_type = forms.ChoiceField(label=gettext_lazy("问题类别"))
    description = forms.CharField(
        label=gettext_lazy("问题描述"), max_length=2000, validators=[MULTI_LINE],
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": gettext_lazy(
            "发生了什么、具体在哪里、持续多久")}))
    photo = forms.FileField(label=gettext_lazy("照片（可选，最大 8 MB）"), required=False,
                            widget=forms.FileInput(attrs={"accept": ACCEPT}))
    lat = forms.FloatField(required=False, min_value=-90, max_value=90,
                           widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180,
                           widget=forms.HiddenInput)
    compound = forms.ModelChoiceField(queryset=Compound.objects.none(), required=False,
                                      label=gettext_lazy("所在小区"))

    def __init__(self, *args, types, compounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.types = {t.code: t for t in types}
        self.fields["case_type"].choices = _type_choices(types)
        self.fields["compound"].queryset = compounds

    def clean_case_type(self):
        t = self.types[self.cleaned_data["case_type"]]
        if t.redirect_to:  # not our remit: where to turn instead (workflow.do_file refuses too)
            raise forms.ValidationError(_("%(name)s不属于本平台受理范围：%(where)s") % {
                "name": t.label, "where": t.redirect_to_en if t.redirect_to_en and
                translation.get_language() == "en" else t.redirect_to})
        return t

    def clean_photo(self):
        return clean_photo(self.cleaned_data.get("photo"))

    def clean(self):
        d = super().clean()
        lat, lng = d.get("lat"), d.get("lng")
        if "lat" in self.errors or "lng" in self.errors:
            return d
        if (lat is None) != (lng is None):
            self.add_error(None, _("位置坐标不完整，请重新在地图上点选。"))
        elif lat is None and not d.get("compound") and "compound" not in self.errors:
            self.add_error(None, _("请在地图上点选位置，或选择所在小区。"))
        return d


class FileForm(_CaseForm):
    address = forms.CharField(label=gettext_lazy("具体位置（楼号、单元、门牌等，可选）"),
                              max_length=200, required=False, validators=[SINGLE_LINE])
    name = forms.CharField(label=gettext_lazy("您的称呼"), max_length=50, validators=[SINGLE_LINE])
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=30,
                            validators=[SINGLE_LINE, PHONE],
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel",
                                                          "autocomplete": "tel"}),
                            help_text=gettext_lazy("仅办理单位可见，用于联系核实。"))

    def __init__(self, *args, anonymous: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not anonymous:
            self.fields["name"].required = False
            self.fields["phone"].required = False

    def clean_phone(self):
        return re.sub(r"\s+", "", self.cleaned_data.get("phone") or "")


class PatrolForm(_CaseForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["description"].required = False
        self.fields["description"].widget.attrs["rows"] = 3
        self.fields["description"].widget.attrs["placeholder"] = _("可不填：简要说明现场情况")
        self.fields["photo"].label = _("现场照片")
        self.fields["photo"].widget.attrs.update({"accept": "image/*", "capture": "environment"})


class RateForm(InputChecked, forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("满意度"), coerce=int, widget=forms.RadioSelect,
        choices=[(5, gettext_lazy("5 分 非常满意")), (4, gettext_lazy("4 分 满意")),
                 (3, gettext_lazy("3 分 一般")), (2, gettext_lazy("2 分 不满意")),
                 (1, gettext_lazy("1 分 非常不满意"))])
    fixed = forms.ChoiceField(label=gettext_lazy("问题是否解决"), widget=forms.RadioSelect,
                              choices=[("yes", gettext_lazy("已解决")),
                                       ("no", gettext_lazy("没有解决"))])
    comment = forms.CharField(label=gettext_lazy("意见（可选）"), max_length=500, required=False,
                              validators=[MULTI_LINE], widget=forms.Textarea(attrs={"rows": 3}))


def _file(request, form: _CaseForm, *, channel: str, reporter_name: str = "",
          reporter_phone: str = "", address: str = "") -> Case | None:
    """File the case and store its photo in one transaction; None (errors on the form) if the
    workflow refuses it."""
    d = form.cleaned_data
    user = request.user if request.user.is_authenticated else None
    description = d["description"].strip() or (
        _("巡查发现：%(t)s") % {"t": d["case_type"].name} if channel == Case.Channel.PATROL else "")
    try:
        with transaction.atomic():
            case = workflow.do_file(
                case_type=d["case_type"], description=description, channel=channel,
                lng=d.get("lng"), lat=d.get("lat"), compound=d.get("compound"), address=address,
                reporter=user, reporter_name=reporter_name, reporter_phone=reporter_phone)
            save_photo(case, d.get("photo"), user=user)
    except ValidationError as e:
        _add_errors(form, e)
        return None
    return case


# ---------------------------------------------------------------------------------------------
# residents: filing, tracking, my cases


def _search_compounds(district: Region, q: str, limit: int = 20):
    q = (q or "").strip()
    if not q:
        return Compound.objects.none()
    return (Compound.objects.in_region(district.code).filter(name__icontains=q)
            .select_related("region").order_by("name")[:limit])


def file_case(request):
    """/cases/new/ — a resident files a request (login optional). Open public cases of the same
    category nearby are shown first, each with its "我也遇到了" (posted to its public page, which
    counts it); `file_anyway=1` files regardless."""
    district = _district(request)
    if district is None:
        return render(request, "cases/new.html", {"district": None})
    user = request.user
    anonymous = not user.is_authenticated
    types = list(CaseType.objects.filter(active=True, resident_can_file=True))
    compounds = Compound.objects.in_region(district.code)
    home = _home_region(user)
    kw = {"types": types, "compounds": compounds, "anonymous": anonymous}
    options = list(compounds.filter(region=home).order_by("name")) if home and \
        home.level == Region.Level.COMMUNITY else []
    limited = not is_case_staff(user)
    status, wait = 200, 0
    searched = None
    nearby, support_phone = [], ""
    if request.method == "POST" and request.POST.get("find"):
        # the no-JavaScript compound search: show the matches, keep what was typed
        form = FileForm(initial=request.POST.dict(), **kw)
        searched = request.POST.get("compound_q", "")
        options = list(_search_compounds(district, searched))
    elif request.method == "POST" and limited and (wait := _rate_wait(request)):
        form = FileForm(initial=request.POST.dict(), **kw)
        status = 429
    elif request.method == "POST":
        form = FileForm(request.POST, request.FILES, **kw)
        if form.is_valid():
            profile = _profile(user) if not anonymous else None
            d = form.cleaned_data
            phone = d["phone"] or (profile.phone if profile else "")
            # a resident first sees the same problem already reported nearby (附议 instead of a
            # duplicate); "file anyway" files regardless
            if limited and request.POST.get("file_anyway") != "1":
                nearby = [{"case": c, "distance": round(m), "description": mask_text(
                    c.description)} for c, m in open_nearby(
                    d["case_type"], lat=d.get("lat"), lng=d.get("lng"), compound=d.get("compound"))]
                support_phone = phone
        if form.is_valid() and not nearby:
            # staff filing for a walk-in resident: 工作人员登记; otherwise 居民线上提交
            channel = Case.Channel.RESIDENT if limited else Case.Channel.STAFF
            case = _file(request, form, channel=channel, address=d["address"],
                         reporter_name=d["name"] or (profile.real_name if profile else "")
                         or (user.get_full_name() if not anonymous else ""),
                         reporter_phone=phone)
            if case is not None:
                if limited:
                    _rate_record(request)
                return redirect(reverse("cases:track", args=[case.token]) + "?new=1")
    else:
        profile = _profile(user) if not anonymous else None
        initial = {"name": profile.real_name, "phone": profile.phone} if profile else {}
        form = FileForm(initial=initial, **kw)
    chosen = request.POST.get("compound", "") if request.method == "POST" else ""
    if chosen.isdigit() and not any(str(c.pk) == chosen for c in options):
        options = list(compounds.filter(pk=chosen)) + options
    resp = render(request, "cases/new.html", {
        "form": form, "district": district, "districts": _served_districts(),
        "options": options, "searched": searched, "rate_limited": status == 429,
        "rate_limit": RATE_LIMIT, "anonymous": anonymous,
        "elsewhere": [t for t in types if t.redirect_to],
        "nearby": nearby, "support_phone": support_phone,
        "me_too_radius": round(ME_TOO_RADIUS_M), "supports_for_priority":
        workflow.SUPPORTS_FOR_PRIORITY,
        "focus": _focus_geometry(home or (current_region(request) if not anonymous else None),
                                 district),
    }, status=status)
    if status == 429:
        resp["Retry-After"] = str(wait)
    return resp


@require_GET
def compound_search(request):
    """/cases/compounds.json?q=…&district=… — compounds by name for the filing forms."""
    district = _district(request)
    if district is None:
        return JsonResponse({"results": []})
    rows = [{"id": c.pk, "name": c.name, "community": c.region.name, "lat": c.lat, "lng": c.lng}
            for c in _search_compounds(district, request.GET.get("q", ""))]
    return JsonResponse({"results": rows})


@require_GET
def map_data(request):
    """/cases/map.geojson?district=… — the vector base map of the filing forms: street
    boundaries and compound points of a district (public places, no personal data)."""
    district = _district(request)
    if district is None:
        return JsonResponse({"type": "FeatureCollection", "features": []})
    key = f"cases:basemap:{district.code}"
    fc = cache.get(key)
    if fc is None:
        feats = [{"type": "Feature", "geometry": r.boundary,
                  "properties": {"kind": "street", "name": r.name, "code": r.code}}
                 for r in Region.objects.filter(parent=district, boundary__isnull=False)]
        feats += [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [c.lng, c.lat]},
                   "properties": {"kind": "compound", "id": c.pk, "name": c.name}}
                  for c in Compound.objects.in_region(district.code).only("pk", "name", "lat",
                                                                          "lng")]
        fc = {"type": "FeatureCollection", "features": feats}
        cache.set(key, fc, 600)
    return JsonResponse(fc)


def _public_photos(case: Case):
    return case.attachments.filter(Q(event__isnull=True) | Q(event__public=True)).order_by("pk")


def track(request, token: str):
    """/cases/t/<token>/ — the resident's private page: progress, outcome, rating."""
    case = case_by_token(token)
    form = None
    if case.status == S.RESOLVED:
        form = RateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            fixed = d["fixed"] == "yes"
            try:
                via = RatingChannel.SMS if request.GET.get("via") == "sms" else RatingChannel.WEB
                workflow.do_rate(request.user, case, fixed=fixed, rating=d["rating"],
                                 comment=d["comment"].strip(), token=token, via=via)
            except ValidationError as e:
                form.add_error(None, e.messages)
            else:
                if fixed:
                    messages.success(request, _("感谢您的评价，诉求已关闭。"))
                else:
                    messages.warning(request, _(
                        "已收到您的评价：问题没有解决，诉求已重新交给办理单位继续办理。"))
                return redirect("cases:track", token=token)
    elif request.method == "POST":
        messages.error(request, _("当前状态下不能评价。"))
        return redirect("cases:track", token=token)
    events = []
    for e in case.events.filter(public=True).select_related("organisation"):
        e.public_note = mask_text(e.note)
        events.append(e)
    merged_into = case.duplicate_of if case.status == S.MERGED else None
    resp = render(request, "cases/track.html", {
        "case": case, "events": events, "form": form, "new": request.GET.get("new") == "1",
        "description": mask_text(case.description), "outcome": mask_text(case.outcome),
        "photos": _public_photos(case), "merged_into": merged_into,
        "link": request.build_absolute_uri(reverse("cases:track", args=[case.token])),
    })
    # The token must not leak to other sites through the Referer, but the page's own forms (the
    # rating, the language switch) must still carry a real Origin: under "no-referrer" browsers
    # send `Origin: null` and Django's CSRF check refuses the POST.
    resp["Referrer-Policy"] = "same-origin"
    resp["Cache-Control"] = "private, no-store"
    return resp


class SupportForm(InputChecked, forms.Form):
    phone = forms.CharField(label=gettext_lazy("手机号码（可选，同一号码只计一次）"), max_length=30,
                            required=False, validators=[SINGLE_LINE, PHONE],
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))

    def clean_phone(self):
        return re.sub(r"[\s-]+", "", self.cleaned_data.get("phone") or "")


def public_case(request, number: str):
    """/cases/p/<number>/ — a public case as anyone may see it (personal data masked), where a
    resident adds "我也遇到了" (once per session and per phone, rate-limited per address)."""
    case = public_case_by_number(number)
    can_support = case.status in (S.ASSIGNED, S.ACCEPTED)
    if not request.session.session_key:
        request.session.save()
    session_key = request.session.session_key
    supported = case.supports.filter(
        digest=workflow.support_digest("session", session_key)).exists()
    form = SupportForm(request.POST if request.method == "POST" else None)
    status, wait = 200, 0
    if request.method == "POST":
        if not can_support:
            raise PermissionDenied
        ip = client_ip(request) or ""
        if form.is_valid() and not supported:
            wait = SUPPORT_LIMIT.take([f"ip:{ip}", f"session:{session_key}"])
            if wait:
                status = 429
                form.add_error(None, _("操作过于频繁，请稍后再试。"))
            else:
                try:
                    added = workflow.do_support(case, session_key=session_key,
                                                phone=form.cleaned_data["phone"])
                except ValidationError as e:
                    form.add_error(None, e.messages)
                else:
                    if added:
                        messages.success(request, _("已附议，谢谢您。"))
                    else:
                        messages.info(request, _("该号码已附议过这件诉求。"))
                    return redirect("cases:public", number=case.number)
        elif supported:
            return redirect("cases:public", number=case.number)
    resp = render(request, "cases/public.html", {
        "case": case, "form": form, "supported": supported, "can_support": can_support,
        "description": mask_text(case.description), "outcome": mask_text(case.outcome),
    }, status=status)
    if wait:
        resp["Retry-After"] = str(wait)
    return resp


@login_required
def mine(request):
    """/cases/mine/ — the cases the logged-in user filed."""
    qs = Case.objects.filter(reporter=request.user).select_related("case_type", "region")
    return render(request, "cases/mine.html", {"page": _page(request, qs.order_by("-created_at"))})


# ---------------------------------------------------------------------------------------------
# grid workers: the patrol form


@login_required
def patrol(request):
    """/cases/patrol/ — a grid worker files what they find, with photo and GPS, in a minute."""
    user = request.user
    if not can_patrol(user):
        raise PermissionDenied
    prefix = current_prefix(request)
    compounds = compounds_for(user)
    if prefix:
        compounds = compounds.filter(region__code__startswith=prefix)
    show_compounds = compounds.count() <= PATROL_COMPOUNDS_MAX
    kw = {"types": list(CaseType.objects.filter(active=True, redirect_to="")),
          "compounds": compounds if show_compounds else Compound.objects.none()}
    post = request.method == "POST"
    form = PatrolForm(request.POST if post else None, request.FILES if post else None, **kw)
    if request.method == "POST" and form.is_valid():
        profile = _profile(user)
        case = _file(request, form, channel=Case.Channel.PATROL,
                     reporter_name=(profile.real_name if profile else "") or user.get_full_name()
                     or user.get_username())
        if case is not None:
            messages.success(request, _("已提交：%(number)s，已派至 %(org)s。") % {
                "number": case.number, "org": case.organisation.name})
            return redirect("cases:patrol")
    grid = Grid.objects.filter(worker=user).exclude(boundary__isnull=True).first()
    region = current_region(request)
    district = Region.objects.filter(code=district_code(region.code)).first() if region \
        else None
    recent = Case.objects.filter(reporter=user, channel=Case.Channel.PATROL).select_related(
        "case_type", "organisation").order_by("-created_at")[:5]
    return render(request, "cases/patrol.html", {
        "form": form, "show_compounds": show_compounds, "recent": recent, "district": district,
        "focus": grid.boundary if grid else _focus_geometry(region, district),
    })


# ---------------------------------------------------------------------------------------------
# organisations: queue and notifications; supervisors: the list


class QueueFilter(InputChecked, forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False, choices=[
        ("", gettext_lazy("全部")), (S.ASSIGNED, S.ASSIGNED.label), (S.ACCEPTED, S.ACCEPTED.label)])
    type = forms.ChoiceField(label=gettext_lazy("类别"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("全部"))] + [
            (t.code, t.label) for t in CaseType.objects.all()]


def _by_due(qs):
    """Open cases, urgent first, then by their running deadline (the most overdue first)."""
    return qs.annotate(due=DbCase(When(status=S.ASSIGNED, then=F("accept_due")),
                                 default=F("resolve_due"))).order_by("priority", "due", "pk")


@login_required
def queue(request):
    """/cases/queue/ — open cases held by the user's organisations, with SLA clocks."""
    now = _now()
    orgs = org_ids_of(request.user)
    qs = queue_for(request.user).select_related("compound")
    form = QueueFilter(request.GET or None)
    if form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["type"]:
            qs = qs.filter(case_type_id=form.cleaned_data["type"])
    page = _page(request, _by_due(qs))
    page.object_list = _with_clocks(page.object_list, now)
    notes = Notification.objects.filter(organisation_id__in=orgs).select_related(
        "case", "organisation")
    unread = notes.filter(read_at__isnull=True).count()
    notes = notes.order_by(F("read_at").asc(nulls_first=True), "-created_at")[:30]
    base = queue_for(request.user)
    late = base.filter(Q(status=S.ASSIGNED, accept_due__lt=now) |
                       Q(status=S.ACCEPTED, resolve_due__lt=now)).count()
    return render(request, "cases/queue.html", {
        "form": form, "page": page, "notes": notes, "unread": unread, "has_orgs": bool(orgs),
        "organisations": Organisation.objects.filter(pk__in=orgs),
        "totals": {"open": base.count(), "assigned": base.filter(status=S.ASSIGNED).count(),
                   "late": late, "escalated": base.filter(escalation_level__gt=0).count()},
        "is_supervisor": is_case_supervisor(request.user),
        "has_devices": Device.objects.filter(organisation_id__in=orgs).exists(),
    })


@login_required
@require_POST
def notifications_read(request):
    """Mark one notification (id=…) or all of the user's organisations' notifications read."""
    qs = Notification.objects.filter(organisation_id__in=org_ids_of(request.user),
                                     read_at__isnull=True)
    if request.POST.get("id"):
        qs = qs.filter(pk=request.POST["id"]) if request.POST["id"].isdigit() else qs.none()
    qs.update(read_at=_now())
    return redirect(reverse("cases:queue") + "#notifications")


class ListFilter(InputChecked, forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False,
                               choices=[("", gettext_lazy("全部"))] + list(S.choices))
    type = forms.ChoiceField(label=gettext_lazy("类别"), required=False)
    channel = forms.ChoiceField(label=gettext_lazy("来源"), required=False,
                                choices=[("", gettext_lazy("全部"))] + list(Case.Channel.choices))
    overdue = forms.ChoiceField(label=gettext_lazy("超时"), required=False, choices=[
        ("", gettext_lazy("全部")), ("1", gettext_lazy("超时")), ("0", gettext_lazy("未超时"))])
    start = forms.DateField(label=gettext_lazy("提交日期从"), required=False,
                            widget=widgets.DateInput())
    end = forms.DateField(label=gettext_lazy("至"), required=False,
                          widget=widgets.DateInput())
    q = forms.CharField(label=gettext_lazy("编号/描述"), required=False, max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("全部"))] + [
            (t.code, t.label) for t in CaseType.objects.all()]


def filter_cases(qs, data: dict, now: dt.datetime | None = None):
    """Apply the list's filters (status, type, channel, overdue, start, end, q) to a queryset."""
    now = now or _now()
    form = ListFilter(data)
    if not form.is_valid():
        return qs, form
    d = form.cleaned_data
    for field, key in (("status", "status"), ("case_type_id", "type"), ("channel", "channel")):
        if d[key]:
            qs = qs.filter(**{field: d[key]})
    late = Q(overdue=True) | Q(status=S.ASSIGNED, accept_due__lt=now) | Q(
        status=S.ACCEPTED, resolve_due__lt=now)
    if d["overdue"] == "1":
        qs = qs.filter(late)
    elif d["overdue"] == "0":
        qs = qs.exclude(late)
    # local days as a range of moments: the (region, created_at) index serves it, where a
    # created_at::date per row read a district's every case (bench/province_bench.py)
    if d["start"]:
        qs = qs.filter(created_at__gte=case_stats.aware(d["start"]))
    if d["end"]:
        qs = qs.filter(created_at__lt=case_stats.aware(d["end"] + dt.timedelta(days=1)))
    if d["q"]:
        qs = qs.filter(Q(number__icontains=d["q"]) | Q(description__icontains=d["q"]) |
                       Q(external_id__icontains=d["q"]))
    return qs, form


LIST_DEFERRED = ("description", "outcome", "attributes", "region__boundary", "compound__boundary",
                 "case_type__description", "case_type__keywords", "case_type__attributes")


@login_required
def case_list(request):
    """/cases/ — every case in the user's scope (narrowed by the region switcher), filtered."""
    if not is_case_staff(request.user):
        return redirect("cases:mine")
    now = _now()
    prefix = current_prefix(request)
    qs = cases_in(request.user, prefix if prefix and scope_of(request.user).prefixes else "")
    qs, form = filter_cases(qs, request.GET, now)
    # counted up to COUNT_CAP (over a district's 100,000 cases the count was most of the page's
    # time, bench/province_bench.py); one count for the header and the pager
    # the page shows none of the outlines, texts and attributes: decoding their JSON for 50 rows
    # and the joined region, compound and type took a third of the page's time (province_bench)
    page = CappedPaginator(qs.select_related("compound").defer(*LIST_DEFERRED)
                           .order_by("-created_at", "-pk"), 50, ids_first=True).get_page(
                               request.GET.get("page"))
    page.object_list = _with_clocks(page.object_list, now)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/list.html", {
        "form": form, "page": page, "total": page.paginator.count,
        "total_text": page.paginator.count_text, "query": query.urlencode(),
        "can_export": scope_of(request.user).has_right(EXPORT),
    })


# ---------------------------------------------------------------------------------------------
# case detail and actions


def _chain(code: str):
    while code:
        yield code
        code = parent_code(code)


def transfer_targets(case: Case):
    """Organisations a case may be transferred to: those of its community, street and district
    (committees, offices, departments, legal aid, police, court) and the district's property
    companies — the case's own scope — except the one holding it."""
    return (Organisation.objects.filter(
        Q(region_id__in=list(_chain(case.region_id))) |
        Q(kind=Organisation.Kind.PROPERTY_COMPANY, region__code__startswith=case.region_id[:6]))
        .exclude(pk=case.organisation_id).order_by("kind", "region_id", "name"))


def _grouped(orgs) -> list:
    labels = dict(Organisation.Kind.choices)
    groups: dict[str, list] = {}
    for o in orgs:
        groups.setdefault(str(labels.get(o.kind, o.kind)), []).append(o)
    return list(groups.items())


def _detail(request, case: Case, *, personal=None, revealed=False, errors=None, posted=None,
            status=200):
    user = request.user
    now = _now()
    labels = dict(S.choices)
    # phone and ID numbers typed into free text are masked like the fields until revealed
    shown = (lambda text: text) if revealed else mask_text
    events = list(case.events.select_related("actor", "organisation"))
    for e in events:
        e.from_label = labels.get(e.from_status, e.from_status)
        e.to_label = labels.get(e.to_status, e.to_status)
        e.shown_note = shown(e.note)
    photos = list(case.attachments.select_related("event").order_by("pk"))
    if personal is None:
        personal = personal_values(user, case)
    dups = []
    near = near_duplicates(case)
    visible = set(cases_for(user).filter(pk__in=[d.pk for d, _m in near]).values_list(
        "pk", flat=True))
    for other, dist in near:
        if other.pk not in visible:
            continue
        if other.created_at <= case.created_at:  # the newer one merges into the older one
            merge = ("this", other) if workflow.allowed(user, case, "merge") else None
        else:
            merge = ("other", other) if workflow.allowed(user, other, "merge") else None
        dups.append({"case": other, "distance": round(dist), "merge": merge,
                     "description": mask_text(other.description)})
    can = {a: workflow.allowed(user, case, a) for a in ACTIONS if a != "merge"}
    can["pause"] = can["pause"] and case.paused_at is None
    can["resume"] = can["resume"] and case.paused_at is not None and not any(
        e.paused_clock and e.status == e.Status.PENDING for e in case.extensions.all())
    case.clock = _clock(case, now)  # the header shows it through cases/_clock.html
    case.late = _late(case, now, case.clock)
    ctx = {
        "case": case, "events": events, "photos": photos, "personal": personal,
        "revealed": revealed, "description": shown(case.description),
        "outcome": shown(case.outcome),
        "can_reveal": not revealed and bool(case.reporter_phone) and can_unmask(
            user, case.region_id),
        "clock": case.clock, "sla": _sla(case, now), "duplicates": dups, "can": can,
        "any_action": any(can.values()),
        "targets": _grouped(transfer_targets(case)) if can.get("transfer") else [],
        "errors": errors or {}, "posted": posted or {},
        # errors of an action whose form is not offered (e.g. the state changed meanwhile)
        "other_errors": [m for a, msgs in (errors or {}).items()
                         if a != "merge" and not can.get(a) for m in msgs],
        "mediation": getattr(case, "mediation", None) if case.case_type.mediation else None,
        "admin_review": getattr(case, "admin_review", None) if case.case_type.admin_review
        else None,
        "may_open": {"mediation": False, "review": False},
        "compound_boundary": case.compound.boundary if case.compound_id else None,
        "priorities": Priority.choices,
        "outcome_kinds": OutcomeKind.choices,
        "extensions": list(case.extensions.all()),
        "supervisions": list(case.supervisions.select_related("organisation")),
        "callbacks": list(case.callbacks.all()),
        "now": timezone.localtime(now),
    }
    # the record pages' links only for those who may open them (mediation.can_view_*)
    if ctx["mediation"] is not None:
        ctx["may_open"]["mediation"] = can_view_mediation(user, ctx["mediation"])
    if ctx["admin_review"] is not None:
        ctx["may_open"]["review"] = can_view_review(user, ctx["admin_review"])
    return render(request, "cases/detail.html", ctx, status=status)


def _staff_case(request, pk) -> Case:
    case = access_case_by_id(request.user, pk)
    if not is_case_staff(request.user):
        raise Http404  # residents follow their cases on the private page
    return case


@login_required
def detail(request, pk: int):
    """/cases/<id>/ — facts, timeline, photos, near-duplicates and the allowed actions."""
    if not is_case_staff(request.user):
        case = access_case_by_id(request.user, pk)  # a resident's own case → their page
        return redirect("cases:track", token=case.token)
    return _detail(request, _staff_case(request, pk))


@login_required
@require_POST
def reveal(request, pk: int):
    """Shows the reporter's phone in full once, and writes the access to the audit log."""
    case = _staff_case(request, pk)
    if not can_unmask(request.user, case.region_id):
        raise PermissionDenied
    personal = personal_values(request.user, case, unmask=True, request=request)
    return _detail(request, case, personal=personal, revealed=True)


DONE = {
    "accept": gettext_lazy("已受理。"),
    "note": gettext_lazy("已添加办理记录。"),
    "transfer": gettext_lazy("已转办。"),
    "return": gettext_lazy("已退回重新派单。"),
    "resolve": gettext_lazy("已办结，等待居民评价。"),
    "merge": gettext_lazy("已合并。"),
    "pause": gettext_lazy("已暂停计时。"),
    "resume": gettext_lazy("已恢复计时，时限已顺延。"),
    "priority": gettext_lazy("已调整优先级。"),
    "extend": gettext_lazy("已提交延期申请，等待审批。"),
    "decide": gettext_lazy("已审批延期申请。"),
    "supervise": gettext_lazy("已下达督办。"),
    "answer": gettext_lazy("已答复督办。"),
    "callback": gettext_lazy("已记录回访。"),
    "sms": gettext_lazy("已发送评价短信。"),
}


def _rating_link(request, case: Case) -> str:
    """The tracking page's address, marked so that a rating through it counts as by SMS."""
    return workflow.rating_link(case, request.build_absolute_uri("/"))


def _called_at(raw: str) -> dt.datetime | None:
    """The call's local date-time from the form (empty: now)."""
    if not raw.strip():
        return None
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationError({"called_at": _("请填写回访时间。")}) from None
    if not 2000 <= value.year <= 2100:
        raise ValidationError({"called_at": _("请填写回访时间。")})
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _call_back(user, case: Case, p) -> None:
    reached = p.get("reached", "1") != "0"
    raw = p.get("rating", "")
    rating = int(raw) if raw.isdigit() and len(raw) == 1 else None
    fixed = {"yes": True, "no": False}.get(p.get("fixed", ""))
    for field, value, limit in (("note", p.get("note", ""), 500),
                                ("caller_name", p.get("caller_name", ""), 50)):
        if len(value) > limit:
            raise ValidationError({field: _("内容过长。")})
        validator = MULTI_LINE if field == "note" else SINGLE_LINE
        validator(value)
    workflow.do_call_back(user, case, reached=reached, rating=rating, fixed=fixed,
                          note=p.get("note", ""), caller_name=p.get("caller_name", ""),
                          called_at=_called_at(p.get("called_at", "")))


def _new_due(raw: str, field: str = "new_due") -> dt.datetime:
    """A date (end of that working day, 17:30 local) or a local date-time from a form."""
    try:
        value = (dt.datetime.fromisoformat(raw.strip()) if "T" in raw or " " in raw.strip()
                 else dt.datetime.combine(dt.date.fromisoformat(raw.strip()), dt.time(17, 30)))
    except ValueError:
        raise ValidationError({field: _("请填写日期。")}) from None
    if not 2000 <= value.year <= 2100:
        raise ValidationError({field: _("请填写日期。")})
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _warn_unsent_sms(request, case: Case) -> None:
    """A phone case whose rating link did not go out (the sender failed): staff may send it again
    from the page or call the resident back."""
    if workflow.wants_rating_sms(case) and not workflow.rating_sms_sent(case):
        messages.warning(request, _("评价短信未能发出，请稍后在本页重新发送，或电话回访。"))


@login_required
@require_POST
def act(request, pk: int, action: str):
    """POST /cases/<id>/<action>/ — one workflow action; errors are shown on the detail page."""
    if action not in ACTIONS:
        raise Http404
    user = request.user
    case = _staff_case(request, pk)
    states, _to = workflow.TRANSITIONS[action]
    if case.status in states and not workflow.allowed(user, case, action):
        raise PermissionDenied
    p = request.POST
    target = case
    try:
        if action == "accept":
            workflow.do_accept(user, case, note=p.get("note", "").strip())
        elif action == "note":
            photo = clean_photo(request.FILES.get("photo"))
            with transaction.atomic():
                event = workflow.do_note(user, case, p.get("note", ""),
                                         public=p.get("public") == "1")
                save_photo(case, photo, user=user, event=event)
        elif action == "transfer":
            raw = p.get("organisation", "")
            to = transfer_targets(case).filter(pk=raw).first() if raw.isdigit() else None
            if to is None:
                raise ValidationError({"organisation": _("请选择转办的承办单位。")})
            workflow.do_transfer(user, case, to, p.get("reason", ""))
        elif action == "return":
            workflow.do_return(user, case, p.get("reason", ""))
        elif action == "resolve":
            photo = clean_photo(request.FILES.get("photo"))
            with transaction.atomic():
                workflow.do_resolve(user, case, p.get("outcome", ""),
                                    p.get("kind", "") or OutcomeKind.RESOLVED,
                                    rule=p.get("rule", ""), redirect_to=p.get("redirect_to", ""),
                                    link_base=request.build_absolute_uri("/"))
                event = case.events.filter(action=CaseEvent.Action.RESOLVED).order_by(
                    "-at", "-pk").first()
                save_photo(case, photo, user=user, event=event)
            _warn_unsent_sms(request, case)
        elif action == "merge":
            raw = p.get("into", "")
            if not raw.isdigit():
                raise ValidationError(_("请选择要合并到的诉求。"))
            target = access_case_by_id(user, raw)
            workflow.do_merge(user, case, target, p.get("reason", "").strip())
        elif action == "pause":
            workflow.do_pause(user, case, p.get("reason", ""))
        elif action == "resume":
            workflow.do_resume(user, case, p.get("note", ""))
        elif action == "priority":
            raw = p.get("priority", "")
            if not raw.isdigit():
                raise ValidationError({"priority": _("请选择优先级。")})
            workflow.do_set_priority(user, case, int(raw), p.get("reason", ""))
        elif action == "extend":
            workflow.do_request_extension(user, case, p.get("reason", ""),
                                          _new_due(p.get("new_due", "")))
        elif action == "decide":
            workflow.do_decide_extension(user, case, approve=p.get("approve") == "1",
                                         note=p.get("note", ""))
        elif action == "supervise":
            workflow.do_supervise(user, case, p.get("instruction", ""),
                                  _new_due(p.get("due", ""), "due"))
        elif action == "answer":
            workflow.do_answer_supervision(user, case, p.get("answer", ""))
        elif action == "callback":
            _call_back(user, case, p)
        elif action == "sms":
            workflow.do_send_rating_sms(user, case, _rating_link(request, case))
    except ValidationError as e:
        case.refresh_from_db()
        return _detail(request, case, errors={action: e.messages}, posted=p)
    messages.success(request, DONE[action])
    if action in ("transfer", "return") and not cases_for(user).filter(pk=case.pk).exists():
        return redirect("cases:queue")
    return redirect("cases:detail", pk=target.pk if action == "merge" else case.pk)


# ---------------------------------------------------------------------------------------------
# photos (served through access checks, never as public media files)


def _photo_response(att: Attachment, thumb: bool):
    if not thumb:  # the file itself: streamed, X-Accel or a signed URL (lib.files)
        return serve(att.image, "image/jpeg")
    try:
        resp = HttpResponse(thumbnail(att), content_type="image/jpeg")
    except FileNotFoundError:  # the record outlived its file (a restore without media/)
        raise Http404 from None
    resp["Cache-Control"] = "private, max-age=86400"
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


@login_required
def photo(request, pk: int):
    att = get_object_or_404(Attachment.objects.only("pk", "case_id", "image"), pk=pk)
    case = access_case_by_id(request.user, att.case_id)
    if not is_case_staff(request.user):  # a resident sees the public photos of their case only
        att = get_object_or_404(_public_photos(case).only("pk", "case_id", "image"), pk=pk)
    return _photo_response(att, request.GET.get("thumb") == "1")


def public_photo(request, pk: int):
    """A public case's public photo for anyone (Open311's media_url), cached publicly; staff
    within scope get the others as on their case pages; anything else is 404."""
    att = public_attachments().only("pk", "case_id", "image").filter(pk=pk).first()
    if att is not None:
        resp = _photo_response(att, request.GET.get("thumb") == "1")
        if resp.status_code == 200:  # a signed URL's redirect stays uncached
            resp["Cache-Control"] = "public, max-age=86400"
        return resp
    if not request.user.is_authenticated:
        raise Http404
    return photo(request, pk)


def track_photo(request, token: str, pk: int):
    case = case_by_token(token)
    att = get_object_or_404(_public_photos(case), pk=pk)
    return _photo_response(att, request.GET.get("thumb") == "1")
