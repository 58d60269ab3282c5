"""Backups: the database and the uploaded files in one archive, and the way back.

`backup(path)` writes a tar.gz holding

- ``database.sqlite3`` (SQLite, copied by SQLite's online backup API: a consistent snapshot of
  what is committed, WAL included, while the server keeps running) or ``database.dump``
  (PostgreSQL, ``pg_dump -Fc`` in the same snapshot the row counts are taken in);
- ``media/…``: every uploaded file: under MEDIA_ROOT, or every object of the S3-compatible
  store when uploads go there (settings.S3_BUCKET; a cluster), downloaded by the storage API;
- ``manifest.json``: the row count of every table, the latest applied migration of every app and
  the sha256 of every other member.

`restore(path)` checks every checksum and refuses a backup made by newer code (a migration this
code does not have) before it changes anything; then it replaces the database in one transaction
(SQLite: the backup API again, into the live file; PostgreSQL: ``pg_restore --single-transaction``)
and the media folder by renaming a fully written copy into place (an object store: every object
of the archive is written back under its name and objects the archive does not hold are removed,
after the database). Stop `minsheng serve` first.
Used by the `backup` and `restore` commands.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from minsheng.lib.files import is_remote

__all__ = ["BackupError", "backup", "read_manifest", "restore"]

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.dump"
MEDIA = "media"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup that cannot be made or restored; the message is Chinese, for the command line."""


# -- where things are --------------------------------------------------------------------------

def _database(database: dict | None) -> dict:
    return database if database is not None else settings.DATABASES["default"]


def _engine(database: dict) -> str:
    engine = database["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"不支持备份此类数据库：{engine}")


def _media_root(media_root: Path | str | None) -> Path:
    return Path(media_root if media_root is not None else settings.MEDIA_ROOT)


def _remote_storage(media_root: Path | str | None):
    """The object store uploads go to, when they do not go to a local folder (None: a folder).
    An explicit `media_root` always means the folder."""
    if media_root is not None:
        return None
    storage = storages["default"]
    return storage if is_remote(storage) else None


def _stored_names(storage, prefix: str = "") -> Iterator[str]:
    """Every object name of the store, walked with the storage API (django-storages lists an S3
    prefix as directories and files)."""
    dirs, files = storage.listdir(prefix)
    for name in sorted(files):
        yield f"{prefix}{name}"
    for d in sorted(dirs):
        yield from _stored_names(storage, f"{prefix}{d}/")


def _download(storage, into: Path) -> None:
    for name in _stored_names(storage):
        if not _safe_name(name):
            raise BackupError(f"存储中的对象名无法写入备份：{name}")
        target = into.joinpath(*PurePosixPath(name).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)


def _upload(media: Path, storage) -> None:
    """The restored files into the object store under their own names; objects the archive does
    not hold are removed, so the store matches the restored database."""
    keep = set()
    for file in sorted(media.rglob("*")):
        if not file.is_file():
            continue
        name = str(PurePosixPath(*file.relative_to(media).parts))
        keep.add(name)
        if storage.exists(name):
            storage.delete(name)
        with file.open("rb") as f:
            saved = storage.save(name, File(f, name=name))
        if saved != name:
            raise BackupError(f"恢复文件 {name} 时存储改用了其他名称（{saved}）。")
    for name in list(_stored_names(storage)):
        if name not in keep:
            storage.delete(name)


def _pg_tool(name: str) -> str:
    """pg_dump / pg_restore, looked for where scripts/with-postgres looks (newest version first)."""
    candidates = [Path("/usr/local/bin") / name]
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin"):
        found = sorted(Path("/").glob(pattern.lstrip("/")),
                       key=lambda p: [int(x) if x.isdigit() else 0 for x in p.parent.name.split(".")],
                       reverse=True)
        candidates += [d / name for d in found]
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return str(candidate)
    on_path = shutil.which(name)
    if on_path is None:
        raise BackupError(f"找不到 PostgreSQL 工具 {name}：请安装 postgresql-client。")
    return on_path


def _pg_env(database: dict) -> dict[str, str]:
    """libpq's variables for `database` (the password never appears on a command line)."""
    params = connections["default"].get_connection_params() if database is \
        settings.DATABASES["default"] else _pg_params(database)
    env = {**os.environ}
    for key, var in (("dbname", "PGDATABASE"), ("user", "PGUSER"), ("password", "PGPASSWORD"),
                     ("host", "PGHOST"), ("port", "PGPORT")):
        if params.get(key):
            env[var] = str(params[key])
    return env


def _pg_params(database: dict) -> dict:
    options = database.get("OPTIONS", {})
    return {"dbname": database.get("NAME"), "user": database.get("USER"),
            "password": database.get("PASSWORD"),
            "host": database.get("HOST") or options.get("host"),
            "port": database.get("PORT") or options.get("port")}


def _sqlite_connect(name: str, **kwargs) -> sqlite3.Connection:
    return sqlite3.connect(name, uri=str(name).startswith("file:"), timeout=20, **kwargs)


# -- what is in a database ---------------------------------------------------------------------

def _counts_and_migrations(cursor, tables: list[str], quote) -> tuple[dict, dict]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (names from the catalogue)
        counts[table] = cursor.fetchone()[0]
    latest: dict[str, str] = {}
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations")
        for app, name in cursor.fetchall():
            latest[app] = max(latest.get(app, ""), name)
    return counts, dict(sorted(latest.items()))


def _sqlite_contents(path: Path) -> tuple[dict, dict]:
    with _closing(_sqlite_connect(str(path))) as con:
        cursor = con.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                       "AND name NOT LIKE 'sqlite_%'")
        tables = [row[0] for row in cursor.fetchall()]
        return _counts_and_migrations(cursor, tables, lambda n: '"' + n.replace('"', '""') + '"')


