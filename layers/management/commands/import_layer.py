"""Import a GeoJSON, GeoPackage, zipped Shapefile or CSV (WKT) file into a registered layer."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from geo_services.core.errors import DomainError
from layers.imports import ImportReport, import_layer_file, parse_assignments
from layers.management.arguments import add_layer_argument, layer_from_options

# Problems printed on the terminal; all of them go to --report.
PRINTED_PROBLEMS = 50


class Command(BaseCommand):
    help = (
        "Import features into a layer from GeoJSON, GeoPackage, a zipped Shapefile or a CSV with a WKT "
        "column, reprojected to EPSG:4326. Every row is checked first (required values, geometry, inside "
        "the jurisdiction's districts, duplicates); one bad row and nothing is written. Every row becomes "
        "a new feature (the file's id is not imported): importing the same file twice reports each row "
        "whose unique code already exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_layer_argument(parser)
        parser.add_argument("path", type=Path, help="the file to import")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="SOURCE=FIELD",
            help="read the layer's FIELD from the file's SOURCE field (default: the field of the same name)",
        )
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="give FIELD this value in every row, e.g. jurisdiction=amman",
        )
        parser.add_argument("--layer", dest="source_layer", help="layer name inside a GeoPackage")
        parser.add_argument(
            "--source-epsg",
            type=int,
            metavar="N",
            help="EPSG code of the file's coordinates, for a file that does not say (a CSV, a .shp without .prj)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--report", type=Path, help="write the problems found to this CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        layer = layer_from_options(options)
        try:
            report = import_layer_file(
                layer,
                options["path"],
                field_map=parse_assignments(options["map"], option="--map"),
                constants=parse_assignments(options["set"], option="--set"),
                source_layer=options["source_layer"],
                source_epsg=options["source_epsg"],
                dry_run=options["dry_run"],
                progress=lambda rows: tqdm(rows, desc=layer.id, unit="row", file=sys.stderr),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except Exception as exc:  # a database refusal, for example: say it plainly, nothing was written
            raise CommandError(_("Import failed, nothing was written: %(reason)s") % {"reason": exc}) from exc
        if options["report"]:
            write_report(report, options["report"])
        self.print_report(report, options["path"], options["report"])

    def print_report(self, report: ImportReport, path: Path, report_path: Path | None) -> None:
        self.stdout.write(
            _("Read %(rows)d rows from %(name)s (%(crs)s -> EPSG:4326)")
            % {"rows": report.rows, "name": path.name, "crs": report.source_crs}
        )
        if report.ignored_fields:
            self.stdout.write(
                _("Not imported (no field of that name in %(layer)s; use --map): %(fields)s")
                % {"layer": report.layer_id, "fields": ", ".join(report.ignored_fields)}
            )
        if report.replaced_fields:
            self.stdout.write(
                _("Replaced by --set: %(fields)s") % {"fields": ", ".join(report.replaced_fields)}
            )
        for problem in report.problems[:PRINTED_PROBLEMS]:
            self.stdout.write(
                self.style.ERROR(
                    _("Row %(row)d, %(field)s: %(message)s")
                    % {"row": problem.row, "field": problem.field or "-", "message": problem.message}
                )
            )
        if len(report.problems) > PRINTED_PROBLEMS:
            self.stdout.write(
                _("… and %(count)d more problems.") % {"count": len(report.problems) - PRINTED_PROBLEMS}
            )
        if report.problems:
            message = _("%(layer)s: %(rejected)d of %(rows)d rows rejected; nothing was written.") % {
                "layer": report.layer_id,
                "rejected": report.rejected_rows,
                "rows": report.rows,
            }
            if report_path:
                message += " " + _("The report is in %(path)s.") % {"path": report_path}
            raise CommandError(message)
        if report.dry_run:
            summary = _("%(layer)s: %(rows)d rows valid, 0 rejected (dry run: nothing was written).")
        else:
            summary = _("%(layer)s: %(rows)d created, 0 rejected.")
        self.stdout.write(self.style.SUCCESS(summary % {"layer": report.layer_id, "rows": report.rows}))


def write_report(report: ImportReport, path: Path) -> None:
    """The problems as CSV (row, field, message), UTF-8 with BOM like the CSV exports; a header only when none."""
    with path.open("w", newline="", encoding="utf-8-sig") as output:
        writer = csv.writer(output)
        writer.writerow(["row", "field", "message"])
        for problem in report.problems:
            writer.writerow([problem.row, problem.field, problem.message])
