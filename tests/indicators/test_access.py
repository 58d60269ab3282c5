"""indicators/access.py, the one owner of who sees and enters which indicator figures: each
persona's answer from the functions themselves (the pages' 403s and 404s are in test_dashboard.py
and test_entry_pages.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from minsheng.indicators import access
from minsheng.places.models import Region

pytestmark = pytest.mark.django_db

D = "131002000000"
STREET1 = "131002001000"
STREET2 = "131002002000"


def test_district_staff_see_the_district_by_default_and_any_street_asked_for(user):
    district = user("district")
    assert access.access_indicator_region(district, "").code == D
    assert access.access_indicator_region(district, STREET2).code == STREET2


def test_a_street_user_is_shown_their_street_and_refused_the_district_and_other_streets(user):
    street1 = user("street1")
    assert access.access_indicator_region(street1, None).code == STREET1
    with pytest.raises(PermissionDenied):
        access.access_indicator_region(street1, D)  # in scope as context, no right there
    with pytest.raises(Http404):
        access.access_indicator_region(street1, STREET2)  # not theirs: not revealed


def test_a_resident_has_no_indicator_right_anywhere(user):
    with pytest.raises(PermissionDenied):
        access.access_indicator_region(user("resident1"), None)


def test_the_switchers_region_is_the_default_when_the_user_may_view_it(user):
    street2 = Region.objects.get(code=STREET2)
    assert access.default_region_for(user("district"), street2) == street2
    # a region without the right falls back to the user's own widest region
    assert access.default_region_for(user("street1"), street2).code == STREET1


def test_entry_regions_follow_the_enter_and_approve_rights(user):
    dept, district, street1 = user("dept1"), user("district"), user("street1")
    assert access.may_use_entry(dept) and access.may_use_entry(district)
    assert not access.may_use_entry(user("resident1"))
    d = Region.objects.get(code=D)
    assert list(access.entry_regions_for(dept, "district").values_list("code", flat=True)) == [D]
    assert access.can_enter(dept, d) and not access.can_approve(dept, d)
    assert access.can_approve(district, d)
    assert not access.may_use_entry(street1)  # street staff neither enter nor approve
    assert not access.entry_regions_for(street1, "district").exists()
