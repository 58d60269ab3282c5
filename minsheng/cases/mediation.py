"""Dispute resolution records of a case: mediation (parties, sessions, agreement, outcome) with the
人民调解协议书 as a Word document, and administrative disputes / reconsiderations (AdminReview).

Who may do what:
- a mediation is edited by the staff of its mediation committee (mediators) and by the
  supervisors (district admin, street staff) whose region holds the case; viewers of the region
  may read it. Anyone else gets 404 outside their scope (403 inside it).
- the agreement document carries the parties' full ID numbers and phones (it is for the parties to
  sign), so only users who may unmask personal data in the case's region may download it, and
  each download is audited.
- an AdminReview is edited by the staff of the district's justice bureau (区司法局) and by the
  supervisors whose region holds the case.

Like workflow.py, the functions that change these records (`do_*`) lock the row, check the
permission, write, and append a CaseEvent in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.accounts.roles import HANDLE_CASES, VIEW_PARTIES, VIEW_REGION_DISPUTES
from minsheng.cases.access import cases_for
from minsheng.cases.models import AdminReview, Case, CaseEvent, Mediation, MediationSession, Party
from minsheng.cases.workflow import is_supervisor
from minsheng.lib.docx import BODY_FONT, DOCX_TYPE, HEADING_FONT, add_run, set_style
from minsheng.lib.money import format_amount
from minsheng.lib.text import chinese_number, date_text
from minsheng.places.models import Organisation
from minsheng.places.scope import scope_of

LOG_LANGUAGE = "zh-hans"


def _now() -> dt.datetime:
    return timezone.now()


def _org_ids(user) -> set[int]:
    return {g.organisation_id for g in scope_of(user).grants if g.organisation_id}


def _region_reader(user, case: Case) -> bool:
    return scope_of(user).has_right(VIEW_REGION_DISPUTES, case.region_id)


def _event(case: Case, user, action: str, note: str, *, organisation: Organisation | None = None,
           public: bool = True) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, at=_now(), actor=user if getattr(user, "is_authenticated", False) else None,
        action=action, from_status=case.status, to_status=case.status,
        organisation=organisation or case.organisation, note=note[:2000], public=public)


# --- mediation: access ---------------------------------------------------------------------


def mediation_for(user, case_id) -> Mediation:
    """The mediation of a case the user may see (its committee's staff see it even when another
    organisation holds the case); Http404 otherwise."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise Http404 from None
    visible = Q(case_id__in=cases_for(user).order_by().values("pk"))
    orgs = _org_ids(user)
    if orgs:
        visible |= Q(committee_id__in=orgs)
    m = (Mediation.objects.select_related("case", "case__case_type", "case__region",
                                          "case__organisation", "committee", "mediator")
         .filter(visible, case_id=pk).first())
    if m is None:
        raise Http404
    return m


def can_edit_mediation(user, m: Mediation) -> bool:
    return m.committee_id in _org_ids(user) or is_supervisor(user, m.case)


def can_view_mediation(user, m: Mediation) -> bool:
    return can_edit_mediation(user, m) or _region_reader(user, m.case)


def can_unmask_parties(user, m: Mediation) -> bool:
    """Whether the user may see the parties' full phone and ID numbers: VIEW_PERSONAL in the
    case's region, or VIEW_PARTIES (a mediator's) for a mediation they are assigned to."""
    if masking.can_unmask(user, m.case.region_id):
        return True
    return (m.mediator_id is not None and m.mediator_id == getattr(user, "pk", None)
            and bool(scope_of(user).grants_with(VIEW_PARTIES)) and can_view_mediation(user, m))


def can_download_agreement(user, m: Mediation) -> bool:
    return can_view_mediation(user, m) and can_unmask_parties(user, m)


def committee_members(m: Mediation):
    return (get_user_model().objects.filter(memberships__organisation_id=m.committee_id,
                                            is_active=True).distinct().order_by("username"))


# --- mediation: changes --------------------------------------------------------------------


def _locked(m: Mediation) -> Mediation:
    return Mediation.objects.select_for_update().select_related("case", "committee").get(pk=m.pk)


def _check_edit(user, m: Mediation) -> None:
    if not can_edit_mediation(user, m):
        raise PermissionDenied("您无权办理该调解。")
    if m.outcome != Mediation.Outcome.PENDING:
        raise ValidationError("调解已结案，不能再修改。")


