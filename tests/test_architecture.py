"""The house's floors, read from the package's imports with `ast` (imports inside functions too):
`lib` at the bottom imports no app; `accounts` and `places` above it; the operational apps
(cases, projects, lifecircle, …) above them; `indicators`, then `reports`; `web`, the shell, at the
top, imported by no app. No app imports another app's private name. Imports that run against the
floors are at most two, each named with its reason in docs/architecture.md."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "minsheng"
FLOORS = {
    "lib": 0,
    "accounts": 1, "places": 1,
    "cases": 2, "projects": 2, "lifecircle": 2, "governance": 2, "assistance": 2,
    "employment": 2,
    "indicators": 3,
    "reports": 4,
    "web": 5,
}
# (importing module, imported module prefix): the named exceptions, see docs/architecture.md.
AGAINST_THE_FLOORS = {
    ("minsheng.places.osm", "minsheng.lifecircle.engine"),
}


def app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "minsheng" else None


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports() -> list[tuple[str, str, list[str], int]]:
    """(importing module, imported module, imported names, line) for every minsheng import."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        here = module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and \
                    node.module.startswith("minsheng"):
                names = [a.name for a in node.names]
                if node.module == "minsheng":
                    for n in names:
                        out.append((here, f"minsheng.{n}", [], node.lineno))
                else:
                    out.append((here, node.module, names, node.lineno))
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("minsheng."):
                        out.append((here, a.name, [], node.lineno))
    return out


def cross_app(found=None):
    for here, there, names, line in found or imports():
        a, b = app_of(here), app_of(there)
        if a and b and a != b and a in FLOORS and b in FLOORS:
            yield here, there, names, line, a, b


def test_every_app_has_a_floor():
    apps = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert apps - {"locale"} <= set(FLOORS)


def test_lib_imports_no_app():
    bad = [(h, t, line) for h, t, _n, line in imports()
           if h.startswith("minsheng.lib") and not t.startswith("minsheng.lib")]
    assert bad == []


def test_no_app_imports_web():
    bad = [(h, t, line) for h, t, _n, line, a, b in cross_app() if b == "web"]
    assert bad == []


def test_no_app_imports_another_apps_private_names():
    bad = []
    for h, t, names, line, _a, _b in cross_app():
        if any(part.startswith("_") and part != "__init__" for part in t.split(".")):
            bad.append((h, t, line))
        bad += [(h, f"{t}.{n}", line) for n in names if n.startswith("_")]
    assert bad == []


def test_imports_against_the_floors_are_the_named_exceptions():
    against = set()
    for h, t, _names, _line, a, b in cross_app():
        if FLOORS[b] > FLOORS[a]:
            against.add((h, t))
    allowed = {(h, t) for h, t in against
               if any(h == mh and t.startswith(mt) for mh, mt in AGAINST_THE_FLOORS)}
    assert against - allowed == set()
    assert len(AGAINST_THE_FLOORS) <= 2


def test_the_exceptions_are_named_in_the_architecture_document():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for here, there in AGAINST_THE_FLOORS:
        assert f"`{here}` → `{there}`" in doc


def test_the_checker_sees_a_violation():
    """The rules above are not vacuous: a made-up upward and private import is caught."""
    fake = [("minsheng.cases.views", "minsheng.web.views", ["home"], 1),
            ("minsheng.projects.views", "minsheng.places.exchange", ["_Row"], 2),
            ("minsheng.places.models", "minsheng.reports.views", [], 3)]
    found = list(cross_app(fake))
    assert [b for *_x, b in found] == ["web", "places", "reports"]
    assert any(n == ["_Row"] for _h, _t, n, *_r in found)
    assert FLOORS["reports"] > FLOORS["places"]


def test_make_bench_runs_every_benchmark():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    bench = makefile.split("\nbench:", 1)[1].split("\n\n", 1)[0]
    scripts = sorted(p.name for p in (ROOT / "bench").glob("*_bench.py"))
    assert scripts and [s for s in scripts if f"bench/{s}" not in bench] == []


def test_the_case_benchmarks_copy_every_required_column():
    """The indicator and province benchmarks copy cases in SQL by a column list: a new NOT NULL
    column without a database default fails their bulk load (as rating_channel once did), found
    only when `make bench` runs. This finds it in the suite."""
    import sys  # noqa: PLC0415

    from django.db import models  # noqa: PLC0415

    from minsheng.cases.models import Case  # noqa: PLC0415

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from indicators_bench import CASE_COLUMNS  # noqa: PLC0415
    finally:
        sys.path.remove(str(ROOT / "bench"))
    listed = {c.strip() for c in CASE_COLUMNS.split(",")}
    missing = [f.column for f in Case._meta.concrete_fields
               if not f.null and not f.primary_key and f.column not in listed
               and f.db_default is models.NOT_PROVIDED]
    assert missing == [], f"add {missing} to CASE_COLUMNS and the copies' SELECTs in bench/"
