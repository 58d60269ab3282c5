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


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
    execute_from_command_line(["minsheng", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
