"""Case pages: resident filing (with and without login), the private tracking page and rating,
the grid worker's patrol form, the queue with its SLA clocks, the supervisors' list, the case
detail (scoping, actions, reveal, merge) and the rate limit on public filing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from minsheng.accounts.models import AuditLog
from minsheng.cases import workflow
from minsheng.cases.access import cases_for, cases_in
from minsheng.cases.models import Case, CaseEvent, CaseType, Notification
from minsheng.lib import pagination
from minsheng.lib.pagination import CappedPaginator
from minsheng.places.models import Compound, Organisation

pytestmark = pytest.mark.django_db

S = Case.Status
STREET1 = "131002001"
COMM1 = "131002001007"
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # rate-limit counters and the base map
    yield
    cache.clear()


@pytest.fixture
def comp():
    """A compound without management in community 1 (street 1)."""
    return Compound.objects.filter(region_id=COMM1, property_company__isnull=True).order_by(
        "pk").first()


def file(code: str, compound, **kw) -> Case:
    kw.setdefault("description", "路口占道经营")
    kw.setdefault("channel", Case.Channel.RESIDENT)
    return workflow.do_file(case_type=CaseType.objects.get(code=code), compound=compound, **kw)


def form_data(comp, **kw):
    data = {"district": "131002000000", "case_type": "street_order",
            "description": "人行道上乱停车，轮椅过不去", "compound": comp.pk, "name": "王女士",
            "phone": PHONE, "address": "3号楼南侧", "file_anyway": "1"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


# --------------------------------------------------------------------------------------------
# resident filing


def test_the_form_offers_only_categories_residents_may_file(client):
    html = client.get("/cases/new/").content.decode()
    assert "我要反映问题" in html and 'id="pick-map"' in html
    assert "物业维修" in html and "邻里纠纷" in html
    assert "企业约谈" not in html  # resident_can_file = False
    assert "/cases/map.geojson" in html and "/cases/compounds.json" in html


def test_anonymous_resident_files_and_gets_number_and_private_link(client, comp):
    n = Case.objects.count()
    r = client.post("/cases/new/", form_data(comp))
    assert r.status_code == 302
    case = Case.objects.latest("pk")
    assert Case.objects.count() == n + 1
    assert r["Location"] == f"/cases/t/{case.token}/?new=1"
    assert case.reporter is None and case.channel == Case.Channel.RESIDENT
    assert case.reporter_name == "王女士" and case.reporter_phone == PHONE
    assert case.compound == comp and case.address == "3号楼南侧"
    assert case.organisation.kind == Organisation.Kind.STREET_OFFICE
    html = client.get(r["Location"]).content.decode()
    assert case.number in html
    assert f"/cases/t/{case.token}/" in html
    assert "请保存此链接以查询进度" in html and "提交成功" in html
    assert PHONE not in html and "王女士" not in html


def test_filing_by_a_point_on_the_map(client, comp):
    r = client.post("/cases/new/", form_data(comp, compound="", lat=f"{comp.lat:.6f}",
                                             lng=f"{comp.lng:.6f}"))
    assert r.status_code == 302
    case = Case.objects.latest("pk")
    assert case.region_id.startswith(STREET1) and case.lat == pytest.approx(comp.lat)


def test_logged_in_resident_files_on_their_account(client_for, user, comp):
    c = client_for("resident1")
    html = c.get("/cases/new/").content.decode()
    # the resident's own community's compounds are offered without searching
    assert comp.name in html
    r = c.post("/cases/new/", form_data(comp, name="", phone=""))
    assert r.status_code == 302
    case = Case.objects.latest("pk")
    resident = user("resident1")
    assert case.reporter == resident
    assert case.reporter_phone == resident.profile.phone  # taken from the profile
    mine = c.get("/cases/mine/").content.decode()
    assert case.number in mine and f"/cases/t/{case.token}/" in mine
    # a resident has no staff detail page: their case opens on the private page
    r = c.get(f"/cases/{case.pk}/")
    assert r.status_code == 302 and r["Location"] == f"/cases/t/{case.token}/"


@pytest.mark.parametrize("change, message", [
    ({"compound": ""}, "请在地图上点选位置，或选择所在小区"),
    ({"compound": "", "lat": "95", "lng": "116.7"}, "小于或等于"),
    ({"compound": "", "lat": "39.5"}, "位置坐标不完整"),
    ({"compound": "", "lat": "10.0", "lng": "10.0"}, "不在本平台服务的区县内"),
    ({"phone": ""}, "该字段是必填项"),
    ({"phone": "abc"}, "请填写正确的联系电话"),
    ({"description": ""}, "该字段是必填项"),
    ({"case_type": "enterprise_interview"}, "选择一个有效的选项"),
    ({"compound": "999999"}, "选择一个有效的选项"),
])
def test_bad_input_is_answered_with_a_clear_error_and_nothing_written(client, comp, change,
                                                                      message):
    n, e = Case.objects.count(), CaseEvent.objects.count()
    r = client.post("/cases/new/", form_data(comp, **change))
    assert r.status_code == 200
    assert message in r.content.decode()
    assert Case.objects.count() == n and CaseEvent.objects.count() == e


@pytest.mark.parametrize("change, message", [
    ({"description": "人行道上乱停车\x07"}, "不可见的控制字符（U+0007）"),
    ({"description": "人行道\u202e上乱停车"}, "不可见的控制字符（U+202E）"),
    ({"name": "王\x1b女士"}, "不可见的控制字符（U+001B）"),
    ({"address": "3号楼\n南侧"}, "这里只能填一行文字"),
    ({"phone": "139\x0812345678"}, "不可见的控制字符（U+0008）"),
])
def test_control_characters_in_the_resident_form_are_refused_with_a_clear_error(client, comp,
                                                                               change, message):
    n = Case.objects.count()
    r = client.post("/cases/new/", form_data(comp, **change))
    assert r.status_code == 200
    assert message in r.content.decode()
    assert Case.objects.count() == n


def test_line_breaks_in_the_description_are_fine(client, comp):
    r = client.post("/cases/new/", form_data(comp, description="人行道上乱停车\r\n轮椅过不去\t已三天"))
    assert r.status_code == 302
    assert Case.objects.latest("pk").description == "人行道上乱停车\r\n轮椅过不去\t已三天"


def test_control_characters_in_the_patrol_form_are_refused(client_for, comp):
    n = Case.objects.count()
    r = client_for("grid1").post("/cases/patrol/", {
        "case_type": "safety_hazard", "description": "井盖缺失\x07",
        "lat": f"{comp.lat:.6f}", "lng": f"{comp.lng:.6f}"})
    assert r.status_code == 200 and "不可见的控制字符（U+0007）" in r.content.decode()
    assert Case.objects.count() == n


def test_compound_search_by_name_within_the_district(client, comp):
    data = client.get("/cases/compounds.json", {"q": comp.name, "district": "131002"}).json()
    assert any(row["id"] == comp.pk for row in data["results"])
    assert all(comp.name in row["name"] for row in data["results"])
    # without JavaScript: the search button re-renders the form with the matches
    r = client.post("/cases/new/", form_data(comp, compound="", find="1", compound_q=comp.name))
    assert r.status_code == 200
    html = r.content.decode()
    assert f'<option value="{comp.pk}"' in html and "人行道上乱停车" in html
    fc = client.get("/cases/map.geojson?district=131002").json()
    kinds = {f["properties"]["kind"] for f in fc["features"]}
    assert kinds == {"street", "compound"}


def test_rate_limit_answers_429_after_five_filings(client, client_for, comp):
    for _ in range(5):
        assert client.post("/cases/new/", form_data(comp)).status_code == 302
    n = Case.objects.count()
    r = client.post("/cases/new/", form_data(comp))
    # the wait is at most an hour and a fifth: the limiter's sliding window is two fixed windows,
    # and an event at the end of one still weighs at the start of the next (lib.http.RateLimit)
    assert r.status_code == 429 and 0 < int(r["Retry-After"]) <= 3600 + 3600 // 5 + 1
    assert "提交太频繁" in r.content.decode()
    assert "人行道上乱停车" in r.content.decode()  # what was typed is kept
    assert Case.objects.count() == n
    # the same IP from another session is limited too
    other = Client()
    assert other.post("/cases/new/", form_data(comp)).status_code == 429
    # another address is not
    assert Client(REMOTE_ADDR="10.0.0.9").post("/cases/new/", form_data(comp)).status_code == 302
    # staff filing for a walk-in resident on the page are not limited
    assert client_for("street1").post("/cases/new/", form_data(comp)).status_code == 302


def test_rate_limit_per_session_across_addresses(comp):
    c = Client()
    for i in range(5):
        assert c.post("/cases/new/", form_data(comp), REMOTE_ADDR=f"10.1.0.{i}").status_code == 302
    assert c.post("/cases/new/", form_data(comp), REMOTE_ADDR="10.1.0.99").status_code == 429


# --------------------------------------------------------------------------------------------
# tracking and rating


def test_tracking_page_shows_the_public_timeline_only(client, user, comp):
    case = file("street_order", comp, reporter_name="李先生", reporter_phone=PHONE,
                description=f"门口有摊点，联系我 {PHONE}")
    street1 = user("street1")
    street1.first_name, street1.last_name = "张", "办事员"
    street1.save()
    workflow.do_accept(street1, case)
    workflow.do_note(street1, case, "已通知城管中队到场", public=True)
    workflow.do_note(street1, case, "内部：当事人脾气很大", public=False)
    r = client.get(f"/cases/t/{case.token}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert case.number in html and "街面秩序" in html and "办理中" in html
    assert "已通知城管中队到场" in html
    assert "当事人脾气很大" not in html
    assert PHONE not in html and "李先生" not in html
    assert "办事员" not in html and "street1" not in html
    assert r["Referrer-Policy"] == "same-origin"  # the token never goes to another site
    assert client.get("/cases/t/not-a-token/").status_code == 404


def test_rating_through_the_private_link(client, user, comp):
    street1 = user("street1")
    case = file("street_order", comp)
    workflow.do_accept(street1, case)
    workflow.do_resolve(street1, case, "摊点已清理")
    url = f"/cases/t/{case.token}/"
    html = client.get(url).content.decode()
    assert "摊点已清理" in html and "请评价办理结果" in html
    r = client.post(url, {"rating": "5"})  # missing verdict
    assert r.status_code == 200 and "该字段是必填项" in r.content.decode()
    r = client.post(url, {"rating": "2", "fixed": "no", "comment": "第二天又摆回来了"},
                    follow=True)
    assert "重新交给办理单位" in r.content.decode()
    case.refresh_from_db()
    assert case.status == S.ACCEPTED and case.reopen_count == 1
    assert case.verdict == Case.Verdict.NOT_FIXED and case.rating == 2
    workflow.do_resolve(street1, case, "已安排每日巡查")
    r = client.post(url, {"rating": "5", "fixed": "yes"}, follow=True)
    assert "诉求已关闭" in r.content.decode()
    case.refresh_from_db()
    assert case.status == S.CLOSED and case.verdict == Case.Verdict.FIXED
    # no second rating
    client.post(url, {"rating": "1", "fixed": "no"})
    case.refresh_from_db()
    assert case.status == S.CLOSED and case.rating == 5


def test_rating_from_a_browser_passes_the_csrf_origin_check(user, comp):
    """Browsers send `Origin: null` with a form POST from a page whose referrer policy is
    no-referrer, and Django's CSRF check refuses it: residents got 403 when they rated."""
    street1 = user("street1")
    case = file("street_order", comp)
    workflow.do_accept(street1, case)
    workflow.do_resolve(street1, case, "摊点已清理")
    c = Client(enforce_csrf_checks=True)
    url = f"/cases/t/{case.token}/"
    r = c.get(url)
    html = r.content.decode()
    policies = {r["Referrer-Policy"], *re.findall(r'<meta name="referrer" content="([^"]+)"', html)}
    assert policies <= {"same-origin", "no-referrer"}
    origin = "null" if "no-referrer" in policies else "http://testserver"  # what Chrome sends
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    r = c.post(url, {"csrfmiddlewaretoken": token, "rating": "1", "fixed": "no"},
               HTTP_ORIGIN=origin)
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == S.ACCEPTED and case.reopen_count == 1


