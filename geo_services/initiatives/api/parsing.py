"""Parsing of the initiatives API's bodies (initiatives, progress, partners, proposals, work days)
into typed values, once, at the edge.

Shapes arrive as GeoJSON geometry objects (RFC 7946: longitude, latitude, WGS84), read by the
parser every API shares (geo_services.core.parsing.parse_geojson_geometry: never GDAL, a `crs` other
than WGS84 refused), with at most AMANAH_INITIATIVE_MAX_VERTICES vertices.
Whether the shape is valid, of the right type and inside the jurisdiction is a rule of the service.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.translation import gettext as _

from geo_services.core.api.parsing import parse_int
from geo_services.core.errors import InvalidInput
from geo_services.core.parsing import parse_geojson_geometry
from geo_services.initiatives.models import FeatureType, InitiativeKind, PartnerKind, SidewalkSurface
from geo_services.initiatives.services import (
    MAX_WORK_DAY_CAPACITY,
    InitiativePlan,
    PartnerRegistration,
    ProgressReport,
    ProposalDraft,
    WorkDayPlan,
)
from geo_services.venues.api.parsing import body_object, identifier, parse_date, parse_time, text

DEFAULT_MAX_VERTICES = 5_000
MAX_NAME = 200
MAX_DESCRIPTION = 5_000
MAX_BUDGET = Decimal("99999999999.999")  # what the column holds (14 digits, 3 decimals)
MAX_PARTNERS = 100


def max_vertices() -> int:
    return int(getattr(settings, "AMANAH_INITIATIVE_MAX_VERTICES", DEFAULT_MAX_VERTICES))


# --- Shapes -------------------------------------------------------------------------------------------


def parse_shape(raw: object, *, name: str = "geometry") -> GEOSGeometry:
    """A GeoJSON geometry object as a GEOS geometry in SRID 4326 (2-D; heights are dropped)."""
    return parse_geojson_geometry(raw, name=name, max_vertices=max_vertices())


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


# --- Partners, proposals, work days ---------------------------------------------------------------

MAX_TITLE = 200
MAX_REASON = 2_000
MAX_CODES = 100


def _codes(raw: object, *, name: str) -> tuple[str, ...]:
    """A list of codes (text), each at most 80 characters; absent or null: none."""
    if raw is None:
        return ()
    if (
        not isinstance(raw, list)
        or len(raw) > MAX_CODES
        or not all(isinstance(code, str) and 0 < len(code) <= 80 for code in raw)
    ):
        raise InvalidInput(
            _("%(name)s must be a list of at most %(max)d codes.") % {"name": name, "max": MAX_CODES},
            code="invalid_codes",
        )
    return tuple(dict.fromkeys(raw))


def _served_area(raw: object) -> MultiPolygon | None:
    """A drawn served area: a GeoJSON Polygon or MultiPolygon, kept as a MultiPolygon."""
    if raw is None:
        return None
    shape = parse_geojson_geometry(
        raw, name="served_area", max_vertices=max_vertices(), allowed_types=("Polygon", "MultiPolygon")
    )
    if isinstance(shape, Polygon):
        shape = MultiPolygon(shape, srid=shape.srid)
    return shape  # type: ignore[return-value]  # a MultiPolygon by the allowed types


def parse_partner(data: object) -> PartnerRegistration:
    body = body_object(data)
    active = body.get("active", True)
    if not isinstance(active, bool):
        raise InvalidInput(_("active must be true or false."))
    return PartnerRegistration(
        kind=_choice(body, "kind", PartnerKind.values),
        name_ar=_required_text(body, "name_ar", max_length=MAX_NAME),
        name_en=_required_text(body, "name_en", max_length=MAX_NAME),
        service_codes=_codes(body.get("services"), name="services"),
        district_codes=_codes(body.get("districts"), name="districts"),
        served_area=_served_area(body.get("served_area")),
        contact_name=text(body, "contact_name", max_length=200).strip(),
        contact_email=text(body, "contact_email", max_length=254).strip(),
        contact_phone=text(body, "contact_phone", max_length=40).strip(),
        active=active,
    )


def _reject_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not a number JSON allows")


def _form_geometry(raw: object) -> object:
    """A multipart form carries the geometry as GeoJSON text; a JSON body as an object."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise InvalidInput(
            _(
                '%(name)s must be a GeoJSON geometry object, such as {"type": "Point", "coordinates": [35.9, 31.95]}.'
            )
            % {"name": "geometry"},
            code="invalid_geometry",
        ) from None


