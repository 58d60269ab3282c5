"""Fixtures of the employment tests: people of their own (checksum-valid ID numbers born on 1 Jan
of a year with a 9xx sequence, so they collide with no demo person) in 安次区's first community."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from minsheng.assistance.models import Person
from minsheng.employment.rules import id_check_digit
from minsheng.places.models import Region

_seq = itertools.count(900)


def id_for(birth: dt.date) -> str:
    while True:
        body = f"131002{birth:%Y%m%d}{next(_seq) % 1000:03d}"
        number = body + id_check_digit(body)
        if not Person.objects.filter(id_number=number).exists():
            return number


@pytest.fixture
def community(db) -> Region:
    street = Region.objects.filter(parent_id="131002000000").order_by("code").first()
    return Region.objects.filter(parent=street).order_by("code").first()


@pytest.fixture
def other_community(db) -> Region:
    street2 = Region.objects.filter(parent_id="131002000000").order_by("code")[1]
    return Region.objects.filter(parent=street2).order_by("code").first()


@pytest.fixture
def make_person(community):
    def make(birth=dt.date(1990, 1, 1), region=None, name="测试人员") -> Person:
        return Person.objects.create(region=region or community, name=name, birth_date=birth,
                                     id_number=id_for(birth), phone="13812345678")
    return make
