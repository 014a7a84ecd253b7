"""``manage.py restore DIR``: a backup into an empty database and an empty media directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cernai.core.backups import BackupError, Database, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into an empty database (default: this settings' "
        "database) and an empty media directory (default: MEDIA_ROOT). Never merges into live data."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--database-url", help="postgres://user@host:port/name of the empty target database")
        parser.add_argument("--media-root", type=Path, help="the empty directory for the files")

    def handle(self, *args: Any, directory: Path, database_url: str | None, media_root: Path | None, **_: Any) -> None:
        try:
            if database_url:
                database = Database.from_url(database_url)
            else:
                database = Database.from_settings(settings.DATABASES["default"])
            manifest = restore(directory, database=database, media_root=media_root or Path(settings.MEDIA_ROOT))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restored {directory} (taken {manifest['started_at']}) into database {database.name} "
            f"and {len(manifest['media']['files'])} files"
        )
