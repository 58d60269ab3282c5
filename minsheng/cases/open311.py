"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

Every endpoint answers in JSON or XML, chosen by the path's extension; anything else is a 404.
Errors use the spec's format (JSON ``[{"code": 400, "description": "…"}]``, XML
``<errors><error><code/><description/></error></errors>``) with the same HTTP status.

- ``discovery``: the service discovery document.
- ``services``: the catalogue (active case types a resident may file); ``services/{code}``: the
  service definition (its attributes).
- ``requests`` GET: public, anonymised cases (coordinates rounded to ~100 m, no reporter, long
  descriptions cut, phone and ID numbers masked), newest first; POST: file a case (api_key
  required), answered 200 with the case number at once (services are ``realtime``).
- ``requests/{id}``: one case; a non-public case only with its private ``token`` or the api_key of
  the client that filed it, which also see it unmasked.
- ``tokens/{token}``: the case number for a private token.

Extensions (the common ones, no new inventions): ``page``/``page_size`` on the request list,
``detailed_status`` (our workflow state, beyond open/closed) on every request, ``updates`` (the
public history) on a single request, ``token`` in the POST answer, ``locale=en`` for English
service names.

Public POSTs are rate limited per api key (and, for missing or wrong keys, per IP) with the
Django cache: ``settings.OPEN311_POST_RATE`` requests a minute (default 120; 0 turns it off).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import secrets
import xml.etree.ElementTree as ET  # noqa: S405 — only builds documents, never parses input
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection
from django.db.models import CharField, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from minsheng.accounts.masking import mask_text
from minsheng.cases import workflow
from minsheng.cases.clocks import clocks_of
from minsheng.cases.models import ApiKey, Attachment, Case, CaseEvent, CaseType
from minsheng.lib.http import RateLimit
from minsheng.lib.kept import Kept
from minsheng.lib.text import control_char, json_loads
from minsheng.lib.validators import control_char_message
from minsheng.places.models import Compound

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-04T00:00:00+08:00"  # change when the catalogue's shape or the API changes
# settings.OPEN311_CONTACT / OPEN311_KEY_SERVICE override these
CONTACT = "区 12345 政务服务便民热线（the district's 12345 citizen service hotline）"
KEY_SERVICE = "Open311 接口密钥由区级管理员在后台发放（api keys are issued by the district's " \
    "administrators）"

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
MAX_IDS = 200
DEFAULT_SPAN = dt.timedelta(days=90)
PUBLIC_DESCRIPTION_CHARS = 500
MAX_DESCRIPTION_CHARS = 4000  # the spec's limit
COORD_DECIMALS = 3  # ~100 m
RATE_DEFAULT = 120  # POSTs a minute per key (or per IP without a valid key)

S = Case.Status
OPEN = (S.ASSIGNED, S.ACCEPTED)
CLOSED = (S.RESOLVED, S.CLOSED, S.MERGED)
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
# XML: list fields hold one child element per item, named in the singular.
SINGULAR = {"endpoints": "endpoint", "extensions": "extension", "formats": "format", "attributes": "attribute",
            "values": "value", "updates": "update"}
ATTRIBUTE_PARAM = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
CJK = re.compile(r"[\u3400-\u9fff]")
LOST_PLUS = re.compile(r"^(\S*T\S*) (\d{2}:?\d{2})$")  # "+08:00" sent unencoded arrives as " 08:00"
# Years a date parameter may name: far enough for any case, and far from datetime's limits, so
# shifting time zones or adding the 90-day span never overflows.
MIN_YEAR, MAX_YEAR = 1900, 2999
MAX_CODES = 200  # service_code values in one list query
# Text no database column can hold: NUL (PostgreSQL refuses it) and lone surrogates (no encoding).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Characters XML 1.0 does not allow, dropped by the renderer (and lone surrogates: no encoding).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
SURROGATES = re.compile("[\ud800-\udfff]")
# English for the workflow's refusals, by the field they concern
FIELD_EN = {"lat": "the location is outside the districts this service covers",
            "description": "description is required",
            "case_type": "the service is not active"}


