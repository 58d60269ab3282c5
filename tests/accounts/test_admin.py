"""The back office grants memberships only inside the granter's district: the region, the
organisation (an organisation of 平城区 would let 安次区's administrator read and accept 平城区's
cases) and the role's rights must all be the granter's. Tried through the admin's own forms with
the test client; the system administrator still grants anything."""

from __future__ import annotations

import pytest

from minsheng.accounts.models import Membership
from minsheng.accounts.roles import RIGHTS, Role
from minsheng.places.models import Organisation, Region

pytestmark = pytest.mark.django_db

ANCI = "131002000000"
PINGCHENG = "140213"
ADD = "/admin/accounts/membership/add/"


def pingcheng_org() -> Organisation:
    return Organisation.objects.filter(region__code__startswith=PINGCHENG).order_by("pk").first()


def anci_org() -> Organisation:
    return Organisation.objects.filter(region__code__startswith="131002").order_by("pk").first()


def grant(c, *, user, role, region, organisation=None):
    return c.post(ADD, {"user": user.pk, "role": role, "region": region,
                        "organisation": organisation.pk if organisation else ""})


def test_a_district_admin_cannot_grant_itself_an_organisation_of_another_district(
        client_for, user):
    district, org = user("district"), pingcheng_org()
    assert org is not None
    before = Membership.objects.count()
    r = grant(client_for("district"), user=district, role=Role.DISTRICT_ADMIN, region=ANCI,
              organisation=org)
    assert r.status_code in (200, 403)
    if r.status_code == 200:  # the form says why
        assert "errornote" in r.content.decode()
    assert Membership.objects.count() == before
    assert not Membership.objects.filter(user=district,
                                         organisation__region__code__startswith=PINGCHENG).exists()


def test_a_district_admin_cannot_grant_in_another_districts_region(client_for, user):
    before = Membership.objects.count()
    r = grant(client_for("district"), user=user("viewer1"), role=Role.VIEWER,
              region=PINGCHENG.ljust(12, "0"))
    assert r.status_code in (200, 403)
    assert Membership.objects.count() == before


@pytest.fixture
def viewers_hold_more(monkeypatch):
    """Viewers carry a right no district administrator holds (as a new right would)."""
    monkeypatch.setitem(RIGHTS, Role.VIEWER, RIGHTS[Role.VIEWER] | {"test_only_right"})


def test_a_role_with_rights_the_granter_lacks_is_refused(client_for, user, viewers_hold_more):
    before = Membership.objects.count()
    r = grant(client_for("district"), user=user("resident1"), role=Role.VIEWER, region=ANCI)
    assert r.status_code in (200, 403)
    assert Membership.objects.count() == before


def test_the_role_choices_hold_only_grantable_roles(client_for, viewers_hold_more):
    page = client_for("district").get(ADD).content.decode()
    assert 'value="street_staff"' in page and 'value="property_manager"' in page
    assert 'value="viewer"' not in page


def test_the_superuser_grants_across_districts(client_for, user):
    org = pingcheng_org()
    r = grant(client_for("admin"), user=user("viewer1"), role=Role.VIEWER, region=ANCI,
              organisation=org)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Membership.objects.filter(user=user("viewer1"), organisation=org).exists()


def test_a_district_admin_still_grants_inside_its_district(client_for, user):
    street = Region.objects.get(code="131002001000")
    org = Organisation.objects.filter(region__code__startswith="131002001").order_by("pk").first()
    r = grant(client_for("district"), user=user("viewer1"), role=Role.STREET_STAFF,
              region=street.code, organisation=org)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Membership.objects.filter(user=user("viewer1"), role=Role.STREET_STAFF,
                                     region=street, organisation=org).exists()


def test_another_districts_membership_is_not_listed_nor_changed(client_for, user):
    other = Membership.objects.create(user=user("viewer1"), role=Role.VIEWER,
                                      region=Region.objects.get(code=PINGCHENG.ljust(12, "0")))
    c = client_for("district")
    assert f"/{other.pk}/change/" not in c.get("/admin/accounts/membership/").content.decode()
    r = c.post(f"/admin/accounts/membership/{other.pk}/change/",
               {"user": other.user_id, "role": Role.VIEWER, "region": ANCI})
    assert r.status_code in (302, 403, 404)
    other.refresh_from_db()
    assert other.region_id == PINGCHENG.ljust(12, "0")
