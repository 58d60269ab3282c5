"""The rules of 防返贫 monitoring, in one place and without Django (A.1 of the assistance brief):

- which dated threshold is in force for a region on a day (`in_force`), and whether an amount
  reaches it (`reaches`);
- the identification workflow as a state machine (`STEPS`, `step_for`): home check → consent →
  data match → village review → notice → town review → district approval ⇒ monitored, or
  dismissed with a reason from any state before monitoring; a removed household may re-enter
  through a new case;
- the removal review (风险消除, `review_removal`): five conditions and two guards, with reasons;
- what counts as a household that fell (back) into poverty (`fell_into_poverty`);
- what makes a 零就业家庭 (`zero_employment`): the platform's employment-register check raises an
  alert for it (monitoring.raise_zero_employment_alerts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

# --- thresholds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    region_code: str  # 12 digits; applies to the region's subtree (code prefix)
    kind: str
    amount: Decimal
    valid_from: dt.date
    valid_to: dt.date | None = None


def prefix_of(code: str) -> str:
    """A 12-digit region code's subtree prefix: 131002000000 → 131002, 131002001000 → 131002001."""
    for n in (2, 4, 6, 9):
        if code[n:].strip("0") == "":
            return code[:n]
    return code


def in_force(thresholds: Iterable[Threshold], kind: str, region_code: str,
             on: dt.date) -> Threshold | None:
    """The threshold of `kind` in force for `region_code` on `on`: among those whose region
    contains it and whose dates cover the day, the most local one, then the latest start."""
    best: Threshold | None = None
    for t in thresholds:
        if t.kind != kind or not region_code.startswith(prefix_of(t.region_code)):
            continue
        if t.valid_from > on or (t.valid_to is not None and t.valid_to < on):
            continue
        key = (len(prefix_of(t.region_code)), t.valid_from)
        if best is None or key > (len(prefix_of(best.region_code)), best.valid_from):
            best = t
    return best


def reaches(amount: Decimal | None, threshold: Threshold | None) -> bool:
    """A spending (medical bill, disaster loss …) at or above its warning line raises an alert."""
    return amount is not None and threshold is not None and amount >= threshold.amount


# --- the identification workflow -------------------------------------------------------------

HOME_CHECK, CONSENT, DATA_MATCH = "home_check", "consent", "data_match"
VILLAGE_REVIEW, NOTICE, TOWN_REVIEW = "village_review", "notice", "town_review"
DISTRICT_APPROVAL, MONITORED = "district_approval", "monitored"
REMOVED, DISMISSED = "removed", "dismissed"

# Who acts at each level: the village (community staff, grid workers), the town (street office)
# or the district (the rural-revitalisation office).
VILLAGE, TOWN, DISTRICT = "village", "town", "district"


@dataclass(frozen=True)
class Step:
    code: str
    label: str  # Chinese; translated where shown
    source: str  # the state it starts from
    target: str  # the state it leads to
    level: str


STEPS: tuple[Step, ...] = (
    Step("home_check", "入户核查", HOME_CHECK, CONSENT, VILLAGE),
    Step("consent", "农户承诺授权", CONSENT, DATA_MATCH, VILLAGE),
    Step("data_match", "部门信息比对", DATA_MATCH, VILLAGE_REVIEW, DISTRICT),
    Step("village_review", "村级民主评议", VILLAGE_REVIEW, NOTICE, VILLAGE),
    Step("notice", "村级公示（无异议）", NOTICE, TOWN_REVIEW, VILLAGE),
    Step("town_review", "乡镇（街道）审核", TOWN_REVIEW, DISTRICT_APPROVAL, TOWN),
    Step("district_approval", "区级审定，纳入监测", DISTRICT_APPROVAL, MONITORED, DISTRICT),
)
IDENTIFYING = tuple(s.source for s in STEPS)  # the states before monitoring
OPEN_STATES = (*IDENTIFYING, MONITORED)  # a household has at most one case in these
DISMISS_LEVEL = TOWN  # dismissing needs the town or the district (village cadres propose)


class StepError(ValueError):
    """A step that does not follow from the case's state."""


def step_for(state: str, step_code: str) -> Step:
    """The step, if it may be taken from `state`; StepError (in Chinese) otherwise."""
    for s in STEPS:
        if s.code == step_code:
            if s.source != state:
                raise StepError(f"当前状态下不能办理“{s.label}”")
            return s
    raise StepError(f"未知的步骤“{step_code}”")


def next_step(state: str) -> Step | None:
    return next((s for s in STEPS if s.source == state), None)


def can_dismiss(state: str) -> bool:
    return state in IDENTIFYING


# --- category ----------------------------------------------------------------------------------


def suggest_category(*, was_registered_poor: bool, per_capita_income: Decimal | None,
                     monitoring_line: Decimal | None, sudden: bool) -> str:
    """The category the records suggest (staff decide): below the line a former poor household is
    脱贫不稳定户 and another 边缘易致贫户; at or above it, only a sudden hardship qualifies."""
    below = (per_capita_income is not None and monitoring_line is not None
             and per_capita_income < monitoring_line)
    if below:
        return "unstable_exited" if was_registered_poor else "marginal"
    return "sudden_hardship" if sudden else ""


