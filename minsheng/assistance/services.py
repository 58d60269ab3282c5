"""From registry rows to eligibility facts (read-only): a household's latest economic assessment
and members as eligibility.Household, and its results under the standards in force."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from minsheng.assistance import eligibility as el
from minsheng.assistance.models import Assessment, Household
from minsheng.assistance.standards import MissingStandard, standards_for

__all__ = ["Eligibility", "age_on", "eligibility_of", "facts_of"]


def age_on(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def facts_of(household: Household, assessment: Assessment, on: dt.date) -> el.Household:
    """Members with their own counted income (items recorded for them, plus an equal share of
    the items recorded for the whole household), supporters and the assessment's assets."""
    members = list(household.members.prefetch_related("supporters").order_by("id"))
    n = len(members) or 1
    own: dict[int, Decimal] = {}
    shared = Decimal(0)
    for item in assessment.incomes.filter(excluded=False):
        if item.person_id:
            own[item.person_id] = own.get(item.person_id, Decimal(0)) + item.amount
        else:
            shared += item.amount
    months = assessment.months
    facts = tuple(el.Member(
        name=p.name, age=age_on(p.birth_date, on), labour=p.labour_capacity,
        disability_grade=p.disability_grade,
        monthly_income=(own.get(p.pk, Decimal(0)) + shared / n) / months,
        has_able_supporter=any(s.able_to_support for s in p.supporters.all()),
        parents_deceased_or_missing=p.parents_deceased_or_missing, self_care=p.self_care,
    ) for p in members)
    return el.Household(household.number, facts,
                        rigid_spending_yearly=assessment.rigid_spending * 12 / months,
                        assets_within_rules=assessment.assets_within_rules,
                        assets=el.Assets(savings=assessment.savings,
                                         vehicles=assessment.vehicles, homes=assessment.homes,
                                         business_stake=assessment.business_stake),
                        emergency=assessment.emergency,
                        monthly_income=assessment.income_counted / months)


@dataclass
class Eligibility:
    assessment: Assessment | None
    standards: el.Standards | None
    results: list[el.Result]
    problem: str = ""


def eligibility_of(household: Household, on: dt.date) -> Eligibility:
    """The results of the latest assessment on or before `on`, under the standards in force."""
    a = household.assessments.filter(assessed_on__lte=on).order_by("-assessed_on", "-id").first()
    if a is None:
        return Eligibility(None, None, [], "尚未进行家庭经济状况核对")
    if not household.members.exists():
        return Eligibility(a, None, [], "家庭户没有成员")
    try:
        s = standards_for(household.region_id, household.area, on)
    except MissingStandard as e:
        return Eligibility(a, None, [], str(e))
    return Eligibility(a, s, el.assess(facts_of(household, a, on), s))
