"""One upload imports a district's walking network (and optionally its places) from OSM and
recomputes the life circle in the background worker (inline in tests)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from minsheng.lifecircle import services
from minsheng.lifecircle.models import Run
from minsheng.places.divisions import load_district
from minsheng.places.models import Compound, Region, StreetNetwork
from tests.lifecircle.osmfile import grid, write_osm

pytestmark = pytest.mark.django_db
ANCI = "131002000000"


def test_network_only_upload_replaces_the_generated_network_and_recomputes(client_for, tmp_path):
    nodes, ways = grid(n=6, step=0.002, lon0=116.68, lat0=39.49)
    f = write_osm(tmp_path / "anci.osm", nodes, ways)
    c = client_for("district")
    r = c.post("/lifecircle/network/", {"file": SimpleUploadedFile("anci.osm", f.read_bytes())})
    assert r.status_code == 302
    run = Run.objects.order_by("-pk").first()
    assert run.state == Run.State.DONE, run.message
    assert run.network.generated is False and run.stats["generated"] is False
    assert StreetNetwork.objects.filter(region_id=ANCI, generated=False).count() == 1
    assert run.stats["nodes"] >= 36
    # compounds far from this small grid are reported with their snap distance, not attached
    assert run.stats["far_compounds"] and all(x["snap_m"] > 300
                                              for x in run.stats["far_compounds"])
    html = c.get("/lifecircle/").content.decode()
    assert "© OpenStreetMap contributors" in html


def test_a_bad_file_fails_clearly_and_keeps_the_old_results(client_for):
    before = services.current_run(Region.objects.get(code=ANCI))
    r = client_for("district").post("/lifecircle/network/", {
        "file": SimpleUploadedFile("x.osm", b"<html>not osm</html>")})
    assert r.status_code == 302
    failed = Run.objects.order_by("-pk").first()
    assert failed.state == Run.State.FAILED and failed.message
    assert services.current_run(Region.objects.get(code=ANCI)) == before
    assert "上次计算失败" in client_for("district").get("/lifecircle/").content.decode()


def test_wrong_file_type_and_denials(client_for):
    r = client_for("district").post("/lifecircle/network/", {
        "file": SimpleUploadedFile("x.xlsx", b"PK")})
    assert r.status_code == 200 and "OpenStreetMap" in r.content.decode()
    n = Run.objects.count()
    for u in ("street1", "viewer1", "resident1"):
        assert client_for(u).post("/lifecircle/network/", {
            "file": SimpleUploadedFile("a.osm", b"<osm/>")}).status_code == 403
    assert Run.objects.count() == n


@pytest.mark.shared_data
def test_real_chengdu_upload_with_places(client_for, chengdu_osm):
    load_district("510108")
    c = client_for("admin")
    c.post("/region/switch/", {"region": "510108000000", "next": "/lifecircle/"})
    r = c.post("/lifecircle/network/", {"with_places": "on", "file": SimpleUploadedFile(
        "chengdu.osm", chengdu_osm.read_bytes())})
    assert r.status_code == 302
    run = Run.objects.order_by("-pk").first()
    assert run.state == Run.State.DONE, run.message
    assert run.region_id == "510108000000"
    assert Compound.objects.in_region("510108").count() == 178
    assert run.stats["nodes"] > 8000 and run.stats["compounds"] == 178
