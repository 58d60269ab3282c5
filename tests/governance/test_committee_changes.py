"""What happens to a committee between elections and around the registry: a member leaving
mid-term, the street sending an election back, the approved chair in the compound's own fields,
the registry refusing what the approved members contradict, and the back office's read-only
screens of committees."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from minsheng.accounts.models import AuditLog
from minsheng.governance import committees, registry
from minsheng.governance.models import (
    CommitteeMember,
    Election,
    ElectionReturn,
    GovernanceRecord,
)
from minsheng.places.models import Compound, Region
from tests.hostile import FORMULAS

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 1, 4, tzinfo=dt.UTC)
D = "131002000000"
PHONE = "13812345678"
APPROVED = dt.date(2026, 4, 1)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def _compound() -> Compound:
    """A compound without a committee in community1's community (street1's street)."""
    street = Region.objects.filter(parent_id=D).order_by("code")[0]
    community = Region.objects.filter(parent=street).order_by("code").first()
    return Compound.objects.filter(region=community, committee="").order_by("pk").first()


def _members(secretary: bool = True) -> list[dict]:
    return [{"name": "张主任", "role": "chair", "is_party_secretary": secretary,
             "phone": PHONE},
            {"name": "李委员", "role": "member", "is_party_secretary": False, "phone": ""}]


def _approved(c: Compound, by, *, secretary: bool = True) -> Election:
    e = committees.do_record_election(c, committee="owners", held_on=dt.date(2026, 3, 20),
                                      turnout=70, members=_members(secretary), by=by,
                                      submit=True)
    return committees.do_approve_election(e, on=APPROVED, by=by)


def _chair(c: Compound) -> CommitteeMember:
    return CommitteeMember.objects.get(compound=c, name="张主任")


# --- 1. a member leaving mid-term ---------------------------------------------------------

def test_a_member_leaves_mid_term_and_the_days_before_still_list_them(client_for,
                                                                       user) -> None:
    c = _compound()
    prefix = c.region_id
    _approved(c, user("street1"))
    chair = _chair(c)
    end = reverse("governance:member-end", args=[chair.pk])
    page = reverse("governance:registry-committee", args=[c.pk])
    community = client_for("community1")
    assert end in community.get(page).content.decode()  # the button on the committee page
    before = registry.figures_on(prefix, dt.date(2026, 5, 9))
    r = community.post(end, {"on": "2026-05-10", "reason": "resigned", "note": "因工作调动辞职"})
    assert r.status_code == 302, r.content.decode()[:800]
    chair.refresh_from_db()
    assert (chair.ended_on, chair.left_because) == (dt.date(2026, 5, 10), "resigned")
    assert "张主任" in committees.members_on(c, dt.date(2026, 5, 9)).values_list("name",
                                                                                 flat=True)
    assert list(committees.members_on(c, dt.date(2026, 5, 10)).values_list(
        "name", flat=True)) == ["李委员"]
    # the secretary no longer heads it from that day; the day before keeps its figure
    assert registry.figures_on(prefix, dt.date(2026, 5, 9)) == before
    after = registry.figures_on(prefix, dt.date(2026, 5, 10))
    assert after["secretary_heads_elected"] == before["secretary_heads_elected"] - 1
    assert after["with_committee"] == before["with_committee"]  # 李委员 is still in office
    c.refresh_from_db()
    assert (c.committee_head, c.committee_head_phone, c.head_is_party_secretary) == ("", "",
                                                                                     False)
    shown = community.get(page).content.decode()
    assert "辞职" in shown and "因工作调动辞职" in shown
    # the last member leaving ends the committee in the registry from that day
    last = CommitteeMember.objects.get(compound=c, name="李委员")
    committees.do_end_member(last, on=dt.date(2026, 5, 20), reason="removed", by=None)
    assert registry.figures_on(prefix, dt.date(2026, 5, 19))["with_committee"] == \
        before["with_committee"]
    assert registry.figures_on(prefix, dt.date(2026, 5, 20))["with_committee"] == \
        before["with_committee"] - 1
    assert AuditLog.objects.filter(action="governance.member_end").count() == 2


def test_a_member_leaving_refuses_bad_dates_and_reasons_and_writes_nothing(client_for,
                                                                          user) -> None:
    c = _compound()
    _approved(c, user("street1"))
    chair = _chair(c)
    end = reverse("governance:member-end", args=[chair.pk])
    community = client_for("community1")
    rows = GovernanceRecord.objects.filter(compound=c).count()
    for bad in ({"on": "2026-06-02", "reason": "resigned"},  # in the future
                {"on": "2026-03-31", "reason": "resigned"},  # before the term started
                {"on": "9999-12-31", "reason": "died"}, {"on": "0001-01-01", "reason": "died"},
                {"on": "2026-05-10", "reason": ""}, {"on": "2026-05-10", "reason": "fired"},
                {"on": "2026-05-10", "reason": "resigned", "note": "第一行\n第二行"},
                {"on": "2026-05-10", "reason": "resigned", "note": "说明\x07"},
                {"on": "2026-05-10", "reason": "resigned", "note": "x" * 201}):
        r = community.post(end, bad)
        assert r.status_code == 200, bad
        assert "errorlist" in r.content.decode(), bad
    chair.refresh_from_db()
    assert chair.ended_on is None and chair.left_because == ""
    assert GovernanceRecord.objects.filter(compound=c).count() == rows
    with pytest.raises(ValidationError):  # the action itself, whatever the form
        committees.do_end_member(chair, on=dt.date(2026, 3, 1), reason="died", by=None)
    # markup and formulas are kept as text, shown escaped
    for note in ("<b>调走</b>", FORMULAS[0]):
        m = CommitteeMember.objects.get(compound=c, name="李委员")
        CommitteeMember.objects.filter(pk=m.pk).update(ended_on=None, left_because="")
        assert community.post(reverse("governance:member-end", args=[m.pk]), {
            "on": "2026-05-10", "reason": "other", "note": note}).status_code == 302
        m.refresh_from_db()
        assert m.leave_note == note
    assert "<b>调走</b>" not in community.get(
        reverse("governance:registry-committee", args=[c.pk])).content.decode()
    # a member who already left cannot leave again
    assert community.post(end, {"on": "2026-05-10", "reason": "resigned"}).status_code == 302
    r = community.post(end, {"on": "2026-05-11", "reason": "died"})
    assert r.status_code == 200 and "该成员不在任" in r.content.decode()


def test_only_the_compounds_editors_end_a_members_term(client_for, user) -> None:
    c = _compound()
    _approved(c, user("street1"))
    end = reverse("governance:member-end", args=[_chair(c).pk])
    for name in ("street2", "property1", "resident1", "viewer1", "grid1"):
        for r in (client_for(name).get(end),
                  client_for(name).post(end, {"on": "2026-05-10", "reason": "died"})):
            assert r.status_code in (403, 404), name
    assert Client().post(end, {"on": "2026-05-10", "reason": "died"}).status_code == 302
    assert _chair(c).ended_on is None
    assert client_for("street1").get(end).status_code == 200  # edits places in its street


# --- 2. the street sends an election back -------------------------------------------------

def test_the_street_sends_an_election_back_with_a_reason_and_the_community_corrects_it(
        client_for, user) -> None:
    c = _compound()
    e = committees.do_record_election(c, committee="owners", held_on=dt.date(2026, 5, 1),
                                      turnout=55, members=_members(), by=user("community1"),
                                      submit=True)
    back = reverse("governance:election-return", args=[e.pk])
    approve = reverse("governance:election-approve", args=[e.pk])
    street1 = client_for("street1")
    assert back in street1.get(approve).content.decode()  # the form on the approval page
    # who may not: another street (not found), the community and the district (not the
    # street office), outsiders
    assert client_for("street2").post(back, {"reason": "材料不全"}).status_code == 404
    for name in ("community1", "district"):
        assert client_for(name).post(back, {"reason": "材料不全"}).status_code == 403, name
    for name in ("property1", "resident1"):
        assert client_for(name).post(back, {"reason": "材料不全"}).status_code == 404, name
    assert street1.get(back).status_code == 405
    # a reason is required, one line or several but no control characters
    for bad in ("", "   ", "理由\x07", "x" * 301):
        r = street1.post(back, {"reason": bad})
        assert r.status_code == 200, bad
    e.refresh_from_db()
    assert e.state == "submitted" and not ElectionReturn.objects.exists()
    r = street1.post(back, {"reason": "<i>参选率</i>计算有误，请核对后重新提交"})
    assert r.status_code == 302
    e.refresh_from_db()
    assert e.state == "draft" and e.return_reason.startswith("<i>参选率</i>")
    kept = ElectionReturn.objects.get(election=e)
    assert kept.returned_by == user("street1")
    page = client_for("community1").get(reverse("governance:registry-committee",
                                                args=[c.pk])).content.decode()
    assert "参选率</i>计算有误" not in page and "&lt;i&gt;参选率&lt;/i&gt;计算有误" in page
    # the community corrects the draft (phones stay masked and kept) and submits it again
    edit = reverse("governance:election-edit", args=[e.pk])
    form = client_for("community1").get(edit).content.decode()
    assert "138****5678" in form and PHONE not in form
    for name in ("street2", "property1"):
        assert client_for(name).post(edit, {}).status_code == 404, name
    data = {"committee": "owners", "held_on": "2026-05-01", "turnout": "61.5", "note": "",
            "m1_name": "张主任", "m1_role": "chair", "m1_secretary": "on",
            "m1_phone": "138****5678", "m2_name": "王委员", "m2_role": "member",
            "m2_phone": "", "submit": "submit"}
    for i in range(3, 10):
        data[f"m{i}_role"] = "member"
    r = client_for("community1").post(edit, data)
    assert r.status_code == 302, r.content.decode()[:800]
    e.refresh_from_db()
    assert (e.state, str(e.turnout)) == ("submitted", "61.5")
    assert sorted(e.members.values_list("name", "phone")) == [("张主任", PHONE), ("王委员", "")]
    # a submitted election is not corrected any more; the street approves it, the return stays
    client_for("community1").post(edit, {**data, "turnout": "10"})
    e.refresh_from_db()
    assert str(e.turnout) == "61.5"
    assert street1.post(approve, {"on": "2026-05-20"}).status_code == 302
    e.refresh_from_db()
    assert e.state == "approved" and e.return_reason == ""
    assert ElectionReturn.objects.filter(election=e).count() == 1
    with pytest.raises(ValidationError):  # approved: nothing to send back
        committees.do_return_election(e, reason="再看看", by=user("street1"))


# --- 3. the compound's own facts and the registry follow the approved members -------------

def test_approval_writes_the_chair_into_the_compound_and_the_registry_cannot_contradict_it(
        client_for, user) -> None:
    c = _compound()
    _approved(c, user("street1"), secretary=False)
    c.refresh_from_db()
    assert (c.committee, c.committee_head, c.committee_head_phone) == ("owners", "张主任", PHONE)
    # the compound's page and the registry show the approved chair
    place = client_for("community1").get(reverse("places:compound", args=[c.pk]))
    assert "张主任" in place.content.decode()
    page = reverse("governance:registry-compound", args=[c.pk])
    community = client_for("community1")
    form = community.get(page).content.decode()
    assert 'value="owners" selected' in form  # the form starts from the state now
    rows = GovernanceRecord.objects.filter(compound=c).count()
    base = {"on": "2026-05-15", "form": "none", "committee": "owners",
            "election_date": "2026-03-20", "turnout": "70.0", "street_approved": "on",
            "cadre_unit": "", "property_managers": "0", "note": ""}
    for bad, says in (({"committee": ""}, "不能登记为没有业委会/物管会"),
                      ({"committee": "management"}, "登记的类型须一致"),
                      ({"head_is_party_secretary": "on"}, "在任主任不是小区党支部书记"),
                      ({"street_approved": ""}, "已经街道批准"),
                      ({"election_date": "2026-01-01"}, "选举日期须一致")):
        data = {**base, **bad}
        data = {k: v for k, v in data.items() if v != "" or k in ("cadre_unit", "note",
                                                                   "committee",
                                                                   "election_date")}
        r = community.post(page, data)
        assert r.status_code == 200, bad
        assert says in r.content.decode(), bad
    assert GovernanceRecord.objects.filter(compound=c).count() == rows
    # a change that agrees with the members is recorded
    r = community.post(page, {**base, "property_managers": "3"})
    assert r.status_code == 302, r.content.decode()[:800]
    assert registry.current_values(c)["property_managers"] == 3
    # before the committee took office nothing contradicts (the registry's own date rule aside)
    assert committees.contradictions(c, dt.date(2026, 3, 31), {"committee": ""}) == []


# --- 5. the back office -------------------------------------------------------------------

def test_the_back_office_lists_committees_read_only_scoped_and_masked(client_for,
                                                                      user) -> None:
    c = _compound()
    e = _approved(c, user("street1"))
    cadre = committees.do_add_cadre(c, name="王干部", unit="区委组织部", full_time=True,
                                    started_on=dt.date(2026, 5, 1), by=None)
    member = _chair(c)
    district = client_for("district")
    for name, pk in (("election", e.pk), ("committeemember", member.pk), ("cadre", cadre.pk)):
        url = reverse(f"admin:governance_{name}_change", args=[pk])
        r = district.get(url)
        assert r.status_code == 200, name
        assert PHONE not in r.content.decode(), name
        assert district.post(url, {"name": "改"}).status_code == 403, name
        assert client_for("street2").get(url).status_code in (302, 404), name  # not its street
        assert client_for("resident1").get(url).status_code == 302, name  # no back office
    listed = district.get(reverse("admin:governance_committeemember_changelist"))
    assert "138****5678" in listed.content.decode() and PHONE not in listed.content.decode()
    assert district.get(reverse("admin:governance_election_add")).status_code == 403
