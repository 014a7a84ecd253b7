"""Backup and restore of the database and the private files (quality.md T21).

A backup is a directory:

- ``database.dump``: ``pg_dump --format=custom`` (one transaction, a consistent snapshot), taken
  first; files written after it are extra in the archive but never missing for a row of the dump
  (private files are written before the rows that name them and never rewritten).
- ``media.tar``: every file under ``MEDIA_ROOT``.
- ``manifest.json``: when, from which database, the applied migrations, and the SHA-256 and size of
  the dump and of every file; restore refuses an archive whose contents do not match it.

Restore goes into an *empty* database (and an empty media directory): it never merges into or
overwrites live data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
from django.conf import settings
from django.db import connection

DUMP = "database.dump"
MEDIA = "media.tar"
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Refusal of a backup or restore, with the reason for the operator."""


@dataclass(frozen=True)
class Database:
    name: str
    host: str
    port: str
    user: str
    password: str

    @classmethod
    def from_settings(cls, alias_settings: Mapping[str, Any]) -> Database:
        return cls(
            name=str(alias_settings["NAME"]),
            host=str(alias_settings.get("HOST") or "127.0.0.1"),
            port=str(alias_settings.get("PORT") or "5432"),
            user=str(alias_settings.get("USER") or "postgres"),
            password=str(alias_settings.get("PASSWORD") or ""),
        )

    @classmethod
    def from_url(cls, url: str) -> Database:
        parsed = urlparse(url)
        if parsed.scheme not in {"postgres", "postgresql"} or not parsed.path.strip("/"):
            raise BackupError(f"--database-url: expected postgres://user@host:port/name, got {url!r}")
        return cls(
            name=parsed.path.strip("/"),
            host=parsed.hostname or "127.0.0.1",
            port=str(parsed.port or 5432),
            user=parsed.username or "postgres",
            password=parsed.password or "",
        )

    def args(self) -> list[str]:
        return ["--host", self.host, "--port", self.port, "--username", self.user, "--dbname", self.name]

    def env(self) -> dict[str, str]:
        return {**os.environ, "PGPASSWORD": self.password} if self.password else dict(os.environ)

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, password=self.password or None, dbname=self.name
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _run(command: list[str], database: Database) -> None:
    result = subprocess.run(command, env=database.env(), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[:2000]}")


def _applied_migrations() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app || '.' || name FROM django_migrations ORDER BY app, name")
        return [row[0] for row in cursor.fetchall()]


def backup(target: Path, *, media_root: Path | None = None) -> dict[str, Any]:
    """Write a backup of the default database and ``MEDIA_ROOT`` into the new directory ``target``."""
    media_root = Path(media_root or settings.MEDIA_ROOT)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target}: the backup directory must be new or empty")
    target.mkdir(parents=True, exist_ok=True)
    database = Database.from_settings(settings.DATABASES["default"])
    started = datetime.now(UTC)
    # 1. The database, as one snapshot.
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target / DUMP), *database.args()], database)
    # 2. The files, after the dump: every row of the dump finds its file.
    files: dict[str, dict[str, Any]] = {}
    with tarfile.open(target / MEDIA, "w") as archive:
        if media_root.exists():
            for path in sorted(p for p in media_root.rglob("*") if p.is_file() and not p.is_symlink()):
                name = path.relative_to(media_root).as_posix()
                files[name] = {"sha256": sha256_of(path), "size": path.stat().st_size}
                archive.add(path, arcname=name, recursive=False)
    manifest = {
        "format": 1,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "database": database.name,
        "migrations": _applied_migrations(),
        "dump": {"file": DUMP, "sha256": sha256_of(target / DUMP), "size": (target / DUMP).stat().st_size},
        "media": {"file": MEDIA, "files": files},
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def _check_archive(source: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError as exc:
        raise BackupError(f"{source}: no {MANIFEST}: not a backup made by `manage.py backup`") from exc
    if sha256_of(source / DUMP) != manifest["dump"]["sha256"]:
        raise BackupError(f"{DUMP}: its SHA-256 does not match the manifest (damaged or altered)")
    with tarfile.open(source / MEDIA) as archive:
        names = {member.name for member in archive.getmembers() if member.isfile()}
    if names != set(manifest["media"]["files"]):
        raise BackupError(f"{MEDIA}: its files are not the ones the manifest lists")
    return manifest


def _is_empty(database: Database) -> bool:
    with database.connect() as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
    return bool(row and row[0] == 0)


def restore(source: Path, *, database: Database, media_root: Path) -> dict[str, Any]:
    """Restore the backup in ``source`` into the empty ``database`` and the empty ``media_root``."""
    manifest = _check_archive(source)
    if not _is_empty(database):
        raise BackupError(f"database {database.name}: not empty; restore only into a new, empty database")
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"{media_root}: not empty; restore files only into a new, empty directory")
    _run(
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", *database.args(),
         str(source / DUMP)],
        database,
    )  # fmt: skip
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / MEDIA) as archive:
        archive.extractall(media_root, filter="data")
    for name, expected in manifest["media"]["files"].items():
        if sha256_of(media_root / name) != expected["sha256"]:
            shutil.rmtree(media_root / name, ignore_errors=True)
            raise BackupError(f"{name}: restored content does not match the manifest")
    return manifest
