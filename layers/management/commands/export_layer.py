"""Export a layer (or a selection of it) to GeoPackage, zipped Shapefile, GeoJSON or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import QueryDict
from django.utils.translation import gettext as _

from geo_services.core.errors import DomainError
from layers.exports.formats import (
    EXPORT_FORMATS,
    check_export_size,
    format_from_path,
    write_export,
)
from layers.registry import registry
from layers.selection import parse_selection, where_sql

# Command-line options that carry a selection parameter of the same name (see layers.selection).
SELECTION_OPTIONS = ("bbox", "datetime", "district", "intersects", "within", "distance")


class Command(BaseCommand):
    help = (
        "Write a layer's public features, or a selection of them, to a file: GeoPackage (.gpkg), zipped "
        "Shapefile (.zip), GeoJSON (.geojson) or CSV with WKT (.csv). The format follows the file name "
        "unless --format is given. Same files as GET /api/v1/layers/{id}/export/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("layer", help="layer id, e.g. venues")
        parser.add_argument("path", type=Path, help="the file to write (replaced if it exists)")
        parser.add_argument("--format", choices=EXPORT_FORMATS, help="file format (default: from the name)")
        parser.add_argument("--bbox", help="min lon,min lat,max lon,max lat (WGS84)")
        parser.add_argument("--datetime", help="RFC 3339 instant or interval start/end (temporal layers)")
        parser.add_argument("--district", help="district ids or codes, comma-separated")
        parser.add_argument("--intersects", help="a geometry as WKT or GeoJSON (SRID 4326)")
        parser.add_argument("--within", help="a point or line as WKT or GeoJSON, with --distance")
        parser.add_argument("--distance", help="metres from --within")
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="ATTRIBUTE=VALUE",
            help="keep features whose attribute equals the value (repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        layer = registry.get(options["layer"])
        if layer is None:
            raise CommandError(
                _("There is no layer %(layer)r. Layers: %(known)s.")
                % {"layer": options["layer"], "known": ", ".join(layer.id for layer in registry.all())}
            )
        path: Path = options["path"]
        try:
            export_format = options["format"] or format_from_path(path)
            query = QueryDict(mutable=True)
            for name in SELECTION_OPTIONS:
                if options[name] is not None:
                    query[name] = options[name]
            for item in options["filter"]:
                name, separator, value = item.partition("=")
                if not separator or name not in layer.attribute_by_name:
                    raise CommandError(
                        _("--filter takes ATTRIBUTE=VALUE with an attribute of %(layer)s: %(names)s.")
                        % {"layer": layer.id, "names": ", ".join(layer.attribute_by_name)}
                    )
                query[name] = value
            selection = parse_selection(layer, query)
            params: dict[str, Any] = {}
            condition = where_sql(layer, selection, params)
            count = check_export_size(layer, condition, params)
            if not path.parent.is_dir():
                raise CommandError(_("The folder %(folder)s does not exist.") % {"folder": path.parent})
            write_export(layer, condition, params, export_format, path)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Exported %(count)d features of %(layer)s to %(path)s (%(format)s).")
                % {"count": count, "layer": layer.id, "path": path, "format": export_format}
            )
        )
