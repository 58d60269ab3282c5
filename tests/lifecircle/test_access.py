"""Access: bounded multi-source passes per category, and incremental updates."""

from __future__ import annotations

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404

from minsheng.accounts.models import Membership
from minsheng.accounts.roles import PLAN_SERVICES, RIGHTS, Role
from minsheng.lifecircle import access
from minsheng.lifecircle.engine import (
    EngineError,
    compute_access,
    graph_from_edges,
    graph_from_lines,
    minutes,
    nearest_facility,
    nearest_sources,
)
from minsheng.lifecircle.engine.geo import EARTH_RADIUS_M
from minsheng.lifecircle.models import Proposal, Run
from minsheng.places.models import Region

MD = EARTH_RADIUS_M * np.pi / 180 * 1e-3  # metres per 0.001° at the equator


def _path_graph():
    """0 —100— 1 —100— 2 —100— 3 —300— 4, and 1 —50— 5 (hand-set lengths)."""
    lon = np.arange(6) * 0.001
    return graph_from_edges(lon, np.zeros(6), [0, 1, 2, 3, 1], [1, 2, 3, 4, 5],
                            length_m=[100.0, 100.0, 100.0, 300.0, 50.0])


def test_the_kernel_gives_hand_checked_distances_and_sources() -> None:
    g = _path_graph()
    d, src = nearest_sources(g.csr, [0, 4], cutoff_m=250)
    assert d.tolist() == [0, 100, 200, np.inf, 0, 150]
    assert src.tolist() == [0, 0, 0, -1, 4, 0]
    d, _ = nearest_sources(g.csr, [0], cutoff_m=300)  # the cut-off is inclusive
    assert d[3] == 300


def test_nearest_facility_names_the_facility_and_breaks_ties_to_the_lowest_index() -> None:
    g = _path_graph()
    d, which = nearest_facility(g.csr, [4, 2, 2, -1], [0, 5, 3, 4, -1], cutoff_m=1000)
    assert d[:4].tolist() == [200, 150, 100, 0] and np.isnan(d[4])
    assert which.tolist() == [1, 1, 1, 0, -1]


def test_compute_access_on_a_street() -> None:
    street = [[(0.0, 0.0), (0.01, 0.0)]]
    g = graph_from_lines(street)
    a = compute_access(
        g, compound_lon=[0.001, 0.009, 0.005], compound_lat=[0.0001, 0.0, 0.05],
        facility_lon=[0.004, 0.0065, 0.002], facility_lat=[-0.0002, 0.0, 0.0],
        facility_category=["school", "school", "clinic"],
        categories=["school", "clinic", "park"], cutoff_m={"school": 500, "clinic": 200})
    assert a.categories == ("school", "clinic", "park")
    assert a.cutoff_m.tolist() == [500, 200, 1000]  # park: not configured → 1,000 m
    np.testing.assert_allclose(a.distance_m[0], [3 * MD, 1 * MD, np.inf])
    np.testing.assert_allclose(a.distance_m[1], [2.5 * MD, np.inf, np.inf])
    assert np.isnan(a.distance_m[2]).all()  # 5.5 km off the street: not attached
    assert a.facility.tolist() == [[0, 2, -1], [1, -1, -1], [-1, -1, -1]]
    assert a.compound_attached.tolist() == [True, True, False]
    np.testing.assert_allclose(a.compound_snap_m[:2], [0.1 * MD, 0.0], atol=1e-9)
    assert a.empty_categories() == ["park"]
    np.testing.assert_allclose(a.door_to_door_m()[0, 0], 3.3 * MD)  # + 0.1 + 0.2 snap
    np.testing.assert_allclose(a.minutes(60.0)[0, 0], 3 * MD / 60)


