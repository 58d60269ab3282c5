"""Importing a year's project list from the Excel a livelihood office keeps, and exporting the
project table: what the office relies on when it uploads its list and downloads the table.

Files are built here as the office would make them: real .xlsx with openpyxl, dates typed in the
usual ways (Excel dates, 2031/3/1, 2031年3月1日, “6月底”), amounts in 元 or 万元."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from minsheng.accounts.models import AuditLog
from minsheng.places.models import Compound, Organisation, Region
from minsheng.projects.exchange import (
    ImportRejected,
    error_report,
    export_projects,
    import_projects,
    project_template,
)
from minsheng.projects.models import (
    ChecklistItem,
    FundLine,
    Plan,
    ProgressReport,
    Project,
    SubItem,
)
from minsheng.projects.services import checklist_for
from tests.hostile import attack_whole_file

pytestmark = pytest.mark.django_db

DISTRICT = "131002000000"
HEADERS = [
    "序号", "项目名称*", "领域*", "牵头单位*", "责任人", "目标任务*", "目标数量", "单位", "开始日期*",
    "完成时限*", "中央资金（元）", "省级资金（元）", "市级资金（元）", "区级资金（元）", "其他资金（元）",
    "节点1", "节点1日期", "节点1权重", "节点2", "节点2日期", "节点2权重", "节点3", "节点3日期",
    "节点3权重",
]
SUB_HEADERS = ["项目名称*", "子项名称*", "区划代码*", "小区名称", "改造标准", "数量"]


# --- helpers ---------------------------------------------------------------------------------


def row(headers=HEADERS, **cells) -> list:
    return [cells.get(h.rstrip("*").split("（")[0] if "资金" not in h else h.rstrip("*"))
            for h in headers]


def project(name: str, **cells) -> list:
    values = {"项目名称": name, "领域": "住房保障与老旧小区", "牵头单位": "区住房和城乡建设局",
              "目标任务": "改造老旧小区3个", "开始日期": "2031-01-01", "完成时限": "2031-12-31"}
    values.update(cells)
    return row(**values)


def workbook(projects: list[list], subs: list[list] | None = None, headers=HEADERS) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(headers)
    for r in projects:
        ws.append(r)
    if subs is not None:
        s = wb.create_sheet("子项")
        s.append(SUB_HEADERS)
        for r in subs:
            s.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def plan():
    return Plan.objects.create(region_id=DISTRICT, year=2031, name="2031年安次区民心工程")


@pytest.fixture
def compounds():
    """Two compounds of the demo district, with their community codes."""
    return list(Compound.objects.in_region("131002001").order_by("pk")[:2])


@pytest.fixture
def outside_region():
    return Region.objects.filter(code__startswith="140213", level=Region.Level.COMMUNITY).first()


def sample(compounds) -> bytes:
    c1, c2 = compounds
    return workbook(
        [
            project("老旧小区改造", 序号="1", 责任人="张伟", 目标任务="改造老旧小区3个", 目标数量=3,
                    单位="个", 开始日期=dt.date(2031, 3, 1), 完成时限="2031年11月30日",
                    **{"中央资金（元）": 3_000_000, "区级资金（元）": "1,500,000.50"},
                    节点1="完成设计", 节点1日期="2031/4/30", 节点1权重=20,
                    节点2="主体施工", 节点2日期="2031年9月底", 节点2权重=60,
                    节点3="竣工验收", 节点3日期="2031-11-30", 节点3权重=20),
            project("社区养老服务站", 序号="2", 领域="养老服务", 牵头单位="区民政局",
                    目标任务="新建社区养老服务站2个", 开始日期="2031-02-01", 完成时限="2031年6月",
                    **{"区级资金（元）": 800_000}, 节点1="选址", 节点1日期="2031-03-31",
                    节点2="建成运营", 节点2日期="2031-06-30"),
        ],
        [
            ["老旧小区改造", c1.name, c1.region_id, c1.name, "A", 1],
            ["老旧小区改造", c2.name, c2.region_id, c2.name, "B", None],
            ["老旧小区改造", "村道硬化", c1.region_id, None, "C", 2],
            ["社区养老服务站", "养老服务站一", c1.region_id, None, None, None],
        ])


# --- template --------------------------------------------------------------------------------


def test_template_can_be_filled_in_and_imported(user, plan, compounds):
    content, ctype, filename = project_template()
    assert filename.endswith(".xlsx") and "spreadsheetml" in ctype
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb.sheetnames[:2] == ["项目", "子项"] and "说明" in wb.sheetnames
    headers = [c.value for c in wb["项目"][1]]
    assert headers[:10] == ["序号", "项目名称", "领域", "牵头单位", "责任人", "目标任务", "目标数量",
                            "单位", "开始日期", "完成时限"]
    assert "区级资金（元）" in headers and "节点6权重" in headers
    assert wb["项目"].freeze_panes == "A2"
    values = {"序号": "一(1)", "项目名称": "农村生活污水治理", "领域": "生态环境", "牵头单位": "区生态环境分局",
              "目标任务": "治理村庄污水10个", "开始日期": "2031-03-01", "完成时限": "2031-10-31",
              "区级资金（元）": 2_000_000}
    wb["项目"].append([values.get(h) for h in headers])
    c = compounds[0]
    wb["子项"].append([{"项目名称": "农村生活污水治理", "子项名称": "一村污水", "区划代码": c.region_id}
                      .get(h.value) for h in wb["子项"][1]])
    buf = io.BytesIO()
    wb.save(buf)

    result = import_projects(user("district"), plan, buf.getvalue(), filename)

    assert (result.created, result.updated, result.sub_items) == (1, 0, 1)
    p = plan.projects.get()
    assert p.number == "一(1)" and p.lead_department.name == "区生态环境分局"
    assert p.funds.get().planned == Decimal(2_000_000)
    assert p.sub_items.get().region_id == c.region_id


# --- import ----------------------------------------------------------------------------------


def test_import_creates_projects_funds_milestones_and_sub_items(user, plan, compounds):
    result = import_projects(user("district"), plan, sample(compounds), "2031民心工程.xlsx")

    assert (result.created, result.updated, result.sub_items) == (2, 0, 4)
    p = plan.projects.get(name="老旧小区改造")
    assert p.number == "1" and p.area == "housing" and p.responsible_person == "张伟"
    assert p.lead_department.name == "区住房和城乡建设局"
    assert p.target_quantity == 3 and p.target_unit == "个"
    assert (p.start_date, p.end_date) == (dt.date(2031, 3, 1), dt.date(2031, 11, 30))
    assert {f.source: f.planned for f in p.funds.all()} == {
        "central": Decimal("3000000.00"), "district": Decimal("1500000.50")}
    assert [(m.name, m.planned_date, m.weight) for m in p.milestones.all()] == [
        ("完成设计", dt.date(2031, 4, 30), 20), ("主体施工", dt.date(2031, 9, 30), 60),
        ("竣工验收", dt.date(2031, 11, 30), 20)]

    # A/B/C renovation sub-items carry the standard's checklist; quantity defaults to 1.
    subs = {s.name: s for s in p.sub_items.all()}
    c1, c2 = compounds
    assert subs[c1.name].compound == c1 and subs[c1.name].renovation_class == "A"
    assert subs[c2.name].quantity == 1 and subs["村道硬化"].quantity == 2
    sizes = {cls: subs[n].checklist.count() for cls, n in
             (("A", c1.name), ("B", c2.name), ("C", "村道硬化"))}
    assert sizes == {cls: len(checklist_for(cls)) for cls in "ABC"}
    assert sizes["C"] < sizes["B"] < sizes["A"]

    # “2031年6月” as a deadline is the end of June; milestones without weights share 100 evenly.
    q = plan.projects.get(name="社区养老服务站")
    assert q.end_date == dt.date(2031, 6, 30) and q.lead_department.name == "区民政局"
    assert [m.weight for m in q.milestones.all()] == [50, 50]
    assert q.sub_items.get().checklist.count() == 0

    log = AuditLog.objects.get(action=AuditLog.Action.IMPORT, object_type="projects.project")
    assert log.user.username == "district" and log.region_code == DISTRICT
    assert "新增 2 个" in log.detail


def test_reimport_updates_and_keeps_what_was_recorded_since(user, plan, compounds):
    admin = user("district")
    import_projects(admin, plan, sample(compounds), "a.xlsx")
    p = plan.projects.get(name="老旧小区改造")
    central = p.funds.get(source="central")
    central.allocated = Decimal(1_000_000)
    central.save()
    c1, c2 = compounds
    kept = p.sub_items.get(name=c1.name)
    ticked = kept.checklist.first()
    ticked.done, ticked.evidence = True, "验收照片"
    ticked.save()
    other_sub = plan.projects.get(name="社区养老服务站").sub_items.get()

    content = workbook(
        [project("老旧小区改造", 目标任务="改造老旧小区4个", 开始日期="2031-03-01",
                 完成时限="2031-11-30", **{"中央资金（元）": 3_500_000},
                 节点1="竣工验收", 节点1日期="2031-11-30"),
         project("社区养老服务站", 领域="养老服务", 牵头单位="区民政局", 完成时限="2031-06-30")],
        [["老旧小区改造", c1.name, c1.region_id, c1.name, "A", 1],
         ["老旧小区改造", "新增子项", c2.region_id, None, "C", 1]])
    result = import_projects(admin, plan, content, "b.xlsx")

    assert (result.created, result.updated, result.sub_items) == (0, 2, 2)
    p.refresh_from_db()
    assert p.target == "改造老旧小区4个"
    # The central line keeps what was allocated; the district line left blank is removed.
    assert [(f.source, f.planned, f.allocated) for f in p.funds.all()] == [
        ("central", Decimal(3_500_000), Decimal(1_000_000))]
    assert [(m.name, m.weight) for m in p.milestones.all()] == [("竣工验收", 100)]
    # Sub-items listed again keep their ticked checklist; unlisted ones go; new ones get theirs.
    assert set(p.sub_items.values_list("name", flat=True)) == {c1.name, "新增子项"}
    assert ChecklistItem.objects.get(pk=ticked.pk).evidence == "验收照片"
    assert p.sub_items.get(name="新增子项").checklist.count() == len(checklist_for("C"))
    # A project the 子项 sheet does not mention keeps its sub-items.
    assert SubItem.objects.filter(pk=other_sub.pk).exists()
    assert Project.objects.filter(plan=plan).count() == 2


def test_clearing_a_source_that_has_allocated_money_is_refused(user, plan, compounds):
    admin = user("district")
    import_projects(admin, plan, sample(compounds), "a.xlsx")
    line = FundLine.objects.get(project__name="老旧小区改造", source="district")
    line.allocated = Decimal(500_000)
    line.save()
    content = workbook([project("老旧小区改造", **{"中央资金（元）": 3_000_000})])

    with pytest.raises(ImportRejected) as e:
        import_projects(admin, plan, content, "b.xlsx")

    assert [(x.row, x.column) for x in e.value.errors] == [(2, "区级资金（元）")]
    assert "已下达" in e.value.errors[0].message
    assert FundLine.objects.get(pk=line.pk).planned == Decimal("1500000.50")


def test_amounts_in_wan_yuan_when_the_header_says_so(user, plan):
    """An office that keeps its list in 万元 says so in the header (an empty 子项 sheet is fine)."""
    headers = ["项目名称", "领域", "牵头单位", "目标任务", "开始日期", "完成时限", "中央资金（万元）",
               "区级资金（万元）"]
    content = workbook([["学校改扩建", "教育", "区教育局", "改扩建学校69所", "2031-01-01",
                         "2031-12-31", 1105.6, "600"]], subs=[], headers=headers)

    import_projects(user("district"), plan, content, "w.xlsx")

    p = plan.projects.get()
    assert {f.source: f.planned for f in p.funds.all()} == {
        "central": Decimal("11056000.00"), "district": Decimal("6000000.00")}


def test_a_bad_file_is_rejected_whole_with_every_problem_listed(user, plan, compounds,
                                                                outside_region):
    c1, _ = compounds
    content = workbook(
        [
            project("合格的项目"),  # row 2: valid, but must not be written
            project("日期写错", 开始日期="2031-13-45"),  # row 3
            project("单位不存在", 牵头单位="区不存在局"),  # row 4
            project("权重不对", 节点1="设计", 节点1日期="2031-03-01", 节点1权重=30,
                    节点2="施工", 节点2日期="2031-09-01", 节点2权重=50),  # row 5
            project("先完成后开始", 开始日期="2031-10-01", 完成时限="2031-03-01"),  # row 6
            project("负数金额", **{"区级资金（元）": -100}),  # row 7
            project("超出年度", 完成时限="2035-12-31"),  # row 8
            project("领域不对", 领域="航天"),  # row 9
            project("合格的项目"),  # row 10: duplicate name
        ],
        [
            ["合格的项目", "外区子项", outside_region.code, None, None, None],  # row 2
            ["合格的项目", "没有的小区", c1.region_id, "不存在的小区", "A", None],  # row 3
            ["清单里没有的项目", "子项", c1.region_id, None, None, None],  # row 4
        ])

    with pytest.raises(ImportRejected) as e:
        import_projects(user("district"), plan, content, "bad.xlsx")

    found = {(x.row, x.column) for x in e.value.errors}
    assert found == {
        (3, "开始日期"), (4, "牵头单位"), (5, "节点1权重"), (6, "完成时限"), (7, "区级资金（元）"),
        (8, "完成时限"), (9, "领域"), (10, "项目名称"),
        (2, "子项·区划代码"), (3, "子项·小区名称"), (4, "子项·项目名称"),
    }
    messages = {(x.row, x.column): x.message for x in e.value.errors}
    assert "区不存在局" in messages[4, "牵头单位"]
    assert "80" in messages[5, "节点1权重"]
    assert "不能早于开始日期" in messages[6, "完成时限"]
    assert "负数" in messages[7, "区级资金（元）"]
    assert "与第2行重复" in messages[10, "项目名称"]
    assert "不在" in messages[2, "子项·区划代码"]
    assert "不存在的小区" in messages[3, "子项·小区名称"]
    # Nothing was written, not even the valid row.
    assert not Project.objects.filter(plan=plan).exists()
    assert not AuditLog.objects.filter(action=AuditLog.Action.IMPORT,
                                       object_type="projects.project").exists()
    # The downloadable error report names the sheet of each problem.
    ws = openpyxl.load_workbook(io.BytesIO(error_report(e.value.errors))).active
    assert ("子项·区划代码" in [c.value for c in ws["B"]])


def test_wrong_file_shapes_are_explained(user, plan):
    admin = user("district")
    with pytest.raises(ImportRejected) as e:
        import_projects(admin, plan, b"not a spreadsheet at all", "x.xlsx")
    assert "Excel" in e.value.errors[0].message
    with pytest.raises(ImportRejected) as e:
        import_projects(admin, plan, workbook([["学校", "教育"]],
                                              headers=["项目名称", "领域"]), "x.xlsx")
    assert {x.column for x in e.value.errors} >= {"牵头单位", "目标任务", "开始日期", "完成时限"}


@pytest.mark.parametrize("username", ["dept1", "street1", "viewer1", "resident1"])
def test_only_the_livelihood_office_may_import(user, plan, compounds, username):
    with pytest.raises(PermissionError):
        import_projects(user(username), plan, sample(compounds), "a.xlsx")
    assert not Project.objects.filter(plan=plan).exists()


# --- export ----------------------------------------------------------------------------------


def _report(project, as_of, percent, spent, by, state=ProgressReport.State.APPROVED):
    return ProgressReport.objects.create(project=project, as_of=as_of, percent=percent,
                                         spent=spent, narrative="按计划推进", state=state,
                                         submitted_by=by)


@pytest.fixture
def exported_plan(user, plan, compounds):
    admin = user("district")
    import_projects(admin, plan, sample(compounds), "a.xlsx")
    p = plan.projects.get(name="老旧小区改造")
    FundLine.objects.filter(project=p, source="central").update(allocated=Decimal(2_000_000))
    # Planned at 2031-06-30: 20% by 4/30, then towards 80% by 9/30 → 20 + 60 × 61/153 ≈ 43.9%.
    _report(p, dt.date(2031, 6, 15), Decimal(10), Decimal(400_000), admin)
    q = plan.projects.get(name="社区养老服务站")
    _report(q, dt.date(2031, 6, 20), Decimal(100), Decimal(750_000), admin)
    return plan


def _sheet_rows(content: bytes, title: str) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return list(wb[title].iter_rows(values_only=True))


def test_export_table_has_status_and_money_in_wan_yuan(user, exported_plan):
    content, ctype, filename = export_projects(user("district"), exported_plan,
                                               dt.date(2031, 6, 30))

    assert "spreadsheetml" in ctype and filename.endswith("_20310630.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb["项目表"]
    assert ws.freeze_panes == "A2"
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == [
        "序号", "项目名称", "领域", "牵头单位", "目标任务", "开始日期", "完成时限", "计划投资(万元)",
        "已下达(万元)", "累计支出(万元)", "计划进度%", "实际进度%", "滞后(百分点)", "状态"]
    by_name = {r[1]: r for r in rows[1:] if r[0] != "合计"}
    lagging = by_name["老旧小区改造"]
    assert lagging[2] == "住房保障与老旧小区" and lagging[3] == "区住房和城乡建设局"
    assert lagging[7] == pytest.approx(450.0, abs=0.01)  # 4,500,000.50 元
    assert lagging[8] == pytest.approx(200.0) and lagging[9] == pytest.approx(40.0)
    assert lagging[10] == pytest.approx(43.9) and lagging[11] == pytest.approx(10)
    assert lagging[12] == pytest.approx(33.9) and lagging[13] == "严重滞后"
    assert by_name["社区养老服务站"][13] == "已完成"
    total = rows[-1]
    assert total[0] == "合计" and total[7] == pytest.approx(530.0, abs=0.01)

    summary = {r[0]: r[1:] for r in _sheet_rows(content, "汇总") if r and r[0]}
    assert summary["严重滞后"][0] == 1 and summary["已完成"][0] == 1 and summary["正常"][0] == 0
    assert summary["养老服务"][:2] == (1, pytest.approx(80.0))
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT,
                                   object_type="projects.project").exists()


def test_department_exports_only_its_own_projects(user, exported_plan):
    content, *_ = export_projects(user("dept1"), exported_plan, dt.date(2031, 6, 30))

    names = [r[1] for r in _sheet_rows(content, "项目表")[1:] if r[0] != "合计"]
    assert names == ["社区养老服务站"]
    assert organisation_of("dept1") == "区民政局"


def organisation_of(username: str) -> str:
    return Organisation.objects.get(membership__user__username=username).name


def test_export_needs_the_export_right(user, exported_plan):
    with pytest.raises(PermissionError):
        export_projects(user("resident1"), exported_plan, dt.date(2031, 6, 30))


def test_a_whole_list_with_one_hostile_cell_is_taken_whole_or_refused_whole(user, plan):
    good = project("老旧小区改造", 序号="1", 目标数量=3, 单位="个", 节点1="完成设计",
                   节点1日期="2031-04-30", 节点1权重=100, **{"区级资金（元）": 1_500_000})
    second = project("社区养老服务站", 序号="2", 领域="养老服务", 牵头单位="区民政局", 节点1="建成运营",
                     节点1日期="2031-06-30", 节点1权重=100, **{"中央资金（元）": 800_000})
    findings = attack_whole_file(
        [h.rstrip("*") for h in HEADERS], good, second,
        lambda content, name: import_projects(user("district"), plan, content, name),
        Project.objects.count)
    assert not findings, "\n".join(findings)
