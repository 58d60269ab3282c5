"""The employment figures, computed from employment/'s records (one GROUP BY per record kind, by
the region code each record carries) for one district (code prefix) and one period [start, end).
Registered through sources.py's `source` decorator; imported at the bottom of sources.py.

Definitions (the catalogue's indicators combine these elements):
- emp_hires: jobs registered (就业登记) with a start date in the period; emp_attrition: jobs left in
  the period by natural attrition (自然减员: retirement, death). 城镇新增就业人数 is the indicator
  `urban_new_jobs`, by default ``emp_hires - emp_attrition`` (the 人社 bulletin's usual reading);
  the competing reading without the deduction is ``emp_hires`` — the formula is the district's
  choice in the back office (docs: catalogue.json's definition says which one is in force).
- emp_reemployed (失业人员再就业): jobs in the period that ended an unemployment registration;
  emp_hard_placed (就业困难人员实现就业): those of them whose registration carried the tag.
- registered_unemployed (城镇登记失业人数, at the period's end): registrations dated before the
  end and not closed before it (closed on or after the end still counts). Computed from the dated
  history, so a closed period keeps its figure; not a registry-state stock element.
- emp_job_seekers: registrations open at any time in the period (registered before its end, not
  closed before its start); emp_vacancy_positions: openings of vacancies posted in the period;
  求人倍率 = emp_vacancy_positions ÷ emp_job_seekers.
- job_fairs (招聘会, on site and online) and emp_community_events (送岗进社区) held in the period,
  with emp_event_visitors and emp_event_agreements.
- emp_internships_started; emp_internships_ended and emp_internships_retained (ended in the
  period); emp_courses (training courses started in the period), trainees (their enrolments),
  emp_trainees_certified.
城镇登记失业率 divides registered_unemployed by (urban_employed + registered_unemployed), where
urban_employed is the statistics bureau's approved manual figure (data set “employment”).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from minsheng.employment.models import Course, Employment, Enrolment, Event, Internship, Vacancy
from minsheng.employment.models import Unemployment as Spell
from minsheng.indicators.periods import Period
from minsheng.indicators.sources import Row, _rows, source

EMPLOYMENT_ELEMENTS = ("emp_hires", "emp_attrition", "emp_reemployed", "emp_hard_placed",
                       "emp_registered", "registered_unemployed", "emp_job_seekers")


def _in(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _registers_kept(prefix: str, period: Period) -> bool:
    """Missing is not zero: a district that has recorded no (un)employment registration before
    the period's end keeps its registers elsewhere; its figures read "—", not 0."""
    return (Spell.objects.filter(region__code__startswith=prefix,
                                 registered_on__lt=period.end).exists()
            or Employment.objects.filter(region__code__startswith=prefix,
                                         employed_on__lt=period.end).exists())


@source("employment", EMPLOYMENT_ELEMENTS, covers=_registers_kept)
def employment(prefix: str, period: Period) -> Iterable[Row]:
    jobs = Employment.objects.filter(region__code__startswith=prefix).order_by()
    hires = jobs.filter(_in("employed_on", period)).values("region_id").annotate(
        hires=Count("pk"), re=Count("pk", filter=Q(ends__isnull=False)),
        hard=Count("pk", filter=Q(ends__hard_to_employ=True)))
    yield from _rows(hires, "region_id", {"emp_hires": "hires", "emp_reemployed": "re",
                                          "emp_hard_placed": "hard"})
    left = (jobs.filter(_in("left_on", period), left_reason__in=Employment.NATURAL_ATTRITION)
            .values("region_id").annotate(n=Count("pk")))
    yield from _rows(left, "region_id", {"emp_attrition": "n"})
    spells = Spell.objects.filter(region__code__startswith=prefix,
                                  registered_on__lt=period.end).order_by()
    counts = spells.values("region_id").annotate(
        new=Count("pk", filter=Q(registered_on__gte=period.start)),
        at_end=Count("pk", filter=Q(ended_on__isnull=True) | Q(ended_on__gte=period.end)),
        seekers=Count("pk", filter=Q(ended_on__isnull=True) | Q(ended_on__gte=period.start)))
    yield from _rows(counts, "region_id", {"emp_registered": "new",
                                           "registered_unemployed": "at_end",
                                           "emp_job_seekers": "seekers"})


@source("employment_services", ("emp_vacancy_positions", "job_fairs", "emp_community_events",
                                "emp_event_visitors", "emp_event_agreements"),
        covers=_registers_kept)
def employment_services(prefix: str, period: Period) -> Iterable[Row]:
    vac = (Vacancy.objects.filter(region__code__startswith=prefix).filter(_in("posted_on", period))
           .order_by().values("region_id").annotate(n=Coalesce(Sum("positions"), 0)))
    yield from _rows(vac, "region_id", {"emp_vacancy_positions": "n"})
    fairs = (Event.Kind.FAIR, Event.Kind.ONLINE)
    ev = (Event.objects.filter(region__code__startswith=prefix).filter(_in("held_on", period))
          .order_by().values("region_id").annotate(
              fairs=Count("pk", filter=Q(kind__in=fairs)),
              community=Count("pk", filter=Q(kind=Event.Kind.COMMUNITY)),
              visitors=Coalesce(Sum("visitors"), 0), agreements=Coalesce(Sum("agreements"), 0)))
    yield from _rows(ev, "region_id", {"job_fairs": "fairs", "emp_community_events": "community",
                                       "emp_event_visitors": "visitors",
                                       "emp_event_agreements": "agreements"})


@source("internships_training", ("emp_internships_started", "emp_internships_ended",
                                 "emp_internships_retained", "emp_courses", "trainees",
                                 "emp_trainees_certified"), covers=_registers_kept)
def internships_training(prefix: str, period: Period) -> Iterable[Row]:
    base = Internship.objects.filter(region__code__startswith=prefix).order_by()
    started = base.filter(_in("starts_on", period)).values("region_id").annotate(n=Count("pk"))
    yield from _rows(started, "region_id", {"emp_internships_started": "n"})
    ended = base.filter(_in("ended_on", period)).values("region_id").annotate(
        n=Count("pk"), kept=Count("pk", filter=Q(retained=True)))
    yield from _rows(ended, "region_id", {"emp_internships_ended": "n",
                                          "emp_internships_retained": "kept"})
    courses = (Course.objects.filter(region__code__startswith=prefix)
               .filter(_in("starts_on", period)).order_by().values("region_id")
               .annotate(n=Count("pk")))
    yield from _rows(courses, "region_id", {"emp_courses": "n"})
    trainees = (Enrolment.objects.filter(region__code__startswith=prefix)
                .filter(_in("course__starts_on", period)).order_by().values("region_id")
                .annotate(n=Count("pk"), cert=Count("pk", filter=~Q(certificate=""))))
    yield from _rows(trainees, "region_id", {"trainees": "n", "emp_trainees_certified": "cert"})
