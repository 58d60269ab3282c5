"""Backups: copying the running SQLite file without its WAL lost committed rows. `minsheng backup`
takes a consistent snapshot with the database's own tools, with the uploaded files and a manifest
of row counts, migrations and checksums; `minsheng restore` refuses a damaged archive or one from
newer code before changing anything."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection

from minsheng.web.backup import BackupError, backup, restore

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent.parent
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backup path")
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="runs in the PostgreSQL pass (DATABASE_URL)")


def sqlite_db(path: Path) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


def counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {n: con.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}  # noqa: S608
    finally:
        con.close()


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def rewrite(archive: Path, files: dict[str, bytes]) -> None:
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="session")
def demo_file(django_db_setup, django_db_blocker, tmp_path_factory) -> Path:
    """The demo test database as a file, copied once outside any test's transaction (the backup
    API waits forever on a source connection that is inside a write transaction)."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
    return path


@pytest.fixture
def live_sqlite(tmp_path, demo_file) -> Path:
    """The demo database as a WAL-mode file, as `minsheng serve` runs it."""
    path = tmp_path / "live.sqlite3"
    shutil.copy(demo_file, path)
    copy = sqlite3.connect(path)
    copy.execute("PRAGMA journal_mode=WAL")
    copy.close()
    return path


@pytest.fixture
def media(tmp_path) -> Path:
    root = tmp_path / "media"
    (root / "photos").mkdir(parents=True)
    (root / "photos" / "进度.jpg").write_bytes(b"\xff\xd8photo")
    (root / "evidence.pdf").write_bytes(b"%PDF-1.4 evidence")
    return root


@pytest.fixture
def archive(tmp_path, live_sqlite, media) -> Path:
    out = tmp_path / "backup.tar.gz"
    backup(out, database=sqlite_db(live_sqlite), media_root=media)
    return out


