"""Every role's home shows what that role does first and what waits for it; the navigation is in a
few labelled groups and counts what waits; property1's home has no empty cards."""

from __future__ import annotations

import re

import pytest

from minsheng.cases.models import Case
from minsheng.indicators.models import Completion, DataSet
from minsheng.places.models import Region
from minsheng.projects.models import ProgressReport

pytestmark = pytest.mark.django_db


def first_actions(html: str) -> list[str]:
    block = re.search(r'<nav class="first-actions"[^>]*>(.*?)</nav>', html, re.S)
    return re.findall(r">([^<]+)</a>", block.group(1)) if block else []


def nav_total(html: str) -> int | None:
    m = re.search(r'class="navtop navwait"[^>]*>[^<]*<b class="count">(\d+)</b>', html)
    return int(m.group(1)) if m else None


def test_the_office_sees_the_progress_reports_and_returns_waiting_for_it(client_for, user):
    district = user("district")
    reports = ProgressReport.objects.filter(state=ProgressReport.State.SUBMITTED).exclude(
        submitted_by=district).count()
    assert reports
    ds = DataSet.objects.filter(level="district").order_by("code").first()
    Completion.objects.update_or_create(
        dataset=ds, region_id="131002000000", period="2025",
        defaults={"state": Completion.State.SUBMITTED, "submitted_by": user("dept1")})
    html = client_for("district").get("/").content.decode()
    assert f'<b class="count">{reports}</b> 份项目进度报告待审核' in html
    assert '份数据填报待审核' in html
    assert nav_total(html) >= reports + 1
    link = re.search(r'href="(/projects/\?year=\d+&amp;review=1)"', html).group(1)
    page = client_for("district").get(link.replace("&amp;", "&")).content.decode()
    assert "有进度待我审核的项目" in page


def test_a_grid_worker_sees_its_queue_counted_and_patrols_first(client_for):
    html = client_for("grid1").get("/").content.decode()
    assert first_actions(html)[0] == "巡查上报"
    if Case.objects.filter(status__in=["assigned", "accepted"]).exists():
        assert "件诉求在我的待办中" in html or nav_total(html) is None


def test_residents_see_report_a_problem_first(client_for):
    html = client_for("resident1").get("/").content.decode()
    assert first_actions(html)[0] == "我要反映问题"
    nav = html[html.index('<nav class="mainnav"'):]
    assert 'class="navtop navreport" href="/cases/new/"' in nav


def test_property1s_home_has_no_empty_cards_and_starts_with_its_work(client_for):
    html = client_for("property1").get("/").content.decode()
    assert "设施类别" not in html  # it reads no facilities: no empty card
    assert "签约生活圈服务网点" not in html
    assert "osm_sample" not in html  # it may not import anything
    assert first_actions(html)[:1] == ["我的待办诉求"]
    assert "在管小区" in first_actions(html)


@pytest.mark.parametrize("username", ["district", "street1", "community1", "grid1", "property1",
                                      "mediator1", "dept1", "viewer1", "resident1", "admin"])
def test_every_role_has_first_actions_and_a_grouped_navigation(client_for, username):
    html = client_for(username).get("/").content.decode()
    assert first_actions(html)
    nav = html[html.index('<nav class="mainnav"'):html.index("</nav>", html.index(
        '<nav class="mainnav"'))]
    top = re.findall(r'class="navtop[^"]*"', nav) + re.findall(r"<summary>", nav)
    assert len(top) <= 8, top  # a handful of entries at the top, the rest in groups


def test_the_budget_page_never_names_district_figures_after_a_street(client_for):
    c = client_for("district")
    street = Region.objects.filter(parent_id="131002000000").order_by("code").first()
    c.post("/region/switch/", {"region": street.code, "next": "/"})
    html = c.get("/budget/").content.decode()
    h1 = re.search(r"<h1>.*?</h1>", html, re.S).group(0)
    assert "安次区" in h1 and street.name not in h1
    assert "全区的数字" in html
