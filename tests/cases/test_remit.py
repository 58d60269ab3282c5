"""Not our remit (fixmystreet#877): case types flagged with where to turn instead (110, 119, 120
as shipped) are named on the resident's form and in Open311's service list, and filing one is
refused, saying where to call, on every surface."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from minsheng.cases import workflow
from minsheng.cases.demo import DEMO_API_KEY
from minsheng.cases.exchange import classify
from minsheng.cases.models import Case, CaseType
from minsheng.places.models import Compound

pytestmark = pytest.mark.django_db


def compound():
    return Compound.objects.filter(region_id="131002001007").order_by("pk").first()


def test_the_shipped_emergency_types_say_where_to_call():
    where = dict(CaseType.objects.exclude(redirect_to="").values_list("code", "redirect_to"))
    assert "110" in where["crime_report"] and "119" in where["fire_emergency"]
    assert "120" in where["medical_emergency"]


def test_filing_one_is_refused_by_the_workflow():
    before = Case.objects.count()
    with pytest.raises(ValidationError) as e:
        workflow.do_file(case_type=CaseType.objects.get(code="fire_emergency"),
                         compound=compound(), description="楼道起火", channel="hotline")
    assert "119" in str(e.value)
    assert Case.objects.count() == before


def test_the_resident_form_names_them_and_refuses_them(client):
    page = client.get("/cases/new/").content.decode()
    assert 'id="elsewhere"' in page and "请立即拨打 110 报警" in page
    before = Case.objects.count()
    r = client.post("/cases/new/", {"case_type": "medical_emergency", "description": "有人晕倒",
                                    "compound": compound().pk, "name": "王", "phone":
                                    "13812345678"})
    assert r.status_code == 200 and "请立即拨打 120 急救电话" in r.content.decode()
    assert Case.objects.count() == before


def test_the_english_form_says_it_in_english():
    c = Client(headers={"accept-language": "en"})
    c.cookies["django_language"] = "en"
    page = c.get("/cases/new/").content.decode()
    assert "call the police on 110 now" in page


def test_open311_lists_them_with_where_to_call_and_refuses_a_post(client):
    services = client.get("/open311/v2/services.json").json()
    fire = next(s for s in services if s["service_code"] == "fire_emergency")
    assert "119" in fire["description"]
    before = Case.objects.count()
    r = client.post("/open311/v2/requests.json", {
        "api_key": DEMO_API_KEY, "service_code": "crime_report", "description": "有人打架",
        "lat": compound().lat, "long": compound().lng})
    assert r.status_code == 400
    body = r.json()[0]
    assert body["code"] == 400 and "110" in body["description"]
    assert Case.objects.count() == before


def test_the_hotline_import_never_guesses_them():
    guess = classify("小区门口有人打架斗殴，请派人处理")
    assert guess is None or guess.redirect_to == ""
