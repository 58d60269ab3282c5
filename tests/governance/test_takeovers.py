"""Takeovers of compounds without management: items with deadlines, the company reports, the
street inspects against the standard, overdue flags; who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from minsheng.accounts.models import Membership
from minsheng.accounts.roles import Role
from minsheng.governance import demo, registry, takeovers
from minsheng.governance.models import Takeover, TakeoverItem
from minsheng.places.models import Compound, Organisation, Region
from minsheng.places.scope import scope_of

pytestmark = pytest.mark.django_db
DISTRICT = "131002000000"


@pytest.fixture
def takeover(user) -> Takeover:
    company = Organisation.objects.get(pk=next(iter(scope_of(user("property1"))
                                                   .managed_company_ids)))
    street1 = Region.objects.filter(parent_id=DISTRICT).order_by("code")[0]
    compound = Compound.objects.filter(region__code__startswith=street1.code[:9],
                                       property_status="none").first() or \
        Compound.objects.filter(region__code__startswith=street1.code[:9]).first()
    to = Takeover.objects.create(name="接管", company=company, region_id=DISTRICT,
                                 started_on=dt.date(2026, 1, 1))
    TakeoverItem.objects.create(takeover=to, compound=compound, standard="cleaning",
                                requirement="清理完毕", deadline=dt.date(2026, 2, 1))
    TakeoverItem.objects.create(takeover=to, compound=compound, standard="repair",
                                requirement="修复完好", deadline=dt.date(2026, 4, 1))
    return to


def test_the_company_reports_and_the_street_checks_against_the_standard(
        takeover, client_for) -> None:
    a, b = takeover.items.order_by("deadline")
    p = client_for("property1")
    s1 = client_for("street1")
    act = reverse("governance:takeover-act", args=[a.pk])
    assert p.get(reverse("governance:takeover", args=[takeover.pk])).status_code == 200
    with time_machine.travel(dt.datetime(2026, 1, 20, 4, tzinfo=dt.UTC), tick=False):
        assert s1.post(act, {"do": "done"}).status_code == 403  # only the company reports
        assert p.post(act, {"do": "done"}).status_code == 302
        assert p.post(act, {"do": "pass"}).status_code == 403  # and does not check itself
        s1.post(act, {"do": "fail", "note": ""})  # a failure needs a reason
        a.refresh_from_db()
        assert a.state == "done"
        s1.post(act, {"do": "fail", "note": "楼道仍有杂物"})
        a.refresh_from_db()
        assert a.state == "failed" and a.check_note == "楼道仍有杂物"
        p.post(act, {"do": "done"})
        s1.post(act, {"do": "pass"})
        a.refresh_from_db()
        assert a.state == "passed"
    with time_machine.travel(dt.datetime(2026, 4, 10, 4, tzinfo=dt.UTC), tick=False):
        f = takeovers.figures(takeover.items.all())
        assert (f["n"], f["passed"], f["on_time"], f["overdue"]) == (2, 1, 1, 1)
    other = get_user_model().objects.create_user("pc-admin3")
    Membership.objects.create(user=other, role=Role.DISTRICT_ADMIN, region_id="140213000000")
    pc = Client()
    pc.force_login(other)
    for c in (client_for("street2"), client_for("resident1"), client_for("viewer1"), pc):
        assert c.get(reverse("governance:takeover", args=[takeover.pk])).status_code == 404
        assert c.post(reverse("governance:takeover-act", args=[b.pk]),
                      {"do": "done"}).status_code == 404
    for name in ("resident1", "viewer1", "dept1"):
        assert client_for(name).get(reverse("governance:takeovers")).status_code == 403


def test_the_demo_takes_over_generated_compounds_without_management() -> None:
    """The demo creates its takeover through the users' action: the registry names the company
    from the takeover's start, and the compounds were without management before it."""
    before = set(Compound.objects.filter(region__code__startswith="131002", generated=True,
                                         property_status="none").values_list("pk", flat=True))
    demo.generate("131002", progress=lambda *_: None)
    to = Takeover.objects.get(generated=True)
    compounds = list(Compound.objects.filter(pk__in=to.items.values("compound_id")))
    assert compounds and {c.pk for c in compounds} <= before
    assert all(c.generated for c in compounds)
    day_before = to.started_on - dt.timedelta(days=1)
    for c in compounds:
        now = registry.management_on(c)
        assert (now["form"], now["property_company"]) == ("company", to.company)
        assert (c.property_status, c.property_company_id) == ("company", to.company_id)
        assert registry.record_on(c, to.started_on).property_company == to.company
        assert registry.management_on(c, day_before)["form"] == "none"
    assert registry.apply_due() == 0  # every compound's fields already in step with the registry
    # the registry page of a taken-over compound names the company
    page = Client()
    page.force_login(get_user_model().objects.get(username="district"))
    html = page.get(reverse("governance:registry-compound", args=[compounds[0].pk])
                    ).content.decode()
    assert to.company.name in html and to.started_on.isoformat() in html
    f = takeovers.figures(to.items.all())
    assert f["passed"] > 0 and f["n"] > f["passed"]
    assert not to.items.filter(done_on__gt=timezone.localdate()).exists()


def test_the_list_counts_the_items_each_reader_sees(client_for) -> None:
    """A street's inspector sees the demo takeover's items in the street's compounds: the list's
    row counts those, as the takeover's page and the total above the list do, not the
    district's."""
    demo.generate("131002", progress=lambda *_: None)
    to = Takeover.objects.get(generated=True)
    for name in ("street1", "district", "property1"):
        c = client_for(name)
        listed = c.get(reverse("governance:takeovers"))
        if listed.status_code != 200:
            continue
        row = dict(listed.context["rows"]).get(to)
        if row is None:
            continue
        page = c.get(reverse("governance:takeover", args=[to.pk])).context["total"]
        assert (row["n"], row["passed"], row["overdue"]) == (
            page["n"], page["passed"], page["overdue"]), name
        assert (row["n"], row["passed"]) == (listed.context["total"]["n"],
                                             listed.context["total"]["passed"]), name
    street = client_for("street1").get(reverse("governance:takeovers")).context
    assert dict(street["rows"])[to]["n"] < to.items.count()  # not the whole district's
