"""Eligibility for social-assistance programmes: pure rules over a household's facts and the
region's dated standards, each result with the rule that decided and its legal source.

No Django here (enforced by tests/assistance/test_eligibility.py): the registry, the CLI
(`minsheng assistance assess`) and the enrolment pages all call `assess(household, standards)`.
Thresholds are never written in this module; they arrive as `Standards` (dated data per region,
see assistance/models.py Standard).

Rules (national; a province may widen them — the amounts are always local):

| programme | requirement | source |
| --- | --- | --- |
| 低保 | per-capita monthly income **below** the 低保标准 and property within the local rules | 社会救助暂行办法 第九条 |
| 低保边缘 | not 低保, per-capita income from 1× up to and including `edge_multiplier` × the standard (1.5×), property within the rules | 国办发〔2023〕39号 |
| 特困 | a member who is 60+, under 16 or disabled, and meets all three: 无劳动能力, 无生活来源 (own income below the 低保标准), 无法定义务人 (none, or none able to support); 集中供养 for one who cannot look after themselves, else 分散供养 | 社会救助暂行办法 第十四条；特困人员认定办法 |
| 孤儿 | under 18 with both parents dead or missing; **takes precedence over 特困** for that child | 特困人员认定办法；国办发〔2010〕54号 |
| 临时救助 | 急难型 (a sudden hardship recorded) or 支出型 (rigid spending brings per-capita income net of it below the standard): always 需人工认定 — the amount and the urgency are a caseworker's decision | 社会救助暂行办法 第四十七条；国发〔2014〕47号 |

Property (财产): where the region's standards set asset limits (dated data: per-capita savings,
vehicles, homes, business stakes; the brief's local example is no private vehicle, at most one
home, stakes ≤ 10万元), the assessment's assets are compared with them and the rule that
decided is written beside the income rule; a limit not configured is not checked. The worker's
own finding (`assets_within_rules`, e.g. a non-residential property no limit describes) still
counts: either failing makes the household's property not within the rules.

Comparisons are exact (total income against standard × members), so a household exactly at the
standard is never taken for one below it by rounding.

>>> s = Standards(dibao=Decimal("800"))
>>> h = Household("H1", (Member("甲", 45, monthly_income=Decimal("1600")),
...                      Member("乙", 44, monthly_income=Decimal("0"))))
>>> [(r.programme, r.verdict) for r in assess(h, s)]
[('低保', '不符合'), ('低保边缘', '符合'), ('特困', '不符合'), ('孤儿', '不符合'), ('临时救助', '不符合')]
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["ELIGIBLE", "INELIGIBLE", "MANUAL", "PROGRAMMES", "SOURCES", "AssetLimits", "Assets",
           "Household", "Member", "Result", "Standards", "assess", "assets_rule", "counted_monthly_income", "per_capita_income",
           "window_months", "window_start"]

ELIGIBLE, INELIGIBLE, MANUAL = "符合", "不符合", "需人工认定"
DIBAO, EDGE, TEKUN, ORPHAN, TEMPORARY = "低保", "低保边缘", "特困", "孤儿", "临时救助"
PROGRAMMES = (DIBAO, EDGE, TEKUN, ORPHAN, TEMPORARY)
SOURCES = {
    DIBAO: "《社会救助暂行办法》第九条；《最低生活保障审核确认办法》（民发〔2021〕57号）",
    EDGE: "《关于加强低收入人口动态监测做好分层分类社会救助工作的意见》（国办发〔2023〕39号）",
    TEKUN: "《社会救助暂行办法》第十四条；《特困人员认定办法》（民发〔2021〕43号）第六至九条",
    ORPHAN: "《特困人员认定办法》（民发〔2021〕43号）；《国务院办公厅关于加强孤儿保障工作的意见》"
            "（国办发〔2010〕54号）",
    TEMPORARY: "《社会救助暂行办法》第四十七条；《国务院关于全面建立临时救助制度的通知》"
               "（国发〔2014〕47号）",
}
ELDERLY_AGE, MINOR_AGE, ORPHAN_AGE = 60, 16, 18
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Member:
    """One member as eligibility sees them. `monthly_income` is counted income (exclusions such
    as the basic pension and 高龄津贴 already taken out by the assessment)."""

    name: str
    age: int
    labour: str = "full"  # full / partial / none (Person.Labour)
    disability_grade: str = ""  # "" or "1".."4"
    monthly_income: Decimal = Decimal(0)
    has_able_supporter: bool = False  # a legally obliged supporter able to support them
    parents_deceased_or_missing: bool = False
    self_care: bool = True  # can look after themselves (else 集中供养)


@dataclass(frozen=True)
class Assets:
    """The household's property as the assessment recorded it."""

    savings: Decimal = Decimal(0)  # 存款及有价证券, 元, the whole household
    vehicles: int = 0
    homes: int = 0
    business_stake: Decimal = Decimal(0)  # 经营性资产, 元


