"""A selection of a layer's features: the one filter composition of the layer engine.

The OGC API items, the planners' spatial queries, the exports and the planner page all describe the
features they want with the same query-string parameters, parsed here once into a `Selection`, and
turned into SQL by `where_sql`. So a download link carries exactly the filters of the table shown
beside it.

Parameters (GET query string, or the same names as keys of a JSON object for POST):

- `bbox`: min longitude, min latitude, max longitude, max latitude (WGS84);
- `datetime`: an RFC 3339 instant, or an interval `a/b`, `../b`, `a/..` (temporal layers only);
- `district`: one or more district ids or codes, comma-separated (features intersecting them);
- `intersects`: a geometry as WKT or GeoJSON, WGS84 (SRID 4326) only, at most
  AMANAH_QUERY_MAX_VERTICES vertices;
- `within` + `distance`: features within `distance` metres of a point or line (WKT or GeoJSON);
- any public attribute of the layer: features whose attribute equals the value.

Geometries from users are read by GEOS (WKT) or by geo_services.core.parsing (GeoJSON, the parser
every API shares), never by GDAL, so a spatial reference in the input can never make GDAL open a
file or a URL; the only SRID accepted is 4326.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSException, GEOSGeometry, WKBWriter
from django.db import connection
from django.http import QueryDict
from django.utils.translation import gettext as _

from geo_services.core.errors import InvalidInput
from geo_services.core.models import STORAGE_SRID, District, DistrictPart
from geo_services.core.parsing import (
    GEOJSON_GEOMETRY_TYPES,
    BBox,
    parse_float,
    parse_geojson_geometry,
    too_many_vertices_error,
    unknown_srid_error,
)
from layers.registry import Attribute, Layer

# The parameters a selection reads besides the layer's own attribute names.
SELECTION_PARAMETERS = ("bbox", "datetime", "district", "intersects", "within", "distance")

# A geometry's text is refused before it is parsed when it is longer than any geometry of the
# vertex cap could be written (a vertex rarely needs more than ~40 characters).
_CHARACTERS_PER_VERTEX = 64
_WITHIN_TYPES = ("Point", "LineString", "MultiPoint", "MultiLineString")
# Shortest length of one degree on the WGS84 ellipsoid: of latitude (at the equator) and of
# longitude at the equator (times cos(latitude) elsewhere). Used only to widen a bounding box so
# the geometry index can pre-select candidates; the distance itself is measured on geography.
_METRES_PER_DEGREE_LATITUDE_MIN = 110_574.0
_METRES_PER_DEGREE_LONGITUDE_EQUATOR = 111_319.0


@dataclass(frozen=True)
class TimeInterval:
    """A closed interval of instants (aware, UTC); None at an end means open there."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class Selection:
    """Which features of a layer are wanted. Every part is optional; all given parts must hold."""

    bbox: BBox | None = None
    # attribute name -> value already converted to the attribute's type
    equals: tuple[tuple[str, Any], ...] = ()
    # `datetime`: the layer's temporal column lies in this interval (an instant: start == end)
    time_interval: TimeInterval | None = None
    # features intersecting any of these districts (ids)
    district_ids: tuple[int, ...] = ()
    # features intersecting this geometry (SRID 4326, valid, within the vertex cap)
    intersects: GEOSGeometry | None = None
    # features within `distance` metres of this point or line (SRID 4326); both or neither
    within: GEOSGeometry | None = None
    distance: float | None = None

    @property
    def is_empty(self) -> bool:
        return self == Selection()


def selection_parameter_names(layer: Layer) -> tuple[str, ...]:
    """Every query parameter a selection of this layer reads."""
    return (
        *SELECTION_PARAMETERS,
        *(name for name in layer.attribute_by_name if name not in SELECTION_PARAMETERS),
    )


def parse_selection(layer: Layer, query: QueryDict) -> Selection:
    """A Selection from GET parameters. Other parameters are left to the caller to allow or refuse."""
    return parse_selection_values(
        layer, {name: query[name] for name in selection_parameter_names(layer) if name in query}
    )