def test_bad_access_input_is_answered_in_chinese() -> None:
    g = graph_from_lines([[(0.0, 0.0), (0.01, 0.0)]])
    with pytest.raises(EngineError, match="没有小区"):
        compute_access(g, [], [], [0.0], [0.0], ["a"])
    with pytest.raises(EngineError, match="没有设施类别"):
        compute_access(g, [0.0], [0.0], [], [], [])
    with pytest.raises(EngineError, match="不在计算范围"):
        compute_access(g, [0.0], [0.0], [0.0], [0.0], ["a"], categories=["b"])
    with pytest.raises(EngineError, match="大于 0"):
        compute_access(g, [0.0], [0.0], [0.0], [0.0], ["a"], cutoff_m={"a": -1})
    with pytest.raises(EngineError, match="速度"):
        minutes([1.0], 0)


def _random_case(seed: int):
    rng = np.random.default_rng(seed)
    n = 12  # a 12 × 12 street grid, 111 m blocks, streets joined at every crossing
    pts = [[(i * 0.001, j * 0.001) for j in range(n)] for i in range(n)]
    lines = pts + [[pts[i][j] for i in range(n)] for j in range(n)]
    g = graph_from_lines(lines)
    c = rng.uniform(0, 0.011, (80, 2))
    f = rng.uniform(0, 0.011, (30, 2))
    cat = rng.choice(["a", "b", "c"], 30)
    return g, c, f, cat, rng


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_adding_and_removing_facilities_equals_a_full_recompute(seed: int) -> None:
    g, c, f, cat, rng = _random_case(seed)
    cut = {"a": 300.0, "b": 500.0, "c": 1000.0}
    base = compute_access(g, c[:, 0], c[:, 1], f[:20, 0], f[:20, 1], cat[:20],
                          categories=["a", "b", "c"], cutoff_m=cut)
    inc = base
    for i in range(20, 30):  # add ten, one at a time
        inc, upd = inc.with_facility(f[i, 0], f[i, 1], str(cat[i]))
        assert upd.facility == i
    full = compute_access(g, c[:, 0], c[:, 1], f[:, 0], f[:, 1], cat,
                          categories=["a", "b", "c"], cutoff_m=cut)
    np.testing.assert_allclose(inc.distance_m, full.distance_m, atol=1e-6)
    removed = rng.choice(30, 12, replace=False)
    for r in removed:  # close twelve, one at a time
        inc, upd = inc.without_facility(int(r))
        assert (inc.facility[:, inc.column(str(cat[r]))] != r).all()
    keep = np.setdiff1d(np.arange(30), removed)
    full = compute_access(g, c[:, 0], c[:, 1], f[keep, 0], f[keep, 1], cat[keep],
                          categories=["a", "b", "c"], cutoff_m=cut)
    np.testing.assert_allclose(inc.distance_m, full.distance_m, atol=1e-6)
    # Same facilities found where the nearest is unique.
    mapped = np.where(full.facility >= 0, keep[np.maximum(full.facility, 0)], -1)
    assert ((inc.facility == mapped) | ~np.isfinite(full.distance_m)).mean() > 0.95


def test_updates_touch_only_their_category_and_report_what_changed() -> None:
    g, c, f, cat, _ = _random_case(4)
    a = compute_access(g, c[:, 0], c[:, 1], f[:, 0], f[:, 1], cat, categories=["a", "b", "c"],
                       cutoff_m=500.0)
    b, upd = a.with_facility(0.0055, 0.0055, "b")
    col = a.column("b")
    other = [i for i in range(3) if i != col]
    assert np.array_equal(a.distance_m[:, other], b.distance_m[:, other], equal_nan=True)
    changed = np.flatnonzero(a.distance_m[:, col] != b.distance_m[:, col])
    assert changed.tolist() == upd.changed.tolist() and len(changed) > 0
    far, upd = b.with_facility(1.0, 1.0, "b")  # 100 km away: added, not attached
    assert not far.facility_attached[-1] and len(upd.changed) == 0
    with pytest.raises(EngineError, match="没有这个设施类别"):
        a.with_facility(0.0, 0.0, "zzz")
    with pytest.raises(EngineError, match="已经移除"):
        a.without_facility(0)[0].without_facility(0)


