"""Region codes: the one function that finds a code's district."""

from __future__ import annotations

import pytest

from minsheng.places.models import district_code


@pytest.mark.parametrize(("code", "district"), [
    ("131002001007", "131002000000"),  # a community of 安次区
    ("131002001000", "131002000000"),  # a street
    ("131002000000", "131002000000"),  # the district itself
    ("140213001", "140213000000"),  # a street prefix of 平城区
])
def test_district_code_is_the_first_six_digits_padded_to_twelve(code, district):
    assert district_code(code) == district
