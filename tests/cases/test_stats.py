"""Case statistics (cases/stats.py) checked figure by figure against cases driven through the
workflow at fixed times in 2030, far from the demo's year of cases; and the statistics page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from minsheng.cases import mediation, stats, workflow
from minsheng.cases.models import AdminReview, Case, CaseEvent, CaseType, Mediation, Party
from minsheng.places.models import Compound, Organisation, Region

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
START, END = dt.datetime(2030, 1, 1, tzinfo=TZ), dt.datetime(2031, 1, 1, tzinfo=TZ)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2030, month, day, hour, minute, tzinfo=TZ)


def streets() -> tuple[Region, Region]:
    s = list(Region.objects.filter(parent_id="131002000000").order_by("code")[:2])
    return s[0], s[1]


def compound_in(street: Region, k: int = 0) -> Compound:
    return Compound.objects.filter(region__code__startswith=street.code[:9],
                                   lat__isnull=False).order_by("pk")[k]


def file(code: str, when: dt.datetime, compound: Compound, text: str = "测试诉求") -> Case:
    with time_machine.travel(when, tick=False):
        return workflow.do_file(case_type=CaseType.objects.get(code=code), description=text,
                                channel=Case.Channel.STAFF, compound=compound, at=when)


def accept(u, case: Case, when: dt.datetime) -> Case:
    with time_machine.travel(when, tick=False):
        return workflow.do_accept(u, case)


def resolve(u, case: Case, when: dt.datetime) -> Case:
    with time_machine.travel(when, tick=False):
        return workflow.do_resolve(u, case, "已处理")


def rate(case: Case, when: dt.datetime, *, fixed: bool, rating: int) -> Case:
    with time_machine.travel(when, tick=False):
        return workflow.do_rate(None, case, fixed=fixed, rating=rating, token=case.token)


@pytest.fixture
def world(user):
    """Cases of 2030: 12 in street 1 and 1 in street 2, with known clocks and outcomes."""
    boss = user("district")
    s1, s2 = streets()
    c1, c1b, c2 = compound_in(s1, 0), compound_in(s1, 1), compound_in(s2, 0)
    w = {"s1": s1, "s2": s2}
    # A: accepted after 1 h, resolved after 24 h, rated fixed 5 — on time
    a = file("property_repair", at(3, 1), c1)
    accept(boss, a, at(3, 1, 10))
    resolve(boss, a, at(3, 2))
    rate(a, at(3, 2, 12), fixed=True, rating=5)
    # B: resolved after 48 h, rated not fixed (reopens), resolved again at 72 h, rated fixed 4
    b = file("property_repair", at(3, 1), c1)
    accept(boss, b, at(3, 1, 12))
    resolve(boss, b, at(3, 3))
    rate(b, at(3, 3, 12), fixed=False, rating=2)
    resolve(boss, b, at(3, 4))
    rate(b, at(3, 4, 12), fixed=True, rating=4)
    # C: legal aid, resolved after 12 h, not rated
    c = file("legal_aid", at(3, 2), c1)
    accept(boss, c, at(3, 2, 10))
    resolve(boss, c, at(3, 2, 21))
    # D: hazard, not accepted in 6 h → escalated (overdue), then resolved after 24 h, rated 3
    d = file("safety_hazard", at(3, 5, 8), c1)
    with time_machine.travel(at(3, 5, 15), tick=False):
        workflow.system_escalate(d, now=at(3, 5, 15))
    accept(boss, d, at(3, 5, 16))
    resolve(boss, d, at(3, 6, 8))
    rate(d, at(3, 6, 12), fixed=True, rating=3)
    # E: enterprise interview, still open
    e = file("enterprise_interview", at(3, 10), c1)
    # F, G: neighbour disputes mediated: settled, failed (referred to court)
    f = file("neighbour_dispute", at(3, 10), c1, "邻居漏水纠纷")
    g = file("neighbour_dispute", at(3, 11), c1b, "邻居占道纠纷")
    for case, outcome, when in ((f, "settled", at(3, 12)), (g, "failed", at(3, 13))):
        m = case.mediation
        Party.objects.create(mediation=m, role=Party.Role.APPLICANT, name="王芳")
        with time_machine.travel(when, tick=False):
            mediation.do_conclude_mediation(
                boss, m, outcome=outcome, referral="court" if outcome == "failed" else "",
                agreement="赔偿 2000 元" if outcome == "settled" else None,
                amount=Decimal("2000") if outcome == "settled" else None)
    # H, I, J: reconsiderations: corrected (125万), settled (90万), pending
    h = file("reconsideration", at(3, 15), c1, "对处罚决定申请行政复议")
    i = file("reconsideration", at(3, 15), c1, "对拆违决定申请行政复议")
    j = file("reconsideration", at(3, 20), c1, "对罚款申请行政复议")
    for case, acc, done, outcome, amount in (
            (h, at(3, 16), at(3, 31), "corrected", Decimal("1250000")),
            (i, at(3, 16), at(4, 10), "settled", Decimal("900000")),
            (j, at(3, 21), None, "", None)):
        with time_machine.travel(done or acc, tick=False):
            mediation.do_save_review(
                boss, case.admin_review, kind=AdminReview.Kind.RECONSIDERATION,
                respondent="区城市管理综合行政执法局", accepted=True, accepted_at=acc,
                outcome=outcome, concluded_at=done, by_dispute_centre=False,
                amount_recovered=amount)
    # L: February, open;  M: resolved, rated not fixed 1 → reopened (accepted)
    file("property_repair", at(2, 15), c1)
    m_ = file("property_repair", at(3, 3), c1)
    accept(boss, m_, at(3, 3, 10))
    resolve(boss, m_, at(3, 4))
    rate(m_, at(3, 4, 12), fixed=False, rating=1)
    # K: street 2, resolved after 48 h, rated fixed 5
    k = file("property_repair", at(3, 1), c2)
    accept(boss, k, at(3, 1, 10))
    resolve(boss, k, at(3, 3))
    rate(k, at(3, 3, 12), fixed=True, rating=5)
    w.update(a=a, b=b, c=c, d=d, e=e, f=f, g=g, h=h, i=i, j=j, k=k, m=m_)
    return w


def test_case_figures_by_hand(world, user):
    s1 = world["s1"].code[:9]
    fig = stats.case_figures(user("district"), START, END, s1)
    assert fig["received"] == 12
    assert fig["resolved"] == 4  # A, B, D closed; C resolved
    assert fig["open"] == 8
    assert fig["overdue"] == 1  # D
    assert fig["on_time"] == 3 and fig["on_time_rate"] == 75.0  # A, B, C of 4
    assert fig["avg_hours"] == 33.0  # (24 + 72 + 12 + 24) / 4
    sat = fig["satisfaction"]
    assert sat["rated"] == 4 and sat["mean_rating"] == 3.25  # 5, 4, 3, 1
    assert sat["with_verdict"] == 4 and sat["fixed"] == 3 and sat["fixed_rate"] == 75.0
    assert fig["reopened"] == 2  # B, M
    assert fig["legal_aid_consultations"] == 1
    assert fig["hazards_found"] == 1
    assert fig["enterprises_interviewed"] == 1

    whole = stats.case_figures(user("district"), START, END, "131002")
    assert whole["received"] == 13 and whole["resolved"] == 5
    assert whole["on_time_rate"] == 80.0  # + K
    assert whole["avg_hours"] == 36.0  # (24 + 72 + 12 + 24 + 48) / 5
    assert whole["satisfaction"]["mean_rating"] == 3.6  # (5 + 4 + 3 + 1 + 5) / 5

    march = stats.case_figures(user("district"), at(3, 1, 0), at(4, 1, 0), s1)
    assert march["received"] == 11  # not L (February)


def test_breakdowns(world, user):
    u, s1 = user("district"), world["s1"].code[:9]
    cats = {r["code"]: r["n"] for r in stats.by_category(u, START, END, s1)}
    assert cats == {"property_repair": 4, "legal_aid": 1, "safety_hazard": 1,
                    "enterprise_interview": 1, "neighbour_dispute": 2, "reconsideration": 3}
    status = {r["code"]: r["n"] for r in stats.by_status(u, START, END, s1)}
    assert status == {"assigned": 7, "accepted": 1, "resolved": 1, "closed": 3}
    assert {r["code"]: r["n"] for r in stats.by_channel(u, START, END, s1)} == {"staff": 12}
    months = {r["month"]: r["n"] for r in stats.monthly_trend(u, START, END, s1)}
    assert months == {"2030-02": 1, "2030-03": 11}

    regions = {r["code"]: r for r in stats.by_child_region(u, START, END, "131002")}
    assert regions[world["s1"].code]["n"] == 12 and regions[world["s2"].code]["n"] == 1
    assert regions[world["s1"].code]["name"] == world["s1"].name
    assert regions[world["s2"].code]["avg_hours"] == 48.0
    # inside a street the rows are its communities
    rows = stats.by_child_region(u, START, END, s1)
    assert all(r["code"].startswith(s1) and r["known"] for r in rows)
    assert sum(r["n"] for r in rows) == 12


def test_mediation_and_reviews(world, user):
    u, s1 = user("district"), world["s1"].code[:9]
    m = stats.mediation_figures(u, START, END, s1)
    assert m["concluded"] == m["mediated"] == 2
    assert m["settled"] == 1 and m["failed"] == 1 and m["success_rate"] == 50.0
    assert m["referred"]["court"] == 1 and m["amount_settled"] == Decimal("2000")
    assert m["pending"] == 0
    r = stats.review_figures(u, START, END, s1)["reconsideration"]
    assert (r["accepted"], r["concluded"], r["corrected"], r["settled"]) == (3, 2, 1, 1)
    assert r["recovered"] == Decimal("2150000")
    # concluded in the period its conclusion falls in
    q1 = stats.review_figures(u, at(1, 1, 0), at(4, 1, 0), s1)["reconsideration"]
    assert (q1["accepted"], q1["concluded"], q1["recovered"]) == (3, 1, Decimal("1250000"))
    # the event log has the conclusions and the review entries
    assert world["f"].events.filter(action=CaseEvent.Action.MEDIATION).count() == 1
    assert world["h"].events.filter(action=CaseEvent.Action.NOTE, public=False).exists()


def test_scoping(world, user):
    s1 = stats.case_figures(user("street1"), START, END)
    assert s1["received"] == 12  # street 2's case K is not there
    s2 = stats.case_figures(user("street2"), START, END)
    assert s2["received"] == 1 and s2["avg_hours"] == 48.0
    assert stats.case_figures(user("resident1"), START, END)["received"] == 0


def test_ranking_minimum_sample(world, user):
    boss = user("district")
    s1 = world["s1"]
    comp = compound_in(s1, 2)
    legal = Organisation.objects.get(name="区法律援助中心", region_id="131002000000")
    for n in range(stats.MIN_SAMPLE):
        filed = at(5, 1 + n)
        case = file("legal_aid", filed, comp, f"咨询{n}")
        accept(boss, case, filed + dt.timedelta(hours=1))
        # every 4th resolved after 8 days, beyond the 168-hour clock
        resolve(boss, case, filed + dt.timedelta(hours=12 if n % 4 else 192))
    rk = stats.responsiveness_ranking(boss, START, END, "131002")
    ranked = {r["organisation_id"]: r for r in rk["ranked"]}
    assert list(ranked) == [legal.pk]  # 21 resolved (C + 20); everyone else too few
    r = ranked[legal.pk]
    assert r["resolved"] == 21 and r["rank"] == 1
    assert r["on_time"] == 16 and r["on_time_rate"] == round(100 * 16 / 21, 1)
    short = {i["organisation_id"]: i for i in rk["insufficient"]}
    assert short and all(i["resolved"] < stats.MIN_SAMPLE for i in short.values())
    # the escalated hazard counts against the office it was routed to, not the escalation target
    routed = world["d"].events.get(action=CaseEvent.Action.ROUTED).organisation_id
    world["d"].refresh_from_db()
    assert world["d"].organisation_id != routed
    assert routed in short and world["d"].organisation_id not in short | ranked
    # with a smaller minimum the others are ranked
    assert len(stats.responsiveness_ranking(boss, START, END, "131002", min_sample=1)["ranked"]) \
        == len(rk["ranked"]) + len([i for i in rk["insufficient"] if i["resolved"] >= 1])


def test_heat_cells_sum_to_count(world, user, client_for):
    u = user("district")
    fc = stats.heat_cells(u, START, END, "131002")
    assert fc["type"] == "FeatureCollection"
    assert sum(f["properties"]["n"] for f in fc["features"]) == 13 == fc["properties"]["total"]
    ring = fc["features"][0]["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    width_m = (ring[2][1] - ring[0][1]) * stats.M_PER_DEG_LAT
    assert 249 < width_m < 251
    assert all(f["properties"]["color"].startswith("#") for f in fc["features"])
    resp = client_for("street1").get("/cases/stats/heat.json?period=year&year=2030")
    assert resp.status_code == 200
    assert sum(f["properties"]["n"] for f in resp.json()["features"]) == 12


def test_periods():
    s, e, label = stats.period_bounds("quarter", year=2030, quarter=4)
    assert (s, e) == (dt.datetime(2030, 10, 1, tzinfo=TZ), dt.datetime(2031, 1, 1, tzinfo=TZ))
    s, e, _ = stats.period_bounds("month", year=2030, month=2)
    assert (s.month, e.month) == (2, 3)
    s, e, _ = stats.period_bounds("custom", start=dt.date(2030, 3, 1), end=dt.date(2030, 3, 31))
    assert e - s == dt.timedelta(days=31)


def test_stats_page(world, client_for):
    resp = client_for("district").get("/cases/stats/?period=year&year=2030")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "诉求统计" in html and "casestats-data" in html and 'id="heatmap"' in html
    assert resp.context["c"]["received"] == 13
    assert resp.context["m"]["success_rate"] == 50.0
    assert "样本不足" in html
    for who in ("street1", "viewer1", "dept1"):
        assert client_for(who).get("/cases/stats/?period=year&year=2030").status_code == 200
    assert client_for("street1").get(
        "/cases/stats/?period=year&year=2030").context["c"]["received"] == 12
    for who in ("resident1", "mediator1"):
        assert client_for(who).get("/cases/stats/").status_code == 403
    assert client_for("resident1").get("/cases/stats/heat.json").status_code == 403
    data = client_for("district").get("/cases/stats/figures.json?period=month&year=2030&month=3")
    assert data.status_code == 200 and data.json()["cases"]["received"] == 12


def test_no_cases_no_figures(user):
    fig = stats.case_figures(user("district"), dt.date(2031, 6, 1), dt.date(2031, 7, 1))
    assert fig["received"] == 0 and fig["on_time_rate"] is None and fig["avg_hours"] is None
    assert stats.heat_cells(user("district"), dt.date(2031, 6, 1), dt.date(2031, 7, 1))[
        "features"] == []
    assert Mediation.objects.exists()
