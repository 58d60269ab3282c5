"""Every computed indicator the catalogue publishes, recomputed independently from the records
(issue 12 §1): for the demo district and a period, each data element a computed indicator uses is
counted here with plain ORM reads and Python (no SQL aggregation, no code of indicators.sources),
and the stored figures must agree. A new computed element without a recomputation here fails
`test_every_computed_indicator_has_a_recomputation`."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone

from minsheng.assistance import demo as assistance_demo
from minsheng.assistance.enrolment import procedure_for
from minsheng.assistance.models import Cycle, Enrolment, Entitlement, Payment, Review
from minsheng.assistance.monitoring_models import Alert
from minsheng.cases.models import AdminReview, Case, IncidentReturn, Mediation
from minsheng.employment.models import (
    Course,
    Employment,
    Event,
    Internship,
    Unemployment,
    Vacancy,
)
from minsheng.employment.models import Enrolment as TrainingEnrolment
from minsheng.governance import demo as governance_demo
from minsheng.governance.models import (
    GovernanceRecord,
    Scorecard,
    Takeover,
    TakeoverItem,
    Task,
    TaskList,
)
from minsheng.indicators import formula, services
from minsheng.indicators.models import DataElement, Indicator
from minsheng.indicators.periods import Period
from minsheng.indicators.sources import SOURCES
from minsheng.indicators.sources_assistance import FLOWS as ASSISTANCE_FLOWS
from minsheng.indicators.sources_assistance import STOCK as ASSISTANCE_STOCK
from minsheng.indicators.sources_monitoring import ELEMENTS as MONITORING
from minsheng.lifecircle.models import Result, Run
from minsheng.places.models import Compound, Facility
from minsheng.projects.budget import load_livelihood_classes
from minsheng.projects.models import ExpenditureLine, Project, SubItem
from tests.assistance.test_monitoring_indicators import expected as monitoring_recount

pytestmark = pytest.mark.django_db

D = "131002000000"
P = "131002"
RESOLVED = ("resolved", "closed")


def _in(when: dt.datetime | None, period: Period) -> bool:
    return when is not None and period.start <= timezone.localtime(when).date() < period.end


_MEMO: dict[tuple[str, str], object] = {}  # (what, period id) → records, within one test


def _memo(what: str, period: Period, fn):
    key = (what, period.id)
    if key not in _MEMO:
        _MEMO[key] = fn()
    return _MEMO[key]


def _cases(period: Period) -> list[Case]:
    return _memo("cases", period, lambda: [c for c in Case.objects.filter(region__code__startswith=P).select_related("case_type")
            if _in(c.created_at, period) and c.status != "merged"])


def _resolved(period: Period) -> list[Case]:
    return [c for c in _cases(period) if c.status in RESOLVED]


def _on_time(c: Case) -> bool:
    return (c.status in RESOLVED and not c.overdue and c.accepted_at is not None
            and c.accepted_at <= c.accept_due and c.resolved_at is not None
            and c.resolved_at <= c.resolve_due)


def _of_type(code: str) -> Callable[[Period], Decimal]:
    return lambda p: Decimal(sum(1 for c in _cases(p) if c.case_type_id == code))


def _mediations(period: Period) -> list[Mediation]:
    return [m for m in Mediation.objects.filter(case__region__code__startswith=P)
            if m.outcome in ("settled", "failed") and _in(m.concluded_at, period)]


def _concluded(period: Period, kind: str) -> list[AdminReview]:
    return [r for r in AdminReview.objects.filter(case__region__code__startswith=P, kind=kind)
            if r.outcome and _in(r.concluded_at, period)]


def _projects(period: Period) -> list[tuple[Project, object]]:
    out = []
    for p in Project.objects.filter(plan__region_id=D, plan__year=period.year).exclude(
            status="cancelled"):
        reports = [r for r in p.reports.all() if r.state == "approved" and r.as_of < period.end]
        latest = max(reports, key=lambda r: (r.as_of, r.pk)) if reports else None
        out.append((p, latest))
    return out


def _budget(period: Period, livelihood: bool) -> Decimal | None:
    if period.kind != "year":
        return None
    classes = load_livelihood_classes()
    lines = list(ExpenditureLine.objects.filter(region__code__startswith=P, year=period.year))
    assert all(len(ln.code) == 3 for ln in lines), "the demo's lines are classes"
    return sum((ln.amount for ln in lines if not livelihood or ln.code in classes), Decimal(0))


def _registered(row, period: Period) -> bool:
    return row.created_on is None or row.created_on < period.end


def _compounds(pred: Callable[[Compound], bool]) -> Callable[[Period], Decimal]:
    return lambda p: Decimal(sum(1 for c in Compound.objects.filter(region__code__startswith=P)
                                 if _registered(c, p) and pred(c)))


def _last_day(period: Period) -> dt.date:
    return min(period.end - dt.timedelta(days=1), timezone.localdate())


def _valid(r: GovernanceRecord, day: dt.date) -> bool:
    return (r.valid_from is None or r.valid_from <= day) and (r.valid_to is None
                                                              or r.valid_to > day)


def _governed(pred: Callable[[str, str, bool], bool]) -> Callable[[Period], Decimal]:
    """Compounds as governed on the period's last day: the registry row valid then for a
    compound with rows, its own fields (property_status "none" is no management) otherwise."""
    def count(p: Period) -> Decimal:
        day = _last_day(p)
        rows: dict[int, list[GovernanceRecord]] = {}
        for r in GovernanceRecord.objects.filter(compound__region__code__startswith=P):
            rows.setdefault(r.compound_id, []).append(r)
        n = 0
        for c in Compound.objects.filter(region__code__startswith=P):
            if not _registered(c, p):
                continue
            if c.pk in rows:
                valid = [r for r in rows[c.pk] if _valid(r, day)]
                n += any(pred(r.form, r.committee, r.head_is_party_secretary) for r in valid)
            else:
                n += pred(c.property_status, c.committee, c.head_is_party_secretary)
        return Decimal(n)
    return count


def _run(period: Period) -> Run | None:
    runs = [r for r in Run.objects.filter(region_id=D, state="done")
            if r.finished_at is not None and timezone.localtime(r.finished_at).date() < period.end]
    return max(runs, key=lambda r: (r.finished_at, r.pk)) if runs else None


def _lifecircle(period: Period) -> dict[str, Decimal | None]:
    return _memo("lifecircle", period, lambda: _lifecircle_of(period))


def _lifecircle_of(period: Period) -> dict[str, Decimal | None]:
    run = _run(period)
    if run is None:  # no run finished by the period's end: no figure
        return dict.fromkeys(("lc_compounds_assessed", "lc_compounds_covered",
                              "lc_population_assessed", "lc_population_covered",
                              "lc_compounds_signed_point"))
    results = list(Result.objects.filter(run=run).select_related("category", "facility",
                                                                  "compound"))
    compounds = {r.compound_id: r.compound for r in results
                 if r.compound.region_id.startswith(P)}
    failing = {r.compound_id for r in results if r.category.required and r.category.level == 15
               and (r.distance_m is None or r.distance_m > r.category.distance_m)}
    signed = {r.compound_id for r in results if r.facility is not None
              and r.facility.signed_service_point and r.distance_m is not None
              and r.distance_m <= run.speed_m_per_min * 15}
    covered = [c for k, c in compounds.items() if k not in failing]
    return {"lc_compounds_assessed": Decimal(len(compounds)),
            "lc_compounds_covered": Decimal(len(covered)),
            "lc_population_assessed": Decimal(sum(c.population for c in compounds.values())),
            "lc_population_covered": Decimal(sum(c.population for c in covered)),
            "lc_compounds_signed_point": Decimal(len(set(compounds) & signed))}


def _hours(period: Period) -> Decimal:
    total = sum((c.resolved_at - c.created_at for c in _resolved(period) if c.resolved_at),
                dt.timedelta())
    return Decimal(total.total_seconds()) / 3600


def _n(items) -> Decimal:
    return Decimal(len(list(items)))


def _monitoring(period: Period) -> Counter:
    """防返贫: the monitoring test's recount of cases, and the alerts received in the period."""
    out = _memo("monitoring", period, lambda: monitoring_recount(period))
    return out + _memo("alerts", period, lambda: _alerts(period))


