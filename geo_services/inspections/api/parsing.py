"""Parsing of the inspections and field APIs' inputs into typed values, once, at the edge.

Every error is an InvalidInput naming the field and what would be accepted. Times are ISO 8601 with
a UTC offset; positions are finite, in-range WGS84 degrees; UUIDs and hashes are checked here, so
the services below trust their arguments' types.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _
from rest_framework.request import Request

# The JSON-body readers shared by every API, offered here with this API's own parsers.
from geo_services.core.api.parsing import body_object as body_object
from geo_services.core.api.parsing import parse_int
from geo_services.core.api.parsing import text as text
from geo_services.core.errors import InvalidInput
from geo_services.core.models import STORAGE_SRID
from geo_services.core.parsing import parse_float, parse_lon_lat
from geo_services.inspections.models import TargetKind
from geo_services.inspections.services import Audit, DeclaredPhoto, JobTarget, Position, Submission

MAX_PHOTOS = 100
MAX_ACCURACY_M = 100_000.0
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_BIGINT = 2**63 - 1
USER_AGENT_LENGTH = 300


def audit_of(request: Request) -> Audit:
    """The actor and device of a request; an X-Device-Id that is not a UUID is refused."""
    raw = request.headers.get("X-Device-Id", "").strip()
    device_id = ""
    if raw:
        try:
            device_id = str(uuid.UUID(raw))
        except ValueError:
            raise InvalidInput(
                _("The X-Device-Id header must be a UUID, not %(value)r.") % {"value": raw[:60]},
                code="invalid_device_id",
            ) from None
    user = request.user if request.user.is_authenticated else None
    return Audit(
        actor=user,
        device_id=device_id,
        user_agent=request.headers.get("User-Agent", "")[:USER_AGENT_LENGTH],
    )


def parse_uuid(raw: object, *, name: str) -> str:
    """Canonical lower-case text of a UUID."""
    if not isinstance(raw, str):
        raise InvalidInput(_("%(name)s must be a UUID.") % {"name": name}, code="invalid_uuid")
    try:
        return str(uuid.UUID(raw.strip()))
    except ValueError:
        raise InvalidInput(
            _("%(name)s must be a UUID, not %(value)r.") % {"name": name, "value": raw[:60]},
            code="invalid_uuid",
        ) from None


def identifier(raw: object, *, name: str) -> int:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return parse_int(raw, name=name, minimum=1, maximum=_BIGINT)


def parse_date(raw: object, *, name: str) -> date:
    if not isinstance(raw, str) or not _DATE.match(raw.strip()):
        raise InvalidInput(
            _("%(name)s must be a date written YYYY-MM-DD.") % {"name": name}, code="invalid_date"
        )
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            _("%(name)s is not a real date: %(value)s.") % {"name": name, "value": raw[:20]},
            code="invalid_date",
        ) from None


def parse_moment(raw: object, *, name: str) -> datetime:
    """An ISO 8601 date and time with a UTC offset (Z or ±hh:mm)."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput(_("%(name)s is required.") % {"name": name}, code="missing_parameter")
    try:
        moment = datetime.fromisoformat(raw.strip().replace("z", "Z"))
    except ValueError:
        moment = None
    if moment is None or "T" not in raw.upper():
        raise InvalidInput(
            _("%(name)s must be an ISO 8601 date and time, such as 2026-11-23T07:10:00Z.") % {"name": name},
            code="invalid_datetime",
        )
    if moment.tzinfo is None:
        raise InvalidInput(
            _("%(name)s must carry a UTC offset (Z or +03:00), so the moment is unambiguous.")
            % {"name": name},
            code="invalid_datetime",
        )
    return moment


def parse_position(raw: object) -> Position | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidInput(
            _("position must be an object with lon, lat and accuracy_m, or null."), code="invalid_position"
        )
    lon_lat = parse_lon_lat(raw.get("lat"), raw.get("lon"), lat_name="position.lat", lon_name="position.lon")
    accuracy = parse_float(raw.get("accuracy_m"), name="position.accuracy_m")
    if not 0 <= accuracy <= MAX_ACCURACY_M:
        raise InvalidInput(
            _("position.accuracy_m must be from 0 to %(max)d metres.") % {"max": int(MAX_ACCURACY_M)},
            code="out_of_range",
        )
    return Position(lon=lon_lat.x, lat=lon_lat.y, accuracy_m=accuracy)


