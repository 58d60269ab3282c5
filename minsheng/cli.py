"""The `minsheng` command: Django's management commands under one name.

    minsheng demo [--port N] [--osm FILE]   demo district on SQLite, then serve
    minsheng serve [--port N]               production server (gunicorn); refuses demo passwords
    minsheng backup FILE                    database + uploaded files + manifest in one tar.gz
    minsheng restore FILE                   checks and restores such an archive (stop serve first)
    minsheng regions load --district CODE   load a district's statistical divisions
    minsheng places import|export|template  Excel/CSV/GeoJSON exchange of places
    minsheng osm_sample FILE [--district C] a sample area from an OpenStreetMap extract
    minsheng lifecircle coverage --osm F --compounds C --facilities F --out O   (no database)
    minsheng budget share FILE              livelihood spending share of a budget file
    minsheng photos check                   re-encode or quarantine progress photos stored unchecked
    minsheng report annual --region CODE --year YYYY --format docx|pdf|html|xlsx --out FILE
                                            the annual livelihood report from the database
    minsheng assistance template FILE.xlsx  the household import template
    minsheng assistance assess FILE.xlsx --region CODE --year YYYY [--out OUT.csv]
                                            per-capita income and eligibility per programme
                                            under the region's standards (changes no record)
    minsheng assistance standards           the dated assistance standards per region
"""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line

from minsheng.lib.text import control_char


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
    args = sys.argv[1:] if argv is None else argv
    # Bytes that are not UTF-8 arrive as lone surrogates (surrogateescape), and a control
    # character cannot be meant: refused before any command reads the database or a file. Line
    # breaks and tabs are text (the code of `shell -c` is several lines).
    for arg in args:
        ch = control_char(arg, multiline=True)
        if ch is not None:
            sys.stderr.write(f"minsheng: 参数含有无法识别的字符（U+{ord(ch):04X}），"
                             "请检查输入（文件名和代码须为 UTF-8 文本）。\n")
            sys.exit(2)
    execute_from_command_line(["minsheng", *args])


if __name__ == "__main__":
    main()