def parse_selection_values(layer: Layer, values: Mapping[str, Any]) -> Selection:
    """A Selection from a mapping of parameter name to value: query-string text or JSON values.

    For a JSON body (POST): `bbox` may be a list of four numbers, `district` a list, `distance` a
    number, `intersects` / `within` a GeoJSON geometry object; attribute values their JSON type.
    """
    within = _parse_geometry(values.get("within"), name="within", allowed_types=_WITHIN_TYPES)
    distance = _parse_distance(values.get("distance"))
    if (within is None) != (distance is None):
        raise InvalidInput(
            _("within and distance go together: give a point or line and a distance in metres."),
            code="incomplete_distance_search",
        )
    return Selection(
        bbox=parse_bbox(values.get("bbox")),
        equals=tuple(
            (name, parse_attribute_value(layer.attribute_by_name[name], values[name]))
            for name in layer.attribute_by_name
            if name in values and name not in SELECTION_PARAMETERS
        ),
        time_interval=_parse_datetime_for(layer, values.get("datetime")),
        district_ids=_parse_districts(values.get("district")),
        intersects=_parse_geometry(values.get("intersects"), name="intersects", allowed_types=None),
        within=within,
        distance=distance,
    )


def where_sql(layer: Layer, selection: Selection, params: dict[str, Any]) -> str:
    """The SQL condition for the layer's public rows matching the selection.

    Columns are qualified with the layer's table name, so the condition is meant for a FROM that
    names the table without an alias. Values go into `params` as named parameters (`sel_…`).
    """
    table = _q(layer.table)
    geometry = f"{table}.{_q(layer.geometry_column)}"
    conditions = ["TRUE"]
    if layer.public_condition:
        conditions.append(f"({layer.public_condition})")
    if selection.bbox is not None:
        envelope = "ST_MakeEnvelope(%(sel_min_lon)s, %(sel_min_lat)s, %(sel_max_lon)s, %(sel_max_lat)s, 4326)"
        conditions.append(f"{geometry} && {envelope} AND ST_Intersects({geometry}, {envelope})")
        params.update(
            sel_min_lon=selection.bbox.min_lon,
            sel_min_lat=selection.bbox.min_lat,
            sel_max_lon=selection.bbox.max_lon,
            sel_max_lat=selection.bbox.max_lat,
        )
    for index, (name, value) in enumerate(selection.equals):
        column = layer.attribute_by_name[name].column
        conditions.append(f"{table}.{_q(column)} = %(sel_eq_{index})s")
        params[f"sel_eq_{index}"] = value
    if selection.time_interval is not None and layer.temporal_column:
        temporal = f"{table}.{_q(layer.temporal_column)}"
        if selection.time_interval.start is not None:
            conditions.append(f"{temporal} >= %(sel_start)s")
            params["sel_start"] = selection.time_interval.start
        if selection.time_interval.end is not None:
            conditions.append(f"{temporal} <= %(sel_end)s")
            params["sel_end"] = selection.time_interval.end
    if selection.district_ids:
        # The districts' subdivided parts are small and GiST-indexed: far cheaper to intersect
        # than whole boundaries of thousands of vertices.
        parts = _q(DistrictPart._meta.db_table)
        conditions.append(
            f"EXISTS (SELECT 1 FROM {parts} sel_part"  # noqa: S608 - quoted identifiers; values are parameters
            " WHERE sel_part.district_id = ANY(%(sel_districts)s)"
            f" AND sel_part.geom && {geometry} AND ST_Intersects(sel_part.geom, {geometry}))"
        )
        params["sel_districts"] = list(selection.district_ids)
    if selection.intersects is not None:
        conditions.append(
            f"{geometry} && %(sel_intersects)s::geometry AND ST_Intersects({geometry}, %(sel_intersects)s::geometry)"
        )
        params["sel_intersects"] = selection.intersects.hexewkb.decode()
    if selection.within is not None and selection.distance is not None:
        # The box widened by at least the distance lets the geometry index pre-select; the test
        # itself is on geography, in metres on the ellipsoid.
        conditions.append(
            f"{geometry} && ST_Expand(%(sel_within)s::geometry, %(sel_expand_lon)s, %(sel_expand_lat)s)"
            f" AND ST_DWithin({geometry}::geography, %(sel_within)s::geometry::geography, %(sel_distance)s)"
        )
        expand_lon, expand_lat = _degrees_covering(selection.within, selection.distance)
        params.update(
            sel_within=selection.within.hexewkb.decode(),
            sel_distance=selection.distance,
            sel_expand_lon=expand_lon,
            sel_expand_lat=expand_lat,
        )
    return " AND ".join(conditions)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _degrees_covering(geometry: GEOSGeometry, metres: float) -> tuple[float, float]:
    """Degrees of longitude and latitude that are at least `metres` everywhere near the geometry."""
    _, min_lat, _, max_lat = geometry.extent
    widest_lat = min(max(abs(min_lat), abs(max_lat)) + metres / _METRES_PER_DEGREE_LATITUDE_MIN, 89.0)
    margin = 1.01
    expand_lat = metres / _METRES_PER_DEGREE_LATITUDE_MIN * margin
    expand_lon = metres / (_METRES_PER_DEGREE_LONGITUDE_EQUATOR * math.cos(math.radians(widest_lat))) * margin
    return min(expand_lon, 360.0), min(expand_lat, 180.0)


