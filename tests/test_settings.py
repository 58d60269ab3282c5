"""Settings: the environment is read in settings.py only, every variable it reads is documented
in .env.example (and nothing else is), and a mistyped boolean or number stops start-up with a
message naming the variable instead of quietly meaning False."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from minsheng import settings as minsheng_settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "minsheng"
READERS = ("env", "envbool", "envint", "envlist", "envpath")


def variables_read_by_settings() -> set[str]:
    tree = ast.parse((PACKAGE / "settings.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in READERS and node.args and isinstance(node.args[0], ast.Constant):
            names.add(node.args[0].value)
    return names


def environment_reads(path: Path) -> list[int]:
    """Lines that read os.environ / os.getenv (setting DJANGO_SETTINGS_MODULE or handing the
    whole environment to a child process is not reading a setting)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            if node.func.attr == "getenv" and isinstance(target, ast.Name) and target.id == "os":
                lines.append(node.lineno)
            if isinstance(target, ast.Attribute) and target.attr == "environ" and \
                    node.func.attr in ("get", "pop", "__getitem__"):
                lines.append(node.lineno)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and \
                node.value.attr == "environ" and isinstance(node.ctx, ast.Load):
            lines.append(node.lineno)
    return lines


def test_only_settings_reads_the_environment():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name == "settings.py" and path.parent == PACKAGE:
            continue
        found = environment_reads(path)
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}


def test_env_example_lists_every_variable_and_only_those():
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert documented == variables_read_by_settings()


@pytest.mark.parametrize("raw,expected", [("true", True), ("YES", True), (" on ", True),
                                          ("1", True), ("false", False), ("no", False),
                                          ("off", False), ("0", False), ("", False)])
def test_booleans_are_read_in_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("MINSHENG_DEBUG", raw)
    assert minsheng_settings.envbool("MINSHENG_DEBUG") is expected


@pytest.mark.parametrize("raw", ["ture", "flase", "2", "enabled"])
def test_a_mistyped_boolean_is_an_error_not_false(monkeypatch, raw):
    monkeypatch.setenv("MINSHENG_SECURE_COOKIES", raw)
    with pytest.raises(ImproperlyConfigured, match="MINSHENG_SECURE_COOKIES"):
        minsheng_settings.envbool("MINSHENG_SECURE_COOKIES")


def test_a_mistyped_number_names_the_variable(monkeypatch):
    monkeypatch.setenv("MINSHENG_SESSION_MINUTES", "two hours")
    with pytest.raises(ImproperlyConfigured, match="MINSHENG_SESSION_MINUTES"):
        minsheng_settings.envint("MINSHENG_SESSION_MINUTES", 120)


def test_postgres_connections_run_without_jit_unless_the_url_says_otherwise():
    """JIT compiling took 8 ms of a list page's 0.4 ms query (bench/province_bench.py): the
    PostgreSQL connections turn it off, keep the URL's own options, and an operator who wants
    JIT says so in the URL."""
    db = minsheng_settings._postgres("postgres://u@/db?host=/tmp/x&options=-c%20work_mem%3D64MB")
    assert db["OPTIONS"]["options"] == "-c work_mem=64MB -c jit=off"
    assert db["CONN_MAX_AGE"] == 600 and db["CONN_HEALTH_CHECKS"]  # kept, checked before reuse
    chosen = minsheng_settings._postgres("postgres://u@h/db?options=-c%20jit%3Don")
    assert chosen["OPTIONS"]["options"] == "-c jit=on"
    assert "OPTIONS" not in minsheng_settings._postgres("sqlite:////tmp/x.sqlite3") or \
        "options" not in minsheng_settings._postgres("sqlite:////tmp/x.sqlite3")["OPTIONS"]