@dataclass(frozen=True)
class AssetLimits:
    """The region's asset limits in force (None: not configured, not checked), with the source
    of each configured one."""

    savings_per_capita: Decimal | None = None  # 元 per member, at most
    vehicles: Decimal | None = None  # at most
    homes: Decimal | None = None  # at most
    business_stake: Decimal | None = None  # 元, at most
    source: str = ""

    @property
    def configured(self) -> bool:
        return any(v is not None for v in (self.savings_per_capita, self.vehicles, self.homes,
                                           self.business_stake))


@dataclass(frozen=True)
class Household:
    number: str
    members: tuple[Member, ...]
    rigid_spending_yearly: Decimal = Decimal(0)  # medical, schooling, disaster … over 12 months
    assets_within_rules: bool = True
    emergency: str = ""  # a sudden hardship (火灾、交通事故、突发重病 …), blank if none
    monthly_income: Decimal | None = None  # the household's counted income; default: members' sum
    assets: Assets | None = None  # recorded property; None: only the worker's finding counts

    @property
    def total_income(self) -> Decimal:
        if self.monthly_income is not None:
            return self.monthly_income
        return sum((m.monthly_income for m in self.members), Decimal(0))


@dataclass(frozen=True)
class Standards:
    """The region's standards in force, for the household's area (urban or rural)."""

    dibao: Decimal  # 低保标准, 元 per person per month
    edge_multiplier: Decimal = Decimal("1.5")
    source: str = ""  # where the amounts come from (a local document)
    verified: bool = False
    asset_limits: AssetLimits = field(default_factory=AssetLimits)


@dataclass(frozen=True)
class Result:
    programme: str
    verdict: str  # 符合 / 不符合 / 需人工认定
    rule: str  # the rule that decided, in words, with the figures
    source: str  # the legal source of the rule
    members: tuple[str, ...] = field(default=())  # who qualifies (特困, 孤儿)


def window_months(start_year: int, start_month: int, end_year: int, end_month: int) -> int:
    """Whole months of an assessment window, both ends included.

    >>> window_months(2025, 7, 2026, 6)
    12
    """
    return (end_year - start_year) * 12 + end_month - start_month + 1


def window_start(end: dt.date, months: int) -> dt.date:
    """The first day of a window of `months` months ending on `end` (inclusive).

    >>> window_start(dt.date(2026, 6, 30), 12), window_start(dt.date(2024, 2, 29), 12)
    (datetime.date(2025, 7, 1), datetime.date(2023, 3, 1))
    """
    y, m = divmod(end.month - 1 - months, 12)
    year, month = end.year + y, m + 1
    start = dt.date(year, month, min(end.day, calendar.monthrange(year, month)[1]))
    return start + dt.timedelta(days=1)


def counted_monthly_income(items: list[tuple[str, Decimal]], excluded: set[str] | frozenset[str],
                           months: int) -> Decimal:
    """Monthly income counted from (kind, amount over the window) items, the excluded kinds
    (basic pension, 高龄津贴 … as configured for the region) left out. Exact, not rounded.

    >>> counted_monthly_income([("wages", Decimal("24000")), ("pension", Decimal("12000"))],
    ...                        {"pension"}, 12)
    Decimal('2000')
    """
    if months <= 0:
        raise ValueError("计算期至少一个月")
    return sum((a for k, a in items if k not in excluded), Decimal(0)) / months


def per_capita_income(h: Household) -> Decimal:
    """Per-capita monthly income, rounded to the fen (for display; rules compare exactly)."""
    if not h.members:
        return Decimal(0)
    return (h.total_income / len(h.members)).quantize(CENT, ROUND_HALF_UP)


def _yuan(x: Decimal) -> str:
    return f"{x.quantize(CENT, ROUND_HALF_UP)}"


