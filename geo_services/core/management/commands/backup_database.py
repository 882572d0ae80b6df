"""python manage.py backup_database [PATH] — the project's database as a pg_dump archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geo_services.core.backups import default_backup_path, dump_database, table_counts
from geo_services.core.errors import DomainError


class Command(BaseCommand):
    help = "Write the project's database to a pg_dump archive (custom format); default: AMANAH_BACKUP_DIR."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="the archive to write (default: a dated file)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"]) if options["path"] else default_backup_path()
        try:
            dump_database(path)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        rows = sum(table_counts().values())
        self.stdout.write(self.style.SUCCESS(f"{path} ({path.stat().st_size} bytes, {rows} rows)"))
