"""零就业家庭: a registered household whose members of working age able to work are all without
employment (the employment registers), one of them registered unemployed, raises a 防返贫 alert
of risk 务工就业收入骤减 from the daily job — once while it is open, not while the household is
being monitored, not again after a dismissal until someone registers unemployed anew."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from minsheng.assistance import monitoring as mon
from minsheng.assistance import relapse
from minsheng.assistance.models import Household, Person
from minsheng.assistance.monitoring_models import Alert
from minsheng.employment.models import Employment, Unemployment
from minsheng.places.models import Region
from minsheng.web import jobs

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 4, tzinfo=dt.UTC)
_seq = iter(range(1, 10_000))


def village() -> Region:
    return Region.objects.filter(code__startswith="131002", level="community").order_by(
        "code").first()


def household(number: str, *members: tuple[dt.date, str, str]) -> tuple[Household, list[Person]]:
    """members: (birth date, sex, labour capacity)."""
    r = village()
    h = Household.objects.create(number=number, region=r, area="urban")
    people = [Person.objects.create(household=h, region=r, name=f"{number}-{i}",
                                    id_number=f"13100219700101{next(_seq):04d}", birth_date=born,
                                    sex=sex, labour_capacity=labour)
              for i, (born, sex, labour) in enumerate(members)]
    return h, people


def unemployed(p: Person, on=dt.date(2026, 3, 1), ended=None):
    return Unemployment.objects.create(person=p, region=p.region, registered_on=on,
                                       reason="dismissed", ended_on=ended)


def employed(p: Person, on=dt.date(2025, 1, 1), left=None):
    return Employment.objects.create(person=p, region=p.region, employed_on=on, left_on=left,
                                     employer_name="某公司")


def alerts(h):
    return list(Alert.objects.filter(household=h, source_list=mon.ZERO_EMPLOYMENT_SOURCE))


def test_working_age_is_16_to_60_for_men_and_55_for_women():
    assert relapse.working_age(dt.date(2010, 6, 15), "male", ON)  # 16 today
    assert not relapse.working_age(dt.date(2010, 6, 16), "male", ON)  # 16 tomorrow
    assert relapse.working_age(dt.date(1966, 6, 16), "male", ON)  # 59
    assert not relapse.working_age(dt.date(1966, 6, 15), "male", ON)  # 60
    assert not relapse.working_age(dt.date(1971, 6, 15), "female", ON)  # 55
    assert relapse.working_age(dt.date(1971, 6, 15), "", ON)  # sex not recorded: to 60


@time_machine.travel(NOW, tick=False)
def test_zero_employment_households_raise_one_alert_each(user):
    # both able adults out of work, one registered: a 零就业家庭
    zero, (a, b) = household("Z-1", (dt.date(1980, 1, 1), "male", "full"),
                             (dt.date(1982, 1, 1), "female", "partial"))
    unemployed(a)
    # the retired parent's pension job and a child do not count either way
    _h, (c, d, e) = household("Z-2", (dt.date(1985, 1, 1), "male", "full"),
                              (dt.date(1960, 1, 1), "male", "full"),
                              (dt.date(2012, 1, 1), "female", "none"))
    unemployed(c)
    employed(d)
    # one member in work: not zero-employment
    working, (f, g) = household("Z-3", (dt.date(1980, 1, 1), "male", "full"),
                                (dt.date(1981, 1, 1), "female", "full"))
    unemployed(f)
    employed(g)
    # nobody registered unemployed: no sign of a wish to work in the registers
    quiet, _ = household("Z-4", (dt.date(1980, 1, 1), "male", "full"))
    # the only registered member is unable to work
    unable, (k,) = household("Z-5", (dt.date(1980, 1, 1), "male", "none"))
    unemployed(k)
    # the job ended and the registration ended too: both dated
    ended, (m,) = household("Z-6", (dt.date(1980, 1, 1), "male", "full"))
    employed(m, left=dt.date(2026, 1, 31))
    unemployed(m, on=dt.date(2026, 2, 1), ended=dt.date(2026, 5, 1))

    assert jobs.SCHEDULES["monitoring-zero-employment"][0] == \
        "minsheng.assistance.monitoring.raise_zero_employment_alerts"
    assert mon.raise_zero_employment_alerts() == 2
    [alert] = alerts(zero)
    assert (alert.channel, alert.risk, alert.state, alert.event_date) == (
        "platform", "income_job", "open", ON)
    assert "2 名成员均未就业" in alert.description and "1 人" in alert.description
    assert len(alerts(_h)) == 1
    for h in (working, quiet, unable, ended):
        assert alerts(h) == [], h.number
    # idempotent: one open alert per household
    assert mon.raise_zero_employment_alerts() == 0
    assert len(alerts(zero)) == 1


@time_machine.travel(NOW, tick=False)
def test_no_alert_while_monitored_nor_after_a_dismissal_until_a_new_registration(user):
    zero, (a,) = household("Z-7", (dt.date(1980, 1, 1), "male", "full"))
    unemployed(a, on=dt.date(2026, 3, 1))
    assert mon.raise_zero_employment_alerts() == 1
    [alert] = alerts(zero)
    mon.do_handle_alert(user("revival1"), alert, dismiss_reason="灵活就业，收入稳定（核实）")
    assert mon.raise_zero_employment_alerts() == 0
    # a later registration is a new signal
    with time_machine.travel(NOW + dt.timedelta(days=5), tick=False):
        Unemployment.objects.filter(person=a).update(ended_on=dt.date(2026, 4, 1))
        assert mon.raise_zero_employment_alerts() == 0  # no open registration: no sign
        unemployed(a, on=dt.date(2026, 6, 20))
        assert mon.raise_zero_employment_alerts() == 1
        # handled by opening a case: no new alert while the household is being monitored
        latest = Alert.objects.filter(household=zero, state="open").get()
        mon.do_handle_alert(user("revival1"), latest)
        assert latest.household.alerts.filter(state="open").count() == 0
        assert mon.raise_zero_employment_alerts() == 0