def _alerts(period: Period) -> Counter:
    now = timezone.now()
    rows = [a for a in Alert.objects.filter(region__code__startswith=P)
            if _in(a.received_at, period)]
    return Counter({"relapse_alerts_received": len(rows),
                    "relapse_alerts_due": sum(a.state == "handled" or a.due_at < now
                                              for a in rows),
                    "relapse_alerts_on_time": sum(a.state == "handled"
                                                  and a.handled_at <= a.due_at for a in rows)})


def _assistance(period: Period) -> Counter:
    """社会救助: enrolments in benefit on the period's last day by their dated history (a
    stock: each one's latest event effective by then), 临时救助 decided, money paid, entitlements
    of the period's cycles paid by the due day, and reviews due and done, counted over the rows."""
    def count() -> Counter:
        out: Counter = Counter()
        for e in Enrolment.objects.filter(region__code__startswith=P):
            history = sorted((ev for ev in e.events.all() if ev.effective_on < period.end),
                             key=lambda ev: (ev.effective_on, ev.pk))
            if history and history[-1].state == "enrolled":
                key = {"dibao": "dibao_households", "edge": "edge_households",
                       "tekun": "tekun_people", "orphan": "orphan_people"}.get(e.programme)
                if key:
                    out[key] += 1
                if e.programme == "dibao":
                    out["dibao_recipients"] += history[-1].members_covered
            if (e.programme == "temporary" and e.state in ("enrolled", "exited")
                    and e.decided_on and period.start <= e.decided_on < period.end):
                out["temporary_aid_households"] += 1
        for pay in Payment.objects.filter(region__code__startswith=P, status="paid"):
            if pay.paid_on and period.start <= pay.paid_on < period.end:
                out["assistance_paid_amount"] += pay.amount
        # 先行救助: paid from the street's 备用金 on the day it was granted, never by a cycle
        for e in Enrolment.objects.filter(region__code__startswith=P, paid_first=True):
            if period.start <= e.decided_on < period.end:
                out["assistance_paid_amount"] += e.award_amount
        for cycle in Cycle.objects.filter(region__code__startswith=P):
            if not period.start <= cycle.month < period.end:
                continue
            day = procedure_for(cycle.region_id, cycle.month).payment_due_day
            due = cycle.month.replace(day=min(day, calendar.monthrange(
                cycle.month.year, cycle.month.month)[1]))
            paid = {x.person_id for x in Payment.objects.filter(cycle=cycle, status="paid")
                    if x.paid_on and x.paid_on <= due}
            for ent in Entitlement.objects.filter(cycle=cycle, state="approved"):
                out["assistance_entitlements_due"] += 1
                out["assistance_entitlements_on_time"] += ent.payee_id in paid
        for r in Review.objects.filter(enrolment__region__code__startswith=P):
            if period.start <= r.due_on < period.end:
                out["assistance_reviews_due"] += 1
                out["assistance_reviews_done"] += r.done_on is not None
        return out
    return _memo("assistance", period, count)


