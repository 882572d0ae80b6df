"""python manage.py restore_database PATH --into NAME — a backup restored into a new database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geo_services.core.backups import restore_database
from geo_services.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Restore a pg_dump archive into a new database on the project's server, all or nothing, and "
        "list the rows of each table. Point DATABASE_URL at it to use it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the archive (from backup_database)")
        parser.add_argument("--into", required=True, help="the new database's name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = restore_database(Path(options["path"]), into=options["into"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for table, count in report.table_counts.items():
            self.stdout.write(f"{table}\t{count}")
        self.stdout.write(self.style.SUCCESS(f"restored into {report.database}"))