# --------------------------------------------------------------------------------------------
# grid worker patrol


def test_grid_worker_patrol_form(client_for, user, comp):
    c = client_for("grid1")
    html = c.get("/cases/patrol/").content.decode()
    assert "巡查上报" in html and 'data-auto="1"' in html and 'capture="environment"' in html
    assert "企业约谈" in html  # all categories
    r = c.post("/cases/patrol/", {"case_type": "safety_hazard", "description": "",
                                  "lat": f"{comp.lat:.6f}", "lng": f"{comp.lng:.6f}"})
    assert r.status_code == 302 and r["Location"] == "/cases/patrol/"
    case = Case.objects.latest("pk")
    assert case.channel == Case.Channel.PATROL and case.reporter == user("grid1")
    assert case.case_type_id == "safety_hazard" and "安全隐患" in case.description
    html = c.get("/cases/patrol/").content.decode()
    assert case.number in html  # the success message and "my recent reports"
    r = c.post("/cases/patrol/", {"case_type": "safety_hazard"})
    assert r.status_code == 200 and "请在地图上点选位置" in r.content.decode()


@pytest.mark.parametrize("username", ["resident1", "property1", "viewer1", "mediator1"])
def test_patrol_is_for_grid_and_region_staff(client_for, username):
    assert client_for(username).get("/cases/patrol/").status_code == 403


