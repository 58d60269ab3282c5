"""A form keeps what the user typed: every date input carries an ISO date in every language (a
browser shows `<input type="date" value="2026/12/03">` as empty), and a form that fails keeps
every field and says plainly that a chosen file must be chosen again."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import pkgutil
import re
from decimal import Decimal as D

import pytest
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

import minsheng
from minsheng.places.models import Organisation
from minsheng.projects.models import Milestone, Plan, Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    plan = Plan.objects.create(region_id="131002000000", year=2033, name="2033年测试计划")
    dept = Organisation.objects.get(region_id="131002000000", name="区民政局")
    p = Project.objects.create(plan=plan, name="日期测试项目", area="elderly", lead_department=dept,
                               target="建设养老服务站1个", start_date=dt.date(2026, 1, 1),
                               end_date=dt.date(2026, 12, 31))
    Milestone.objects.create(project=p, name="完工", planned_date=dt.date(2026, 12, 31),
                             weight=D(100))
    return p


def date_inputs(html: str) -> list[str]:
    return re.findall(r'<input type="(?:date|datetime-local)"[^>]*>', html)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_progress_form_shows_todays_date_in_iso_in_every_language(client_for, project, lang):
    c = client_for("dept1")
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    html = c.get(f"/projects/{project.pk}/report/").content.decode()
    [tag] = date_inputs(html)
    assert re.search(r'value="\d{4}-\d{2}-\d{2}"', tag), tag


def all_forms() -> list[type[forms.Form]]:
    for m in pkgutil.walk_packages(minsheng.__path__, "minsheng."):
        if m.name.rsplit(".", 1)[-1] in {"views", "forms", "mediation_views", "stats_views"}:
            importlib.import_module(m.name)
    seen, todo = [], [forms.Form, forms.ModelForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("minsheng."):
                seen.append(sub)
    return seen


def test_every_date_input_of_the_site_renders_an_iso_value_in_chinese():
    checked = 0
    with translation.override("zh-hans"):
        for form in all_forms():
            for name, field in form.base_fields.items():
                kind = getattr(field.widget, "input_type", "")
                if kind not in ("date", "datetime-local"):
                    continue
                value = dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC) if kind == "datetime-local" \
                    else dt.date(2026, 12, 3)
                html = field.widget.render(name, value)
                want = "2026-12-03T09:30" if kind == "datetime-local" else "2026-12-03"
                assert f'value="{want}"' in html, f"{form.__module__}.{form.__name__}.{name}: {html}"
                checked += 1
    assert checked >= 7  # progress, case list, stats, mediation (3)


def test_a_failed_progress_form_keeps_every_field_and_asks_for_the_photo_again(client_for,
                                                                               project):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, "JPEG")
    r = client_for("dept1").post(f"/projects/{project.pk}/report/", {
        "as_of": "2026-06-30", "percent": "140", "spent": "1200", "quantity_done": "3",
        "overspend_reason": "", "narrative": "地基完成，正在砌墙",
        "photo": SimpleUploadedFile("工地.jpg", out.getvalue(), content_type="image/jpeg")})
    html = r.content.decode()
    assert r.status_code == 200
    assert 'value="2026-06-30"' in html and 'value="140"' in html and 'value="1200"' in html
    assert "地基完成，正在砌墙" in html
    assert "请改正上面的错误后重新选择该文件" in html and "工地.jpg" in html