# --- removal review --------------------------------------------------------------------------

MIN_MONTHS = 6
MIN_MEASURES = 1


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end (2026-01-31 → 2026-07-30 is 5, → 2026-07-31 is 6)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


@dataclass(frozen=True)
class ReviewInput:
    identified_on: dt.date
    reviewed_on: dt.date
    measures: int
    able_to_work: int  # members with full or partial labour capacity
    per_capita_income: Decimal
    monitoring_line: Decimal
    income_stable: bool
    spending_resolved: bool
    guarantees_secure: bool
    risk_gone: bool


@dataclass(frozen=True)
class ReviewResult:
    passed: bool
    months_monitored: int
    reasons: tuple[str, ...]  # every condition and guard, met (✓) or not (✗)


def review_removal(r: ReviewInput) -> ReviewResult:
    """风险消除: all five conditions and both guards must hold. The guards: monitored at least six
    months and at least one measure; a household with no member able to work stays monitored
    (the Wuhu Yijiang 2024 rules quoted in A.1; no quota)."""
    months = months_between(r.identified_on, r.reviewed_on)
    above = r.per_capita_income > r.monitoring_line
    checks = (
        (r.income_stable, "收入持续稳定半年以上"),
        (above, f"家庭年人均纯收入 {r.per_capita_income} 元"
                f"{'高于' if above else '未高于'}当年监测范围 {r.monitoring_line} 元"),
        (r.spending_resolved, "大额刚性支出问题已稳定解决"),
        (r.guarantees_secure, "“三保障”和饮水安全有保障"),
        (r.risk_gone, "返贫致贫风险已稳定消除或自然消除"),
        (months >= MIN_MONTHS, f"已监测 {months} 个月（至少 {MIN_MONTHS} 个月）"),
        (r.measures >= MIN_MEASURES, f"已落实帮扶措施 {r.measures} 项（至少 {MIN_MEASURES} 项）"),
        (r.able_to_work > 0, "家中有劳动能力的成员" if r.able_to_work
         else "家中无劳动能力成员：不标注风险消除，继续监测帮扶"),
    )
    reasons = tuple(("✓ " if ok else "✗ ") + text for ok, text in checks)
    return ReviewResult(all(ok for ok, _ in checks), months, reasons)


# --- who fell (back) into poverty ---------------------------------------------------------------


def fell_into_poverty(per_capita_income: Decimal | None, poverty_line: Decimal | None) -> bool:
    """A household counted as 返贫致贫: identified (approved by the district) with a per-capita
    annual net income below the poverty line (脱贫标准) in force on the day of approval. It is
    返贫 when the household was registered poor before (category 脱贫不稳定户), 致贫 otherwise.
    A household monitored because it is *at risk* but still above the line has not fallen."""
    return (per_capita_income is not None and poverty_line is not None
            and per_capita_income < poverty_line)


# --- 零就业家庭 (zero-employment households) ----------------------------------------------------


@dataclass(frozen=True)
class WorkingAge:
    """法定劳动年龄 in a region on a day: from `from_age` (included) to the retirement age (not
    included) by sex; a person whose sex is not recorded is counted to the men's age. Dated
    configuration per region (MonitoringThreshold kinds working_age_*, read by
    monitoring.working_age_rule, the one reader); DEFAULT_WORKING_AGE only where none is set."""

    from_age: int
    male_until: int
    female_until: int
    source: str = ""

    def until(self, sex: str) -> int:
        return self.female_until if sex == "female" else self.male_until


# 16 (劳动法 第十五条) to 60 for men and 55 for women: the ages before the gradual rise from
# 2025, which moves them by months per birth cohort; a region sets its own from a date
DEFAULT_WORKING_AGE = WorkingAge(16, 60, 55, "默认：劳动法第十五条；退休年龄按男60周岁、女55周岁")


@dataclass(frozen=True)
class Member:
    birth_date: dt.date
    sex: str  # "male", "female" or ""
    able: bool  # labour capacity: full or partial
    employed: bool  # an employment record running on the day
    registered_unemployed: bool  # an open unemployment registration on the day


def age_on(birth_date: dt.date, on: dt.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def working_age(birth_date: dt.date, sex: str, on: dt.date,
                rule: WorkingAge = DEFAULT_WORKING_AGE) -> bool:
    return rule.from_age <= age_on(birth_date, on) < rule.until(sex)


def zero_employment(members: Iterable[Member], on: dt.date,
                    rule: WorkingAge = DEFAULT_WORKING_AGE) -> bool:
    """A 零就业家庭 on the day: it has members of working age able to work, none of them is in
    employment, and at least one of them is registered unemployed (the wish to work that the
    definition asks for, from the employment registers)."""
    workers = [m for m in members if m.able and working_age(m.birth_date, m.sex, on, rule)]
    return bool(workers) and not any(m.employed for m in workers) and any(
        m.registered_unemployed for m in workers)