def test_patrol_requires_login(client):
    assert client.get("/cases/patrol/").status_code == 302


# --------------------------------------------------------------------------------------------
# queue, notifications, list


def test_queue_shows_sla_clocks_and_flags_overdue(client_for, comp):
    fresh = file("street_order", comp)
    late = file("street_order", comp, at=timezone.now() - dt.timedelta(days=2))
    late.escalation_level = 1
    late.save(update_fields=["escalation_level"])
    html = client_for("street1").get("/cases/queue/").content.decode()
    assert fresh.number in html and late.number in html
    assert "距受理时限" in html
    row = re.search(rf"<tr class=\"late\">.*?{late.number}.*?</tr>", html, re.S).group(0)
    assert "flag-overdue" in row and "受理已超时" in row and "升级 1 次" in row
    assert html.index(late.number) < html.index(fresh.number)  # most overdue first
    # another street's queue does not hold them
    html = client_for("street2").get("/cases/queue/").content.decode()
    assert fresh.number not in html and 'id="notifications"' in html
    # filters
    html = client_for("street1").get("/cases/queue/?status=accepted").content.decode()
    assert fresh.number not in html.split('id="notifications"')[0]


def test_notifications_unread_first_and_mark_read(client_for, comp):
    case = file("street_order", comp)
    c = client_for("street1")
    html = c.get("/cases/queue/").content.decode()
    assert f"新街面秩序：{case.number}" in html and "全部标为已读" in html
    note = Notification.objects.get(case=case)
    c.post("/cases/notifications/read/", {"id": note.pk})
    note.refresh_from_db()
    assert note.read_at is not None
    # street2 cannot mark street1's notifications
    other = Notification.objects.create(organisation=case.organisation, case=case, message="x")
    client_for("street2").post("/cases/notifications/read/", {"id": other.pk})
    other.refresh_from_db()
    assert other.read_at is None
    c.post("/cases/notifications/read/")
    assert not Notification.objects.filter(organisation=case.organisation,
                                           read_at__isnull=True).exists()


