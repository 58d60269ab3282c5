"""The governance registry keeps history: last year's figures stay last year's."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from minsheng.governance import registry
from minsheng.governance.models import GovernanceRecord
from minsheng.places.models import Compound, Region

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 1, 4, tzinfo=dt.UTC)


def test_history_keeps_last_years_committee_coverage_after_this_years_change(user) -> None:
    street = Compound.objects.filter(region__code__startswith="131002").order_by(
        "region_id").first().region_id[:9]
    prefix = street
    plain = Compound.objects.filter(region__code__startswith=prefix)
    without = plain.filter(committee="").first()
    assert without is not None
    with time_machine.travel(NOW, tick=False):
        before = registry.figures_on(prefix, dt.date(2025, 12, 31))
        expected_before = plain.exclude(committee="").count()
        assert before["with_committee"] == expected_before
        rec = registry.do_change_governance(
            without, on=dt.date(2026, 3, 1), by=user("district"), committee="owners",
            election_date=dt.date(2026, 2, 20), turnout=80, street_approved=True,
            has_party_branch=True, head_is_party_secretary=True, cadre_full_time=True,
            property_managers=2)
        # last year's figure is still last year's; this year's has the new committee
        assert registry.figures_on(prefix, dt.date(2025, 12, 31))["with_committee"] == \
            expected_before
        now = registry.figures_on(prefix, dt.date(2026, 5, 1))
        assert now["with_committee"] == expected_before + 1
        assert now["secretary_heads_elected"] == 1 and now["full_time_cadre"] == 1
        assert now["property_managers"] == 2
        # the compound's current fields, which other code reads, follow the change
        without.refresh_from_db()
        assert without.committee == "owners" and without.head_is_party_secretary
        assert GovernanceRecord.objects.filter(compound=without).count() == 2
        assert rec.valid_from == dt.date(2026, 3, 1)
        with pytest.raises(ValidationError):
            registry.do_change_governance(without, on=dt.date(2026, 2, 1), by=None,
                                          committee="")
        with pytest.raises(ValidationError):
            registry.do_change_governance(without, on=dt.date(2026, 7, 1), by=None,
                                          committee="")  # in the future
        with pytest.raises(ValidationError):  # a party-secretary head needs a committee
            registry.do_change_governance(without, on=dt.date(2026, 4, 1), by=None,
                                          committee="")


def test_the_registry_pages_record_a_change_for_editors_only(client_for) -> None:
    street1 = Region.objects.filter(parent_id="131002000000").order_by("code")[0]
    c = Compound.objects.filter(region__code__startswith=street1.code[:9],
                                committee="").first()
    url = reverse("governance:registry-compound", args=[c.pk])
    s1 = client_for("street1")
    assert s1.get(reverse("governance:registry")).status_code == 200
    r = s1.post(url, {"on": "2000-01-02", "form": "none", "committee": "owners",
                      "election_date": "2000-01-01", "turnout": "75.5", "street_approved": "on",
                      "has_party_branch": "on", "head_is_party_secretary": "on",
                      "property_managers": "1", "cadre_unit": "区住建局", "note": ""})
    assert r.status_code == 302, r.content.decode()[:500]
    c.refresh_from_db()
    assert c.committee == "owners"
    assert GovernanceRecord.objects.get(compound=c, valid_to__isnull=True).turnout == 75.5
    for name in ("street2", "property1", "resident1", "viewer1"):
        assert client_for(name).get(url).status_code == 404, name
        assert client_for(name).post(url, {"on": "2000-01-03"}).status_code == 404, name
    for name in ("property1", "resident1", "viewer1"):
        assert client_for(name).get(reverse("governance:registry")).status_code == 403, name
