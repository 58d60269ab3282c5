"""Open311 GeoReport v2 at /open311/v2/: discovery, services, service definitions, requests
(GET and POST), a single request, tokens — JSON and XML, the spec's errors, anonymisation, and no
partial writes on bad input."""

from __future__ import annotations

import datetime as dt
import json
import time
import xml.etree.ElementTree as ET  # noqa: S405 — parses our own responses only

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from minsheng.cases import open311, workflow
from minsheng.cases.models import ApiKey, Case, CaseEvent, CaseType
from minsheng.lib import kept
from minsheng.places.models import Compound

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"
KEY = "k1"


def xml(resp) -> ET.Element:
    assert resp["Content-Type"].startswith("text/xml")
    assert resp.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(resp.content)  # noqa: S314 — our own response


def assert_json_error(resp, status: int) -> str:
    assert resp.status_code == status, resp.content.decode()
    assert resp["Content-Type"].startswith("application/json")
    body = resp.json()
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["code"] == status and body[0]["description"]
    return body[0]["description"]


def assert_xml_error(resp, status: int) -> str:
    assert resp.status_code == status, resp.content.decode()
    root = xml(resp)
    assert root.tag == "errors"
    err = root.find("error")
    assert err.findtext("code") == str(status)
    assert err.findtext("description")
    return err.findtext("description")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_key(db):
    return ApiKey.objects.create(name="t", digest=ApiKey.hash(KEY))


@pytest.fixture
def compound(db):
    return Compound.objects.filter(region__code__startswith="131002001").order_by("pk").first()


@pytest.fixture
def with_attributes(db):
    ct = CaseType.objects.get(pk="roof_leak")
    ct.attributes = [
        {"code": "FLOOR", "datatype": "number", "required": True, "order": 2,
         "description": "漏水楼层"},
        {"code": "WHERE", "datatype": "singlevaluelist", "required": True, "order": 1,
         "description": "漏水部位", "values": [{"key": "roof", "name": "屋顶"},
                                               {"key": "wall", "name": "外墙"}]},
        {"code": "TAGS", "datatype": "multivaluelist", "required": False, "order": 3,
         "description": "影响", "values": [{"key": "power", "name": "电路"},
                                            {"key": "damp", "name": "返潮"}]},
        {"code": "NOTE", "variable": False, "order": 4, "description": "请勿填写个人信息"},
    ]
    ct.save()
    return ct


def post(client: Client, fmt: str = "json", **data):
    return client.post(f"{BASE}requests.{fmt}", data)


def valid(compound, **extra) -> dict:
    data = {"api_key": KEY, "service_code": "sewage", "lat": str(compound.lat),
            "long": str(compound.lng), "description": "小区污水井冒水，味道很大"}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def file_case(compound, code: str = "sewage", description: str = "测试诉求", **kw) -> Case:
    return workflow.do_file(case_type=CaseType.objects.get(pk=code), description=description,
                            channel=Case.Channel.STAFF, lat=compound.lat, lng=compound.lng, **kw)


# ── discovery and services ──────────────────────────────────────────────────────────────────

def test_discovery_json_and_xml(client):
    d = client.get(f"{BASE}discovery.json").json()
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(d)
    ep = d["endpoints"][0]
    assert ep["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert ep["url"] == "http://testserver/open311/v2/"
    assert ep["type"] == "production"
    assert ep["formats"] == ["text/xml", "application/json"]

    root = xml(client.get(f"{BASE}discovery.xml"))
    assert root.tag == "discovery"
    ep = root.find("endpoints/endpoint")
    assert ep.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in ep.findall("formats/format")] == ["text/xml", "application/json"]


def test_discovery_documents_this_server_s_extensions(client):
    names = [e["name"] for e in client.get(f"{BASE}discovery.json").json()["extensions"]]
    assert {"token", "not_our_remit", "me_too", "device_alarms"} <= set(names)
    root = xml(client.get(f"{BASE}discovery.xml"))
    assert [e.findtext("name") for e in root.findall("extensions/extension")] == names


