"""Export a layer (or a selection of it) to GeoPackage, zipped Shapefile, GeoJSON or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from geo_services.core.errors import DomainError
from layers.exports.formats import (
    EXPORT_FORMATS,
    check_export_size,
    format_from_path,
    write_export,
)
from layers.management.arguments import (
    add_layer_argument,
    add_selection_arguments,
    layer_from_options,
    selection_query,
)
from layers.selection import parse_selection, where_sql


class Command(BaseCommand):
    help = (
        "Write a layer's public features, or a selection of them, to a file: GeoPackage (.gpkg), zipped "
        "Shapefile (.zip), GeoJSON (.geojson) or CSV with WKT (.csv). The format follows the file name "
        "unless --format is given. Same files as GET /api/v1/layers/{id}/export/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_layer_argument(parser)
        parser.add_argument("path", type=Path, help="the file to write (replaced if it exists)")
        parser.add_argument("--format", choices=EXPORT_FORMATS, help="file format (default: from the name)")
        add_selection_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        layer = layer_from_options(options)
        path: Path = options["path"]
        try:
            export_format = options["format"] or format_from_path(path)
            selection = parse_selection(layer, selection_query(layer, options))
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
