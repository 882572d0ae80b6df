"""Parsing of raw request values into typed ones, once, at the edge.

Below the edge, code trusts its arguments: a Point or a GeoJSON geometry built here is finite, in
range, (lon, lat) ordered and carries SRID 4326.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.contrib.gis.geos import (
    GEOSException,
    GEOSGeometry,
    LinearRing,
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
)
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


# --- GeoJSON geometries -------------------------------------------------------------------------------

# The names GeoJSON 2008 and OGC give WGS84 longitude/latitude; RFC 7946 has no `crs` member at all.
WGS84_CRS_NAMES = frozenset(
    {
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
    }
)
GEOJSON_GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")


def unknown_srid_error(name: str, srid: object) -> InvalidInput:
    return InvalidInput(
        _("%(name)s: unknown SRID %(srid)s. Only WGS84 longitude/latitude (SRID 4326) is accepted.")
        % {"name": name, "srid": str(srid)[:60]},
        code="unknown_srid",
    )


def too_many_vertices_error(name: str, maximum: int) -> InvalidInput:
    return InvalidInput(
        _("%(name)s has more than %(maximum)s vertices: simplify the shape.")
        % {"name": name, "maximum": maximum},
        code="too_many_vertices",
    )


def parse_geojson_geometry(
    raw: object,
    *,
    name: str,
    max_vertices: int,
    allowed_types: Sequence[str] = GEOJSON_GEOMETRY_TYPES,
) -> GEOSGeometry:
    """A GeoJSON geometry object (RFC 7946: longitude, latitude, WGS84) as a GEOS geometry in SRID 4326.

    Built with GEOS constructors from coordinates checked here, never by GDAL, so a `crs` member can
    never make it read a file or the network; a `crs` naming anything but WGS84 is an unknown SRID.
    Positions are finite JSON numbers (not text, NaN or Infinity) in degrees, rings are closed, and
    a shape of more than `max_vertices` positions is refused before GEOS builds it. Heights are
    dropped. Whether the shape is valid (self-intersections) is the caller's rule.
    """
    if not isinstance(raw, dict):
        raise InvalidInput(
            _(
                '%(name)s must be a GeoJSON geometry object, such as {"type": "Point", "coordinates": [35.9, 31.95]}.'
            )
            % {"name": name},
            code="invalid_geometry",
        )
    crs = raw.get("crs")
    if crs is not None:
        crs_name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
        if not isinstance(crs_name, str) or crs_name not in WGS84_CRS_NAMES:
            raise unknown_srid_error(name, crs_name if isinstance(crs_name, str) else json.dumps(crs)[:60])
    kind = raw.get("type")
    if kind not in GEOJSON_GEOMETRY_TYPES:
        raise InvalidInput(
            _("%(name)s: GeoJSON type %(type)r is not a geometry type; use one of %(types)s.")
            % {"name": name, "type": str(kind)[:40], "types": ", ".join(allowed_types)},
            code="invalid_geometry",
        )
    if kind not in allowed_types:
        raise InvalidInput(
            _("%(name)s must be a %(types)s, not a %(type)s.")
            % {"name": name, "types": " / ".join(allowed_types), "type": kind},
            code="invalid_geometry",
        )
    coordinates = raw.get("coordinates")
    if coordinates is None:
        raise InvalidInput(
            _("%(name)s: a GeoJSON geometry needs its coordinates.") % {"name": name}, code="invalid_geometry"
        )
    # A cheap count first (at most three numbers a position), so a huge document is refused before
    # any geometry is built; the exact count of positions follows.
    if _count_leaves(coordinates) > 3 * max_vertices:
        raise too_many_vertices_error(name, max_vertices)
    try:
        geometry = _GEOJSON_BUILDERS[kind](coordinates, name)
    except (GEOSException, ValueError, TypeError) as exc:
        raise InvalidInput(
            _("%(name)s is not a valid %(type)s: %(reason)s")
            % {"name": name, "type": kind, "reason": str(exc)[:200]},
            code="invalid_geometry",
        ) from None
    if geometry.num_coords > max_vertices:
        raise too_many_vertices_error(name, max_vertices)
    if geometry.empty:
        raise InvalidInput(_("%(name)s is an empty geometry.") % {"name": name}, code="invalid_geometry")
    geometry.srid = STORAGE_SRID
    return geometry


def _count_leaves(value: object) -> int:
    """How many leaves the nested lists hold (without recursion: the nesting depth is the sender's)."""
    count, pending = 0, [value]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        else:
            count += 1
    return count


def _list(value: object, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(
            _("%(name)s: GeoJSON coordinates must be nested lists of numbers.") % {"name": name},
            code="invalid_geometry",
        )
    return value


def _position(value: object, name: str) -> tuple[float, float]:
    items = _list(value, name)
    if len(items) not in (2, 3):
        raise InvalidInput(
            _("%(name)s: a position is [longitude, latitude], got %(count)s numbers.")
            % {"name": name, "count": len(items)},
            code="invalid_geometry",
        )
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | float) or not math.isfinite(item):
            raise InvalidInput(
                _("%(name)s: coordinates must be finite numbers, not %(value)s.")
                % {"name": name, "value": json.dumps(item)[:40] if not isinstance(item, float) else item},
                code="invalid_geometry",
            )
    lon, lat = float(items[0]), float(items[1])
    if abs(lon) > 180 or abs(lat) > 90:
        raise InvalidInput(
            _(
                "%(name)s: the position (%(lon)s, %(lat)s) is not WGS84 degrees; longitude comes first, "
                "then latitude."
            )
            % {"name": name, "lon": items[0], "lat": items[1]},
            code="invalid_geometry",
        )
    return lon, lat


def _positions(value: object, name: str, *, minimum: int) -> list[tuple[float, float]]:
    positions = [_position(item, name) for item in _list(value, name)]
    if len(positions) < minimum:
        raise InvalidInput(
            _("%(name)s: a line needs at least %(minimum)s positions.") % {"name": name, "minimum": minimum},
            code="invalid_geometry",
        )
    return positions


def _polygon(value: object, name: str) -> Polygon:
    rings = []
    for ring_value in _list(value, name):
        ring = [_position(item, name) for item in _list(ring_value, name)]
        if len(ring) < 4 or ring[0] != ring[-1]:
            raise InvalidInput(
                _(
                    "%(name)s: a polygon ring must be closed (its last position equal to its first) and have at least 4 positions."
                )
                % {"name": name},
                code="invalid_geometry",
            )
        rings.append(LinearRing(ring))
    if not rings:
        raise InvalidInput(
            _("%(name)s: a polygon needs at least one ring.") % {"name": name}, code="invalid_geometry"
        )
    return Polygon(*rings)


_GEOJSON_BUILDERS: dict[str, Callable[[Any, str], GEOSGeometry]] = {
    "Point": lambda c, name: Point(_position(c, name)),
    "MultiPoint": lambda c, name: MultiPoint([Point(p) for p in _positions(c, name, minimum=1)]),
    "LineString": lambda c, name: LineString(_positions(c, name, minimum=2)),
    "MultiLineString": lambda c, name: MultiLineString(
        [LineString(_positions(line, name, minimum=2)) for line in _list(c, name)]
    ),
    "Polygon": _polygon,
    "MultiPolygon": lambda c, name: MultiPolygon([_polygon(p, name) for p in _list(c, name)]),
}
