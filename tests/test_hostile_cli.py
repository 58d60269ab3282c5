"""The shared hostile-input corpus (tests/hostile.py) through every command of the `minsheng` CLI.

Each command that takes user input is run with hostile values in each of its text arguments
(markup, formulas, control characters, a lone surrogate, huge numbers, odd periods) and with
hostile files (disguised, empty, a zip bomb, control characters in a CSV, a directory, a missing
path). The answer is a CommandError with a message (what `minsheng` prints, in Chinese, without a
traceback) or a normal run. Commands are run through `minsheng.cli.main`, the shell's way in; never another exception, and a refused run writes nothing: the row
count of every table of Minsheng is the same before and after.

Not run here: `serve` and `demo` (they start servers; their arguments are ports and hosts, checked
by argparse), `photos check` (no arguments).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connections

from minsheng.cli import main
from minsheng.places.models import Compound, Region
from tests.hostile import (
    CONTROL,
    DISGUISED,
    EXTREME_DATES,
    FORMULAS,
    NUMBERS,
    SURROGATE,
    XSS,
    csv_with,
    zip_bomb,
)
from tests.places.test_exchange import COMPOUND_HEADERS, compound_row

pytestmark = pytest.mark.django_db

# values for text arguments (codes, names, periods, formats, users)
TEXTS = [XSS[0], XSS[1], FORMULAS[0], FORMULAS[5], "\x00", "a\x00b", "\u202e131002",
         SURROGATE, "", " ", "99999999999999999999", "-1", "１３１００２", "131002" * 200,
         "../../etc/passwd", "%s%n"]
PERIODS = ["9999", "0000", "2025Q0", "2025Q9", "2025Q", "-2025", "2025Q1Q2", "99999999999Q1"]


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """A command run from the command line closes every database connection when it ends
    (Django's run_from_argv): on PostgreSQL that would end the test's own transaction, so the
    commands run here leave it open; a real `minsheng` process exits anyway."""
    monkeypatch.setattr(connections, "close_all", lambda: None)


def counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()
            if m._meta.app_label not in ("sessions", "admin", "django_q")
            and not m._meta.label.startswith("axes.")}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Hostile files, each under names the commands expect."""
    d = tmp_path_factory.mktemp("hostile-files")
    out: dict[str, Path] = {}
    for name, content in DISGUISED.items():
        for ext in ("xlsx", "csv", "osm", "geojson", "tar.gz", "json"):
            p = d / f"{Path(name).stem}.{ext}"
            p.write_bytes(content)
            out[p.name] = p
    (d / "bomb.xlsx").write_bytes(zip_bomb())
    out["bomb.xlsx"] = d / "bomb.xlsx"
    (d / "controls.csv").write_bytes(csv_with(
        ["名称", "户数", "经度", "纬度"], [["小区\x07", "=1+1", "116.7\x00", "39.5"],
                                        [XSS[1], "9" * 400, "nan", "1e400"]]))
    out["controls.csv"] = d / "controls.csv"
    (d / "dir.xlsx").mkdir()
    out["dir.xlsx"] = d / "dir.xlsx"
    out["missing.xlsx"] = d / "missing.xlsx"
    (d / "surrogate.csv").write_bytes("名称\r\nx\ud800y\r\n".encode("utf-8", "surrogatepass"))
    out["surrogate.csv"] = d / "surrogate.csv"
    return out


def run(*args) -> str | None:
    """Run `minsheng ARGS` as the shell does (minsheng.cli.main): None when it ran, what it
    printed when it refused (a non-zero exit); any exception fails the test (a traceback is
    what a user must never see). A refusal writes nothing."""
    before = counts()
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            main([str(a) for a in args])
    except SystemExit as e:
        assert e.code not in (0, None), args
        assert err.getvalue().strip(), args
        assert "Traceback" not in err.getvalue(), args
        assert counts() == before, args
        return err.getvalue()
    return None


def text_invocations(out: Path) -> list[tuple]:
    """Each command with `V` in place of the text argument under attack."""
    return [
        ("governance", "scores", "--scheme", "V", "--period", "2025"),
        ("governance", "scores", "--scheme", "V", "--period", "V"),
        ("report", "annual", "--region", "V", "--year", "2025", "--format", "xlsx", "--out", out),
        ("report", "annual", "--region", "131002000000", "--year", "V", "--format", "xlsx",
         "--out", out),
        ("report", "annual", "--region", "131002000000", "--year", "2025", "--format", "V",
         "--out", out),
        ("report", "V", "--region", "131002000000", "--year", "2025", "--format", "xlsx",
         "--out", out),
        ("assistance", "standards", "--region", "V"),
        ("places", "export", "compounds", "--user", "V", "--out", out),
        ("places", "export", "compounds", "--user", "district", "--region", "V", "--out", out),
        ("regions", "load", "--district", "V"),
        ("osm_sample", "/nonexistent.osm", "--district", "V"),
    ]


@pytest.mark.parametrize("value", TEXTS, ids=repr)
def test_hostile_text_arguments_are_refused_or_harmless(tmp_path, value) -> None:
    out = tmp_path / "out.xlsx"
    for invocation in text_invocations(out):
        args = [value if a == "V" else a for a in invocation]
        run(*args)
        if out.exists():  # whatever was written is a real workbook, never the hostile value raw
            assert out.read_bytes()[:2] == b"PK", args
            out.unlink()


@pytest.mark.parametrize("period", PERIODS)
def test_odd_periods_are_refused_with_a_message(period) -> None:
    message = run("governance", "scores", "--scheme", "PM2025", "--period", period)
    assert message, period


def file_invocations(f: Path, out: Path) -> list[tuple]:
    return [
        ("places", "import", "compounds", f, "--crs", "wgs84", "--user", "district"),
        ("places", "import", "grids", f, "--crs", "wgs84", "--user", "district"),
        ("employment", "import", f, "--region", "131002001000"),
        ("assistance", "assess", f, "--region", "131002", "--year", "2026", "--out", out),
        ("budget", "share", f),
        ("budget", "share", f, "--classes", f),
        ("restore", f),
        ("osm_sample", f, "--district", "131002"),
        ("lifecircle", "coverage", "--osm", f, "--compounds", f, "--facilities", f,
         "--out", out),
    ]


@pytest.mark.parametrize("name", [
    "shell.xlsx", "page.csv", "drawing.osm", "empty.xlsx", "empty.tar.gz", "page.tar.gz",
    "shell.geojson", "drawing.json", "bomb.xlsx", "controls.csv", "surrogate.csv", "dir.xlsx",
    "missing.xlsx",
])
def test_hostile_files_are_refused_with_a_message(files, tmp_path, name) -> None:
    out = tmp_path / "out.csv"
    refused = []
    for invocation in file_invocations(files[name], out):
        message = run(*invocation)
        refused.append(message is not None)
    # none of these files holds anything a command could take
    assert all(refused), (name, refused)


@pytest.mark.parametrize("column", ["小区名称", "地址", "户数", "经度", "建成年份", "主任联系电话"])
@pytest.mark.parametrize("value", [*CONTROL, SURROGATE, *NUMBERS[:6], *EXTREME_DATES[:3]],
                         ids=repr)
def test_a_whole_file_with_one_hostile_cell_imports_nothing(tmp_path, column, value) -> None:
    """A whole import file through `minsheng places import` (the `run` of the import, all or
    nothing): a good row and one with a hostile cell. Either the cell is a value the column may
    hold (both rows are written) or the file is refused by row and column and nothing is."""
    comm = Region.objects.filter(parent_id="131002001000").order_by("code").first()
    good = compound_row("整表好苑", comm.code, comm.lng, comm.lat, 户数=100)
    bad = compound_row("整表坏苑", comm.code, comm.lng, comm.lat, 户数=100)
    bad[COMPOUND_HEADERS.index(column)] = value
    path = tmp_path / "小区.csv"
    path.write_bytes(csv_with(COMPOUND_HEADERS, [good, bad]))
    n = Compound.objects.count()
    message = run("places", "import", "compounds", path, "--crs", "wgs84", "--user", "district")
    if message is None:
        assert Compound.objects.count() == n + 2
    else:
        assert "第3行" in message or "文件" in message, message
        assert Compound.objects.count() == n


@pytest.mark.parametrize("value", [*XSS, *FORMULAS[:5]], ids=repr)
def test_markup_and_formulas_in_an_imported_file_are_kept_as_text(tmp_path, value) -> None:
    comm = Region.objects.filter(parent_id="131002001000").order_by("code").first()
    path = tmp_path / "小区.csv"
    path.write_bytes(csv_with(COMPOUND_HEADERS, [
        compound_row(value, comm.code, comm.lng, comm.lat, 户数=100)]))
    assert run("places", "import", "compounds", path, "--crs", "wgs84", "--user", "district") \
        is None
    assert Compound.objects.filter(region=comm, name=value.strip()).exists()


def test_a_control_character_argument_is_refused_but_a_line_break_is_text() -> None:
    # A bell in a region code is never meant; the code given to `shell -c` runs over lines.
    assert "U+0007" in run("assistance", "standards", "--region", "131002\x07")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["shell", "-c", "x = 6\nprint(x * 7)"])
    assert out.getvalue().splitlines()[-1] == "42"
