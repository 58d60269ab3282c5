"""法定劳动年龄 is dated configuration per region (MonitoringThreshold kinds working_age_*), set on
the thresholds page, with 16 / 60 / 55 as the default data (a migration, never overwriting a
district's own rows): the 零就业家庭 check, the unemployment register and the training enrolment
all read it through monitoring.working_age_rule."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError

from minsheng.assistance import monitoring as mon
from minsheng.assistance.models import Household, Person
from minsheng.assistance.monitoring_models import Alert, MonitoringThreshold
from minsheng.employment import actions as emp
from minsheng.employment.models import Unemployment
from minsheng.places.models import Region

pytestmark = pytest.mark.django_db
DISTRICT = "131002000000"
ON = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 4, tzinfo=dt.UTC)


def village() -> Region:
    return Region.objects.filter(code__startswith="131002", level="community").order_by(
        "code").first()


def person(number: str, born: dt.date, sex: str) -> Person:
    r = village()
    h = Household.objects.create(number=number, region=r, area="urban")
    return Person.objects.create(household=h, region=r, name=number, birth_date=born, sex=sex,
                                 id_number=f"1310021970010{int(number[2:]):05d}",
                                 labour_capacity="full")


def add(user, region, kind, age, valid_from=dt.date(2026, 1, 1)):
    return mon.do_add_threshold(user("revival1"), region=region, kind=kind, amount=Decimal(age),
                                valid_from=valid_from, valid_to=None, source="测试：本地文件")


@time_machine.travel(NOW, tick=False)
def test_the_district_s_rows_hold_the_former_values_and_a_street_s_own_row_wins(user):
    rule = mon.working_age_rule(village().code, ON)
    assert (rule.from_age, rule.male_until, rule.female_until) == (16, 60, 55)
    street = village().parent
    add(user, street, "working_age_female", 60)
    rule = mon.working_age_rule(village().code, ON)
    assert (rule.from_age, rule.male_until, rule.female_until) == (16, 60, 60)
    # before the street's row starts, and in another street, the district's ages hold
    assert mon.working_age_rule(village().code, dt.date(2025, 12, 31)).female_until == 55
    other = Region.objects.filter(code__startswith="131002", level="street").exclude(
        code=street.code).first()
    assert mon.working_age_rule(other.code, ON).female_until == 55


@time_machine.travel(NOW, tick=False)
def test_the_zero_employment_check_follows_the_region_s_working_age(user):
    woman = person("WA-1", dt.date(1969, 1, 1), "female")  # 57: past 55, not past 60
    Unemployment.objects.create(person=woman, region=woman.region, registered_on=dt.date(2026, 3, 1),
                                reason="dismissed")
    assert mon.raise_zero_employment_alerts(ON) == 0  # no member of working age: not 零就业
    add(user, village().parent, "working_age_female", 60)
    assert mon.raise_zero_employment_alerts(ON) == 1
    assert Alert.objects.filter(household=woman.household,
                                source_list=mon.ZERO_EMPLOYMENT_SOURCE).count() == 1


@time_machine.travel(NOW, tick=False)
def test_the_unemployment_register_refuses_outside_the_working_age(user):
    region = village()
    old = person("WA-2", dt.date(1966, 6, 15), "male")  # 60 today
    with pytest.raises(ValidationError, match="法定退休年龄（60周岁）"):
        emp.register_unemployment(old, region=region, registered_on=ON, reason="dismissed")
    young = person("WA-3", dt.date(2009, 6, 1), "male")  # 17
    emp.register_unemployment(young, region=region, registered_on=ON, reason="dismissed")
    assert Unemployment.objects.filter(person=young).exists()
    add(user, region.parent, "working_age_from", 18)
    younger = person("WA-4", dt.date(2009, 6, 1), "female")  # 17: now under the street's 18
    with pytest.raises(ValidationError, match="未满18周岁"):
        emp.register_unemployment(younger, region=region, registered_on=ON, reason="dismissed")
    assert not Unemployment.objects.filter(person=younger).exists()
    # 59 and a man: still of working age
    emp.register_unemployment(person("WA-5", dt.date(1966, 6, 16), "male"), region=region,
                              registered_on=ON, reason="dismissed")


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("age", ["16.5", "5", "200", "0"])
def test_an_age_that_is_not_a_whole_plausible_number_is_refused(client_for, age):
    before = MonitoringThreshold.objects.count()
    r = client_for("revival1").post("/assistance/monitoring/thresholds/new/", {
        "region": DISTRICT, "kind": "working_age_male", "amount": age,
        "valid_from": "2030-01-01", "valid_to": "", "source": "文件", "verified": ""})
    assert r.status_code == 200
    assert MonitoringThreshold.objects.count() == before


@time_machine.travel(NOW, tick=False)
def test_the_thresholds_page_lists_and_edits_the_working_age(client_for):
    c = client_for("revival1")
    page = c.get("/assistance/monitoring/thresholds/").content.decode()
    assert "女性劳动年龄上限（周岁，不含）" in page
    row = MonitoringThreshold.objects.get(region_id=DISTRICT, kind="working_age_female")
    assert f"/assistance/monitoring/thresholds/{row.pk}/edit/" in page
    r = c.post(f"/assistance/monitoring/thresholds/{row.pk}/edit/", {
        "region": DISTRICT, "kind": "working_age_female", "amount": "55",
        "valid_from": "1995-01-01", "valid_to": "2026-12-31", "source": "已核对", "verified": "on"})
    assert r.status_code == 302
    assert mon.working_age_rule(DISTRICT, dt.date(2027, 1, 1)).female_until == 55  # default
    assert c.post("/assistance/monitoring/thresholds/new/", {
        "region": DISTRICT, "kind": "working_age_female", "amount": "58",
        "valid_from": "2027-01-01", "valid_to": "", "source": "延迟退休", "verified": ""}
    ).status_code == 302
    assert mon.working_age_rule(DISTRICT, dt.date(2027, 1, 1)).female_until == 58
    assert mon.working_age_rule(DISTRICT, dt.date(2026, 12, 31)).female_until == 55


def test_the_migration_seeds_each_district_without_overwriting_its_own_rows():
    seed = importlib.import_module("minsheng.assistance.migrations.0013_working_age").seed
    MonitoringThreshold.objects.filter(kind__startswith="working_age").delete()
    own = MonitoringThreshold.objects.create(region_id=DISTRICT, kind="working_age_male",
                                             amount=Decimal("63"), valid_from=dt.date(2025, 1, 1),
                                             source="本区文件", verified=True)
    seed(apps, None)
    seed(apps, None)  # twice: nothing doubled
    rows = MonitoringThreshold.objects.filter(region_id=DISTRICT, kind__startswith="working_age")
    assert sorted((r.kind, r.amount) for r in rows) == [
        ("working_age_female", Decimal("55")), ("working_age_from", Decimal("16")),
        ("working_age_male", Decimal("63"))]
    own.refresh_from_db()
    assert (own.amount, own.source, own.verified) == (Decimal("63"), "本区文件", True)
    districts = Region.objects.filter(level="district").count()
    assert MonitoringThreshold.objects.filter(kind="working_age_from").count() == districts


def test_a_district_loaded_after_the_migration_gets_the_default_rows_once():
    """places.divisions.load_district sends places.signals.district_loaded; assistance seeds the
    16 / 60 / 55 rows (unverified) for the new district, never over its own rows."""
    from minsheng.places.divisions import load_district  # noqa: PLC0415 - the function under test

    code = "110101000000"  # 东城区: not part of the test database
    assert not Region.objects.filter(code=code).exists()
    load_district(code)
    rows = {t.kind: t for t in MonitoringThreshold.objects.filter(region_id=code)}
    assert {k: (int(t.amount), t.verified, t.valid_from) for k, t in rows.items()} == {
        "working_age_from": (16, False, dt.date(1995, 1, 1)),
        "working_age_male": (60, False, dt.date(1995, 1, 1)),
        "working_age_female": (55, False, dt.date(1995, 1, 1))}
    street = Region.objects.filter(code__startswith="110101", level="street").first()
    rule = mon.working_age_rule(street.code, ON)
    assert (rule.from_age, rule.male_until, rule.female_until, rule.source) == (16, 60, 55, "")
    # the district corrects one row; loading the district again keeps it and doubles nothing
    MonitoringThreshold.objects.filter(pk=rows["working_age_female"].pk).update(
        amount=Decimal("58"), verified=True)
    load_district(code)
    again = MonitoringThreshold.objects.filter(region_id=code)
    assert again.count() == 3
    assert again.get(kind="working_age_female").amount == Decimal("58")
    assert mon.working_age_rule(street.code, ON).female_until == 58