@contextmanager
def _closing(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    try:
        yield con
    finally:
        con.close()


# -- backup ------------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _backup_sqlite(database: dict, into: Path) -> tuple[dict, dict]:
    target = into / SQLITE_MEMBER
    with _closing(_sqlite_connect(database["NAME"])) as source, \
            _closing(sqlite3.connect(target)) as copy:
        source.backup(copy)  # one step: a consistent snapshot of the committed state
    return _sqlite_contents(target)


def _backup_postgres(database: dict, into: Path) -> tuple[dict, dict]:
    """Counts and pg_dump in one exported snapshot, so the manifest describes the dump exactly."""
    conn = connections["default"].copy() if database is settings.DATABASES["default"] else None
    if conn is None:
        raise BackupError("PostgreSQL 备份只支持当前配置的数据库。")
    try:
        with conn.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            tables = conn.introspection.table_names(cursor)
            contents = _counts_and_migrations(cursor, tables, conn.ops.quote_name)
            run = subprocess.run(
                [_pg_tool("pg_dump"), "-Fc", "--no-owner", f"--snapshot={snapshot}",
                 "-f", str(into / POSTGRES_MEMBER)],
                env=_pg_env(database), capture_output=True, text=True, check=False)
            cursor.execute("COMMIT")
    finally:
        conn.close()
    if run.returncode != 0:
        raise BackupError(f"pg_dump 失败：{run.stderr.strip()}")
    return contents


def backup(path: Path | str, *, database: dict | None = None,
           media_root: Path | str | None = None) -> dict:
    """Write the database and the uploaded files to the archive `path`; returns the manifest."""
    path = Path(path)
    remote = _remote_storage(media_root)
    database, media = _database(database), _media_root(media_root)
    engine = _engine(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as tmp:
        work = Path(tmp)
        if remote is not None:  # the objects come down first, into the work folder
            media = work / MEDIA
            media.mkdir()
            _download(remote, media)
        if engine == "sqlite":
            counts, migrations = _backup_sqlite(database, work)
            members = {SQLITE_MEMBER: work / SQLITE_MEMBER}
        else:
            counts, migrations = _backup_postgres(database, work)
            members = {POSTGRES_MEMBER: work / POSTGRES_MEMBER}
        if media.is_dir():
            for file in sorted(media.rglob("*")):
                if file.is_file() and not file.is_symlink():
                    members[str(PurePosixPath(MEDIA, *file.relative_to(media).parts))] = file
        manifest = {
            "format": FORMAT,
            "created": timezone.now().isoformat(timespec="seconds"),
            "engine": engine,
            "database": SQLITE_MEMBER if engine == "sqlite" else POSTGRES_MEMBER,
            "tables": counts,
            "migrations": migrations,
            "files": {name: _sha256(file) for name, file in members.items()},
        }
        partial = work / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            for name, file in members.items():
                tar.add(file, arcname=name, recursive=False)
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(dt.datetime.now(dt.UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
        os.replace(partial, path)  # a half-written archive never carries the final name
    return manifest


# -- restore -----------------------------------------------------------------------------------

def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(tar.extractfile(MANIFEST))
    except (KeyError, ValueError, TypeError):
        raise BackupError("备份文件中没有可读的 manifest.json：这不是民生的备份文件。") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式 {manifest.get('format')!r} 不受支持。")
    return manifest


def _check_migrations(manifest: dict) -> None:
    """Refuse a backup made by newer code: a migration this code does not have."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    newer = [f"{app}.{name}" for app, name in manifest.get("migrations", {}).items()
             if (app, name) not in known]
    if newer:
        raise BackupError(
            "备份来自较新版本的民生（本程序没有这些数据库迁移："
            + "、".join(sorted(newer)) + "）。请先升级程序再恢复；未做任何更改。")


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts


def _extract_verified(tar: tarfile.TarFile, manifest: dict, into: Path) -> None:
    """Every member to `into`, each checked against the manifest; nothing missing or extra."""
    expected = dict(manifest.get("files", {}))
    for member in tar.getmembers():
        if member.name == MANIFEST:
            continue
        if not member.isfile() or not _safe_name(member.name) or member.name not in expected:
            raise BackupError(f"备份文件中有清单之外的内容：{member.name}。未做任何更改。")
        target = into / member.name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with tar.extractfile(member) as src, target.open("wb") as dst:
            while block := src.read(CHUNK):
                digest.update(block)
                dst.write(block)
        if digest.hexdigest() != expected.pop(member.name):
            raise BackupError(f"备份文件已损坏或被改动：{member.name} 的校验和不符。未做任何更改。")
    if expected:
        raise BackupError("备份文件不完整，缺少：" + "、".join(sorted(expected)) + "。未做任何更改。")


def _same_sqlite_file(a: str, b: str) -> bool:
    return not str(a).startswith("file:") and Path(a).resolve() == Path(b).resolve()


def _restore_sqlite(database: dict, copy: Path, manifest: dict) -> None:
    counts, _ = _sqlite_contents(copy)
    if counts != manifest["tables"]:
        raise BackupError("备份中的数据库与清单的行数不符。未做任何更改。")
    # Django's connections to this file close first (they reopen on their next query); then the
    # backup API writes the whole copy into the live file in one transaction, which SQLite makes
    # safe for the WAL and for any reader, where renaming a file over a WAL database is not.
    for conn in connections.all(initialized_only=True):
        if conn.vendor == "sqlite" and _same_sqlite_file(conn.settings_dict["NAME"],
                                                         database["NAME"]):
            conn.close()
    Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    with _closing(sqlite3.connect(copy)) as source, \
            _closing(_sqlite_connect(database["NAME"])) as live:
        source.backup(live)


def _restore_postgres(database: dict, dump: Path) -> None:
    if database is settings.DATABASES["default"]:
        connections["default"].close()
    run = subprocess.run(
        [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", "-d", _pg_env(database)["PGDATABASE"],
         str(dump)],
        env=_pg_env(database), capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise BackupError(f"pg_restore 失败（数据库未改动）：{run.stderr.strip()}")


def _swap_media(new: Path, media: Path) -> None:
    """The restored folder takes MEDIA_ROOT's name by rename; the old one goes after."""
    media.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(dir=media.parent, prefix=f".{media.name}-restore-"))
    staged.rmdir()
    shutil.move(new, staged)  # onto MEDIA_ROOT's file system, so the renames below are atomic
    old = None
    if media.exists():
        old = staged.with_name(staged.name.replace("-restore-", "-old-"))
        media.rename(old)
    staged.rename(media)
    if old is not None:
        shutil.rmtree(old)


def restore(path: Path | str, *, database: dict | None = None,
            media_root: Path | str | None = None) -> dict:
    """Replace the database and the uploaded files with the archive `path`; returns its manifest.

    Nothing changes unless every checksum matches and the code knows every migration in it."""
    remote = _remote_storage(media_root)
    database, media = _database(database), _media_root(media_root)
    engine = _engine(database)
    try:
        tar = tarfile.open(path, "r:gz")  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as e:
        raise BackupError(f"无法读取备份文件 {path}：{e}") from None
    media.parent.mkdir(parents=True, exist_ok=True)
    # The work folder sits beside MEDIA_ROOT, so the restored media move in by rename.
    with tar, tempfile.TemporaryDirectory(dir=media.parent, prefix=".restore-") as tmp:
        manifest = read_manifest(tar)
        if manifest.get("engine") != engine:
            raise BackupError(f"这是 {manifest.get('engine')} 数据库的备份，当前数据库是 {engine}。"
                              "未做任何更改。")
        _check_migrations(manifest)
        work = Path(tmp)
        _extract_verified(tar, manifest, work)
        (work / MEDIA).mkdir(exist_ok=True)
        if engine == "sqlite":
            _restore_sqlite(database, work / SQLITE_MEMBER, manifest)
        else:
            _restore_postgres(database, work / POSTGRES_MEMBER)
        if remote is not None:
            _upload(work / MEDIA, remote)
        else:
            _swap_media(work / MEDIA, media)
    return manifest
