"""The data-entry pages: the list of returns, the form (save, submit, approve, return, un-approve),
the Excel template and upload, and who may see or do what."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from minsheng.accounts.models import Membership
from minsheng.accounts.roles import Role
from minsheng.indicators import entry
from minsheng.indicators.models import Completion, DataSet, DataValue, Indicator
from minsheng.indicators.periods import Period
from minsheng.indicators.services import evaluate
from minsheng.places.models import Region

pytestmark = pytest.mark.django_db

ANCI = "131002000000"
PINGCHENG = "140213000000"
Y = Period(2023)
GOOD = {"air_days_assessed": "365", "air_good_days": "300", "pm25_mean": "28",
        "water_section_class": "3"}
URL = f"/indicators/entry/environment/{ANCI}/2023/"


@pytest.fixture
def env():
    ds = DataSet.objects.get(code="environment")
    Completion.objects.filter(dataset=ds, period=Y.id).delete()
    DataValue.objects.filter(element__dataset=ds, period=Y.id).delete()
    return ds


@pytest.fixture
def anci():
    return Region.objects.get(code=ANCI)


def _state(ds, region):
    c = Completion.objects.filter(dataset=ds, region=region, period=Y.id).first()
    return c.state if c else None


def _html(r) -> str:
    return r.content.decode()


def test_urls_are_in_the_indicators_namespace():
    assert reverse("indicators:entry") == "/indicators/entry/"
    assert reverse("indicators:entry_form", args=["environment", ANCI, "2023"]) == URL
    assert reverse("indicators:entry_xlsx", args=["environment", ANCI, "2023"]) == \
        URL + "excel.xlsx"
    assert reverse("indicators:entry_upload", args=["environment", ANCI, "2023"]) == \
        URL + "upload/"


def test_list_shows_each_return_with_its_state(env, anci, client_for, user):
    entry.save(user("dept1"), env, anci, Y, GOOD)
    entry.submit(user("dept1"), env, anci, Y)
    html = _html(client_for("dept1").get("/indicators/entry/?year=2023"))
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    env_row = next(r for r in rows if "生态环境质量" in r)
    assert "安次区" in env_row and "2023年" in env_row and "待审核" in env_row
    assert URL in env_row and "查看" in env_row
    ins_row = next(r for r in rows if "社会保险参保" in r)
    assert "未填报" in ins_row and "填报" in ins_row
    assert "平城区" not in html  # outside dept1's scope
    # the approver is pointed at what waits for them
    html = _html(client_for("district").get("/indicators/entry/?year=2023"))
    assert "有 1 张填报表等待您审核" in html
    env_row = next(r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if "生态环境质量" in r)
    assert ">审核<" in env_row
    # the period picker offers the recent years and the one asked for, whatever today is
    assert f'href="?year={timezone.localdate().year - 1}"' in html
    assert '<span aria-current="page">2023</span>' in html


def test_list_and_form_are_denied_without_a_right(env, client_for):
    for name in ("resident1", "viewer1", "street1", "community1"):
        c = client_for(name)
        assert c.get("/indicators/entry/").status_code == 403, name
        assert c.get(URL).status_code == 403, name
        assert c.post(URL, {"action": "save", **GOOD}).status_code == 403, name
    assert Client().get("/indicators/entry/").status_code == 302  # to the log-in page
    assert not Completion.objects.filter(dataset=env, period=Y.id).exists()


def test_regions_outside_scope_and_bad_returns_are_404(env, client_for, user):
    c = client_for("dept1")
    street = Region.objects.filter(parent_id=ANCI).order_by("code").first()
    for url in (f"/indicators/entry/environment/{PINGCHENG}/2023/",  # another district
                f"/indicators/entry/environment/{PINGCHENG}/2023/excel.xlsx",
                f"/indicators/entry/environment/{street.code}/2023/",  # wrong level
                "/indicators/entry/environment/999999000000/2023/",
                f"/indicators/entry/nosuchset/{ANCI}/2023/",
                f"/indicators/entry/environment/{ANCI}/2099/",  # not begun
                f"/indicators/entry/environment/{ANCI}/2023Q1/",  # not its period kind
                f"/indicators/entry/environment/{ANCI}/yesterday/"):
        assert c.get(url).status_code == 404, url
    assert c.post(f"/indicators/entry/environment/{PINGCHENG}/2023/",
                  {"action": "save", **GOOD}).status_code == 404
    # and the other way round: a 平城区 department does not see 安次区
    other = get_user_model().objects.create(username="pc_dept2")
    Membership.objects.create(user=other, role=Role.DEPARTMENT_STAFF, region_id=PINGCHENG)
    oc = Client()
    oc.force_login(other)
    assert oc.get(URL).status_code == 404
    assert oc.get(f"/indicators/entry/environment/{PINGCHENG}/2023/").status_code == 200
    html = _html(oc.get("/indicators/entry/?year=2023"))
    assert "平城区" in html and URL not in html


def test_form_shows_the_elements_with_units_help_and_bounds(env, anci, client_for, user):
    entry.save(user("dept1"), env, anci, Y, {"pm25_mean": "28.5"})
    html = _html(client_for("dept1").get(URL))
    assert "空气质量优良天数（天）" in html and "PM2.5 平均浓度（微克/立方米）" in html
    assert "AQI ≤ 100 的天数。" in html  # the definition as help
    assert "取值 0–366，整数" in html and "取值 1–6，整数" in html
    assert re.search(r'name="pm25_mean" value="28.5"', html)
    assert 'value="save"' in html and 'value="submit"' in html
    assert 'value="approve"' not in html  # dept1 is no approver
    assert "csrfmiddlewaretoken" in html


def test_errors_are_shown_per_field_and_input_kept_nothing_written(env, anci, client_for):
    c = client_for("dept1")
    r = c.post(URL, {"action": "save", "air_days_assessed": "三百", "air_good_days": "12.5",
                     "pm25_mean": "28", "water_section_class": "7"})
    assert r.status_code == 200
    html = _html(r)
    assert "没有保存：有 3 处问题" in html
    assert "“三百”不是数字" in html
    assert "空气质量优良天数应为整数，填写的是 12.5" in html
    assert "国控断面水质类别不能大于 6" in html
    assert 'value="三百"' in html and 'value="12.5"' in html and 'value="7"' in html
    assert html.count('class="field has-error"') == 3
    assert 'href="#id_air_days_assessed"' in html
    assert not Completion.objects.filter(dataset=env, period=Y.id).exists()
    assert not DataValue.objects.filter(element__dataset=env, period=Y.id).exists()

    r = c.post(URL, {"action": "save", **GOOD, "air_days_assessed": "300",
                     "air_good_days": "301"})
    html = _html(r)
    assert "优良天数不能多于有效监测天数" in html
    # shown at the top once and beside both fields it compares
    assert html.count("优良天数不能多于有效监测天数") == 3
    assert html.count('class="field has-error"') == 2
    r = c.post(URL, {"action": "save", **GOOD, "air_days_assessed": "366"})
    assert "有效监测天数不能多于本期天数" in _html(r)
    assert not DataValue.objects.filter(element__dataset=env, period=Y.id).exists()


def test_submit_saves_and_refuses_while_values_are_missing(env, anci, client_for):
    c = client_for("dept1")
    r = c.post(URL, {"action": "submit", "air_days_assessed": "365", "air_good_days": "300"})
    html = _html(r)
    assert "已保存，但没有上报" in html and "以下数据项尚未填写，不能上报" in html
    assert html.count("上报前请填写此项") == 2
    assert _state(env, anci) == "draft"
    assert entry.values_of(env, anci, Y) == {"air_days_assessed": 365, "air_good_days": 300}
    r = c.post(URL, {"action": "submit", **GOOD})
    assert r.status_code == 302 and _state(env, anci) == "submitted"
    html = _html(c.get(URL))
    assert "已上报，等待审核" in html and 'value="save"' not in html  # read-only now
    # a submitted return cannot be saved through the page either
    r = c.post(URL, {"action": "save", **GOOD, "air_good_days": "1"})
    assert "不能修改" in _html(r)
    assert entry.values_of(env, anci, Y)["air_good_days"] == 300


def test_approval_flow_through_the_page(env, anci, client_for):
    dept, boss = client_for("dept1"), client_for("district")
    dept.post(URL, {"action": "submit", **GOOD})
    # dept1 may not approve or return: 403, nothing changes
    assert dept.post(URL, {"action": "approve"}).status_code == 403
    assert dept.post(URL, {"action": "send_back", "reason": "x"}).status_code == 403
    assert _state(env, anci) == "submitted"
    html = _html(boss.get(URL))
    assert 'value="approve"' in html and 'name="reason"' in html
    assert boss.post(URL, {"action": "approve"}).status_code == 302
    assert _state(env, anci) == "approved"
    html = _html(boss.get(URL))
    assert "已审核，数据已锁定" in html and "由 district 于" in html
    assert "办理记录" in html and "审核通过" in html
    assert 'value="approve"' not in html and "取消审核的理由（必填）" in html

    # locked for the department: the page is read-only and a forged save is refused
    html = _html(dept.get(URL))
    assert 'value="save"' not in html and 'name="file"' not in html
    r = dept.post(URL, {"action": "save", **GOOD, "air_good_days": "200"})
    assert "已审核（锁定），不能修改" in _html(r)
    assert entry.values_of(env, anci, Y)["air_good_days"] == 300

    # un-approving needs a reason
    r = boss.post(URL, {"action": "send_back", "reason": "  "}, follow=True)
    assert "退回或取消审核必须说明理由" in _html(r)
    assert _state(env, anci) == "approved"
    r = boss.post(URL, {"action": "send_back", "reason": "优良天数与月报不符"}, follow=True)
    html = _html(r)
    assert "已取消审核" in html and "优良天数与月报不符" in html
    assert _state(env, anci) == "draft"
    ind = Indicator.objects.filter(code="air_good_rate")
    assert evaluate([ANCI], Y, indicators=ind, with_previous=False)[ANCI][
        "air_good_rate"].value is None
    # the department sees why and can edit again
    html = _html(dept.get(URL))
    assert "已取消审核，请修改后重新上报" in html and 'value="save"' in html
    dept.post(URL, {"action": "submit", **GOOD, "air_good_days": "292"})
    boss.post(URL, {"action": "approve"})
    assert evaluate([ANCI], Y, indicators=ind, with_previous=False)[ANCI][
        "air_good_rate"].value == Decimal("80.0")


def test_approver_cannot_approve_own_submission_on_the_page(env, anci, client_for):
    boss = client_for("district")
    boss.post(URL, {"action": "submit", **GOOD})
    html = _html(boss.get(URL))
    assert 'value="approve"' not in html and "须由另一位审核人审核" in html
    r = boss.post(URL, {"action": "approve"}, follow=True)
    assert "不能审核自己上报的数据" in _html(r)
    assert _state(env, anci) == "submitted"


def test_actions_need_post_and_csrf(env, anci, user):
    c = Client(enforce_csrf_checks=True)
    c.force_login(user("dept1"))
    assert c.post(URL, {"action": "save", **GOOD}).status_code == 403
    assert c.get(URL + "upload/").status_code == 405
    assert c.get(URL, {"action": "save", **GOOD}).status_code == 200
    assert not Completion.objects.filter(dataset=env, period=Y.id).exists()


def test_unknown_action_is_a_bad_request(env, client_for):
    assert client_for("dept1").post(URL, {"action": "delete"}).status_code == 400


# --- Excel ---------------------------------------------------------------------------------------


def _download(c) -> Workbook:
    r = c.get(URL + "excel.xlsx")
    assert r.status_code == 200
    assert "attachment" in r["Content-Disposition"]
    return load_workbook(io.BytesIO(r.content))


def _upload(c, wb: Workbook, name="return.xlsx"):
    buf = io.BytesIO()
    wb.save(buf)
    return c.post(URL + "upload/", {"file": SimpleUploadedFile(name, buf.getvalue())},
                  follow=True)


def _rows(ws) -> dict[str, int]:
    return {ws.cell(r, 1).value: r for r in range(5, ws.max_row + 1)}


def test_excel_round_trip(env, anci, client_for, user):
    entry.save(user("dept1"), env, anci, Y, {"pm25_mean": "28.5"})
    c = client_for("dept1")
    wb = _download(c)
    ws = wb.active
    assert ws["B2"].value == "environment" and ws["D2"].value == ANCI and ws["F2"].value == "2023"
    rows = _rows(ws)
    assert ws.cell(rows["pm25_mean"], 4).value == 28.5
    assert ws.cell(rows["air_good_days"], 2).value == "空气质量优良天数"
    ws.cell(rows["air_days_assessed"], 4).value = 365
    ws.cell(rows["air_good_days"], 4).value = 300.0  # Excel stores numbers as floats
    ws.cell(rows["water_section_class"], 4).value = "3"
    html = _html(_upload(c, wb))
    assert "已从 Excel 保存 4 项数据" in html
    assert entry.values_of(env, anci, Y) == {"air_days_assessed": 365, "air_good_days": 300,
                                             "pm25_mean": Decimal("28.5"),
                                             "water_section_class": 3}


def test_excel_upload_lists_each_row_problem_and_writes_nothing(env, anci, client_for, user):
    entry.save(user("dept1"), env, anci, Y, {"pm25_mean": "28.5"})
    c = client_for("dept1")
    wb = _download(c)
    ws = wb.active
    rows = _rows(ws)
    ws.cell(rows["air_days_assessed"], 4).value = "三百六十五"
    ws.cell(rows["air_good_days"], 4).value = 12.5
    ws.cell(rows["pm25_mean"], 4).value = 30
    html = _html(_upload(c, wb))
    assert "文件未保存：发现 2 处问题" in html
    assert re.search(rf"第 {rows['air_days_assessed']} 行</td><td[^>]*>空气质量有效监测天数"
                     r"</td>.*?“三百六十五”不是数字", html, re.S)
    assert re.search(rf"第 {rows['air_good_days']} 行</td><td[^>]*>空气质量优良天数</td>"
                     r".*?应为整数", html, re.S)
    assert entry.values_of(env, anci, Y) == {"pm25_mean": Decimal("28.5")}

    # a rule across rows is reported without a row
    ws.cell(rows["air_days_assessed"], 4).value = 300
    ws.cell(rows["air_good_days"], 4).value = 301
    html = _html(_upload(c, wb))
    assert "优良天数不能多于有效监测天数" in html
    assert entry.values_of(env, anci, Y) == {"pm25_mean": Decimal("28.5")}

    # unknown, repeated and missing rows
    ws.cell(rows["air_days_assessed"], 4).value = 365
    ws.cell(rows["water_section_class"], 1).value = "air_good_days"
    ws.cell(ws.max_row + 1, 1).value = "no_such_element"
    ws.cell(ws.max_row, 4).value = 1
    html = _html(_upload(c, wb))
    assert "数据项重复" in html and "本表没有这个数据项" in html
    assert "文件中缺少这一行" in html and "国控断面水质类别" in html
    assert entry.values_of(env, anci, Y) == {"pm25_mean": Decimal("28.5")}


def test_excel_of_another_return_or_not_excel_is_refused(env, anci, client_for):
    c = client_for("dept1")
    wb = _download(c)
    wb.active["F2"].value = "2022"
    html = _html(_upload(c, wb))
    assert "这个文件属于另一张填报表" in html
    r = c.post(URL + "upload/", {"file": SimpleUploadedFile("a.xlsx", b"not a zip")},
               follow=True)
    assert "无法读取这个文件" in _html(r)
    r = c.post(URL + "upload/", {"file": SimpleUploadedFile("a.csv", b"a,b")}, follow=True)
    assert ".xlsx" in _html(r)
    empty = Workbook()
    assert "没有找到表头行" in _html(_upload(c, empty))
    assert not DataValue.objects.filter(element__dataset=env, period=Y.id).exists()


def test_excel_upload_into_an_approved_return_is_refused(env, anci, client_for, user):
    entry.save(user("dept1"), env, anci, Y, GOOD)
    entry.submit(user("dept1"), env, anci, Y)
    entry.approve(user("district"), env, anci, Y)
    c = client_for("dept1")
    wb = _download(c)  # the approved return can still be downloaded
    ws = wb.active
    ws.cell(_rows(ws)["air_good_days"], 4).value = 200
    assert "不能修改" in _html(_upload(c, wb))
    assert entry.values_of(env, anci, Y)["air_good_days"] == 300
    assert client_for("resident1").post(URL + "upload/").status_code == 403


def test_excel_upload_with_a_control_character_or_too_large_is_refused_by_cell(env, anci,
                                                                              client_for):
    c = client_for("dept1")
    wb = _download(c)
    ws = wb.active
    ws.cell(_rows(ws)["air_good_days"], 4).value = "\u202e300"  # openpyxl refuses \x07 itself
    html = _html(_upload(c, wb))
    assert "控制字符" in html and "U+202E" in html
    big = SimpleUploadedFile("return.xlsx", b"PK\x03\x04" + b"\0" * (2 * 1024 * 1024 + 10))
    assert "文件太大" in _html(c.post(URL + "upload/", {"file": big}, follow=True))
    assert not DataValue.objects.filter(element__dataset=env, period=Y.id).exists()
