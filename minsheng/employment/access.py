"""Who reads and does what in employment services, built on places.scope.scope_of.

- MANAGE_EMPLOYMENT (the 人社局 / 就业服务局): every employment record of its region; employers,
  vacancies, events, internships, training, imports. Held through a department, it counts only
  when that department's function is human resources (other departments' staff are denied);
- REGISTER_EMPLOYMENT (street and community staff): register the unemployment and employment of
  the residents of their region, and read those registrations;
- VIEW_EMPLOYMENT (district leaders, street staff, viewers): read the region's records;
- EMPLOYER_PORTAL (an employer's account): its own vacancies and the referrals to them, nothing
  about anyone else; the employer is the one whose `organisation` is the membership's;
- the public: open vacancies and events marked public (public_vacancies, public_events).
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.http import Http404

from minsheng.accounts.roles import (
    EMPLOYER_PORTAL,
    EXPORT,
    MANAGE_EMPLOYMENT,
    REGISTER_EMPLOYMENT,
    VIEW_EMPLOYMENT,
)
from minsheng.assistance.models import Person
from minsheng.employment.models import (
    Course,
    Employer,
    Employment,
    Enrolment,
    Event,
    Internship,
    Referral,
    Unemployment,
    Vacancy,
)
from minsheng.places.scope import scope_of

EVERYWHERE = ("",)


def service_prefixes(user) -> tuple[str, ...]:
    """The regions where the user is the employment service (human-resources departments)."""
    s = scope_of(user)
    if s.everything:
        return EVERYWHERE
    # through a department, MANAGE_EMPLOYMENT counts only for human resources
    # (accounts.roles.rights_of, asked through places.scope)
    return tuple(g.prefix for g in s.grants_with(MANAGE_EMPLOYMENT))


def register_prefixes(user) -> tuple[str, ...]:
    s = scope_of(user)
    if s.everything:
        return EVERYWHERE
    return service_prefixes(user) + tuple(g.prefix for g in s.grants_with(REGISTER_EMPLOYMENT))


def read_prefixes(user) -> tuple[str, ...]:
    s = scope_of(user)
    if s.everything:
        return EVERYWHERE
    return register_prefixes(user) + tuple(g.prefix for g in s.grants_with(VIEW_EMPLOYMENT))


def employer_ids(user) -> frozenset[int]:
    """The employers the user acts for (employer accounts)."""
    orgs = [g.organisation_id for g in scope_of(user).grants_with(EMPLOYER_PORTAL)
            if g.organisation_id]
    if not orgs:
        return frozenset()
    return frozenset(Employer.objects.filter(organisation_id__in=orgs).values_list("pk", flat=True))


def _q(prefixes: tuple[str, ...], field: str = "region__code") -> Q:
    if prefixes[:1] == EVERYWHERE:
        return Q()
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in prefixes), Q(pk__in=[]))


def uses_employment(user) -> bool:
    """Whether the navigation shows 就业服务."""
    return bool(read_prefixes(user)) or bool(employer_ids(user))


def can_manage(user, region_code: str | None = None) -> bool:
    return any(region_code is None or region_code.startswith(p) for p in service_prefixes(user))


def can_register(user, region_code: str | None = None) -> bool:
    return any(region_code is None or region_code.startswith(p) for p in register_prefixes(user))


def can_export(user) -> bool:
    return bool(read_prefixes(user)) and scope_of(user).has_right(EXPORT)


def unemployments_for(user) -> QuerySet[Unemployment]:
    p = read_prefixes(user)
    if not p:
        return Unemployment.objects.none()
    return Unemployment.objects.filter(_q(p)).select_related("person", "region")


def employments_for(user) -> QuerySet[Employment]:
    p = read_prefixes(user)
    if not p:
        return Employment.objects.none()
    return Employment.objects.filter(_q(p)).select_related("person", "region", "employer")


def employers_for(user) -> QuerySet[Employer]:
    p = read_prefixes(user)
    q = _q(p) if p else Q(pk__in=[])
    own = employer_ids(user)
    if own:
        q |= Q(pk__in=own)
    return Employer.objects.filter(q).select_related("region")


def vacancies_for(user) -> QuerySet[Vacancy]:
    p = read_prefixes(user)
    q = _q(p) if p else Q(pk__in=[])
    own = employer_ids(user)
    if own:
        q |= Q(employer_id__in=own)
    return Vacancy.objects.filter(q).select_related("employer", "region")


def referrals_for(user) -> QuerySet[Referral]:
    """The service and the registering staff see referrals of their region's job-seekers; an
    employer sees those to its own vacancies."""
    p = read_prefixes(user)
    q = _q(p) if p else Q(pk__in=[])
    own = employer_ids(user)
    if own:
        q |= Q(vacancy__employer_id__in=own)
    return Referral.objects.filter(q).select_related("person", "vacancy", "vacancy__employer")


def events_for(user) -> QuerySet[Event]:
    p = read_prefixes(user)
    if not p:
        return Event.objects.none()
    return Event.objects.filter(_q(p)).select_related("region")


def internships_for(user) -> QuerySet[Internship]:
    p = read_prefixes(user)
    if not p:
        return Internship.objects.none()
    return Internship.objects.filter(_q(p)).select_related("person", "host", "region")


def courses_for(user) -> QuerySet[Course]:
    p = read_prefixes(user)
    if not p:
        return Course.objects.none()
    return Course.objects.filter(_q(p)).select_related("region")


def enrolments_for(user) -> QuerySet[Enrolment]:
    p = read_prefixes(user)
    if not p:
        return Enrolment.objects.none()
    return Enrolment.objects.filter(_q(p)).select_related("person", "course")


def person_in_scope(user, id_number: str) -> Person | None:
    """The registry's person with this ID number, if the person lives where the user serves."""
    prefixes = service_prefixes(user)
    if not prefixes:
        return None
    return Person.objects.filter(_q(prefixes), id_number=id_number.strip().upper()).first()


