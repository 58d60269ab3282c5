"""The handler's outcome as data: each kind, its required detail, shown and counted; the
resident's verdict stays separate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from minsheng.cases import stats, workflow
from minsheng.cases.models import Case, CaseType, OutcomeKind
from minsheng.places.models import Compound

pytestmark = pytest.mark.django_db


def accepted(user) -> Case:
    comp = Compound.objects.filter(region_id="131002001007", property_company__isnull=True
                                   ).order_by("pk").first()
    c = workflow.do_file(case_type=CaseType.objects.get(code="street_order"), compound=comp,
                         description="占道经营", channel=Case.Channel.HOTLINE)
    return workflow.do_accept(user("street1"), c)


@pytest.mark.parametrize("kind,extra,field", [
    (OutcomeKind.RESOLVED, {}, None),
    (OutcomeKind.PARTLY, {}, None),
    (OutcomeKind.EXPLAINED, {"rule": "《城市市容和环境卫生管理条例》第十四条"}, "outcome_rule"),
    (OutcomeKind.REDIRECTED, {"redirect_to": "110（治安案件）"}, "outcome_redirect"),
])
def test_each_outcome_kind(user, kind, extra, field):
    case = accepted(user)
    start = case.created_at
    before = stats.case_figures(user("district"), start - dt.timedelta(days=1),
                                start + dt.timedelta(days=1))["outcomes"].get(kind, 0)
    case = workflow.do_resolve(user("street1"), case, "已处理", kind, **extra)
    case.refresh_from_db()
    assert case.outcome_kind == kind and case.verdict == ""
    if field:
        assert getattr(case, field) == next(iter(extra.values()))
    after = stats.case_figures(user("district"), start - dt.timedelta(days=1),
                               start + dt.timedelta(days=1))["outcomes"].get(kind, 0)
    assert after == before + 1


def test_explained_needs_a_rule_and_redirected_a_place(user):
    case = accepted(user)
    with pytest.raises(ValidationError):
        workflow.do_resolve(user("street1"), case, "无法解决", OutcomeKind.EXPLAINED)
    with pytest.raises(ValidationError):
        workflow.do_resolve(user("street1"), case, "不归我们管", OutcomeKind.REDIRECTED)
    with pytest.raises(ValidationError):
        workflow.do_resolve(user("street1"), case, "x", "nonsense")


def test_outcome_kind_through_the_detail_page(client_for, user):
    case = accepted(user)
    url = f"/cases/{case.pk}/"
    c = client_for("street1")
    r = c.post(url + "resolve/", {"outcome": "已告知", "kind": "redirected", "redirect_to": ""})
    assert r.status_code == 200 and "须写明转至何处" in r.content.decode()
    assert c.post(url + "resolve/", {"outcome": "已告知", "kind": "redirected",
                                     "redirect_to": "12315 消费者投诉"}).status_code == 302
    html = c.get(url).content.decode()
    assert "12315 消费者投诉" in html and "不属于受理范围" in html