# --- the parts, each parsed once -------------------------------------------------------------


def _text(raw: object, *, name: str) -> str:
    if not isinstance(raw, str):
        raise InvalidInput(
            _("%(name)s must be text, not %(type)s.") % {"name": name, "type": _json_type(raw)},
            code="wrong_type",
        )
    return raw


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("an object")
    return _("text")


def parse_int(raw: object, *, name: str) -> int:
    """A whole number from text or from a JSON integer."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"-?[0-9]{1,12}", raw.strip()):
        return int(raw.strip())
    raise InvalidInput(
        _("%(name)s must be a whole number, not %(value)r.") % {"name": name, "value": str(raw)[:30]},
        code="not_an_integer",
    )


def _number(raw: object, *, name: str) -> float:
    if isinstance(raw, list | dict):
        raise InvalidInput(
            _("%(name)s must be a number, not %(type)s.") % {"name": name, "type": _json_type(raw)},
            code="wrong_type",
        )
    return parse_float(raw, name=name)


def parse_bbox(raw: object) -> BBox | None:
    """Four numbers: min longitude, min latitude, max longitude, max latitude (WGS84, CRS84 order)."""
    if raw is None:
        return None
    if isinstance(raw, list):
        parts: list[object] = list(raw)
    else:
        parts = list(_text(raw, name="bbox").split(","))
    if len(parts) != 4:
        raise InvalidInput(
            _(
                "bbox must be four numbers: min longitude, min latitude, max longitude, max latitude; got %(count)s."
            )
            % {"count": len(parts)},
            code="invalid_bbox",
        )
    min_lon, min_lat, max_lon, max_lat = (_number(part, name="bbox") for part in parts)
    for label, value, limit in (
        (_("min longitude"), min_lon, 180.0),
        (_("min latitude"), min_lat, 90.0),
        (_("max longitude"), max_lon, 180.0),
        (_("max latitude"), max_lat, 90.0),
    ):
        if abs(value) > limit:
            raise InvalidInput(
                _("bbox %(name)s must be between -%(limit)s and %(limit)s degrees, got %(value)s.")
                % {"name": label, "limit": limit, "value": value},
                code="invalid_bbox",
            )
    if min_lat > max_lat:
        raise InvalidInput(
            _(
                "bbox min latitude %(low)s is above max latitude %(high)s: the order is min lon, min lat, max lon, max lat."
            )
            % {"low": min_lat, "high": max_lat},
            code="invalid_bbox",
        )
    if min_lon > max_lon:
        # A box across the antimeridian is legal in the OGC specification but no municipality needs one.
        raise InvalidInput(
            _(
                "bbox min longitude %(low)s is east of max longitude %(high)s: the order is min lon, min lat, max lon, max lat."
            )
            % {"low": min_lon, "high": max_lon},
            code="invalid_bbox",
        )
    return BBox(min_lon, min_lat, max_lon, max_lat)


def parse_attribute_value(attribute: Attribute, raw: object) -> Any:
    """The value of an attribute filter, converted to the attribute's type."""
    if attribute.type == "integer":
        return parse_int(raw, name=attribute.name)
    if attribute.type == "number":
        return _number(raw, name=attribute.name)
    if attribute.type == "boolean":
        if isinstance(raw, bool):
            return raw
        if raw in ("true", "false"):
            return raw == "true"
        raise InvalidInput(
            _("%(name)s must be true or false, not %(value)r.")
            % {"name": attribute.name, "value": str(raw)[:30]},
            code="wrong_type",
        )
    return _text(raw, name=attribute.name)


