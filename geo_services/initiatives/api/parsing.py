"""Parsing of the initiatives API's bodies into typed values, once, at the edge.

Shapes arrive as GeoJSON geometry objects (RFC 7946: longitude, latitude, WGS84). They are built
with GEOS constructors from coordinates checked here; the text never reaches GDAL, so a `crs` member
cannot make it read a file or the network. A `crs` naming anything but WGS84 is refused (RFC 7946
has no other), and so is a shape with more vertices than AMANAH_INITIATIVE_MAX_VERTICES.
Whether the shape is valid, of the right type and inside the jurisdiction is a rule of the service.
"""

from __future__ import annotations

import math
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
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
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.translation import gettext as _

from geo_services.core.api.parsing import parse_int
from geo_services.core.errors import InvalidInput
from geo_services.core.models import STORAGE_SRID
from geo_services.initiatives.models import FeatureType, InitiativeKind, SidewalkSurface
from geo_services.initiatives.services import InitiativePlan, ProgressReport
from geo_services.venues.api.parsing import body_object, identifier, parse_date, text

DEFAULT_MAX_VERTICES = 5_000
MAX_NAME = 200
MAX_DESCRIPTION = 5_000
MAX_BUDGET = Decimal("99999999999.999")  # what the column holds (14 digits, 3 decimals)
MAX_PARTNERS = 100
MAX_VOLUNTEERS = 1_000_000

# The names RFC 7946's predecessor (GeoJSON 2008) and OGC give WGS84 longitude/latitude.
_WGS84_CRS_NAMES = frozenset(
    {
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
    }
)


def max_vertices() -> int:
    return int(getattr(settings, "AMANAH_INITIATIVE_MAX_VERTICES", DEFAULT_MAX_VERTICES))


# --- Shapes -------------------------------------------------------------------------------------------


