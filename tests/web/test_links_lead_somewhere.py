"""No link leads a role to a page it cannot open: every demo account crawls the demo from its home
page, breadth first, following same-site links (<a href>) a few levels deep, and no linked page
answers 403, 404 or 5xx. Links that differ only in their ids (/cases/12/ and /cases/13/) or in
query values are followed at most twice (downloads once), to keep the crawl fast; logout, the language switch and POST
forms are not links and are not followed; the back office (Django's admin) is checked, not crawled."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest

from minsheng.accounts.demo import ACCOUNTS

pytestmark = pytest.mark.django_db

DEPTH = 3
MAX_PAGES = 250
PER_PATTERN = 2  # pages of one kind (different ids): their links differ with the record
DOWNLOAD = re.compile(r"(download/|\.(xlsx|docx|pdf|csv|geojson|json))$")  # fetched once
NOT_FOLLOWED = ("/static/", "/i18n/", "/logout/", "/media/")
NOT_CRAWLED = ("/admin/", "/api/", "/open311/")  # checked, their links not followed
ID = re.compile(r"(?<=/)(\d+|[0-9a-f]{12,}|[A-Za-z0-9_-]{20,})(?=[/.]|$)")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def pattern(url: str) -> str:
    """/cases/123/?page=2&status=x → /cases/N/?page&status: one visit per kind of page."""
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return ID.sub("N", parts.path) + ("?" + "&".join(keys) if keys else "")


def crawl(client) -> tuple[list[str], int]:
    """(failures as "status url ← from", pages fetched)."""
    seen: dict[str, int] = {pattern("/"): PER_PATTERN}
    visited = {"/"}
    todo = deque([("/", 0, "(start)")])
    failures: list[str] = []
    fetched = 0
    while todo and fetched < MAX_PAGES:
        url, depth, source = todo.popleft()
        r = client.get(url)
        fetched += 1
        if r.status_code in (403, 404) or r.status_code >= 500:
            failures.append(f"{r.status_code} {url} ← {source}")
            continue
        if r.status_code in (301, 302):
            continue
        ctype = r.get("Content-Type", "")
        if depth >= DEPTH or not ctype.startswith("text/html") or url.startswith(NOT_CRAWLED):
            continue
        parser = Links()
        parser.feed(r.content.decode())
        for href in parser.hrefs:
            absolute = urljoin(url, href)
            parts = urlsplit(absolute)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
                continue
            if not parts.path or parts.path.startswith(NOT_FOLLOWED):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            key = pattern(target)
            cap = 1 if DOWNLOAD.search(parts.path) else PER_PATTERN
            if target in visited or seen.get(key, 0) >= cap:
                continue
            seen[key] = seen.get(key, 0) + 1
            visited.add(target)
            todo.append((target, depth + 1, url))
    return failures, fetched


@pytest.mark.parametrize("username", [a[0] for a in ACCOUNTS])
def test_no_link_leads_a_role_to_a_page_it_cannot_open(client_for, username, settings,
                                                       demo_media):
    settings.MEDIA_ROOT = demo_media  # the demo's photos
    failures, fetched = crawl(client_for(username))
    assert fetched > 5
    assert not failures, f"{username}: " + "; ".join(failures)