def _employment(period: Period) -> Counter:
    """就业服务: registrations, jobs, vacancies, events, internships and courses counted over the
    rows (the natural attrition of a job is retirement or death)."""
    def within(d) -> bool:
        return d is not None and period.start <= d < period.end

    def count() -> Counter:
        out: Counter = Counter()
        for j in Employment.objects.filter(region__code__startswith=P).select_related("ends"):
            if within(j.employed_on):
                out["emp_hires"] += 1
                out["emp_reemployed"] += j.ends is not None
                out["emp_hard_placed"] += j.ends is not None and j.ends.hard_to_employ
            if within(j.left_on) and j.left_reason in ("retired", "died"):
                out["emp_attrition"] += 1
        for u in Unemployment.objects.filter(region__code__startswith=P):
            if u.registered_on >= period.end:
                continue
            out["emp_registered"] += u.registered_on >= period.start
            out["registered_unemployed"] += u.ended_on is None or u.ended_on >= period.end
            out["emp_job_seekers"] += u.ended_on is None or u.ended_on >= period.start
        for v in Vacancy.objects.filter(region__code__startswith=P):
            if within(v.posted_on):
                out["emp_vacancy_positions"] += v.positions
        for e in Event.objects.filter(region__code__startswith=P):
            if within(e.held_on):
                out["job_fairs"] += e.kind in ("fair", "online")
                out["emp_community_events"] += e.kind == "community"
                out["emp_event_visitors"] += e.visitors
                out["emp_event_agreements"] += e.agreements
        for i in Internship.objects.filter(region__code__startswith=P):
            out["emp_internships_started"] += within(i.starts_on)
            if within(i.ended_on):
                out["emp_internships_ended"] += 1
                out["emp_internships_retained"] += i.retained is True
        for c in Course.objects.filter(region__code__startswith=P):
            out["emp_courses"] += within(c.starts_on)
        for t in TrainingEnrolment.objects.filter(region__code__startswith=P).select_related(
                "course"):
            if within(t.course.starts_on):
                out["trainees"] += 1
                out["emp_trainees_certified"] += t.certificate != ""
        return out
    return _memo("employment", period, count)


