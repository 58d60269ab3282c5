"""The governance registry keeps history: last year's figures stay last year's."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from minsheng.governance import registry
from minsheng.governance.models import GovernanceRecord
from minsheng.places.models import Compound

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
