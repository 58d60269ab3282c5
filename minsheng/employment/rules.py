"""The programme rules of B.2 (assistance-employment brief), pure Python (no Django): the pages,
the actions and the tests use them.

就业见习 (internship):
- who: a graduate within 2 years of leaving school (school leaving is taken as 1 July of the year
  of leaving), or an unemployed young person aged 16–24 (registered unemployed) at the start;
- once per person; not while in school, employed (a labour contract) or paying social insurance;
- 3–12 months; the host pays a monthly living allowance of at least the local minimum wage;
- the subsidy claim is months × minimum wage × share (e.g. 70 %), a higher share (110 %) when the
  host retained at least the threshold (50 %) of its interns; at most 12 months.

职业技能培训补贴 (training subsidy): 100 % of the standard with a certificate and work within 6
months, 80 % with the certificate only, nothing without a certificate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MIN_MONTHS, MAX_MONTHS = 3, 12
GRADUATE_YEARS = 2
YOUTH_AGES = (16, 24)

GRADUATE, YOUTH = "graduate", "youth"


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def left_school_on(year: int) -> dt.date:
    return dt.date(year, 7, 1)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Applicant:
    birth_date: dt.date
    graduate_year: int | None = None  # year of leaving school (高校毕业生)
    registered_unemployed: bool = False
    had_internship: bool = False
    employed: bool = False
    insured: bool = False  # paying social insurance as an employee
    in_school: bool = False


@dataclass(frozen=True)
class Eligibility:
    basis: str | None  # GRADUATE or YOUTH when eligible
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def internship_eligibility(a: Applicant, start: dt.date) -> Eligibility:
    """Who may start an internship on `start`; problems in Chinese, for the page.

    >>> internship_eligibility(Applicant(dt.date(2002, 5, 1), graduate_year=2024),
    ...                        dt.date(2026, 6, 30)).basis
    'graduate'
    >>> internship_eligibility(Applicant(dt.date(1990, 5, 1), graduate_year=2024),
    ...                        dt.date(2026, 7, 1)).problems
    ('不属于见习对象：离校已满2年的毕业生、16–24岁以外的人员不能参加',)
    """
    problems: list[str] = []
    if a.had_internship:
        problems.append("每人只能参加一次就业见习，此人已参加过")
    if a.in_school:
        problems.append("在校学生不能参加就业见习")
    if a.employed:
        problems.append("已就业（签订劳动合同）的人员不能参加就业见习")
    if a.insured:
        problems.append("已缴纳职工社会保险的人员不能参加就业见习")
    basis = None
    if a.graduate_year is not None and \
            start < add_years(left_school_on(a.graduate_year), GRADUATE_YEARS) and \
            start >= dt.date(a.graduate_year, 1, 1):
        basis = GRADUATE
    elif YOUTH_AGES[0] <= age_on(a.birth_date, start) <= YOUTH_AGES[1]:
        if a.registered_unemployed:
            basis = YOUTH
        else:
            problems.append("16–24岁青年须先办理失业登记")
    else:
        problems.append("不属于见习对象：离校已满2年的毕业生、16–24岁以外的人员不能参加")
    return Eligibility(basis if not problems else None, tuple(problems))


def internship_terms(months: int, allowance: Decimal, minimum_wage: Decimal | None) -> list[str]:
    """Problems with the agreement's terms (length, living allowance)."""
    problems = []
    if not MIN_MONTHS <= months <= MAX_MONTHS:
        problems.append(f"见习期限应为{MIN_MONTHS}–{MAX_MONTHS}个月")
    if minimum_wage is None:
        problems.append("本区没有该日期适用的最低工资标准，请先维护见习补贴标准")
    elif allowance < minimum_wage:
        problems.append(f"月生活补助不得低于当地最低工资标准（{minimum_wage}元）")
    return problems


def cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def internship_subsidy(months: int, minimum_wage: Decimal, share: Decimal, retained_share: Decimal,
                       retention: Decimal | None, threshold: Decimal) -> Decimal:
    """见习补贴: months (at most 12) × minimum wage × the share; the retained share when the
    host's retention rate reaches the threshold.

    >>> internship_subsidy(6, Decimal("1900"), Decimal("0.7"), Decimal("1.1"), None, Decimal("0.5"))
    Decimal('7980.00')
    >>> internship_subsidy(6, Decimal("1900"), Decimal("0.7"), Decimal("1.1"), Decimal("0.5"),
    ...                    Decimal("0.5"))
    Decimal('12540.00')
    """
    use = retained_share if retention is not None and retention >= threshold else share
    return cents(min(months, MAX_MONTHS) * minimum_wage * use)


def training_subsidy(standard: Decimal, certificate: bool, employed_within_6m: bool | None
                     ) -> Decimal:
    """The claim for one trainee from the course's standard.

    >>> training_subsidy(Decimal("1500"), True, True), training_subsidy(Decimal("1500"), True, None)
    (Decimal('1500.00'), Decimal('1200.00'))
    """
    if not certificate:
        return Decimal("0.00")
    return cents(standard if employed_within_6m else standard * Decimal("0.8"))


