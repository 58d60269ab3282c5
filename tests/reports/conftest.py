"""A year of records for the report tests: 2023, a year the demo leaves empty, so every figure of
the report is one these fixtures made."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from minsheng.cases import mediation, workflow
from minsheng.cases.models import Case, CaseType, Party
from minsheng.places.models import Compound, Region

TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2023
DISTRICT = "131002000000"  # 安次区
OTHER_DISTRICT = "140213000000"  # 平城区


def at(month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(YEAR, month, day, hour, tzinfo=TZ)


def _compound(k: int = 0) -> Compound:
    street = Region.objects.filter(parent_id=DISTRICT).order_by("code").first()
    return Compound.objects.filter(region__code__startswith=street.code[:9],
                                   lat__isnull=False).order_by("pk")[k]


def _file(code: str, when: dt.datetime, compound: Compound, text: str = "测试诉求") -> Case:
    with time_machine.travel(when, tick=False):
        return workflow.do_file(case_type=CaseType.objects.get(code=code), description=text,
                                channel=Case.Channel.STAFF, compound=compound, at=when)


@pytest.fixture
def year_of_cases(user):
    """2023 in 安次区: three property repairs (two resolved), a legal-aid consultation and two
    neighbour disputes taken through mediation, one settled and one failed."""
    boss = user("district")
    c0, c1 = _compound(0), _compound(1)
    cases = []
    for month in (3, 4, 5):
        case = _file("property_repair", at(month, 2), c0)
        cases.append(case)
        if month < 5:
            with time_machine.travel(at(month, 2, 10), tick=False):
                workflow.do_accept(boss, case)
            with time_machine.travel(at(month, 3), tick=False):
                workflow.do_resolve(boss, case, "已修复")
    cases.append(_file("legal_aid", at(6, 1), c0))
    for outcome, day, compound in (("settled", 10, c0), ("failed", 11, c1)):
        case = _file("neighbour_dispute", at(7, day), compound, "邻里纠纷")
        cases.append(case)
        m = case.mediation
        Party.objects.create(mediation=m, role=Party.Role.APPLICANT, name="王芳")
        with time_machine.travel(at(7, day + 5), tick=False):
            mediation.do_conclude_mediation(
                boss, m, outcome=outcome, referral="court" if outcome == "failed" else "",
                agreement="赔偿 2000 元" if outcome == "settled" else None)
    return cases