# RFC 3339 date-time: a date, "T" (or a space), a time with optional fraction, and an offset.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _parse_instant(raw: str) -> datetime:
    text = raw.strip()
    if not _RFC3339.fullmatch(text):
        raise InvalidInput(
            _(
                "datetime %(value)r is not an RFC 3339 date-time: write e.g. 2026-03-01T08:00:00Z or 2026-03-01T11:00:00+03:00."
            )
            % {"value": raw[:40]},
            code="invalid_datetime",
        )
    text = text.replace(" ", "T").replace("t", "T").replace("z", "Z")
    # Python keeps microseconds: a longer fraction is cut to six digits.
    text = re.sub(r"(\.[0-9]{6})[0-9]+", r"\1", text)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            _("datetime %(value)r is not a real date and time.") % {"value": raw[:40]},
            code="invalid_datetime",
        ) from None


def parse_datetime(raw: object) -> TimeInterval | None:
    """An instant, or a closed or half-open interval: `a`, `a/b`, `../b`, `a/..` (an empty end is `..`)."""
    if raw is None:
        return None
    text = _text(raw, name="datetime")
    if "/" not in text:
        instant = _parse_instant(text)
        return TimeInterval(instant, instant)
    parts = text.split("/")
    if len(parts) != 2:
        raise InvalidInput(
            _("datetime holds at most one '/': an instant, or start/end with '..' for an open end."),
            code="invalid_datetime",
        )
    start, end = (None if part in ("", "..") else _parse_instant(part) for part in parts)
    if start is None and end is None:
        raise InvalidInput(
            _("datetime '../..' selects nothing in particular: give at least one end of the interval."),
            code="invalid_datetime",
        )
    if start is not None and end is not None and start > end:
        raise InvalidInput(
            _("datetime interval starts after it ends: the order is start/end."), code="invalid_datetime"
        )
    return TimeInterval(start, end)


def _parse_datetime_for(layer: Layer, raw: object) -> TimeInterval | None:
    if raw is not None and layer.temporal_column is None:
        raise InvalidInput(
            _("The layer %(layer)s has no time attribute, so it cannot be filtered by datetime.")
            % {"layer": layer.id},
            code="not_temporal",
        )
    return parse_datetime(raw)


def _parse_districts(raw: object) -> tuple[int, ...]:
    """District ids or codes (comma-separated text, or a JSON list) -> existing district ids."""
    if raw is None:
        return ()
    if isinstance(raw, list):
        items = raw
    elif isinstance(raw, int) and not isinstance(raw, bool):
        items = [raw]
    else:
        items = [part.strip() for part in _text(raw, name="district").split(",")]
    if not items or len(items) > 100:
        raise InvalidInput(_("district takes from 1 to 100 district ids or codes."), code="invalid_district")
    ids: list[int] = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            matches = list(District.objects.filter(pk=item).values_list("pk", flat=True))
        elif isinstance(item, str) and item.isdigit() and len(item) <= 18:
            matches = list(District.objects.filter(pk=int(item)).values_list("pk", flat=True))
        elif isinstance(item, str) and item:
            matches = list(District.objects.filter(code=item).values_list("pk", flat=True)[:2])
        else:
            raise InvalidInput(
                _("district must be a district id or code, not %(value)r.") % {"value": str(item)[:40]},
                code="invalid_district",
            )
        if not matches:
            raise InvalidInput(
                _("There is no district %(value)r: give a district id or code from the districts layer.")
                % {"value": str(item)[:40]},
                code="unknown_district",
            )
        if len(matches) > 1:
            raise InvalidInput(
                _(
                    "The district code %(value)r is used by several municipalities: give the district id instead."
                )
                % {"value": str(item)[:40]},
                code="ambiguous_district",
            )
        ids.append(matches[0])
    return tuple(dict.fromkeys(ids))


def _parse_distance(raw: object) -> float | None:
    if raw is None:
        return None
    distance = _number(raw, name="distance")
    maximum = settings.AMANAH_QUERY_MAX_DISTANCE_METRES
    if distance < 0 or distance > maximum:
        raise InvalidInput(
            _("distance is in metres, from 0 to %(maximum)s; got %(value)s.")
            % {"maximum": maximum, "value": distance},
            code="invalid_distance",
        )
    return distance


# --- geometries ------------------------------------------------------------------------------


