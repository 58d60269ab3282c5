"""Committees, elections and cadres with history: the street approves its own elections, a
committee's members take office on the approval, and last year's figures stay last year's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from minsheng.accounts.models import AuditLog
from minsheng.governance import committees, registry
from minsheng.governance.models import Cadre, CommitteeMember, Election
from minsheng.indicators import services
from minsheng.places.models import Compound, Region

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 1, 4, tzinfo=dt.UTC)
D = "131002000000"
PHONE = "13812345678"


def _street1() -> Region:
    return Region.objects.filter(parent_id=D).order_by("code")[0]


def _compound(**filters) -> Compound:
    """A compound of street1's first community (community1's and resident1's)."""
    community = Region.objects.filter(parent=_street1()).order_by("code").first()
    return Compound.objects.filter(region=community, **filters).order_by("pk").first()


def _members(chair_secretary: bool, name: str = "张主任") -> list[dict]:
    return [{"name": name, "role": "chair", "is_party_secretary": chair_secretary,
             "phone": PHONE},
            {"name": "李委员", "role": "member", "is_party_secretary": False, "phone": ""}]


def _elected(c: Compound, *, held: dt.date, approved: dt.date, secretary: bool, by,
             name: str = "张主任") -> Election:
    e = committees.do_record_election(c, committee="owners", held_on=held, turnout=72.5,
                                      members=_members(secretary, name), by=by, submit=True)
    return committees.do_approve_election(e, on=approved, by=by)


def test_history_keeps_last_years_committee_coverage_after_this_years_change(user) -> None:
    c = _compound(committee="")
    prefix = c.region_id[:9]
    street = user("street1")
    with time_machine.travel(NOW, tick=False):
        base = registry.figures_on(prefix, dt.date(2024, 12, 31))
        # last year: a committee elected and approved, headed by the party secretary, and a
        # full-time cadre sent down
        _elected(c, held=dt.date(2025, 3, 10), approved=dt.date(2025, 4, 1), secretary=True,
                 by=street)
        cadre = committees.do_add_cadre(c, name="王干部", unit="区委组织部", full_time=True,
                                        started_on=dt.date(2025, 5, 1), by=street)
        last = registry.figures_on(prefix, dt.date(2025, 12, 31))
        assert last["with_committee"] == base["with_committee"] + 1
        assert last["secretary_heads_elected"] == base["secretary_heads_elected"] + 1
        assert last["full_time_cadre"] == base["full_time_cadre"] + 1
        assert last["cadre_coverage"] is not None
        # this year: a new committee whose head is not the secretary, and the cadre leaves
        _elected(c, held=dt.date(2026, 3, 1), approved=dt.date(2026, 3, 15), secretary=False,
                 by=street, name="赵主任")
        committees.do_end_cadre(cadre, on=dt.date(2026, 4, 1), by=street)
        assert registry.figures_on(prefix, dt.date(2025, 12, 31)) == last
        now = registry.figures_on(prefix, dt.date(2026, 5, 1))
        assert now["with_committee"] == last["with_committee"]  # still a committee
        assert now["secretary_heads_elected"] == last["secretary_heads_elected"] - 1
        assert now["full_time_cadre"] == last["full_time_cadre"] - 1
        # the members: last year's left on the approval of this year's
        assert [m.name for m in committees.members_on(c, dt.date(2025, 12, 31))
                if m.role == "chair"] == ["张主任"]
        assert [m.name for m in committees.members_on(c, dt.date(2026, 5, 1))
                if m.role == "chair"] == ["赵主任"]
        assert CommitteeMember.objects.get(name="张主任", compound=c).ended_on == \
            dt.date(2026, 3, 15)
        c.refresh_from_db()
        assert c.committee == "owners" and not c.head_is_party_secretary
        # the catalogue's figures read the same history
        services.compute(D, "2025")
        services.compute(D, "2026")
        got25 = services.evaluate([prefix.ljust(12, "0")], "2025", with_previous=False)
        got26 = services.evaluate([prefix.ljust(12, "0")], "2026", with_previous=False)
    street_code = prefix.ljust(12, "0")
    assert got25[street_code]["secretary_heads_elected"].value == \
        last["secretary_heads_elected"]
    assert got26[street_code]["secretary_heads_elected"].value == \
        now["secretary_heads_elected"]
    assert got25[street_code]["cadre_coverage"].value == Decimal(str(last["cadre_coverage"]))


