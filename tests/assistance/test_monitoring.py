"""防返贫 monitoring: actions (workflow, measures, removal, re-entry), the department-list import
(all-or-nothing, hostile cells), pages and who is refused."""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from minsheng.accounts.models import AuditLog
from minsheng.assistance import actions
from minsheng.assistance import monitoring as mon
from minsheng.assistance import monitoring_access as access
from minsheng.assistance.models import Household, Person
from minsheng.assistance.monitoring_exchange import import_list
from minsheng.assistance.monitoring_models import Alert, MonitoringCase
from minsheng.lib.tabular import ImportRejected, csv_bytes
from minsheng.places.demo import id_number
from minsheng.places.models import Region
from tests.hostile import attack_whole_file

pytestmark = pytest.mark.django_db
S = MonitoringCase.State


def _comm1():
    street = Region.objects.filter(parent_id="131002000000").order_by("code").first()
    return Region.objects.filter(parent=street).order_by("code").first()


def _household(region=None, *, labour="full", number="T-0001") -> Household:
    region = region or _comm1()
    h = Household.objects.create(number=number, region=region, area="rural")
    rng = random.Random(number)  # noqa: S311
    Person.objects.create(household=h, region=region, name="测试户主", relationship="head",
                          id_number=id_number(rng, "131002"), birth_date=dt.date(1970, 1, 1),
                          labour_capacity=labour)
    return h


def _monitored(user, h, *, days_ago=200, income=Decimal(6000), category="marginal"):
    at = timezone.now() - dt.timedelta(days=days_ago)
    a = mon.do_report_alert(user, h, channel="cadre_visit", risk="illness",
                            event_date=timezone.localdate() - dt.timedelta(days=days_ago + 1),
                            at=at)
    case = mon.do_handle_alert(user, a, at=at).case
    for step in mon.relapse.STEPS:
        case = mon.do_step(user, case, step.code, at=at, per_capita_income=income,
                           category=category)
    return case


def test_workflow_in_order_with_who_and_when_and_audited(user):
    revival = user("revival1")
    h = _household()
    case = _monitored(revival, h)
    assert case.state == S.MONITORED and case.identified_on is not None
    assert case.monitoring_line is not None and case.poverty_line is not None
    steps = list(case.steps.values_list("step", flat=True))
    assert steps == ["alert", "home_check", "consent", "data_match", "village_review", "notice",
                     "town_review", "district_approval"]
    assert all(s.by_id == revival.pk for s in case.steps.all())
    assert AuditLog.objects.filter(object_type="assistance.monitoringcase",
                                   object_id=str(case.pk)).count() >= 7


def test_steps_out_of_order_and_at_the_wrong_level_are_refused(user):
    h = _household()
    a = mon.do_report_alert(user("community1"), h, channel="self_report", risk="illness",
                            event_date=timezone.localdate())
    case = mon.do_handle_alert(user("community1"), a).case
    with pytest.raises(ValidationError):
        mon.do_step(user("community1"), case, "district_approval")
    case = mon.do_step(user("community1"), case, "home_check")
    case = mon.do_step(user("community1"), case, "consent")
    with pytest.raises(PermissionDenied):  # data matching is the district's
        mon.do_step(user("community1"), case, "data_match", per_capita_income=Decimal(1))
    with pytest.raises(PermissionDenied):  # a village worker cannot dismiss
        mon.do_dismiss(user("grid1"), case, reason="x")
    case = mon.do_dismiss(user("street1"), case, reason="收入稳定")
    assert case.state == S.DISMISSED


def test_outsiders_cannot_act(user):
    h = _household()
    for name in ("dept-housing", "viewer1", "resident1", "street2", "dept1"):
        with pytest.raises(PermissionDenied):
            mon.do_report_alert(user(name), h, channel="self_report", risk="illness",
                                event_date=timezone.localdate())
    case = _monitored(user("revival1"), h)
    for name in ("dept-housing", "viewer1", "resident1", "community1", "street1"):
        with pytest.raises(PermissionDenied):
            mon.do_review_removal(user(name), case, reviewed_on=timezone.localdate(),
                                  per_capita_income=Decimal(9999), income_stable=True,
                                  spending_resolved=True, guarantees_secure=True, risk_gone=True)