def _parse_geometry(raw: object, *, name: str, allowed_types: tuple[str, ...] | None) -> GEOSGeometry | None:
    """A valid geometry in SRID 4326 from WKT/EWKT text, GeoJSON text or a GeoJSON object."""
    if raw is None:
        return None
    max_vertices = settings.AMANAH_QUERY_MAX_VERTICES
    if isinstance(raw, str):
        if len(raw) > max_vertices * _CHARACTERS_PER_VERTEX:
            raise too_many_vertices_error(name, max_vertices)
        text = raw.strip()
        if text.startswith("{"):
            geometry = _geometry_from_geojson(
                _load_json(text, name=name), name=name, allowed_types=allowed_types
            )
        else:
            geometry = _geometry_from_wkt(text, name=name)
    elif isinstance(raw, dict):
        geometry = _geometry_from_geojson(raw, name=name, allowed_types=allowed_types)
    else:
        raise InvalidInput(
            _("%(name)s must be a geometry as WKT text or a GeoJSON object, not %(type)s.")
            % {"name": name, "type": _json_type(raw)},
            code="wrong_type",
        )
    if allowed_types is not None and geometry.geom_type not in allowed_types:
        raise InvalidInput(
            _("%(name)s must be a %(types)s, not a %(type)s.")
            % {"name": name, "types": " / ".join(allowed_types), "type": geometry.geom_type},
            code="invalid_geometry",
        )
    if geometry.num_coords > max_vertices:
        raise too_many_vertices_error(name, max_vertices)
    if geometry.empty:
        raise InvalidInput(_("%(name)s is an empty geometry.") % {"name": name}, code="invalid_geometry")
    for lon, lat in _coordinates(geometry):
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise InvalidInput(
                _("%(name)s has a coordinate that is not a finite number.") % {"name": name},
                code="invalid_geometry",
            )
        if abs(lon) > 180 or abs(lat) > 90:
            raise InvalidInput(
                _(
                    "%(name)s has the position (%(lon)s, %(lat)s) outside WGS84 degrees: longitude first, then latitude, in SRID 4326."
                )
                % {"name": name, "lon": lon, "lat": lat},
                code="invalid_geometry",
            )
    if not geometry.valid:
        raise InvalidInput(
            _("%(name)s is not a valid geometry: %(reason)s. Draw it again without crossing edges.")
            % {"name": name, "reason": geometry.valid_reason},
            code="invalid_geometry",
        )
    return geometry


def _coordinates(geometry: GEOSGeometry) -> list[tuple[float, float]]:
    coords = geometry.coords  # type: ignore[attr-defined]  # every concrete geometry has them
    found: list[tuple[float, float]] = []

    def walk(value: Any) -> None:
        if value and isinstance(value[0], int | float):
            found.append((float(value[0]), float(value[1])))
        else:
            for part in value:
                walk(part)

    walk(coords)
    return found


def _geometry_from_wkt(text: str, *, name: str) -> GEOSGeometry:
    if not re.match(r"(SRID=-?[0-9]+;)?\s*[A-Za-z]+\s*(Z|M|ZM)?\s*\(", text):
        raise InvalidInput(
            _(
                "%(name)s must be a geometry as WKT (e.g. POLYGON((35.9 31.9, 36.0 31.9, 36.0 32.0, 35.9 31.9))) or GeoJSON."
            )
            % {"name": name},
            code="invalid_geometry",
        )
    try:
        geometry = GEOSGeometry(text)
    except (GEOSException, ValueError, TypeError) as exc:
        raise InvalidInput(
            _("%(name)s is not readable WKT: %(reason)s") % {"name": name, "reason": str(exc)[:200]},
            code="invalid_geometry",
        ) from None
    if geometry.srid not in (None, STORAGE_SRID):
        raise unknown_srid_error(name, geometry.srid)
    if geometry.hasz:
        # Heights play no part in a 2-D selection.
        geometry = GEOSGeometry(WKBWriter(dim=2).write(geometry))
    geometry.srid = STORAGE_SRID
    return geometry


def _reject_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not a number JSON allows")


def _load_json(text: str, *, name: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(
            _("%(name)s is not valid GeoJSON: %(reason)s") % {"name": name, "reason": str(exc)[:200]},
            code="invalid_geometry",
        ) from None


def _geometry_from_geojson(
    document: object, *, name: str, allowed_types: tuple[str, ...] | None
) -> GEOSGeometry:
    return parse_geojson_geometry(
        document,
        name=name,
        max_vertices=settings.AMANAH_QUERY_MAX_VERTICES,
        allowed_types=allowed_types or GEOJSON_GEOMETRY_TYPES,
    )
