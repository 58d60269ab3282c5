"""Every role's home and the pages named in issue 12 §3, in a real browser at 1366 px and on a
390 px phone: nothing overflows the width, the navigation fits (one row on a laptop, a few on a
phone, its open group inside the screen), and a screenshot of each is saved (MINSHENG_SCREENSHOTS,
else a temporary folder; its path is printed) for a person to look at."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from minsheng.accounts.demo import ACCOUNTS
from tests.web.test_browser import browser, demo_server, login  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

SIZES = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
# (account, path) beyond every account's home; {project} is one of the account's projects
PAGES = [
    ("dept1", "/projects/{project}/report/"),
    ("district", "/indicators/"),
    ("district", "/indicators/cases_received/"),
    ("district", "/reports/annual/"),
    ("district", "/projects/"),
    ("district", "/budget/"),
    ("district", "/cases/"),
    ("district", "/cases/stats/"),  # two tables side by side in .cols: a wide one once pushed out
    ("district", "/cases/incidents/"),
    ("district", "/governance/registry/"),
    ("civil1", "/assistance/cycles/"),
    ("revival1", "/assistance/monitoring/"),
    ("street1", "/lifecircle/"),
    ("district", "/governance/rectification/1/"),  # the demo's 创城 list: 40 problems as cards
    ("district", "/governance/takeovers/1/"),
    ("district", "/governance/surveys/1/poster/"),
    ("grid1", "/projects/99999999/"),  # 404
    ("viewer1", "/lifecircle/network/"),  # 403
    (None, "/public/projects/"),
]
# the same in English, whose words are longer (district)
ENGLISH = ["/", "/indicators/", "/indicators/cases_received/", "/reports/annual/", "/cases/",
           "/lifecircle/"]
FITS = """() => {
  const d = document.documentElement, nav = document.querySelector('nav.mainnav');
  const r = nav ? nav.getBoundingClientRect() : {height: 0};
  return {scroll: d.scrollWidth, inner: window.innerWidth, navHeight: r.height,
          navScroll: nav ? nav.scrollWidth - nav.clientWidth : 0};
}"""


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    where = os.environ.get("MINSHENG_SCREENSHOTS")
    path = Path(where) if where else tmp_path_factory.mktemp("screens")
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {path}")
    return path


def check(page, size: str, name: str, shots: Path, problems: list[str]) -> None:
    page.wait_for_load_state("load")
    m = page.evaluate(FITS)
    page.screenshot(path=str(shots / f"{name}-{size}.png"), full_page=True)
    if m["scroll"] > m["inner"]:
        problems.append(f"{name} {size}: page {m['scroll']} px wide in {m['inner']}")
    if m["navScroll"] > 0:
        problems.append(f"{name} {size}: navigation scrolls by {m['navScroll']} px")
    rows_allowed = 60 if size == "laptop" else 140  # one row; at most three on a phone
    if m["navHeight"] > rows_allowed:
        problems.append(f"{name} {size}: navigation {m['navHeight']:.0f} px high")


@pytest.mark.parametrize("size", list(SIZES))
def test_every_role_and_page_fits_and_is_photographed(demo_server, browser, shots,  # noqa: F811
                                                      size):
    url, _var = demo_server
    problems: list[str] = []
    accounts = [a[0] for a in ACCOUNTS]
    for username in accounts + [None]:
        ctx = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone",
                                  has_touch=size == "phone")
        page = ctx.new_page()
        if username:
            login(page, url, username)
            check(page, size, f"home-{username}", shots, problems)
        project = None
        for who, path in PAGES:
            if who != username:
                continue
            if "{project}" in path:
                page.goto(url + "/projects/")
                href = page.locator("table a[href^='/projects/']").first.get_attribute("href")
                project = re.search(r"/projects/(\d+)/", href).group(1)
                path = path.format(project=project)
            page.goto(url + path)
            name = re.sub(r"[^a-z0-9]+", "-", path.strip("/")) or "root"
            check(page, size, f"{username or 'anonymous'}-{name}", shots, problems)
        if username == "district":
            # the navigation's groups open inside the screen
            for summary in page.locator("nav.mainnav summary").all():
                summary.click()
                menu = page.locator("details.navgroup[open] .navmenu")
                box = menu.bounding_box()
                if box["x"] < 0 or box["x"] + box["width"] > SIZES[size]["width"] + 1:
                    problems.append(f"menu {summary.inner_text()} {size}: {box}")
            page.screenshot(path=str(shots / f"nav-open-district-{size}.png"))
        ctx.close()
    ctx = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone",
                              has_touch=size == "phone")
    ctx.add_cookies([{"name": "django_language", "value": "en", "url": url}])
    page = ctx.new_page()
    login(page, url, "district")
    for path in ENGLISH:
        page.goto(url + path)
        name = re.sub(r"[^a-z0-9]+", "-", path.strip("/")) or "home"
        check(page, size, f"en-district-{name}", shots, problems)
    ctx.close()
    assert not problems, "\n".join(problems)
