"""Security headers on every kind of response: a page, the API, the admin, the 404 page, the
case-tracking page; a Content-Security-Policy whose scripts come only from this site's files
(no 'unsafe-inline', no 'unsafe-eval'), and HSTS only when the site runs on HTTPS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from minsheng.cases.models import Case
from minsheng.settings import tile_source

ROOT = Path(__file__).resolve().parents[2]

POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'", "'unsafe-inline'"},
    "img-src": {"'self'", "data:", "blob:"},
    "connect-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}


def directives(header: str) -> dict[str, set[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = set(sources)
    return parsed


def assert_secure_headers(response) -> None:
    assert directives(response["Content-Security-Policy"]) == POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response  # the tests run on http


def test_a_page_carries_the_security_headers(client_for):
    r = client_for("district").get("/")
    assert r.status_code == 200
    assert_secure_headers(r)


def test_the_login_page_carries_them_to_anyone():
    r = Client().get("/login/")
    assert r.status_code == 200
    assert_secure_headers(r)


def test_an_api_response_carries_them(client_for):
    r = client_for("district").get("/api/regions/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json")
    assert_secure_headers(r)


def test_the_admin_carries_them(client_for):
    r = client_for("district").get("/admin/")
    assert r.status_code == 200
    assert_secure_headers(r)


def test_the_404_page_carries_them(client_for):
    r = client_for("district").get("/no-such-page/")
    assert r.status_code == 404
    assert_secure_headers(r)


def test_the_tracking_page_keeps_its_own_same_origin_referrer_policy(db):
    """cases.views.track sets Referrer-Policy itself (the token must not leave the site, and
    "no-referrer" made its rating form fail CSRF: git log 5db0df5); the default must not override it."""
    case = Case.objects.order_by("pk").first()
    r = Client().get(f"/cases/t/{case.token}/")
    assert r.status_code == 200
    assert_secure_headers(r)


def test_scripts_may_come_only_from_this_site(client_for):
    policy = directives(client_for("district").get("/")["Content-Security-Policy"])
    assert policy["script-src"] == {"'self'"}
    for sources in policy.values():
        assert "'unsafe-eval'" not in sources
    assert "'unsafe-inline'" not in policy["script-src"] | policy["default-src"]


def test_hsts_is_not_sent_while_cookies_are_not_secure(client_for):
    """The demo and the tests run with MINSHENG_SECURE_COOKIES off: even a request that arrives
    as HTTPS gets no Strict-Transport-Security."""
    r = client_for("district").get("/", secure=True)
    assert "Strict-Transport-Security" not in r


def settings_in(env: dict[str, str]) -> dict:
    """The settings module imported afresh under `env` (a child process: settings are read once)."""
    code = ("import json; from minsheng import settings as s; print(json.dumps("
            "{'hsts': s.SECURE_HSTS_SECONDS, 'csp': s.CONTENT_SECURITY_POLICY}))")
    full = {k: v for k, v in os.environ.items() if not k.startswith("MINSHENG_")}
    out = subprocess.run([sys.executable, "-c", code], env={**full, **env}, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_hsts_is_a_year_on_https_and_off_on_http():
    assert settings_in({"MINSHENG_SECURE_COOKIES": "true"})["hsts"] == 31536000
    assert settings_in({"MINSHENG_SECURE_COOKIES": "true",
                        "MINSHENG_HSTS_SECONDS": "600"})["hsts"] == 600
    assert settings_in({"MINSHENG_SECURE_COOKIES": "false",
                        "MINSHENG_HSTS_SECONDS": "600"})["hsts"] == 0


def test_hsts_is_sent_on_https_when_configured(client_for, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    c = client_for("district")
    assert c.get("/", secure=True)["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in c.get("/")


def test_a_tile_server_is_allowed_for_images_only():
    csp = settings_in({"MINSHENG_MAP_TILE_URL": "https://{s}.tiles.example.cn/{z}/{x}/{y}.png"})["csp"]
    assert csp["img-src"] == ["'self'", "data:", "blob:", "https://*.tiles.example.cn"]
    assert csp["script-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]


@pytest.mark.parametrize("url,source", [
    ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
    ("http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png", "http://10.1.2.3:8080"),
    ("https://tiles.example.cn/{z}/{x}/{y}.png?key=abc", "https://tiles.example.cn"),
    ("//tiles.example.cn/{z}/{x}/{y}.png", "tiles.example.cn"),
    ("/tiles/{z}/{x}/{y}.png", None),
    ("", None),
])
def test_tile_source_is_the_tile_servers_origin(url, source):
    assert tile_source(url) == source


@pytest.mark.parametrize("url", ["https://tile.{s}.example.cn/{z}/{x}/{y}.png",
                                 "javascript://x.example.cn/{z}", "https://u:p@tiles.example.cn/"])
def test_a_tile_url_that_csp_cannot_express_stops_start_up(url):
    with pytest.raises(ImproperlyConfigured, match="MINSHENG_MAP_TILE_URL"):
        tile_source(url)
