"""The evaluation's pages: who sees and does what, denials through pages, actions, exports and
the back office."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from minsheng.accounts.models import Membership
from minsheng.accounts.roles import Role
from minsheng.governance import actions
from minsheng.governance.models import Inspection, Scheme, SchemeItem, Scorecard, Survey
from minsheng.places.models import Compound, Organisation, Region
from minsheng.places.scope import scope_of

pytestmark = pytest.mark.django_db
PINGCHENG = "140213000000"


@pytest.fixture
def scheme() -> Scheme:
    s = Scheme.objects.create(code="p-scheme", name="页面考评", region_id="131002000000",
                              bands=[["优秀", 90], ["良好", 80], ["合格", 60], ["不合格", 0]])
    SchemeItem.objects.create(scheme=s, code="ontime", name="按时办结率", weight=40,
                              source=SchemeItem.Source.CASES, metric=SchemeItem.Metric.ON_TIME)
    SchemeItem.objects.create(scheme=s, code="clean", name="环境卫生", weight=30,
                              source=SchemeItem.Source.INSPECTION)
    SchemeItem.objects.create(scheme=s, code="satisfied", name="居民满意度", weight=30,
                              source=SchemeItem.Source.SURVEY)
    return s


@pytest.fixture
def pingcheng_admin():
    u = get_user_model().objects.create_user("pc-admin", is_staff=True)
    Membership.objects.create(user=u, role=Role.DISTRICT_ADMIN, region_id=PINGCHENG)
    return u


def own_and_other(user) -> tuple[Organisation, Organisation]:
    own_id = next(iter(scope_of(user("property1")).managed_company_ids))
    own = Organisation.objects.get(pk=own_id)
    other = (Organisation.objects.filter(kind=Organisation.Kind.PROPERTY_COMPANY,
                                         region__code__startswith="131002")
             .exclude(pk=own_id).first())
    return own, other


def test_property1_sees_its_own_scorecard_with_evidence_and_objects_once(
        scheme, user, client_for) -> None:
    cards = {c.company_id: c for c in actions.do_compute_scores(
        scheme, str(timezone.localdate().year))}
    own, other = own_and_other(user)
    c = client_for("property1")
    r = c.get(reverse("governance:scorecard", args=[cards[own.pk].pk]))
    assert r.status_code == 200 and "按时办结率" in r.content.decode()
    assert "最少样本" in r.content.decode()
    assert c.get(reverse("governance:scorecard", args=[cards[other.pk].pk])).status_code == 404
    r = c.post(reverse("governance:object", args=[cards[other.pk].pk]), {"reason": "x"})
    assert r.status_code == 404
    c.post(reverse("governance:object", args=[cards[own.pk].pk]), {"reason": "检查当天停水"})
    c.post(reverse("governance:object", args=[cards[own.pk].pk]), {"reason": "再来一次"})
    assert Scorecard.objects.get(pk=cards[own.pk].pk).objection == "检查当天停水"
    # the district reads it but cannot object for the company
    d = client_for("district")
    assert d.get(reverse("governance:scorecard", args=[cards[own.pk].pk])).status_code == 200
    assert d.post(reverse("governance:object", args=[cards[other.pk].pk]),
                  {"reason": "x"}).status_code == 403


def test_only_the_district_computes_publishes_and_exports(scheme, client_for,
                                                          pingcheng_admin) -> None:
    period = str(timezone.localdate().year)
    data = {"scheme": scheme.pk, "period": period}
    for name in ("street1", "community1", "property1", "viewer1", "resident1"):
        c = client_for(name)
        assert c.post(reverse("governance:compute"), data).status_code == 404, name
        assert c.post(reverse("governance:publish"), data).status_code == 404, name
        assert c.get(reverse("governance:export"), data).status_code == 404, name
    other = Client()
    other.force_login(pingcheng_admin)
    assert other.post(reverse("governance:compute"), data).status_code == 404
    assert not Scorecard.objects.filter(scheme=scheme).exists()

    d = client_for("district")
    assert d.post(reverse("governance:compute"), data).status_code == 302
    assert d.post(reverse("governance:publish"), data).status_code == 302
    r = d.get(reverse("governance:export"), data)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd")
    # the public ranking: no login, company names and grades, nobody's phone
    public = Client().get(reverse("governance:ranking"))
    body = public.content.decode()
    assert public.status_code == 200 and "页面考评" in body
    assert all(o.contact_phone not in body for o in Organisation.objects.filter(
        kind=Organisation.Kind.PROPERTY_COMPANY).exclude(contact_phone=""))


def _jpeg() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, "JPEG")
    buf.seek(0)
    buf.name = "p.jpg"
    return buf


def test_street_staff_inspect_within_their_street_on_a_phone_with_a_photo(
        scheme, client_for, user) -> None:
    street1 = Region.objects.filter(parent_id="131002000000").order_by("code")[0]
    street2 = Region.objects.filter(parent_id="131002000000").order_by("code")[1]
    mine = Compound.objects.filter(region__code__startswith=street1.code[:9],
                                   property_company__isnull=False).first()
    theirs = Compound.objects.filter(region__code__startswith=street2.code[:9],
                                     property_company__isnull=False).first()
    c = client_for("street1")
    url = reverse("governance:inspect")
    r = c.get(url, {"compound": mine.pk, "scheme": scheme.pk})
    assert r.status_code == 200 and 'capture="environment"' in r.content.decode()
    r = c.post(f"{url}?compound={mine.pk}&scheme={scheme.pk}",
               {"kind": "unannounced", "day": timezone.localdate().isoformat(),
                "item_clean": 85, "note": "楼道干净", "photo": _jpeg()})
    assert r.status_code == 302
    ins = Inspection.objects.get(compound=mine)
    assert ins.results == {"clean": 85.0} and ins.photos.count() == 1
    assert c.get(reverse("governance:photo", args=[ins.pk, 0])).status_code == 200
    # another street's compound is not offered and not accepted
    r = c.post(f"{url}?compound={theirs.pk}&scheme={scheme.pk}",
               {"kind": "scheduled", "day": timezone.localdate().isoformat(), "item_clean": 1})
    assert not Inspection.objects.filter(compound=theirs).exists()
    # the inspection is read by the district and the inspected company, not by street2, the
    # resident or the viewer
    assert client_for("district").get(reverse("governance:inspection",
                                              args=[ins.pk])).status_code == 200
    for name in ("street2", "resident1", "viewer1"):
        assert client_for(name).get(reverse("governance:inspection",
                                            args=[ins.pk])).status_code == 404, name
        assert client_for(name).get(reverse("governance:photo",
                                            args=[ins.pk, 0])).status_code == 404, name
    own_ids = scope_of(user("property1")).managed_company_ids
    expected = 200 if ins.company_id in own_ids else 404
    assert client_for("property1").get(reverse("governance:inspection",
                                               args=[ins.pk])).status_code == expected
    for name in ("property1", "resident1", "viewer1", "dept1"):
        assert client_for(name).get(url).status_code == 403, name


def test_a_resident_answers_the_compound_survey_by_its_link(scheme, client_for) -> None:
    actions.do_open_surveys(scheme, by=None)
    survey = Survey.objects.filter(scheme=scheme).first()
    url = reverse("governance:survey", args=[survey.token])
    c = Client()
    assert c.get(url).status_code == 200
    r = c.post(url, {"household": "5-1-302", "item_satisfied": 4})
    assert "感谢" in r.content.decode()
    r = c.post(url, {"household": "5号楼1单元302", "item_satisfied": 1})
    assert "已经填写过" in r.content.decode()
    assert survey.answers.count() == 1
    assert c.get(reverse("governance:survey", args=["nope"])).status_code == 404
    # only the district sees the links
    assert client_for("district").get(reverse("governance:surveys")).status_code == 200
    for name in ("street1", "property1", "resident1", "viewer1"):
        assert client_for(name).get(reverse("governance:surveys")).status_code == 403, name


def test_the_nav_and_index_follow_the_rights(client_for) -> None:
    assert "物业考评" in client_for("district").get("/").content.decode()
    for name in ("resident1", "viewer1", "dept1"):
        assert client_for(name).get(reverse("governance:index")).status_code == 403, name
    assert client_for("property1").get(reverse("governance:index")).status_code == 200


def test_the_back_office_is_scoped(scheme, client_for, pingcheng_admin) -> None:
    actions.do_compute_scores(scheme, str(timezone.localdate().year))
    card = Scorecard.objects.filter(scheme=scheme).first()
    d = client_for("district")
    assert d.get(reverse("admin:governance_scheme_change", args=[scheme.pk])).status_code == 200
    assert d.get(reverse("admin:governance_scorecard_change",
                         args=[card.pk])).status_code == 200
    other = Client()
    other.force_login(pingcheng_admin)
    for name, pk in (("scheme", scheme.pk), ("scorecard", card.pk)):
        r = other.get(reverse(f"admin:governance_{name}_change", args=[pk]))
        assert r.status_code in (302, 404), name
    # read-only for what the pages write
    r = d.post(reverse("admin:governance_scorecard_change", args=[card.pk]), {"grade": "优秀"})
    assert r.status_code == 403


def test_the_survey_poster_prints_a_qr_code_of_the_link_for_managers_only(client_for) -> None:
    scheme = Scheme.objects.create(code="qr", name="考评<script>", region_id="131002000000",
                                   bands=[])
    compound = Compound.objects.filter(region__code__startswith="131002").first()
    sv = Survey.objects.create(scheme=scheme, compound=compound)
    url = reverse("governance:survey-poster", args=[sv.pk])
    r = client_for("district").get(url)
    assert r.status_code == 200
    body = r.content.decode()
    assert '<svg' in body and 'class="qr"' in body and "<script>" not in body.split("<main")[-1]
    assert f"/public/survey/{sv.token}/" in body
    for name in ("street1", "property1", "resident1", "viewer1"):
        assert client_for(name).get(url).status_code in (403, 404), name
    assert client_for("district").get(
        reverse("governance:survey-poster", args=[999999])).status_code == 404