def _photo(files: Any) -> UploadedFile | None:
    photo = files.get("photo") if files is not None else None
    if photo is not None and not isinstance(photo, UploadedFile):
        raise InvalidInput(_("photo must be an uploaded image file."), code="not_an_image")
    return photo


def parse_proposal(data: Any, files: Any) -> tuple[str | None, ProposalDraft]:
    """(jurisdiction code or None, the draft) from a JSON object or multipart form fields with an
    optional `photo` file; `geometry` is a GeoJSON Point or Polygon (text in a form)."""
    body = body_object(data.dict() if isinstance(data, QueryDict) else data)
    if "geometry" not in body:
        raise InvalidInput(_("geometry is required."), code="missing_parameter")
    jurisdiction = body.get("jurisdiction")
    if jurisdiction is not None and not isinstance(jurisdiction, str):
        raise InvalidInput(_("%(name)s must be text.") % {"name": "jurisdiction"})
    shape = parse_geojson_geometry(
        _form_geometry(body.get("geometry")),
        name="geometry",
        max_vertices=max_vertices(),
        allowed_types=("Point", "Polygon"),
    )
    draft = ProposalDraft(
        title=_required_text(body, "title", max_length=MAX_TITLE),
        description=_required_text(body, "description", max_length=MAX_DESCRIPTION),
        shape=shape,
        photo=_photo(files),
    )
    return jurisdiction or None, draft


@dataclass(frozen=True)
class Acceptance:
    initiative_id: int | None
    plan: InitiativePlan | None
    note: str


def parse_acceptance(data: object, *, proposal_shape: GEOSGeometry) -> Acceptance:
    """{"initiative": id} to link an existing initiative, or {"plan": {…}} to plan one (the body of
    POST /initiatives/; its geometry defaults to the proposal's shape); an optional note."""
    body = body_object(data)
    initiative_id = None
    if body.get("initiative") is not None:
        initiative_id = identifier(body["initiative"], name="initiative")
    plan = None
    if body.get("plan") is not None:
        plan_body = body_object(body["plan"])
        if "geometry" not in plan_body:
            plan_body = {**plan_body, "geometry": json.loads(proposal_shape.json)}
        plan = parse_plan(plan_body)
    return Acceptance(
        initiative_id=initiative_id, plan=plan, note=text(body, "note", max_length=MAX_REASON).strip()
    )


def parse_decline(data: object) -> str:
    body = body_object(data)
    reason = text(body, "reason", max_length=MAX_REASON).strip()
    if not reason:
        raise InvalidInput(
            _("Say why the proposal is declined: the reason is required and is shown to residents."),
            code="reason_required",
        )
    return reason


def parse_work_day(data: object) -> WorkDayPlan:
    body = body_object(data)
    raw_capacity = body.get("capacity")
    if not isinstance(raw_capacity, int) or isinstance(raw_capacity, bool):
        raise InvalidInput(
            _("capacity is the number of volunteers wanted, from 1 to %(max)s.")
            % {"max": MAX_WORK_DAY_CAPACITY},
            code="out_of_range",
        )
    return WorkDayPlan(
        day=parse_date(body.get("date"), name="date"),
        starts=parse_time(body.get("start"), name="start"),
        ends=parse_time(body.get("end"), name="end"),
        place=_required_text(body, "place", max_length=300),
        capacity=parse_int(raw_capacity, name="capacity", minimum=1, maximum=MAX_WORK_DAY_CAPACITY),
    )