def test_removal_passes_then_re_entry_opens_a_new_case(user):
    revival = user("revival1")
    h = _household()
    case = _monitored(revival, h, days_ago=220)
    mon.do_add_measure(revival, case, kind="public_job",
                       start_date=timezone.localdate() - dt.timedelta(days=200))
    review = mon.do_review_removal(revival, case, reviewed_on=timezone.localdate(),
                                   per_capita_income=Decimal(99999), income_stable=True,
                                   spending_resolved=True, guarantees_secure=True,
                                   risk_gone=True)
    assert review.passed, review.reasons
    case.refresh_from_db()
    assert case.state == S.REMOVED
    a = mon.do_report_alert(revival, h, channel="self_report", risk="disaster",
                            event_date=timezone.localdate())
    again = mon.do_handle_alert(revival, a)
    assert again.outcome == "opened" and again.case.pk != case.pk


def test_no_one_able_to_work_is_not_removed_and_the_reason_says_so(user):
    revival = user("revival1")
    case = _monitored(revival, _household(labour="none"), days_ago=220)
    mon.do_add_measure(revival, case, kind="safety_net",
                       start_date=timezone.localdate() - dt.timedelta(days=200))
    review = mon.do_review_removal(revival, case, reviewed_on=timezone.localdate(),
                                   per_capita_income=Decimal(99999), income_stable=True,
                                   spending_resolved=True, guarantees_secure=True,
                                   risk_gone=True)
    assert not review.passed and "无劳动能力" in review.reasons
    case.refresh_from_db()
    assert case.state == S.MONITORED


def test_an_alert_on_a_monitored_household_joins_its_case(user):
    revival = user("revival1")
    h = _household()
    case = _monitored(revival, h)
    a = mon.do_report_alert(revival, h, channel="self_report", risk="water",
                            event_date=timezone.localdate())
    a = mon.do_handle_alert(revival, a)
    assert a.outcome == "joined" and a.case_id == case.pk
    assert set(case.risks.values_list("risk", flat=True)) == {"illness", "water"}


# --- import ----------------------------------------------------------------------------------

HEAD = ["身份证号", "姓名", "金额（元）", "发生日期", "说明"]


def xlsx(rows, head=HEAD) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(head)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_matches_by_id_number_against_the_line(user):
    h = _household()
    p = h.members.first()
    day = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    content = xlsx([[p.id_number, p.name, 10000, day, "住院"],
                    [p.id_number, "", 9999.99, day, "门诊"],
                    ["131002199001019990", "", 50000, day, ""]])
    r = import_list(user("revival1"), "medical", content, "yb.xlsx")
    assert (r.created, r.below, r.unregistered) == (1, 1, 1)
    a = Alert.objects.get(person=p)
    assert a.channel == "dept_warning" and a.threshold_amount == Decimal(10000)
    assert a.state == "open" and a.due_at > a.received_at
    again = import_list(user("revival1"), "medical", content, "yb.xlsx")
    assert again.created == 0 and again.repeated == 1


def test_a_formula_cell_is_refused_by_cell(user):
    content = xlsx([["=HYPERLINK(\"http://x\")", "", 20000, timezone.localdate().isoformat(), ""]])
    with pytest.raises(ImportRejected) as e:
        import_list(user("revival1"), "medical", content, "yb.xlsx")
    assert str(e.value.errors[0]).startswith("第2行 第1列")


def test_import_is_all_or_nothing_and_hostile_cells_are_refused_by_row_and_column(user):
    h = _household()
    p = h.members.first()
    today = timezone.localdate()
    future = (today + dt.timedelta(days=2)).isoformat()
    rows = [[p.id_number, p.name, 20000, today.isoformat(), ""],  # good, but not written
            ["=1+2", "", 20000, today.isoformat(), ""],
            [p.id_number, "别人", 20000, "2020-01-01", ""],
            ["13100219900101123X", "", -5, future, ""],
            ["13100219900101124X", "a\u202eb", "1e400", "bad", ""]]
    before = Alert.objects.count()
    with pytest.raises(ImportRejected) as e:
        import_list(user("revival1"), "medical", csv_bytes(HEAD, rows), "yb.csv")
    text = [str(x) for x in e.value.errors]
    assert Alert.objects.count() == before
    assert any(t.startswith("第3行 第1列（身份证号）") for t in text), text
    assert any(t.startswith("第4行 第2列（姓名）") for t in text), text
    assert any(t.startswith("第5行 第3列（金额（元））") for t in text), text
    assert any(t.startswith("第5行 第4列（发生日期）") for t in text), text
    assert any("第6行" in t for t in text), text


