"""Import district boundaries from GeoJSON, GeoPackage or zipped Shapefile into a jurisdiction."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from geo_services.core import services
from geo_services.core.boundary_import import read_boundaries
from geo_services.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import district boundaries (GeoJSON, GeoPackage or zipped Shapefile), reprojected to EPSG:4326, "
        "repairing invalid shapes. Matches districts by code: re-importing updates, never duplicates. "
        "All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the boundary file")
        parser.add_argument("--jurisdiction", required=True, help="jurisdiction code, created if new")
        parser.add_argument("--name-field", required=True, help="field holding the district name (English)")
        parser.add_argument("--name-ar-field", help="field holding the Arabic name (default: the name field)")
        parser.add_argument(
            "--code-field", help="field holding a stable code (default: derived from the name)"
        )
        parser.add_argument("--population-field", help="field holding the population")
        parser.add_argument("--layer", help="layer name inside a GeoPackage or multi-layer file")
        parser.add_argument("--jurisdiction-name-en", help="English name for a new jurisdiction")
        parser.add_argument("--jurisdiction-name-ar", help="Arabic name for a new jurisdiction")
        parser.add_argument(
            "--time-zone",
            default=settings.TIME_ZONE,
            help="IANA time zone for a new jurisdiction (default: %(default)s)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            boundary_file = read_boundaries(
                options["path"],
                name_field=options["name_field"],
                name_ar_field=options["name_ar_field"],
                code_field=options["code_field"],
                population_field=options["population_field"],
                layer=options["layer"],
            )
            self.stdout.write(
                _("Read %(count)d districts from %(name)s (%(crs)s -> EPSG:4326)")
                % {
                    "count": len(boundary_file.records),
                    "name": options["path"].name,
                    "crs": boundary_file.source_crs,
                }
            )
            report = services.import_boundaries(
                boundary_file.records,
                jurisdiction_code=options["jurisdiction"],
                jurisdiction_name_en=options["jurisdiction_name_en"],
                jurisdiction_name_ar=options["jurisdiction_name_ar"],
                time_zone=options["time_zone"],
                dry_run=options["dry_run"],
                progress=lambda records: tqdm(records, desc="districts", unit="district", file=sys.stderr),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except Exception as exc:  # a database refusal, for example: say it plainly, nothing was written
            raise CommandError(_("Import failed, nothing was written: %(reason)s") % {"reason": exc}) from exc
        if report.jurisdiction_created:
            self.stdout.write(_("Created jurisdiction %(code)s") % {"code": options["jurisdiction"]})
        for code, reason in report.repaired:
            self.stdout.write(
                self.style.WARNING(_("Repaired %(code)s: %(reason)s") % {"code": code, "reason": reason})
            )
        if report.not_in_file:
            self.stdout.write(
                _("Not in the file (kept): %(codes)s") % {"codes": ", ".join(report.not_in_file)}
            )
        self.stdout.write(self.style.SUCCESS(_("Districts: %(summary)s") % {"summary": report.summary()}))
