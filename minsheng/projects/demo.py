"""Demo livelihood plans for 安次区: this year's and last year's 民心工程, with progress histories
(some on time, some lagging), and budget expenditure lines from which the livelihood share comes out
as the district's report says for 2020 (24.7亿元, 83.03%, +3.67%) — built from line items.

Everything is generated (flagged `generated`) and deterministic; running twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from minsheng.accounts.models import Membership
from minsheng.accounts.roles import Role
from minsheng.lib import images
from minsheng.places.models import Compound, Organisation, Region
from minsheng.projects import progress
from minsheng.projects.actions import do_add_sub_item
from minsheng.projects.budget import load_livelihood_classes
from minsheng.projects.models import (
    Area,
    ChecklistItem,
    ExpenditureLine,
    FundLine,
    FundSource,
    Milestone,
    Plan,
    ProgressPhoto,
    ProgressReport,
    Project,
    SubItem,
)
from minsheng.projects.services import today

YI = Decimal(100_000_000)
WAN = Decimal(10_000)

# (area, name pattern, department, target, quantity, unit, planned 万元 by source)
TEMPLATES = [
    (Area.HOUSING, "老旧小区改造提升", "区住房和城乡建设局", "改造老旧小区{q}个", 115, "个",
     {"district": 600}),
    (Area.HOUSING, "小区微改造", "区住房和城乡建设局", "完成小区微改造{q}处", 48, "处", {"district": 320}),
    (Area.HOUSING, "保障性住房建设", "区住房和城乡建设局", "筹集保障性住房{q}套", 1862, "套",
     {"central": 4200, "provincial": 1800, "district": 900}),
    (Area.EDUCATION, "中小学校建设和改造", "区教育局", "实施学校建设改造项目{q}个", 69, "个",
     {"provincial": 3000, "district": 5200}),
    (Area.EDUCATION, "普惠性幼儿园扩容", "区教育局", "新增普惠性学位{q}个", 1200, "个", {"district": 1500}),
    (Area.HEALTH, "社区卫生服务中心提升", "区卫生健康局", "升级社区卫生服务中心{q}个", 8, "个",
     {"provincial": 600, "district": 400}),
    (Area.HEALTH, "标准化村卫生室建设", "区卫生健康局", "新建标准化村卫生室{q}个", 6, "个", {"district": 180}),
    (Area.ELDERLY, "社区和居家养老服务", "区民政局", "建设社区养老服务站{q}个", 20, "个",
     {"provincial": 400, "district": 500}),
    (Area.ELDERLY, "老年助餐点建设", "区民政局", "建成老年助餐点{q}个", 15, "个", {"district": 225}),
    (Area.EMPLOYMENT, "就业创业促进", "区人力资源和社会保障局", "新增城镇就业{q}人", 3606, "人",
     {"central": 800, "district": 300}),
    (Area.EMPLOYMENT, "职业技能培训", "区人力资源和社会保障局", "开展技能培训{q}人次", 3202, "人次",
     {"provincial": 320}),
    (Area.SOCIAL_SECURITY, "困难群众兜底保障", "区民政局", "按时足额发放救助金{q}户", 2400, "户",
     {"central": 2600, "provincial": 900, "district": 700}),
    (Area.RURAL, "防返贫监测和帮扶", "区民政局", "实施帮扶项目{q}个", 4, "个",
     {"central": 600, "provincial": 300, "district": 205.6}),
    (Area.RURAL, "农村生活污水治理", "区生态环境分局", "完成{q}个村污水治理", 30, "个",
     {"provincial": 900, "district": 600}),
    (Area.TRANSPORT, "农村公路提档升级", "区住房和城乡建设局", "改造农村公路{q}公里", 45, "公里",
     {"provincial": 1350, "district": 900}),
    (Area.ENVIRONMENT, "城市绿化和口袋公园", "区城市管理综合行政执法局", "新建口袋公园{q}个", 12, "个",
     {"district": 480}),
    (Area.URBAN, "背街小巷整治", "区城市管理综合行政执法局", "整治背街小巷{q}条", 40, "条", {"district": 380}),
    (Area.CULTURE, "全民健身设施", "区教育局", "新建健身场地{q}处", 25, "处", {"district": 250}),
    (Area.SAFETY, "智慧安防小区建设", "区应急管理局", "建成智慧安防小区{q}个", 60, "个", {"district": 900}),
    (Area.SAFETY, "燃气安全隐患整治", "区应急管理局", "排查整治隐患{q}处", 500, "处", {"district": 150}),
]

# 2020 general-public-budget expenditure of 安次区 (亿元): livelihood classes sum to 24.7.
EXPENDITURE_2020 = {
    "201": ("一般公共服务支出", Decimal("2.85")), "204": ("公共安全支出", Decimal("1.03")),
    "205": ("教育支出", Decimal("6.2")), "206": ("科学技术支出", Decimal("0.3")),
    "207": ("文化旅游体育与传媒支出", Decimal("0.4")), "208": ("社会保障和就业支出", Decimal("5.3")),
    "210": ("卫生健康支出", Decimal("2.9")), "211": ("节能环保支出", Decimal("0.9")),
    "212": ("城乡社区支出", Decimal("4.1")), "213": ("农林水支出", Decimal("3.0")),
    "214": ("交通运输支出", Decimal("0.4")), "221": ("住房保障支出", Decimal("1.2")),
    "229": ("其他支出", Decimal("0.58")), "232": ("债务付息支出", None),  # balances to 83.03%
}


def _expenditure(year: int, scale: Decimal, share: Decimal) -> dict[str, tuple[str, Decimal]]:
    """Lines for a year: livelihood classes scaled, non-livelihood balanced to hit `share`."""
    classes = load_livelihood_classes()
    out: dict[str, tuple[str, Decimal]] = {}
    livelihood = Decimal(0)
    for code, (name, yi) in EXPENDITURE_2020.items():
        if code in classes:
            amount = (yi * scale * YI).quantize(Decimal(1))
            out[code] = (name, amount)
            livelihood += amount
    total = (livelihood / share * 100).quantize(Decimal(1))
    rest = total - livelihood
    fixed = [(c, n, yi) for c, (n, yi) in EXPENDITURE_2020.items() if c not in classes and yi]
    used = Decimal(0)
    for code, name, yi in fixed:
        amount = (yi * scale * YI).quantize(Decimal(1))
        out[code] = (name, amount)
        used += amount
    out["232"] = ("债务付息支出", rest - used)
    return out


@transaction.atomic
def generate(district6: str = "131002", *, progress_cb=print) -> dict[str, int]:
    district = Region.objects.get(code=district6.ljust(12, "0"))
    year = today().year
    _budget(district, year)
    if Plan.objects.filter(region=district, year=year).exists():
        progress_cb(f"{district.name}: 民心工程演示数据已存在，跳过生成")
        return {"plans": Plan.objects.filter(region=district).count()}
    rng = random.Random(f"minsheng-projects-{district6}")  # noqa: S311 - not security
    reporters = department_reporters(district)
    office = get_user_model().objects.filter(username="district").first()
    n = 0
    for y in (year - 1, year):
        plan = Plan.objects.create(region=district, year=y, name=f"{y}年{district.name}民心工程",
                                   published=True,
                                   note="演示生成数据：12 方面民心工程，进度为生成的历史。")
        for i, t in enumerate(TEMPLATES, start=1):
            _project(rng, plan, i, t, reporters, office, district)
            n += 1
    _await_review(district)
    _photos(district)
    progress_cb(f"{district.name}: 生成 {year - 1}、{year} 年民心工程 {n} 个项目及进度历史")
    return {"plans": 2, "projects": n}


def department_reporters(district: Region) -> dict[int, object]:
    """The demo account of each lead department (accounts.demo creates one per department), by
    organisation id: progress is reported by the department that leads the project."""
    return {m.organisation_id: m.user for m in Membership.objects.filter(
        role=Role.DEPARTMENT_STAFF, organisation__region=district,
        organisation__kind=Organisation.Kind.DEPARTMENT).select_related("user").order_by("pk")}


def _budget(district: Region, year: int) -> None:
    # 2020 as the report says; 2019 such that 2020 grew 3.67%; recent years plausible.
    targets = {
        2019: (Decimal(1) / Decimal("1.0367"), Decimal("82.41")),
        2020: (Decimal(1), Decimal("83.03")),
        year - 1: (Decimal("1.21"), Decimal("84.12")),
        year: (Decimal("1.26"), Decimal("84.65")),
    }
    for y, (scale, share) in targets.items():
        if ExpenditureLine.objects.filter(region=district, year=y).exists():
            continue
        ExpenditureLine.objects.bulk_create([
            ExpenditureLine(region=district, year=y, code=c, name=n, amount=a)
            for c, (n, a) in _expenditure(y, scale, share).items()])


# Projects that run into the next year (跨年项目): their plan year's Jan–Mar to 30 June of the
# following year, so that on every date of the year some project is under way.
MULTI_YEAR = {3, 4, 14, 15}
# Paces (actual ÷ planned progress): < 0.97 never completes. Fixed per template, not drawn, so that
# on any date the demo shows every flag: multi-year projects on track, lagging and at risk;
# last year's projects completed and overdue (see tests/web/test_demo_dates.py).
PACES = {3: 1.0, 4: 0.8, 14: 0.55, 15: 1.02, 1: 1.0, 2: 0.75, 5: 1.0, 6: 0.55, 7: 1.05, 8: 1.0,
         9: 0.97, 10: 0.75, 11: 1.0, 12: 1.02, 13: 0.55, 16: 1.0, 17: 0.75, 18: 1.0, 19: 0.55,
         20: 1.0}


def _project(rng, plan, i, t, reporters, office, district) -> Project:
    area, name, dept_name, target, q, unit, money = t
    dept = Organisation.objects.filter(region=district, name=dept_name).first()
    y = plan.year
    start = dt.date(y, rng.randint(1, 3), rng.randint(1, 28))
    end = dt.date(y, rng.choice([6, 9, 10, 11, 12]), 28 if rng.random() < 0.5 else 30)
    if i in MULTI_YEAR:
        end = dt.date(y + 1, 6, 30)
    p = Project.objects.create(
        plan=plan, number=str(i), name=f"{name}", area=area, lead_department=dept,
        responsible_person=rng.choice("王李张刘陈杨赵黄") + rng.choice(["主任", "局长", "科长"]),
        target=target.format(q=q), target_quantity=Decimal(q), target_unit=unit,
        start_date=start, end_date=end, is_public=True, generated=True,
        public_summary=f"{target.format(q=q)}，{end.year}年{end.month}月底前完成。")
    for source, wan in money.items():
        planned = (Decimal(str(wan)) * WAN).quantize(Decimal("0.01"))
        FundLine.objects.create(project=p, source=FundSource(source), planned=planned,
                                allocated=(planned * Decimal(rng.choice(["1", "1", "0.8", "0.6"]))
                                           ).quantize(Decimal("0.01")))
    span = (end - start).days
    weights = [Decimal(20), Decimal(30), Decimal(30), Decimal(20)]
    names = ["方案设计与招标", "开工建设", "主体完工", "验收交付"]
    for k, (nm, w) in enumerate(zip(names, weights, strict=True), start=1):
        Milestone.objects.create(project=p, name=nm, weight=w,
                                 planned_date=start + dt.timedelta(days=span * k // 4))
    if area == Area.HOUSING and name.startswith("老旧小区"):
        olds = Compound.objects.in_region(district.code).filter(is_old=True).exclude(
            renovation_class="").order_by("pk")[:12]
        for c in olds:
            do_add_sub_item(p, name=f"{c.name}改造", region=c.region, compound=c,
                            renovation_class=c.renovation_class)
    elif area in (Area.EDUCATION, Area.HEALTH, Area.ELDERLY, Area.SAFETY):
        for c in Compound.objects.in_region(district.code).order_by("pk")[i * 3: i * 3 + 3]:
            do_add_sub_item(p, name=f"{c.region.name}{name}", region=c.region)
    # The lead department reports; the livelihood office (`district`) approves, never the reporter.
    reporter = reporters.get(dept.pk) if dept else None
    reports = _history(p, PACES[i], reporter or office, office)
    _tick_checklists(p, reports, reporter or office)
    return p


def _tick_checklists(p: Project, reports: list[ProgressReport], user) -> None:
    """The renovation sub-items are completed as the work goes: the k-th of n is complete (every
    checklist item ticked with its evidence) on the date of the first approved report at or
    above k/n of the work, so the renovation indicator follows the project's progress."""
    subs = list(p.sub_items.exclude(renovation_class="").order_by("pk"))
    if not subs or not reports:
        return
    items = []
    for k, sub in enumerate(subs, start=1):
        share = Decimal(100 * k) / len(subs)
        when = next((r.as_of for r in reports if r.percent >= share), None)
        if when is None:
            break
        sub.done, sub.done_on = True, when
        at = min(timezone.make_aware(dt.datetime.combine(when, dt.time(17))), timezone.now())
        for c in sub.checklist.all():
            c.done, c.evidence, c.done_by, c.done_at = True, f"验收记录（演示生成）{when}", user, at
            items.append(c)
    SubItem.objects.bulk_update([s for s in subs if s.done], ["done", "done_on"])
    ChecklistItem.objects.bulk_update(items, ["done", "evidence", "done_by", "done_at"])


