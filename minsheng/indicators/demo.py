"""Demo indicator data for 安次区: the departments' manual returns (environment, insurance,
employment, assistance) for last year, approved, and this year's environment return submitted and
waiting for approval; targets for this year; computed values for the demo's years, quarters and
months. The manual figures echo the seeds' orders of magnitude and are labelled as demo data."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from minsheng.indicators import entry, services
from minsheng.indicators.models import Completion, DataSet, Indicator, Target
from minsheng.indicators.periods import Period
from minsheng.places.models import Region

LAST_YEAR = {
    "environment": {"air_days_assessed": "365", "air_good_days": "300", "pm25_mean": "28",
                    "water_section_class": "3"},
    "insurance": {"pension_insured": "198000", "pension_eligible": "200000",
                  "medical_insured": "327480", "medical_eligible": "330300"},
    # the statistics bureau's returns; the employment figures themselves are computed from
    # employment/'s records (indicators/sources_employment.py)
    "employment": {"urban_employed": "178400", "surveyed_unemployment_rate": "4.8"},
    # 低保, payments, reviews and 返贫致贫户 are computed from assistance/ records
    # (sources_assistance.py, sources_monitoring.py)
}


def this_year_environment(today) -> dict[str, str]:
    """This year's return so far: the days monitored before today, 83% of them good."""
    assessed = max(1, (today - today.replace(month=1, day=1)).days)
    return {"air_days_assessed": str(assessed), "air_good_days": str(round(assessed * 0.83)),
            "pm25_mean": "30", "water_section_class": "3"}


TARGETS = {"management_coverage": 95, "committee_coverage": 70, "cases_on_time_rate": 90,
           "cases_satisfaction": "4.5", "cases_avg_hours": 72, "mediation_success_rate": 80,
           "livelihood_share": 80, "projects_on_time_rate": 100, "air_good_days": 300,
           "pm25_mean": 30, "legal_aid_consultations": 3500,
           "urban_new_jobs": 3500, "pension_participation": 99, "medical_participation": 99}


def generate(district_code: str = "131002", progress=print) -> None:
    district = Region.objects.get(code=district_code.ljust(12, "0"))
    year = timezone.localdate().year
    User = get_user_model()
    dept, boss = User.objects.get(username="dept1"), User.objects.get(username="district")
    if not Completion.objects.filter(region=district).exists():
        for code, values in LAST_YEAR.items():
            ds = DataSet.objects.get(code=code)
            p = Period(year - 1)
            entry.save(dept, ds, district, p, values)
            entry.submit(dept, ds, district, p)
            entry.approve(boss, ds, district, p)
        ds = DataSet.objects.get(code="environment")
        entry.save(dept, ds, district, Period(year), this_year_environment(timezone.localdate()))
        entry.submit(dept, ds, district, Period(year))
    for code, value in TARGETS.items():
        ind = Indicator.objects.filter(code=code).first()
        if ind is not None:
            Target.objects.get_or_create(indicator=ind, region=district, year=year,
                                         defaults={"value": Decimal(str(value)),
                                                   "note": "演示目标"})
    periods = [Period(year - 1), Period(year)]
    periods += Period(year).sub_periods("quarter") + Period(year).sub_periods("month")
    periods += Period(year - 1).sub_periods("quarter")
    today = timezone.localdate()
    n = sum(services.compute(district.code, p) for p in periods if p.start <= today)
    progress(f"{district.name}: 指标已计算（{n} 个数据值，{len(periods)} 个期间）；"
             f"{year - 1} 年人工填报数据已审核，{year} 年环境数据待审核")
