"""The shared hostile-input corpus (tests/hostile.py) through every writable field of the JSON API.

Every writable field of every write endpoint under /api/ (found from the serializers, not listed
here) is sent each hostile value, on a PATCH of an object in the district's own scope and on a
POST of a copy. The answer is 200/201 with the value stored as sent (markup and formulas are
text), or 400 with a message naming the field; never a 500, always a body that is valid UTF-8
JSON, and a refused write changes nothing. (Open311 has its own: tests/cases/test_open311_hostile.py.)
"""

from __future__ import annotations

import json

import pytest
from rest_framework import serializers

from minsheng.places import api
from minsheng.places.models import Compound, Facility, Grid, Organisation
from tests.hostile import CONTROL, EXTREME_DATES, FORMULAS, LONG, NUMBERS, SURROGATE, XSS

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "compounds": (Compound, api.CompoundSerializer),
    "facilities": (Facility, api.FacilitySerializer),
    "organisations": (Organisation, api.OrganisationSerializer),
    "grids": (Grid, api.GridSerializer),
}

# values every field is tried with, whatever its type
ANY = [SURROGATE, "\x00", None, [], {}, {"a": 1}, True, LONG, "x" * 5000]
TEXT = [*XSS, *FORMULAS, *CONTROL, "\u202e\u200b"]
NUMBER = [*NUMBERS, 2**70, -(2**70), 1e308, -1e308]


def values_for(field: serializers.Field) -> list:
    if isinstance(field, serializers.CharField | serializers.ChoiceField):
        return [*ANY, *TEXT, 12]
    if isinstance(field, serializers.IntegerField | serializers.FloatField
                  | serializers.DecimalField):
        return [*ANY, *NUMBER]
    if isinstance(field, serializers.DateField | serializers.DateTimeField):
        return [*ANY, *EXTREME_DATES]
    return [*ANY, *NUMBER[:4], *EXTREME_DATES[:3], *TEXT[:3]]


def writable(serializer_class) -> dict[str, serializers.Field]:
    return {n: f for n, f in serializer_class().get_fields().items() if not f.read_only}


def answer_is_clean(r) -> dict | list:
    """The answer is not a server error and its body is valid UTF-8 JSON."""
    assert r.status_code < 500, r.content[:300]
    body = r.content.decode("utf-8")  # raises on a lone surrogate written out as UTF-8
    return json.loads(body)


def sendable(value) -> str:
    # json.dumps writes a lone surrogate as the "\ud800" escape a hostile client sends
    return json.dumps(value)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_every_writable_field_answers_every_hostile_value(client_for, endpoint) -> None:
    model, serializer_class = ENDPOINTS[endpoint]
    c = client_for("district")
    obj = model.objects.filter(region__code__startswith="131002").order_by("pk").first()
    url = f"/api/{endpoint}/{obj.pk}/"
    base = c.get(url).json()
    fields = writable(serializer_class)
    assert fields, endpoint
    tried = 0
    for name, field in fields.items():
        for value in values_for(field):
            before = model.objects.filter(pk=obj.pk).values().get()
            r = c.patch(url, sendable({name: value}), content_type="application/json")
            data = answer_is_clean(r)
            tried += 1
            if r.status_code == 400:
                assert model.objects.filter(pk=obj.pk).values().get() == before, (name, value)
                assert data, (name, value)
                continue
            assert r.status_code == 200, (name, value, r.status_code)
            if isinstance(value, str) and isinstance(field, serializers.CharField) \
                    and not isinstance(field, serializers.ChoiceField):
                # accepted text is stored as sent (but for the outer blanks every form trims)
                sent = value.strip() if field.trim_whitespace else value
                assert model.objects.filter(pk=obj.pk).values_list(
                    field.source or name, flat=True).get() == sent, (name, value)
            # put the object back for the next value
            restore = {k: v for k, v in base.items() if k in fields}
            assert c.put(url, sendable(restore), content_type="application/json"
                         ).status_code == 200
        # and the same field on a new object: refused values create nothing
        count = model.objects.count()
        for value in (SURROGATE, "\x00", [], *TEXT[:2]):
            body = {k: v for k, v in base.items() if k in fields and k != "id"}
            body[name] = value
            r = c.post(f"/api/{endpoint}/", sendable(body), content_type="application/json")
            answer_is_clean(r)
            if r.status_code != 201:
                assert r.status_code == 400 and model.objects.count() == count, (name, value)
            else:
                count += 1
    assert tried > 20 * len(fields) // 2


@pytest.mark.parametrize("body", [
    b'{"name": "\\ud800"}', b'{"name": "\\udfff\\ud800"}', b'{"name": Infinity}',
    b'{"households": NaN}', b'{"households": 1e400}', b'\xff\xfe{', b'{"name": "a"' + b" " * 10,
    b"[1, 2, 3]", b'"just a string"', b"null",
], ids=lambda b: repr(b[:20]))
def test_bodies_that_are_not_json_objects_are_refused(client_for, body) -> None:
    obj = Compound.objects.filter(region__code__startswith="131002").order_by("pk").first()
    before = Compound.objects.filter(pk=obj.pk).values().get()
    r = client_for("district").patch(f"/api/compounds/{obj.pk}/", body,
                                     content_type="application/json")
    answer_is_clean(r)
    assert r.status_code == 400
    assert Compound.objects.filter(pk=obj.pk).values().get() == before
