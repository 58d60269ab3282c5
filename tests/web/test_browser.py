"""A real browser (Debian's Chromium, headless, driven by Playwright) against the real demo
command: `minsheng demo --port N` started in a fresh var/ directory, exactly as a newcomer runs it."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("MINSHENG_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not installed at {CHROMIUM} (make test installs Debian's chromium)")
    var = tmp_path_factory.mktemp("demo-var")
    port = free_port()
    env = {**os.environ, "MINSHENG_VAR_DIR": str(var)}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = open(var / "demo.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "minsheng.cli", "demo", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((var / "demo.log").read_text())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.terminate()
        raise RuntimeError("demo did not start: " + (var / "demo.log").read_text())
    yield url, var
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def login(page, url, username):
    page.goto(url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "minsheng-demo")
    page.click("button.primary")
    page.wait_for_url(url + "/")


def test_demo_prints_the_accounts(demo_server):
    url, var = demo_server
    out = (var / "demo.log").read_text()
    for name in ("district", "street1", "street2", "grid1", "property1", "mediator1", "resident1"):
        assert name in out
    assert "minsheng-demo" in out and url in out


def test_log_in_and_open_the_map(demo_server, browser):
    url, _ = demo_server
    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, url, "district")
    assert "安次区" in page.inner_text("h1")
    page.click("nav.mainnav >> text=地图")
    page.wait_for_selector("#map[data-ready='1']", timeout=20000)
    # Vectors were drawn: compound shapes and facility markers exist in the Leaflet layers.
    n_paths = page.locator(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas").count()
    assert n_paths > 0
    assert page.inner_text("#map-status") == "214 / 551"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map.png"))
    assert errors == []
    ctx.close()


def test_phone_layout_and_compound_page(demo_server, browser):
    url, _ = demo_server
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    login(page, url, "street1")
    # Nothing overflows the phone's width except the scrollable navigation bar.
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 392
    page.goto(url + "/compounds/")
    page.click("table tbody tr:first-child a")
    page.wait_for_selector("#minimap path.leaflet-interactive")
    assert "银河南路街道" not in page.inner_text("h1")
    assert page.locator("text=治理情况").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compound-phone.png"), full_page=True)
    ctx.close()


def test_projects_on_a_phone(demo_server, browser):
    url, _ = demo_server
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, url, "district")
    # last year's plan has overdue projects on any date (this year's has not started on 1 January)
    last_year = dt.datetime.now(ZoneInfo("Asia/Shanghai")).year - 1
    page.goto(url + f"/projects/?flag=attention&year={last_year}")
    assert page.locator("table tbody tr .flag").count() > 0
    page.click("table tbody tr:first-child a")
    page.wait_for_selector(".chart[data-ready='1'] svg")
    assert page.locator("text=计划与实际进度").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "project-phone.png"), full_page=True)
    page.goto(url + "/budget/?year=2020")
    page.wait_for_selector(".chart[data-ready='1'] svg")
    assert "83.03%" in page.inner_text(".tiles")
    assert errors == []
    ctx.close()


def test_life_circle_recomputes_in_the_background_worker(demo_server, browser):
    """The demo's real worker cluster (django-q2) runs the recomputation; the page polls it."""
    url, _ = demo_server
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    login(page, url, "district")
    page.goto(url + "/lifecircle/")
    first = page.inner_text("section.card.small")
    page.click("text=重新计算")
    page.wait_for_selector("#run-progress progress")
    # the page reloads itself when the worker has finished
    page.wait_for_selector("#lc-map[data-ready='1']", timeout=60000)
    page.wait_for_function("!document.getElementById('run-progress')", timeout=60000)
    assert page.inner_text("section.card.small") != first  # a newer run's time
    assert page.locator("text=各类设施覆盖情况").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lifecircle.png"))
    ctx.close()


HOSTILE = '<img src=x onerror="document.title=\'XSS\'">'
RENAME = """
from minsheng.places.models import Compound, Facility
c = Compound.objects.filter(region__code__startswith="131002").order_by("pk").first()
f = min(Facility.objects.filter(region__code__startswith="131002", lat__isnull=False),
        key=lambda f: (f.lat - c.lat) ** 2 + (f.lng - c.lng) ** 2)
f.name = {name!r}
f.save(update_fields=["name"])
print(c.pk)
"""


def test_a_facility_named_with_markup_is_shown_as_text_on_the_maps(demo_server, browser):
    """Stored XSS: a facility called <img onerror=…> ran script for anyone hovering its marker on
    the compound page and the life-circle compound page (Leaflet tooltips take HTML)."""
    url, var = demo_server
    env = {**os.environ, "MINSHENG_VAR_DIR": str(var)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-m", "minsheng.cli", "shell", "-c",
                          RENAME.format(name=HOSTILE)], env=env, capture_output=True, text=True,
                         check=True)
    compound = out.stdout.strip().splitlines()[-1]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    login(page, url, "district")
    for path, sel in ((f"/compounds/{compound}/", "#minimap path.leaflet-interactive"),
                      (f"/lifecircle/compound/{compound}/", ".leaflet-container path.leaflet-interactive")):
        page.goto(url + path)
        page.wait_for_selector(sel)
        page.evaluate("""() => document.querySelectorAll('path.leaflet-interactive').forEach(
            p => p.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})))""")
        page.wait_for_timeout(300)
        assert page.title() != "XSS", path
        assert page.locator(".leaflet-tooltip img").count() == 0, path
    texts = page.locator(".leaflet-tooltip").all_inner_texts()
    assert any("<img" in t for t in texts)  # shown as the text it is
    ctx.close()
