"""Mediation pages (parties, sessions, agreement, conclusion with its event), the 人民调解协议书
as a Word document, and the administrative review page."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from docx import Document

from minsheng.accounts.models import AuditLog, Membership
from minsheng.accounts.roles import Role
from minsheng.cases import mediation, workflow
from minsheng.cases.models import AdminReview, Case, CaseEvent, CaseType, Mediation, Party
from minsheng.places.models import Compound, Organisation, Region

pytestmark = pytest.mark.django_db
ID1, ID2 = "131002199001011234", "13100219851212567X"


def street(k: int) -> Region:
    return Region.objects.filter(parent_id="131002000000").order_by("code")[k]


def dispute(k: int = 0, text: str = "楼上漏水到楼下，双方协商不成") -> Case:
    compound = Compound.objects.filter(region__code__startswith=street(k).code[:9]).order_by(
        "pk").first()
    return workflow.do_file(case_type=CaseType.objects.get(code="neighbour_dispute"),
                            description=text, channel=Case.Channel.STAFF, compound=compound)


def url(case: Case, rest: str = "") -> str:
    return f"/cases/{case.pk}/mediation/{rest}"


def party(c, case, role, name, phone, id_number, address="银河南路1号"):
    return c.post(url(case), {"action": "party", "new-role": role, "new-name": name,
                              "new-phone": phone, "new-id_number": id_number,
                              "new-address": address})


@pytest.fixture
def case(db):
    c = dispute()
    assert c.mediation.committee.kind == Organisation.Kind.MEDIATION_COMMITTEE
    return c


def test_parties_sessions_agreement_and_settlement(case, client_for, user):
    c = client_for("mediator1")
    assert c.get(url(case)).status_code == 200
    assert party(c, case, "applicant", "王芳", "13812345678", ID1).status_code == 302
    assert party(c, case, "respondent", "李强", "13987654321", ID2).status_code == 302
    m = Mediation.objects.get(case=case)
    assert list(m.parties.order_by("role").values_list("name", "phone", "id_number")) == [
        ("王芳", "13812345678", ID1), ("李强", "13987654321", ID2)]
    page = c.get(url(case)).content.decode()
    assert "王芳" in page and "13812345678" not in page and ID1 not in page  # masked on the page

    # editing a party with its masked phone and ID sent back unchanged keeps the stored values
    p = m.parties.get(name="王芳")
    resp = c.post(url(case), {"action": "party", "party_id": p.pk, f"p{p.pk}-role": "applicant",
                              f"p{p.pk}-name": "王芳", f"p{p.pk}-phone": "138****5678",
                              f"p{p.pk}-id_number": "131002********1234",
                              f"p{p.pk}-address": "银河南路2号"})
    assert resp.status_code == 302
    p.refresh_from_db()
    assert (p.phone, p.id_number, p.address) == ("13812345678", ID1, "银河南路2号")

    resp = c.post(url(case), {"action": "session", "s-held_at": "2025-03-12T10:00",
                              "s-place": "调解室", "s-notes": "听取双方陈述，释法明理。"})
    assert resp.status_code == 302
    assert m.sessions.get().place == "调解室"

    mediator = user("mediator1")
    resp = c.post(url(case), {"action": "save", "mediator": mediator.pk,
                              "matter": "楼上卫生间漏水致楼下天花板受损",
                              "agreement": "李强于十五日内修复防水层\n李强赔偿王芳损失2000元",
                              "amount": "2000"})
    assert resp.status_code == 302
    m.refresh_from_db()
    assert m.mediator == mediator and m.amount == Decimal("2000")

    events = CaseEvent.objects.filter(case=case, action=CaseEvent.Action.MEDIATION)
    assert not events.exists()
    resp = c.post(url(case), {"action": "conclude", "c-outcome": "settled", "c-referral": "",
                              "c-agreement": m.agreement, "c-amount": "2000"})
    assert resp.status_code == 302
    m.refresh_from_db()
    assert m.outcome == Mediation.Outcome.SETTLED and m.concluded_at is not None
    assert events.count() == 1 and events.get().note.startswith("调解成功")
    assert events.get().actor == mediator

    # concluded: no more changes
    before = m.parties.count()
    resp = party(c, case, "respondent", "张敏", "", "")
    assert resp.status_code == 200 and m.parties.count() == before
    resp = c.post(url(case), {"action": "conclude", "c-outcome": "failed",
                              "c-referral": "court"})
    m.refresh_from_db()
    assert m.outcome == Mediation.Outcome.SETTLED and events.count() == 1


def test_failed_needs_a_referral(case, user):
    boss = user("street1")
    m = case.mediation
    Party.objects.create(mediation=m, role=Party.Role.APPLICANT, name="王芳")
    with pytest.raises(Exception, match="引导去向"):
        mediation.do_conclude_mediation(boss, m, outcome="failed", referral="")
    m.refresh_from_db()
    assert m.outcome == Mediation.Outcome.PENDING
    assert not case.events.filter(action=CaseEvent.Action.MEDIATION).exists()
    mediation.do_conclude_mediation(boss, m, outcome="failed", referral="arbitration",
                                    note="双方分歧较大")
    m.refresh_from_db()
    assert (m.outcome, m.referral) == (Mediation.Outcome.FAILED, "arbitration")
    ev = case.events.get(action=CaseEvent.Action.MEDIATION)
    assert "调解不成" in ev.note and "引导仲裁" in ev.note and ev.organisation == m.committee
    # settling needs agreement text and parties
    other = dispute(0, "邻居占用公共楼道堆放杂物")
    with pytest.raises(Exception, match="当事人"):
        mediation.do_conclude_mediation(boss, other.mediation, outcome="settled",
                                        agreement="清理杂物")
    Party.objects.create(mediation=other.mediation, role=Party.Role.APPLICANT, name="赵丽")
    with pytest.raises(Exception, match="协议内容"):
        mediation.do_conclude_mediation(boss, other.mediation, outcome="settled", agreement="")


def test_agreement_docx(case, client_for):
    m = case.mediation
    m.matter = "楼上卫生间漏水致楼下天花板受损"
    m.agreement = "李强于十五日内修复防水层\n李强赔偿王芳损失2000元"
    m.save()
    Party.objects.create(mediation=m, role=Party.Role.APPLICANT, name="王芳",
                         phone="13812345678", id_number=ID1, address="银河南路1号")
    Party.objects.create(mediation=m, role=Party.Role.RESPONDENT, name="李强",
                         phone="13987654321", id_number=ID2)
    before = AuditLog.objects.filter(action=AuditLog.Action.UNMASK).count()
    resp = client_for("street1").get(url(case, "agreement.docx"))
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    doc = Document(io.BytesIO(resp.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "人民调解协议书" in text
    assert "王芳" in text and "李强" in text
    assert "李强于十五日内修复防水层" in text and "李强赔偿王芳损失2000元" in text
    assert ID1 in text and "13812345678" in text  # full values: the document is for the parties
    assert "本协议一式三份" in text and m.committee.name in text and "（印）" in text
    assert "编号" in text and "纠纷主要事实、争议事项" in text and "调解员" in text
    assert AuditLog.objects.filter(action=AuditLog.Action.UNMASK).count() == before + 1

    viewer = client_for("viewer1")
    assert viewer.get(url(case)).status_code == 200  # a viewer may read the page...
    assert viewer.get(url(case, "agreement.docx")).status_code == 403  # ...not the full data
    # the page offers the download only to those who may have it
    assert "agreement.docx" not in viewer.get(url(case)).content.decode()


def test_scope(case, client_for):
    committee2 = Organisation.objects.get(kind=Organisation.Kind.MEDIATION_COMMITTEE,
                                          region=street(1))
    u = get_user_model().objects.create(username="mediator2")
    Membership.objects.create(user=u, organisation=committee2, role=Role.MEDIATOR,
                              region=street(1))
    c = client_for("mediator2")
    assert c.get(url(case)).status_code == 404
    assert c.get(url(case, "agreement.docx")).status_code == 404
    assert c.post(url(case), {"action": "conclude", "c-outcome": "settled"}).status_code == 404
    assert client_for("resident1").get(url(case)).status_code == 404
    assert client_for("street2").get(url(case)).status_code == 404
    # their own street's dispute is theirs
    mine = dispute(1)
    assert c.get(url(mine)).status_code == 200
    # a case without a mediation has no mediation page
    plain = workflow.do_file(case_type=CaseType.objects.get(code="noise"), description="噪音",
                             channel=Case.Channel.STAFF, compound=case.compound)
    assert client_for("district").get(url(plain)).status_code == 404
    # a viewer reads but cannot change
    before = Party.objects.count()
    resp = party(client_for("viewer1"), case, "applicant", "王芳", "", "")
    assert resp.status_code == 403 and Party.objects.count() == before


def test_review_page(client_for, user):
    compound = Compound.objects.filter(region__code__startswith=street(0).code[:9]).first()
    case = workflow.do_file(case_type=CaseType.objects.get(code="reconsideration"),
                            description="对拆违决定申请行政复议", channel=Case.Channel.STAFF,
                            compound=compound)
    justice = Organisation.objects.get(name="区司法局", region_id="131002000000")
    u = get_user_model().objects.create(username="justice1")
    Membership.objects.create(user=u, organisation=justice, role=Role.DEPARTMENT_STAFF,
                              region_id="131002000000")
    c = client_for("justice1")
    link = f"/cases/{case.pk}/review/"
    assert c.get(link).status_code == 200
    resp = c.post(link, {"kind": "reconsideration", "respondent": "区城市管理综合行政执法局",
                         "accepted": "on", "accepted_at": "2025-03-16", "outcome": "corrected",
                         "concluded_at": "2025-04-30", "amount_recovered": "1250000"})
    assert resp.status_code == 302
    r = AdminReview.objects.get(case=case)
    assert r.accepted and r.outcome == "corrected" and r.amount_recovered == Decimal("1250000")
    ev = case.events.filter(action=CaseEvent.Action.NOTE, public=False).last()
    assert ev is not None and "纠错" in ev.note and ev.actor == u
    # conclusion without a date is refused, nothing changes
    resp = c.post(link, {"kind": "reconsideration", "accepted": "on",
                         "accepted_at": "2025-03-16", "outcome": "upheld", "concluded_at": ""})
    assert resp.status_code == 200 and resp.context["form"].errors
    r.refresh_from_db()
    assert r.outcome == "corrected"
    # supervisors edit, viewers read, others in scope are refused, outsiders get 404
    assert client_for("street1").get(link).status_code == 200
    assert client_for("viewer1").get(link).status_code == 200
    assert client_for("viewer1").post(link, {"kind": "dispute"}).status_code == 403
    assert client_for("dept1").get(link).status_code == 404
    assert client_for("street2").get(link).status_code == 404


def test_a_mediator_unmasks_only_the_parties_of_mediations_assigned_to_them(case, client_for,
                                                                            user):
    mediator = user("mediator1")
    Party.objects.create(mediation=case.mediation, role=Party.Role.APPLICANT, name="王芳",
                         phone="13812345678", id_number=ID1)
    c = client_for("mediator1")
    # not (yet) the mediator of this dispute: no agreement with the parties' full numbers
    assert c.get(url(case, "agreement.docx")).status_code == 403
    m = case.mediation
    m.mediator = mediator
    m.save(update_fields=["mediator"])
    resp = c.get(url(case, "agreement.docx"))
    assert resp.status_code == 200
    assert AuditLog.objects.filter(action=AuditLog.Action.UNMASK, user=mediator).exists()
    # ...and nothing else of the street: a compound's committee head, an organisation's contact
    compound = Compound.objects.filter(region__code__startswith=street(0).code[:9]).exclude(
        committee_head_phone="").order_by("pk").first()
    assert c.post(f"/compounds/{compound.pk}/reveal/").status_code in (403, 404)
    assert c.get(f"/api/compounds/{compound.pk}/personal/").status_code in (403, 404)
    assert not mediation.can_unmask_parties(user("mediator1"), dispute(1).mediation)


def test_mediations_and_reviews_carry_their_cases_region():
    """The indicator sources count mediations and reviews by the region they carry (no join to
    the cases): it is their case's, for the demo's rows and for a newly filed dispute."""
    dispute()
    assert Mediation.objects.count() and AdminReview.objects.count()
    for model in (Mediation, AdminReview):
        for region, case_region in model.objects.values_list("region_id", "case__region_id"):
            assert region == case_region