@transaction.atomic
def do_save_mediation(user, m: Mediation, *, matter: str, agreement: str,
                      amount: Decimal | None, mediator=None) -> Mediation:
    m = _locked(m)
    _check_edit(user, m)
    if mediator is not None and not committee_members(m).filter(pk=mediator.pk).exists():
        raise ValidationError({"mediator": "调解员应为本调解委员会的工作人员。"})
    m.matter, m.agreement, m.amount = matter.strip(), agreement.strip(), amount
    m.mediator = mediator
    m.save(update_fields=["matter", "agreement", "amount", "mediator"])
    return m


def _keep_masked(new: str, old: str) -> str:
    """A masked value (with *) sent back unchanged keeps the stored one."""
    new = (new or "").strip()
    if "*" in new and old and masking.mask(old) == new:
        return old
    if "*" in new:
        raise ValidationError("请填写完整号码（不要包含 *）。")
    return new


@transaction.atomic
def do_save_party(user, m: Mediation, *, role: str, name: str, phone: str = "",
                  id_number: str = "", address: str = "", party: Party | None = None) -> Party:
    m = _locked(m)
    _check_edit(user, m)
    if role not in Party.Role.values:
        raise ValidationError({"role": "请选择当事人身份。"})
    if not name.strip():
        raise ValidationError({"name": "请填写当事人姓名或名称。"})
    if party is not None and party.mediation_id != m.pk:
        raise Http404
    old_phone, old_id = (party.phone, party.id_number) if party else ("", "")
    try:
        phone = _keep_masked(phone, old_phone)
    except ValidationError as e:
        raise ValidationError({"phone": e.messages}) from None
    try:
        id_number = _keep_masked(id_number, old_id).upper()
    except ValidationError as e:
        raise ValidationError({"id_number": e.messages}) from None
    if id_number and len(id_number) not in (15, 18):
        raise ValidationError({"id_number": "身份证号应为18位（统一社会信用代码也是18位）。"})
    p = party or Party(mediation=m)
    p.role, p.name, p.phone, p.id_number, p.address = (role, name.strip(), phone, id_number,
                                                       address.strip())
    p.save()
    return p


@transaction.atomic
def do_delete_party(user, m: Mediation, party: Party) -> None:
    m = _locked(m)
    _check_edit(user, m)
    if party.mediation_id != m.pk:
        raise Http404
    party.delete()


@transaction.atomic
def do_add_session(user, m: Mediation, *, held_at: dt.datetime, place: str,
                   notes: str) -> MediationSession:
    m = _locked(m)
    _check_edit(user, m)
    if not notes.strip():
        raise ValidationError({"notes": "请填写调解记录。"})
    s = MediationSession.objects.create(mediation=m, held_at=held_at, place=place.strip(),
                                        notes=notes.strip())
    _event(m.case, user, CaseEvent.Action.NOTE, f"调解会议：{held_at:%Y-%m-%d %H:%M} {place}".strip(),
           organisation=m.committee, public=False)
    return s


@transaction.atomic
def do_conclude_mediation(user, m: Mediation, *, outcome: str, referral: str = "",
                          agreement: str | None = None, amount: Decimal | None = None,
                          note: str = "") -> Mediation:
    """Conclude a mediation (settled, or failed with where the parties are referred) and append
    a CaseEvent(action="mediation") in the same transaction."""
    m = _locked(m)
    _check_edit(user, m)
    Out, Ref = Mediation.Outcome, Mediation.Referral
    if outcome not in (Out.SETTLED, Out.FAILED):
        raise ValidationError({"outcome": "请选择调解结果：调解成功或调解不成。"})
    if agreement is not None:
        m.agreement = agreement.strip()
    if outcome == Out.SETTLED:
        if not m.agreement:
            raise ValidationError({"agreement": "调解成功须填写协议内容。"})
        referral = ""
    else:
        if referral not in (Ref.COURT, Ref.ARBITRATION, Ref.ADMIN):
            raise ValidationError({"referral": "调解不成须写明引导去向：诉讼、仲裁或行政处理。"})
    if not m.parties.exists():
        raise ValidationError("请先登记当事人。")
    if amount is not None:
        if amount < 0:
            raise ValidationError({"amount": "金额不能为负数。"})
        m.amount = amount
    m.outcome, m.referral, m.concluded_at = outcome, referral, _now()
    m.save(update_fields=["agreement", "outcome", "referral", "amount", "concluded_at"])
    with translation.override(LOG_LANGUAGE):  # the event log is written in Chinese
        text = str(Out(outcome).label)
        if outcome == Out.FAILED:
            text += f"，{Ref(referral).label}"
    if note.strip():
        text += f"。{note.strip()}"
    _event(m.case, user, CaseEvent.Action.MEDIATION, text, organisation=m.committee)
    return m