def _unable_to_work(m: Member) -> bool:
    """无劳动能力 (特困人员认定办法 第六条): 60+, under 16, a grade-1 disability, or a disabled
    person the worker assessed as unable to work (the grade-1/2 intellectual or mental case)."""
    return (m.age >= ELDERLY_AGE or m.age < MINOR_AGE or m.disability_grade == "1"
            or (m.disability_grade != "" and m.labour == "none"))


def _tekun_category(m: Member) -> bool:
    return m.age >= ELDERLY_AGE or m.age < MINOR_AGE or m.disability_grade != ""


def _is_orphan(m: Member) -> bool:
    return m.age < ORPHAN_AGE and m.parents_deceased_or_missing


def assets_rule(h: Household, s: Standards) -> tuple[bool, str]:
    """Whether the household's property is within the rules, and the rule in words: each
    configured limit against the recorded assets (exactly at a limit is within it), then the
    worker's finding.

    >>> lim = AssetLimits(savings_per_capita=Decimal("20000"), vehicles=Decimal("0"))
    >>> h = Household("H", (Member("甲", 40), Member("乙", 40)),
    ...               assets=Assets(savings=Decimal("40000"), vehicles=1))
    >>> assets_rule(h, Standards(Decimal("800"), asset_limits=lim))
    (False, '财产：人均存款及有价证券 20000.00 元，不超过上限 20000.00 元；机动车 1 辆，超过上限 0 辆')
    """
    lim, a = s.asset_limits, h.assets
    parts, ok = [], True
    if lim.configured and a is not None:
        n = len(h.members) or 1
        checks = []
        if lim.savings_per_capita is not None:
            checks.append(("人均存款及有价证券", a.savings, lim.savings_per_capita * n,
                           f"{_yuan(a.savings / n)} 元", f"{_yuan(lim.savings_per_capita)} 元"))
        if lim.vehicles is not None:
            checks.append(("机动车", Decimal(a.vehicles), lim.vehicles, f"{a.vehicles} 辆",
                           f"{int(lim.vehicles)} 辆"))
        if lim.homes is not None:
            checks.append(("住房", Decimal(a.homes), lim.homes, f"{a.homes} 套",
                           f"{int(lim.homes)} 套"))
        if lim.business_stake is not None:
            checks.append(("经营性资产", a.business_stake, lim.business_stake,
                           f"{_yuan(a.business_stake)} 元", f"{_yuan(lim.business_stake)} 元"))
        for label, value, limit, shown, limit_shown in checks:
            within = value <= limit
            ok = ok and within
            parts.append(f"{label} {shown}，{'不超过' if within else '超过'}上限 {limit_shown}")
    if not h.assets_within_rules:
        ok = False
        parts.append("经办人员核定财产状况不符合当地规定")
    if not parts:
        return True, ""
    return ok, "财产：" + "；".join(parts)


def _with(rule: str, assets: str) -> str:
    return f"{rule}；{assets}" if assets else rule


def _source(programme: str, s: Standards) -> str:
    src = SOURCES[programme]
    return f"{src}；{s.asset_limits.source}" if s.asset_limits.source else src


def _dibao(h: Household, s: Standards) -> Result:
    n = len(h.members)
    pc = per_capita_income(h)
    assets_ok, assets = assets_rule(h, s)
    if not assets_ok:
        return Result(DIBAO, INELIGIBLE, assets or "家庭财产状况不符合当地低保规定",
                      _source(DIBAO, s))
    if h.total_income < s.dibao * n:
        return Result(DIBAO, ELIGIBLE, _with(f"人均月收入 {pc} 元低于低保标准 {_yuan(s.dibao)} 元",
                                             assets), _source(DIBAO, s))
    return Result(DIBAO, INELIGIBLE, f"人均月收入 {pc} 元不低于低保标准 {_yuan(s.dibao)} 元",
                  SOURCES[DIBAO])


def _edge(h: Household, s: Standards, dibao: Result) -> Result:
    n = len(h.members)
    pc = per_capita_income(h)
    ceiling = s.dibao * s.edge_multiplier
    if dibao.verdict == ELIGIBLE:
        return Result(EDGE, INELIGIBLE, "已符合低保条件，按低保认定", SOURCES[EDGE])
    assets_ok, assets = assets_rule(h, s)
    if not assets_ok:
        return Result(EDGE, INELIGIBLE, assets or "家庭财产状况不符合当地规定", _source(EDGE, s))
    if h.total_income <= ceiling * n:
        return Result(EDGE, ELIGIBLE, _with(
            f"人均月收入 {pc} 元在低保标准的 1 至 {s.edge_multiplier:g} 倍"
            f"（{_yuan(s.dibao)}～{_yuan(ceiling)} 元）之间", assets), _source(EDGE, s))
    return Result(EDGE, INELIGIBLE, f"人均月收入 {pc} 元高于低保标准的 {s.edge_multiplier:g} 倍"
                  f"（{_yuan(ceiling)} 元）", SOURCES[EDGE])