def test_an_election_needs_one_chair_and_dates_that_are_not_in_the_future(user) -> None:
    c = _compound(committee="")
    by = user("community1")
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError):  # no chair
            committees.do_record_election(c, committee="owners", held_on=dt.date(2026, 5, 1),
                                          turnout=60, by=by, members=[
                                              {"name": "甲", "role": "member"}])
        with pytest.raises(ValidationError):  # in the future
            committees.do_record_election(c, committee="owners", held_on=dt.date(2026, 7, 1),
                                          turnout=60, by=by, members=_members(True))
        e = committees.do_record_election(c, committee="owners", held_on=dt.date(2026, 5, 1),
                                          turnout=60, by=by, members=_members(True))
        assert e.state == "draft"
        with pytest.raises(ValidationError):  # a draft is not approved
            committees.do_approve_election(e, on=dt.date(2026, 5, 2), by=user("street1"))
        committees.do_submit_election(e, by=by)
        with pytest.raises(ValidationError):  # before the election
            committees.do_approve_election(e, on=dt.date(2026, 4, 30), by=user("street1"))
        assert not CommitteeMember.objects.filter(election=e, started_on__isnull=False).exists()


def test_the_street_approves_only_its_own_elections(client_for, user) -> None:
    c = _compound(committee="")
    new = reverse("governance:election-new", args=[c.pk])
    data = {"committee": "owners", "held_on": "2026-05-20", "turnout": "66.6", "note": "",
            "m1_name": "张主任", "m1_role": "chair", "m1_secretary": "on", "m1_phone": PHONE,
            "m2_name": "李委员", "m2_role": "member", "m2_phone": "", "submit": "submit"}
    for i in range(3, 10):
        data[f"m{i}_role"] = "member"
    with time_machine.travel(NOW, tick=False):
        community = client_for("community1")
        r = community.post(new, data)
        assert r.status_code == 302, r.content.decode()[:800]
        e = Election.objects.get(compound=c)
        assert e.state == "submitted" and e.members.count() == 2
        approve = reverse("governance:election-approve", args=[e.pk])
        # another street's staff do not even see it; the community and the district read the
        # compound but do not approve for the street
        assert client_for("street2").get(approve).status_code == 404
        assert client_for("street2").post(approve, {"on": "2026-05-25"}).status_code == 404
        for name in ("community1", "district"):
            assert client_for(name).get(approve).status_code == 403, name
            assert client_for(name).post(approve, {"on": "2026-05-25"}).status_code == 403, name
        for name in ("property1", "resident1", "viewer1"):
            assert client_for(name).post(approve, {"on": "2026-05-25"}).status_code == 404, name
        e.refresh_from_db()
        assert e.state == "submitted"
        street1 = client_for("street1")
        registry_page = street1.get(reverse("governance:registry")).content.decode()
        assert approve in registry_page  # listed for the street to approve
        assert street1.get(approve).status_code == 200
        assert street1.post(approve, {"on": "2026-07-01"}).status_code == 200  # future: refused
        e.refresh_from_db()
        assert e.state == "submitted"
        r = street1.post(approve, {"on": "2026-05-25"})
        assert r.status_code == 302
        e.refresh_from_db()
        assert (e.state, e.approved_on, e.approver) == ("approved", dt.date(2026, 5, 25),
                                                        user("street1"))
        assert set(committees.members_on(c, dt.date(2026, 5, 25)).values_list(
            "name", flat=True)) == {"张主任", "李委员"}
        # approved once
        street1.post(approve, {"on": "2026-05-26"})
        e.refresh_from_db()
        assert e.approved_on == dt.date(2026, 5, 25)
        # outsiders record nothing
        for name in ("street2", "property1", "resident1"):
            assert client_for(name).post(new, data).status_code == 404, name
        assert Election.objects.filter(compound=c).count() == 1


def test_property_companies_and_residents_cannot_see_members_phone_numbers(client_for,
                                                                           user) -> None:
    c = _compound(committee="")
    with time_machine.travel(NOW, tick=False):
        _elected(c, held=dt.date(2026, 5, 1), approved=dt.date(2026, 5, 10), secretary=True,
                 by=user("street1"))
        page = reverse("governance:registry-committee", args=[c.pk])
        reveal = reverse("governance:registry-committee-reveal", args=[c.pk])
        for name in ("property1", "resident1", "viewer1", "street2"):
            assert client_for(name).get(page).status_code == 404, name
            r = client_for(name).post(reveal)
            assert r.status_code == 404, name
            assert PHONE not in r.content.decode()
        street1 = client_for("street1")
        shown = street1.get(page).content.decode()
        assert "张主任" in shown and "138****5678" in shown and PHONE not in shown
        assert reveal in shown
        before = AuditLog.objects.filter(action=AuditLog.Action.UNMASK).count()
        revealed = street1.post(reveal).content.decode()
        assert PHONE in revealed
        logged = AuditLog.objects.filter(action=AuditLog.Action.UNMASK).order_by("-pk").first()
        assert AuditLog.objects.filter(action=AuditLog.Action.UNMASK).count() == before + 1
        assert logged.object_type == "governance.committeemember" and logged.fields == "phone"
        # the registry page links to the committee page
        assert page in street1.get(reverse("governance:registry-compound",
                                           args=[c.pk])).content.decode()