# --- the agreement document ------------------------------------------------------------------


def agreement_number(m: Mediation) -> str:
    year = timezone.localtime(m.concluded_at or _now()).year
    return f"（{year}）调字第 {m.case.number} 号"


def agreement_docx(user, m: Mediation, *, request=None) -> tuple[bytes, str, str]:
    """The 人民调解协议书 as (docx bytes, content_type, filename), with the parties' full personal
    data. Raises PermissionError unless the user may unmask in the case's region; audited."""
    if not can_download_agreement(user, m):
        raise PermissionError("协议书含当事人完整身份信息，只有有权查看个人信息的人员可以下载")
    parties = list(m.parties.all().order_by("role", "id"))
    case = m.case

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    set_style(doc, "Normal", BODY_FONT, 14)
    doc.core_properties.title = "人民调解协议书"
    doc.core_properties.language = "zh-CN"

    def para(text: str = "", *, indent: bool = True, bold_lead: str = "", size: float | None = None,
             align=None):
        p = doc.add_paragraph()
        p.paragraph_format.line_spacing = 1.5
        if indent:
            p.paragraph_format.first_line_indent = Pt(28)
        if align is not None:
            p.alignment = align
        if bold_lead:
            add_run(p, bold_lead, font=HEADING_FONT, size=size)
        if text:
            add_run(p, text, size=size)
        return p

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(title, "人民调解协议书", font=HEADING_FONT, size=22)
    para(f"编号：{agreement_number(m)}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)

    roles = {Party.Role.APPLICANT: "当事人（申请人）", Party.Role.RESPONDENT: "当事人（被申请人）"}
    for p in parties:
        details = [f"姓名（名称）：{p.name}"]
        if p.id_number:
            details.append(f"身份证号（统一社会信用代码）：{p.id_number}")
        if p.address:
            details.append(f"住址：{p.address}")
        if p.phone:
            details.append(f"联系电话：{p.phone}")
        para("；".join(details) + "。", indent=False, bold_lead=f"{roles.get(p.role, '当事人')}：")

    para(m.matter or case.description, bold_lead="纠纷主要事实、争议事项：")
    para("经本委员会调解，双方当事人自愿达成如下协议：", indent=True)
    clauses = [c.strip() for c in (m.agreement or "").splitlines() if c.strip()]
    for i, clause in enumerate(clauses, start=1):
        para(f"{chinese_number(i)}、{clause}" if len(clauses) > 1 else clause)
    if m.amount:
        para(f"涉及金额：人民币 {format_amount(m.amount, '元', show_unit=False)} 元。")
    para("履行方式、时限：按上述协议约定的方式和期限履行；当事人应当按照约定履行自己的义务，"
         "不得擅自变更或者解除。", bold_lead="")
    copies = len(parties) + 1
    para(f"本协议一式{chinese_number(copies)}份，当事人各执一份，人民调解委员会留存一份。"
         "本协议自各方当事人签名（盖章）、人民调解员签名并加盖人民调解委员会印章之日起生效。"
         "经人民调解委员会调解达成的调解协议具有法律约束力；当事人可以自协议生效之日起三十日内"
         "共同向人民法院申请司法确认。")

    doc.add_paragraph()
    for p in parties:
        para(f"{roles.get(p.role, '当事人')}（签名或盖章）：{p.name}________________", indent=False)
    mediator = ""
    if m.mediator_id:
        mediator = m.mediator.get_full_name() or m.mediator.get_username()
    para(f"人民调解员（签名）：{mediator}________________", indent=False)
    para(f"{m.committee.name}（印）", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    day = timezone.localtime(m.concluded_at).date() if m.concluded_at else timezone.localdate()
    para(date_text(day), indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)

    buf = io.BytesIO()
    doc.save(buf)
    masking.log(user, AuditLog.Action.UNMASK, object_type="cases.party",
                object_id=str(m.pk), fields="phone,id_number", region_code=case.region_id,
                detail=f"下载调解协议书（诉求 {case.number}，{len(parties)} 名当事人的完整个人信息）",
                request=request)
    return buf.getvalue(), DOCX_TYPE, f"人民调解协议书_{case.number}.docx"


# --- administrative disputes and reconsiderations ----------------------------------------------


def _justice_staff(user, case: Case) -> bool:
    """Staff of the district's justice bureau (a department whose function is 司法行政)."""
    ids = [g.organisation_id for g in scope_of(user).grants_with(HANDLE_CASES)
           if g.organisation_id and case.region_id.startswith(g.prefix)]
    return bool(ids) and Organisation.objects.filter(
        pk__in=ids, kind=Organisation.Kind.DEPARTMENT,
        function=Organisation.Function.JUSTICE).exists()


def review_for(user, case_id) -> AdminReview:
    """The AdminReview of a case the user may see (the justice bureau's staff see every one in
    their region); Http404 otherwise."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise Http404 from None
    r = (AdminReview.objects.select_related("case", "case__case_type", "case__region",
                                            "case__organisation").filter(case_id=pk).first())
    if r is None:
        raise Http404
    if not (cases_for(user).filter(pk=pk).exists() or _justice_staff(user, r.case)):
        raise Http404
    return r


def can_edit_review(user, r: AdminReview) -> bool:
    return _justice_staff(user, r.case) or is_supervisor(user, r.case)


def can_view_review(user, r: AdminReview) -> bool:
    return can_edit_review(user, r) or _region_reader(user, r.case)


@transaction.atomic
def do_save_review(user, r: AdminReview, *, kind: str, respondent: str, accepted: bool,
                   accepted_at: dt.datetime | None, outcome: str,
                   concluded_at: dt.datetime | None, by_dispute_centre: bool,
                   amount_recovered: Decimal | None) -> AdminReview:
    """Record acceptance, conclusion and outcome; appends a (non-public) CaseEvent describing
    what changed."""
    r = AdminReview.objects.select_for_update().select_related("case").get(pk=r.pk)
    if not can_edit_review(user, r):
        raise PermissionDenied("您无权登记该行政争议/复议。")
    errors: dict[str, str] = {}
    if kind not in AdminReview.Kind.values:
        errors["kind"] = "请选择类型。"
    if outcome not in AdminReview.Outcome.values:
        errors["outcome"] = "请选择结果。"
    if accepted and accepted_at is None:
        errors["accepted_at"] = "请填写受理时间。"
    if not accepted and accepted_at is not None:
        accepted_at = None
    if outcome and concluded_at is None:
        errors["concluded_at"] = "已审结的请填写审结时间。"
    if not outcome and concluded_at is not None:
        errors["outcome"] = "填写了审结时间，请选择审结结果。"
    if outcome and not accepted and outcome != AdminReview.Outcome.WITHDRAWN:
        errors["accepted"] = "审结前应先受理（申请人撤回的除外）。"
    if accepted_at and concluded_at and concluded_at < accepted_at:
        errors["concluded_at"] = "审结时间不能早于受理时间。"
    now = _now()  # a fact is not dated in the future
    if accepted_at and accepted_at > now:
        errors["accepted_at"] = "受理时间不能晚于现在。"
    if concluded_at and concluded_at > now:
        errors["concluded_at"] = "审结时间不能晚于现在。"
    if amount_recovered is not None and amount_recovered < 0:
        errors["amount_recovered"] = "金额不能为负数。"
    if errors:
        raise ValidationError(errors)
    labels = {
        "kind": ("类型", lambda v: str(AdminReview.Kind(v).label)),
        "respondent": ("被申请机关", str),
        "accepted": ("已受理", lambda v: "是" if v else "否"),
        "accepted_at": ("受理时间", lambda v: f"{timezone.localtime(v):%Y-%m-%d}" if v else "—"),
        "outcome": ("结果", lambda v: str(AdminReview.Outcome(v).label)),
        "concluded_at": ("审结时间", lambda v: f"{timezone.localtime(v):%Y-%m-%d}" if v else "—"),
        "by_dispute_centre": ("由矛盾纠纷调处中心化解", lambda v: "是" if v else "否"),
        "amount_recovered": ("挽回金额（元）", lambda v: format_amount(v, "元", show_unit=False)),
    }
    new = {"kind": kind, "respondent": respondent.strip(), "accepted": accepted,
           "accepted_at": accepted_at, "outcome": outcome, "concluded_at": concluded_at,
           "by_dispute_centre": by_dispute_centre, "amount_recovered": amount_recovered}
    changes = []
    with translation.override(LOG_LANGUAGE):  # the event log is written in Chinese
        for field, value in new.items():
            if getattr(r, field) != value:
                label, fmt = labels[field]
                changes.append(f"{label}：{fmt(getattr(r, field))} → {fmt(value)}")
                setattr(r, field, value)
        heading = f"{r.get_kind_display()}登记："
    if not changes:
        return r
    r.save(update_fields=list(new))
    _event(r.case, user, CaseEvent.Action.NOTE, heading + "；".join(changes), public=False)
    return r
