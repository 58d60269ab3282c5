"""零发案 from the police's monthly returns: the run of months without incident on hand-worked
months (an incident, a gap, a compound missing from the latest return), the all-or-nothing
import with hostile cells, approval by a different user only, corrections that never overwrite
an approved month, and who sees and does what (other region, wrong role)."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from minsheng.cases import incidents
from minsheng.cases.incidents import import_returns, month_before, this_month, zero_run
from minsheng.cases.models import IncidentCount, IncidentReturn
from minsheng.lib.tabular import ImportRejected
from minsheng.places.models import Compound, Region
from tests.hostile import attack_whole_file, csv_with

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
ANCI = "131002000000"
PINGCHENG = "140213000000"
HEADER = ["月份", "小区编号", "所属社区", "小区名称", "刑事案件数", "治安案件数"]
D = dt.date


def months(*pairs: tuple[int, int]) -> set[dt.date]:
    return {D(y, m, 1) for y, m in pairs}


# --- the rule ---------------------------------------------------------------------------------


def test_six_clean_months_are_a_run_of_six() -> None:
    approved = months(*((2026, m) for m in range(1, 7)))
    assert zero_run(approved, dict.fromkeys(approved, 0)) == 6


def test_an_incident_ends_the_run_at_the_month_after_it() -> None:
    approved = months(*((2026, m) for m in range(1, 7)))
    totals = dict.fromkeys(approved, 0) | {D(2026, 3, 1): 2}
    assert zero_run(approved, totals) == 3  # April, May, June


def test_a_month_without_an_approved_return_breaks_the_run() -> None:
    approved = months((2026, 1), (2026, 2), (2026, 3), (2026, 5), (2026, 6))  # April missing
    assert zero_run(approved, dict.fromkeys(approved, 0)) == 2  # May, June


def test_a_compound_missing_from_the_latest_return_has_no_run() -> None:
    approved = months(*((2026, m) for m in range(1, 7)))
    totals = {m: 0 for m in approved if m != D(2026, 6, 1)}  # June's return does not list it
    assert zero_run(approved, totals) == 0


def test_the_run_crosses_the_new_year_and_ends_at_the_latest_approved_month() -> None:
    approved = months((2025, 11), (2025, 12), (2026, 1), (2026, 2))  # March not yet approved
    assert zero_run(approved, dict.fromkeys(approved, 0)) == 4
    assert zero_run(set(), {}) == 0
    assert month_before(D(2026, 1, 1)) == D(2025, 12, 1)


# --- import and approval ----------------------------------------------------------------------


@pytest.fixture
def anci():
    IncidentReturn.objects.filter(district_id=ANCI).delete()  # the demo's, rolled back after
    return Region.objects.get(code=ANCI)


@pytest.fixture
def two(anci):
    return list(Compound.objects.in_region(ANCI).select_related("region").order_by("pk")[:2])


def at(y: int, m: int, d: int):
    return time_machine.travel(dt.datetime(y, m, d, 10, tzinfo=SHANGHAI), tick=False)


def run_of(user, c: Compound) -> int:
    return incidents.zero_run_of(user, c).months


def test_drafts_count_only_once_another_user_approves(user, anci, two) -> None:
    a, b = two
    rows = [["2026-05", a.pk, "", a.name, 0, 0], ["2026年5月", b.pk, "", "", 0, 0],
            ["2026-06", a.pk, "", "", 0, 0], ["2026/6", "", b.region.name, b.name, 1, 0]]
    with at(2026, 7, 10):
        result = import_returns(user("dept1"), anci, csv_with(HEADER, rows), "警情.csv")
        assert (result.created, result.updated) == (2, 0)
        district = user("district")
        assert run_of(district, a) == 0  # drafts do not count
        may, june = IncidentReturn.objects.filter(district=anci).order_by("month")
        with pytest.raises(PermissionDenied):  # dept1 enters data, does not approve it
            incidents.do_approve(user("dept1"), may.pk)
        incidents.do_approve(district, may.pk)
        incidents.do_approve(district, june.pk)
        assert run_of(district, a) == 2
        assert run_of(district, b) == 0  # an incident in June
        with pytest.raises(ValidationError):
            incidents.do_approve(district, may.pk)  # approved already


def test_the_importer_cannot_approve_their_own_return(user, anci, two) -> None:
    with at(2026, 7, 10):
        import_returns(user("district"), anci, csv_with(HEADER, [["2026-06", two[0].pk, "", "", 0, 0]]),
                       "a.csv")
        r = IncidentReturn.objects.get(district=anci)
        assert not incidents.can_approve(user("district"), r)
        with pytest.raises(ValidationError, match="不能审核自己导入"):
            incidents.do_approve(user("district"), r.pk)
        assert IncidentReturn.objects.get(pk=r.pk).status == IncidentReturn.Status.DRAFT
        incidents.do_approve(user("admin"), r.pk)  # another user with the right
        assert IncidentReturn.objects.get(pk=r.pk).status == IncidentReturn.Status.APPROVED


def test_reimport_replaces_a_draft_and_corrects_an_approved_month_only_on_approval(
        user, anci, two) -> None:
    a = two[0]
    dept, district = user("dept1"), user("district")
    with at(2026, 7, 10):
        import_returns(dept, anci, csv_with(HEADER, [["2026-06", a.pk, "", "", 3, 0]]), "1.csv")
        result = import_returns(dept, anci, csv_with(HEADER, [["2026-06", a.pk, "", "", 0, 0]]),
                                "2.csv")
        assert (result.created, result.updated) == (0, 1)
        draft = IncidentReturn.objects.get(district=anci)
        assert draft.counts.get().criminal == 0 and draft.filename == "2.csv"
        incidents.do_approve(district, draft.pk)
        assert run_of(district, a) == 1
        # a correction: a new draft beside the approved month, which still counts until approved
        import_returns(dept, anci, csv_with(HEADER, [["2026-06", a.pk, "", "", 0, 1]]), "3.csv")
        assert IncidentReturn.objects.get(pk=draft.pk).status == IncidentReturn.Status.APPROVED
        assert run_of(district, a) == 1
        fix = IncidentReturn.objects.get(district=anci, status=IncidentReturn.Status.DRAFT)
        incidents.do_approve(district, fix.pk)
        assert IncidentReturn.objects.get(pk=draft.pk).status == IncidentReturn.Status.SUPERSEDED
        assert run_of(district, a) == 0


def test_a_bad_file_is_refused_whole_with_chinese_row_errors(user, anci, two) -> None:
    a, b = two
    rows = [["2026-06", a.pk, "", "", 0, 0],
            ["2026-08", b.pk, "", "", 0, 0],  # after this month
            ["2026-06", "", "", "不存在的小区", 0, 0],
            ["2026-06", b.pk, "", "", 1000, "两起"],
            ["2026-06", a.pk, "", "", 0, 0],  # the same compound and month again
            ["2026-06", "", "", "", 0, 0]]
    with at(2026, 7, 10), pytest.raises(ImportRejected) as e:
        import_returns(user("dept1"), anci, csv_with(HEADER, rows), "bad.csv")
    text = [str(x) for x in e.value.errors]
    assert any(t.startswith("第3行") and "本月之后" in t for t in text)
    assert any(t.startswith("第4行") and "没有登记这个小区" in t for t in text)
    assert any(t.startswith("第5行") and "0–999" in t for t in text)
    assert any(t.startswith("第5行") and "非负整数" in t for t in text)
    assert any(t.startswith("第6行") and "同一小区的同一月份" in t for t in text)
    assert any(t.startswith("第7行") and "至少填写一项" in t for t in text)
    assert not IncidentReturn.objects.filter(district=anci).exists()


def test_a_compound_of_another_district_is_not_matched(user, anci) -> None:
    other = Compound.objects.in_region(PINGCHENG).order_by("pk").first()
    with at(2026, 7, 10), pytest.raises(ImportRejected) as e:
        import_returns(user("dept1"), anci, csv_with(HEADER, [["2026-06", other.pk, "", "", 0, 0]]),
                       "x.csv")
    assert "没有这个小区编号" in str(e.value.errors[0])


def test_hostile_cells_never_half_write_the_file(user, anci, two) -> None:
    a, b = two
    month = f"{this_month():%Y-%m}"
    dept = user("dept1")
    findings = attack_whole_file(
        HEADER, [month, a.pk, "", a.name, 0, 0], [month, b.pk, b.region.name, b.name, 0, 1],
        lambda content, name: import_returns(dept, anci, content, name),
        IncidentCount.objects.count)
    assert findings == []


# --- who --------------------------------------------------------------------------------------


def test_only_the_districts_data_enterers_import_and_only_approvers_approve(user) -> None:
    assert incidents.can_import(user("dept1"))
    assert incidents.can_import(user("district"))
    for name in ("street1", "community1", "viewer1", "resident1", "grid1"):
        assert not incidents.can_import(user(name)), name
    pingcheng = Region.objects.get(code=PINGCHENG)
    assert not incidents.can_import(user("district"), pingcheng)
    r = IncidentReturn.objects.create(district=pingcheng, month=month_before(this_month()),
                                      imported_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI))
    with pytest.raises(PermissionDenied):  # another district's return
        incidents.do_approve(user("district"), r.pk)
    assert IncidentReturn.objects.get(pk=r.pk).status == IncidentReturn.Status.DRAFT


def test_the_page_lists_the_users_region_and_the_district_figure(client_for, user) -> None:
    r = client_for("district").get("/cases/incidents/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "连续12个月及以上零发案的小区数" in body
    runs = incidents.runs_for(user("district"))
    assert {x.compound.region_id[:6] for x in runs} == {"131002"}
    street = incidents.runs_for(user("street1"))
    assert street and len(street) < len(runs)
    assert all(x.compound.region_id.startswith("131002001") for x in street)
    assert client_for("street1").get("/cases/incidents/").status_code == 200
    for name in ("community1", "resident1", "property1", "grid1"):
        assert client_for(name).get("/cases/incidents/").status_code == 403, name


def test_wrong_roles_are_refused_the_upload_and_the_approval(client_for, user) -> None:
    draft = IncidentReturn.objects.create(
        district_id=ANCI, month=this_month(), imported_by=user("dept1"),
        imported_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI))
    for name in ("street1", "viewer1", "community1"):
        c = client_for(name)
        assert c.get("/cases/incidents/import/").status_code == 403, name
        assert c.get("/cases/incidents/template.xlsx").status_code == 403, name
        assert c.post("/cases/incidents/approve/",
                      {"incident_return": draft.pk}).status_code == 403, name
    assert IncidentReturn.objects.get(pk=draft.pk).status == IncidentReturn.Status.DRAFT
    assert client_for("dept1").get("/cases/incidents/template.xlsx").status_code == 200
    r = client_for("district").post("/cases/incidents/approve/", {"incident_return": draft.pk})
    assert r.status_code == 302
    assert IncidentReturn.objects.get(pk=draft.pk).status == IncidentReturn.Status.APPROVED


def test_upload_through_the_page(client_for, anci, two) -> None:
    a = two[0]
    c = client_for("dept1")
    assert "导入警情月报" in c.get("/cases/incidents/").content.decode()
    content = csv_with(HEADER, [[f"{this_month():%Y-%m}", a.pk, "", "", 0, 0]])
    r = c.post("/cases/incidents/import/", {
        "district": ANCI, "file": SimpleUploadedFile("m.csv", content, "text/csv")})
    assert r.status_code == 302
    assert IncidentReturn.objects.get(district=anci).status == IncidentReturn.Status.DRAFT
    home = client_for("district").get("/").content.decode()
    assert "份警情月报待审核" in home


def test_the_compound_page_shows_the_figure_to_who_reads_it(client_for, user) -> None:
    c = Compound.objects.in_region("131002001").filter(property_company__isnull=True).first()
    url = reverse("places:compound", args=[c.pk])
    body = client_for("district").get(url).content.decode()
    assert 'id="zero-incident-run"' in body
    assert "个月（截至" in body
    r = client_for("community1").get(url)
    assert r.status_code == 200
    body = r.content.decode()
    assert 'id="zero-incident-run"' not in body


# --- demo -------------------------------------------------------------------------------------


def test_the_demo_has_eighteen_approved_months_for_no_management_compounds(user) -> None:
    rs = IncidentReturn.objects.filter(district_id=ANCI)
    assert rs.count() == 18
    assert all(r.generated and r.status == IncidentReturn.Status.APPROVED for r in rs)
    assert max(r.month for r in rs) == month_before(this_month())
    free = Compound.objects.in_region(ANCI).filter(property_company__isnull=True)
    listed = set(IncidentCount.objects.filter(incident_return__district_id=ANCI)
                 .values_list("compound_id", flat=True))
    assert listed == set(free.values_list("pk", flat=True))
    runs = [x for x in incidents.runs_for(user("district")) if x.compound.pk in listed]
    assert sum(x.months == 18 for x in runs) > len(runs) / 2  # most never had an incident
    assert any(x.months < 18 for x in runs)  # a few had one
    assert incidents.streak_count(runs) >= sum(x.months == 18 for x in runs)


def test_the_template_filled_in_imports(user, anci, two) -> None:
    content, _ctype, filename = incidents.template()
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb[incidents.LABEL]
    assert [c.value for c in ws[1]] == ["月份*", "小区编号", "所属社区", "小区名称",
                                        "刑事案件数*", "治安案件数*"]
    ws.append([f"{this_month():%Y-%m}", str(two[0].pk), "", two[0].name, 0, 0])
    buf = io.BytesIO()
    wb.save(buf)
    result = import_returns(user("dept1"), anci, buf.getvalue(), filename)
    assert result.created == 1
    assert IncidentCount.objects.get(incident_return__district=anci).compound == two[0]