def test_supervisors_list_with_filters_and_export_link(client_for, comp):
    case = file("street_order", comp)
    c = client_for("district")
    html = c.get("/cases/?status=assigned&type=street_order").content.decode()
    assert case.number in html
    assert "/cases/export.xlsx?status=assigned&amp;type=street_order" in html
    html = c.get("/cases/?status=closed").content.decode()
    assert case.number not in html
    html = c.get("/cases/?overdue=1").content.decode()
    assert case.number not in html
    html = c.get(f"/cases/?q={case.number}").content.decode()
    assert case.number in html
    assert case.number not in client_for("street2").get("/cases/").content.decode()
    assert client_for("resident1").get("/cases/").status_code == 302


def test_a_long_list_counts_up_to_the_cap_and_says_there_are_more(client_for, comp, monkeypatch):
    """Counting a district's 100,000 cases was most of the list's time: the list counts up to a
    cap, shows "N+" and offers the pages up to it; a filtered list under the cap is exact."""
    c = client_for("district")
    r = c.get("/cases/")
    exact = r.context["total"]
    assert exact > 60 and r.context["total_text"] == f"{exact:,}"  # the demo's cases, no "+"
    monkeypatch.setattr(pagination, "COUNT_CAP", 60)
    r = c.get("/cases/")
    assert r.context["total"] == 60 and r.context["total_text"] == "60+"
    assert "<small>60+</small>" in r.content.decode()
    assert r.context["page"].paginator.num_pages == 2
    assert len(c.get("/cases/?page=2").context["page"].object_list) == 10
    case = file("street_order", comp)
    r = c.get(f"/cases/?q={case.number}")
    assert r.context["total_text"] == "1" and case in r.context["page"].object_list


