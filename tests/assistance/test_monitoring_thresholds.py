"""The 防返贫 thresholds are set on their own pages by revival1 (区乡村振兴, MANAGE_MONITORING):
positive amounts, no two rows of a kind in force at once for one region, hostile text refused;
everyone else is refused (other roles 403, another district's row 404). An alert can be linked
to a grievance case, shown on the alert page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from minsheng.assistance import monitoring as mon
from minsheng.assistance.models import Household
from minsheng.assistance.monitoring_models import Alert, MonitoringThreshold
from minsheng.cases.access import cases_for
from minsheng.cases.models import Case
from minsheng.places.models import Region

pytestmark = pytest.mark.django_db
DISTRICT = "131002000000"
NOW = dt.datetime(2026, 6, 15, 4, tzinfo=dt.UTC)


def form(**kw):
    data = {"region": DISTRICT, "kind": "medical", "amount": "12000", "valid_from": "2030-01-01",
            "valid_to": "", "source": "区乡村振兴局文件", "verified": ""}
    return data | kw


@time_machine.travel(NOW, tick=False)
def test_revival1_adds_and_edits_a_dated_threshold_from_the_list(client_for):
    c = client_for("revival1")
    page = c.get("/assistance/monitoring/thresholds/").content.decode()
    assert "/assistance/monitoring/thresholds/new/" in page
    assert c.get("/assistance/monitoring/thresholds/new/").status_code == 200
    # the demo's 医疗 line runs open-ended: a new one must not overlap it
    open_ended = MonitoringThreshold.objects.filter(region_id=DISTRICT, kind="medical",
                                                    valid_to=None).first()
    r = c.post("/assistance/monitoring/thresholds/new/", form())
    if open_ended is not None:
        assert r.status_code == 200 and "日期重叠" in r.content.decode()
        r = c.post(f"/assistance/monitoring/thresholds/{open_ended.pk}/edit/", form(
            amount=str(open_ended.amount), valid_from=str(open_ended.valid_from),
            valid_to="2029-12-31", source=open_ended.source))
        assert r.status_code == 302
        r = c.post("/assistance/monitoring/thresholds/new/", form())
    assert r.status_code == 302
    t = MonitoringThreshold.objects.get(region_id=DISTRICT, kind="medical",
                                        valid_from=dt.date(2030, 1, 1))
    assert t.amount == Decimal("12000") and t.valid_to is None
    assert f"/assistance/monitoring/thresholds/{t.pk}/edit/" in c.get(
        "/assistance/monitoring/thresholds/").content.decode()
    r = c.post(f"/assistance/monitoring/thresholds/{t.pk}/edit/",
               form(amount="12500.50", valid_to="2030-12-31"))
    assert r.status_code == 302
    t.refresh_from_db()
    assert (t.amount, t.valid_to) == (Decimal("12500.50"), dt.date(2030, 12, 31))
    # an adjacent year is fine; the new rule is read from its first day
    assert c.post("/assistance/monitoring/thresholds/new/",
                  form(valid_from="2031-01-01", amount="13000")).status_code == 302
    assert mon.threshold("medical", DISTRICT, dt.date(2031, 3, 1)).amount == Decimal("13000")
    assert mon.threshold("medical", DISTRICT, dt.date(2030, 3, 1)).amount == Decimal("12500.50")


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("bad,message", [
    ({"amount": "0"}, None), ({"amount": "-100"}, None), ({"amount": "abc"}, None),
    ({"valid_to": "2029-01-01"}, "截止日期"),
    ({"source": "依据\x07文件"}, None), ({"source": "<script>x</script>\n二行"}, None),
    ({"kind": "nonsense"}, None), ({"region": "140213000000"}, None),
])
def test_bad_thresholds_are_refused_with_nothing_written(client_for, bad, message):
    before = MonitoringThreshold.objects.count()
    r = client_for("revival1").post("/assistance/monitoring/thresholds/new/", form(**bad))
    assert r.status_code == 200
    if message:
        assert message in r.content.decode()
    assert MonitoringThreshold.objects.count() == before


@time_machine.travel(NOW, tick=False)
def test_overlaps_are_refused_in_the_action_for_the_same_region_and_kind(user):
    revival, district = user("revival1"), Region.objects.get(code=DISTRICT)
    base = {"region": district, "kind": "schooling", "source": "测试"}
    MonitoringThreshold.objects.filter(region=district, kind="schooling").delete()
    mon.do_add_threshold(revival, amount=Decimal(8000), valid_from=dt.date(2030, 1, 1),
                         valid_to=dt.date(2030, 12, 31), **base)
    for start, end in ((dt.date(2030, 6, 1), None), (dt.date(2029, 1, 1), dt.date(2030, 1, 1)),
                       (dt.date(2030, 12, 31), dt.date(2031, 5, 1))):
        with pytest.raises(ValidationError, match="重叠"):
            mon.do_add_threshold(revival, amount=Decimal(9000), valid_from=start, valid_to=end,
                                 **base)
    # the day after, or another region (a street's own line), is not an overlap
    mon.do_add_threshold(revival, amount=Decimal(9000), valid_from=dt.date(2031, 1, 1), **base)
    street = Region.objects.filter(parent_id=DISTRICT).order_by("code").first()
    mon.do_add_threshold(revival, region=street, kind="schooling", amount=Decimal(1),
                         valid_from=dt.date(2030, 6, 1), valid_to=dt.date(2030, 6, 2))
    with pytest.raises(PermissionDenied):
        mon.do_add_threshold(user("community1"), amount=Decimal(1),
                             valid_from=dt.date(2040, 1, 1), **base)


@time_machine.travel(NOW, tick=False)
def test_others_are_refused_the_threshold_pages(client_for):
    mine = MonitoringThreshold.objects.filter(region_id=DISTRICT).first()
    other = MonitoringThreshold.objects.create(region_id="140213000000", kind="medical",
                                               amount=5000, valid_from=dt.date(2026, 1, 1))
    for who in ("community1", "street1", "viewer1", "civil1"):
        c = client_for(who)
        assert c.get("/assistance/monitoring/thresholds/new/").status_code == 403, who
        assert c.post("/assistance/monitoring/thresholds/new/", form()).status_code == 403, who
        if mine is not None:
            r = c.post(f"/assistance/monitoring/thresholds/{mine.pk}/edit/", form())
            assert r.status_code in (403, 404), who
    # another district's row does not exist for 安次区's manager
    revival = client_for("revival1")
    assert revival.get(f"/assistance/monitoring/thresholds/{other.pk}/edit/").status_code == 404
    assert revival.post(f"/assistance/monitoring/thresholds/{other.pk}/edit/",
                        form()).status_code == 404
    assert MonitoringThreshold.objects.get(pk=other.pk).amount == 5000


@time_machine.travel(NOW, tick=False)
def test_an_alert_is_linked_to_a_grievance_case_shown_on_its_page(user, client_for):
    worker = user("community1")
    village = worker.memberships.first().region
    h = Household.objects.create(number="G-1", region=village, area="rural")
    alert = mon.do_report_alert(worker, h, channel="self_report", risk="illness",
                                event_date=dt.date(2026, 6, 1))
    mine = cases_for(worker).order_by("pk").first()
    c = client_for("community1")
    url = f"/assistance/monitoring/alerts/{alert.pk}/"
    assert c.post(url, {"do": "grievance", "grievance": mine.number}).status_code == 302
    alert.refresh_from_db()
    assert alert.grievance == mine
    page = c.get(url).content.decode()
    assert mine.number in page and "关联诉求" in page
    # an unknown number, hostile text, and a case the user cannot read are refused
    other = Case.objects.exclude(pk__in=cases_for(worker).values("pk")).order_by("pk").first()
    for bad in ["NO-SUCH", "X\x07", *([other.number] if other else [])]:
        c.post(url, {"do": "grievance", "grievance": bad})
        alert.refresh_from_db()
        assert alert.grievance == mine, bad
    # who may not handle the alert may not link it
    with pytest.raises(PermissionDenied):
        mon.do_link_grievance(user("viewer1"), alert, "")
    assert client_for("viewer1").post(url, {"do": "grievance", "grievance": ""}).status_code in (
        403, 404)
    alert.refresh_from_db()
    assert alert.grievance == mine
    # an empty number removes the link
    c.post(url, {"do": "grievance", "grievance": ""})
    assert Alert.objects.get(pk=alert.pk).grievance is None


@time_machine.travel(NOW, tick=False)
def test_the_back_office_applies_the_same_rules_as_a_form_error(client_for):
    MonitoringThreshold.objects.filter(region_id=DISTRICT, kind="schooling").delete()
    MonitoringThreshold.objects.create(region_id=DISTRICT, kind="schooling", amount=1,
                                       valid_from=dt.date(2030, 1, 1))
    before = MonitoringThreshold.objects.count()
    r = client_for("admin").post("/admin/assistance/monitoringthreshold/add/", {
        "region": DISTRICT, "kind": "schooling", "amount": "5", "valid_from": "2031-01-01",
        "valid_to": "", "source": "测试"})
    assert r.status_code == 200, r.status_code
    assert "重叠" in r.content.decode(), r.context["adminform"].form.errors
    assert MonitoringThreshold.objects.count() == before
