"""The computed data elements: one SQL GROUP BY per module over its records, by the region code
each record carries, for one district (code prefix) and one period.

Every source yields (region code, element code, value) for the regions that have records; the
compute job rolls those up the region tree by code prefix (street = first 9 digits, district = 6)
and stores them. All values are additive over regions (averages are kept as a sum and a count, and
the indicator divides), so the roll-up is a sum of aggregates — never a loop over records.

Definitions follow cases/stats.py (one place for case figures): cases are counted in the period
they were received; mediations and reviews in the period they were concluded (or accepted).

Stock figures have history (compounds, facilities and signed service points, the governance
facts of compounds, the life-circle coverage), in two parts:
- the snapshot: the scheduled job (indicators/jobs.py) recomputes the current year, quarter and
  month every ten minutes, and services.compute keeps the stock values of a period once it is
  over, so last year's report gives the state at last year's end (within ten minutes), whatever
  changed since: a committee formed, a head replaced, a compound deleted;
- valid-from: compounds and facilities carry the day they were registered (created_on, empty for
  rows from before records began), and the life-circle figures come from the latest run finished
  before the period's end. A past period that was never computed while it was current is
  computed from the rows registered before its end;
- the governance registry's history (governance/registry.py, GovernanceRecord rows valid from a
  day to a day): a compound's management form, committee and committee head are read as they
  were on the period's last day (governance.registry.conditions_on), from its registry row valid
  then, or from its fields for a compound that never changed through the registry.
What a computation of a never-computed past period cannot know is a past value kept nowhere (a
point signed since, a committee changed by editing the compound outside the registry): those
read as they are now. The snapshot closes that gap for every period the job has run through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from minsheng.cases import stats as case_stats
from minsheng.cases import tally as case_tally
from minsheng.cases.models import AdminReview, Case, CaseType, Mediation
from minsheng.governance.registry import conditions_on as governed_on
from minsheng.indicators.periods import Period
from minsheng.lifecircle.models import Result, Run
from minsheng.places.models import Compound, Facility
from minsheng.projects.budget import share_of_amounts
from minsheng.projects.models import ExpenditureLine, Plan, ProgressReport, Project, SubItem

Row = tuple[str, str, Decimal]
Source = Callable[[str, Period], Iterable[Row]]

SOURCES: dict[str, tuple[Source, tuple[str, ...], bool]] = {}
# Missing is not zero: whether a source has data for a district and period at all. Where it has
# none (no budget lines for the year, no plan, cases not yet recorded on the platform, no
# compounds, no life-circle run), its elements get no value, and every page reads "—"; where it
# has, a region or element without records is 0.
Covers = Callable[[str, Period], bool]
COVERS: dict[str, Covers] = {}
# Elements rolled up the region tree by their largest value instead of their sum (a longest run
# of a street is its compounds' longest, never their total): named by their source's `maximum`.
MAXIMUM: set[str] = set()


def source(name: str, elements: tuple[str, ...], *, stock: bool = False,
           covers: Covers | None = None, maximum: tuple[str, ...] = ()):
    """Register a source and the element codes it yields (stock: a state, not a flow); `covers`
    says whether it has data for the district and period (always, when not given); `maximum`
    names those of its elements that roll up as a maximum."""
    def wrap(fn: Source) -> Source:
        SOURCES[name] = (fn, elements, stock)
        MAXIMUM.update(maximum)
        if covers is not None:
            COVERS[name] = covers
        else:
            COVERS.pop(name, None)
        return fn
    return wrap


def covered(name: str, prefix: str, period: Period) -> bool:
    fn = COVERS.get(name)
    return True if fn is None else fn(prefix, period)


def _cases_recorded(prefix: str, period: Period) -> bool:
    """Cases are recorded on the platform from its first case in the district on: a period
    that ended before it has no case figures (not 0)."""
    return Case.objects.filter(region__code__startswith=prefix[:6],
                               created_at__lt=case_stats.aware(period.end)).exists()


def _has_plan(prefix: str, period: Period) -> bool:
    return Plan.objects.filter(region__code__startswith=prefix[:6], year=period.year).exists() \
        or SubItem.objects.filter(region__code__startswith=prefix[:6], done=True,
                                  done_on__gte=period.start, done_on__lt=period.end).exists()


def _has_budget(prefix: str, period: Period) -> bool:
    return period.kind == "year" and ExpenditureLine.objects.filter(
        region__code__startswith=prefix[:6], year=period.year).exists()


def _has_compounds(prefix: str, period: Period) -> bool:
    return Compound.objects.filter(region__code__startswith=prefix[:6]).filter(
        Q(created_on__isnull=True) | Q(created_on__lt=period.end)).exists()


def latest_run(prefix: str, period: Period) -> Run | None:
    """The district's latest finished life-circle run of the period: finished before its end
    (the current period: the latest run)."""
    return (Run.objects.filter(region__code__startswith=prefix[:6], state="done",
                               finished_at__lt=case_stats.aware(period.end))
            .order_by("-finished_at", "-pk").first())


def _has_run(prefix: str, period: Period) -> bool:
    return latest_run(prefix, period) is not None


def _rows(qs, key: str, mapping: dict[str, str]) -> Iterable[Row]:
    """Turn `values(key).annotate(**aggregates)` rows into (region, element, value) rows."""
    for row in qs:
        for element, field in mapping.items():
            v = row[field]
            if isinstance(v, dt.timedelta):
                v = Decimal(v.total_seconds()) / 3600
            yield row[key], element, Decimal(v or 0)


def _between(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": case_stats.aware(period.start),
                f"{field}__lt": case_stats.aware(period.end)})


CASE_ELEMENTS = ("cases_received", "cases_resolved", "cases_on_time", "cases_handling_hours",
                 "cases_rated", "cases_rating_sum", "cases_with_verdict", "cases_fixed",
                 "cases_escalated", "disputes_received", "legal_aid_consultations",
                 "hazards_found", "hazards_fixed", "enterprises_interviewed",
                 "civilised_city_problems", "property_repairs_resolved")
BY_TYPE = {case_stats.LEGAL_AID: "legal_aid_consultations", case_stats.HAZARD: "hazards_found",
           case_stats.INTERVIEW: "enterprises_interviewed",
           "civilised_city": "civilised_city_problems"}
REPAIRS = ("property_repair", "roof_leak", "sewage")
COUNTED = tuple(e for e in CASE_ELEMENTS if e != "cases_handling_hours")


@source("cases", CASE_ELEMENTS, covers=_cases_recorded)
def cases(prefix: str, period: Period) -> Iterable[Row]:
    """From the cases' monthly sums by region, case type and resolved or not (cases/tally.py keeps
    them current: a district-year over a million cases is a few thousand rows, and a month is
    recounted from its cases only when one of them changed); what depends only on the type or
    on being resolved (disputes, legal aid, repairs resolved…) is added up here. The sums are
    exact (integers; intervals kept in microseconds), so the values are those of counting the
    cases themselves to the last digit. A duplicate merged into another case (status merged) is not counted: the case it was merged
    into is (cases/stats.py counts the same way). Hazards found are the hazard cases received;
    hazards fixed (排查整治, found and put right) are those of them that are resolved."""
    disputes = set(CaseType.objects.filter(group="dispute").values_list("code", flat=True))
    by_region: dict[str, dict[str, int]] = {}
    hours: dict[str, dt.timedelta | None] = {}
    for (region, kind, resolved, received, on_time, handling, rated, rating_sum, with_verdict,
         fixed, escalated) in case_tally.rows(prefix, period.start, period.end):
        v = by_region.get(region)
        if v is None:
            v = by_region[region] = dict.fromkeys(COUNTED, 0)
            hours[region] = None
        v["cases_received"] += received
        v["cases_rated"] += rated
        v["cases_rating_sum"] += rating_sum or 0
        v["cases_with_verdict"] += with_verdict
        v["cases_fixed"] += fixed
        v["cases_escalated"] += escalated
        if kind in disputes:
            v["disputes_received"] += received
        if kind in BY_TYPE:
            v[BY_TYPE[kind]] += received
        if resolved:
            v["cases_resolved"] += received
            v["cases_on_time"] += on_time
            if kind in REPAIRS:
                v["property_repairs_resolved"] += received
            if kind == case_stats.HAZARD:  # 排查整治: found and put right
                v["hazards_fixed"] += received
            if handling is not None:
                hours[region] = handling if hours[region] is None else hours[region] + handling
    for region, v in by_region.items():
        for element, n in v.items():
            yield region, element, Decimal(n)
        h = hours[region]
        yield region, "cases_handling_hours", (
            Decimal(h.total_seconds()) / 3600 if h is not None else Decimal(0))


@source("mediation", ("disputes_mediated", "disputes_settled", "mediation_amount"),
        covers=_cases_recorded)
def mediation(prefix: str, period: Period) -> Iterable[Row]:
    """By the region each mediation carries (its case's, copied on save): no join back to the
    cases, which took half of compute's time over a million cases (bench/indicators_bench.py)."""
    qs = (Mediation.objects.filter(region__code__startswith=prefix,
                                   outcome__in=("settled", "failed"))
          .filter(_between("concluded_at", period))
          .order_by().values("region_id").annotate(
              mediated=Count("pk"), settled=Count("pk", filter=Q(outcome="settled")),
              amount=Coalesce(Sum("amount"), Decimal(0))))
    return _rows(qs, "region_id", {"disputes_mediated": "mediated",
                                         "disputes_settled": "settled",
                                         "mediation_amount": "amount"})


@source("reviews", ("recon_accepted", "recon_concluded", "recon_corrected", "recon_settled",
                    "recon_amount_recovered", "admin_disputes_concluded",
                    "admin_disputes_by_centre"), covers=_cases_recorded)
def reviews(prefix: str, period: Period) -> Iterable[Row]:
    base = AdminReview.objects.filter(region__code__startswith=prefix).order_by()  # as mediation
    recon = Q(kind="reconsideration")
    concluded = _between("concluded_at", period) & ~Q(outcome="")
    accepted = (base.filter(recon, accepted=True).filter(_between("accepted_at", period))
                .values("region_id").annotate(n=Count("pk")))
    yield from _rows(accepted, "region_id", {"recon_accepted": "n"})
    done = (base.filter(concluded).values("region_id").annotate(
        recon=Count("pk", filter=recon),
        corrected=Count("pk", filter=recon & Q(outcome="corrected")),
        settled=Count("pk", filter=recon & Q(outcome="settled")),
        amount=Coalesce(Sum("amount_recovered", filter=recon), Decimal(0)),
        disputes=Count("pk", filter=Q(kind="dispute")),
        centre=Count("pk", filter=Q(kind="dispute", by_dispute_centre=True))))
    yield from _rows(done, "region_id", {
        "recon_concluded": "recon", "recon_corrected": "corrected", "recon_settled": "settled",
        "recon_amount_recovered": "amount", "admin_disputes_concluded": "disputes",
        "admin_disputes_by_centre": "centre"})


@source("projects", ("projects_total", "projects_completed", "projects_on_time",
                     "renovations_done"), covers=_has_plan)
def projects(prefix: str, period: Period) -> Iterable[Row]:
    """The plan of the period's year: a project is completed when its latest approved progress
    report says 100 %, on time when that report is dated no later than the project's deadline;
    only reports dated inside the period count, so a quarter shows what was done by its end.
    A renovation (a sub-item with an A/B/C standard) counts in the period in which it was
    completed: the day its last checklist item was ticked with evidence (SubItem.done_on, set by
    projects.actions.do_tick_checklist), whichever plan year its project belongs to."""
    latest = (ProgressReport.objects.filter(project=OuterRef("pk"), state="approved",
                                            as_of__lt=period.end)
              .order_by("-as_of", "-pk"))
    qs = (Project.objects.filter(plan__region__code__startswith=prefix, plan__year=period.year)
          .exclude(status="cancelled").order_by()
          .annotate(pct=Subquery(latest.values("percent")[:1]),
                    done_on=Subquery(latest.values("as_of")[:1]))
          .values("plan__region_id").annotate(
              total=Count("pk"), completed=Count("pk", filter=Q(pct__gte=100)),
              on_time=Count("pk", filter=Q(pct__gte=100, done_on__lte=F("end_date")))))
    yield from _rows(qs, "plan__region_id", {"projects_total": "total",
                                             "projects_completed": "completed",
                                             "projects_on_time": "on_time"})
    subs = (SubItem.objects.filter(region__code__startswith=prefix, done=True,
                                   done_on__gte=period.start, done_on__lt=period.end)
            .exclude(project__status="cancelled").exclude(renovation_class="")
            .order_by().values("region_id").annotate(n=Count("pk")))
    yield from _rows(subs, "region_id", {"renovations_done": "n"})


@source("budget", ("spending_total", "spending_livelihood"), covers=_has_budget)
def budget(prefix: str, period: Period) -> Iterable[Row]:
    """General-public-budget expenditure of the year, summed in SQL by region and code, then
    counted by projects/budget.py's one rule (each class once; which classes are livelihood is
    its configuration), the rule the budget page and `minsheng budget share` use; held equal to
    projects.services.share_for on the demo by tests/indicators/test_budget_source.py."""
    if period.kind != "year":
        return
    by_region: dict[str, list[tuple[str, Decimal]]] = {}
    for row in (ExpenditureLine.objects.filter(region__code__startswith=prefix, year=period.year)
                .order_by().values("region_id", "code").annotate(amount=Sum("amount"))):
        by_region.setdefault(row["region_id"], []).append((row["code"], row["amount"]))
    for region, amounts in by_region.items():
        share = share_of_amounts(amounts)
        yield region, "spending_total", share.total
        yield region, "spending_livelihood", share.livelihood


def stock_day(period: Period) -> dt.date:
    """The day a stock figure of the period describes: its last day, or today while it runs."""
    return min(period.end - dt.timedelta(days=1), timezone.localdate())


def _registered_by(period: Period) -> Q:
    """Registry rows that existed at the end of the period (valid from created_on)."""
    return Q(created_on__isnull=True) | Q(created_on__lt=period.end)


@source("compounds", ("compounds_total", "compounds_managed", "compounds_with_committee",
                      "committees_party_secretary", "compounds_old", "compounds_renovated",
                      "households_total", "population_total", "signed_service_points",
                      "smart_safety_compounds"), stock=True, covers=_has_compounds)
def compounds(prefix: str, period: Period) -> Iterable[Row]:
    on = governed_on(stock_day(period))
    qs = (Compound.objects.filter(region__code__startswith=prefix).filter(_registered_by(period))
          .order_by()
          .values("region_id").annotate(
              n_total=Count("pk"), n_managed=Count("pk", filter=on["managed"]),
              n_committee=Count("pk", filter=on["with_committee"]),
              n_party=Count("pk", filter=on["party_head"]),
              n_old=Count("pk", filter=Q(is_old=True)),
              n_renovated=Count("pk", filter=~Q(renovation_class="")),
              n_households=Coalesce(Sum("households"), 0),
              n_population=Coalesce(Sum("population"), 0),
              n_smart=Count("pk", filter=Q(smart_safety=True))))
    yield from _rows(qs, "region_id", {
        "compounds_total": "n_total", "compounds_managed": "n_managed",
        "compounds_with_committee": "n_committee", "committees_party_secretary": "n_party",
        "compounds_old": "n_old", "compounds_renovated": "n_renovated",
        "households_total": "n_households", "population_total": "n_population",
        "smart_safety_compounds": "n_smart"})
    points = (Facility.objects.filter(region__code__startswith=prefix, signed_service_point=True)
              .filter(_registered_by(period)).order_by().values("region_id").annotate(n=Count("pk")))
    yield from _rows(points, "region_id", {"signed_service_points": "n"})


@source("lifecircle", ("lc_compounds_assessed", "lc_compounds_covered",
                       "lc_population_assessed", "lc_population_covered",
                       "lc_compounds_signed_point"), stock=True,
        covers=_has_run)
def lifecircle(prefix: str, period: Period) -> Iterable[Row]:
    """From the district's latest life-circle run finished before the period's end: a compound is covered when every
    required category of the 15-minute level is within its walking distance. The rule is the
    engine's (minsheng.lifecircle.engine.level_covered, which the life-circle pages use through
    services.Coverage); this is its SQL mirror, held equal to it on the demo by
    tests/lifecircle/test_coverage_sources.py.

    A second, weaker rule is the seeds' "签约网点353家，实现214个小区全覆盖": a compound has a
    signed service point in reach when, in the same run, the nearest facility of some category is
    a signed service point (Facility.signed_service_point) within the 15-minute walk (15 × the
    run's walking speed, 1000 m). The run records only the nearest facility of each category, so
    this is a lower bound: a signed point that is not the nearest of its category is not seen."""
    run = latest_run(prefix, period)
    if run is None:
        return
    failing = (Result.objects.filter(run=run, category__required=True, category__level=15)
               .filter(Q(distance_m__isnull=True) | Q(distance_m__gt=F("category__distance_m")))
               .values("compound_id"))
    assessed = Result.objects.filter(run=run).values("compound_id")
    signed = (Result.objects.filter(run=run, facility__signed_service_point=True,
                                    distance_m__lte=run.speed_m_per_min * 15)
              .values("compound_id"))
    qs = (Compound.objects.filter(region__code__startswith=prefix, pk__in=assessed).order_by()
          .values("region_id").annotate(
              n=Count("pk"), covered=Count("pk", filter=~Q(pk__in=failing)),
              pop=Coalesce(Sum("population"), 0),
              pop_covered=Coalesce(Sum("population", filter=~Q(pk__in=failing)), 0),
              signed=Count("pk", filter=Q(pk__in=signed))))
    yield from _rows(qs, "region_id", {"lc_compounds_assessed": "n",
                                       "lc_compounds_covered": "covered",
                                       "lc_population_assessed": "pop",
                                       "lc_population_covered": "pop_covered",
                                       "lc_compounds_signed_point": "signed"})


# Modules that publish their own figures register their sources on import (they use `source`).
from minsheng.indicators import (  # noqa: E402
    sources_assistance,  # noqa: F401 - 社会救助
    sources_employment,  # noqa: F401 - 就业服务
    sources_governance,  # noqa: F401 - 整改清单, 物业考评, 小区治理
    sources_incidents,  # noqa: F401 - 连续零发案 (police-incident returns)
    sources_monitoring,  # noqa: F401 - 防返贫 monitoring
)