def test_the_date_filter_takes_whole_local_days(client_for, comp):
    """提交日期 from/to are days in Beijing time, both included, whatever the server's zone."""
    tz = dt.timezone(dt.timedelta(hours=8))
    moments = {"before": dt.datetime(2030, 2, 28, 23, 59, tzinfo=tz),
               "first": dt.datetime(2030, 3, 1, 0, 0, tzinfo=tz),
               "last": dt.datetime(2030, 3, 1, 23, 59, 59, tzinfo=tz),
               "after": dt.datetime(2030, 3, 2, 0, 0, tzinfo=tz)}
    numbers = {}
    for name, at in moments.items():
        case = file("street_order", comp, at=at)
        Case.objects.filter(pk=case.pk).update(created_at=at)
        numbers[name] = case.number
    html = client_for("district").get("/cases/?start=2030-03-01&end=2030-03-01").content.decode()
    assert [n for n in moments if numbers[n] in html] == ["first", "last"]


def test_the_list_reads_its_page_in_one_query_without_the_outlines(client_for):
    """The page of 50 is one query for its keys (no join, no row column: a covering index
    answers it over millions of cases), then one for its rows with their region, compound, type
    and organisation, leaving out what the list does not show (outlines, texts): no query per
    row, no GeoJSON decoded."""
    c = client_for("district")
    c.get("/cases/")
    with CaptureQueriesContext(connection) as few:
        r = c.get("/cases/?page=2&type=street_order")
    with CaptureQueriesContext(connection) as full:
        r = c.get("/cases/")
    assert len(r.context["page"].object_list) == 50
    assert len(full.captured_queries) <= len(few.captured_queries)
    keys = [q["sql"] for q in few.captured_queries if q["sql"].startswith(
        'SELECT "cases_case"."id" AS "pk" FROM "cases_case" WHERE') and "ORDER BY" in q["sql"]]
    assert len(keys) == 1 and "JOIN" not in keys[0] and "OFFSET 50" in keys[0]
    page = [q["sql"] for q in full.captured_queries if "ORDER BY" in q["sql"]
            and '"cases_case"."number"' in q["sql"]]
    assert len(page) == 1 and '"boundary"' not in page[0] and "description" not in page[0]
    assert "<td" in r.content.decode()