def test_cadres_are_sent_down_and_ended_by_the_compounds_editors(client_for, user) -> None:
    c = _compound()
    new = reverse("governance:cadre-new", args=[c.pk])
    with time_machine.travel(NOW, tick=False):
        for name in ("property1", "resident1", "street2"):
            assert client_for(name).post(new, {"name": "王", "unit": "区住建局",
                                               "full_time": "on",
                                               "started_on": "2026-05-01"}).status_code == 404
        r = client_for("community1").post(new, {"name": "王干部", "unit": "区住建局",
                                                "full_time": "on", "started_on": "2026-05-01"})
        assert r.status_code == 302, r.content.decode()[:800]
        cadre = Cadre.objects.get(compound=c)
        assert registry.figures_on(c.region_id, dt.date(2026, 5, 2))["full_time_cadre"] == 1
        end = reverse("governance:cadre-end", args=[cadre.pk])
        for name in ("property1", "resident1", "street2"):
            assert client_for(name).post(end, {"on": "2026-05-20"}).status_code == 404, name
        assert client_for("community1").post(end, {"on": "2026-04-01"}).status_code == 200
        r = client_for("community1").post(end, {"on": "2026-05-20"})
        assert r.status_code == 302
        cadre.refresh_from_db()
        assert cadre.ended_on == dt.date(2026, 5, 20)
        assert registry.figures_on(c.region_id, dt.date(2026, 5, 2))["full_time_cadre"] == 1
        assert registry.figures_on(c.region_id, dt.date(2026, 5, 21))["full_time_cadre"] == 0
        with pytest.raises(ValidationError):
            committees.do_end_cadre(cadre, on=dt.date(2026, 5, 25), by=None)


def test_election_form_refuses_hostile_input(client_for) -> None:
    c = _compound(committee="")
    new = reverse("governance:election-new", args=[c.pk])
    base = {"committee": "owners", "held_on": "2026-05-20", "turnout": "66.6",
            "m1_role": "chair", "m1_phone": "", "submit": "draft"}
    with time_machine.travel(NOW, tick=False):
        community = client_for("community1")
        for bad in ({"m1_name": "张\x07主任"}, {"m1_name": "张主任", "m1_phone": "=1+1"},
                    {"m1_name": "张主任", "turnout": "120"}, {"m1_name": ""}):
            r = community.post(new, {**base, **bad})
            assert r.status_code == 200, bad
        r = community.post(new, {**base, "m1_name": "<b>张</b>"})
        assert r.status_code == 302
        page = community.get(reverse("governance:registry-committee", args=[c.pk]))
        assert "<b>张</b>" not in page.content.decode()
    assert Election.objects.filter(compound=c).count() == 1


def test_the_pages_show_the_committee_and_the_figures_as_of_a_past_day(client_for,
                                                                      user) -> None:
    c = _compound(committee="")
    street = user("street1")
    with time_machine.travel(NOW, tick=False):
        _elected(c, held=dt.date(2025, 3, 10), approved=dt.date(2025, 4, 1), secretary=True,
                 by=street)
        _elected(c, held=dt.date(2026, 3, 1), approved=dt.date(2026, 3, 15), secretary=False,
                 by=street, name="赵主任")
        s1 = client_for("street1")
        page = reverse("governance:registry-committee", args=[c.pk])
        then = s1.get(page, {"on": "2025-12-31"}).content.decode()
        on_day = then.split('class="on-day"')[1].split("</ul>")[0]
        assert "张主任" in on_day and "赵主任" not in on_day
        assert s1.get(page, {"on": "<script>"}).status_code == 200  # refused, not an error
        last_year = registry.figures_on(_street1().code[:9], dt.date(2025, 12, 31))
        shown = s1.get(reverse("governance:registry"), {"on": "2025-12-31"}).content.decode()
        assert "2025-12-31" in shown
        assert f"经选举任主任 {last_year['secretary_heads_elected']} 个" in shown
