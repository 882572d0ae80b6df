"""Parsing of raw request values into typed ones, once, at the edge.

Below the edge, code trusts its arguments: a Point built here is finite, in range, (lon, lat)
ordered and carries SRID 4326.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _

from geo_services.core.errors import InvalidInput
from geo_services.core.models import STORAGE_SRID


def parse_float(raw: object, *, name: str) -> float:
    """A finite number; rejects nan/inf, which float() would happily accept."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        raise InvalidInput(_("%(name)s is required.") % {"name": name}, code="missing_parameter")
    if isinstance(raw, bool):
        raise InvalidInput(_("%(name)s must be a number.") % {"name": name})
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(
            _("%(name)s must be a number, not %(value)r.") % {"name": name, "value": str(raw)[:50]}
        ) from None
    if not math.isfinite(value):
        raise InvalidInput(_("%(name)s must be a finite number.") % {"name": name})
    return value


@dataclass(frozen=True)
class BBox:
    """A checked WGS84 box: finite, in range, min <= max, in (lon, lat) order."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


class LonLat(NamedTuple):
    """A checked WGS84 position without a GEOS object (x = longitude, y = latitude, like Point).

    For the hottest read, the district lookup, where building a GEOS Point costs more than it gives.
    """

    x: float
    y: float


def parse_lon_lat(
    raw_lat: object, raw_lon: object, *, lat_name: str = "lat", lon_name: str = "lon"
) -> LonLat:
    """Finite, in-range longitude and latitude in degrees (named as the caller's API names them)."""
    lat = parse_float(raw_lat, name=lat_name)
    lon = parse_float(raw_lon, name=lon_name)
    if not -90.0 <= lat <= 90.0:
        raise InvalidInput(
            _("%(name)s must be between -90 and 90 degrees, got %(value)s.")
            % {"name": lat_name, "value": lat},
            code="out_of_range",
        )
    if not -180.0 <= lon <= 180.0:
        raise InvalidInput(
            _("%(name)s must be between -180 and 180 degrees, got %(value)s.")
            % {"name": lon_name, "value": lon},
            code="out_of_range",
        )
    return LonLat(lon, lat)


def parse_lat_lon(raw_lat: object, raw_lon: object, *, lat_name: str = "lat", lon_name: str = "lon") -> Point:
    """A WGS84 point (SRID 4326, lon/lat order) from latitude and longitude in degrees."""
    position = parse_lon_lat(raw_lat, raw_lon, lat_name=lat_name, lon_name=lon_name)
    return Point(position.x, position.y, srid=STORAGE_SRID)