def test_pages_read_keys_first_hold_the_same_cases_in_the_same_order(comp):
    """Reading a page's keys first changes no page: cases filed at the same moment stay in the
    list's order (newest first, then the higher number) across page boundaries."""
    same = dt.datetime(2030, 5, 1, 9, 0, tzinfo=dt.UTC)
    made = [file("street_order", comp) for _ in range(9)]
    Case.objects.filter(pk__in=[c.pk for c in made[2:7]]).update(created_at=same)
    qs = Case.objects.select_related("case_type").order_by("-created_at", "-pk")
    plain = Paginator(qs, 4)
    keyed = CappedPaginator(qs, 4, ids_first=True)
    assert keyed.num_pages == plain.num_pages > 2
    for n in plain.page_range:
        assert [c.pk for c in keyed.page(n).object_list] == [c.pk for c in plain.page(n)]


# --------------------------------------------------------------------------------------------
# case detail: scope, actions, reveal, merge


def test_detail_is_404_outside_scope(client_for, comp):
    case = file("street_order", comp, reporter_phone=PHONE)
    assert client_for("street1").get(f"/cases/{case.pk}/").status_code == 200
    assert client_for("district").get(f"/cases/{case.pk}/").status_code == 200
    assert client_for("street2").get(f"/cases/{case.pk}/").status_code == 404
    assert client_for("property1").get(f"/cases/{case.pk}/").status_code == 404
    assert client_for("resident1").get(f"/cases/{case.pk}/").status_code == 404
    assert client_for("street2").post(f"/cases/{case.pk}/accept/").status_code == 404


def test_property_company_sees_its_own_cases_only(client_for, user):
    company = user("property1").memberships.get().organisation
    managed = Compound.objects.filter(property_company=company).first()
    case = file("property_repair", managed)
    assert case.organisation == company
    c = client_for("property1")
    html = c.get(f"/cases/{case.pk}/").content.decode()
    assert case.number in html and f'action="/cases/{case.pk}/accept/"' in html
    assert case.number in c.get("/cases/queue/").content.decode()
    other = Compound.objects.exclude(property_company=company).filter(
        property_company__isnull=False).first()
    foreign = file("property_repair", other)
    assert c.get(f"/cases/{foreign.pk}/").status_code == 404


def test_detail_shows_facts_timeline_and_masked_phone(client_for, comp):
    case = file("street_order", comp, reporter_name="赵先生", reporter_phone=PHONE)
    html = client_for("street1").get(f"/cases/{case.pk}/").content.decode()
    assert "赵先生" in html and "139****5678" in html and PHONE not in html
    assert comp.name in html and case.organisation.name in html
    assert 'id="case-map"' in html and "受理时限" in html and "办结时限" in html
    assert "派单" in html and "待受理" in html


def test_detail_header_shows_the_running_sla_clock(client_for, comp):
    case = file("street_order", comp)
    html = client_for("street1").get(f"/cases/{case.pk}/").content.decode()
    head = html.split('class="cols"')[0]
    assert "距受理时限" in head


def test_detail_masks_phone_numbers_typed_into_text_until_revealed(client_for, comp):
    other = "13700001111"
    case = file("street_order", comp, reporter_phone=PHONE,
                description=f"门口有摊点，联系我 {PHONE} 或 {other}")
    newer = file("street_order", comp, description=f"同一个摊点 {other}")
    c = client_for("street1")
    html = c.get(f"/cases/{case.pk}/").content.decode()
    assert newer.number in html  # offered as a near-duplicate, its text masked too
    assert PHONE not in html and other not in html and "137****1111" in html
    html = c.post(f"/cases/{case.pk}/reveal/").content.decode()
    assert PHONE in html and f"联系我 {PHONE} 或 {other}" in html


def test_an_id_number_typed_into_a_description_is_masked_on_staff_and_tracking_pages(
        client, client_for, comp):
    id_number = "13100219800101123X"
    case = file("street_order", comp, reporter_phone=PHONE,
                description=f"摊主占道，身份证号 {id_number}")
    masked = "131002********123X"
    c = client_for("street1")
    html = c.get(f"/cases/{case.pk}/").content.decode()
    assert id_number not in html and masked in html
    tracking = client.get(f"/cases/t/{case.token}/").content.decode()
    assert id_number not in tracking and masked in tracking
    # the audited reveal shows the description as typed to a role with VIEW_PERSONAL
    html = c.post(f"/cases/{case.pk}/reveal/").content.decode()
    assert f"身份证号 {id_number}" in html