def youth(birth: dt.date, day: dt.date) -> bool:
    return YOUTH_AGES[0] <= age_on(birth, day) <= YOUTH_AGES[1]


# ID numbers (GB 11643): the check digit, to generate and to check demo and imported numbers
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_digit(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_valid(number: str) -> bool:
    return (len(number) == 18 and number[:17].isdigit()
            and id_check_digit(number[:17]) == number[17].upper())


def birth_of_id(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


# --- matching a job-seeker to a vacancy (人岗匹配) ------------------------------------------
# A score out of 100 with its reasons, so the worker sees why a vacancy is suggested:
# desired work against the vacancy's title and requirements (40), skills (20), distance by the
# region codes (same community 20, street 15, district 10), and the priority groups the vacancy
# is meant for (20: 公益性岗位 for 就业困难人员, 零就业家庭, 残疾人 and 脱贫劳动力; 见习岗位 for
# graduates within two years of leaving school and youth of 16–24).

W_WORK, W_SKILLS, W_PLACE, W_PRIORITY = 40, 20, 20, 20
PUBLIC_WELFARE, INTERNSHIP = "public_welfare", "internship"
_SEPARATORS = "，,、；;/ 　\t|"


@dataclass(frozen=True)
class Seeker:
    region_code: str
    desired_work: str = ""
    skills: str = ""
    birth_date: dt.date | None = None
    graduate_year: int | None = None
    hard_to_employ: bool = False
    zero_employment_household: bool = False
    disabled: bool = False
    out_of_poverty: bool = False
    veteran: bool = False


@dataclass(frozen=True)
class Opening:
    region_code: str
    title: str
    requirements: str = ""
    kind: str = "regular"


@dataclass(frozen=True)
class Match:
    score: int
    reasons: tuple[str, ...]


def _bigrams(text: str) -> set[str]:
    """Character bigrams (Chinese has no spaces), single characters for one-character words."""
    out: set[str] = set()
    for word in _terms(text):
        out |= {word} if len(word) == 1 else {word[i:i + 2] for i in range(len(word) - 1)}
    return out


def _terms(text: str) -> list[str]:
    for sep in _SEPARATORS:
        text = text.replace(sep, " ")
    return [t for t in text.lower().split() if t]


def _overlap(wanted: str, offered: str) -> float:
    """The share of the wanted text's bigrams found in the offered text (0–1)."""
    want = _bigrams(wanted)
    if not want:
        return 0.0
    return len(want & _bigrams(offered)) / len(want)


def match(seeker: Seeker, opening: Opening, *, on: dt.date) -> Match:
    reasons: list[str] = []
    offered = f"{opening.title} {opening.requirements}"
    work = _overlap(seeker.desired_work, offered)
    score = round(W_WORK * work)
    if work:
        reasons.append(f"求职意向相符 {round(work * 100)}%")
    skills = _terms(seeker.skills)
    if skills:
        hit = [s for s in skills if _overlap(s, offered) >= 0.5]
        if hit:
            score += round(W_SKILLS * len(hit) / len(skills))
            reasons.append("技能：" + "、".join(hit))
    a, b = seeker.region_code, opening.region_code
    if a and b:
        if a == b:
            score += W_PLACE
            reasons.append("同一社区")
        elif a[:9] == b[:9]:
            score += W_PLACE - 5
            reasons.append("同一街道")
        elif a[:6] == b[:6]:
            score += W_PLACE - 10
            reasons.append("本区")
    if opening.kind == PUBLIC_WELFARE and (seeker.hard_to_employ or seeker.zero_employment_household
                                           or seeker.disabled or seeker.out_of_poverty):
        score += W_PRIORITY
        reasons.append("公益性岗位优先安置困难群体")
    elif opening.kind == INTERNSHIP:
        graduate = (seeker.graduate_year is not None
                    and on <= add_years(left_school_on(seeker.graduate_year), GRADUATE_YEARS))
        young = (seeker.birth_date is not None
                 and YOUTH_AGES[0] <= age_on(seeker.birth_date, on) <= YOUTH_AGES[1])
        if graduate or young:
            score += W_PRIORITY
            reasons.append("见习岗位面向高校毕业生和青年")
    return Match(min(score, 100), tuple(reasons))


def suggest(seeker: Seeker, openings, *, on: dt.date, limit: int = 5, minimum: int = 20):
    """The best-scoring (opening, Match) pairs, best first, at least `minimum` points each."""
    scored = [(o, match(seeker, o_key, on=on)) for o, o_key in openings]
    scored = [(o, m) for o, m in scored if m.score >= minimum]
    scored.sort(key=lambda om: -om[1].score)
    return scored[:limit]