def _get(qs: QuerySet, pk):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_unemployment_by_id(user, pk) -> Unemployment:
    return _get(unemployments_for(user), pk)


def access_vacancy_by_id(user, pk) -> Vacancy:
    return _get(vacancies_for(user), pk)


def access_event_by_id(user, pk) -> Event:
    return _get(events_for(user), pk)


def access_referral_by_id(user, pk) -> Referral:
    return _get(referrals_for(user), pk)


def access_internship_by_id(user, pk) -> Internship:
    return _get(internships_for(user), pk)


def access_course_by_id(user, pk) -> Course:
    return _get(courses_for(user), pk)


def access_employer_by_id(user, pk) -> Employer:
    return _get(employers_for(user), pk)


def access_employment_by_id(user, pk) -> Employment:
    return _get(employments_for(user), pk)


def access_enrolment_by_id(user, pk) -> Enrolment:
    return _get(enrolments_for(user), pk)


def managed_employers(user) -> QuerySet[Employer]:
    """The employers the service may edit (those of the regions it serves)."""
    p = service_prefixes(user)
    if not p:
        return Employer.objects.none()
    return Employer.objects.filter(_q(p)).select_related("region")


def open_vacancies(user, today: dt.date) -> QuerySet[Vacancy]:
    """Vacancies the user reads that are posted and not closed on `today`."""
    return vacancies_for(user).filter(Q(closes_on__isnull=True) | Q(closes_on__gte=today),
                                      posted_on__lte=today)


def can_update_referral(user, referral: Referral) -> bool:
    """The service of the seeker's region, or the employer the vacancy is its own."""
    return can_manage(user, referral.region_id) or referral.vacancy.employer_id in employer_ids(user)


def public_vacancies(today: dt.date) -> QuerySet[Vacancy]:
    """Open public vacancies: no personal data is reachable from them."""
    return (Vacancy.objects.filter(public=True, posted_on__lte=today)
            .filter(Q(closes_on__isnull=True) | Q(closes_on__gte=today))
            .select_related("employer", "region"))


def public_events(today: dt.date) -> QuerySet[Event]:
    return Event.objects.filter(public=True).select_related("region")
