"""Command-line arguments the layer commands share: the layer itself and the selection options.

The selection options are the GET parameters of the layer APIs (layers.selection), so a file
written by `export_layer` holds what the same selection through the API would return.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.http import QueryDict
from django.utils.translation import gettext as _

from layers.registry import Layer, registry
from layers.selection import SELECTION_PARAMETERS

# One option per selection parameter, of the same name (a parameter without help fails at start-up).
SELECTION_OPTION_HELP: Mapping[str, str] = {
    "bbox": "min lon,min lat,max lon,max lat (WGS84)",
    "datetime": "RFC 3339 instant or interval start/end (temporal layers)",
    "district": "district ids or codes, comma-separated",
    "intersects": "a geometry as WKT or GeoJSON (SRID 4326)",
    "within": "a point or line as WKT or GeoJSON, with --distance",
    "distance": "metres from --within",
}


def add_layer_argument(parser: CommandParser) -> None:
    parser.add_argument("layer", help="layer id, e.g. venues")


def layer_from_options(options: Mapping[str, Any]) -> Layer:
    layer = registry.get(options["layer"])
    if layer is None:
        raise CommandError(
            _("There is no layer %(layer)r. Layers: %(known)s.")
            % {"layer": options["layer"], "known": ", ".join(known.id for known in registry.all())}
        )
    return layer


def add_selection_arguments(parser: CommandParser) -> None:
    for name in SELECTION_PARAMETERS:
        parser.add_argument(f"--{name}", help=SELECTION_OPTION_HELP[name])
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="ATTRIBUTE=VALUE",
        help="keep features whose attribute equals the value (repeatable)",
    )


def selection_query(layer: Layer, options: Mapping[str, Any]) -> QueryDict:
    """The selection options as the query string the API would receive, for parse_selection."""
    query = QueryDict(mutable=True)
    for name in SELECTION_PARAMETERS:
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
    return query
