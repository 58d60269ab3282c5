"""Rectification lists: the all-or-nothing import, evidence, verification, overdue flags and
整改完成率 per list and per unit; who may do what."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from minsheng.accounts.models import Membership
from minsheng.accounts.roles import Role
from minsheng.governance import rectification
from minsheng.governance.models import Task, TaskList
from minsheng.lib.tabular import ImportRejected
from minsheng.places.models import Organisation, Region
from tests.hostile import attack_whole_file

pytestmark = pytest.mark.django_db
DISTRICT = "131002000000"


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "整改清单"
    ws.append(["领域/区域", "问题", "责任单位", "整改时限"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def street_offices() -> tuple[Organisation, Organisation]:
    streets = Region.objects.filter(parent_id=DISTRICT).order_by("code")[:2]
    return tuple(Organisation.objects.filter(kind=Organisation.Kind.STREET_OFFICE,
                                             region=s).order_by("pk").first() for s in streets)


def imported(user, rows) -> TaskList:
    return rectification.do_import_list(
        xlsx(rows), "list.xlsx", name="创城问题清单", kind=TaskList.Kind.CIVILISED_CITY,
        region_code=DISTRICT, by=user("district"), allowed=lambda code: True)


def test_the_import_is_all_or_nothing_and_names_row_and_column(user) -> None:
    s1, _s2 = street_offices()
    rows = [["市容环境", "背街小巷垃圾堆放", s1.name, "2026-06-30"],
            ["交通秩序", "非机动车乱停", "没有这个单位", "2026-06-30"],
            ["公共秩序", "占道经营" * 300, s1.name, "明天"],
            ["", "无区域", s1.name, "2026年6月"]]
    with pytest.raises(ImportRejected) as exc:
        imported(user, rows)
    where = {(e.row, e.column) for e in exc.value.errors}
    assert (3, "责任单位") in where and (4, "整改时限") in where and (5, "领域/区域") in where
    assert any(e.row == 4 and e.column == "问题" for e in exc.value.errors)  # too long
    assert str(exc.value.errors[0]).startswith("第")
    assert not TaskList.objects.filter(name="创城问题清单").exists()
    assert not Task.objects.filter(problem__contains="背街小巷").exists()


def test_a_formula_rejects_the_file(user) -> None:
    s1, _s2 = street_offices()
    with pytest.raises(ImportRejected):
        imported(user, [["交通秩序", "=HYPERLINK(\"http://x\")", s1.name, "2026-06-30"]])
    assert not TaskList.objects.exists() or not Task.objects.filter(
        problem__contains="HYPERLINK").exists()


def test_a_control_character_rejects_the_file(user) -> None:
    s1, _s2 = street_offices()
    csv = f"领域/区域,问题,责任单位,整改时限\n市容,占道经营\x07,{s1.name},2026-06-30\n"
    with pytest.raises(ImportRejected) as exc:
        rectification.do_import_list(
            csv.encode("utf-8"), "list.csv", name="控制字符", kind=TaskList.Kind.FEEDBACK,
            region_code=DISTRICT, by=user("district"), allowed=lambda code: True)
    assert "U+0007" in str(exc.value.errors[0])
    assert not TaskList.objects.filter(name="控制字符").exists()


def test_a_problem_goes_through_evidence_verification_and_return(user) -> None:
    s1, s2 = street_offices()
    tl = imported(user, [["市容环境", "背街小巷垃圾堆放", s1.name, "2026年6月"],
                         ["交通秩序", "非机动车乱停", s2.name, "2026-05-31"]])
    a, b = tl.tasks.order_by("number")
    assert a.deadline == dt.date(2026, 6, 30) and b.problem == "非机动车乱停"
    rectification.do_submit(a, evidence="已清运", photos=[], by=user("street1"))
    a = rectification.do_verify(a, passed=False, reason="仍有堆放", by=user("district"))
    assert a.state == Task.State.RETURNED and a.return_reason == "仍有堆放"
    with pytest.raises(Exception, match="理由"):
        rectification.do_submit(a, evidence="再次清运", photos=[], by=user("street1"))
        rectification.do_verify(a, passed=False, reason="", by=user("district"))
    a.refresh_from_db()
    a = rectification.do_verify(a, passed=True, by=user("district"))
    assert a.state == Task.State.VERIFIED
    with time_machine.travel(dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC), tick=False):
        c = rectification.completion(tl.tasks.all())
        assert (c["n"], c["done"], c["overdue"], c["rate"]) == (2, 1, 1, 50.0)
        units = {u["unit_id"]: u for u in rectification.by_unit(tl.tasks.all())}
        assert units[s1.pk]["rate"] == 100.0 and units[s2.pk]["rate"] == 0.0
        assert units[s2.pk]["overdue"] == 1
    with time_machine.travel(dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC), tick=False):
        assert rectification.completion(tl.tasks.all())["overdue"] == 0


def test_pages_let_each_do_only_their_part(user, client_for) -> None:
    s1, s2 = street_offices()
    tl = imported(user, [["市容环境", "背街小巷垃圾堆放", s1.name, "2026-06-30"],
                         ["交通秩序", "非机动车乱停", s2.name, "2026-05-31"]])
    a, b = tl.tasks.order_by("number")
    st1 = client_for("street1")
    assert st1.get(reverse("governance:task", args=[a.pk])).status_code == 200
    assert st1.get(reverse("governance:task", args=[b.pk])).status_code == 404
    r = st1.post(reverse("governance:task-submit", args=[a.pk]), {"evidence": "已清运"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.state == Task.State.SUBMITTED
    # street1 cannot verify its own work; the district can
    assert st1.post(reverse("governance:task-verify", args=[a.pk]),
                    {"passed": "1"}).status_code == 403
    other = get_user_model().objects.create_user("pc-admin2")
    Membership.objects.create(user=other, role=Role.DISTRICT_ADMIN, region_id="140213000000")
    pc = Client()
    pc.force_login(other)
    for name_or_client in ("street2", "property1", "resident1", "viewer1", pc):
        c = client_for(name_or_client) if isinstance(name_or_client, str) else name_or_client
        assert c.get(reverse("governance:task", args=[a.pk])).status_code == 404
        assert c.post(reverse("governance:task-verify", args=[a.pk]),
                      {"passed": "1"}).status_code == 404
        if name_or_client != "street2":  # street2 holds the other problem of the list
            assert c.get(reverse("governance:task-list", args=[tl.pk])).status_code == 404
    for name in ("property1", "resident1", "viewer1"):
        assert client_for(name).get(reverse("governance:task-lists")).status_code == 403
        assert client_for(name).get(reverse("governance:task-template")).status_code == 403
    d = client_for("district")
    assert d.post(reverse("governance:task-verify", args=[a.pk]),
                  {"passed": "1"}).status_code == 302
    a.refresh_from_db()
    assert a.state == Task.State.VERIFIED
    r = d.get(reverse("governance:task-list", args=[tl.pk]))
    assert r.status_code == 200 and "50.0%" in r.content.decode()


def test_the_district_imports_on_the_page_and_sees_the_problems(client_for) -> None:
    s1, _ = street_offices()
    d = client_for("district")
    assert d.get(reverse("governance:task-template")).status_code == 200
    f = io.BytesIO(xlsx([["市容环境", "乱贴小广告", s1.name, "2026-06-30"],
                         ["市容环境", "x", "无此单位", "2026-06-30"]]))
    f.name = "list.xlsx"
    r = d.post(reverse("governance:task-lists"), {"name": "清单", "kind": "feedback", "file": f})
    assert r.status_code == 200 and "无此单位" in r.content.decode()
    assert not TaskList.objects.filter(name="清单").exists()
    f = io.BytesIO(xlsx([["市容环境", "乱贴小广告", s1.name, "2026-06-30"]]))
    f.name = "list.xlsx"
    r = d.post(reverse("governance:task-lists"), {"name": "清单", "kind": "feedback", "file": f})
    assert r.status_code == 302
    # street staff may not issue lists
    f.seek(0)
    assert client_for("street1").post(reverse("governance:task-lists"),
                                      {"name": "x", "kind": "feedback", "file": f}
                                      ).status_code == 403
    assert timezone.localdate()  # the page's dates are the local ones


def test_a_whole_list_with_one_hostile_cell_is_taken_whole_or_refused_whole(user) -> None:
    s1, s2 = street_offices()
    due = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    findings = attack_whole_file(
        ["领域/区域", "问题", "责任单位", "整改时限"],
        ["市容环境", "背街小巷垃圾堆放", s1.name, due], ["交通秩序", "非机动车乱停", s2.name, due],
        lambda content, name: rectification.do_import_list(
            content, name, name="创城问题清单", kind=TaskList.Kind.CIVILISED_CITY,
            region_code=DISTRICT, by=user("district"), allowed=lambda code: True),
        Task.objects.count)
    assert not findings, "\n".join(findings)
