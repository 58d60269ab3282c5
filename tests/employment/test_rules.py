"""employment/rules.py: the internship eligibility, terms and subsidy, the training subsidy and
ID-number checks (pure, no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minsheng.employment import rules
from minsheng.employment.rules import Applicant, internship_eligibility

D = dt.date


@pytest.mark.parametrize(("applicant", "start", "basis"), [
    # a graduate: from the year of leaving school until 2 years after 1 July of it
    (Applicant(D(1990, 1, 1), graduate_year=2024), D(2024, 3, 1), "graduate"),
    (Applicant(D(1990, 1, 1), graduate_year=2024), D(2026, 6, 30), "graduate"),
    (Applicant(D(1990, 1, 1), graduate_year=2024), D(2026, 7, 1), None),
    # a young person: 16-24 at the start, registered unemployed
    (Applicant(D(2002, 3, 1), registered_unemployed=True), D(2026, 2, 28), "youth"),  # 23
    (Applicant(D(2001, 3, 1), registered_unemployed=True), D(2026, 2, 28), "youth"),  # 24
    (Applicant(D(2001, 3, 1), registered_unemployed=True), D(2026, 3, 1), None),  # 25 today
    (Applicant(D(2010, 3, 2), registered_unemployed=True), D(2026, 3, 1), None),  # 15
    (Applicant(D(2010, 3, 1), registered_unemployed=True), D(2026, 3, 1), "youth"),  # 16 today
    (Applicant(D(2003, 3, 1)), D(2026, 3, 1), None),  # not registered unemployed
])
def test_who_may_start_an_internship(applicant, start, basis):
    assert internship_eligibility(applicant, start).basis == basis


@pytest.mark.parametrize("flag", ["had_internship", "employed", "insured", "in_school"])
def test_once_only_and_exclusions(flag):
    a = Applicant(D(2003, 1, 1), graduate_year=2025, registered_unemployed=True, **{flag: True})
    e = internship_eligibility(a, D(2026, 1, 5))
    assert not e.ok and e.basis is None and len(e.problems) == 1


def test_terms_length_and_allowance_at_least_minimum_wage():
    assert rules.internship_terms(3, Decimal("1900"), Decimal("1900")) == []
    assert rules.internship_terms(12, Decimal("2500"), Decimal("1900")) == []
    assert len(rules.internship_terms(2, Decimal("1900"), Decimal("1900"))) == 1
    assert len(rules.internship_terms(13, Decimal("1899.99"), Decimal("1900"))) == 2
    assert rules.internship_terms(6, Decimal("2000"), None)  # no rate: said so


def test_subsidy_share_and_retention():
    args = (Decimal("1900"), Decimal("0.70"), Decimal("1.10"))
    assert rules.internship_subsidy(6, *args, None, Decimal("0.5")) == Decimal("7980.00")
    assert rules.internship_subsidy(6, *args, Decimal("0.49"), Decimal("0.5")) == Decimal("7980.00")
    assert rules.internship_subsidy(6, *args, Decimal("0.5"), Decimal("0.5")) == Decimal("12540.00")
    assert rules.internship_subsidy(14, *args, None, Decimal("0.5")) == Decimal("15960.00")  # 12


def test_training_subsidy():
    s = Decimal("1500")
    assert rules.training_subsidy(s, True, True) == Decimal("1500.00")
    assert rules.training_subsidy(s, True, False) == Decimal("1200.00")
    assert rules.training_subsidy(s, False, True) == Decimal("0.00")


def test_id_numbers():
    body = "13100220000229123"
    good = body + rules.id_check_digit(body)
    assert rules.id_valid(good) and rules.birth_of_id(good) == D(2000, 2, 29)
    bad = body + ("0" if good[-1] != "0" else "1")
    assert not rules.id_valid(bad) and not rules.id_valid("1310022000") and \
        not rules.id_valid("A" * 18)
    assert rules.birth_of_id("131002" + "20010230" + "1234") is None
    assert rules.age_on(D(2000, 2, 29), D(2018, 2, 28)) == 17
    assert rules.add_years(D(2024, 2, 29), 2) == D(2026, 2, 28)