@sqlite_only
def test_a_backup_during_a_write_has_every_committed_row_and_no_uncommitted_one(
        tmp_path, live_sqlite, media):
    writer = sqlite3.connect(live_sqlite, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")  # committed rows stay in the WAL
    writer.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, note TEXT)")
    writer.executemany("INSERT INTO probe (note) VALUES (?)", [("committed",)] * 100)
    other = sqlite3.connect(live_sqlite, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO probe (note) VALUES ('uncommitted')")

    naive = tmp_path / "copied.sqlite3"
    shutil.copy(live_sqlite, naive)  # what was done before: the rows are in the WAL, not here
    assert "probe" not in counts(naive)

    out = tmp_path / "backup.tar.gz"
    manifest = backup(out, database=sqlite_db(live_sqlite), media_root=media)
    other.rollback()
    other.close()
    writer.close()
    restored = tmp_path / "check.sqlite3"
    restored.write_bytes(members(out)["database.sqlite3"])
    con = sqlite3.connect(restored)
    assert con.execute("SELECT note, COUNT(*) FROM probe GROUP BY note").fetchall() == \
        [("committed", 100)]
    con.close()
    assert manifest["tables"]["probe"] == 100
    assert manifest["tables"]["places_region"] > 500
    assert manifest["migrations"]["cases"].startswith("00")
    assert set(manifest["files"]) == {"database.sqlite3", "media/photos/进度.jpg",
                                      "media/evidence.pdf"}
    assert json.loads(members(out)["manifest.json"]) == manifest


@sqlite_only
def test_a_restore_brings_back_the_same_rows_and_files(tmp_path, archive):
    target, target_media = tmp_path / "restored.sqlite3", tmp_path / "media2"
    (target_media / "old").mkdir(parents=True)
    (target_media / "old" / "stale.txt").write_text("from before")
    manifest = restore(archive, database=sqlite_db(target), media_root=target_media)
    assert counts(target) == manifest["tables"]
    assert (target_media / "photos" / "进度.jpg").read_bytes() == b"\xff\xd8photo"
    assert not (target_media / "old").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no work left behind


@sqlite_only
def test_a_restore_over_a_live_database_replaces_it(tmp_path, archive, live_sqlite):
    con = sqlite3.connect(live_sqlite)
    con.execute("DELETE FROM places_region")
    con.commit()
    con.close()
    manifest = restore(archive, database=sqlite_db(live_sqlite), media_root=tmp_path / "m")
    assert counts(live_sqlite) == manifest["tables"]


def _unchanged_target(tmp_path) -> tuple[Path, Path, bytes]:
    target, target_media = tmp_path / "target.sqlite3", tmp_path / "target-media"
    con = sqlite3.connect(target)
    con.execute("CREATE TABLE keep (x)")
    con.commit()
    con.close()
    target_media.mkdir()
    (target_media / "keep.txt").write_text("keep")
    return target, target_media, target.read_bytes()


@sqlite_only
def test_a_tampered_archive_is_refused_and_nothing_changes(tmp_path, archive):
    target, target_media, before = _unchanged_target(tmp_path)
    files = members(archive)
    files["media/evidence.pdf"] = b"%PDF-1.4 forged"
    rewrite(archive, files)
    with pytest.raises(BackupError, match="校验和不符"):
        restore(archive, database=sqlite_db(target), media_root=target_media)
    assert target.read_bytes() == before
    assert [p.name for p in target_media.iterdir()] == ["keep.txt"]


@sqlite_only
def test_an_archive_with_a_file_the_manifest_does_not_list_is_refused(tmp_path, archive):
    target, target_media, before = _unchanged_target(tmp_path)
    files = members(archive)
    files["../../escape.txt"] = b"x"
    rewrite(archive, files)
    with pytest.raises(BackupError, match="清单之外"):
        restore(archive, database=sqlite_db(target), media_root=target_media)
    assert target.read_bytes() == before
    assert not (tmp_path.parent / "escape.txt").exists()


@sqlite_only
def test_a_backup_from_newer_code_is_refused_and_nothing_changes(tmp_path, archive):
    target, target_media, before = _unchanged_target(tmp_path)
    files = members(archive)
    manifest = json.loads(files["manifest.json"])
    manifest["migrations"]["cases"] = "9999_from_newer_code"
    files["manifest.json"] = json.dumps(manifest).encode()
    rewrite(archive, files)
    with pytest.raises(BackupError, match="较新版本") as e:
        restore(archive, database=sqlite_db(target), media_root=target_media)
    assert "cases.9999_from_newer_code" in str(e.value)
    assert target.read_bytes() == before
    assert [p.name for p in target_media.iterdir()] == ["keep.txt"]


@sqlite_only
def test_the_commands_back_up_and_restore(tmp_path, live_sqlite, media):
    def minsheng(*args: str, sqlite: Path, media_root: Path) -> subprocess.CompletedProcess:
        env = {**os.environ, "MINSHENG_SQLITE_PATH": str(sqlite),
               "MINSHENG_MEDIA_ROOT": str(media_root)}
        env.pop("DATABASE_URL", None)
        return subprocess.run([sys.executable, "-m", "minsheng.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=False)

    out = tmp_path / "nightly.tar.gz"
    made = minsheng("backup", str(out), sqlite=live_sqlite, media_root=media)
    assert made.returncode == 0, made.stderr
    assert "已备份到" in made.stdout and "2 个上传文件" in made.stdout
    target = tmp_path / "elsewhere.sqlite3"
    back = minsheng("restore", str(out), sqlite=target, media_root=tmp_path / "m2")
    assert back.returncode == 0, back.stderr
    assert counts(target) == counts(live_sqlite)
    refused = minsheng("restore", str(tmp_path / "missing.tar.gz"), sqlite=target,
                       media_root=tmp_path / "m2")
    assert refused.returncode != 0 and "无法读取备份文件" in refused.stderr


@postgres_only
def test_postgres_backup_restores_into_another_database(tmp_path, media):
    out = tmp_path / "pg.tar.gz"
    manifest = backup(out, media_root=media)
    assert "database.dump" in manifest["files"]
    assert manifest["tables"]["places_region"] > 500
    params = connection.get_connection_params()
    server = {k: params[k] for k in ("user", "password", "host", "port") if params.get(k)}
    name = f"{settings.DATABASES['default']['NAME']}_restore"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        target = {**settings.DATABASES["default"], "NAME": name}
        restore(out, database=target, media_root=tmp_path / "m2")
        with psycopg.connect(dbname=name, **server) as con:
            restored = {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]  # noqa: S608
                        for t in manifest["tables"]}
        assert restored == manifest["tables"]
        assert (tmp_path / "m2" / "evidence.pdf").read_bytes() == b"%PDF-1.4 evidence"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@sqlite_only
def test_a_clusters_object_store_is_backed_up_and_restored(tmp_path, live_sqlite, s3):
    """Uploads on an S3-compatible store (a cluster): the backup downloads every object with
    its checksum, and a restore writes them back under their names and removes what the
    archive does not hold, so the store matches the restored database."""
    s3.save("photos/进度.jpg", ContentFile(b"\xff\xd8photo"))
    s3.save("cases/2026/evidence.pdf", ContentFile(b"%PDF-1.4 evidence"))
    out = tmp_path / "cluster.tar.gz"
    manifest = backup(out, database=sqlite_db(live_sqlite))
    assert sorted(n for n in manifest["files"] if n.startswith("media/")) == [
        "media/cases/2026/evidence.pdf", "media/photos/进度.jpg"]
    # after the backup: one object changed, one added, one removed
    s3.delete("photos/进度.jpg")
    s3.save("photos/进度.jpg", ContentFile(b"overwritten"))
    s3.save("later/new.txt", ContentFile(b"after the backup"))
    s3.delete("cases/2026/evidence.pdf")
    target = tmp_path / "restored.sqlite3"
    restore(out, database=sqlite_db(target))
    assert counts(target) == manifest["tables"]
    assert s3.open("photos/进度.jpg").read() == b"\xff\xd8photo"
    assert s3.open("cases/2026/evidence.pdf").read() == b"%PDF-1.4 evidence"
    assert not s3.exists("later/new.txt")
    # nothing was written to the local MEDIA_ROOT on the way
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
