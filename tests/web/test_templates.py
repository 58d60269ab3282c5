"""No template may hold script the Content-Security-Policy (script-src 'self') refuses to run: an
inline <script> (other than JSON data), an on*= handler attribute or a javascript: link. Page
scripts live in static files and take their data from data-* attributes or json_script."""

from __future__ import annotations

import re
from pathlib import Path

import django.contrib.admin
import pytest
import rest_framework

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "minsheng"

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
JSON_TYPE = re.compile(r"""\btype\s*=\s*["']application/(?:ld\+)?json["']""", re.IGNORECASE)
SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)
TAG = re.compile(r"<[a-zA-Z][^<>]*>")
HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']?""", re.IGNORECASE)
JS_URL = re.compile(r"""=\s*["']?\s*javascript:""", re.IGNORECASE)


def problems(text: str) -> list[str]:
    found = []
    for m in SCRIPT_TAG.finditer(text):
        if not SRC.search(m.group(1)) and not JSON_TYPE.search(m.group(1)):
            found.append(f"line {text.count(chr(10), 0, m.start()) + 1}: inline <script>")
    for m in TAG.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        for h in HANDLER.finditer(m.group(0)):
            found.append(f"line {line}: handler {h.group(0).strip()}")
        if JS_URL.search(m.group(0)):
            found.append(f"line {line}: javascript: URL")
    return found


def templates(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.html") if "templates" in p.parts)


def test_the_scanner_finds_what_csp_refuses():
    assert problems("<script>alert(1)</script>") == ["line 1: inline <script>"]
    assert problems('<p>\n<select name="y" onchange="this.form.submit()">') == [
        'line 2: handler onchange="']
    assert problems("<BUTTON ONCLICK=print()>") == ["line 1: handler ONCLICK="]
    assert problems('<a href="javascript:void(0)">') == ["line 1: javascript: URL"]
    assert problems('<script src="/static/web/map.js"></script>') == []
    assert problems('<script id="d" type="application/json">{}</script>') == []
    assert problems('<script\n  id="django-admin-form-add-constants"\n  src="x.js">') == []
    assert problems('<select data-autosubmit name="region">') == []
    assert problems("<p>ondemand = yes; data-onion=1</p>") == []


@pytest.mark.parametrize("path", templates(PACKAGE), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_template_holds_inline_script(path):
    assert problems(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("package", [django.contrib.admin, rest_framework],
                         ids=["django admin", "DRF browsable API"])
def test_the_admin_and_the_browsable_api_hold_none_either(package):
    """Django 5.2's admin and DRF's pages load their scripts from files (their data in data-*
    attributes or JSON): they work under the policy without exceptions."""
    root = Path(package.__file__).parent
    found = {str(p.relative_to(root)): problems(p.read_text(encoding="utf-8"))
             for p in templates(root)}
    assert {k: v for k, v in found.items() if v} == {}