def test_two_worker_processes_give_the_same_answer() -> None:
    g, c, f, cat, _ = _random_case(5)
    one = compute_access(g, c[:, 0], c[:, 1], f[:, 0], f[:, 1], cat, cutoff_m=700.0)
    two = compute_access(g, c[:, 0], c[:, 1], f[:, 0], f[:, 1], cat, cutoff_m=700.0, workers=2)
    np.testing.assert_array_equal(one.distance_m, two.distance_m)
    np.testing.assert_array_equal(one.facility, two.facility)


# --- who may read and do what (minsheng/lifecircle/access.py) ---------------------------------

def _proposal(region_code: str):
    return Proposal.objects.create(
        region_id=region_code, category_id="kindergarten", k=1, method="milp",
        sites=[{"name": "空地 1", "lng": 116.7, "lat": 39.5, "covers": 0}], covered_before=0,
        covered_after=0, population=0)


@pytest.mark.django_db
def test_a_proposal_outside_the_users_regions_is_not_found(client_for, user) -> None:
    p = _proposal("131002002000")  # street 2
    assert client_for("street1").get(f"/lifecircle/proposals/{p.pk}/").status_code == 404
    assert client_for("street1").post(f"/lifecircle/proposals/{p.pk}/project/").status_code == 404
    with pytest.raises(Http404):
        access.access_proposal_by_id(user("street1"), p.pk)
    assert access.access_proposal_by_id(user("street2"), p.pk) == p


@pytest.mark.django_db
def test_a_reader_without_the_right_to_plan_is_forbidden(client_for, user) -> None:
    resident = user("resident1")
    p = _proposal(resident.profile.home_region_id)  # the resident's own community: readable
    assert client_for("resident1").get(f"/lifecircle/proposals/{p.pk}/").status_code == 403
    with pytest.raises(PermissionDenied):
        access.access_proposal_by_id(resident, p.pk)
    assert client_for("resident1").get("/lifecircle/siting/").status_code == 403
    # planning but without the right to manage projects: may read, may not convert
    assert client_for("viewer1").get(f"/lifecircle/proposals/{p.pk}/").status_code == 200
    assert client_for("viewer1").post(f"/lifecircle/proposals/{p.pk}/project/").status_code == 403


def test_planning_is_a_right_of_the_planning_roles() -> None:
    planners = {r for r in Role if PLAN_SERVICES in RIGHTS[r]}
    assert planners == {Role.DISTRICT_ADMIN, Role.DEPARTMENT_STAFF, Role.STREET_STAFF,
                        Role.COMMUNITY_STAFF, Role.VIEWER}


@pytest.mark.django_db
def test_recompute_and_run_status_are_checked(client_for) -> None:
    n = Run.objects.count()
    for name in ("viewer1", "dept1", "resident1"):
        assert client_for(name).post("/lifecircle/recompute/").status_code == 403, name
    assert Run.objects.count() == n
    run = Run.objects.filter(region_id="131002000000").latest("pk")
    assert client_for("viewer1").get(f"/lifecircle/runs/{run.pk}.json").status_code == 200


@pytest.mark.django_db
def test_a_street_user_polls_the_district_run_the_overview_shows(client_for, user) -> None:
    """The overview of a street (or community) user shows the district's run and its progress
    bar polls run_status: readers of part of the district poll it, others get 404."""
    run = Run.objects.filter(region_id="131002000000").latest("pk")
    for name in ("street1", "community1", "grid1", "resident1"):
        assert client_for(name).get(f"/lifecircle/runs/{run.pk}.json").status_code == 200, name
    other = get_user_model().objects.create_user("pingcheng-street")
    street = Region.objects.filter(parent_id="140213000000").order_by("code").first()
    Membership.objects.create(user=other, role=Role.STREET_STAFF, region=street)
    assert client_for("pingcheng-street").get(
        f"/lifecircle/runs/{run.pk}.json").status_code == 404
