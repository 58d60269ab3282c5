"""Public-safety figures from the police's monthly incident returns (公安警情月报), never from
device alarms: "连续 N 个月零发案" per compound.

A return is one district's month: a row per compound with its 刑事 and 治安 incident counts,
imported from an .xlsx/.csv on lib.tabular's TableImport (all-or-nothing; the compound is
matched by its 小区编号 — the platform's id — or by its name, with its community where two
compounds share a name, inside the return's district; months not after the current month; counts
whole numbers from 0 to MAX_COUNT). Who:

- read the page and the figures: VIEW_CASE_STATS, ENTER_DATA or APPROVE_DATA, over the compounds'
  region (the figures are counted over the user's own region only);
- import: ENTER_DATA or APPROVE_DATA over the whole district;
- approve: APPROVE_DATA over the district, and never the user who imported the return.

The life of a month. An import makes a draft (待审核) return per month in the file; importing a
month that already has a draft replaces that draft. A month that already has an approved return
is never touched: the new import is a draft correction beside it, and approving the correction
marks the old one superseded (已被更正) — the approved figures change only by a second person's
approval. Only approved returns count.

The figure (`zero_run`): for a compound, the number of consecutive months, ending at its
district's latest approved month, in which its district's approved return lists it with no
incident. A month without an approved return ends the run, and so does an approved return that
does not list the compound: missing is not zero.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.accounts.roles import APPROVE_DATA, ENTER_DATA, VIEW_CASE_STATS
from minsheng.cases.models import IncidentCount, IncidentReturn
from minsheng.lib.tabular import (
    XLSX_TYPE,
    CellError,
    Column,
    ImportResult,
    Row,
    TableImport,
    date,
    norm,
    template_xlsx,
    text,
    uint,
)
from minsheng.places.models import Compound, Region, district_code
from minsheng.places.scope import scope_of

__all__ = ["LABEL", "MAX_COUNT", "STREAK", "CompoundRun", "can_approve", "can_import",
           "can_view", "demo_returns", "district_runs", "do_approve", "has_returns",
           "import_districts", "import_returns", "listed_in", "month_before", "returns_for",
           "returns_to_approve", "runs_for", "streak_count", "template", "zero_run",
           "zero_run_of"]

LABEL = "警情月报"
MAX_COUNT = 999  # incidents of one kind in one compound in one month: more is a typing error
STREAK = 12  # the district figure: compounds with at least this many months without incident
VIEW_RIGHTS = (VIEW_CASE_STATS, ENTER_DATA, APPROVE_DATA)
IMPORT_RIGHTS = (ENTER_DATA, APPROVE_DATA)
EARLIEST = dt.date(2000, 1, 1)


# --- months ----------------------------------------------------------------------------------


def month_before(m: dt.date) -> dt.date:
    return dt.date(m.year - 1, 12, 1) if m.month == 1 else dt.date(m.year, m.month - 1, 1)


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def zero_run(approved: set[dt.date], totals: dict[dt.date, int]) -> int:
    """Consecutive months without incident ending at the latest of `approved` (the months of the
    district's approved returns); `totals` holds the compound's incidents in the months whose
    approved return lists it. A month not approved, or not listing the compound, ends the run."""
    if not approved:
        return 0
    n, m = 0, max(approved)
    while m in approved and totals.get(m) == 0:
        n += 1
        m = month_before(m)
    return n


# --- who -------------------------------------------------------------------------------------


def _prefixes(user, rights: tuple[str, ...]) -> list[str]:
    s = scope_of(user)
    if s.everything:
        return [""]
    return sorted({g.prefix for r in rights for g in s.grants_with(r)}, key=len)


def can_view(user, region_code: str | None = None) -> bool:
    s = scope_of(user)
    return any(s.has_right(r, region_code) for r in VIEW_RIGHTS)


def import_districts(user) -> QuerySet[Region]:
    """The districts whose returns the user may import: an import right over the whole district."""
    prefixes = _prefixes(user, IMPORT_RIGHTS)
    qs = Region.objects.filter(level=Region.Level.DISTRICT).order_by("code")
    if prefixes == [""]:
        return qs
    return qs.filter(code__in=[p.ljust(12, "0") for p in prefixes if len(p) <= 6]
                     ) if prefixes else qs.none()


def can_import(user, district: Region | None = None) -> bool:
    qs = import_districts(user)
    return qs.filter(pk=district.pk).exists() if district else qs.exists()


def can_approve(user, r: IncidentReturn) -> bool:
    """APPROVE_DATA over the district, on a draft someone else imported."""
    return (r.status == IncidentReturn.Status.DRAFT and r.imported_by_id != user.pk
            and scope_of(user).has_right(APPROVE_DATA, r.district_id))


def returns_to_approve(user) -> QuerySet[IncidentReturn]:
    """Drafts of the districts where the user approves data, imported by someone else (the
    navigation's "待我处理" counts them)."""
    s = scope_of(user)
    qs = IncidentReturn.objects.filter(status=IncidentReturn.Status.DRAFT).exclude(
        imported_by=user)
    if s.everything:
        return qs
    return qs.filter(district_id__in={g.prefix.ljust(12, "0") for g in s.grants_with(APPROVE_DATA)
                                      if len(g.prefix) <= 6})


def compounds_in_view(user) -> QuerySet[Compound]:
    prefixes = _prefixes(user, VIEW_RIGHTS)
    if not prefixes:
        return Compound.objects.none()
    if prefixes == [""]:
        return Compound.objects.all()
    q = Q()
    for p in prefixes:
        q |= Q(region__code__startswith=p)
    return Compound.objects.filter(q)


def returns_for(user) -> QuerySet[IncidentReturn]:
    """The returns of the districts the user reads figures in (a street reads its district's)."""
    prefixes = _prefixes(user, VIEW_RIGHTS)
    qs = IncidentReturn.objects.select_related("district", "imported_by", "approved_by")
    if prefixes == [""]:
        return qs
    return qs.filter(district_id__in={district_code(p.ljust(12, "0")) for p in prefixes})


# --- figures ---------------------------------------------------------------------------------


@dataclass
class CompoundRun:
    compound: Compound
    months: int  # consecutive months without incident
    as_of: dt.date | None  # the district's latest approved month


def _runs(compounds: list[Compound], before: dt.date | None = None) -> list[CompoundRun]:
    """The compounds' runs over the approved returns (of months before `before`, when given: a
    period's figure as at its end)."""
    districts = {district_code(c.region_id) for c in compounds}
    months_qs = IncidentReturn.objects.filter(district_id__in=districts,
                                              status=IncidentReturn.Status.APPROVED)
    counts_qs = IncidentCount.objects.filter(
        incident_return__status=IncidentReturn.Status.APPROVED,
        compound_id__in=[c.pk for c in compounds])
    if before is not None:
        months_qs = months_qs.filter(month__lt=before)
        counts_qs = counts_qs.filter(incident_return__month__lt=before)
    approved: dict[str, set[dt.date]] = defaultdict(set)
    for d, m in months_qs.values_list("district_id", "month"):
        approved[d].add(m)
    totals: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for cid, m, a, b in counts_qs.values_list(
            "compound_id", "incident_return__month", "criminal", "public_order"):
        totals[cid][m] = a + b
    out = []
    for c in compounds:
        months = approved.get(district_code(c.region_id), set())
        out.append(CompoundRun(c, zero_run(months, totals.get(c.pk, {})),
                               max(months) if months else None))
    return out


def district_runs(prefix: str, before: dt.date) -> list[CompoundRun]:
    """Every compound under the code prefix with its run as at `before` (the first day after a
    period): over the approved returns of the months before it. No user scope: the indicator
    source (indicators/sources_incidents.py) computes a district's figures, and its readers are
    scoped where they read them."""
    return _runs(list(Compound.objects.filter(region__code__startswith=prefix)
                      .only("pk", "region_id", "name").order_by("pk")), before)


def listed_in(prefix: str, month: dt.date) -> set[int]:
    """The compounds (ids) the district's approved return of `month` lists, with or without
    incidents."""
    return set(IncidentCount.objects.filter(
        incident_return__district_id=district_code(prefix),
        incident_return__status=IncidentReturn.Status.APPROVED,
        incident_return__month=month).values_list("compound_id", flat=True))


def has_returns(prefix: str, start: dt.date, end: dt.date) -> bool:
    """Whether the district of `prefix` has an approved return of a month from `start` to before
    `end`: a period without one has no 零发案 figure (missing is not zero)."""
    return IncidentReturn.objects.filter(district_id=district_code(prefix),
                                         status=IncidentReturn.Status.APPROVED,
                                         month__gte=start, month__lt=end).exists()


def runs_for(user, prefix: str = "") -> list[CompoundRun]:
    """Every compound the user reads figures for (under `prefix`), longest run first."""
    qs = compounds_in_view(user).select_related("region")
    if prefix:
        qs = qs.filter(region__code__startswith=prefix)
    runs = _runs(list(qs.order_by("region_id", "name")))
    return sorted(runs, key=lambda r: (-r.months, r.compound.region_id, r.compound.name))


def zero_run_of(user, compound: Compound) -> CompoundRun | None:
    """The compound page's figure, or None for a user who does not read it there."""
    if not can_view(user, compound.region_id):
        return None
    return _runs([compound])[0]


def streak_count(runs: list[CompoundRun], months: int = STREAK) -> int:
    """连续12个月及以上零发案的小区数."""
    return sum(1 for r in runs if r.months >= months)


# --- import ----------------------------------------------------------------------------------


def _month(t: str) -> dt.date:
    d = date()(t).replace(day=1)
    if d < EARLIEST:
        raise CellError(f"月份不能早于 {EARLIEST.year} 年，收到“{t}”")
    if d > this_month():
        raise CellError(f"月份不能在本月之后，收到“{t}”")
    return d


def _count(t: str) -> int:
    n = uint(t)
    if n > MAX_COUNT:
        raise CellError(f"应为 0–{MAX_COUNT} 之间的整数，收到“{t}”")
    return n


def _compound_id(t: str) -> int:
    n = uint(t)
    if not 0 < n < 2**31:
        raise CellError(f"不是有效的小区编号，收到“{t}”")
    return n


COLUMNS = (
    Column("month", "月份", _month, required=True, width=12, format="年月，如 2026年11月、2026-11",
           note="如 2026年11月、2026-11；不能在本月之后"),
    Column("compound_id", "小区编号", _compound_id, width=10, text=True, format="正整数",
           note="平台的小区编号（小区页面地址中的数字）；填写后按编号匹配"),
    Column("community", "所属社区", text(100), width=20,
           note="两个小区同名时用来区分"),
    Column("compound", "小区名称", text(100), width=24,
           note="未填小区编号时必填，须为本区已登记的小区"),
    Column("criminal", "刑事案件数", _count, required=True, width=12, format="非负整数",
           note=f"0–{MAX_COUNT} 的整数"),
    Column("public_order", "治安案件数", _count, required=True, width=12, format="非负整数",
           note=f"0–{MAX_COUNT} 的整数"),
)


class _IncidentImport(TableImport):
    label = LABEL
    columns = COLUMNS

    def __init__(self, user, district: Region, filename: str, request=None) -> None:
        super().__init__()
        self.user, self.district, self.filename, self.request = user, district, filename, request

    def resolve(self, rows: list[Row]) -> dict[dt.date, list[tuple[Compound, int, int]]]:
        compounds = list(Compound.objects.in_region(self.district.code).select_related("region"))
        by_id = {c.pk: c for c in compounds}
        by_name: dict[str, list[Compound]] = defaultdict(list)
        for c in compounds:
            by_name[norm(c.name)].append(c)
        seen: dict[tuple[dt.date, int], int] = {}
        out: dict[dt.date, list[tuple[Compound, int, int]]] = defaultdict(list)
        for r in rows:
            c = self._compound(r, by_id, by_name)
            if c is None or not {"month", "criminal", "public_order"} <= r.val.keys():
                continue
            key = (r.val["month"], c.pk)
            if key in seen:
                self.error(r, "compound", f"与第{seen[key]}行是同一小区的同一月份")
                continue
            seen[key] = r.num
            out[r.val["month"]].append((c, r.val["criminal"], r.val["public_order"]))
        return out

    def _compound(self, r: Row, by_id: dict, by_name: dict) -> Compound | None:
        for key in ("compound_id", "compound", "community"):
            if key in self.positions and key not in r.val:
                return None  # the cell was refused (and reported) already
        if r.val.get("compound_id"):
            c = by_id.get(r.val["compound_id"])
            if c is None:
                self.error(r, "compound_id", f"{self.district.name}没有这个小区编号")
            elif r.val.get("compound") and norm(r.val["compound"]) != norm(c.name):
                self.error(r, "compound", f"与小区编号不符：编号 {c.pk} 是“{c.name}”")
                return None
            return c
        name = r.val.get("compound")
        if not name:
            self.error(r, "compound", "小区编号和小区名称至少填写一项")
            return None
        found = by_name.get(norm(name), [])
        community = r.val.get("community")
        if community:
            found = [c for c in found if norm(c.region.name) == norm(community)]
        if not found:
            self.error(r, "compound", f"{self.district.name}没有登记这个小区"
                       + ("（在所填社区中）" if community else ""))
            return None
        if len(found) > 1:
            self.error(r, "compound", "有多个同名小区，请填写小区编号或所属社区")
            return None
        return found[0]

    def write(self, pending: dict[dt.date, list[tuple[Compound, int, int]]]) -> ImportResult:
        now = timezone.now()
        replaced = 0
        self.returns = []
        for month, rows in sorted(pending.items()):
            deleted, _d = IncidentReturn.objects.filter(
                district=self.district, month=month, status=IncidentReturn.Status.DRAFT).delete()
            replaced += 1 if deleted else 0
            ret = IncidentReturn.objects.create(
                district=self.district, month=month, filename=self.filename[:200],
                imported_by=self.user, imported_at=now)
            IncidentCount.objects.bulk_create(
                IncidentCount(incident_return=ret, compound=c, criminal=a, public_order=b)
                for c, a, b in rows)
            self.returns.append(ret)
        return ImportResult(created=len(pending) - replaced, updated=replaced)

    def audit(self, result: ImportResult, pending: Any) -> None:
        months = "、".join(f"{r.month:%Y-%m}" for r in self.returns)
        masking.log(self.user, AuditLog.Action.IMPORT, object_type="cases.incidentreturn",
                    region_code=self.district.code,
                    detail=f"导入{LABEL}（待审核）：{months}（文件 {self.filename or '未命名'}）",
                    request=self.request)


def import_returns(user, district: Region, content: bytes, filename: str, *,
                   request=None) -> ImportResult:
    """Import a file of returns for `district` as drafts: created = new months, updated = months
    whose draft was replaced. Raises ImportRejected (nothing written) or PermissionDenied."""
    if not can_import(user, district):
        raise PermissionDenied("只有对全区有数据填报或审核权限的用户可以导入警情月报")
    return _IncidentImport(user, district, filename, request).run(content, filename)


# --- approval --------------------------------------------------------------------------------


@transaction.atomic
def do_approve(user, return_id: int, *, request=None) -> IncidentReturn:
    """Approve a draft: it counts from now on, and an earlier approved return of the same month
    (the one it corrects) is marked superseded."""
    r = IncidentReturn.objects.select_for_update(of=("self",)).select_related("district").filter(
        pk=return_id).first()
    if r is None or not can_view(user, r.district_id):
        raise PermissionDenied("没有这份警情月报")
    if not scope_of(user).has_right(APPROVE_DATA, r.district_id):
        raise PermissionDenied("只有对本区有数据审核权限的用户可以审核警情月报")
    if r.status != IncidentReturn.Status.DRAFT:
        raise ValidationError("这份警情月报已经审核过了")
    if r.imported_by_id == user.pk:
        raise ValidationError("不能审核自己导入的警情月报，请由另一位有审核权限的同事审核")
    old = list(IncidentReturn.objects.select_for_update().filter(
        district=r.district, month=r.month, status=IncidentReturn.Status.APPROVED))
    IncidentReturn.objects.filter(pk__in=[o.pk for o in old]).update(
        status=IncidentReturn.Status.SUPERSEDED)
    r.status, r.approved_by, r.approved_at = IncidentReturn.Status.APPROVED, user, timezone.now()
    r.save(update_fields=["status", "approved_by", "approved_at"])
    masking.log(user, AuditLog.Action.UPDATE, r, region_code=r.district_id,
                detail=f"审核通过{LABEL}：{r.district.name} {r.month:%Y-%m}"
                       + ("（更正此前已审核的月报）" if old else ""), request=request)
    return r


# --- template --------------------------------------------------------------------------------


def template() -> tuple[bytes, str, str]:
    """An empty import template: (content, content_type, filename)."""
    content = template_xlsx(LABEL, COLUMNS, (
        "第1行为表头（带 * 的为必填列），请勿修改列名；从第2行起每行一个小区一个月份。",
        "一个文件可以包含多个月份；每个月份导入后成为一份待审核的月报，须由另一位有审核权限的用户审核后才计入零发案统计。",
        "重新导入某个月份会替换该月待审核的月报；已审核的月报不会被覆盖，新导入的作为更正，审核通过后取代原月报。",
        "月报中没有列出的小区，该月不算零发案（没有数据不等于零）。",
        "文件中只要有一处问题，整个文件都不会导入，并会列出所有问题。",
    ), mark_required=True)
    return content, XLSX_TYPE, f"{LABEL}导入模板.xlsx"


# --- demo ------------------------------------------------------------------------------------


def demo_returns(district: Region, months: int = 18) -> int:
    """Approved returns for the `months` complete months before this one, for the district's
    compounds without a property company (the 智慧平安 compounds), labelled generated: most
    months without incident, a few compounds with one now and then. Skipped if any exist."""
    if IncidentReturn.objects.filter(district=district).exists():
        return 0
    rng = random.Random(f"minsheng-incidents-{district.code}")  # noqa: S311 - not security
    compounds = list(Compound.objects.in_region(district.code).filter(
        property_company__isnull=True).order_by("pk"))
    if not compounds:
        return 0
    # about one in six compounds had an incident, at a random month; the rest none
    struck = {c.pk: rng.randrange(months) for c in compounds if rng.random() < 1 / 6}
    now = timezone.now()
    m = this_month()
    for i in range(months):
        m = month_before(m)
        ret = IncidentReturn.objects.create(
            district=district, month=m, status=IncidentReturn.Status.APPROVED,
            filename="演示数据（生成）", imported_at=now, approved_at=now, generated=True)
        IncidentCount.objects.bulk_create(
            IncidentCount(incident_return=ret, compound=c,
                          criminal=int(struck.get(c.pk) == i and rng.random() < 0.3),
                          public_order=int(struck.get(c.pk) == i))
            for c in compounds)
    return months
