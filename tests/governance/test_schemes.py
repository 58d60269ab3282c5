"""The district defines its evaluation schemes on a page: weights add up to 100, bands ordered."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minsheng.governance.models import Scheme

pytestmark = pytest.mark.django_db
D = "131002000000"


def _data(**over) -> dict:
    data = {"code": "pf-test", "region": D, "name": "物业考评（测试）", "period": "year",
            "i0_code": "ontime", "i0_name": "按时办结率", "i0_weight": "60", "i0_source": "cases",
            "i0_metric": "on_time_rate",
            "i1_code": "clean", "i1_name": "环境卫生", "i1_weight": "40",
            "i1_source": "inspection", "i1_metric": "",
            "b0_name": "优秀", "b0_min": "90", "b1_name": "合格", "b1_min": "60",
            "b2_name": "不合格", "b2_min": "0", "b3_name": "", "b3_min": ""}
    data.update(over)
    return data


def test_the_district_defines_and_edits_a_scheme(client_for) -> None:
    district = client_for("district")
    new = reverse("governance:scheme-new")
    assert new in district.get(reverse("governance:index")).content.decode()
    r = district.post(new, _data())
    assert r.status_code == 302, r.content.decode()[:1000]
    scheme = Scheme.objects.get(code="pf-test")
    assert scheme.region_id == D and scheme.bands == [["优秀", 90], ["合格", 60], ["不合格", 0]]
    assert [(i.code, float(i.weight)) for i in scheme.items.all()] == [("ontime", 60.0),
                                                                       ("clean", 40.0)]
    edit = reverse("governance:scheme-edit", args=[scheme.pk])
    page = district.get(edit).content.decode()
    assert "按时办结率" in page
    # one item dropped, the other worth all 100 points
    r = district.post(edit, _data(i0_weight="100", i1_code="", i1_name="", i1_weight="",
                                  i1_source=""))
    assert r.status_code == 302
    assert [(i.code, float(i.weight)) for i in scheme.items.all()] == [("ontime", 100.0)]


@pytest.mark.parametrize("bad", [
    {"i1_weight": "30"},  # 90 points in all
    {"b0_min": "50"},  # bands out of order
    {"b2_min": "10"},  # a total under 10 would get no grade
    {"b1_name": "优秀"},  # a band twice
    {"i0_metric": ""},  # a cases item without its measure
    {"i1_metric": "on_time_rate"},  # an inspection item with one
    {"i1_code": "ontime"},  # an item code twice
    {"i1_name": "环境<script>\x00"},  # a control character
    {"i1_weight": ""},  # a half-filled row
])
def test_a_scheme_that_cannot_score_is_refused_whole(client_for, bad) -> None:
    r = client_for("district").post(reverse("governance:scheme-new"), _data(**bad))
    assert r.status_code == 200
    assert not Scheme.objects.filter(code="pf-test").exists()


def test_only_the_districts_managers_define_schemes(client_for) -> None:
    other = Scheme.objects.create(code="pc", name="平城区方案", region_id="140213000000",
                                  bands=[["合格", 0]])
    for name in ("street1", "community1", "property1", "resident1", "viewer1"):
        c = client_for(name)
        assert c.get(reverse("governance:scheme-new")).status_code == 403, name
        assert c.post(reverse("governance:scheme-new"), _data()).status_code == 403, name
    # another district's scheme: not found, and not changed
    district = client_for("district")
    edit = reverse("governance:scheme-edit", args=[other.pk])
    assert district.get(edit).status_code == 404
    assert district.post(edit, _data(name="改")).status_code == 404
    # a region outside one's own is not offered, nor accepted
    assert district.post(reverse("governance:scheme-new"),
                         _data(region="140213000000")).status_code == 200
    assert not Scheme.objects.filter(code="pf-test").exists()
    other.refresh_from_db()
    assert other.name == "平城区方案"