class _VertexBudget:
    """Counts positions as they are read, so a huge shape is refused before GEOS builds it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.left = max_vertices()

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise InvalidInput(
                _("%(name)s has more than %(max)s vertices: simplify the shape.")
                % {"name": self.name, "max": max_vertices()},
                code="too_many_vertices",
            )


def _list(raw: object, name: str) -> list[Any]:
    if not isinstance(raw, list):
        raise InvalidInput(
            _("%(name)s: coordinates must be nested lists of [longitude, latitude] positions.")
            % {"name": name},
            code="invalid_geometry",
        )
    return raw


def _position(raw: object, name: str, budget: _VertexBudget) -> tuple[float, float]:
    budget.take()
    if (
        not isinstance(raw, list)
        or len(raw) not in (2, 3)
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw)
    ):
        raise InvalidInput(
            _("%(name)s: each position must be [longitude, latitude] in degrees, not %(value)s.")
            % {"name": name, "value": str(raw)[:60]},
            code="invalid_geometry",
        )
    lon, lat = float(raw[0]), float(raw[1])
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
        raise InvalidInput(
            _(
                "%(name)s: the position (%(lon)s, %(lat)s) is not WGS84 degrees; longitude comes first, "
                "then latitude."
            )
            % {"name": name, "lon": raw[0], "lat": raw[1]},
            code="invalid_geometry",
        )
    return lon, lat


def _positions(raw: object, name: str, budget: _VertexBudget, *, minimum: int) -> list[tuple[float, float]]:
    positions = [_position(p, name, budget) for p in _list(raw, name)]
    if len(positions) < minimum:
        raise InvalidInput(
            _("%(name)s: a line needs at least %(count)d positions.") % {"name": name, "count": minimum},
            code="invalid_geometry",
        )
    return positions


def _polygon(raw: object, name: str, budget: _VertexBudget) -> Polygon:
    rings = []
    for ring in _list(raw, name):
        positions = _positions(ring, name, budget, minimum=4)
        if positions[0] != positions[-1]:
            raise InvalidInput(
                _("%(name)s: a polygon's ring must end at the position it starts from.") % {"name": name},
                code="invalid_geometry",
            )
        rings.append(LinearRing(positions))
    if not rings:
        raise InvalidInput(
            _("%(name)s: a polygon needs an outer ring.") % {"name": name}, code="invalid_geometry"
        )
    return Polygon(*rings)


def parse_shape(raw: object, *, name: str = "geometry") -> GEOSGeometry:
    """A GeoJSON geometry object as a GEOS geometry in SRID 4326 (2-D; heights are dropped)."""
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
        if not isinstance(crs_name, str) or crs_name not in _WGS84_CRS_NAMES:
            raise InvalidInput(
                _(
                    "%(name)s: unknown coordinate reference system %(crs)s. Send WGS84 longitude/latitude "
                    "(SRID 4326) and leave crs out."
                )
                % {"name": name, "crs": str(crs_name if isinstance(crs_name, str) else crs)[:80]},
                code="unknown_srid",
            )
    budget = _VertexBudget(name)
    coordinates = raw.get("coordinates")
    kind = raw.get("type")
    try:
        shape: GEOSGeometry
        if kind == "Point":
            shape = Point(_position(coordinates, name, budget))
        elif kind == "MultiPoint":
            shape = MultiPoint([Point(p) for p in _positions(coordinates, name, budget, minimum=1)])
        elif kind == "LineString":
            shape = LineString(_positions(coordinates, name, budget, minimum=2))
        elif kind == "MultiLineString":
            shape = MultiLineString(
                [LineString(_positions(line, name, budget, minimum=2)) for line in _list(coordinates, name)]
            )
        elif kind == "Polygon":
            shape = _polygon(coordinates, name, budget)
        elif kind == "MultiPolygon":
            shape = MultiPolygon([_polygon(p, name, budget) for p in _list(coordinates, name)])
        else:
            raise InvalidInput(
                _(
                    "%(name)s: %(type)s is not a GeoJSON geometry type; use Point, MultiPoint, LineString or Polygon."
                )
                % {"name": name, "type": str(kind)[:40]},
                code="invalid_geometry",
            )
    except (GEOSException, ValueError, TypeError) as exc:
        raise InvalidInput(
            _("%(name)s cannot be read as a geometry: %(reason)s") % {"name": name, "reason": str(exc)[:200]},
            code="invalid_geometry",
        ) from None
    if shape.empty:
        raise InvalidInput(_("%(name)s is an empty geometry.") % {"name": name}, code="invalid_geometry")
    shape.srid = STORAGE_SRID
    return shape


# --- Values -------------------------------------------------------------------------------------------


def _required_text(body: dict[str, Any], name: str, *, max_length: int) -> str:
    value = text(body, name, max_length=max_length).strip()
    if not value:
        raise InvalidInput(_("%(name)s is required.") % {"name": name}, code="missing_parameter")
    return value


def _choice(body: dict[str, Any], name: str, allowed: list[str]) -> str:
    value = body.get(name)
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(
            _("%(name)s must be one of %(values)s.") % {"name": name, "values": ", ".join(allowed)},
            code="invalid_choice",
        )
    return value


def parse_decimal(raw: object, *, name: str, maximum: Decimal) -> Decimal | None:
    """A number given as JSON number or text (text keeps every decimal), from 0 to `maximum`; null: none."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidInput(_("%(name)s must be a number.") % {"name": name})
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise InvalidInput(
            _("%(name)s must be a number, not %(value)r.") % {"name": name, "value": str(raw)[:40]}
        ) from None
    if not value.is_finite() or value < 0 or value > maximum:
        raise InvalidInput(
            _("%(name)s must be between 0 and %(max)s.") % {"name": name, "max": maximum}, code="out_of_range"
        )
    return value.quantize(Decimal("0.001"))


def _optional_count(raw: object, *, name: str, maximum: int) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise InvalidInput(_("%(name)s must be a whole number.") % {"name": name})
    return parse_int(raw, name=name, minimum=0, maximum=maximum)