EMPLOYMENT = tuple(e for name in ("employment", "employment_services", "internships_training")
                   for e in SOURCES[name][1])

def _governance(period: Period) -> dict[str, Decimal | None]:
    """小区治理: rectification tasks due in the period and verified; the companies' scorecards of
    the period by grade; the registry rows valid on the period's last day (or today); takeover
    items due in the period and passed by their deadline."""
    def within(d) -> bool:
        return d is not None and period.start <= d < period.end

    def count() -> dict[str, Decimal | None]:
        out: Counter = Counter()
        tasks = list(Task.objects.filter(task_list__region__code__startswith=P))
        for t in tasks:
            if within(t.deadline):
                out["rectification_tasks"] += 1
                out["rectification_done"] += t.state == "verified"
        grades = {"优秀": "property_grade_excellent", "良好": "property_grade_good",
                  "合格": "property_grade_pass", "不合格": "property_grade_fail"}
        for sc in Scorecard.objects.filter(company__region__code__startswith=P,
                                           period=period.id):
            if sc.grade:
                out["property_graded"] += 1
                out[grades[sc.grade]] += 1
        day = _last_day(period)
        records = list(GovernanceRecord.objects.filter(compound__region__code__startswith=P))
        for r in records:
            if _valid(r, day):
                out["gov_party_branches"] += r.has_party_branch
                out["gov_full_time_cadres"] += r.has_party_branch and r.cadre_full_time
                out["gov_secretary_heads_elected"] += (r.head_is_party_secretary and
                                                       r.election_date is not None and
                                                       r.street_approved)
                out["gov_property_managers"] += r.property_managers or 0
        for i in TakeoverItem.objects.filter(compound__region__code__startswith=P):
            if within(i.deadline):
                out["takeover_items_due"] += 1
                out["takeover_items_on_time"] += (i.state == "passed" and i.done_on is not None
                                                  and i.done_on <= i.deadline)
        # missing is not zero: a source without records kept by the period has no values
        end = timezone.make_aware(dt.datetime.combine(period.end, dt.time.min))
        kept = {
            "rectification": any(t.deadline < period.end for t in tasks) or any(
                tl.created_at < end for tl in TaskList.objects.filter(region__code__startswith=P)),
            "property_grades": Scorecard.objects.filter(period=period.id).filter(
                scheme__region__code__startswith=P).exists() or any(
                sc.company.region_id.startswith(P)
                for sc in Scorecard.objects.filter(period=period.id).select_related("company")),
            "governance_registry": any(r.valid_from is not None and r.valid_from < period.end
                                       for r in records),
            "takeovers": any(t.started_on < period.end
                             for t in Takeover.objects.filter(region__code__startswith=P)),
        }
        return {e: (Decimal(out[e]) if kept[name] else None)
                for name in kept for e in SOURCES[name][1]}
    return _memo("governance", period, count)


