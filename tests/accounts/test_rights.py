"""One rule for what a membership may do (accounts.roles.rights_of): the role's rights, plus what
a department's function brings, less the rights gated to another function. places.scope asks it
for every membership; the assistance, employment and monitoring apps ask places.scope."""

from __future__ import annotations

import pytest

from minsheng.accounts.roles import (
    DECIDE_ASSISTANCE,
    EDIT_PLACES,
    MANAGE_EMPLOYMENT,
    MANAGE_MONITORING,
    REPORT_PROGRESS,
    VIEW_HOUSEHOLDS,
    Role,
    rights_of,
)
from minsheng.places.scope import scope_of


def test_a_department_gets_the_rights_of_its_function_and_no_other():
    civil = rights_of(Role.DEPARTMENT_STAFF, "civil_affairs")
    housing = rights_of(Role.DEPARTMENT_STAFF, "housing")
    hr = rights_of(Role.DEPARTMENT_STAFF, "human_resources")
    assert {DECIDE_ASSISTANCE, VIEW_HOUSEHOLDS, REPORT_PROGRESS} <= civil
    assert MANAGE_EMPLOYMENT not in civil and MANAGE_MONITORING not in civil
    assert not {DECIDE_ASSISTANCE, VIEW_HOUSEHOLDS, MANAGE_EMPLOYMENT} & housing
    assert REPORT_PROGRESS in housing
    assert MANAGE_EMPLOYMENT in hr and VIEW_HOUSEHOLDS not in hr
    assert MANAGE_MONITORING in rights_of(Role.DEPARTMENT_STAFF, "agriculture")


def test_gated_rights_of_a_role_drop_through_a_department_of_another_function():
    # the district admin holds the assistance rights to grant the roles that carry them; as a
    # member of the 民生办 (a department) it reads no household and is not the employment service
    through_office = rights_of(Role.DISTRICT_ADMIN, "livelihood_office")
    assert VIEW_HOUSEHOLDS not in through_office and MANAGE_EMPLOYMENT not in through_office
    assert EDIT_PLACES in through_office
    # through a street office or a community committee (not departments) the role is what it says
    assert VIEW_HOUSEHOLDS in rights_of(Role.STREET_STAFF, None)


@pytest.mark.django_db
@pytest.mark.parametrize(("username", "right", "held"), [
    ("civil1", DECIDE_ASSISTANCE, True), ("dept1", DECIDE_ASSISTANCE, True),
    ("dept-housing", DECIDE_ASSISTANCE, False), ("dept-housing", VIEW_HOUSEHOLDS, False),
    ("employ1", MANAGE_EMPLOYMENT, True), ("dept1", MANAGE_EMPLOYMENT, False),
    ("revival1", MANAGE_MONITORING, True), ("dept-housing", MANAGE_MONITORING, False),
    ("district", VIEW_HOUSEHOLDS, False), ("district", MANAGE_EMPLOYMENT, False),
    ("community1", VIEW_HOUSEHOLDS, True),
])
def test_the_demo_accounts_hold_what_their_department_does(user, username, right, held):
    u = user(username)
    home = u.memberships.first().region_id  # inside every account's own region
    assert scope_of(u).has_right(right, home) is held