def _tekun(h: Household, s: Standards) -> Result:
    qualify, orphans_instead = [], []
    assets_ok, assets = assets_rule(h, s)
    for m in h.members:
        ok = (_tekun_category(m) and _unable_to_work(m) and m.monthly_income < s.dibao
              and not m.has_able_supporter and assets_ok)
        if ok and _is_orphan(m):
            orphans_instead.append(m)
        elif ok:
            qualify.append(m)
    if qualify:
        modes = "；".join(f"{m.name}（{'集中供养' if not m.self_care else '分散供养'}）"
                         for m in qualify)
        rule = ("无劳动能力、无生活来源（本人月收入低于低保标准 "
                f"{_yuan(s.dibao)} 元）、无法定义务人或义务人无履行能力：{modes}")
        if orphans_instead:
            rule += "；" + "、".join(m.name for m in orphans_instead) + " 按孤儿保障，不认定为特困"
        return Result(TEKUN, ELIGIBLE, _with(rule, assets), _source(TEKUN, s),
                      tuple(m.name for m in qualify))
    if orphans_instead:
        return Result(TEKUN, INELIGIBLE, "、".join(m.name for m in orphans_instead)
                      + " 同时符合孤儿和特困条件，按孤儿基本生活保障，不再认定为特困人员",
                      SOURCES[TEKUN] + "；" + SOURCES[ORPHAN])
    reasons = []
    for m in h.members:
        if not _tekun_category(m):
            continue
        why = []
        if not _unable_to_work(m):
            why.append("有劳动能力")
        if m.monthly_income >= s.dibao:
            why.append(f"本人月收入 {_yuan(m.monthly_income)} 元不低于低保标准")
        if m.has_able_supporter:
            why.append("有具备履行能力的法定义务人")
        if not assets_ok:
            why.append(assets or "财产不符合规定")
        reasons.append(f"{m.name}：{'、'.join(why)}")
    rule = ("；".join(reasons) if reasons
            else "家庭中没有老年人（60周岁以上）、残疾人或未满16周岁的未成年人")
    return Result(TEKUN, INELIGIBLE, rule, SOURCES[TEKUN])


def _orphan(h: Household) -> Result:
    orphans = [m for m in h.members if _is_orphan(m)]
    if orphans:
        return Result(ORPHAN, ELIGIBLE, "未满18周岁，父母双方均死亡或失踪："
                      + "、".join(m.name for m in orphans) + "（孤儿保障优先于特困供养）",
                      SOURCES[ORPHAN], tuple(m.name for m in orphans))
    return Result(ORPHAN, INELIGIBLE, "没有未满18周岁且父母双亡或失踪的成员", SOURCES[ORPHAN])


def _temporary(h: Household, s: Standards) -> Result:
    if h.emergency.strip():
        return Result(TEMPORARY, MANUAL, f"急难型：{h.emergency.strip()}；可先行救助，"
                      "救助金额和方式由经办人员认定", SOURCES[TEMPORARY])
    if h.rigid_spending_yearly > 0:
        n = len(h.members)
        net = h.total_income - h.rigid_spending_yearly / 12
        if net < s.dibao * n:
            pc_net = (net / n).quantize(CENT, ROUND_HALF_UP)
            return Result(TEMPORARY, MANUAL, f"支出型：扣除刚性支出后人均月收入 {pc_net} 元低于低保标准 "
                          f"{_yuan(s.dibao)} 元，需核实支出后认定", SOURCES[TEMPORARY])
    return Result(TEMPORARY, INELIGIBLE, "没有急难情形，刚性支出未使家庭陷入困难", SOURCES[TEMPORARY])


def assess(h: Household, s: Standards) -> list[Result]:
    """The household's result for each programme, in PROGRAMMES order."""
    if not h.members:
        raise ValueError("家庭户没有成员")
    dibao = _dibao(h, s)
    return [dibao, _edge(h, s, dibao), _tekun(h, s), _orphan(h), _temporary(h, s)]