def _declared_photos(raw: object) -> tuple[DeclaredPhoto, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidInput(_("photos must be a list of {uuid, item, sha256} objects."), code="invalid_photos")
    if len(raw) > MAX_PHOTOS:
        raise InvalidInput(
            _("An inspection declares at most %(count)d photos.") % {"count": MAX_PHOTOS},
            code="invalid_photos",
        )
    photos: list[DeclaredPhoto] = []
    for index, entry in enumerate(raw):
        where = f"photos[{index}]"
        if not isinstance(entry, dict):
            raise InvalidInput(
                _("%(where)s must be an object with uuid, item and sha256.") % {"where": where},
                code="invalid_photos",
            )
        photo_uuid = parse_uuid(entry.get("uuid"), name=f"{where}.uuid")
        item = entry.get("item")
        if not isinstance(item, str) or not item:
            raise InvalidInput(
                _("%(where)s.item must name a photo item.") % {"where": where}, code="invalid_photos"
            )
        digest = entry.get("sha256")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise InvalidInput(
                _("%(where)s.sha256 must be 64 hexadecimal digits.") % {"where": where}, code="invalid_photos"
            )
        if any(p.uuid == photo_uuid for p in photos):
            raise InvalidInput(
                _("Photo %(photo)s is declared twice.") % {"photo": photo_uuid}, code="invalid_photos"
            )
        photos.append(DeclaredPhoto(uuid=photo_uuid, item=item[:60], sha256=digest.lower()))
    return tuple(photos)


def parse_submission(inspection_uuid: str, data: Any) -> Submission:
    body = body_object(data)
    started_at = parse_moment(body.get("started_at"), name="started_at")
    finished_at = parse_moment(body.get("finished_at"), name="finished_at")
    if finished_at < started_at:
        raise InvalidInput(_("finished_at must not be before started_at."), code="invalid_datetime")
    answers = body.get("answers")
    if not isinstance(answers, dict):
        raise InvalidInput(_("answers must be an object keyed by item."), code="invalid_answers")
    return Submission(
        uuid=inspection_uuid,
        job_id=identifier(body.get("job"), name="job"),
        template_version=identifier(body.get("template_version"), name="template_version"),
        answers=answers,
        position=parse_position(body.get("position")),
        started_at=started_at,
        finished_at=finished_at,
        photos=_declared_photos(body.get("photos")),
    )


def parse_target(body: dict[str, Any]) -> JobTarget:
    """One of: venue (id), service_request (id), initiative (id), or location {lon, lat} with label
    (and kind point or business)."""
    given = [
        name for name in ("venue", "service_request", "initiative", "location") if body.get(name) is not None
    ]
    if len(given) != 1:
        raise InvalidInput(
            _(
                "Name exactly one target: venue (an id), service_request (an id), initiative (an id) or location {lon, lat} with a label."
            ),
            code="invalid_target",
        )
    if given == ["initiative"]:
        return JobTarget(
            kind=TargetKind.INITIATIVE_SEGMENT, record_id=identifier(body["initiative"], name="initiative")
        )
    if given == ["venue"]:
        return JobTarget(kind=TargetKind.VENUE, record_id=identifier(body["venue"], name="venue"))
    if given == ["service_request"]:
        return JobTarget(
            kind=TargetKind.SERVICE_REQUEST,
            record_id=identifier(body["service_request"], name="service_request"),
        )
    location = body["location"]
    if not isinstance(location, dict):
        raise InvalidInput(_("location must be an object with lon and lat."), code="invalid_target")
    lon_lat = parse_lon_lat(
        location.get("lat"), location.get("lon"), lat_name="location.lat", lon_name="location.lon"
    )
    kind = body.get("target_kind", TargetKind.POINT.value)
    if kind not in (TargetKind.POINT, TargetKind.BUSINESS):
        raise InvalidInput(
            _("target_kind must be point or business for a target given by its location."),
            code="invalid_target",
        )
    return JobTarget(
        kind=kind,
        location=Point(lon_lat.x, lon_lat.y, srid=STORAGE_SRID),
        label=text(body, "label", max_length=300),
    )
