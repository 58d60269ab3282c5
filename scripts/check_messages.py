"""Check the English message catalogue: complete, not fuzzy, and compiled.

Fails (exit 1) when an entry of minsheng/locale/en/LC_MESSAGES/django.po is untranslated or
fuzzy, when a translation drops or invents a %(name)s placeholder, or when django.mo does not
hold exactly the translations of the .po (a stale or missing .mo). Standard library only: the
.po is read by the small parser below and the .mo by gettext.GNUTranslations, so no gettext
binaries are needed.

Run from anywhere: .venv/bin/python scripts/check_messages.py [path/to/django.po]
"""

from __future__ import annotations

import gettext
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "minsheng" / "locale" / "en" / "LC_MESSAGES" / "django.po"
CONTEXT_SEP = "\x04"  # how gettext joins msgctxt and msgid in a .mo key

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')
_STRING = re.compile(r'^(".*")\s*$')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
            "\\": "\\", '"': '"', "'": "'", "?": "?"}
_NAMED = re.compile(r"%\((\w+)\)")


class PoError(Exception):
    pass


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # 0 for a singular entry's msgstr

    @property
    def key(self) -> str:
        """The id as gettext stores it in a .mo: context, EOT, msgid."""
        return self.msgid if self.msgctxt is None else self.msgctxt + CONTEXT_SEP + self.msgid

    def label(self) -> str:
        ctx = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {ctx}{self.msgid!r}"


def _unquote(token: str, path: Path, lineno: int) -> str:
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise PoError(f"{path}:{lineno}: malformed string {token}")
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == '"':
            raise PoError(f"{path}:{lineno}: unescaped quote in {token}")
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(body):
            raise PoError(f"{path}:{lineno}: dangling backslash in {token}")
        n = body[i + 1]
        if n in _ESCAPES:
            out.append(_ESCAPES[n])
            i += 2
        elif n in "01234567":
            m = re.match(r"[0-7]{1,3}", body[i + 1:])
            out.append(chr(int(m.group(), 8)))
            i += 1 + len(m.group())
        elif n == "x":
            m = re.match(r"[0-9a-fA-F]+", body[i + 2:])
            if not m:
                raise PoError(f"{path}:{lineno}: bad \\x escape in {token}")
            out.append(chr(int(m.group(), 16)))
            i += 2 + len(m.group())
        else:
            raise PoError(f"{path}:{lineno}: unknown escape \\{n} in {token}")
    return "".join(out)


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header included; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    cur: Entry | None = None
    target: tuple[str, int | None] | None = None  # the field continuation lines extend
    pending_flags: set[str] = set()
    pending_line = 0

    def finish():
        nonlocal cur, target
        if cur is not None:
            entries.append(cur)
        cur, target = None, None

    def append(value: str):
        name, idx = target
        if name == "msgstr":
            cur.msgstr[idx] += value
        else:
            setattr(cur, name, getattr(cur, name) + value)

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if cur is not None and cur.msgstr:  # a comment starts the next entry
                finish()
            if not pending_line:
                pending_line = lineno
            if line.startswith("#,"):
                pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue  # translator, extracted, reference, previous (#|) and obsolete (#~) lines
        m = _KEYWORD.match(line)
        if m:
            kw, idx, token = m.group(1), m.group(2), m.group(3)
            value = _unquote(token, path, lineno)
            starts_entry = kw in ("msgctxt", "msgid") and (
                cur is None or cur.msgstr or (kw == "msgid" and cur.msgid_plural is not None)
                or (kw == "msgctxt" and cur.msgctxt is not None))
            if starts_entry:
                finish()
            if cur is None:
                if kw not in ("msgctxt", "msgid"):
                    raise PoError(f"{path}:{lineno}: {kw} without msgid")
                cur = Entry(line=pending_line or lineno, flags=pending_flags)
                pending_flags, pending_line = set(), 0
            if kw == "msgctxt":
                cur.msgctxt, target = value, ("msgctxt", None)
            elif kw == "msgid":
                cur.msgid, target = value, ("msgid", None)
            elif kw == "msgid_plural":
                cur.msgid_plural, target = value, ("msgid_plural", None)
            else:
                n = int(idx) if idx is not None else 0
                if (idx is None) == (cur.msgid_plural is not None):
                    raise PoError(f"{path}:{lineno}: {kw} does not fit {cur.label()}")
                if n in cur.msgstr:
                    raise PoError(f"{path}:{lineno}: {kw} repeated in {cur.label()}")
                cur.msgstr[n], target = value, ("msgstr", n)
            continue
        m = _STRING.match(line)
        if m and cur is not None and target is not None:
            append(_unquote(m.group(1), path, lineno))
            continue
        raise PoError(f"{path}:{lineno}: cannot parse: {raw}")
    finish()
    for e in entries:
        if not e.msgstr:
            raise PoError(f"{path}:{e.line}: no msgstr for {e.label()}")
    return entries