class Open311Error(Exception):
    def __init__(self, status: int, zh: str, en: str):
        super().__init__(zh)
        self.status = status
        self.description = f"{zh}（{en}）"


# ── rendering ────────────────────────────────────────────────────────────────────────────────

def _xml_text(value: Any) -> str:
    """Element text; characters XML 1.0 does not allow (NUL, most controls, U+FFFE/U+FFFF, lone
    surrogates), which stored text may hold, are dropped so every document parses."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))


def _xml_name(key: Any) -> str:
    """An element name XML accepts (our keys are; anything else is made one)."""
    key = str(key)
    if XML_NAME.fullmatch(key) and not key.lower().startswith("xml"):
        return key
    return "_" + re.sub(r"[^A-Za-z0-9_.-]", "_", key)


def _xml_fill(parent: ET.Element, data: dict) -> None:
    for key, value in data.items():
        el = ET.SubElement(parent, _xml_name(key))
        if isinstance(value, dict):
            _xml_fill(el, value)
        elif isinstance(value, list):
            for item in value:
                child = ET.SubElement(el, _xml_name(SINGULAR.get(key, "item")))
                if isinstance(item, dict):
                    _xml_fill(child, item)
                else:
                    child.text = _xml_text(item)
        else:
            el.text = _xml_text(value)


def _xml(root: str, item: str | None, data: Any) -> bytes:
    top = ET.Element(root)
    if item is None:
        _xml_fill(top, data)
    else:
        for row in data:
            _xml_fill(ET.SubElement(top, item), row)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(top, encoding="unicode").encode()


def render(fmt: str, data: Any, root: str, item: str | None, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        body = _xml(root, item, data)
    else:  # a lone surrogate (echoed or stored) has no UTF-8: it becomes U+FFFD
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        body = SURROGATES.sub("\ufffd", text).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def error_response(fmt: str, status: int, description: str) -> HttpResponse:
    return render(fmt if fmt in CONTENT_TYPES else "json",
                  [{"code": status, "description": description}], "errors", "error", status)


def endpoint(methods: tuple[str, ...] = ("GET",)) -> Callable:
    """Check the format and the method, and turn Open311Error into the spec's error answer."""

    def deco(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
            fmt = fmt.lower()
            if fmt not in CONTENT_TYPES:
                return error_response("json", 404, f"不支持的格式 “.{fmt}”，请用 .json 或 .xml"
                                      "（unknown format, use .json or .xml）")
            allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
            if request.method not in allowed:
                resp = error_response(fmt, 405, f"不支持 {request.method} 方法"
                                      f"（method not allowed; use {', '.join(methods)}）")
                resp["Allow"] = ", ".join(sorted(allowed))
                return resp
            try:
                _refuse_unstorable(request.GET.lists(), kwargs.items())
                return view(request, fmt, **kwargs)
            except Open311Error as e:
                return error_response(fmt, e.status, e.description)
            except (SuspiciousOperation, BadRequest, MultiPartParserError):
                # too many fields, a body over the size limit, a broken multipart body
                return error_response(fmt, 400, "请求无法解析（参数过多、内容过大或格式错误）"
                                      "（the request could not be parsed）")

        return csrf_exempt(wrapped)

    return deco


@csrf_exempt  # a POST to an unknown path gets the spec's 404 too, not the CSRF page
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """A 404 in the spec's format: XML when the path asks for .xml, else JSON."""
    fmt = "xml" if path.lower().endswith(".xml") else "json"
    return error_response(fmt, 404, "没有这个 Open311 接口（no such GeoReport v2 endpoint; "
                          "see discovery.json）")


# ── helpers ──────────────────────────────────────────────────────────────────────────────────

def _refuse_unstorable(*pairs: Any) -> None:
    """A 400 for NUL or a lone surrogate in any parameter name or value: no database column can
    hold them (PostgreSQL refuses NUL in text), so they are refused before any query or write."""
    for items in pairs:
        for key, value in items:
            values = value if isinstance(value, list) else [value]
            if any(UNSTORABLE.search(str(v)) for v in [key, *values] if v is not None):
                name = "参数名" if UNSTORABLE.search(str(key)) else str(key)[:50]
                raise Open311Error(400, f"{name}：含有无法处理的控制字符（NUL）或不成对的代理项",
                                   f"{name}: holds NUL or a lone surrogate")


def _w3c(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _param(request: HttpRequest, name: str) -> str:
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name, "")
    return value.strip()


def _english(request: HttpRequest) -> bool:
    return request.GET.get("locale", "").lower().startswith("en")


def _service_name(ct: CaseType, english: bool) -> str:
    return (ct.name_en or ct.name) if english else ct.name


def _group_label(ct: CaseType, english: bool) -> str:
    try:
        label = CaseType.Group(ct.group).label
    except ValueError:
        return ct.group
    with translation.override("en" if english else settings.LANGUAGE_CODE):
        return str(label)


def _notice(ct: CaseType) -> str:
    hours, days = clocks_of(ct)
    return f"{hours} 个工作小时内受理，{days} 个工作日内办结"


def _digits(raw: str) -> bool:
    return raw.isascii() and raw.isdigit()


def _status(code: str) -> str:
    return "open" if code in OPEN else "closed"


def _filer_key(case: Case) -> int | None:
    meta = case.attributes.get("open311") if isinstance(case.attributes, dict) else None
    return meta.get("api_key") if isinstance(meta, dict) else None


def _api_key(raw: str) -> ApiKey | None:
    if not raw:
        return None
    # one indexed lookup on every POST, in plain SQL: the ORM's query building was most of its
    # cost (bench/open311_cluster_bench.py); a key revoked is refused at its next POST
    table = connection.ops.quote_name(ApiKey._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, organisation_id FROM {table} "  # noqa: S608 (the model's table)
                       "WHERE digest = %s AND active", [ApiKey.hash(raw)])
        row = cursor.fetchone()
    return ApiKey(pk=row[0], organisation_id=row[1]) if row else None


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _throttled(bucket: str) -> bool:
    """True when `bucket` has used up its POSTs of the last minute (lib.http's limiter)."""
    limit = getattr(settings, "OPEN311_POST_RATE", RATE_DEFAULT)
    return RateLimit("open311:post", limit, 60).take([bucket]) > 0


def _attribute_defs(ct: CaseType, english: bool = False) -> list[dict]:
    """The case type's attributes in the spec's shape, sorted by `order`."""
    out = []
    for i, a in enumerate(ct.attributes or []):
        if not isinstance(a, dict) or not a.get("code"):
            continue
        datatype = a.get("datatype") or "string"
        values = []
        if datatype in ("singlevaluelist", "multivaluelist"):
            for v in a.get("values") or []:
                if isinstance(v, dict):
                    key = v.get("key")
                    name = v.get("name_en") if english and v.get("name_en") else v.get("name")
                    values.append({"key": key, "name": name if name is not None else key})
                else:
                    values.append({"key": v, "name": v})
        description = a.get("description_en") if english and a.get("description_en") else \
            a.get("description", "")
        out.append({
            "variable": bool(a.get("variable", True)),
            "code": str(a["code"]),
            "datatype": datatype,
            "required": bool(a.get("required", False)),
            "datatype_description": a.get("datatype_description") or None,
            "order": int(a.get("order") or i + 1),
            "description": description or "",
            "values": values,
        })
    out.sort(key=lambda d: d["order"])
    return out


# ── discovery and services ──────────────────────────────────────────────────────────────────

@endpoint()
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    url = request.build_absolute_uri(reverse("open311-root"))
    data = {
        "changeset": CHANGESET,
        "contact": getattr(settings, "OPEN311_CONTACT", CONTACT),
        "key_service": getattr(settings, "OPEN311_KEY_SERVICE", KEY_SERVICE),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
        # what this server adds to GeoReport v2 (clients that do not know them lose nothing)
        "extensions": [
            {"name": "token", "description": "POST answers carry a token; GET tokens/{token} "
             "gives the request's id, and the resident's private tracking page is "
             "/cases/t/{token}/ (rating by web link there)"},
            {"name": "not_our_remit", "description": "services whose description starts with "
             "\"不属于本平台受理范围\" (Not handled here) are emergencies to call elsewhere "
             "(110/119/120); a POST of one is refused with 400 saying where to call"},
            {"name": "me_too", "description": "a public request's page /cases/p/{service_request_id}/"
             " takes residents' \"me too\" (附议), once per session and phone"},
            {"name": "device_alarms", "description": "smart-community devices post alarms to "
             "/api/devices/alarms/ with their organisation's device key (Bearer), not through "
             "Open311; a burst from one device within 30 minutes is one case with a count"},
        ],
    }
    return render(fmt, data, "discovery", None)


def _fileable() -> Any:
    return CaseType.objects.filter(active=True, resident_can_file=True)


TYPES_TTL_S = 60.0
_TYPES = Kept("open311-types", TYPES_TTL_S, limit=1000)
_TYPES.forget_on_write(CaseType)


def fileable_type(code: str) -> CaseType | None:
    """The category a POST files under (None: no such category, or not open to filing), kept per
    process for TYPES_TTL_S as the calendar is (cases.clocks): a category saved in this process
    is seen at once, another app server sees it within the minute. Read on every POST, it was a
    tenth of its time (bench/open311_cluster_bench.py)."""
    return _TYPES.get(code, lambda: _fileable().filter(pk=code).first())


def forget_types(**_signal_kwargs) -> None:
    _TYPES.clear()


@endpoint()
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    english = _english(request)
    rows = [{
        "service_code": ct.code,
        "service_name": _service_name(ct, english),
        "description": _service_description(ct, english),
        "metadata": bool(_attribute_defs(ct)),
        "type": "realtime",
        "keywords": ",".join(ct.keywords.split()),
        "group": _group_label(ct, english),
    } for ct in _fileable()]
    return render(fmt, rows, "services", "service")


def _service_description(ct: CaseType, english: bool) -> str:
    """The type's description; for a type that is not our remit, where to turn instead (POSTs of
    it are refused with the same words)."""
    if not ct.redirect_to:
        return ct.description
    if english:
        return f"Not handled here: {ct.redirect_to_en or ct.redirect_to}"
    return f"不属于本平台受理范围：{ct.redirect_to}"


def _service(code: str) -> CaseType:
    ct = _fileable().filter(pk=code).first()
    if ct is None:
        raise Open311Error(404, f"没有代码为 “{code}” 的服务",
                           "service_code not found")
    return ct


@endpoint()
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    ct = _service(code)
    data = {"service_code": ct.code, "attributes": _attribute_defs(ct, _english(request))}
    return render(fmt, data, "service_definition", None)


# ── requests ────────────────────────────────────────────────────────────────────────────────

@endpoint(("GET", "POST"))
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    return _list_requests(request, fmt)


def _float(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} 不是数字", f"{name} is not a number") from None
    if not math.isfinite(value):
        raise Open311Error(400, f"{name} 不是有效数字", f"{name} is not a finite number")
    return value


def _post_params(request: HttpRequest) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Plain parameters and attribute[CODE] / attribute[CODE][] values (form, query or JSON)."""
    plain: dict[str, str] = {}
    attrs: dict[str, list[str]] = {}
    sources: list[Any] = [request.GET]
    if request.content_type == "application/json":
        try:
            body = json_loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise Open311Error(400, "JSON 格式错误", "malformed JSON body") from None
        if not isinstance(body, dict):
            raise Open311Error(400, "JSON 须为对象", "JSON body must be an object")
        nested = body.pop("attribute", None)
        if isinstance(nested, dict):
            for k, v in nested.items():
                attrs[str(k)] = [str(x) for x in v] if isinstance(v, list) else [str(v)]
        sources.append({k: v if isinstance(v, list) else [v] for k, v in body.items()})
    else:
        sources.append(request.POST)
    for src in sources:  # the body wins over the query string
        for key in src:
            values = src.getlist(key) if hasattr(src, "getlist") else src[key]
            m = ATTRIBUTE_PARAM.match(key)
            if m:
                attrs[m.group(1)] = [str(v) for v in values]
            elif values:
                plain[key] = "" if values[-1] is None else str(values[-1]).strip()
    return plain, attrs


def _check_attributes(ct: CaseType, given: dict[str, list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for a in _attribute_defs(ct):
        if not a["variable"]:
            continue
        code, datatype = a["code"], a["datatype"]
        values = [v.strip() for v in given.get(code, []) if v.strip()]
        if not values:
            if a["required"]:
                raise Open311Error(400, f"缺少必填属性 attribute[{code}]：{a['description']}",
                                   f"required attribute {code} is missing")
            continue
        if datatype in ("singlevaluelist", "multivaluelist"):
            keys = {str(v["key"]) for v in a["values"]}
            bad = [v for v in values if v not in keys]
            if bad:
                raise Open311Error(400, f"属性 {code} 的取值 “{bad[0]}” 不在可选范围内",
                                   f"attribute {code}: value not in the list of keys")
            out[code] = values if datatype == "multivaluelist" else values[-1]
        elif datatype == "number":
            out[code] = _float(values[-1], f"attribute[{code}]")
        elif datatype == "datetime":
            out[code] = _w3c(_when(values[-1], f"attribute[{code}]"))
        else:
            out[code] = values[-1][:MAX_DESCRIPTION_CHARS]
    return out


def _compound_from_address(address: str) -> Compound | None:
    """The compound whose name the address mentions (the longest such name, if unambiguous)."""
    rows = list(Compound.objects.alias(addr=Value(address, output_field=CharField()))
                .filter(addr__contains=F("name")).annotate(n=Length("name")).filter(n__gte=2)
                .defer("boundary").order_by("-n", "pk")[:2])
    if not rows:
        return None
    if len(rows) == 2 and rows[0].name == rows[1].name:
        return None  # the same name in two communities: we cannot tell which
    return rows[0]


def _reporter_name(first: str, last: str) -> str:
    if first and last and CJK.search(first + last):
        return (last + first)[:50]
    return " ".join(p for p in (first, last) if p)[:50]


def _check_text(plain: dict[str, str], attrs: dict[str, list[str]]) -> None:
    """No control characters in what is stored (they break the exports); line breaks only in
    the description and in attribute values (free text)."""
    given = [(k, v, k == "description") for k, v in plain.items()]
    given += [(f"attribute[{k}]", v, True) for k, vs in attrs.items() for v in vs]
    for name, value, multiline in given:
        ch = control_char(value, multiline=multiline)
        if ch is not None:
            with translation.override("zh-hans"):  # the description is "中文（English）"
                zh = control_char_message(ch)
            raise Open311Error(400, f"{name}：{zh.rstrip('。')}",
                               f"{name} contains a control character (U+{ord(ch):04X})")


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    p, given_attrs = _post_params(request)
    _refuse_unstorable(p.items(), given_attrs.items())
    raw_key = p.get("api_key", "")
    if not raw_key:
        if _throttled(f"ip:{_client_ip(request)}"):
            raise Open311Error(429, "请求过于频繁，请稍后再试", "too many requests")
        raise Open311Error(403, "缺少 api_key", "api_key was not provided")
    key = _api_key(raw_key)
    if key is None:
        if _throttled(f"ip:{_client_ip(request)}"):
            raise Open311Error(429, "请求过于频繁，请稍后再试", "too many requests")
        raise Open311Error(403, "api_key 无效或已停用", "api_key is invalid or inactive")
    if _throttled(f"key:{key.pk}"):
        raise Open311Error(429, "该 api_key 提交过于频繁，请稍后再试",
                           "rate limit exceeded for this api_key")

    code = p.get("service_code", "")
    if not code:
        raise Open311Error(400, "缺少 service_code", "service_code was not provided")
    ct = fileable_type(code)
    if ct is None:
        raise Open311Error(400, f"service_code “{code}” 无效", "service_code is not valid")
    if ct.redirect_to:  # not our remit: say where to turn, file nothing
        raise Open311Error(400, f"{ct.name}不属于本平台受理范围：{ct.redirect_to}",
                           f"{ct.name_en or ct.code} is not handled by this service: "
                           f"{ct.redirect_to_en or ct.redirect_to}")

    description = p.get("description", "")
    if not description:
        raise Open311Error(400, "请描述问题（description 必填）", "description is required")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise Open311Error(400, f"描述不能超过 {MAX_DESCRIPTION_CHARS} 字",
                           f"description is limited to {MAX_DESCRIPTION_CHARS} characters")
    _check_text(p, given_attrs)

    lat_raw, lng_raw = p.get("lat", ""), p.get("long", "")
    address = p.get("address_string", "")[:200]
    address_id = p.get("address_id", "")
    lat = lng = None
    compound = None
    if lat_raw or lng_raw:
        if not (lat_raw and lng_raw):
            raise Open311Error(400, "lat 与 long 须同时提供", "lat and long must both be given")
        lat, lng = _float(lat_raw, "lat"), _float(lng_raw, "long")
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise Open311Error(400, "坐标超出范围（lat −90…90，long −180…180，WGS-84）",
                               "lat/long out of range")
    if address_id:
        compound = Compound.objects.filter(pk=int(address_id)).defer("boundary").first() \
            if _digits(address_id) and len(address_id) < 12 else None
        if compound is None:
            raise Open311Error(400, f"address_id “{address_id}” 不是本平台的小区编号",
                               "address_id not found")
    if lat is None and compound is None:
        if not address:
            raise Open311Error(400, "请提供位置：lat/long、address_string 或 address_id",
                               "a location is required: lat & long, address_string or "
                               "address_id")
        compound = _compound_from_address(address)
        if compound is None:
            raise Open311Error(400, "无法根据地址确定位置，请提供 lat/long 坐标或 address_id",
                               "address_string could not be located; please send lat & long")

    attributes = _check_attributes(ct, given_attrs)
    media_url = p.get("media_url", "")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise Open311Error(400, "media_url 不是有效的网址", "media_url is not a valid "
                               "http(s) URL") from None
    meta = {"api_key": key.pk}
    for name in ("email", "device_id", "account_id", "media_url"):
        if p.get(name):
            meta[name] = p[name][:500]
    attributes["open311"] = meta

    try:
        for attempt in range(3):
            try:
                case = workflow.do_file(
                    case_type=ct, description=description, channel=Case.Channel.OPEN311,
                    lng=lng, lat=lat, compound=compound,
                    address=address or (compound.name if compound else ""),
                    reporter_name=_reporter_name(p.get("first_name", ""), p.get("last_name", "")),
                    reporter_phone=p.get("phone", "")[:30], attributes=attributes)
                break
            except IntegrityError:
                # two concurrent filings took the same next case number; do_file rolled back
                if attempt == 2:
                    raise
    except ValidationError as e:
        msgs = [str(m).rstrip("。") for m in e.messages] or ["提交的内容有误"]
        fields = list(e.message_dict) if hasattr(e, "error_dict") else []
        en = "; ".join(FIELD_EN.get(f, f"invalid {f}") for f in fields) or \
            "the request could not be filed"
        raise Open311Error(400, "；".join(msgs), en) from None

    row = {"service_request_id": case.number,
           "service_notice": f"已派至 {case.organisation.name}，{_notice(ct)}",
           "account_id": None, "token": case.token}
    return render(fmt, [row], "service_requests", "request")


def _cases() -> Any:
    latest = CaseEvent.objects.filter(case=OuterRef("pk"), public=True).order_by("-at", "-id")
    photo = Attachment.objects.filter(case=OuterRef("pk")).filter(
        Q(event__isnull=True) | Q(event__public=True)).order_by("id")
    return Case.objects.select_related(
        "case_type", "organisation", "region__parent", "compound").defer(
        "region__boundary", "region__parent__boundary", "compound__boundary").annotate(
        o_note=Subquery(latest.exclude(note="").values("note")[:1]),
        o_updated=Subquery(latest.values("at")[:1]),
        o_photo=Subquery(photo.values("pk")[:1]))


def _public_cases() -> Any:
    return _cases().filter(public=True, case_type__public=True)


def _area(case: Case) -> str:
    region = case.region
    parts = []
    if region.level == "community" and region.parent is not None:
        parts.append(region.parent.name)
    parts.append(region.name)
    if case.compound is not None:
        parts.append(case.compound.name)
    return "".join(parts)


def _record(request: HttpRequest, case: Case, *, private: bool, english: bool) -> dict:
    ct = case.case_type
    if private:
        description = case.description
        lat, lng = case.lat, case.lng
        address = case.address or _area(case)
    else:
        description = mask_text(case.description)
        if len(description) > PUBLIC_DESCRIPTION_CHARS:
            description = description[:PUBLIC_DESCRIPTION_CHARS - 1] + "…"
        lat = round(case.lat, COORD_DECIMALS) if case.lat is not None else None
        lng = round(case.lng, COORD_DECIMALS) if case.lng is not None else None
        address = _area(case)
    media = None
    if getattr(case, "o_photo", None):
        # served through the views that check who may see it (never MEDIA_ROOT itself)
        if case.public and case.case_type.public:
            url = reverse("cases:public-photo", args=[case.o_photo])
        else:
            url = reverse("cases:track-photo", args=[case.token, case.o_photo])
        media = request.build_absolute_uri(url)
    elif private:
        meta = case.attributes.get("open311") if isinstance(case.attributes, dict) else None
        media = meta.get("media_url") if isinstance(meta, dict) else None
    note = getattr(case, "o_note", None)
    return {
        "service_request_id": case.number,
        "status": _status(case.status),
        "detailed_status": case.status,
        "status_notes": (note if private else mask_text(note)) if note else None,
        "service_name": _service_name(ct, english),
        "service_code": ct.code,
        "description": description,
        "agency_responsible": case.organisation.name,
        "service_notice": _notice(ct),
        "requested_datetime": _w3c(case.created_at),
        "updated_datetime": _w3c(getattr(case, "o_updated", None) or case.created_at),
        "expected_datetime": _w3c(case.resolve_due),
        "address": address,
        "address_id": str(case.compound_id) if case.compound_id else None,
        "zipcode": None,
        "lat": lat,
        "long": lng,
        "media_url": media,
    }


def _when(raw: str, name: str, *, end: bool = False) -> dt.datetime:
    raw = LOST_PLUS.sub(r"\1+\2", raw)
    try:
        value = parse_datetime(raw)
    except ValueError:  # well formed but impossible, e.g. month 13
        value = None
    if value is None:
        try:
            day = parse_date(raw)
        except ValueError:
            day = None
        if day is None:
            raise Open311Error(400, f"{name} 须为 W3C 日期时间，如 2026-01-31T08:00:00+08:00",
                               f"{name} must be a w3c ISO 8601 datetime")
        value = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise Open311Error(400, f"{name} 须在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间",
                           f"{name} must be between the years {MIN_YEAR} and {MAX_YEAR}")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _positive(raw: str, name: str, default: int) -> int:
    if not raw:
        return default
    if not _digits(raw) or len(raw) > 9 or int(raw) < 1:
        raise Open311Error(400, f"{name} 须为正整数", f"{name} must be a positive integer")
    return int(raw)


def _list_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    g = request.GET
    page = _positive(g.get("page", "").strip(), "page", 1)
    size = min(_positive(g.get("page_size", "").strip(), "page_size", PAGE_SIZE), MAX_PAGE_SIZE)
    qs = _public_cases()
    ids = [x.strip() for x in g.get("service_request_id", "").split(",") if x.strip()]
    if ids:  # "overrides all other arguments"
        qs = qs.filter(number__in=ids[:MAX_IDS])
    else:
        codes = [x.strip() for x in g.get("service_code", "").split(",") if x.strip()][:MAX_CODES]
        if codes:
            qs = qs.filter(case_type_id__in=codes)
        statuses = {x.strip().lower() for x in g.get("status", "").split(",") if x.strip()}
        if statuses:
            wanted: set[str] = set()
            for s in statuses:
                if s == "open":
                    wanted |= set(OPEN)
                elif s == "closed":
                    wanted |= set(CLOSED)
                elif s in S.values:  # our detailed statuses, as an extension
                    wanted.add(s)
                else:
                    raise Open311Error(400, f"status “{s}” 无效，可用 open 或 closed",
                                       "status must be open or closed")
            qs = qs.filter(status__in=wanted)
        start_raw, end_raw = g.get("start_date", "").strip(), g.get("end_date", "").strip()
        start = _when(start_raw, "start_date") if start_raw else None
        end = _when(end_raw, "end_date", end=True) if end_raw else None
        if start and end:
            if end < start:
                raise Open311Error(400, "end_date 早于 start_date",
                                   "end_date is before start_date")
            if end - start > DEFAULT_SPAN:
                raise Open311Error(400, "start_date 与 end_date 之间不能超过 90 天",
                                   "the date range may not span more than 90 days")
        elif start:
            end = start + DEFAULT_SPAN
        else:
            end = end or timezone.now()
            start = end - DEFAULT_SPAN
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
    offset = (page - 1) * size
    english = _english(request)
    rows = [_record(request, c, private=False, english=english)
            for c in qs.order_by("-created_at", "-pk")[offset:offset + size]]
    return render(fmt, rows, "service_requests", "request")


@endpoint()
def request_detail(request: HttpRequest, fmt: str, sid: str) -> HttpResponse:
    case = _cases().filter(number=sid).first()
    token = request.GET.get("token", "").strip()
    private = False
    if case is not None:
        if token and secrets.compare_digest(token.encode(), case.token.encode()):
            private = True
        elif request.GET.get("api_key"):
            key = _api_key(request.GET["api_key"].strip())
            private = key is not None and key.pk == _filer_key(case)
    if case is None or not (private or (case.public and case.case_type.public)):
        raise Open311Error(404, f"没有编号为 “{sid}” 的公开诉求",
                           "service_request_id not found")
    row = _record(request, case, private=private, english=_english(request))
    events = CaseEvent.objects.filter(case=case, public=True).order_by("at", "id")
    row["updates"] = [{
        "datetime": _w3c(e.at),
        "status": _status(e.to_status) if e.to_status else row["status"],
        "detailed_status": e.to_status or None,
        "description": (e.note if private else mask_text(e.note)) or e.get_action_display(),
    } for e in events]
    return render(fmt, [row], "service_requests", "request")


@endpoint()
def token_view(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    number = Case.objects.filter(token=token).values_list("number", flat=True).first()
    if number is None:
        raise Open311Error(404, "没有这个 token", "token not found")
    return render(fmt, [{"service_request_id": number, "token": token}],
                  "service_requests", "request")