def test_services_json_and_xml(client, with_attributes):
    rows = client.get(f"{BASE}services.json").json()
    codes = [r["service_code"] for r in rows]
    fileable = set(CaseType.objects.filter(active=True, resident_can_file=True)
                   .values_list("code", flat=True))
    assert set(codes) == fileable
    assert "enterprise_interview" not in codes  # staff only
    leak = next(r for r in rows if r["service_code"] == "roof_leak")
    assert leak["service_name"] == with_attributes.name
    assert leak["metadata"] is True and leak["type"] == "realtime"
    assert leak["group"] == "诉求"
    assert next(r for r in rows if r["service_code"] == "sewage")["metadata"] is False
    for r in rows:
        assert set(r) == {"service_code", "service_name", "description", "metadata", "type",
                          "keywords", "group"}

    en = client.get(f"{BASE}services.json?locale=en").json()
    leak_en = next(r for r in en if r["service_code"] == "roof_leak")
    assert leak_en["service_name"] == (with_attributes.name_en or with_attributes.name)

    root = xml(client.get(f"{BASE}services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert [s.findtext("service_code") for s in services] == codes
    leak = next(s for s in services if s.findtext("service_code") == "roof_leak")
    assert leak.findtext("metadata") == "true"
    assert leak.findtext("type") == "realtime"


def test_service_definition_json_and_xml(client, with_attributes):
    d = client.get(f"{BASE}services/roof_leak.json").json()
    assert d["service_code"] == "roof_leak"
    attrs = d["attributes"]
    assert [a["code"] for a in attrs] == ["WHERE", "FLOOR", "TAGS", "NOTE"]  # by order
    where = attrs[0]
    assert where == {"variable": True, "code": "WHERE", "datatype": "singlevaluelist",
                     "required": True, "datatype_description": None, "order": 1,
                     "description": "漏水部位",
                     "values": [{"key": "roof", "name": "屋顶"}, {"key": "wall", "name": "外墙"}]}
    assert attrs[3]["variable"] is False

    root = xml(client.get(f"{BASE}services/roof_leak.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "roof_leak"
    first = root.find("attributes/attribute")
    assert first.findtext("code") == "WHERE"
    assert first.findtext("required") == "true"
    assert [v.findtext("key") for v in first.findall("values/value")] == ["roof", "wall"]


def test_service_definition_unknown_is_404_in_both_formats(client):
    assert_json_error(client.get(f"{BASE}services/nope.json"), 404)
    assert_xml_error(client.get(f"{BASE}services/nope.xml"), 404)
    # a staff-only type is not a service either
    assert_json_error(client.get(f"{BASE}services/enterprise_interview.json"), 404)


def test_unknown_format_and_unknown_path_are_404(client):
    assert_json_error(client.get(f"{BASE}services.csv"), 404)
    assert_json_error(client.get(f"{BASE}requests.html"), 404)
    assert_json_error(client.get(f"{BASE}nothing-here"), 404)
    assert_json_error(client.get(BASE), 404)


def test_wrong_method_is_405(client):
    assert_json_error(client.post(f"{BASE}services.json"), 405)
    assert_xml_error(client.delete(f"{BASE}requests.xml"), 405)


# ── POST requests ───────────────────────────────────────────────────────────────────────────

def test_post_files_routes_and_logs_a_case(client, api_key, compound):
    before = Case.objects.count()
    resp = post(client, **valid(compound, first_name="小明", last_name="王",
                                phone="13812345678", email="w@example.com",
                                media_url="https://example.com/p.jpg"))
    assert resp.status_code == 200, resp.content.decode()
    assert resp["Content-Type"].startswith("application/json")
    [row] = resp.json()
    assert set(row) == {"service_request_id", "service_notice", "account_id", "token"}
    assert row["account_id"] is None
    case = Case.objects.get(number=row["service_request_id"])
    assert Case.objects.count() == before + 1
    assert case.channel == Case.Channel.OPEN311
    assert case.case_type_id == "sewage"
    assert case.organisation_id is not None
    assert case.organisation.name in row["service_notice"]
    assert case.region_id.startswith("131002001")
    assert case.status == Case.Status.ASSIGNED
    assert case.reporter_name == "王小明" and case.reporter_phone == "13812345678"
    assert case.attributes["open311"]["api_key"] == api_key.pk
    assert case.attributes["open311"]["media_url"] == "https://example.com/p.jpg"
    assert case.token == row["token"]
    actions = list(case.events.values_list("action", flat=True))
    assert actions[:2] == [CaseEvent.Action.CREATED, CaseEvent.Action.ROUTED]


def test_post_xml_answer(client, api_key, compound):
    root = xml(post(client, "xml", **valid(compound)))
    assert root.tag == "service_requests"
    req = root.find("request")
    assert Case.objects.filter(number=req.findtext("service_request_id")).exists()
    assert req.find("account_id") is not None and not req.findtext("account_id")


def test_post_by_address_id_and_address_string(client, api_key, compound):
    r = post(client, **valid(compound, lat=None, long=None, address_id=str(compound.pk)))
    assert r.status_code == 200, r.content.decode()
    case = Case.objects.get(number=r.json()[0]["service_request_id"])
    assert case.compound_id == compound.pk and case.lat == compound.lat

    unique = next(c for c in Compound.objects.filter(region__code__startswith="131002")
                  .order_by("pk") if Compound.objects.filter(name=c.name).count() == 1
                  and len(c.name) >= 2)
    r = post(client, **valid(compound, lat=None, long=None,
                             address_string=f"廊坊市安次区{unique.name}3号楼"))
    assert r.status_code == 200, r.content.decode()
    case = Case.objects.get(number=r.json()[0]["service_request_id"])
    assert case.compound_id == unique.pk
    assert case.address == f"廊坊市安次区{unique.name}3号楼"


def test_post_attributes(client, api_key, compound, with_attributes):
    base = valid(compound, service_code="roof_leak")
    r = client.post(f"{BASE}requests.json", {**base, "attribute[WHERE]": "roof",
                                              "attribute[FLOOR]": "6",
                                              "attribute[TAGS][]": ["power", "damp"]})
    assert r.status_code == 200, r.content.decode()
    case = Case.objects.get(number=r.json()[0]["service_request_id"])
    assert case.attributes["WHERE"] == "roof"
    assert case.attributes["FLOOR"] == 6.0
    assert case.attributes["TAGS"] == ["power", "damp"]

    n = Case.objects.count()
    assert_json_error(client.post(f"{BASE}requests.json", {**base, "attribute[FLOOR]": "6"}),
                      400)  # required WHERE missing
    assert_xml_error(client.post(f"{BASE}requests.xml", {**base, "attribute[WHERE]": "door",
                                                          "attribute[FLOOR]": "6"}), 400)
    assert_json_error(client.post(f"{BASE}requests.json", {**base, "attribute[WHERE]": "roof",
                                                            "attribute[FLOOR]": "six"}), 400)
    assert Case.objects.count() == n


@pytest.mark.parametrize(("change", "status"), [
    ({"api_key": None}, 403),
    ({"api_key": "wrong"}, 403),
    ({"service_code": None}, 400),
    ({"service_code": "no_such_service"}, 400),
    ({"service_code": "enterprise_interview"}, 400),  # not resident-fileable
    ({"lat": None, "long": None}, 400),  # no location at all
    ({"long": None}, 400),  # half a point
    ({"lat": "91", "long": "116.7"}, 400),
    ({"lat": "39.5", "long": "-181"}, 400),
    ({"lat": "abc"}, 400),
    ({"lat": "nan"}, 400),
    ({"lat": "0", "long": "0"}, 400),  # outside every district
    ({"description": ""}, 400),
    ({"description": "   "}, 400),
    ({"description": "长" * 4001}, 400),
    ({"lat": None, "long": None, "address_string": "某个不存在的地方"}, 400),
    ({"lat": None, "long": None, "address_id": "999999999"}, 400),
    ({"lat": None, "long": None, "address_id": "abc"}, 400),
    ({"lat": None, "long": None, "address_id": "²"}, 400),
    ({"media_url": "javascript:alert(1)"}, 400),
])
def test_post_errors_write_nothing(client, api_key, compound, change, status):
    before, events = Case.objects.count(), CaseEvent.objects.count()
    assert_json_error(post(client, **valid(compound, **change)), status)
    assert_xml_error(post(client, "xml", **valid(compound, **change)), status)
    assert Case.objects.count() == before and CaseEvent.objects.count() == events


def test_post_error_messages(client, api_key, compound):
    desc = assert_json_error(post(client, **valid(compound, lat="0", long="0")), 400)
    assert "该位置不在本平台服务的区县内" in desc
    assert "outside the districts" in desc
    desc = assert_json_error(post(client, **valid(compound, api_key=None)), 403)
    assert "api_key" in desc


def test_post_json_body_and_datetime_attribute(client, api_key, compound, with_attributes):
    ct = with_attributes
    ct.attributes = [*ct.attributes, {"code": "SINCE", "datatype": "datetime",
                                      "required": True, "order": 5, "description": "开始漏水"}]
    ct.save()
    body = {**valid(compound, service_code="roof_leak"),
            "attribute": {"WHERE": "wall", "FLOOR": 2, "SINCE": "2026-11-01T08:00:00+08:00"}}
    r = client.post(f"{BASE}requests.json", body, content_type="application/json")
    assert r.status_code == 200, r.content.decode()
    case = Case.objects.get(number=r.json()[0]["service_request_id"])
    assert case.attributes["SINCE"] == "2026-11-01T08:00:00+08:00"
    body["attribute"]["SINCE"] = "not a date"
    assert_json_error(client.post(f"{BASE}requests.json", body,
                                  content_type="application/json"), 400)
    assert_json_error(client.post(f"{BASE}requests.json", "{not json",
                                  content_type="application/json"), 400)


def test_inactive_key_is_refused(client, api_key, compound):
    api_key.active = False
    api_key.save()
    assert_json_error(post(client, **valid(compound)), 403)


def test_inactive_service_is_refused(client, api_key, compound):
    CaseType.objects.filter(pk="sewage").update(active=False)
    assert_json_error(post(client, **valid(compound)), 400)


def test_a_category_closed_in_the_back_office_is_refused_at_once(client, api_key, compound):
    assert post(client, **valid(compound)).status_code == 200  # the category is now kept
    t = CaseType.objects.get(pk="sewage")
    t.active = False
    t.save()  # this process hears of it (signals)
    assert_json_error(post(client, **valid(compound)), 400)


def test_a_category_closed_by_another_server_is_refused_within_the_minute(
        client, api_key, compound, monkeypatch):
    assert post(client, **valid(compound)).status_code == 200
    CaseType.objects.filter(pk="sewage").update(active=False)  # no signal in this process
    n = Case.objects.count()
    later = time.monotonic() + open311.TYPES_TTL_S + 1
    monkeypatch.setattr(kept.time, "monotonic", lambda: later)
    assert_json_error(post(client, **valid(compound)), 400)
    assert Case.objects.count() == n


def test_post_rate_limit(client, api_key, compound, settings):
    settings.OPEN311_POST_RATE = 2
    assert post(client, **valid(compound)).status_code == 200
    assert post(client, **valid(compound)).status_code == 200
    n = Case.objects.count()
    assert_json_error(post(client, **valid(compound)), 429)
    assert_xml_error(post(client, "xml", **valid(compound)), 429)
    assert Case.objects.count() == n
    # guessing keys from one address is limited too
    for _ in range(2):
        assert_json_error(post(client, **valid(compound, api_key="guess")), 403)
    assert_json_error(post(client, **valid(compound, api_key="guess")), 429)


def test_case_numbers_carry_the_primary_key_so_filings_never_collide(client, api_key, compound):
    """Numbers are <district>-<date>-<id>: two filings in the same second get distinct ones."""
    a = post(client, **valid(compound)).json()[0]["service_request_id"]
    b = post(client, **valid(compound)).json()[0]["service_request_id"]
    assert a != b
    for number in (a, b):
        case = Case.objects.get(number=number)
        assert number.endswith(f"-{case.pk:06d}") and number.startswith("131002-")


def test_post_does_not_need_csrf(api_key, compound):
    c = Client(enforce_csrf_checks=True)
    assert post(c, **valid(compound)).status_code == 200


# ── GET requests ────────────────────────────────────────────────────────────────────────────

def test_list_is_public_and_anonymised(client, compound):
    secret_phone = "13912345678"
    case = file_case(compound, description=f"井盖丢失，请联系 {secret_phone}" + "很长" * 400,
                     reporter_name="张三", reporter_phone="13700001111")
    Case.objects.filter(pk=case.pk).update(lat=compound.lat + 0.00012345,
                                           lng=compound.lng + 0.00054321)
    hidden = file_case(compound, code="neighbour_dispute", description="邻里纠纷")
    resp = client.get(f"{BASE}requests.json?service_request_id={case.number},{hidden.number}")
    rows = resp.json()
    assert [r["service_request_id"] for r in rows] == [case.number]  # dispute not public
    row = rows[0]
    body = resp.content.decode()
    assert "13700001111" not in body and "张三" not in body and secret_phone not in body
    assert "139****5678" in row["description"]
    assert len(row["description"]) <= 500
    assert row["lat"] == round(compound.lat + 0.00012345, 3)
    assert row["long"] == round(compound.lng + 0.00054321, 3)
    assert row["status"] == "open" and row["detailed_status"] == "assigned"
    assert row["service_code"] == "sewage"
    assert row["agency_responsible"] == case.organisation.name
    assert row["zipcode"] is None
    assert row["requested_datetime"].endswith("+08:00")
    assert row["expected_datetime"] is not None
    assert row["address_id"] == (str(case.compound_id) if case.compound_id else None)
    assert compound.name in row["address"] or case.compound_id is None
    for field in ("service_request_id", "status", "status_notes", "service_name",
                  "service_code", "description", "agency_responsible", "service_notice",
                  "requested_datetime", "updated_datetime", "expected_datetime", "address",
                  "address_id", "zipcode", "lat", "long", "media_url"):
        assert field in row


def test_an_id_number_in_a_description_is_masked_in_the_public_list(client, compound):
    case = file_case(compound, description="井盖丢失，报告人身份证 13100219800101123X")
    body = client.get(f"{BASE}requests.json?service_request_id={case.number}").content.decode()
    assert "13100219800101123X" not in body and "131002********123X" in body


def test_list_filters(client, compound, user):
    sewage = file_case(compound, "sewage")
    noise = file_case(compound, "noise")
    old = file_case(compound, "sewage", at=timezone.now() - dt.timedelta(days=120))
    handler = user("district")
    workflow.do_accept(handler, noise)
    workflow.do_resolve(handler, noise, "已处理")

    def ids(query: str) -> list[str]:
        resp = client.get(f"{BASE}requests.json?{query}")
        assert resp.status_code == 200, resp.content.decode()
        return [r["service_request_id"] for r in resp.json()]

    mine = {sewage.number, noise.number, old.number}
    recent = set(ids("page_size=200")) & mine
    assert recent == {sewage.number, noise.number}  # default: the last 90 days
    assert noise.number in ids("status=closed&page_size=200")
    assert sewage.number not in ids("status=closed&page_size=200")
    assert sewage.number in ids("status=open&page_size=200")
    assert {sewage.number, noise.number} <= set(ids("status=open,closed&page_size=200"))
    assert noise.number in ids("status=resolved&page_size=200")  # detailed status extension
    got = set(ids("service_code=noise&page_size=200"))
    assert noise.number in got and sewage.number not in got
    assert {sewage.number, noise.number} <= set(ids("service_code=noise,sewage&page_size=200"))

    start = (timezone.now() - dt.timedelta(days=125)).isoformat()
    end = (timezone.now() - dt.timedelta(days=100)).isoformat()
    got = ids(f"start_date={start}&end_date={end}&page_size=200".replace("+", "%2B"))
    assert old.number in got and sewage.number not in got
    assert ids(f"service_request_id={old.number}") == [old.number]  # ids override the dates
    day = timezone.localdate() - dt.timedelta(days=120)
    assert old.number in ids(f"start_date={day.isoformat()}&page_size=200")

    # "+08:00" sent without URL-encoding arrives as " 08:00"; it still means +08:00
    local = timezone.localtime(timezone.now() - dt.timedelta(days=125)).replace(microsecond=0)
    got = ids(f"start_date={local.isoformat()}&page_size=200")
    assert old.number in got and sewage.number not in got

    assert_json_error(client.get(f"{BASE}requests.json?status=pending"), 400)
    assert_json_error(client.get(f"{BASE}requests.json?start_date=2026-13-01"), 400)
    assert_json_error(client.get(f"{BASE}requests.json?start_date=yesterday"), 400)
    assert_xml_error(client.get(f"{BASE}requests.xml?start_date=2026-01-01&end_date=2026-12-01"),
                     400)  # more than 90 days
    assert_json_error(client.get(f"{BASE}requests.json?page=0"), 400)
    assert_json_error(client.get(f"{BASE}requests.json?page_size=x"), 400)
    assert_json_error(client.get(f"{BASE}requests.json?page=²"), 400)


def test_list_pagination_newest_first(client, compound):
    now = timezone.now()
    made = [file_case(compound, "street_order", at=now - dt.timedelta(minutes=i))
            for i in range(5)]
    numbers = [c.number for c in made]  # newest first already

    def page(n: int) -> list[str]:
        rows = client.get(f"{BASE}requests.json?service_code=street_order&page_size=2&page={n}"
                          ).json()
        return [r["service_request_id"] for r in rows]

    pages = page(1) + page(2) + page(3)
    assert [x for x in pages if x in numbers] == numbers
    assert len(page(1)) == 2
    big = client.get(f"{BASE}requests.json?page_size=100000").json()
    assert len(big) <= 200


def test_list_xml(client, compound):
    case = file_case(compound)
    root = xml(client.get(f"{BASE}requests.xml?service_request_id={case.number}"))
    assert root.tag == "service_requests"
    [req] = root.findall("request")
    assert req.findtext("service_request_id") == case.number
    assert req.findtext("status") == "open"
    assert req.find("zipcode") is not None and req.findtext("zipcode") == ""
    assert float(req.findtext("lat")) == round(case.lat, 3)


# ── one request, tokens ─────────────────────────────────────────────────────────────────────

def test_single_public_request_with_updates(client, compound, user):
    case = file_case(compound)
    handler = user("district")
    workflow.do_accept(handler, case)
    workflow.do_note(handler, case, "内部备注", public=False)
    workflow.do_resolve(handler, case, "已疏通污水井")
    [row] = client.get(f"{BASE}requests/{case.number}.json").json()
    assert row["service_request_id"] == case.number
    assert row["status"] == "closed" and row["detailed_status"] == "resolved"
    assert row["status_notes"] == "已疏通污水井"
    texts = [u["description"] for u in row["updates"]]
    assert "已疏通污水井" in texts and "内部备注" not in texts
    assert row["updates"][-1]["status"] == "closed"
    assert row["updates"][0]["status"] == "open"

    root = xml(client.get(f"{BASE}requests/{case.number}.xml"))
    req = root.find("request")
    assert req.findtext("service_request_id") == case.number
    assert [u.findtext("description") for u in req.findall("updates/update")] == texts


def test_non_public_request_needs_token_or_filing_key(client, api_key, compound):
    resp = post(client, **valid(compound, service_code="neighbour_dispute",
                                description="楼上漏水引发邻里纠纷，电话 13812345678"))
    assert resp.status_code == 200, resp.content.decode()
    number, token = resp.json()[0]["service_request_id"], resp.json()[0]["token"]
    assert_json_error(client.get(f"{BASE}requests/{number}.json"), 404)
    assert_xml_error(client.get(f"{BASE}requests/{number}.xml"), 404)
    assert_json_error(client.get(f"{BASE}requests/{number}.json?token=wrong"), 404)
    assert number not in client.get(f"{BASE}requests.json?service_request_id={number}").content \
        .decode()

    [row] = client.get(f"{BASE}requests/{number}.json?token={token}").json()
    assert row["service_request_id"] == number
    assert "13812345678" in row["description"]  # the reporter sees their own words
    [row] = client.get(f"{BASE}requests/{number}.json?api_key={KEY}").json()
    assert row["service_request_id"] == number
    other = "k2"
    ApiKey.objects.create(name="other", digest=ApiKey.hash(other))
    assert_json_error(client.get(f"{BASE}requests/{number}.json?api_key={other}"), 404)
    assert_json_error(client.get(f"{BASE}requests/NO-SUCH.json"), 404)


def test_tokens(client, compound):
    case = file_case(compound)
    assert client.get(f"{BASE}tokens/{case.token}.json").json() == [
        {"service_request_id": case.number, "token": case.token}]
    req = xml(client.get(f"{BASE}tokens/{case.token}.xml")).find("request")
    assert req.findtext("service_request_id") == case.number
    assert req.findtext("token") == case.token
    assert_json_error(client.get(f"{BASE}tokens/nope.json"), 404)
    assert_xml_error(client.get(f"{BASE}tokens/nope.xml"), 404)


# ── an independent client, as the spec's examples do it ─────────────────────────────────────

def test_independent_client_flow(api_key, compound, with_attributes):
    """Only plain HTTP: discover, list services, read a definition, POST form-encoded, follow."""
    http = Client()
    d = http.get(f"{BASE}discovery.json").json()
    base = d["endpoints"][0]["url"].replace("http://testserver", "")
    services = http.get(f"{base}services.xml")
    codes = [s.findtext("service_code") for s in xml(services).findall("service")]
    assert "roof_leak" in codes
    definition = http.get(f"{base}services/roof_leak.json").json()
    required = {a["code"]: a for a in definition["attributes"] if a["required"]}
    body = (f"api_key={KEY}&service_code=roof_leak&lat={compound.lat}&long={compound.lng}"
            f"&description=%E5%B1%8B%E9%A1%B6%E6%BC%8F%E6%B0%B4"  # 屋顶漏水, UTF-8 encoded
            f"&first_name=Jane&last_name=Doe&email=jane%40example.com"
            f"&attribute%5BWHERE%5D={required['WHERE']['values'][0]['key']}"
            f"&attribute%5BFLOOR%5D=3")
    resp = http.post(f"{base}requests.json", body,
                     content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200, resp.content.decode()
    [created] = resp.json()
    sid = created["service_request_id"]
    case = Case.objects.get(number=sid)
    assert case.description == "屋顶漏水" and case.reporter_name == "Jane Doe"
    assert case.channel == "open311" and case.organisation_id

    [req] = http.get(f"{base}requests/{sid}.json").json()
    assert req["status"] == "open" and req["service_code"] == "roof_leak"
    req_xml = xml(http.get(f"{base}requests.xml?service_request_id={sid}")).find("request")
    assert req_xml.findtext("service_request_id") == sid
    assert req_xml.findtext("description") == "屋顶漏水"
    tok = http.get(f"{base}tokens/{created['token']}.json").json()
    assert tok[0]["service_request_id"] == sid


def test_the_xml_renderer_makes_every_name_and_text_valid():
    """Element names come from our keys, but a key XML refuses (a space, a leading digit, a
    colon) must still give a document that parses; text loses what XML 1.0 does not allow."""
    resp = open311.render("xml", [{"bad key": "a\x00b\x1fc\ufffe", "1st": ["x\ud800y"],
                                   "ns:tag": {"xml-ish": "<&>"}}], "rows", "row")
    root = ET.fromstring(resp.content)  # noqa: S314 — our own response
    assert [el.text for el in root.iter() if el.text] == ["abc", "xy", "<&>"]
    body = open311.render("json", [{"d": "x\ud800y"}], "rows", "row").content
    assert json.loads(body) == [{"d": "x\ufffdy"}]