def _nplurals(header: str) -> int:
    m = re.search(r"^Plural-Forms:.*?nplurals\s*=\s*(\d+)", header, re.MULTILINE)
    return int(m.group(1)) if m else 2


def check(po_path: Path) -> list[str]:
    problems: list[str] = []
    entries = parse_po(po_path)
    headers = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    if len(headers) != 1:
        return [f"expected one header entry (msgid \"\"), found {len(headers)}"]
    header = headers[0]
    if "fuzzy" in header.flags:
        problems.append(f"header is marked fuzzy ({header.label()})")
    if "charset=UTF-8" not in header.msgstr.get(0, ""):
        problems.append("header does not declare Content-Type: text/plain; charset=UTF-8")
    nplurals = _nplurals(header.msgstr.get(0, ""))
    messages = [e for e in entries if e is not header]

    seen: dict[tuple[str | None, str], Entry] = {}
    for e in messages:
        k = (e.msgctxt, e.msgid)
        if k in seen:
            problems.append(f"duplicate entry: {e.label()} (first at line {seen[k].line})")
        seen[k] = e
        if "fuzzy" in e.flags:
            problems.append(f"fuzzy: {e.label()}")
        if e.msgid_plural is not None:
            forms = sorted(e.msgstr)
            if forms != list(range(nplurals)):
                problems.append(f"needs msgstr[0]..msgstr[{nplurals - 1}]: {e.label()}")
        if any(not s for s in e.msgstr.values()):
            problems.append(f"untranslated: {e.label()}")
            continue
        allowed = set(_NAMED.findall(e.msgid)) | set(_NAMED.findall(e.msgid_plural or ""))
        for n, s in sorted(e.msgstr.items()):
            used = set(_NAMED.findall(s))
            if used - allowed:
                where = "msgstr" if e.msgid_plural is None else f"msgstr[{n}]"
                problems.append(f"unknown placeholder {sorted(used - allowed)} in {where}: "
                                f"{e.label()}")
            if e.msgid_plural is None and allowed - used:
                problems.append(f"missing placeholder {sorted(allowed - used)}: {e.label()}")

    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return [*problems, f"{mo_path} is missing: run compilemessages"]
    with mo_path.open("rb") as f:
        try:
            catalog = dict(gettext.GNUTranslations(f)._catalog)
        except (OSError, UnicodeDecodeError) as exc:
            return [*problems, f"{mo_path} cannot be read: {exc}"]
    catalog.pop("", None)  # the header
    stale = f"{mo_path.name} is stale (run compilemessages)"
    for e in messages:
        if "fuzzy" in e.flags or any(not s for s in e.msgstr.values()):
            # Already reported. msgfmt leaves these out, so the .mo must not translate them.
            keys = [e.key] if e.msgid_plural is None else [(e.key, n) for n in e.msgstr]
            if any(catalog.pop(k, None) is not None for k in keys):
                problems.append(f"{stale}: it translates {e.label()}, which is fuzzy or "
                                "untranslated in the .po")
            continue
        if e.msgid_plural is None:
            got = catalog.pop(e.key, None)
            if got != e.msgstr[0]:
                problems.append(f"{stale}: {e.label()} is {got!r} in the .mo, "
                                f"{e.msgstr[0]!r} in the .po")
        else:
            for n, s in sorted(e.msgstr.items()):
                got = catalog.pop((e.key, n), None)
                if got != s:
                    problems.append(f"{stale}: {e.label()} msgstr[{n}] is {got!r} in the .mo, "
                                    f"{s!r} in the .po")
    for key in catalog:
        msgid = key[0] if isinstance(key, tuple) else key
        problems.append(f"{stale}: it holds {msgid.replace(CONTEXT_SEP, ' | ')!r}, "
                        "which the .po does not")
    return problems


def main(argv: list[str]) -> int:
    po_path = Path(argv[1]).resolve() if len(argv) > 1 else PO
    try:
        rel = po_path.relative_to(ROOT)
    except ValueError:
        rel = po_path
    if not po_path.exists():
        print(f"check_messages: {rel} is missing", file=sys.stderr)
        return 1
    try:
        problems = check(po_path)
    except PoError as exc:
        print(f"check_messages: {exc}", file=sys.stderr)
        return 1
    if problems:
        print(f"check_messages: {rel}: {len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    n = sum(1 for e in parse_po(po_path) if e.msgid or e.msgctxt is not None)
    print(f"check_messages: OK, {n} messages translated in {rel}, .mo up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