def _history(p: Project, pace: float, reporter, office) -> list[ProgressReport]:
    """Approved monthly reports up to today; pace < 0.97 makes a project lag and never finish."""
    now = today()
    ms = [progress.MilestonePoint(m.planned_date, m.weight) for m in p.milestones.all()]
    planned_money = sum((f.planned for f in p.funds.all()), Decimal(0))
    allocated = sum((f.allocated for f in p.funds.all()), Decimal(0))
    d = dt.date(p.start_date.year, p.start_date.month, 28)
    last_pct = Decimal(0)
    reports = []
    while d <= min(now, p.end_date + dt.timedelta(days=60)):
        planned = progress.planned_percent(p.start_date, ms, d)
        pct = min(Decimal(100), (planned * Decimal(str(pace))).quantize(Decimal("0.1")))
        if d >= p.end_date and pace >= 0.97:
            pct = Decimal(100)
        pct = max(pct, last_pct)
        spent = min(allocated, (planned_money * pct / 100).quantize(Decimal("0.01")))
        reports.append(ProgressReport(
            project=p, as_of=d, percent=pct, spent=spent,
            quantity_done=(p.target_quantity or 0) * pct / 100,
            narrative=f"截至{d.month}月底，累计完成{pct}%。", state=ProgressReport.State.APPROVED,
            submitted_by=reporter, reviewed_by=office))
        last_pct = pct
        if pct >= 100:
            break
        month = d.month % 12 + 1
        d = dt.date(d.year + (d.month == 12), month, 28)
    ProgressReport.objects.bulk_create(reports)
    return reports