GOVERNANCE = tuple(e for name in ("rectification", "property_grades", "governance_registry",
                                  "takeovers") for e in SOURCES[name][1])

def _incidents(period: Period) -> dict[str, Decimal | None]:
    """连续零发案: the district's approved police returns of the months before the period's end,
    read row by row; each compound's run counted back, month by month, from the latest of them
    while that month's return lists it with no incident (a month without a return, or a return
    without the compound, ends it). No approved return of a month in the period: no figure."""
    def count() -> dict[str, Decimal | None]:
        returns = [r for r in IncidentReturn.objects.filter(district_id=D).prefetch_related(
            "counts") if r.status == "approved" and r.month < period.end]
        if not any(r.month >= period.start for r in returns):
            return dict.fromkeys(("incident_zero_12m_compounds", "incident_compounds_listed",
                                  "incident_longest_run"))
        totals = {r.month: {c.compound_id: c.criminal + c.public_order for c in r.counts.all()}
                  for r in returns}
        latest = max(totals)
        runs = []
        for comp in Compound.objects.filter(region__code__startswith=P):
            n, month = 0, latest
            while month in totals and totals[month].get(comp.pk) == 0:
                n += 1
                month = (month - dt.timedelta(days=1)).replace(day=1)
            runs.append(n)
        return {"incident_zero_12m_compounds": Decimal(sum(n >= 12 for n in runs)),
                "incident_compounds_listed": Decimal(len(totals[latest])),
                "incident_longest_run": Decimal(max(runs, default=0))}
    return _memo("incidents", period, count)


# element code → its independent recomputation for the demo district and a period
RECOMPUTE: dict[str, Callable[[Period], Decimal | None]] = {
    "cases_received": lambda p: _n(_cases(p)),
    "cases_resolved": lambda p: _n(_resolved(p)),
    "cases_on_time": lambda p: _n(c for c in _cases(p) if _on_time(c)),
    "cases_handling_hours": _hours,
    "cases_rated": lambda p: _n(c for c in _cases(p) if c.rating is not None),
    "cases_rating_sum": lambda p: Decimal(sum(c.rating or 0 for c in _cases(p))),
    "cases_with_verdict": lambda p: _n(c for c in _cases(p) if c.verdict),
    "cases_fixed": lambda p: _n(c for c in _cases(p) if c.verdict == "fixed"),
    "legal_aid_consultations": _of_type("legal_aid"),
    "hazards_found": _of_type("safety_hazard"),
    "hazards_fixed": lambda p: _n(c for c in _resolved(p) if c.case_type_id == "safety_hazard"),
    "enterprises_interviewed": _of_type("enterprise_interview"),
    "civilised_city_problems": _of_type("civilised_city"),
    "disputes_mediated": lambda p: _n(_mediations(p)),
    "disputes_settled": lambda p: _n(m for m in _mediations(p) if m.outcome == "settled"),
    "recon_accepted": lambda p: _n(
        r for r in AdminReview.objects.filter(case__region__code__startswith=P,
                                              kind="reconsideration", accepted=True)
        if _in(r.accepted_at, p)),
    "recon_concluded": lambda p: _n(_concluded(p, "reconsideration")),
    "recon_corrected": lambda p: _n(r for r in _concluded(p, "reconsideration")
                                    if r.outcome == "corrected"),
    "recon_settled": lambda p: _n(r for r in _concluded(p, "reconsideration")
                                  if r.outcome == "settled"),
    "recon_amount_recovered": lambda p: sum((r.amount_recovered or Decimal(0)
                                             for r in _concluded(p, "reconsideration")),
                                            Decimal(0)),
    "admin_disputes_concluded": lambda p: _n(_concluded(p, "dispute")),
    "admin_disputes_by_centre": lambda p: _n(r for r in _concluded(p, "dispute")
                                             if r.by_dispute_centre),
    "projects_total": lambda p: _n(_projects(p)),
    "projects_completed": lambda p: _n(x for x in _projects(p)
                                       if x[1] is not None and x[1].percent >= 100),
    "projects_on_time": lambda p: _n(x for x in _projects(p) if x[1] is not None
                                     and x[1].percent >= 100 and x[1].as_of <= x[0].end_date),
    "renovations_done": lambda p: _n(
        s for s in SubItem.objects.filter(region__code__startswith=P, done=True)
        .select_related("project") if s.renovation_class and s.project.status != "cancelled"
        and s.done_on is not None and p.start <= s.done_on < p.end),
    "spending_total": lambda p: _budget(p, livelihood=False),
    "spending_livelihood": lambda p: _budget(p, livelihood=True),
    "compounds_total": _compounds(lambda c: True),
    "compounds_managed": _governed(lambda form, committee, head: form != "none"),
    "compounds_with_committee": _governed(lambda form, committee, head: bool(committee)),
    "committees_party_secretary": _governed(lambda form, committee, head: bool(committee)
                                            and head),
    "smart_safety_compounds": _compounds(lambda c: c.smart_safety),
    "signed_service_points": lambda p: _n(
        f for f in Facility.objects.filter(region__code__startswith=P)
        if f.signed_service_point and _registered(f, p)),
    **{code: (lambda p, code=code: _lifecircle(p)[code])
       for code in ("lc_compounds_assessed", "lc_compounds_covered", "lc_population_assessed",
                    "lc_population_covered", "lc_compounds_signed_point")},
    **{code: (lambda p, code=code: Decimal(_monitoring(p)[code])) for code in MONITORING},
    **{code: (lambda p, code=code: Decimal(_assistance(p)[code]))
       for code in (*ASSISTANCE_STOCK, *ASSISTANCE_FLOWS)},
    **{code: (lambda p, code=code: Decimal(_employment(p)[code])) for code in EMPLOYMENT},
    **{code: (lambda p, code=code: _governance(p)[code]) for code in GOVERNANCE},
    **{code: (lambda p, code=code: _incidents(p)[code])
       for code in ("incident_zero_12m_compounds", "incident_compounds_listed",
                    "incident_longest_run")},
}