def test_only_the_district_office_imports(user):
    for name in ("community1", "street1", "dept-housing", "viewer1", "resident1", "dept1"):
        with pytest.raises(PermissionDenied):
            import_list(user(name), "medical", xlsx([]), "x.xlsx")


# --- pages -----------------------------------------------------------------------------------

def test_dashboard_counts_and_nav(client_for):
    r = client_for("revival1").get("/assistance/monitoring/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "防返贫监测" in body and "JC-" in body and "超时未处置预警" in body


def test_viewer_and_resident_get_suppressed_aggregates_only(client_for):
    for name in ("viewer1", "dept-housing"):
        r = client_for(name).get("/assistance/monitoring/")
        assert r.status_code == 200
        body = r.content.decode()
        assert "JC-" not in body and "&lt;5" in body
        assert 'href="/assistance/monitoring/"' not in body  # no nav item
    assert client_for("viewer1").get("/assistance/monitoring/alerts/").status_code == 403


def test_community_sees_its_own_households_masked_and_unmasks_audited(client_for, user):
    mine = MonitoringCase.objects.filter(region=_comm1()).exclude(per_capita_income=None).first()
    other = MonitoringCase.objects.exclude(region=_comm1()).first()
    c = client_for("community1")
    assert c.get(f"/assistance/monitoring/households/{other.pk}/").status_code == 404
    r = c.get(f"/assistance/monitoring/households/{mine.pk}/")
    body = r.content.decode()
    ids = list(mine.household.members.values_list("id_number", flat=True))
    assert r.status_code == 200 and not any(i in body for i in ids) and "***" in body
    r = c.post(f"/assistance/monitoring/households/{mine.pk}/reveal/")
    assert r.status_code == 200 and all(i in r.content.decode() for i in ids)
    assert AuditLog.objects.filter(action="unmask", object_id=str(mine.pk),
                                   user=user("community1")).exists()
    # grid1 reads too; another street, another district, housing and viewers do not
    assert client_for("grid1").get(f"/assistance/monitoring/households/{mine.pk}/").status_code == 200
    for name in ("street2", "dept-housing", "viewer1", "resident1"):
        assert client_for(name).get(
            f"/assistance/monitoring/households/{mine.pk}/").status_code == 404
        assert client_for(name).post(
            f"/assistance/monitoring/households/{mine.pk}/reveal/").status_code == 404


def test_another_district_is_refused(user):
    other = Region.objects.filter(code__startswith="140213", level="community").first()
    h = _household(other, number="PC-0001")
    for name in ("revival1", "district", "community1"):
        with pytest.raises(PermissionDenied):
            mon.do_report_alert(user(name), h, channel="self_report", risk="illness",
                                event_date=timezone.localdate())
    assert not access.alerts_for(user("revival1")).filter(region=other).exists()


def test_import_page(client_for):
    assert client_for("revival1").get("/assistance/monitoring/import/").status_code == 200
    assert client_for("community1").get("/assistance/monitoring/import/").status_code == 403
    png = io.BytesIO(b"\x89PNG\r\n\x1a\n0000")
    png.name = "yb.xlsx"
    before = Alert.objects.count()
    r = client_for("revival1").post("/assistance/monitoring/import/", {"kind": "medical",
                                                                        "file": png})
    assert r.status_code == 200 and "PNG" in r.content.decode()
    assert Alert.objects.count() == before
    assert client_for("revival1").get(
        "/assistance/monitoring/import/template.xlsx?kind=medical").status_code == 200
    assert client_for("community1").get(
        "/assistance/monitoring/import/template.xlsx?kind=medical").status_code == 403


def test_a_cadre_reports_an_alert_on_a_phone_and_outsiders_cannot(client_for):
    h = _household()
    data = {"household": h.number, "channel": "cadre_visit", "risk": "illness",
            "event_date": timezone.localdate().isoformat(), "description": "住院"}
    r = client_for("grid1").post("/assistance/monitoring/alerts/new/", data)
    assert r.status_code == 302 and Alert.objects.filter(household=h).count() == 1
    r = client_for("street2").post("/assistance/monitoring/alerts/new/", data)
    assert r.status_code == 200 and "找不到该户编号" in r.content.decode()
    for name in ("viewer1", "dept-housing", "resident1"):
        assert client_for(name).post("/assistance/monitoring/alerts/new/",
                                     data).status_code == 403
    bad = dict(data, description="x\u202ey", amount="1e999")
    r = client_for("grid1").post("/assistance/monitoring/alerts/new/", bad)
    assert r.status_code == 200 and Alert.objects.filter(household=h).count() == 1


def test_back_office_is_scoped_and_read_only(client_for):
    mine = MonitoringCase.objects.filter(region=_comm1()).first()
    r = client_for("district").get("/admin/assistance/monitoringcase/")
    assert r.status_code == 200 and mine.household.number in r.content.decode()
    r = client_for("street2").get("/admin/assistance/monitoringcase/")
    assert r.status_code == 200 and mine.household.number not in r.content.decode()
    assert client_for("street2").get(
        f"/admin/assistance/monitoringcase/{mine.pk}/change/").status_code in (302, 404)
    r = client_for("district").post(f"/admin/assistance/monitoringcase/{mine.pk}/delete/",
                                    {"post": "yes"})
    assert r.status_code == 403 and MonitoringCase.objects.filter(pk=mine.pk).exists()
    assert client_for("community1").get("/admin/assistance/alert/").status_code == 302
    assert client_for("district").get(
        "/admin/assistance/monitoringthreshold/add/").status_code == 200
    assert client_for("street1").get(
        "/admin/assistance/monitoringthreshold/add/").status_code == 403


def test_thresholds_are_shown_with_source_and_verified_flag(client_for):
    r = client_for("viewer1").get("/assistance/monitoring/thresholds/")
    body = r.content.decode()
    assert r.status_code == 200 and "未核实" in body and "演示数据" in body
    assert client_for("property1").get("/assistance/monitoring/thresholds/").status_code == 403


def test_data_matching_reuses_the_household_s_economic_assessment(user):
    """信息比对 without a typed income takes the household's latest economic assessment of the
    past year (per-capita monthly × 12); with none, it asks for the figure."""
    revival = user("revival1")
    h = _household(number="T-ASSESS")
    at = timezone.now() - dt.timedelta(days=10)
    a = mon.do_report_alert(revival, h, channel="cadre_visit", risk="illness",
                            event_date=timezone.localdate() - dt.timedelta(days=11), at=at)
    case = mon.do_handle_alert(revival, a, at=at).case
    for code in ("home_check", "consent"):
        case = mon.do_step(revival, case, code, at=at)
    with pytest.raises(ValidationError, match="经济状况核对"):
        mon.do_step(revival, case, "data_match", at=at)
    head = h.members.get()
    actions.do_record_assessment(user("community1"), h,
                                 assessed_on=timezone.localdate() - dt.timedelta(days=30),
                                 incomes=[(head, "wages", Decimal("6000"))])
    assessment = mon.assessment_for(h, timezone.localdate())
    case = mon.do_step(revival, case, "data_match", at=at + dt.timedelta(days=5))
    assert case.per_capita_income == assessment.per_capita_monthly * 12
    assert "沿用" in case.steps.get(step="data_match").note
    # an assessment older than a year is not reused
    assert mon.assessment_for(h, timezone.localdate() + dt.timedelta(days=400)) is None


def test_a_whole_list_with_one_hostile_cell_is_taken_whole_or_refused_whole(user):
    p = _household(number="W-0001").members.first()
    q = _household(number="W-0002").members.first()
    day = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    findings = attack_whole_file(
        HEAD, [p.id_number, p.name, 20000, day, "住院"], [q.id_number, q.name, 30000, day, "门诊"],
        lambda content, name: import_list(user("revival1"), "medical", content, name),
        Alert.objects.count)
    assert not findings, "\n".join(findings)
