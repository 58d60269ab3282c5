"""A party-secretary head without a committee is refused (issue 12 §1): the share of committees
headed by the party secretary counts real committees only, so a compound without a committee
cannot say its head is the party secretary — in the model, the form, the API and the import."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from minsheng.places import exchange
from minsheng.places.exchange import ImportRejected
from minsheng.places.models import Compound, Region
from minsheng.places.views import CompoundForm

pytestmark = pytest.mark.django_db


def _u(username: str):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def compound():
    return Compound.objects.filter(region__code__startswith="131002001").order_by("pk").first()


def test_the_model_refuses_a_party_secretary_head_without_a_committee(compound):
    compound.committee, compound.head_is_party_secretary = "", True
    with pytest.raises(ValidationError) as e:
        compound.full_clean()
    assert "head_is_party_secretary" in e.value.message_dict
    compound.committee = Compound.Committee.OWNERS
    compound.full_clean()


def test_the_form_refuses_it(compound):
    data = {f: getattr(compound, f) for f in CompoundForm.Meta.fields
            if f not in ("region", "grid", "property_company")}
    data.update(region=compound.region_id, grid=compound.grid_id or "",
                property_company=compound.property_company_id or "", committee="",
                head_is_party_secretary="on", year_built=compound.year_built or "")
    form = CompoundForm(data, instance=compound, user=_u("district"))
    assert not form.is_valid()
    assert "head_is_party_secretary" in form.errors


def test_the_api_refuses_it(client_for, compound):
    c = client_for("district")
    r = c.patch(f"/api/compounds/{compound.pk}/", {"committee": "",
                                                    "head_is_party_secretary": True},
                content_type="application/json")
    assert r.status_code == 400 and "head_is_party_secretary" in r.json()


def test_the_import_refuses_it_with_the_row_and_column():
    comm = Region.objects.filter(code__startswith="131002001", level="community").first()
    headers = exchange.template("compounds", "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(headers[0]))
    header = [c.value for c in wb.worksheets[0][1]]
    values = {"小区名称": "书记新苑", "所属社区/村区划代码": comm.code, "经度": comm.lng,
              "纬度": comm.lat, "物业管理状态": "无物业", "业委会/物管会": "无",
              "主任由党支部书记担任": "是"}
    wb.worksheets[0].append([values.get(h) for h in header])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportRejected) as e:
        exchange.import_file(_u("district"), "compounds", buf.getvalue(), "小区.xlsx", "wgs84")
    assert any("主任由党支部书记担任" in str(err) for err in e.value.errors)
    assert not Compound.objects.filter(name="书记新苑").exists()