def _photos(district: Region) -> None:
    """A generated, labelled photo (演示照片) on the latest approved report of each public project,
    so the public page and the project pages show photos as real ones would."""
    approved = ProgressReport.State.APPROVED
    for p in Project.objects.filter(plan__region=district, is_public=True).order_by("pk"):
        last = p.reports.filter(state=approved).order_by("-as_of").first()
        if last is None:
            continue
        photo = images.labelled_photo(p.name, p.pk)
        ph = ProgressPhoto(report=last, caption=f"演示照片（生成）：{p.name}", public=True,
                           state=ProgressPhoto.Check.CLEAN)  # lib.images' own JPEG
        ph.image.save(photo.name(), photo.file(), save=True)


def _await_review(district: Region) -> None:
    """Leave the latest monthly report of some unfinished projects awaiting review, submitted by
    their department, so the office has something to approve on any date: every other project
    (by number) whose last report is under 100% and at most 45 days old."""
    since = today() - dt.timedelta(days=45)
    candidates = []
    for p in Project.objects.filter(plan__region=district).order_by("plan__year", "pk"):
        last = p.reports.order_by("-as_of").first()
        if last is not None and last.percent < 100 and last.as_of >= since and \
                last.submitted_by_id != last.reviewed_by_id:
            candidates.append(last)
    for k, r in enumerate(candidates):
        if k % 2 == 0:
            r.state = ProgressReport.State.SUBMITTED
            r.reviewed_by = None
            r.save(update_fields=["state", "reviewed_by"])
