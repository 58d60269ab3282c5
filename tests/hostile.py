"""The shared hostile-input corpus: what an attacker (or a careless copy and paste) sends to every
form, import, command and API. Tests import these lists rather than writing their own, so a new
trick added here is tried everywhere (`tests/test_hostile.py`, `tests/cases/test_open311_hostile.py`,
`tests/lib/test_tabular_limits.py`).

Each list is a corpus of *values*; what a good answer is depends on the field: a clear error, or
a value stored exactly as sent (markup and formulas are text: escaped on pages, neutralised in
exports), never a 500 and never half a write.
"""

from __future__ import annotations

import csv
import io
import zipfile

LONG = "长" * 100_000

# markup and script, stored as text and escaped wherever shown
XSS = ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "\"'><svg onload=alert(1)>",
       "javascript:alert(1)", "]]><x/>&amp;&#0;", "{{ 7*7 }}{% debug %}"]

# spreadsheet formulas (OWASP: = + - @, and tab / carriage return before them)
FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "=HYPERLINK(\"http://x\",\"y\")",
            "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]

# refused in every text field (lib.validators); NUL also breaks PostgreSQL
CONTROL = ["\x00", "a\x00b", "\x01\x02\x1b\x7f", "\u202e\u200b", "\x85", "\u2066x"]

# refused in single-line fields only (allowed in multi-line text)
LINE_BREAKS = ["第一行\n第二行", "a\rb", "a\tb", "a\u2028b"]

# not text at all
ODD_TEXT = ["\ufffe\uffff", "' OR 1=1 --", "%00", "%s%n", "𝕏😀", "２０２６"]

# text values for text parameters (Open311 takes these as they are)
TEXTS = ["\x00", "a\x00b", "\x01\x02\x1b\x7f", "\ufffe\uffff", "<script>alert(1)</script>",
         "]]><x/>&amp;&#0;", "' OR 1=1 --", "%00", "%s%n", LONG, "\u202e\u200b", "𝕏😀"]

# a lone surrogate cannot be encoded as UTF-8: forms and JSON get it from "\\ud800" escapes
SURROGATE = "x\ud800y"

# numbers a number field must refuse or keep inside what the database holds
NUMBERS = ["99999999999999999999", "9" * 400, "-99999999999999999999", "1e400", "-1e400",
           "1e-400", "nan", "NaN", "inf", "-inf", "Infinity", "-1", "-0", "0x1p3", "１２",
           "1_000", "1,5", " 12 "]

# dates a date field must refuse, or keep without breaking what is computed from it
EXTREME_DATES = ["0001-01-01", "9999-12-31", "2026-02-30", "0000-00-00", "2026-13-45",
                 "99999-01-01", "-0001-01-01", "1e400", "２０２６-０１-０１"]

# Open311's date parameters (timestamps as well as dates)
DATES = ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31", "0001-01-01",
         "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "0000-00-00", "2026-13-45",
         "2026-02-30T25:61:61Z", "2026-01-01T00:00:00+99:00", "+275760-09-13T00:00:00Z",
         "99999999999999999999", "2026-01-01T00:00:00 08:00", "1e400", "\x00", "２０２６-０１-０１"]

# every text value a form field is tried with
FORM_TEXTS = [*XSS, *FORMULAS, *CONTROL, *LINE_BREAKS, *ODD_TEXT, "x" * 5000]


# ── files ────────────────────────────────────────────────────────────────────────────────────

# files named like images that are not (content decides: lib.images refuses each)
DISGUISED = {
    "shell.jpg": b"<?php system($_GET['c']); ?>\n",
    "page.jpg": b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
    "drawing.jpg": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
                    b'onload="alert(1)"><script>alert(2)</script></svg>'),
    "empty.jpg": b"",
}

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>')
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
    '"xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="小区" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
    '"worksheets/sheet1.xml"/></Relationships>')
HEAD = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        '.org/spreadsheetml/2006/main"><sheetData>')
TAIL = "</sheetData></worksheet>"


def row(n: int, text: str) -> str:
    """One sheet row holding `text` in column A (inline string)."""
    return f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{text}</t></is></c></row>'


def xlsx(sheet_chunks) -> bytes:
    """An .xlsx written part by part, the sheet streamed from `sheet_chunks` (str pieces)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(HEAD.encode())
            for chunk in sheet_chunks:
                f.write(chunk.encode())
            f.write(TAIL.encode())
    return buf.getvalue()


def zip_bomb() -> bytes:
    """A few hundred KB of .xlsx whose sheet is ~190 MB once decompressed."""
    cell = "这是一段重复很多次的文字" * 40
    return xlsx(row(n, cell) for n in range(1, 130_000))


def csv_with(header: list[str], rows: list[list[object]]) -> bytes:
    """A UTF-8 .csv with a header row and `rows`, each cell written as given (control
    characters, NUL and all: a .csv carries what an .xlsx writer would refuse)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    return out.getvalue().encode("utf-8", "surrogatepass")


# ── whole import files: a good row and one with a hostile cell ──────────────────────────────

# one of each kind: control characters, a lone surrogate, numbers and dates a database cannot
# hold, markup and a formula (kept as text)
WHOLE_FILE = ["\x00", "\x01\x1b", "\u202e\u200b", SURROGATE, "99999999999999999999", "9" * 400,
              "1e400", "-1", "nan", "0001-01-01", "9999-12-31", "2026-02-30", XSS[1], FORMULAS[0]]


def attack_whole_file(header: list[str], good: list, second: list, run, count,
                      values=WHOLE_FILE) -> list[str]:
    """Each column of `second` (a good row other than `good`) in turn holds each hostile value,
    and the .csv of [good, second] goes through the import's whole `run` (`run(content,
    filename)`). The import either takes both rows (`count()` grows by 2) or refuses the file
    with lib.tabular.ImportRejected naming row 3 (or the file) and writes nothing: anything else
    — another exception, one row of the two written — is returned as a finding. Each try runs in
    a savepoint rolled back afterwards, so every value meets the same data."""
    from django.db import transaction  # noqa: PLC0415 (Django is set up by the time this runs)

    from minsheng.lib.tabular import ImportRejected  # noqa: PLC0415

    findings = []
    with transaction.atomic():  # the two good rows alone are taken, or the attack proves nothing
        before = count()
        run(csv_with(header, [good, second]), "whole.csv")
        assert count() == before + 2, "the good file was not taken whole"
        transaction.set_rollback(True)
    for i, column in enumerate(header):
        for value in values:
            bad = list(second)
            bad[i] = value
            with transaction.atomic():
                before = count()
                try:
                    run(csv_with(header, [good, bad]), "whole.csv")
                except ImportRejected as e:
                    if count() != before:
                        findings.append(f"{column}={value!r}: refused but wrote "
                                        f"{count() - before}")
                    elif not any(err.row in (3, 0) for err in e.errors):
                        findings.append(f"{column}={value!r}: refused without naming row 3: "
                                        f"{[str(err) for err in e.errors][:3]}")
                except Exception as e:  # noqa: BLE001 - any other exception is the finding
                    findings.append(f"{column}={value!r}: {type(e).__name__}: {e}"[:300])
                else:
                    if count() != before + 2:
                        findings.append(f"{column}={value!r}: took the file, wrote "
                                        f"{count() - before} rows of 2")
                transaction.set_rollback(True)
    return findings
