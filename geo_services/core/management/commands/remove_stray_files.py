"""python manage.py remove_stray_files [--older-than HOURS] [--delete] — uploaded files no row names."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from geo_services.core.stray_files import DEFAULT_GRACE, remove, stray_files


class Command(BaseCommand):
    help = (
        "List the uploaded files (photos) that no row names, left by a write killed before its commit; "
        "with --delete, remove them. Files newer than --older-than hours are never taken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=DEFAULT_GRACE.total_seconds() / 3600,
            metavar="HOURS",
            help="only files last written more than this many hours ago (default: %(default)s)",
        )
        parser.add_argument("--delete", action="store_true", help="remove them (default: only list them)")

    def handle(self, *args: Any, **options: Any) -> None:
        found = stray_files(grace=timedelta(hours=max(options["older_than"], 0)))
        for stray in found:
            self.stdout.write(f"{stray.name} ({stray.size} bytes)")
        summary = {"count": len(found), "bytes": sum(stray.size for stray in found)}
        if options["delete"]:
            remove(found)
            self.stdout.write(
                self.style.SUCCESS(_("%(count)d stray files removed (%(bytes)d bytes).") % summary)
            )
        else:
            self.stdout.write(
                _("%(count)d stray files (%(bytes)d bytes); nothing removed (dry run: add --delete).")
                % summary
            )
