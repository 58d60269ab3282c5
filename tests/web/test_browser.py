"""A real browser (Debian's Chromium, headless, driven by Playwright) against the real demo
command: `minsheng demo --port N` started in a fresh var/ directory, exactly as a newcomer runs it."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
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
    deadline = time.monotonic() + float(os.environ.get("MINSHENG_DEMO_START_SECONDS", "180"))
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


# Every refused script, style, image or connection is logged by Chromium to the console
# ("Refused to … because it violates the following Content Security Policy directive …"); the
# listener (injected by the browser driver, which the policy does not govern) reports the rest.
REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", function (e) {
  console.error("Content Security Policy violation: " + e.violatedDirective + " " + e.blockedURI
                + " " + e.sourceFile + ":" + e.lineNumber);
});"""


def watch_csp(page) -> list[str]:
    """The Content-Security-Policy violations of every page `page` opens from now on."""
    violations: list[str] = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda m: violations.append(f"{page.url}: {m.text}")
            if "Content Security Policy" in m.text else None)
    return violations


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
    url, var = demo_server
    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    page = ctx.new_page()
    csp = watch_csp(page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, url, "district")
    assert "安次区" in page.inner_text("h1")
    page.click("nav.mainnav summary >> text=基础数据")  # the navigation's group of places pages
    page.click("nav.mainnav >> text=地图")
    page.wait_for_selector("#map[data-ready='1']", timeout=20000)
    # Vectors were drawn: compound shapes and facility markers exist in the Leaflet layers.
    n_paths = page.locator(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas").count()
    assert n_paths > 0
    # the map shows every compound and facility of the district, as many as the demo made
    made = re.search(r"安次区: (\d+) 个小区、\d+ 个签约服务网点、(\d+) 个设施",
                     (var / "demo.log").read_text())
    assert made and made[1] == "214"  # a demo check: the seed's stated count of compounds
    assert page.inner_text("#map-status") == f"{made[1]} / {made[2]}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map.png"))
    assert errors == []
    assert csp == []
    ctx.close()


def test_phone_layout_and_compound_page(demo_server, browser):
    url, _ = demo_server
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    csp = watch_csp(page)
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
    assert csp == []
    ctx.close()


def test_projects_on_a_phone(demo_server, browser):
    url, _ = demo_server
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    csp = watch_csp(page)
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
    assert "83.03%" in page.inner_text(".tiles")  # demo check: the seed's share, demo lines
    assert errors == []
    assert csp == []
    ctx.close()


def test_life_circle_recomputes_in_the_background_worker(demo_server, browser):
    """The demo's real worker cluster (django-q2) runs the recomputation; the page polls it."""
    url, _ = demo_server
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    csp = watch_csp(page)
    login(page, url, "district")
    page.goto(url + "/lifecircle/")
    first = page.inner_text("section.card.small")
    page.click("text=重新计算")
    page.wait_for_selector("#run-progress progress")
    # the page reloads itself when the worker has finished
    page.wait_for_selector("#lc-map[data-ready='1']", timeout=60000)
    # (not wait_for_function: Playwright evals its predicate in the page, which the policy refuses)
    page.wait_for_selector("#run-progress", state="detached", timeout=60000)
    assert page.inner_text("section.card.small") != first  # a newer run's time
    assert page.locator("text=各类设施覆盖情况").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lifecircle.png"))
    assert csp == []
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
    csp = watch_csp(page)
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
    assert csp == []
    ctx.close()


def other_option(page, select: str) -> str:
    """The value of an option of `select` that is not the chosen one."""
    return page.eval_on_selector(select, """s => Array.from(s.options).map(o => o.value)
        .find(v => v && v !== s.value)""")


def test_indicator_pages_and_the_annual_report_run_their_scripts_under_the_policy(demo_server,
                                                                                   browser):
    """The pages whose inline scripts moved to static files (script-src 'self'): the dashboard's
    charts and map, its indicator picker and period form, an indicator's charts, the report's
    preview, downloads and year picker, and the region switcher at the top."""
    url, _ = demo_server
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    csp = watch_csp(page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, url, "district")

    page.goto(url + "/indicators/")
    page.wait_for_selector("#chart-trend[data-ready='1'] svg")
    page.wait_for_selector("#chart-children[data-ready='1'] svg")
    page.wait_for_selector("#choro[data-ready='1'] path.leaflet-interactive")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "indicators.png"))
    # another indicator redraws the comparison in place and is kept in the address
    other = other_option(page, "#ind-select")
    page.select_option("#ind-select", other)
    page.wait_for_url(lambda u: parse_qs(urlsplit(u).query).get("ind") == [other])
    assert page.inner_text("#child-col") == page.eval_on_selector(
        "#ind-select", "s => s.options[s.selectedIndex].text")
    # the period form shows the quarter field once "季度" is chosen and writes ?period=YYYYQ2
    page.select_option("#period-form select[name=kind]", "quarter")
    page.select_option("#period-form select[name=quarter]", "2")
    page.click("#period-form button[type=submit]")
    page.wait_for_url(re.compile(r"[?&]period=\d{4}Q2(&|$)"))
    page.wait_for_selector("#chart-trend[data-ready='1'] svg")

    page.click(".itile >> nth=0")
    page.wait_for_url(re.compile(r"/indicators/.+"))
    page.wait_for_selector("#chart-series[data-ready='1'] svg")
    page.screenshot(path=str(ARTIFACTS / "indicator.png"))

    page.goto(url + "/reports/annual/")
    page.frame_locator("iframe.report-frame").locator("svg.chart").first.wait_for()
    with page.expect_download() as download:
        page.click("a[data-download][href*='format=xlsx']")
    assert download.value.suggested_filename.endswith(".xlsx")
    page.wait_for_selector("#dl-status:text-is('已生成，正在下载。')")
    year = other_option(page, "#report-year")
    page.select_option("#report-year", year)  # data-autosubmit: no button to press
    page.wait_for_url(re.compile(rf"[?&]year={year}(&|$)"))
    page.frame_locator("iframe.report-frame").locator("svg.chart").first.wait_for()

    region = other_option(page, "#region-switch")
    page.select_option("#region-switch", region)
    page.wait_for_selector(f"#region-switch option[value='{region}'][selected]", state="attached")
    assert errors == []
    assert csp == []
    ctx.close()


def test_the_admin_and_the_browsable_api_work_under_the_policy(demo_server, browser):
    url, _ = demo_server
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    csp = watch_csp(page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, url, "district")
    for path in ("/admin/", "/admin/places/compound/", "/api/regions/"):
        assert page.goto(url + path).status == 200, path
    page.goto(url + "/admin/places/compound/")
    page.click("#result_list tbody tr:first-child th a")
    page.wait_for_selector("#compound_form")
    # the admin's own scripts ran (admin/js/jquery.init.js sets django.jQuery)
    assert page.evaluate("typeof django !== 'undefined' && !!django.jQuery")
    assert errors == []
    assert csp == []
    ctx.close()