def _partner_ids(raw: object) -> tuple[int, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_PARTNERS:
        raise InvalidInput(
            _("partners must be a list of at most %(max)d partner ids.") % {"max": MAX_PARTNERS},
            code="invalid_partners",
        )
    return tuple(sorted({identifier(p, name="partners") for p in raw}))


def _code(body: dict[str, Any]) -> str:
    value = text(body, "code", max_length=80).strip()
    if value and not all(c.isascii() and (c.isalnum() or c in "-_") for c in value):
        raise InvalidInput(_("code may hold only letters, digits, '-' and '_'."), code="invalid_code")
    return value


def parse_plan(data: object) -> InitiativePlan:
    body = body_object(data)
    if "geometry" not in body:
        raise InvalidInput(_("geometry is required."), code="missing_parameter")
    return InitiativePlan(
        kind=_choice(body, "kind", InitiativeKind.values),
        feature_type=_choice(body, "feature_type", FeatureType.values),
        name_ar=_required_text(body, "name_ar", max_length=MAX_NAME),
        name_en=_required_text(body, "name_en", max_length=MAX_NAME),
        planned_start=parse_date(body.get("planned_start"), name="planned_start"),
        planned_end=parse_date(body.get("planned_end"), name="planned_end"),
        department_code=_required_text(body, "department", max_length=80),
        shape=parse_shape(body.get("geometry")),
        code=_code(body),
        description_ar=text(body, "description_ar", max_length=MAX_DESCRIPTION),
        description_en=text(body, "description_en", max_length=MAX_DESCRIPTION),
        budget=parse_decimal(body.get("budget"), name="budget", maximum=MAX_BUDGET),
        partner_ids=_partner_ids(body.get("partners")),
        volunteers_count=_optional_count(
            body.get("volunteers_count"), name="volunteers_count", maximum=MAX_VOLUNTEERS
        )
        or 0,
        width_m=parse_decimal(body.get("width_m"), name="width_m", maximum=Decimal(50)),
        surface=_choice(body, "surface", SidewalkSurface.values) if body.get("surface") else "",
        ramps_count=_optional_count(body.get("ramps_count"), name="ramps_count", maximum=1000),
    )


# Body member -> how to read it, for a partial change (PATCH).
def parse_changes(data: object) -> dict[str, Any]:
    body = body_object(data)
    readers: dict[str, tuple[str, Any]] = {
        "name_ar": ("name_ar", lambda v: _required_text(body, "name_ar", max_length=MAX_NAME)),
        "name_en": ("name_en", lambda v: _required_text(body, "name_en", max_length=MAX_NAME)),
        "description_ar": (
            "description_ar",
            lambda v: text(body, "description_ar", max_length=MAX_DESCRIPTION),
        ),
        "description_en": (
            "description_en",
            lambda v: text(body, "description_en", max_length=MAX_DESCRIPTION),
        ),
        "planned_start": ("planned_start", lambda v: parse_date(v, name="planned_start")),
        "planned_end": ("planned_end", lambda v: parse_date(v, name="planned_end")),
        "actual_start": ("actual_start", lambda v: None if v is None else parse_date(v, name="actual_start")),
        "actual_end": ("actual_end", lambda v: None if v is None else parse_date(v, name="actual_end")),
        "budget": ("budget", lambda v: parse_decimal(v, name="budget", maximum=MAX_BUDGET)),
        "department": ("department_code", lambda v: _required_text(body, "department", max_length=80)),
        "geometry": ("shape", lambda v: parse_shape(v)),
        "partners": ("partner_ids", _partner_ids),
        "volunteers_count": (
            "volunteers_count",
            lambda v: _optional_count(v, name="volunteers_count", maximum=MAX_VOLUNTEERS) or 0,
        ),
        "width_m": ("width_m", lambda v: parse_decimal(v, name="width_m", maximum=Decimal(50))),
        "surface": ("surface", lambda v: _choice(body, "surface", SidewalkSurface.values) if v else ""),
        "ramps_count": ("ramps_count", lambda v: _optional_count(v, name="ramps_count", maximum=1000)),
    }
    unknown = sorted(set(body) - set(readers))
    if unknown:
        raise InvalidInput(
            _("These fields cannot be changed: %(fields)s. Progress and status move by progress updates.")
            % {"fields": ", ".join(unknown)[:200]},
            code="not_editable",
        )
    if not body:
        raise InvalidInput(_("Nothing to change: the body names no field."), code="missing_parameter")
    return {readers[name][0]: readers[name][1](value) for name, value in body.items()}


def parse_progress(data: Any, files: Any) -> ProgressReport:
    """A JSON object, or multipart form fields with an optional `photo` file."""
    # Multipart form fields arrive as a QueryDict (one value per name is all this body has).
    body = body_object(data.dict() if isinstance(data, QueryDict) else data)
    photo = files.get("photo") if files is not None else None
    if photo is not None and not isinstance(photo, UploadedFile):
        raise InvalidInput(_("photo must be an uploaded image file."), code="not_an_image")
    raw_percent = body.get("percent")
    if isinstance(raw_percent, float) and raw_percent.is_integer():
        raw_percent = int(raw_percent)
    if isinstance(raw_percent, float):
        raise InvalidInput(_("percent must be a whole number from 0 to 100."), code="out_of_range")
    percent = parse_int(raw_percent, name="percent", minimum=0, maximum=100)
    raw_inspection = body.get("inspection")
    inspection_uuid = None
    if raw_inspection not in (None, ""):
        try:
            inspection_uuid = str(uuid.UUID(str(raw_inspection)))
        except ValueError:
            raise InvalidInput(
                _("inspection must be the UUID of an inspection."), code="invalid_inspection"
            ) from None
    return ProgressReport(
        percent=percent,
        note=text(body, "note", max_length=MAX_DESCRIPTION).strip(),
        photo=photo,
        inspection_uuid=inspection_uuid,
    )