def test_a_landline_typed_into_a_description_is_masked_on_staff_and_tracking_pages(
        client, client_for, comp):
    case = file("street_order", comp, reporter_phone=PHONE,
                description="噪音扰民，白天打座机 0316-5201234，晚上打 (0316)5207777 或 010-12345678")
    c = client_for("street1")
    for html in (c.get(f"/cases/{case.pk}/").content.decode(),
                 client.get(f"/cases/t/{case.token}/").content.decode()):
        assert "5201234" not in html and "5207777" not in html and "12345678" not in html
        assert "0316-***1234" in html and "(0316)***7777" in html and "010-****5678" in html


def test_a_rating_through_the_private_link_is_shown_as_the_residents(client, client_for, user,
                                                                    comp):
    street1 = user("street1")
    case = file("street_order", comp)
    workflow.do_accept(street1, case)
    workflow.do_resolve(street1, case, "摊点已清理")
    client.post(f"/cases/t/{case.token}/", {"rating": "1", "fixed": "no"})
    html = client_for("street1").get(f"/cases/{case.pk}/").content.decode()
    line = re.search(r"<strong>重新办理</strong>(.*?)</li>", html, re.S).group(1)
    assert "居民" in line and "系统" not in line


def test_reveal_the_phone_is_audited(client_for, comp):
    case = file("street_order", comp, reporter_phone=PHONE)
    before = AuditLog.objects.filter(action="unmask", object_type="cases.case").count()
    r = client_for("street1").post(f"/cases/{case.pk}/reveal/")
    assert r.status_code == 200 and PHONE in r.content.decode()
    assert AuditLog.objects.filter(action="unmask", object_type="cases.case",
                                   object_id=str(case.pk)).count() == before + 1
    assert client_for("viewer1").post(f"/cases/{case.pk}/reveal/").status_code == 403


