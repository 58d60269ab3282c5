"""The indicator pages: the dashboard's figures against an independent count of cases created
here (in years Y-1 and Y, three years after today, far from the demo's cases, on any date), the period selector, scoping (a
street sees only its street; residents and property managers are refused), the Excel export and
its audit record, one indicator's page, and the address of the data-entry pages."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.urls import resolve

from minsheng.accounts.models import AuditLog
from minsheng.cases import workflow
from minsheng.cases.models import Case, CaseType
from minsheng.indicators import views
from minsheng.indicators.dashboard_urls import urlpatterns
from minsheng.places.models import Compound, Region

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
D = "131002000000"
RESOLVED = (Case.Status.RESOLVED, Case.Status.CLOSED)
Y = dt.datetime.now(TZ).year + 3  # the demo's cases run from last January to today


def at(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


def streets() -> tuple[Region, Region]:
    s = list(Region.objects.filter(parent_id=D).order_by("code")[:2])
    return s[0], s[1]


def compound_in(street: Region) -> Compound:
    return Compound.objects.filter(region__code__startswith=street.code[:9],
                                   lat__isnull=False).order_by("pk").first()


def new_case(when: dt.datetime, compound: Compound, boss=None, *, accepted_after=None,
             resolved_after=None) -> Case:
    with time_machine.travel(when, tick=False):
        case = workflow.do_file(case_type=CaseType.objects.get(code="property_repair"),
                                description="楼道灯不亮", channel=Case.Channel.STAFF,
                                compound=compound, at=when)
    if accepted_after is not None:
        with time_machine.travel(when + accepted_after, tick=False):
            case = workflow.do_accept(boss, case)
    if resolved_after is not None:
        with time_machine.travel(when + resolved_after, tick=False):
            case = workflow.do_resolve(boss, case, "已修复")
    return case


@pytest.fixture
def cases(user):
    """Year Y: street 1 has 3 cases resolved within hours, 1 resolved two months late and 1 open;
    street 2 has 1 resolved quickly. Year Y-1: one open case in street 1."""
    boss = user("district")
    s1, s2 = streets()
    c1, c2 = compound_in(s1), compound_in(s2)
    hour, late = dt.timedelta(hours=1), dt.timedelta(days=60)
    for day in (3, 4, 5):
        new_case(at(Y, 3, day), c1, boss, accepted_after=hour, resolved_after=5 * hour)
    new_case(at(Y, 4, 1), c1, boss, accepted_after=hour, resolved_after=late)
    new_case(at(Y, 5, 1), c1)
    new_case(at(Y, 6, 1), c2, boss, accepted_after=hour, resolved_after=5 * hour)
    new_case(at((Y - 1), 6, 1), c1)
    return {"s1": s1, "s2": s2}


def independent(prefix: str, year: int) -> dict:
    """Cases received, resolved and resolved on time, counted in Python from the records."""
    rows = [c for c in Case.objects.filter(region__code__startswith=prefix)
            if c.created_at.astimezone(TZ).year == year]
    resolved = [c for c in rows if c.status in RESOLVED]
    on_time = [c for c in resolved if not c.overdue and c.accepted_at and c.resolved_at
               and c.accepted_at <= c.accept_due and c.resolved_at <= c.resolve_due]
    return {"received": len(rows), "resolved": len(resolved), "on_time": len(on_time)}


def tile_value(html: str, code: str) -> str:
    m = re.search(rf'data-indicator="{code}" data-value="([^"]*)"', html)
    assert m, f"no tile for {code}"
    return m.group(1)


def test_dashboard_shows_the_figures_recomputed_from_the_records(cases, client_for):
    want = independent("131002", Y)
    assert want == {"received": 6, "resolved": 5, "on_time": 4}  # the fixture is what it says
    resp = client_for("district").get(f"/indicators/?region={D}&period={Y}")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert Decimal(tile_value(html, "cases_received")) == want["received"]
    rate = Decimal(100 * want["on_time"] / want["resolved"]).quantize(Decimal("0.1"))
    assert Decimal(tile_value(html, "cases_on_time_rate")) == rate == Decimal("80.0")
    assert "80.0" in html and "数据截至" in html
    # every tile links to its indicator's page for the same region and period
    assert f'href="/indicators/cases_on_time_rate/?region={D}&amp;period={Y}"' in html
    assert "口径未核实" in html  # the catalogue is not yet verified
    # every indicator's module exists now (assistance, employment, governance): none waits
    assert "待模块上线" not in html
    # the year's monthly trend and the streets' figures for the charts
    data = resp.context["chart"]
    assert data["trend"] == []  # months after today are skipped (see the test below)
    by_street = {r["code"]: r["values"]["cases_received"] for r in data["children"]}
    assert by_street[cases["s1"].code] == independent(cases["s1"].code[:9], Y)["received"] == 5
    assert by_street[cases["s2"].code] == 1
    assert len(data["features"]["features"]) + len(resp.context["no_boundary"]) == len(by_street)


def test_monthly_trend_counts_cases_received_and_resolved(cases, client_for):
    with time_machine.travel(dt.datetime(Y, 12, 20, 12, tzinfo=TZ), tick=False):
        resp = client_for("district").get(f"/indicators/?region={D}&period={Y}")
    trend = {m["period"]: m for m in resp.context["chart"]["trend"]}
    assert len(trend) == 12
    assert (trend[f"{Y}-03"]["received"], trend[f"{Y}-03"]["resolved"]) == (3, 3)
    assert (trend[f"{Y}-05"]["received"], trend[f"{Y}-05"]["resolved"]) == (1, 0)
    assert trend[f"{Y}-08"]["received"] == 0


def test_the_period_selector_changes_the_figures(cases, client_for):
    c = client_for("district")
    html_before = c.get(f"/indicators/?region={D}&period={Y - 1}").content.decode()
    assert Decimal(tile_value(html_before, "cases_received")) == independent("131002", (Y - 1))[
        "received"] == 1
    # the selector's own fields (kind/year/quarter/month) work without JavaScript
    resp = c.get(f"/indicators/?region={D}&kind=year&year={Y}")
    assert resp.context["period"].id == f"{Y}"
    assert Decimal(tile_value(resp.content.decode(), "cases_received")) == 6
    resp = c.get(f"/indicators/?region={D}&kind=quarter&year={Y}&quarter=1")
    assert resp.context["period"].id == f"{Y}Q1"
    assert Decimal(tile_value(resp.content.decode(), "cases_received")) == 3
    resp = c.get(f"/indicators/?region={D}&period={Y}-04")
    assert Decimal(tile_value(resp.content.decode(), "cases_received")) == 1
    # against the previous year: 6 cases in 2029 after 1 in 2028
    html = c.get(f"/indicators/?region={D}&period={Y}").content.decode()
    assert "↑ 5件" in html
    # a period that cannot be read falls back to this year, saying so
    resp = c.get(f"/indicators/?region={D}&period={Y}Q7")
    assert resp.status_code == 200 and "期间有误" in resp.content.decode()


def test_a_street_sees_only_its_street(cases, client_for, user):
    own = user("street1").memberships.first().region_id
    other = Region.objects.filter(parent_id=D).exclude(code=own).order_by("code").first()
    c = client_for("street1")
    resp = c.get(f"/indicators/?period={Y}")  # default: the user's widest region
    assert resp.status_code == 200 and resp.context["region"].code == own
    want = independent(own[:9], Y)["received"]
    assert Decimal(tile_value(resp.content.decode(), "cases_received")) == want
    assert {r["code"][:9] for r in resp.context["chart"]["children"]} == {own[:9]}
    m = re.search(r'data-indicator="projects_total".*?</a>', resp.content.decode(), re.S)
    assert "只统计到区级" in m.group(0)  # the year's plan is the district's
    assert c.get(f"/indicators/?region={other.code}").status_code == 404
    assert c.get(f"/indicators/cases_received/?region={other.code}").status_code == 404
    assert c.get(f"/indicators/export.xlsx?region={other.code}").status_code == 404
    assert c.get("/indicators/?region=999999000000").status_code == 404
    assert c.get(f"/indicators/?region={D}").status_code == 403  # above their street
    for who in ("resident1", "property1", "grid1"):
        cl = client_for(who)
        for url in ("/indicators/", f"/indicators/?region={D}", "/indicators/cases_received/",
                    "/indicators/export.xlsx"):
            assert cl.get(url).status_code == 403, (who, url)


def test_drilling_into_a_street_leaves_the_switcher_and_other_pages_alone(client_for):
    c = client_for("district")
    s1, _s2 = streets()
    c.get("/")  # the switcher starts at the district
    r = c.get(f"/indicators/?region={s1.code}")
    assert r.context["region"].code == s1.code
    assert c.session.get("minsheng_region") in (None, D)  # not silently switched
    assert c.get("/compounds/").context["current_region"].code == D
    # the switcher at the top posts back to the page's address: its ?region= follows the switch
    r = c.post("/region/switch/", {"region": s1.code, "next": f"/indicators/?region={D}"})
    assert r["Location"] == f"/indicators/?region={s1.code}"
    assert c.get(r["Location"]).context["region"].code == s1.code
    # a link to a region is followed, as before
    assert c.get(f"/indicators/?region={D}").context["region"].code == D


def test_a_drilled_indicator_page_switches_explicitly_for_its_records(client_for):
    c = client_for("district")
    s1, _s2 = streets()
    c.get("/")
    html = c.get(f"/indicators/cases_received/?region={s1.code}").content.decode()
    assert "点击明细会把区划切换到" in html
    assert f'name="region" value="{s1.code}"' in html


def test_excel_export_has_the_figures_and_is_audited(cases, client_for, user):
    before = AuditLog.objects.filter(action="export").count()
    resp = client_for("viewer1").get(f"/indicators/export.xlsx?region={D}&period={Y}")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[2]
    assert header[:8] == ("板块", "指标", "数值", "单位", "目标", "上期", "变化", "口径说明")
    by_code = {r[-1]: r for r in rows[3:]}
    assert by_code["cases_received"][2] == 6 and by_code["cases_received"][5] == 1  # 2028
    assert by_code["cases_received"][6] == 5
    assert by_code["cases_on_time_rate"][2] == 80.0 and by_code["cases_on_time_rate"][3] == "%"
    assert by_code["cases_on_time_rate"][7]  # the definition
    assert "安次区" in rows[0][0] and f"{Y}" in rows[0][0]
    log = AuditLog.objects.filter(action="export").order_by("-id").first()
    assert AuditLog.objects.filter(action="export").count() == before + 1
    assert log.user == user("viewer1") and log.region_code == D
    assert log.object_type == "indicators.indicator" and f"{Y}" in log.detail


def test_the_indicator_page(cases, client_for):
    s1, s2 = cases["s1"], cases["s2"]
    resp = client_for("district").get(f"/indicators/cases_on_time_rate/?region={D}&period={Y}")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "已办结且在受理时限内受理" in html or "按时办结" in html
    ind = resp.context["ind"]
    assert ind.definition and ind.definition in html
    assert "〔按时办结件数〕" in html and "〔办结件数〕" in html  # the formula with element names
    assert ind.owner in html
    children = {r["region"].code: r for r in resp.context["child_rows"]}
    assert children[s1.code]["value"] == 75.0  # 3 of 4 resolved on time
    assert children[s2.code]["value"] == 100.0
    assert f'data-code="{s1.code}"' in html and "75.0%" in html
    # the raw data elements and the records behind them
    els = {e["el"].code: e for e in resp.context["elements"]}
    assert els["cases_on_time"]["value"] == 4 and els["cases_resolved"]["value"] == 5
    assert f"/cases/?start={Y}-01-01&amp;end={Y}-12-31" in html
    assert f"/cases/stats/?period=year&amp;year={Y}" in html
    # a quarter: four quarters in the trend
    resp = client_for("district").get(
        f"/indicators/cases_received/?region={s1.code}&period={Y}Q2")
    assert resp.context["region"].code == s1.code
    assert f"{Y}Q2" not in {p["period"] for p in resp.context["series"]}  # not begun yet
    assert client_for("district").get("/indicators/no_such_indicator/").status_code == 404


def test_the_indicator_page_trend_spans_the_last_periods(cases, client_for):
    with time_machine.travel(dt.datetime(Y, 12, 20, 12, tzinfo=TZ), tick=False):
        resp = client_for("district").get(f"/indicators/cases_received/?region={D}&period={Y}")
        series = {p["period"]: p["value"] for p in resp.context["series"]}
        assert list(series) == [f"{Y - 4}", f"{Y - 3}", f"{Y - 2}", f"{Y - 1}", f"{Y}"]
        assert series[f"{Y - 1}"] == 1 and series[f"{Y}"] == 6
        resp = client_for("district").get(
            f"/indicators/cases_received/?region={D}&period={Y}-06")
        series = {p["period"]: p["value"] for p in resp.context["series"]}
        assert len(series) == 12 and series[f"{Y}-03"] == 3 and series[f"{Y - 1}-07"] == 0


def test_manual_indicator_without_approved_data_says_why(client_for):
    # the demo's manual returns are not in this test database: nothing entered yet
    html = client_for("district").get(f"/indicators/?region={D}&period={Y}").content.decode()
    m = re.search(r'data-indicator="air_good_days".*?</a>', html, re.S)
    assert m and "尚未填报" in m.group(0)
    html = client_for("district").get(f"/indicators/?region={D}&period={Y}Q1").content.decode()
    m = re.search(r'data-indicator="air_good_days".*?</a>', html, re.S)
    assert m and "按年度填报" in m.group(0)
    # budget lines are yearly: a quarter shows no spending rather than 0
    assert tile_value(html, "livelihood_spending") == ""
    m = re.search(r'data-indicator="livelihood_spending".*?</a>', html, re.S)
    assert "按年度统计" in m.group(0)


def test_entry_pages_are_not_taken_for_an_indicator():
    """/indicators/entry/ is mounted after this module: the indicator page must let it pass."""
    assert resolve("/indicators/cases_received/").func is views.detail
    assert resolve("/indicators/").url_name == "dashboard"
    page = next(p for p in urlpatterns if p.name == "detail")
    assert page.resolve("entry/") is None and page.resolve("entry-x/") is not None
