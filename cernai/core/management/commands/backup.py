"""``manage.py backup DIR``: the database (pg_dump snapshot) and the private files, with a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cernai.core.backups import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and MEDIA_ROOT into a new directory (see cernai/core/backups.py)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path, help="a new or empty directory")

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        try:
            manifest = backup(directory)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"backed up database {manifest['database']} ({manifest['dump']['size']} bytes) and "
            f"{len(manifest['media']['files'])} files into {directory}"
        )
