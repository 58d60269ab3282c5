"""Siting pages: the analysis on the demo district (figures checked against an independent
computation on the same network), errors without a 500, saving proposals (district editors
only), scope, and a proposal turned into exactly one livelihood project."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from minsheng.lifecircle import engine, services
from minsheng.lifecircle.models import Proposal, Result, Run
from minsheng.places.models import Compound, FacilityCategory, Region
from minsheng.projects.models import Plan, Project, SubItem
from minsheng.projects.services import today

pytestmark = pytest.mark.django_db
ANCI = "131002000000"
STREET2 = "131002002000"
URL = "/lifecircle/siting/"


def district() -> Region:
    return Region.objects.get(code=ANCI)


def form(**kw) -> dict:
    data = {"category": "kindergarten", "k": "3", "candidates": ["compound"], "method": "auto",
            "vacant": ""}
    data.update(kw)
    return data


def with_region(client, code: str):
    s = client.session
    s["minsheng_region"] = code
    s.save()
    return client


def independent(category: str, prefix: str = "131002"):
    """Uncovered demand and compound-centroid candidates, their nodes on the run's network and
    a cover matrix from plain scipy Dijkstra (not the engine's coverage_matrix)."""
    run = services.current_run(district())
    cat = FacilityCategory.objects.get(pk=category)
    comps = list(Compound.objects.filter(region__code__startswith=prefix).order_by("pk"))
    dist = dict(Result.objects.filter(run=run, category_id=category)
                .values_list("compound_id", "distance_m"))
    demand = [c for c in comps if dist.get(c.pk) is None or dist[c.pk] > cat.distance_m]
    graph = services.graph_for(run.network)
    pts = demand + comps
    snapped = engine.snap_points(graph, [p.lng for p in pts], [p.lat for p in pts],
                                 max_snap_m=services.MAX_SNAP_M)
    g2, nodes = engine.insert_points(graph, snapped)
    dn, cn = nodes[: len(demand)], nodes[len(demand):]
    ok = cn >= 0
    d = np.full((len(comps), g2.n_nodes), np.inf)
    d[ok] = dijkstra(g2.csr, indices=cn[ok], limit=cat.distance_m)
    cover = np.zeros((len(demand), len(comps)), dtype=bool)
    for i, n in enumerate(dn):
        if n >= 0:
            cover[i] = d[:, n] <= cat.distance_m
    w = np.array([c.population for c in demand], dtype=float)
    return demand, comps, cover, w, g2, dn, cn


def test_siting_objective_equals_brute_force(client_for):
    r = client_for("district").post(URL, form(k="2"))
    assert r.status_code == 200
    a = r.context["analysis"]
    assert a is not None and r.context["error"] is None
    demand, comps, cover, w, *_ = independent("kindergarten")
    assert a.demand["compounds"] == len(demand)
    best = max(w[cover[:, i] | cover[:, j]].sum() for i, j in combinations(range(len(comps)), 2))
    assert a.added == pytest.approx(best) == pytest.approx(a.result.objective)
    assert a.result.method == "milp" and a.result.optimal and a.result.gap == 0
    assert sum(s["covers"] for s in a.sites) == a.added  # each compound counted once
    assert a.after["population"] == a.before["population"] + a.added
    html = r.content.decode()
    assert "保存方案" in html and a.sites[0]["name"] in html


def test_siting_k3_equals_engine_recomputed(client_for):
    r = client_for("district").post(URL, form())
    a = r.context["analysis"]
    assert len(a.sites) == 3 == len({s["ref"] for s in a.sites})
    assert a.after["population"] >= a.before["population"]
    assert a.after["compounds"] >= a.before["compounds"]
    demand, comps, cover, w, g2, dn, cn = independent("kindergarten")
    cm = engine.coverage_matrix(g2, dn, cn, 300.0)
    assert (cm.toarray() == cover).all()  # the engine's matrix agrees with plain Dijkstra
    ref = engine.mclp(cm, w, 3)
    assert a.added == pytest.approx(ref.objective)
    chosen = [comps.index(next(c for c in comps if c.pk == s["ref"])) for s in a.sites]
    assert w[cover[:, chosen].any(axis=1)].sum() == pytest.approx(a.added)
    data = json.loads(r.content.decode().split('id="siting-data" type="application/json">')[1]
                      .split("</script>")[0])
    assert len(data["result"]["sites"]) == 3 and data["result"]["catchment"]["type"]
    assert len(data["result"]["new"]) == a.added_compounds


def test_greedy_reports_its_gap(client_for):
    r = client_for("district").post(URL, form(k="5", method="greedy",
                                              candidates=["compound", "facility"]))
    a = r.context["analysis"]
    assert a.result.method == "greedy"
    assert a.result.bound >= a.result.objective
    assert a.result.gap == pytest.approx((a.result.bound - a.result.objective) / a.result.bound)
    assert "贪心算法" in r.content.decode() and "与最优的差距" in r.content.decode()


def test_budget_gives_k_and_vacant_sites_are_candidates(client_for):
    c = Compound.objects.filter(region__code__startswith="131002").order_by("pk")[5]
    vacant = json.dumps([[c.lng + 0.0005, c.lat], [c.lng, c.lat + 0.0005]])
    r = client_for("district").post(URL, form(k="", budget="700", unit_cost="300",
                                              candidates=["vacant"], vacant=vacant))
    a = r.context["analysis"]
    assert a.k == 2 and {s["kind"] for s in a.sites} == {"vacant"}
    assert a.kinds["vacant"] == 2


@pytest.mark.parametrize(("data", "message"), [
    (form(k="99"), "新增网点数最多为 50"),
    (form(k="0"), "新增网点数至少为 1"),
    (form(k="abc"), "新增网点数应为整数"),
    (form(k=""), "请填写新增网点数"),
    (form(k="", budget="100"), "请填写单点造价"),
    (form(k="", budget="10", unit_cost="30"), "不足以建设一处"),
    (form(vacant="not json", candidates=["vacant"]), "空地坐标格式有误"),
    (form(vacant="[[500, 1]]", candidates=["vacant"]), "空地坐标有误"),
    (form(candidates=[]), "没有候选地点"),
    (form(candidates=["vacant"]), "没有候选地点"),
    (form(candidates=["vacant"], vacant="[[116.7, 39.5], [116.71, 39.5]]"),
     "大于候选地点数 2"),
])
def test_bad_inputs_are_answered_in_chinese(client_for, data, message):
    r = client_for("district").post(URL, data)
    assert r.status_code == 200
    assert message in r.content.decode()
    assert r.context["analysis"] is None


def test_fully_covered_category_and_missing_run(client_for):
    run = services.current_run(district())
    Result.objects.filter(run=run, category_id="recycling").update(distance_m=1.0)
    r = client_for("district").post(URL, form(category="recycling"))
    assert "该类别已全覆盖，无需新增" in r.content.decode()
    Run.objects.filter(pk=run.pk).update(network=None)
    r = client_for("district").post(URL, form())
    assert r.status_code == 200 and "还没有路网" in r.content.decode()
    Run.objects.filter(region_id=ANCI).update(state=Run.State.FAILED)
    c = client_for("district")
    assert c.get(URL).status_code == 200
    r = c.post(URL, form())
    assert r.status_code == 200 and "还没有生活圈计算结果" in r.content.decode()


def test_get_page_defaults_and_roles(client_for):
    r = client_for("district").get(URL)
    assert r.status_code == 200
    assert r.context["form"].initial["category"] is not None
    for name in ("viewer1", "street1", "dept1", "community1"):
        assert client_for(name).get(URL).status_code == 200, name
    for name in ("resident1", "grid1", "property1", "mediator1"):
        assert client_for(name).get(URL).status_code == 403, name
        assert client_for(name).post(URL, form()).status_code == 403, name


def test_street_staff_sees_only_its_compounds(client_for):
    r = client_for("street1").post(URL, form(k="1"))
    a = r.context["analysis"]
    assert a.compounds and all(c["region"].startswith("131002001") for c in a.compounds)
    assert not r.context["can_save"]


def test_only_district_editors_save(client_for):
    n = Proposal.objects.count()
    for name in ("street1", "viewer1", "dept1"):
        assert client_for(name).post(URL, form(save="1")).status_code == 403, name
    assert Proposal.objects.count() == n
    r = client_for("district").post(URL, form(save="1"))
    assert r.status_code == 302
    p = Proposal.objects.order_by("-pk").first()
    assert r["Location"] == f"/lifecircle/proposals/{p.pk}/"
    assert p.region_id == ANCI and p.category_id == "kindergarten" and p.k == 3
    assert p.method == "milp" and p.gap == 0 and p.created_by.username == "district"
    assert p.run == services.current_run(district())
    assert len(p.sites) == 3 and {"name", "lng", "lat", "kind", "ref", "covers"} <= set(p.sites[0])
    assert p.covered_after - p.covered_before == sum(s["covers"] for s in p.sites) > 0
    page = client_for("district").get(r["Location"])
    assert page.status_code == 200 and p.sites[0]["name"] in page.content.decode()
    new = page.context["map_data"]["result"]["new"]
    assert len(new) == sum(len(s["compound_ids"]) for s in p.sites) == sum(
        s["compounds"] for s in p.sites) > 0
    assert "转为民生项目" in page.content.decode()
    listing = client_for("viewer1").get(URL).content.decode()
    assert f"/lifecircle/proposals/{p.pk}/" in listing
    assert client_for("viewer1").get(r["Location"]).status_code == 200
    assert client_for("street1").get(r["Location"]).status_code == 404  # district-wide proposal


def test_proposal_of_a_street_is_scoped(client_for):
    c = with_region(client_for("district"), STREET2)
    r = c.post(URL, form(k="1", save="1"))
    assert r.status_code == 302
    p = Proposal.objects.order_by("-pk").first()
    assert p.region_id == STREET2
    assert all(s["region"].startswith("131002002") for s in p.sites)
    assert client_for("street1").get(f"/lifecircle/proposals/{p.pk}/").status_code == 404
    assert client_for("street2").get(f"/lifecircle/proposals/{p.pk}/").status_code == 200
    assert f"/lifecircle/proposals/{p.pk}/" not in client_for("street1").get(URL).content.decode()
    assert client_for("resident1").get(f"/lifecircle/proposals/{p.pk}/").status_code in (403, 404)
    assert client_for("district").get("/lifecircle/proposals/999999/").status_code == 404


def _saved(client_for) -> Proposal:
    client_for("district").post(URL, form(save="1"))
    return Proposal.objects.order_by("-pk").first()


def test_proposal_becomes_one_project(client_for):
    p = _saved(client_for)
    url = f"/lifecircle/proposals/{p.pk}/project/"
    assert client_for("viewer1").post(url).status_code == 403
    assert client_for("street1").post(url).status_code == 404
    n = Project.objects.count()
    r = client_for("district").post(url)
    assert Project.objects.count() == n + 1
    p.refresh_from_db()
    project = p.project
    assert r.status_code == 302 and r["Location"] == f"/projects/{project.pk}/"
    assert project.name == "新增幼儿园3处（生活圈补缺）"
    assert project.area == "education" and "教育" in project.lead_department.name
    assert project.plan.year == today().year and project.plan.region_id == ANCI
    assert project.target == f"新增幼儿园3处，新增覆盖人口{p.covered_after - p.covered_before}人"
    assert project.target_quantity == 3 and project.start_date == today()
    assert project.end_date.month == 12 and project.end_date.day == 31
    assert list(project.milestones.values_list("weight", flat=True)) == [100]
    items = list(SubItem.objects.filter(project=project))
    assert sorted(i.name for i in items) == sorted(s["name"] for s in p.sites)
    assert all(i.region.code.startswith("131002") and i.compound_id for i in items)
    r2 = client_for("district").post(url)
    assert r2.status_code == 302 and r2["Location"] == f"/projects/{project.pk}/"
    assert Project.objects.count() == n + 1
    assert client_for("district").get(r["Location"]).status_code == 200


def test_no_plan_this_year_creates_nothing(client_for):
    p = _saved(client_for)
    Plan.objects.filter(region_id=ANCI, year=today().year).update(year=2000)
    n = Project.objects.count()
    c = client_for("district")
    r = c.post(f"/lifecircle/proposals/{p.pk}/project/", follow=True)
    assert r.status_code == 200 and Project.objects.count() == n
    assert "年度民生计划" in r.content.decode()
    p.refresh_from_db()
    assert p.project is None