def test_actions_through_the_detail_page(client_for, comp):
    case = file("street_order", comp)
    c = client_for("street1")
    url = f"/cases/{case.pk}/"
    html = c.get(url).content.decode()
    for a in ("accept", "note", "transfer", "return"):
        assert f'action="{url}{a}/"' in html
    assert f'action="{url}resolve/"' not in html  # not accepted yet
    r = c.post(url + "resolve/", {"outcome": "x"})
    assert r.status_code == 200 and "不能执行此操作" in r.content.decode()
    r = c.post(url + "accept/", {"note": "收到"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == S.ACCEPTED
    r = c.post(url + "note/", {"note": "已联系当事人", "public": "1"})
    assert r.status_code == 302
    assert case.events.filter(action="note", public=True, note="已联系当事人").exists()
    r = c.post(url + "resolve/", {"outcome": " "})
    assert r.status_code == 200 and "请填写办理结果" in r.content.decode()
    r = c.post(url + "transfer/", {"organisation": "", "reason": "x"})
    assert "请选择转办的承办单位" in r.content.decode()
    community = Organisation.objects.get(kind="community_committee", region_id=COMM1)
    r = c.post(url + "transfer/", {"organisation": community.pk, "reason": ""})
    assert r.status_code == 200 and "转办必须写明原因" in r.content.decode()
    case.refresh_from_db()
    assert case.organisation.kind == "street_office"
    foreign = Organisation.objects.get(kind="street_office", region_id="131002002000")
    r = c.post(url + "transfer/", {"organisation": foreign.pk, "reason": "别的街道"})
    assert "请选择转办的承办单位" in r.content.decode()  # not among this case's targets
    r = c.post(url + "transfer/", {"organisation": community.pk, "reason": "小区内部事务"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.organisation == community and case.status == S.ASSIGNED
    cc = client_for("community1")
    r = cc.post(url + "return/", {"reason": ""})
    assert "退回必须写明原因" in r.content.decode()
    assert cc.post(url + "accept/").status_code == 302
    assert cc.post(url + "resolve/", {"outcome": "已劝离"}).status_code == 302
    case.refresh_from_db()
    assert case.status == S.RESOLVED and case.outcome == "已劝离"
    actions = list(case.events.values_list("action", flat=True))
    assert actions == ["created", "routed", "accepted", "note", "transferred", "accepted",
                       "resolved"]


def test_a_reader_without_the_right_gets_403(client_for, comp):
    case = file("street_order", comp)
    c = client_for("viewer1")
    assert c.get(f"/cases/{case.pk}/").status_code == 200
    assert 'id="actions"' not in c.get(f"/cases/{case.pk}/").content.decode()
    assert c.post(f"/cases/{case.pk}/accept/").status_code == 403
    assert c.post(f"/cases/{case.pk}/note/", {"note": "x"}).status_code == 403
    case.refresh_from_db()
    assert case.status == S.ASSIGNED
    assert client_for("street1").get(f"/cases/{case.pk}/accept/").status_code == 405


def test_near_duplicates_offered_and_merged_on_the_page(client_for, comp):
    older = file("street_order", comp, at=timezone.now() - dt.timedelta(hours=2))
    newer = file("street_order", comp)
    c = client_for("street1")
    html = c.get(f"/cases/{newer.pk}/").content.decode()
    assert "疑似重复" in html and older.number in html
    assert f"将本件合并到 {older.number}" in html
    html = c.get(f"/cases/{older.pk}/").content.decode()
    assert "合并到本件" in html
    # community staff see duplicates but may not merge
    html = client_for("community1").get(f"/cases/{newer.pk}/").content.decode()
    assert "合并到" not in html
    assert client_for("community1").post(f"/cases/{newer.pk}/merge/",
                                         {"into": older.pk}).status_code == 403
    r = c.post(f"/cases/{newer.pk}/merge/", {"into": older.pk})
    assert r.status_code == 302 and r["Location"] == f"/cases/{older.pk}/"
    newer.refresh_from_db()
    assert newer.status == S.MERGED and newer.duplicate_of == older


def test_case_pages_render_with_english_chosen(client_for, comp):
    case = file("street_order", comp)
    c = client_for("street1")
    c.cookies["django_language"] = "en"
    for url in ("/cases/new/", "/cases/queue/", "/cases/", "/cases/patrol/", f"/cases/{case.pk}/",
                f"/cases/t/{case.token}/"):
        r = c.get(url)
        assert r.status_code == 200 and 'lang="en"' in r.content.decode(), url


def test_a_dispute_opens_for_its_mediation_committee(client_for, comp):
    case = file("neighbour_dispute", comp, description="楼上漏水到楼下")
    c = client_for("mediator1")
    html = c.get(f"/cases/{case.pk}/").content.decode()
    assert case.organisation.name in html and f"/cases/{case.pk}/mediation/" in html
    assert case.number in c.get("/cases/queue/").content.decode()
    assert c.post(f"/cases/{case.pk}/accept/").status_code == 302
    case.refresh_from_db()
    assert case.status == S.ACCEPTED


@pytest.mark.parametrize(("username", "prefix"), [
    ("district", "131002"), ("district", "131002001"), ("street1", "131002001"),
    ("street1", "131002002"), ("street1", "131002"), ("dept1", "131002"), ("property1", "131002"),
    ("mediator1", "131002001"), ("viewer1", "131002001")])
def test_cases_in_is_cases_for_narrowed_to_the_prefix(user, username, prefix):
    """The list's fast path (a region grant covering the prefix reads the region alone) shows
    exactly the cases of the general scope narrowed to the prefix — no more, no fewer."""
    u = user(username)
    want = set(cases_for(u).filter(region__code__startswith=prefix).values_list("pk", flat=True))
    assert set(cases_in(u, prefix).values_list("pk", flat=True)) == want