def computed_indicators() -> list[Indicator]:
    computed = set(DataElement.objects.filter(source="computed").values_list("code", flat=True))
    return [i for i in Indicator.objects.filter(active=True)
            if i.element_codes() and i.element_codes() <= computed]


def test_every_computed_indicator_has_a_recomputation():
    missing = {(i.code, e) for i in computed_indicators() for e in i.element_codes()
               if e not in RECOMPUTE}
    assert not missing, f"add an independent recomputation to RECOMPUTE for {sorted(missing)}"


@pytest.mark.parametrize("years_back", [0, 1], ids=["this-year", "last-year"])
def test_the_stored_figures_equal_the_recomputed_ones(years_back):
    period = Period(timezone.localdate().year - years_back)
    _MEMO.clear()
    # the shared test database has no 社会救助 records; the demo's (in this test's transaction)
    assistance_demo.generate("131002", progress=lambda *_: None)
    governance_demo.generate("131002", progress=lambda *_: None)
    services.compute(D, period)
    inds = computed_indicators()
    got = services.evaluate([D], period, indicators=inds, with_previous=False)[D]
    mine: dict[str, Decimal | None] = {}
    for ind in inds:
        for e in ind.element_codes():
            if e not in mine:
                mine[e] = RECOMPUTE[e](period)
    checked = 0
    for ind in inds:
        v = got[ind.code]
        for part, text in (("numerator", ind.numerator), ("denominator", ind.denominator)):
            if not text:
                continue
            want = formula.evaluate(text, mine, days=period.days)
            have = getattr(v, part)
            if want is None:
                assert have is None, (ind.code, part, have)
                continue
            assert have is not None and abs(have - want) < Decimal("0.01"), \
                (ind.code, part, have, want)
            checked += 1
    assert checked >= len(inds)
