"""Chinese and English complete on the pages of issue 12 §3: facility categories and case types
(data labels from the fixtures, through their English names), the network summary line, project
validation errors and the error pages (tests/web/test_error_pages.py)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.test import Client

from minsheng.cases.models import CaseType
from minsheng.places.models import Facility, Organisation
from minsheng.projects.models import Milestone, Plan, Project

pytestmark = pytest.mark.django_db
HAN = re.compile(r"[\u4e00-\u9fff]")


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_facility_categories_are_in_english(client_for):
    f = Facility.objects.filter(region__code__startswith="131002").select_related(
        "category").order_by("pk").first()
    html = english(client_for("district")).get(f"/facilities/{f.pk}/").content.decode()
    assert f'{f.category.name_en}（' in html  # the category line, not the facility's name
    html = english(client_for("district")).get("/facilities/").content.decode()
    cells = re.findall(r'</a></td><td>([^<]*)</td>', html)
    assert cells and not any(HAN.search(c) for c in cells), cells[:5]


def test_case_types_are_in_english(client_for):
    c = english(client_for("district"))
    html = c.get("/cases/").content.decode()
    t = CaseType.objects.get(code="property_repair") if CaseType.objects.filter(
        code="property_repair").exists() else CaseType.objects.order_by("pk").first()
    assert t.name_en in html
    body = html[html.index("<tbody"):html.index("</tbody>")]
    assert not any(ct.name in body for ct in CaseType.objects.all() if ct.name_en)


def test_the_network_summary_line_is_in_english(client_for):
    html = english(client_for("district")).get("/lifecircle/").content.decode()
    assert "Walking network:" in html
    assert "步行路网" not in html


def test_project_validation_errors_are_in_english(client_for):
    plan = Plan.objects.create(region_id="131002000000", year=2033, name="2033年测试计划")
    dept = Organisation.objects.get(region_id="131002000000", name="区民政局")
    p = Project.objects.create(plan=plan, name="英文项目", area="elderly", lead_department=dept,
                               target="一项", start_date=dt.date(2026, 1, 1),
                               end_date=dt.date(2026, 12, 31))
    Milestone.objects.create(project=p, name="完工", planned_date=dt.date(2026, 12, 31),
                             weight=D(100))
    r = english(client_for("dept1")).post(f"/projects/{p.pk}/report/", {
        "as_of": "2099-01-01", "percent": "10", "spent": "999999", "narrative": "x"})
    html = r.content.decode()
    assert "The as-of date cannot be later than today." in html
    assert "exceeds the" in html and "please give the reason" in html
    errors = re.findall(r'<p class="error" role="alert">(.*?)</p>', html)
    assert errors and not any(HAN.search(e) for e in errors), errors
