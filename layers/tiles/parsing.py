"""The parts of a tile address, parsed once into checked numbers; anything else is a 4xx that says why."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from geo_services.core.errors import InvalidInput

TILE_FORMAT = "mvt"
TILEJSON_FORMAT = "json"
# Nine digits hold every column and row up to zoom 29, far past any zoom served.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class TileAddress:
    """A tile that exists in the Web Mercator pyramid: 0 <= z <= the deepest zoom served, x and y in 0..2^z-1."""

    z: int
    x: int
    y: int


def split_format(name: str, expected: str) -> str:
    """`venues.json` -> `venues`, `1660.mvt` -> `1660`; a missing or other extension is refused."""
    stem, dot, extension = name.rpartition(".")
    if not dot or extension != expected:
        raise InvalidInput(
            _(
                "%(name)r does not end in .%(expected)s. A tile is at /tiles/{layer}/{z}/{x}/{y}.mvt"
                " and a layer's TileJSON at /tiles/{layer}.json."
            )
            % {"name": name[:40], "expected": expected},
            code="unknown_format",
        )
    return stem


def parse_tile_address(raw_z: str, raw_x: str, raw_y: str, *, max_zoom: int) -> TileAddress:
    if not _WHOLE_NUMBER.fullmatch(raw_z) or int(raw_z) > max_zoom:
        raise InvalidInput(
            _("The zoom level must be a whole number from 0 to %(max_zoom)s, not %(value)r.")
            % {"max_zoom": max_zoom, "value": raw_z[:20]},
            code="invalid_tile_address",
        )
    z = int(raw_z)
    last = 2**z - 1
    x = _tile_index(raw_x, z=z, last=last, name="x")
    y = _tile_index(raw_y, z=z, last=last, name="y")
    return TileAddress(z, x, y)


def _tile_index(raw: str, *, z: int, last: int, name: str) -> int:
    if not _WHOLE_NUMBER.fullmatch(raw) or int(raw) > last:
        raise InvalidInput(
            _("At zoom %(z)s the tile %(name)s must be a whole number from 0 to %(last)s, not %(value)r.")
            % {"z": z, "name": name, "last": last, "value": raw[:20]},
            code="invalid_tile_address",
        )
    return int(raw)
